/**
 * report.html and report.csv beside report.json: the report store writes them
 * from the streamed accounts when the report is finished, with a whole report
 * (a failed month), and writes the page again when the report is annotated.
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderReportStore } from '../../../src/adapters/files/folder-stores.js';
import { failedReport, type PayerReport } from '../../../src/app/report.js';
import { REPORT_CSV_COLUMNS } from '../../../src/app/report-csv.js';
import { accountAnchor } from '../../../src/app/report-page.js';
import { tempDir } from '../../support/run-cli.js';

let out: string;
const key = { payerAccountId: '111111111111', period: '2026-10', version: 1 };
const folder = (): string => join(out, '111111111111', '2026-10');

beforeEach(async () => {
  out = await tempDir('nr-readings-');
});

afterEach(async () => {
  await rm(out, { recursive: true, force: true });
});

function head(extra: Record<string, unknown> = {}): PayerReport {
  return {
    reportVersion: 1,
    status: 'ok',
    payerAccountId: '111111111111',
    period: '2026-10',
    generatedAt: '2026-11-05T00:00:00.000Z',
    source: 'test',
    currency: 'EUR',
    fxRate: '0.92',
    settings: { amountDecimals: 2 },
    billedTotal: '1300.50',
    records: 3,
    accounts: [],
    unassigned: [{ accountId: '555555555555', unblendedUsd: '1.5' }],
    warnings: [],
    errors: [],
    ...extra,
  };
}

const entry = (accountId: string, customer: string | null, records: Array<[string, string]>, billedTotal: string): Record<string, unknown> => ({
  accountId,
  assetId: `AS-${accountId.slice(0, 4)}`,
  customer,
  supportPlan: { ordered: 'business', detected: 'business', billed: 'business', table: 't' },
  billedTotal,
  records: records.map(([productCode, billed]) => ({ recordId: `${accountId}-${productCode}`, kind: 'aws', billingEntity: 'AWS', productCode, note: `the ${productCode}\nservice`, billed })),
});

const A = entry('222222222222', 'Acme, "the" Corp', [['AmazonEC2', '1200.25'], ['AmazonS3', '0.25']], '1200.50');
const B = entry('333333333333', null, [['AmazonRDS', '100.00']], '100.00');

async function finished(entries: Array<Record<string, unknown>>, report = head()): Promise<string> {
  const draft = new FolderReportStore(out).begin(key);
  for (const e of entries) await draft.account(e);
  return draft.finish(report);
}

const read = (name: string): Promise<string> => readFile(join(folder(), name), 'utf8');
const csvRows = async (): Promise<Array<Record<string, string>>> => parse(await read('report.csv'), { bom: true, columns: true }) as Array<Record<string, string>>;

describe('FolderReportStore: report.html and report.csv', () => {
  it('writes both beside report.json at finish, from the accounts streamed in, and leaves no temporary file', async () => {
    const path = await finished([A, B]);
    expect(path).toBe(join(folder(), 'report.json'));
    expect((await readdir(folder())).sort()).toEqual(['report.csv', 'report.html', 'report.json']);

    const report = JSON.parse(await read('report.json')) as PayerReport;
    expect((report.accounts as unknown[]).length).toBe(2);
    const page = await read('report.html');
    expect(page).toContain('<dd id="billed-total">1,300.50 EUR</dd>');
    expect(page).toContain(`id="total-${accountAnchor('222222222222')}">1,200.50</td>`);
    expect(page).toContain(`id="total-${accountAnchor('333333333333')}">100.00</td>`);
    expect(page).toContain('Acme, &quot;the&quot; Corp');

    const rows = await csvRows();
    expect(rows.map((r) => [r.account_id, r.customer, r.product_code, r.billed, r.service])).toEqual([
      ['222222222222', 'Acme, "the" Corp', 'AmazonEC2', '1200.25', 'the AmazonEC2\nservice'],
      ['222222222222', 'Acme, "the" Corp', 'AmazonS3', '0.25', 'the AmazonS3\nservice'],
      ['333333333333', '', 'AmazonRDS', '100.00', 'the AmazonRDS\nservice'],
    ]);
  });

  it('writes a page that says no customer was billed, and a CSV with its header only, for a month without accounts', async () => {
    await finished([], head({ billedTotal: '0.00', records: 0 }));
    expect(await read('report.html')).toContain('No customer was billed.');
    expect(await read('report.csv')).toBe(`\uFEFF${REPORT_CSV_COLUMNS.join(',')}\r\n`);
  });

  it("writes a failed month's page with its errors beside the failed report", async () => {
    const failed = failedReport('111111111111', '2026-10', [{ code: 'CUR_EMPTY', message: 'the CUR of 2026-10 has no rows of payer 111111111111', where: {} }], '2026-11-05T00:00:00.000Z', 'not read');
    await new FolderReportStore(out).write(key, failed);
    expect(JSON.parse(await read('report.json'))).toEqual(failed);
    const page = await read('report.html');
    expect(page).toContain('<span class="status failed" id="status">failed</span>');
    expect(page).toContain('the CUR of 2026-10 has no rows of payer 111111111111');
    expect(await read('report.csv')).toBe(`\uFEFF${REPORT_CSV_COLUMNS.join(',')}\r\n`);
  });

  it('writes the page again when the report is annotated, with the accounts read back from report.json', async () => {
    await finished([A, B]);
    const csvBefore = await read('report.csv');
    await new FolderReportStore(out).annotate(key, { status: 'failed', errors: [{ code: 'PLATFORM_RESPONSE', message: 'the usage file was refused', where: {} }] });
    const page = await read('report.html');
    expect(page).toContain('<span class="status failed" id="status">failed</span>');
    expect(page).toContain('the usage file was refused');
    expect(page).toContain(`id="total-${accountAnchor('222222222222')}">1,200.50</td>`);
    expect(page).toContain(`id="total-${accountAnchor('333333333333')}">100.00</td>`);
    expect(page).toContain('555555555555'); // a field after the accounts, read back too
    expect(await read('report.csv')).toBe(csvBefore);
    expect((await readdir(folder())).sort()).toEqual(['report.csv', 'report.html', 'report.json']);
  });

  it('writes none of the three when one cannot be put in place, and says which report', async () => {
    await mkdir(join(folder(), 'report.csv', 'in-the-way'), { recursive: true });
    await expect(finished([A])).rejects.toMatchObject({ code: 'IO', message: expect.stringContaining(`cannot write report ${join(folder(), 'report.json')}`) });
    expect((await readdir(folder())).sort()).toEqual(['report.csv']);
    expect(await readdir(join(folder(), 'report.csv'))).toEqual(['in-the-way']);
  });
});
