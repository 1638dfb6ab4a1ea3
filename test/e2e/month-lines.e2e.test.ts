/**
 * Custom lines end to end (MARGIN.md §4–§6): a dry run with `--lines`, and a
 * flat credit of the state database carried across two months and a reprocess
 * that consumes exactly what the first version consumed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReprocess } from '../../src/cli/reprocess.command.js';
import { money, sum } from '../../src/domain/money.js';
import { openStateDatabase } from '../../src/store/database.js';
import { SqliteCustomLineStore } from '../../src/store/custom-lines.store.js';
import { readWorkbookText } from '../support/read-workbook.js';
import { FIXED_NOW, defaultStatePath, failureOf, runCli, tempDir, writeJson } from '../support/run-cli.js';

const PAYER = '111111111111';

interface LineEntry {
  id: string;
  kind: string;
  accountId: string;
  amount: string;
  remainingAfter?: string;
}
interface Report {
  status: string;
  billedTotal: string;
  records: number;
  lines: LineEntry[];
  reconciliation: { lines?: { fees: string; credits: string; ratedBilled: string; fileTotal: string; holds: boolean } };
  accounts: Array<{ accountId: string; billedTotal: string; records: Array<{ recordId: string; kind: string; billed: string; note: string }> }>;
}

const readReport = async (path: string): Promise<Report> => JSON.parse(await readFile(path, 'utf8')) as Report;

describe('rate --dry-run --lines <file.json>', () => {
  it('bills the file\'s fees and credits as records of their own, in the workbook, the report and the reconciliation', async () => {
    const dir = await tempDir();
    const config = await writeJson(dir, 'c.json', { ...(JSON.parse(await readFile('fixtures/demo.config.json', 'utf8')) as object), items: { awsUsageMpn: 'AWS_USAGE', marketplaceUsageMpn: 'AWS_MARKETPLACE_USAGE', supportMpn: 'AWS_SUPPORT', customLineMpn: 'CUSTOM_LINE' } });
    const lines = await writeJson(dir, 'lines.json', [
      { id: 'mgmt', kind: 'fee', payerAccountId: PAYER, amount: '49.90', from: '2026-10', description: 'Managed service fee' },
      { id: 'welcome', kind: 'credit', assetId: 'AS-0001-0002', amount: '100000', remaining: '250.00', from: '2026-01', description: '=HYPERLINK("http://x") welcome credit' },
      { id: 'loyalty', kind: 'credit', assetId: 'AS-0001-0001', percent: '5', of: 'marketplace', from: '2026-10', to: '2026-10', description: 'Loyalty credit' },
      { id: 'ended', kind: 'fee', payerAccountId: PAYER, amount: '1', from: '2026-01', to: '2026-09', description: 'Not this month' },
    ]);
    const out = join(dir, 'out');
    const run = await runCli({ config, out, cur: 'fixtures/cur/demo-2026-10', assets: 'fixtures/demo.assets.json', lines });
    expect(failureOf(run)).toBeUndefined();
    const report = await readReport(join(out, PAYER, '2026-10', 'report.json'));
    expect(report.status).toBe('ok');

    // One fee per billed customer (3 active assets), the flat credit from its remaining, the percent credit.
    const fees = report.lines.filter((l) => l.id === 'mgmt');
    expect(fees.map((l) => l.amount)).toEqual(['49.90', '49.90', '49.90']);
    expect(report.lines.find((l) => l.id === 'welcome')).toEqual({ id: 'welcome', kind: 'credit', accountId: '333333333333', amount: '-250.00', remainingAfter: '0.00' });
    const loyalty = report.lines.find((l) => l.id === 'loyalty');
    expect(loyalty).toMatchObject({ kind: 'credit', accountId: '222222222222' });
    expect(report.lines.some((l) => l.id === 'ended')).toBe(false);

    // The loyalty credit is 5 % of the customer's rounded Marketplace records, rounded once.
    const acme = report.accounts.find((a) => a.accountId === '222222222222');
    const marketplace = sum((acme?.records ?? []).filter((r) => r.kind === 'marketplace').map((r) => money(r.billed)));
    expect(loyalty?.amount).toBe(marketplace.times('0.05').toDecimalPlaces(2).negated().toFixed(2));

    // MARGIN.md §5: file total = rated + fees + credits, and the workbook holds exactly those records.
    const recon = report.reconciliation.lines;
    expect(recon?.holds).toBe(true);
    expect(money(recon?.ratedBilled ?? '').plus(money(recon?.fees ?? '')).plus(money(recon?.credits ?? '')).toFixed(2)).toBe(report.billedTotal);
    expect(recon?.fees).toBe('149.70');
    const book = readWorkbookText(await readFile(join(out, PAYER, '2026-10', 'usage.xlsx')));
    expect(book.records).toHaveLength(report.records);
    expect(sum(book.records.map((r) => money(r['amount'] ?? ''))).toFixed(2)).toBe(report.billedTotal);
    const lineRows = book.records.filter((r) => (r['record_id'] ?? '').includes('-line-'));
    expect(lineRows.map((r) => [r['record_id'], r['category_id'], r['item_search_value']]).sort()).toEqual(
      [
        [`${PAYER}-2026-10-222222222222-line-loyalty`, 'credits', 'CUSTOM_LINE'],
        [`${PAYER}-2026-10-222222222222-line-mgmt`, 'custom_lines', 'CUSTOM_LINE'],
        [`${PAYER}-2026-10-333333333333-line-mgmt`, 'custom_lines', 'CUSTOM_LINE'],
        [`${PAYER}-2026-10-333333333333-line-welcome`, 'credits', 'CUSTOM_LINE'],
        [`${PAYER}-2026-10-444444444444-line-mgmt`, 'custom_lines', 'CUSTOM_LINE'],
      ].sort(),
    );
    // The description is the note, neutralised like every text cell.
    expect(lineRows.find((r) => r['record_id']?.endsWith('-line-welcome'))).toMatchObject({ record_note: `'=HYPERLINK("http://x") welcome credit`, amount: '-250' });
    expect(book.categories.map((c) => c['category_id'])).toEqual(expect.arrayContaining(['custom_lines', 'credits']));
  });

  it('refuses a lines file naming an unknown asset before any payer runs', async () => {
    const dir = await tempDir();
    const lines = await writeJson(dir, 'lines.json', [{ id: 'x', kind: 'fee', assetId: 'AS-404', amount: '5', from: '2026-10', description: 'x' }]);
    const out = join(dir, 'out');
    const run = await runCli({ config: 'fixtures/demo.config.json', out, cur: 'fixtures/cur/demo-2026-10', assets: 'fixtures/demo.assets.json', lines });
    expect(run.error?.code).toBe('CONFIG_INVALID');
    expect(run.error?.message).toContain(`line x: assetId "AS-404"`);
    expect(run.error?.message).toContain(`the lines file ${lines}`);
    expect(run.result).toBeUndefined();
  });

  it('refuses --lines without --dry-run', async () => {
    const dir = await tempDir();
    const lines = await writeJson(dir, 'lines.json', []);
    const run = await runCli({ config: 'fixtures/demo.config.json', out: join(dir, 'out'), cur: 'fixtures/cur/demo-2026-10', assets: 'fixtures/demo.assets.json', lines, dryRun: false });
    expect(run.error?.message).toContain(`--lines "${lines}" is for a dry run (add --dry-run)`);
  });
});

/** A two-row CUR of one month: 300 USD of EC2 for account 222222222222 (markup 1, USD). */
async function month(dir: string, period: string, usd: string): Promise<string> {
  const file = join(dir, `cur-${period}.csv`);
  await writeFile(
    file,
    [
      'bill_payer_account_id,bill_billing_period_start_date,line_item_usage_account_id,line_item_line_item_type,line_item_product_code,bill_billing_entity,line_item_unblended_cost,product_product_name',
      `${PAYER},${period}-01T00:00:00Z,222222222222,Usage,AmazonEC2,AWS,${usd},Amazon Elastic Compute Cloud`,
      `${PAYER},${period}-01T00:00:00Z,222222222222,Usage,AmazonS3,AWS,0,Amazon Simple Storage Service`,
    ].join('\n'),
  );
  return file;
}

describe('a flat credit of the state database across months', () => {
  it('carries what a month could not use, and a reprocess consumes exactly what the first version did', async () => {
    const dir = await tempDir();
    const out = join(dir, 'out');
    const statePath = defaultStatePath(out);
    const config = await writeJson(dir, 'c.json', { payers: [{ accountId: PAYER }] });
    const assets = await writeJson(dir, 'assets.json', [{ assetId: 'AS-1', accountId: '222222222222', status: 'active', supportLevel: 'basic' }]);
    const state = openStateDatabase(statePath);
    new SqliteCustomLineStore(state.db).add({ id: 'welcome', kind: 'credit', assetId: 'AS-1', amount: '500', from: '2026-10', description: 'Welcome credit' }, 'alice', FIXED_NOW);
    state.close();
    const october = await month(dir, '2026-10', '300');
    const november = await month(dir, '2026-11', '120');

    const oct = await runCli({ config, out, cur: october, assets, period: '2026-10', statePath });
    expect(failureOf(oct)).toBeUndefined();
    const octReport = await readReport(join(out, PAYER, '2026-10', 'report.json'));
    expect(octReport.lines).toEqual([{ id: 'welcome', kind: 'credit', accountId: '222222222222', amount: '-300.00', remainingAfter: '200.00' }]);
    expect(octReport.billedTotal).toBe('0.00');

    const nov = await runCli({ config, out, cur: november, assets, period: '2026-11', statePath });
    expect(failureOf(nov)).toBeUndefined();
    const novReport = await readReport(join(out, PAYER, '2026-11', 'report.json'));
    expect(novReport.lines).toEqual([{ id: 'welcome', kind: 'credit', accountId: '222222222222', amount: '-120.00', remainingAfter: '80.00' }]);

    // October again, after November used its part: the same 300 as its first version, not the 80 left now.
    const io = { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW, sleep: async () => undefined };
    const again = await runReprocess({ period: '2026-10', payer: PAYER, config, cur: october, assets, out, dryRun: true, statePath }, io, { variables: {} });
    expect(again.result.kind).toBe('done');
    expect(again.result.run.version).toBe(2);
    const v2 = await readReport(join(out, PAYER, '2026-10', 'v2', 'report.json'));
    expect(v2.lines).toEqual(octReport.lines);
    expect(again.diff?.rows).toEqual([]);
    // November again: it opens with the 200 its first version opened with, not the 80 it left.
    const novAgain = await runReprocess({ period: '2026-11', payer: PAYER, config, cur: november, assets, out, dryRun: true, statePath }, io, { variables: {} });
    expect(novAgain.result.kind).toBe('done');
    expect((await readReport(join(out, PAYER, '2026-11', 'v2', 'report.json'))).lines).toEqual(novReport.lines);

    // And December opens with what November left.
    const december = await month(dir, '2026-12', '1000');
    await runCli({ config, out, cur: december, assets, period: '2026-12', statePath });
    const decReport = await readReport(join(out, PAYER, '2026-12', 'report.json'));
    expect(decReport.lines).toEqual([{ id: 'welcome', kind: 'credit', accountId: '222222222222', amount: '-80.00', remainingAfter: '0.00' }]);
    expect(decReport.billedTotal).toBe('920.00');
  });
});
