/**
 * The groups of `DuckDbCurSource.aggregate` as a stream: batches of one engine
 * chunk, in payer then account order, read once; errors, CUR_EMPTY and aborts
 * surface while iterating; the source closes after a partial read. Outcomes only:
 * that memory stays bounded is the benchmark's business, not a test's.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import type { CurAggregateRequest, Progress } from '../../../src/app/ports.js';
import type { CurGroup } from '../../../src/domain/cur.js';
import { ConnectorError } from '../../../src/domain/errors.js';
import { Money } from '../../../src/domain/money.js';
import { closingSources, readAll, row, tempDir, writeCsv, type CurRow } from './cur-fixtures.js';

const source = closingSources();

const byUsageType: CurAggregateRequest = { period: '2026-10', listPrice: 'unblended', granularity: 'usage-type' };

const PAYERS = ['222200000000', '111100000000'];
const ACCOUNTS = ['900000000001', '100000000001', '500000000001', '300000000001'];

/** 2 payers × 4 accounts × 700 usage types = 5,600 groups (three chunks and more); rows shuffled; the cost of a row is its index in cents. */
function manyGroups(): { rows: CurRow[]; total: Money } {
  const rows: CurRow[] = [];
  let total = new Money(0);
  for (let u = 0; u < 700; u += 1) {
    for (const payer of PAYERS) {
      for (const account of ACCOUNTS) {
        const cost = `${rows.length}.${String(rows.length % 100).padStart(2, '0')}`;
        rows.push(row({ payer, account, usageType: `Usage-${u}`, cost }));
        total = total.plus(cost);
      }
    }
  }
  return { rows, total };
}

const key = (g: CurGroup): string => `${g.payerAccountId} ${g.accountId}`;

describe('DuckDbCurSource.aggregate() groups, streamed', () => {
  it('yields every group once, in batches of at most one engine chunk, with exact sums', async () => {
    const { rows, total } = manyGroups();
    const path = await writeCsv(join(await tempDir(), 'cur.csv'), rows);
    const result = await readAll(source(path).aggregate(byUsageType));
    expect(result.groups).toHaveLength(5600);
    expect(new Set(result.groups.map((g) => `${key(g)} ${g.usageType}`)).size).toBe(5600);
    expect(result.batchSizes.length).toBeGreaterThan(2);
    expect(result.batchSizes.every((n) => n > 0 && n <= 2048)).toBe(true);
    expect(result.batchSizes.reduce((a, b) => a + b, 0)).toBe(5600);
    expect(result.rowsRead).toBe(rows.length);
    expect(result.groups.reduce((t, g) => t.plus(g.unblendedUsd), new Money(0)).toFixed()).toBe(total.toFixed());
    expect(result.tellsFinality).toBe(false);
    expect(result.groups.every((g) => g.invoicedRows === 0)).toBe(true);
  });

  it('delivers the groups ordered by account, then payer: each account of a payer in one run', async () => {
    const { rows } = manyGroups();
    const path = await writeCsv(join(await tempDir(), 'cur.csv'), rows);
    const { groups } = await readAll(source(path).aggregate(byUsageType));
    const runs = groups.map(key).filter((k, i, all) => i === 0 || all[i - 1] !== k);
    const expected = [...ACCOUNTS].sort().flatMap((a) => [...PAYERS].sort().map((p) => `${p} ${a}`));
    expect(runs).toEqual(expected);
  });

  it('keeps any text of a group intact: quotes, backslashes, control characters, accents, emoji', async () => {
    const name = 'a "b" \\ c\u001fd\tè 😀 [1,2]';
    const path = await writeCsv(join(await tempDir(), 'cur.csv'), [row({ name, usageType: 'x\\"y' })]);
    const [group] = (await readAll(source(path).aggregate(byUsageType))).groups;
    expect(group).toMatchObject({ productName: name, usageType: 'x\\"y', rows: 1, unblendedUsd: '1.500000000000' });
  });

  it('can be read once', async () => {
    const path = await writeCsv(join(await tempDir(), 'cur.csv'), [row()]);
    const aggregate = await source(path).aggregate(byUsageType);
    await readAll(aggregate);
    await expect(readAll(aggregate)).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('resolves before the scan, and rejects while iterating naming file, row and column of a bad value', async () => {
    const path = await writeCsv(join(await tempDir(), 'cur.csv'), [row(), row({ cost: '12,50' }), row({ cost: 'abc' })]);
    const aggregate = await source(path).aggregate(byUsageType);
    const error = await readAll(aggregate).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ code: 'CUR_INPUT', where: { file: path, row: 2, column: 'lineItem/UnblendedCost', value: '12,50' } });
  });

  it('rejects while iterating with CUR_EMPTY when there is no row at all', async () => {
    const path = await writeCsv(join(await tempDir(), 'cur.csv'), []);
    const aggregate = await source(path).aggregate(byUsageType);
    await expect(readAll(aggregate)).rejects.toMatchObject({ code: 'CUR_EMPTY', where: { file: path } });
  });

  it('stops with the abort reason when the signal is aborted between batches', async () => {
    const path = await writeCsv(join(await tempDir(), 'cur.csv'), manyGroups().rows);
    const controller = new AbortController();
    const aggregate = await source(path).aggregate({ ...byUsageType, signal: controller.signal });
    const iterator = aggregate.groups[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    controller.abort(new Error('stop asked'));
    await expect(iterator.next()).rejects.toThrow('stop asked');
  });

  it('stops with the abort reason when the signal is aborted as the scan starts', async () => {
    const path = await writeCsv(join(await tempDir(), 'cur.csv'), manyGroups().rows);
    const controller = new AbortController();
    const onProgress = (): void => controller.abort(new Error('stop asked'));
    const aggregate = await source(path).aggregate({ ...byUsageType, signal: controller.signal, onProgress });
    await expect(readAll(aggregate)).rejects.toThrow('stop asked');
  });

  it('reports the CUR rows whose groups were handed over after each batch, naming the files and their size, ending at the total', async () => {
    const { rows } = manyGroups();
    const dir = await tempDir();
    await writeCsv(join(dir, 'a.csv'), rows.slice(0, 3000));
    await writeCsv(join(dir, 'b.csv'), rows.slice(3000));
    const bytes = (await stat(join(dir, 'a.csv'))).size + (await stat(join(dir, 'b.csv'))).size;
    const seen: Progress[] = [];
    const aggregate = await source(dir).aggregate({ ...byUsageType, onProgress: (p) => seen.push(p) });
    const rowsSoFar: number[] = [];
    let handed = 0;
    for await (const batch of aggregate.groups) {
      handed += batch.reduce((n, g) => n + g.rows, 0);
      // Told before the batch is handed over: the count includes it.
      rowsSoFar.push(seen.at(-1)?.done ?? -1);
      expect(seen.at(-1)?.done).toBe(handed);
    }
    const read = seen.filter((p) => p.phase !== 'scan');
    const phase = `read 2 CSV files (${(bytes / 1048576).toFixed(1)} MiB)`;
    expect(read.every((p) => p.phase === phase && p.unit === 'CUR rows')).toBe(true);
    expect(read.map((p) => p.done)).toEqual([...rowsSoFar, rows.length]);
    expect(read.at(-1)).toEqual({ phase, done: rows.length, total: rows.length, unit: 'CUR rows' });
    expect(rowsSoFar.length).toBeGreaterThan(2);
  });

  it('answers locate() while its groups are half read, and closes after a partial read', async () => {
    const path = await writeCsv(join(await tempDir(), 'cur.csv'), [...manyGroups().rows, row({ currency: 'EUR' })]);
    const s = source(path);
    const aggregate = await s.aggregate(byUsageType);
    const iterator = aggregate.groups[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    expect(await s.locate('111122223333', { kind: 'currency-not-usd' })).toMatchObject({ file: path, row: 5601, value: 'EUR' });
    await s.close();
    await expect(iterator.next()).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('releases its stream when the reader stops early', async () => {
    const path = await writeCsv(join(await tempDir(), 'cur.csv'), manyGroups().rows);
    const s = source(path);
    for await (const batch of (await s.aggregate(byUsageType)).groups) {
      expect(batch.length).toBeGreaterThan(0);
      break;
    }
    // The engine is free for the next call: a second aggregate reads everything.
    expect((await readAll(s.aggregate(byUsageType))).groups).toHaveLength(5600);
  });
});
