import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { stat, writeFile } from 'node:fs/promises';
import type { CurAggregateRequest, Progress } from '../../../src/app/ports.js';
import type { CurGroup } from '../../../src/domain/cur.js';
import { Money } from '../../../src/domain/money.js';
import { closingSources, REQUIRED_FIELDS, row, tempDir, writeCsv, type CurRow, readAll } from './cur-fixtures.js';

const source = closingSources();

const request: CurAggregateRequest = { period: '2026-10', listPrice: 'unblended', granularity: 'service' };
const sorted = (groups: CurGroup[]): CurGroup[] => [...groups].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
const byProduct = (groups: CurGroup[], product: string): CurGroup => groups.find((g) => g.productCode === product)!;

const mixedRows: CurRow[] = [
  row({ cost: '1.304297E-4' }),
  row({ cost: '10' }),
  row({ product: 'AmazonS3', name: 'Amazon Simple Storage Service', cost: '0.023' }),
  row({ type: 'Fee', product: 'AmazonEC2', arn: 'arn:aws:ec2:us-east-1:1:reserved-instances/x', cost: '100' }),
  row({ entity: 'AWS Marketplace', product: 'prod-abc', name: 'Some "quoted", product', cost: '5.25' }),
];

describe('DuckDbCurSource.aggregate()', () => {
  it('gives the same groups for legacy and snake_case headers', async () => {
    const dir = await tempDir();
    const legacy = await writeCsv(join(dir, 'legacy.csv'), mixedRows, { style: 'legacy', extra: true });
    const snake = await writeCsv(join(dir, 'snake.csv'), mixedRows, { style: 'snake' });
    const a = await readAll(source(legacy).aggregate(request));
    const b = await readAll(source(snake).aggregate(request));
    expect(sorted(a.groups)).toEqual(sorted(b.groups));
    expect(a.rowsRead).toBe(5);
    const ec2 = a.groups.find((g) => g.productCode === 'AmazonEC2' && g.lineItemType === 'Usage')!;
    expect(ec2).toMatchObject({
      payerAccountId: '111122223333',
      periodStart: '2026-10-01',
      accountId: '444455556666',
      billingEntity: 'AWS',
      currencyCode: 'USD',
      reservationFee: false,
      productName: 'Amazon Elastic Compute Cloud',
      rows: 2,
      unblendedUsd: '10.000130429700',
      maxUnblendedUsd: '10.000000000000',
      onDemandListUsd: '',
    });
    // The RI-fee flag matters only in on-demand mode, and only that mode groups on it.
    expect(a.groups.find((g) => g.lineItemType === 'Fee')!.reservationFee).toBe(false);
    const onDemand = await readAll(source(legacy).aggregate({ ...request, listPrice: 'on-demand' }));
    expect(onDemand.groups.find((g) => g.lineItemType === 'Fee')!.reservationFee).toBe(true);
    expect(byProduct(a.groups, 'prod-abc')).toMatchObject({ billingEntity: 'AWS Marketplace', productName: 'Some "quoted", product' });
  });

  it('reads gzip-compressed CSV (.csv.gz and .gz)', async () => {
    const dir = await tempDir();
    const plain = await readAll(source(await writeCsv(join(dir, 'plain.csv'), mixedRows)).aggregate(request));
    const gz = await readAll(source(await writeCsv(join(dir, 'a.csv.gz'), mixedRows, { gzip: true })).aggregate(request));
    const bareGz = await readAll(source(await writeCsv(join(dir, 'b.gz'), mixedRows, { gzip: true })).aggregate(request));
    expect(sorted(gz.groups)).toEqual(sorted(plain.groups));
    expect(sorted(bareGz.groups)).toEqual(sorted(plain.groups));
  });

  it('reads a folder recursively, files with different header sets, ignoring other files', async () => {
    const dir = await tempDir();
    await writeCsv(join(dir, '2026-10', 'part-1.csv'), [row({ cost: '1.1' }), row({ cost: '2.2' })], { style: 'legacy' });
    await writeCsv(join(dir, '2026-10', 'sub', 'part-2.csv.gz'), [row({ cost: '3.3', onDemand: '' })], {
      style: 'snake',
      columns: [...REQUIRED_FIELDS, 'onDemand' as const].reverse(),
      gzip: true,
    });
    await writeCsv(join(dir, 'part-3.csv'), [row({ cost: '4.4', onDemand: '9' })], { columns: [...REQUIRED_FIELDS, 'onDemand', 'name'], extra: true });
    await writeFile(join(dir, '2026-10', 'manifest.json'), '{"not": "a cur file"}');
    const result = await readAll(source(dir).aggregate({ ...request, listPrice: 'on-demand' }));
    expect(result.rowsRead).toBe(4);
    expect(result.source).toContain('3 CSV files');
    expect(result.groups).toHaveLength(2); // currency code '' (part-2, part-3) vs 'USD' (part-1)
    const total = result.groups.reduce((s, g) => s.plus(g.unblendedUsd), new Money(0));
    expect(total.toFixed()).toBe('11');
    const noCurrency = result.groups.find((g) => g.currencyCode === '')!;
    // part-2's on-demand cost is empty (falls back to unblended), part-3's is 9.
    expect(noCurrency).toMatchObject({ rows: 2, unblendedUsd: '7.700000000000', onDemandListUsd: '12.300000000000', productName: 'Amazon Elastic Compute Cloud' });
  });

  it('sums exactly: 10,000 × 0.1 and exponent notation', async () => {
    const dir = await tempDir();
    const rows = [...Array.from({ length: 10_000 }, () => row({ cost: '0.1' })), row({ cost: '1.304297E-4' }), row({ cost: '-3.0E-12' })];
    const result = await readAll(source(await writeCsv(join(dir, 'cur.csv'), rows)).aggregate(request));
    expect(result.groups).toHaveLength(1);
    expect(result.groups[0]!.unblendedUsd).toBe('1000.000130429697');
    expect(result.groups[0]!.rows).toBe(10_002);
  });

  it('reads an empty amount as zero', async () => {
    const dir = await tempDir();
    const rows = [row({ cost: '', onDemand: '' }), row({ cost: ' ', onDemand: '' }), row({ product: 'AmazonS3', cost: '2', onDemand: '' })];
    const result = await readAll(source(await writeCsv(join(dir, 'cur.csv'), rows)).aggregate({ ...request, listPrice: 'on-demand' }));
    expect(byProduct(result.groups, 'AmazonEC2')).toMatchObject({ rows: 2, unblendedUsd: '0.000000000000', onDemandListUsd: '0.000000000000', maxUnblendedUsd: '0.000000000000' });
    expect(byProduct(result.groups, 'AmazonS3')).toMatchObject({ unblendedUsd: '2.000000000000', onDemandListUsd: '2.000000000000' });
  });

  it('reads empty text cells, quoted or not, as empty', async () => {
    const dir = await tempDir();
    const path = join(dir, 'cur.csv');
    const header = 'bill/PayerAccountId,bill/BillingPeriodStartDate,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/ProductCode,bill/BillingEntity,lineItem/UnblendedCost,lineItem/CurrencyCode,product/ProductName';
    await writeFile(path, `${header}\n1,2026-10-01,2,Usage,AmazonEC2,AWS,1,"",""\n1,2026-10-01,2,Usage,AmazonEC2,AWS,2,,\n`);
    const { groups } = await readAll(source(path).aggregate(request));
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ currencyCode: '', productName: '', rows: 2, unblendedUsd: '3.000000000000' });
  });

  it('uses the public on-demand cost when non-zero in on-demand mode', async () => {
    const dir = await tempDir();
    const rows = [row({ cost: '1', onDemand: '3' }), row({ cost: '1', onDemand: '0' }), row({ cost: '1', onDemand: '' })];
    const result = await readAll(source(await writeCsv(join(dir, 'cur.csv'), rows)).aggregate({ ...request, listPrice: 'on-demand' }));
    expect(result.groups[0]).toMatchObject({ unblendedUsd: '3.000000000000', onDemandListUsd: '5.000000000000' });
  });

  it('groups by usage type at usage-type granularity', async () => {
    const dir = await tempDir();
    const rows = [row({ usageType: 'A' }), row({ usageType: 'B' }), row({ usageType: 'B' })];
    const result = await readAll(source(await writeCsv(join(dir, 'cur.csv'), rows)).aggregate({ ...request, granularity: 'usage-type' }));
    expect(result.groups.map((g) => [g.usageType, g.rows]).sort()).toEqual([['A', 1], ['B', 2]]);
  });

  it('reads files whose names contain glob characters literally', async () => {
    const dir = await tempDir();
    await writeCsv(join(dir, 'cur[1].csv'), [row({ cost: '1' })]);
    await writeCsv(join(dir, 'cur1.csv'), [row({ cost: '1000' })]);
    const result = await readAll(source(join(dir, 'cur[1].csv')).aggregate(request));
    expect(result.groups[0]!.unblendedUsd).toBe('1.000000000000');
  });

  it('reports scan progress in bytes, from 0 to the input size', async () => {
    const dir = await tempDir();
    const path = await writeCsv(join(dir, 'cur.csv'), mixedRows);
    const seen: Progress[] = [];
    await readAll(source(path).aggregate({ ...request, onProgress: (p) => seen.push(p) }));
    const size = (await stat(path)).size;
    const scan = seen.filter((p) => p.phase === 'scan');
    expect(scan[0]).toEqual({ phase: 'scan', done: 0, total: size, unit: 'bytes' });
    expect(scan.at(-1)).toEqual({ phase: 'scan', done: size, total: size, unit: 'bytes' });
    // The scan is over before the first group is handed over.
    expect(seen.findIndex((p) => p.phase !== 'scan')).toBe(scan.length);
  });

  it('rejects when the signal is already aborted', async () => {
    const dir = await tempDir();
    const path = await writeCsv(join(dir, 'cur.csv'), mixedRows);
    await expect(source(path).aggregate({ ...request, signal: AbortSignal.abort() })).rejects.toThrow('aborted');
  });
});
