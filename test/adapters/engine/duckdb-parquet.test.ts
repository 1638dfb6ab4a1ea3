import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { CurAggregateRequest } from '../../../src/app/ports.js';
import type { CurGroup } from '../../../src/domain/cur.js';
import { ConnectorError } from '../../../src/domain/errors.js';
import { closingSources, duckdb, lit, row, tempDir, writeCsv, readAll } from './cur-fixtures.js';

const source = closingSources();

const request: CurAggregateRequest = { period: '2026-10', listPrice: 'on-demand', granularity: 'service' };
const sorted = (groups: CurGroup[]): CurGroup[] => [...groups].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** CUR 2.0-like Parquet: snake_case names, DOUBLE amounts, TIMESTAMP period. */
async function writeCur2Parquet(path: string, rows: { product: string; cost: string; onDemand?: string; currency?: string; period?: string }[]): Promise<string> {
  const values = rows
    .map(
      (r) =>
        `('111122223333', CAST(${lit(r.period ?? '2026-10-01 00:00:00')} AS TIMESTAMP), '444455556666', 'Usage', ${lit(r.product)}, 'AWS', ` +
        `CAST(${lit(r.cost)} AS DOUBLE), CAST(${lit(r.onDemand ?? '0')} AS DOUBLE), ${lit(r.currency ?? 'USD')})`,
    )
    .join(',\n');
  const columns =
    'bill_payer_account_id, bill_billing_period_start_date, line_item_usage_account_id, line_item_line_item_type, ' +
    'line_item_product_code, bill_billing_entity, line_item_unblended_cost, pricing_public_on_demand_cost, line_item_currency_code';
  await duckdb(`COPY (SELECT * FROM (VALUES ${values}) AS t(${columns})) TO ${lit(path)} (FORMAT parquet)`);
  return path;
}

describe('DuckDbCurSource over Parquet', () => {
  it('recovers exact decimals from DOUBLE amount columns', async () => {
    const dir = await tempDir();
    const path = await writeCur2Parquet(join(dir, 'cur.snappy.parquet'), [
      { product: 'AmazonEC2', cost: '123456789.123456', onDemand: '123456789.123457' },
      ...Array.from({ length: 10 }, () => ({ product: 'AmazonS3', cost: '0.1' })),
      { product: 'AmazonS3', cost: '1.304297E-4' },
    ]);
    const result = await readAll(source(path).aggregate(request));
    expect(result.rowsRead).toBe(12);
    expect(result.source).toContain('Parquet file');
    const ec2 = result.groups.find((g) => g.productCode === 'AmazonEC2')!;
    expect(ec2).toMatchObject({ periodStart: '2026-10-01', unblendedUsd: '123456789.123456000000', onDemandListUsd: '123456789.123457000000' });
    const s3 = result.groups.find((g) => g.productCode === 'AmazonS3')!;
    expect(s3).toMatchObject({ rows: 11, unblendedUsd: '1.000130429700', onDemandListUsd: '1.000130429700', maxUnblendedUsd: '0.100000000000' });
  });

  it('gives the same groups as CSV for Parquet with legacy names and text columns', async () => {
    const dir = await tempDir();
    const rows = [row({ cost: '1.304297E-4' }), row({ cost: '' }), row({ product: 'AmazonS3', cost: '0.5', onDemand: '' })];
    const csv = await writeCsv(join(dir, 'csv', 'cur.csv'), rows, { style: 'legacy' });
    const parquet = join(dir, 'parquet', 'cur.parquet');
    await mkdir(join(dir, 'parquet'));
    await duckdb(`COPY (SELECT * FROM read_csv(${lit(csv)}, header = true, all_varchar = true)) TO ${lit(parquet)} (FORMAT parquet)`);
    const fromCsv = await readAll(source(csv).aggregate(request));
    const fromParquet = await readAll(source(parquet).aggregate(request));
    expect(sorted(fromParquet.groups)).toEqual(sorted(fromCsv.groups));
  });

  it('reads a folder of Parquet files with different schemas', async () => {
    const dir = await tempDir();
    await writeCur2Parquet(join(dir, 'a.parquet'), [{ product: 'AmazonEC2', cost: '1.25' }]);
    await duckdb(
      `COPY (SELECT '0.75' AS line_item_unblended_cost, 'AWS' AS bill_billing_entity, 'AmazonEC2' AS line_item_product_code, ` +
        `'Usage' AS line_item_line_item_type, '444455556666' AS line_item_usage_account_id, '2026-10-01' AS bill_billing_period_start_date, ` +
        `'111122223333' AS bill_payer_account_id, 'x' AS pricing_public_on_demand_cost, 'EC2' AS product_product_name) TO ${lit(join(dir, 'b.parquet'))} (FORMAT parquet)`,
    );
    const result = await readAll(source(dir).aggregate({ ...request, listPrice: 'unblended' }));
    expect(result.rowsRead).toBe(2);
    const total = result.groups.map((g) => [g.currencyCode, g.productName, g.unblendedUsd]).sort();
    expect(total).toEqual([
      ['', 'EC2', '0.750000000000'],
      ['USD', '', '1.250000000000'],
    ]);
  });

  it('names file, row, column and value of an amount that is not a number (NaN)', async () => {
    const dir = await tempDir();
    const path = await writeCur2Parquet(join(dir, 'cur.parquet'), [
      { product: 'AmazonEC2', cost: '1' },
      { product: 'AmazonEC2', cost: 'NaN' },
    ]);
    const error = await readAll(source(path).aggregate(request)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).code).toBe('CUR_INPUT');
    expect((error as ConnectorError).where).toEqual({ file: path, row: 2, column: 'line_item_unblended_cost', value: 'nan' });
  });

  it('locates a row of another month and a non-USD currency (1-based rows)', async () => {
    const dir = await tempDir();
    await writeCur2Parquet(join(dir, 'a.parquet'), [{ product: 'AmazonEC2', cost: '1' }]);
    const b = await writeCur2Parquet(join(dir, 'b.parquet'), [
      { product: 'AmazonEC2', cost: '1' },
      { product: 'AmazonEC2', cost: '1', period: '2026-09-01 00:00:00' },
      { product: 'AmazonS3', cost: '2', currency: 'EUR' },
    ]);
    const s = source(dir);
    await readAll(s.aggregate(request));
    expect(await s.locate('111122223333', { kind: 'period-not', period: '2026-10' })).toEqual({
      file: b,
      row: 2,
      column: 'bill_billing_period_start_date',
      value: '2026-09-01 00:00:00',
    });
    expect(await s.locate('111122223333', { kind: 'currency-not-usd' })).toEqual({ file: b, row: 3, column: 'line_item_currency_code', value: 'EUR' });
    expect(await s.locate('999988887777', { kind: 'currency-not-usd' })).toBeUndefined();
    expect(await source(join(dir, 'a.parquet')).locate('111122223333', { kind: 'period-not', period: '2026-10' })).toBeUndefined();
  });
});
