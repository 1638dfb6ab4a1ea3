import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { DuckDbCurSource } from '../../../src/adapters/engine/duckdb-cur-source.js';
import type { CurAggregateRequest } from '../../../src/app/ports.js';
import { ConnectorError } from '../../../src/domain/errors.js';
import { REQUIRED_FIELDS, csvText, duckdb, lit, row, tempDir, writeCsv, readAll } from './cur-fixtures.js';

const open: DuckDbCurSource[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const unblended: CurAggregateRequest = { period: '2026-10', listPrice: 'unblended', granularity: 'service' };
const onDemand: CurAggregateRequest = { ...unblended, listPrice: 'on-demand' };

/** The ConnectorError `aggregate` rejects with. */
async function failure(path: string, request: CurAggregateRequest = unblended): Promise<ConnectorError> {
  const source = new DuckDbCurSource(path, { memoryLimit: '256MB' });
  open.push(source);
  const error = await readAll(source.aggregate(request)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

describe('a value the engine cannot read', () => {
  it('names file, data row (header not counted), original column and value of a non-decimal amount', async () => {
    const dir = await tempDir();
    const path = await writeCsv(join(dir, 'cur.csv'), [row(), row({ cost: '2.5' }), row({ cost: 'abc' }), row({ cost: 'xyz' })], { extra: true });
    const error = await failure(path);
    expect(error.code).toBe('CUR_INPUT');
    expect(error.where).toEqual({ file: path, row: 3, column: 'lineItem/UnblendedCost', value: 'abc' });
    expect(error.message).toContain(`CUR file ${path}, row 3`);
    expect(error.message).toContain('lineItem/UnblendedCost');
    expect(error.message).toContain('"abc" is not a decimal number');
  });

  it('finds the first bad row across a folder, in a gzip file', async () => {
    const dir = await tempDir();
    await writeCsv(join(dir, 'a.csv'), [row(), row()]);
    const bad = await writeCsv(join(dir, 'b.csv.gz'), [row(), row({ cost: '1,234.50' }), row({ cost: 'NaN' })], { style: 'snake', gzip: true });
    const error = await failure(dir);
    expect(error.where).toEqual({ file: bad, row: 2, column: 'line_item_unblended_cost', value: '1,234.50' });
  });

  it('names an amount that is a number but out of DECIMAL(38, 12) range', async () => {
    const dir = await tempDir();
    const path = await writeCsv(join(dir, 'cur.csv'), [row(), row({ cost: '1e30' })]);
    const error = await failure(path);
    expect(error.where).toMatchObject({ row: 2, column: 'lineItem/UnblendedCost', value: '1e30' });
  });

  it('returns a billing period start that is not a date as its own period, and locate() names its row', async () => {
    const dir = await tempDir();
    const path = await writeCsv(join(dir, 'cur.csv'), [row(), row({ period: '2026-13-01T00:00:00Z' })]);
    const source = new DuckDbCurSource(path);
    open.push(source);
    const result = await readAll(source.aggregate(unblended));
    expect([...new Set(result.groups.map((g) => g.periodStart))].sort()).toEqual(['2026-10-01', '2026-13-01']);
    const hit = await source.locate(result.groups[0]!.payerAccountId, { kind: 'period-not', period: '2026-10' });
    expect(hit).toEqual({ file: path, row: 2, column: 'bill/BillingPeriodStartDate', value: '2026-13-01T00:00:00Z' });
  });

  it('checks the on-demand cost only in on-demand mode', async () => {
    const dir = await tempDir();
    const path = await writeCsv(join(dir, 'cur.csv'), [row({ onDemand: 'n/a' })]);
    const source = new DuckDbCurSource(path);
    open.push(source);
    expect((await readAll(source.aggregate(unblended))).rowsRead).toBe(1);
    const error = await failure(path, onDemand);
    expect(error.where).toMatchObject({ row: 1, column: 'pricing/publicOnDemandCost', value: 'n/a' });
  });
});

describe('columns', () => {
  it('rejects a file without a required column, naming file and column', async () => {
    const dir = await tempDir();
    const path = await writeCsv(join(dir, 'cur.csv'), [row()], { columns: REQUIRED_FIELDS.filter((f) => f !== 'entity') });
    const error = await failure(path);
    expect(error.code).toBe('CUR_INPUT');
    expect(error.where).toEqual({ file: path, column: 'bill_billing_entity' });
    expect(error.message).toContain(path);
    expect(error.message).toContain('bill_billing_entity');
  });

  it('requires the public on-demand cost column in on-demand mode only', async () => {
    const dir = await tempDir();
    const path = await writeCsv(join(dir, 'cur.csv'), [row()], { columns: REQUIRED_FIELDS });
    const error = await failure(path, onDemand);
    expect(error.code).toBe('CUR_INPUT');
    expect(error.where).toEqual({ file: path, column: 'pricing_public_on_demand_cost' });
    const source = new DuckDbCurSource(path);
    open.push(source);
    expect((await readAll(source.aggregate(unblended))).rowsRead).toBe(1);
  });

  it('rejects a row with the wrong number of cells, naming the file', async () => {
    const dir = await tempDir();
    await writeCsv(join(dir, 'a.csv'), [row()]);
    const broken = join(dir, 'b.csv');
    await writeFile(broken, `${csvText([row()])}1,2,3\n`);
    const error = await failure(dir);
    expect(error.code).toBe('CUR_INPUT');
    expect(error.where.file).toBe(broken);
  });
});

describe('empty and unusable input', () => {
  it('rejects a 0-byte file as CUR_EMPTY naming it', async () => {
    const dir = await tempDir();
    await writeCsv(join(dir, 'a.csv'), [row()]);
    await writeFile(join(dir, 'b.csv'), '');
    const error = await failure(dir);
    expect(error.code).toBe('CUR_EMPTY');
    expect(error.where.file).toBe(join(dir, 'b.csv'));
  });

  it('rejects a gzip file holding nothing as CUR_EMPTY naming it', async () => {
    const dir = await tempDir();
    const path = await writeCsv(join(dir, 'a.csv.gz'), [], { gzip: true, columns: [] });
    const error = await failure(path);
    expect(error.code).toBe('CUR_EMPTY');
    expect(error.where.file).toBe(path);
  });

  it('rejects input with a header but no rows as CUR_EMPTY', async () => {
    const dir = await tempDir();
    const path = await writeCsv(join(dir, 'a.csv'), []);
    expect((await failure(path)).code).toBe('CUR_EMPTY');
  });

  it('rejects a folder with no CUR file as CUR_EMPTY naming the folder', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'manifest.json'), '{}');
    const error = await failure(dir);
    expect(error.code).toBe('CUR_EMPTY');
    expect(error.where.file).toBe(dir);
  });

  it('rejects a path that does not exist', async () => {
    const dir = await tempDir();
    const error = await failure(join(dir, 'nope.csv'));
    expect(error.code).toBe('CUR_INPUT');
  });

  it('rejects a folder mixing CSV and Parquet, naming the folder and an example of each', async () => {
    const dir = await tempDir();
    const csv = await writeCsv(join(dir, 'a.csv'), [row()]);
    await mkdir(join(dir, 'p'));
    const parquet = join(dir, 'p', 'b.parquet');
    await duckdb(`COPY (SELECT 1 AS x) TO ${lit(parquet)} (FORMAT parquet)`);
    const error = await failure(dir);
    expect(error.code).toBe('CUR_INPUT');
    expect(error.where.file).toBe(dir);
    expect(error.message).toContain(csv);
    expect(error.message).toContain(parquet);
  });
});
