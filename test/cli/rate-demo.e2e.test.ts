/**
 * The dry run end to end on the bundled fixtures: CUR files in, workbook and
 * report out, read back independently (exceljs, csv-parse, decimal.js).
 */
import { createReadStream, existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { Money, money, sum } from '../../src/domain/money.js';
import { runCli, tempDir, writeJson } from '../support/run-cli.js';

const DEMO_CUR = 'fixtures/cur/demo-2026-10';
const DEMO_CONFIG = 'fixtures/demo.config.json';
const DEMO_ASSETS = 'fixtures/demo.assets.json';
const SAMPLE = '../shared/data/aws-cur-legacy-sample-2023-11.csv';

/** Σ lineItem/UnblendedCost of CSV files, computed without the engine. */
async function independentTotal(paths: string[], column = 'lineItem/UnblendedCost'): Promise<Money> {
  let total = new Money(0);
  for (const path of paths) {
    const input = path.endsWith('.gz') ? createReadStream(path).pipe(createGunzip()) : createReadStream(path);
    for await (const row of input.pipe(parse({ columns: true })) as AsyncIterable<Record<string, string>>) {
      total = total.plus(money(row[column] ?? ''));
    }
  }
  return total;
}

type Report = Record<string, any>;
async function readReport(out: string, payer: string, period: string): Promise<Report> {
  return JSON.parse(await readFile(join(out, payer, period, 'report.json'), 'utf8')) as Report;
}

/** The identity of RATING.md §8, recomputed from the report alone. */
function identityHolds(report: Report): boolean {
  const r = report.reconciliation;
  const buckets = sum([money(r.ratedUnblendedUsd), money(r.unassignedUsd), ...Object.values(r.excludedUsd as Record<string, string>).map(money)]);
  return r.holds === true && buckets.equals(money(r.curTotalUsd)) && money(r.ratedListUsd).equals(money(r.ratedUnblendedUsd).plus(money(r.onDemandUpliftUsd)));
}

describe('rate --dry-run on the demo month', () => {
  it('writes a workbook and a report whose totals reconcile with the CUR files', async () => {
    const out = await tempDir();
    const run = await runCli({ cur: DEMO_CUR, config: DEMO_CONFIG, assets: DEMO_ASSETS, out });
    expect(run.error).toBeUndefined();
    expect(run.result?.payers.map((p) => [p.payerAccountId, p.ok])).toEqual([['111111111111', true]]);

    const report = await readReport(out, '111111111111', '2026-10');
    const files = (await readdir(DEMO_CUR)).map((f) => join(DEMO_CUR, f));
    expect(money(report.reconciliation.curTotalUsd).equals(await independentTotal(files))).toBe(true);
    expect(identityHolds(report)).toBe(true);
    expect(report).toMatchObject({ status: 'ok', payerAccountId: '111111111111', period: '2026-10', currency: 'EUR', fxRate: '0.92', listPrice: 'unblended' });
    expect(report.markups.customMarkup).toEqual({ given: '1.1', applied: '1.1' });
    expect(report.unassigned.map((u: { accountId: string }) => u.accountId)).toEqual(['111111111111', '555555555555']);
    expect(report.supportPlanMismatches).toContainEqual({ accountId: '444444444444', ordered: 'business', detected: 'enterprise' });

    // Account totals are sums of their rounded records; the file total is the sum of the accounts.
    for (const account of report.accounts) {
      expect(sum(account.records.map((r: { billed: string }) => money(r.billed))).equals(money(account.billedTotal))).toBe(true);
    }
    expect(sum(report.accounts.map((a: { billedTotal: string }) => money(a.billedTotal))).equals(money(report.billedTotal))).toBe(true);

    // The workbook, read back with exceljs: sheets by name, header order, amounts.
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(join(out, '111111111111', '2026-10', 'usage.xlsx'));
    const sheet = workbook.getWorksheet('usage_records');
    expect(sheet).toBeDefined();
    expect(workbook.getWorksheet('categories')).toBeDefined();
    const rows: unknown[][] = [];
    sheet?.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    expect(rows[0]).toEqual([
      'record_id', 'record_note', 'item_search_criteria', 'item_search_value', 'amount', 'quantity', 'start_time_utc', 'end_time_utc',
      'asset_search_criteria', 'asset_search_value', 'item_name', 'item_mpn', 'item_precision', 'item_unit', 'category_id', 'asset_recon_id', 'tier', 'v.marketplace_service',
    ]);
    const data = rows.slice(1);
    expect(data).toHaveLength(report.records);
    expect(sum(data.map((r) => money(String(r[4])))).equals(money(report.billedTotal))).toBe(true);
    expect(new Set(data.map((r) => r[5]))).toEqual(new Set([1]));
    expect(new Set(data.map((r) => `${String(r[6])}|${String(r[7])}`))).toEqual(new Set(['2026-10-01 00:00:00|2026-10-31 23:59:59']));
    const marketplace = data.filter((r) => r[17] === 'true');
    expect(marketplace.length).toBeGreaterThan(0);
    expect(marketplace.every((r) => r[3] === 'AWS_MARKETPLACE_USAGE' && r[14] === 'aws_marketplace')).toBe(true);
    const support = data.filter((r) => r[14] === 'aws_support');
    expect(support.map((r) => r[9]).sort()).toEqual(['AS-0001-0001', 'AS-0001-0002', 'AS-0001-0003']);
    // A Marketplace product named "=HYPERLINK(...)" arrives as text, never a formula.
    const notes = data.map((r) => String(r[1]));
    expect(notes).toContain(`'=HYPERLINK("x")  Analytics`);
    expect(notes.some((n) => /^[=+\-@\t\r]/.test(n))).toBe(false);

    // What a person reads: the per-account table and the reconciliation.
    expect(run.stdout).toMatch(/account\s+asset\s+plan\s+list USD\s+support fee USD\s+billed EUR/);
    expect(run.stdout).toContain('holds (exact)');
    expect(run.stderr).toContain('scan');
    // The margin summary agrees with report.json's margin, and the person-readable files are beside it.
    const t = report.margin.totals;
    expect(t).toMatchObject({ awsCostUsd: '32050.55', billedUsd: '19390.50', marginUsd: '-12660.05', billed: report.billedTotal });
    expect(money(t.billedUsd).equals(money(t.awsCostUsd).plus(money(t.marginUsd)))).toBe(true);
    expect(run.stdout).toContain('= 19,390.50 USD = cost 32,050.55 + margin -12,660.05');
    expect(run.stdout).toMatch(/222222222222\s+Acme Corp\s+1,008\.58\s+1,107\.97\s+99\.39\s+9\.0 %/);
    for (const file of ['report.html', 'report.csv']) expect(existsSync(join(out, '111111111111', '2026-10', file)), file).toBe(true);
  });

  it('reconciles in on-demand mode and at usage-type granularity', async () => {
    const dir = await tempDir();
    const config = JSON.parse(await readFile(DEMO_CONFIG, 'utf8')) as Record<string, any>;
    config.rating = { ...config.rating, listPrice: 'on-demand', recordGranularity: 'usage-type' };
    const run = await runCli({ cur: DEMO_CUR, config: await writeJson(dir, 'config.json', config), assets: DEMO_ASSETS, out: dir });
    expect(run.error).toBeUndefined();
    const report = await readReport(dir, '111111111111', '2026-10');
    expect(identityHolds(report)).toBe(true);
    expect(money(report.reconciliation.onDemandUpliftUsd).gt(0)).toBe(true);
    expect(report.reconciliation.excludedUsd.commitment).toBeDefined();
    expect(report.accounts.flatMap((a: { records: { usageType?: string }[] }) => a.records).some((r: { usageType?: string }) => r.usageType !== undefined)).toBe(true);
  });

  it('reads the snake_case fixture like the legacy one', async () => {
    const out = await tempDir();
    const run = await runCli({ cur: 'fixtures/cur/snake-2026-10.csv', config: DEMO_CONFIG, billAllAccounts: true, out });
    expect(run.error).toBeUndefined();
    const report = await readReport(out, '111111111111', '2026-10');
    expect(money(report.reconciliation.curTotalUsd).equals(await independentTotal(['fixtures/cur/snake-2026-10.csv'], 'line_item_unblended_cost'))).toBe(true);
    expect(run.result?.rowsRead).toBe(4);
    expect(identityHolds(report)).toBe(true);
  });
});

describe('rate --dry-run on the public CUR sample (shared/data)', () => {
  it.skipIf(!existsSync(SAMPLE))('rates 1,281 real rows with --bill-all-accounts and reconciles exactly', async () => {
    const dir = await tempDir();
    const config = await writeJson(dir, 'config.json', { payers: [{ accountId: '123412340534', marketplaceCurrency: 'CAD', fxRate: '1.36', customMarkup: '1.08' }] });
    const run = await runCli({ cur: SAMPLE, config, billAllAccounts: true, out: dir, period: '2023-11' });
    expect(run.error).toBeUndefined();
    expect(run.result?.rowsRead).toBe(1281);
    const report = await readReport(dir, '123412340534', '2023-11');
    expect(money(report.reconciliation.curTotalUsd).equals(await independentTotal([SAMPLE]))).toBe(true);
    expect(identityHolds(report)).toBe(true);
    expect(Object.keys(report.reconciliation.excludedUsd)).toContain('Tax');
    expect(existsSync(join(dir, '123412340534', '2023-11', 'usage.xlsx'))).toBe(true);
  });
});
