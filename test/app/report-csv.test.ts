/**
 * report.csv read back with csv-parse, as a spreadsheet would read it: one row
 * per customer and service, amounts that add up to the report's totals, text
 * cells that stay text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvField, REPORT_CSV_COLUMNS, reportCsv, reportCsvChunks } from '../../src/app/report-csv.js';
import type { Json } from '../../src/app/report-view.js';
import { money, sum } from '../../src/domain/money.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'report-with-margin.json');
const withMargin = (): Json => JSON.parse(readFileSync(FIXTURE, 'utf8')) as Json;

function plain(): Json {
  const { margin: _margin, lines: _lines, ...report } = withMargin();
  return { ...report, accounts: (report.accounts as Json[]).map(({ services: _s, costNote: _c, ...a }) => a) };
}

type Row = Record<(typeof REPORT_CSV_COLUMNS)[number], string>;
const rowsOf = (csv: string): Row[] => parse(csv, { bom: true, columns: true, relax_column_count: false }) as Row[];
const billedOf = (rows: Row[], accountId?: string): string =>
  sum(rows.filter((r) => accountId === undefined || r.account_id === accountId).map((r) => money(r.billed))).toFixed(2);

describe('reportCsv()', () => {
  it('starts with a byte order mark and the header, and ends each record with CRLF', async () => {
    const csv = await reportCsv(withMargin());
    expect(csv.startsWith(`\uFEFF${REPORT_CSV_COLUMNS.join(',')}\r\n`)).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it('has one row per customer and service, then support, then lines, named and identified', async () => {
    const rows = rowsOf(await reportCsv(withMargin()));
    expect(rows.map((r) => [r.account_id, r.customer, r.section, r.kind, r.product_code])).toEqual([
      ['222222222222', 'Acme <Corp> & Co', 'services', 'aws', 'AmazonEC2'],
      ['222222222222', 'Acme <Corp> & Co', 'services', 'marketplace', 'prod-abc123xyz'],
      ['222222222222', 'Acme <Corp> & Co', 'support', 'support', 'support'],
      ['222222222222', 'Acme <Corp> & Co', 'lines', 'fee', 'custom-line'],
      ['222222222222', 'Acme <Corp> & Co', 'lines', 'credit', 'credit'],
      ['333333333333', '', 'services', 'aws', 'AmazonS3'],
    ]);
    expect(new Set(rows.map((r) => `${r.payer_account_id} ${r.period} ${r.currency}`))).toEqual(new Set(['111111111111 2026-10 EUR']));
  });

  it("adds up, per customer and in all, to the report's billed totals", async () => {
    const report = withMargin();
    const rows = rowsOf(await reportCsv(report));
    expect(billedOf(rows)).toBe(report.billedTotal);
    for (const account of report.accounts as Json[]) expect(billedOf(rows, String(account.accountId))).toBe(account.billedTotal);
    // The same without the margin's breakdown: one row per record.
    const records = rowsOf(await reportCsv(plain()));
    expect(records).toHaveLength(6);
    expect(billedOf(records)).toBe(report.billedTotal);
  });

  it("carries each service's cost, billed and margin in USD and its percent", async () => {
    const rows = rowsOf(await reportCsv(withMargin()));
    expect(rows[0]).toMatchObject({ billed: '1234567.89', aws_cost_usd: '1199900.00', billed_usd: '1341921.62', margin_usd: '142021.62', margin_percent: '10.6', record_id: '2026-10-222222222222-AmazonEC2-aaaa' });
    expect(rows[2]).toMatchObject({ section: 'support', billed: '101.20', aws_cost_usd: '', margin_usd: '' });
    expect(rows[4]).toMatchObject({ billed: '-50.00', service: 'Welcome credit' });
    expect(rows.map((r) => r.cost_note)).toEqual(['', '', '', '', '', '2 rows without a cost (Savings Plans): not told']);
  });

  it('rounds amounts to the currency decimals without grouping (a spreadsheet reads them as numbers)', async () => {
    const report = { ...plain(), settings: { amountDecimals: 0 } };
    const rows = rowsOf(await reportCsv(report));
    expect(rows[0]?.billed).toBe('1234568');
    expect(rows.every((r) => !r.billed.includes(','))).toBe(true);
  });

  it('neutralises text a spreadsheet would take for a formula, and quotes what needs quoting', async () => {
    const report = withMargin();
    const accounts = report.accounts as Json[];
    accounts[1] = { ...accounts[1], customer: '@SUM(1+1)', assetId: '-AS-1' };
    const csv = await reportCsv(report);
    const rows = rowsOf(csv);
    expect(rows[1]?.service).toBe(`'=HYPERLINK("http://x","y") Analytics`);
    expect(csv).toContain(`"'=HYPERLINK(""http://x"",""y"") Analytics"`);
    expect(rows[2]?.service).toBe('AWS Support (business), table business-until-2026-12-31');
    expect(rows[5]).toMatchObject({ customer: "'@SUM(1+1)", asset_id: "'-AS-1" });
    // Amounts are numbers, not text: a negative credit keeps its sign.
    expect(rows[4]?.billed).toBe('-50.00');
  });

  it('has only the header for a failed month', async () => {
    const csv = await reportCsv({ status: 'failed', payerAccountId: '111111111111', period: '2026-10', errors: [] });
    expect(csv).toBe(`\uFEFF${REPORT_CSV_COLUMNS.join(',')}\r\n`);
  });
});

describe('reportCsvChunks()', () => {
  it('reads the accounts once, one at a time, and gives the same text as the whole report', async () => {
    const report = withMargin();
    const entries = report.accounts as Json[];
    const seen: string[] = [];
    const accounts = async function* (): AsyncGenerator<Json> {
      for (const e of entries) {
        seen.push(String(e.accountId));
        yield e;
      }
    };
    let csv = '';
    for await (const chunk of reportCsvChunks({ ...report, accounts: [] }, accounts())) csv += chunk;
    expect(seen).toEqual(['222222222222', '333333333333']);
    expect(csv).toBe(await reportCsv(report));
  });
});

describe('csvField()', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r', '"cr\r"'],
    ['', ''],
  ])('%j → %j', (input, output) => {
    expect(csvField(input)).toBe(output);
  });
});
