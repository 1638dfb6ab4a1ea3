/**
 * Bad input through the whole dry run: errors name file, row, column or setting;
 * one bad payer never stops the others; a failed payer writes no workbook.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { failureOf, runCli, tempDir, writeJson } from '../support/run-cli.js';

const HEADER = ['bill/PayerAccountId', 'bill/BillingPeriodStartDate', 'lineItem/UsageAccountId', 'lineItem/LineItemType', 'lineItem/ProductCode', 'bill/BillingEntity', 'lineItem/UnblendedCost', 'lineItem/CurrencyCode'];
type Row = Partial<Record<'payer' | 'start' | 'account' | 'type' | 'product' | 'entity' | 'cost' | 'currency', string>>;
const line = (r: Row): string =>
  [r.payer ?? '111111111111', r.start ?? '2026-10-01T00:00:00.000Z', r.account ?? '222222222222', r.type ?? 'Usage', r.product ?? 'AmazonEC2', r.entity ?? 'AWS', r.cost ?? '1.5', r.currency ?? 'USD'].map((v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',');

async function curFile(dir: string, name: string, rows: Row[], header = HEADER): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${[header.join(','), ...rows.map(line)].join('\n')}\n`);
  return path;
}

async function setup(payers: Record<string, unknown>[] = [{ accountId: '111111111111' }, { accountId: '999999999999' }]) {
  const dir = await tempDir();
  const config = await writeJson(dir, 'config.json', { payers });
  return { dir, config, out: join(dir, 'out') };
}

describe('rate --dry-run with bad CUR input', () => {
  it('names file, row, column and value of a non-decimal amount, and rates nothing', async () => {
    const { dir, config, out } = await setup();
    const cur = await curFile(dir, 'cur.csv', [{}, {}, { cost: '12,50' }]);
    const run = await runCli({ cur, config, billAllAccounts: true, out });
    expect(failureOf(run)?.code).toBe('CUR_INPUT');
    expect(failureOf(run)?.where).toMatchObject({ file: cur, row: 3, column: 'lineItem/UnblendedCost', value: '12,50' });
    expect(failureOf(run)?.message).toContain('cur.csv');
    // Nothing rated: no workbook, and the run's report says it failed and why.
    expect(existsSync(join(out, '111111111111', '2026-10', 'usage.xlsx'))).toBe(false);
    const report = JSON.parse(await readFile(join(out, '111111111111', '2026-10', 'report.json'), 'utf8')) as { status: string; errors: Array<{ code: string }> };
    expect(report).toMatchObject({ status: 'failed', errors: [{ code: 'CUR_INPUT' }] });
  });

  it.each(['1_000', 'abc', '1,5', 'NaN', '--1'])('refuses the amount %j, naming it', async (bad) => {
    const { dir, config, out } = await setup();
    const cur = await curFile(dir, 'cur.csv', [{}, { cost: bad }]);
    const run = await runCli({ cur, config, billAllAccounts: true, out });
    expect(failureOf(run)?.code).toBe('CUR_INPUT');
    expect(failureOf(run)?.where).toMatchObject({ row: 2, column: 'lineItem/UnblendedCost', value: bad });
  });

  it('names a missing required column and the file', async () => {
    const { dir, config, out } = await setup();
    const header = HEADER.filter((h) => h !== 'bill/BillingEntity');
    const path = join(dir, 'cur.csv');
    await writeFile(path, `${header.join(',')}\n111111111111,2026-10-01,222222222222,Usage,AmazonEC2,1,USD\n`);
    const run = await runCli({ cur: path, config, billAllAccounts: true, out });
    expect(failureOf(run)?.code).toBe('CUR_INPUT');
    expect(failureOf(run)?.message).toContain('bill_billing_entity');
    expect(failureOf(run)?.where.file).toBe(path);
  });

  it('fails the payer with a row of another month, naming file and row; the other payer is rated', async () => {
    const { dir, config, out } = await setup();
    const cur = await curFile(dir, 'cur.csv', [{}, { start: '2026-09-01T00:00:00.000Z' }, { payer: '999999999999' }]);
    const run = await runCli({ cur, config, billAllAccounts: true, out });
    expect(run.error).toBeUndefined();
    const failed = run.result?.payers.find((p) => p.payerAccountId === '111111111111');
    expect(failed?.ok).toBe(false);
    expect(failed?.errors[0]).toMatchObject({ code: 'PERIOD_MISMATCH', where: { file: cur, row: 2, column: 'bill/BillingPeriodStartDate' } });
    expect(existsSync(join(out, '111111111111', '2026-10', 'usage.xlsx'))).toBe(false);
    const report = JSON.parse(await readFile(join(out, '111111111111', '2026-10', 'report.json'), 'utf8')) as { status: string; errors: unknown[] };
    expect(report.status).toBe('failed');
    expect(run.result?.payers.find((p) => p.payerAccountId === '999999999999')?.ok).toBe(true);
    expect(existsSync(join(out, '999999999999', '2026-10', 'usage.xlsx'))).toBe(true);
  });

  it('fails the payer on a non-USD currency code, naming the row', async () => {
    const { dir, config, out } = await setup();
    const cur = await curFile(dir, 'cur.csv', [{}, {}, {}, { currency: 'EUR' }]);
    const run = await runCli({ cur, config, billAllAccounts: true, out });
    const p = run.result?.payers[0];
    expect(p?.ok).toBe(false);
    expect(p?.errors[0]).toMatchObject({ code: 'CURRENCY_NOT_USD', where: { row: 4, column: 'lineItem/CurrencyCode', value: 'EUR' } });
  });

  it('refuses an empty file, naming it', async () => {
    const { dir, config, out } = await setup();
    const path = join(dir, 'empty.csv');
    await writeFile(path, '');
    const run = await runCli({ cur: path, config, billAllAccounts: true, out });
    expect(failureOf(run)?.code).toBe('CUR_EMPTY');
    expect(failureOf(run)?.message).toContain('empty.csv');
  });

  it('refuses a folder that mixes CSV and Parquet', async () => {
    const { dir, config, out } = await setup();
    const folder = join(dir, 'mixed');
    await mkdir(folder);
    await curFile(folder, 'a.csv', [{}]);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(`COPY (SELECT '111111111111' AS bill_payer_account_id) TO '${join(folder, 'b.parquet')}' (FORMAT parquet)`);
    connection.closeSync();
    instance.closeSync();
    const run = await runCli({ cur: folder, config, billAllAccounts: true, out });
    expect(failureOf(run)?.code).toBe('CUR_INPUT');
    expect(failureOf(run)?.message).toMatch(/CSV.*Parquet|Parquet.*CSV/i);
  });
});

describe('rate --dry-run with bad settings', () => {
  it('fails only the payer whose markup is not a decimal, naming parameter and value', async () => {
    const { dir, config, out } = await setup([{ accountId: '111111111111', customMarkup: '1,1' }, { accountId: '999999999999', customMarkup: '1.2' }]);
    const cur = await curFile(dir, 'cur.csv', [{ cost: '10' }, { payer: '999999999999', cost: '10' }]);
    const run = await runCli({ cur, config, billAllAccounts: true, out });
    const [bad, good] = run.result?.payers ?? [];
    expect(bad).toMatchObject({ payerAccountId: '111111111111', ok: false });
    expect(bad?.errors[0]?.message).toContain('customMarkup "1,1"');
    expect(good).toMatchObject({ payerAccountId: '999999999999', ok: true });
    expect(good?.rated?.billedTotal).toBe('132.00'); // (10 usage + 100 business support minimum: bill-all accounts default to business) × 1.2
    expect(existsSync(join(out, '111111111111', '2026-10', 'usage.xlsx'))).toBe(false);
  });

  it('fails a EUR payer without fxRate', async () => {
    const { dir, config, out } = await setup([{ accountId: '111111111111', marketplaceCurrency: 'EUR' }]);
    const run = await runCli({ cur: await curFile(dir, 'cur.csv', [{}]), config, billAllAccounts: true, out });
    expect(run.result?.payers[0]?.errors[0]).toMatchObject({ code: 'FX_INVALID', where: { setting: 'fxRate' } });
  });

  it('names a payer that is in the CUR but not in the configuration, and rates the configured one', async () => {
    const { dir, config, out } = await setup([{ accountId: '111111111111' }]);
    const run = await runCli({ cur: await curFile(dir, 'cur.csv', [{}, { payer: '333333333333' }]), config, billAllAccounts: true, out });
    expect(run.result?.payers.map((p) => [p.payerAccountId, p.ok, p.errors[0]?.code])).toEqual([['111111111111', true, undefined]]);
    expect(run.stderr).toContain("payer 333333333333 is in the CUR but not in the configuration's payers[]: its rows were not rated");
  });

  it('lists every configuration problem at once, naming the file and setting', async () => {
    const dir = await tempDir();
    const config = await writeJson(dir, 'config.json', { payers: [{ accountId: '12', fxRate: 0.92 }], rating: { listPrice: 'cheap', amountDecimals: -1 } });
    const run = await runCli({ cur: 'fixtures/cur/demo-2026-10', config, billAllAccounts: true, out: dir });
    expect(failureOf(run)?.code).toBe('CONFIG_INVALID');
    const message = failureOf(run)?.message ?? '';
    expect(message).toContain('payers[0].accountId');
    expect(message).toContain('payers[0].fxRate: fxRate must be a quoted decimal string');
    expect(message).toContain('rating.listPrice');
    expect(message).toContain('rating.amountDecimals');
    expect(message).toContain(config);
  });

  it('takes at most one of --assets and --bill-all-accounts, and without either needs the platform', async () => {
    const both = await runCli({ cur: 'fixtures/cur/demo-2026-10', config: 'fixtures/demo.config.json', assets: 'fixtures/demo.assets.json', billAllAccounts: true, out: await tempDir() });
    expect(failureOf(both)?.message).toContain('at most one of --assets');
    const neither = await runCli({ cur: 'fixtures/cur/demo-2026-10', config: 'fixtures/demo.config.json', out: await tempDir() });
    expect(failureOf(neither)?.message).toContain('subscriptions come from the platform unless --assets or --bill-all-accounts is given');
  });

  it('names an assets file with two billable subscriptions for one account', async () => {
    const { dir, config, out } = await setup([{ accountId: '111111111111' }]);
    const assets = await writeJson(dir, 'assets.json', [
      { assetId: 'AS-1', accountId: '222222222222', supportLevel: 'basic', status: 'active' },
      { assetId: 'AS-2', accountId: '222222222222', supportLevel: 'basic', status: 'active' },
    ]);
    const run = await runCli({ cur: await curFile(dir, 'cur.csv', [{}]), config, assets, out });
    expect(run.result?.payers[0]?.errors[0]?.message).toContain('two billable subscriptions: AS-1 and AS-2');
  });
});
