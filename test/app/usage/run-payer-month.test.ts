/**
 * One payer's month end to end with the real engine, workbook writer, folder
 * stores and ledger, and a stand-in platform: once per period, resumable,
 * reprocess replacing the file, and the run states an operator reads (held by
 * a live process, abandoned, interrupted, failed with its report, dry runs
 * apart from the month's run).
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as XLSX from 'xlsx';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbCurSource } from '../../../src/adapters/engine/duckdb-cur-source.js';
import { FolderReportStore, FolderWorkbookStore } from '../../../src/adapters/files/folder-stores.js';
import { StreamingWorkbookWriter } from '../../../src/adapters/workbook/usage-workbook.writer.js';
import type { CurSource } from '../../../src/app/ports.js';
import type { RunLease } from '../../../src/app/usage/ports.js';
import { runPayerMonth, type PayerMonthDeps, type PayerMonthInput } from '../../../src/app/usage/run-payer-month.js';
import { subscriptionsFor } from '../../../src/app/subscriptions.js';
import { loadAssets, loadConfig } from '../../../src/config/load.js';
import { ConnectorError } from '../../../src/domain/errors.js';
import { openStateDatabase, type StateDatabase } from '../../../src/store/database.js';
import { SqliteRunLedger } from '../../../src/store/run-ledger.store.js';
import { FakeUsageFiles } from '../../support/usage-files-fake.js';
import { tempDir } from '../../support/run-cli.js';

const PAYER = '111111111111';
const START = Date.parse('2026-11-05T00:00:00Z');
let state: StateDatabase | undefined;
const sources: DuckDbCurSource[] = [];
afterEach(async () => {
  state?.close();
  for (const s of sources.splice(0)) await s.close();
});

const lease = (owner: string): RunLease => ({ owner, holder: `pid ${owner} on test-host`, ttlMs: 60_000 });

async function setup(fxRate = '0.92') {
  const out = await tempDir();
  const loaded = await loadConfig('fixtures/demo.config.json');
  const assets = await loadAssets('fixtures/demo.assets.json');
  state = openStateDatabase(join(out, 'state.db'));
  let clock = START;
  const now = (): Date => new Date(clock);
  const ledger = new SqliteRunLedger(state.db, now);
  const files = new FakeUsageFiles();
  files.pollsToVerdict = 1;
  let ratings = 0;
  const cur = (): CurSource => {
    const source = new DuckDbCurSource('fixtures/cur/demo-2026-10', { memoryLimit: '300MB', threads: 1 });
    sources.push(source);
    return { aggregate: (r) => ((ratings += 1), source.aggregate(r)), locate: (p, t) => source.locate(p, t) };
  };
  const deps: PayerMonthDeps = {
    ledger,
    lease: lease('a'),
    files,
    cur,
    workbook: new StreamingWorkbookWriter(),
    workbooks: new FolderWorkbookStore(out),
    reports: new FolderReportStore(out),
    subscriptions: (payer) => subscriptionsFor(assets, payer, '2026-10'),
    clock: { now },
    sleep: async () => undefined,
  };
  const payer = loaded.config.payers.find((p) => p.accountId === PAYER);
  const input = (over: Partial<PayerMonthInput> = {}, fx = fxRate): PayerMonthInput => ({
    payer: { ...payer, accountId: PAYER, fxRate: fx },
    period: '2026-10',
    trigger: 'schedule',
    reprocess: false,
    productId: 'PRD-411-678-887',
    contractId: 'CRD-1',
    signal: new AbortController().signal,
    rating: {
      settings: loaded.config.rating,
      catalog: loaded.catalog,
      items: loaded.config.items,
      recordsSheetName: 'usage_records',
      knownCurrencies: new Set(Intl.supportedValuesOf('currency')),
    },
    ...over,
  });
  return { deps, input, ledger, files, out, ratings: () => ratings, tick: (ms: number) => void (clock += ms) };
}

/** The records sheet of an uploaded workbook, read with an independent reader (SheetJS). */
function recordsOf(bytes: Uint8Array): { header: string[]; rows: unknown[][] } {
  const book = XLSX.read(bytes, { type: 'array' });
  const sheet = book.Sheets.usage_records;
  const rows = sheet ? XLSX.utils.sheet_to_json<unknown[]>(sheet, { header: 1 }) : [];
  return { header: (rows[0] ?? []) as string[], rows: rows.slice(1) };
}

describe('runPayerMonth()', () => {
  it('rates and submits one usage file, recording each step; the same trigger again does nothing', async () => {
    const { deps, input, files, ledger } = await setup();
    const first = await runPayerMonth(deps, input());
    expect(first.kind).toBe('done');
    expect(first.run).toMatchObject({ version: 1, step: 'done', outcome: 'succeeded', billedTotal: '17839.26', currency: 'EUR', records: 29, dryRun: false });
    expect(files.live()).toEqual([expect.objectContaining({ externalId: `${PAYER}-2026-10-v1`, status: 'pending' })]);
    const uploaded = [...files.uploads.values()][0];
    expect(uploaded?.fileName).toBe(`usage-${PAYER}-2026-10-v1.xlsx`);
    expect(recordsOf(uploaded?.bytes ?? new Uint8Array()).rows).toHaveLength(29);
    const again = await runPayerMonth(deps, input());
    expect(again.kind).toBe('already-done');
    expect(files.count('create')).toBe(1);
    expect(ledger.list()).toHaveLength(1);
  });

  it('streams the report: every account with its records, the totals in the head', async () => {
    const { deps, input } = await setup();
    const done = await runPayerMonth(deps, input());
    const report = JSON.parse(await readFile(done.run.reportPath ?? '', 'utf8')) as { status: string; billedTotal: string; records: number; accounts: Array<{ records: Array<{ billed: string }> }> };
    expect(report).toMatchObject({ status: 'ok', billedTotal: '17839.26', records: 29 });
    expect(report.accounts.flatMap((a) => a.records)).toHaveLength(29);
  });

  it("writes the records in the header of the product's usage template when it has one", async () => {
    const { deps, input, files } = await setup();
    const template = ['record_id', 'amount', 'quantity', 'record_note', 'item_search_criteria', 'item_search_value', 'start_time_utc', 'end_time_utc', 'asset_search_criteria', 'asset_search_value', 'category_id'];
    files.templates.set('PRD-411-678-887', template);
    const done = await runPayerMonth(deps, input());
    expect(done.kind).toBe('done');
    const content = recordsOf([...files.uploads.values()][0]?.bytes ?? new Uint8Array());
    expect(content.header).toEqual([...template, 'v.marketplace_service']);
    expect(content.rows).toHaveLength(29);
    expect(files.count('usageTemplateColumns')).toBe(1);
  });

  it('leaves a run the platform failed to answer interrupted, and the next run resumes it at once without rating or uploading again', async () => {
    const { deps, input, files, ratings } = await setup();
    files.failNext('submit');
    const first = await runPayerMonth(deps, input());
    expect(first).toMatchObject({ kind: 'interrupted', run: { outcome: 'interrupted', step: 'ready' } });
    const second = await runPayerMonth(deps, input());
    expect(second.kind).toBe('done');
    expect(ratings()).toBe(1);
    expect(files.count('upload')).toBe(1);
    expect(files.live()).toHaveLength(1);
  });

  it('resumes a run stopped after rating with the stored workbook, and rates again only when the workbook is gone', async () => {
    const { deps, input, files, ratings, out } = await setup();
    files.failNext('productUsageSchema');
    expect((await runPayerMonth(deps, input())).run).toMatchObject({ outcome: 'interrupted', step: 'rated' });
    files.failNext('productUsageSchema');
    expect((await runPayerMonth(deps, input())).run).toMatchObject({ outcome: 'interrupted', step: 'rated' });
    expect(ratings()).toBe(1);
    await rm(join(out, PAYER, '2026-10', 'usage.xlsx'));
    expect((await runPayerMonth(deps, input())).kind).toBe('done');
    expect(ratings()).toBe(2);
    expect(files.count('upload')).toBe(1);
  });

  it('an abort leaves the run interrupted with its error, never failed, and resumable', async () => {
    const { deps, input, ledger } = await setup();
    const controller = new AbortController();
    controller.abort(new Error('SIGTERM'));
    const stopped = await runPayerMonth(deps, input({ signal: controller.signal }));
    expect(stopped.kind).toBe('interrupted');
    if (stopped.kind === 'interrupted') expect(stopped.error.code).toBe('ABORTED');
    expect(ledger.get(PAYER, '2026-10', 1)).toMatchObject({ outcome: 'interrupted', step: 'started' });
    expect(ledger.resumable(new Date(START))).toHaveLength(1);
    expect((await runPayerMonth(deps, input())).kind).toBe('done');
  });

  it('a month held by a live process is held (naming it); once its lease runs out it is abandoned and resumed', async () => {
    const { deps, input, ledger, tick } = await setup();
    // Another process claimed the month and died right after.
    const other = ledger.claim({ payerAccountId: PAYER, period: '2026-10', trigger: 'cli', reprocess: false, dryRun: false }, lease('b'), new Date(START));
    expect(other.kind).toBe('claimed');
    const held = await runPayerMonth(deps, input());
    expect(held).toMatchObject({ kind: 'held', run: { holder: 'pid b on test-host', outcome: 'running' } });
    tick(60_001);
    expect(ledger.list()[0]?.outcome).toBe('abandoned');
    const resumed = await runPayerMonth(deps, input());
    expect(resumed).toMatchObject({ kind: 'done', run: { version: 1, outcome: 'succeeded', holder: 'pid a on test-host' } });
  });

  it('a failed run ends failed with its error and still writes report.json with status failed', async () => {
    const { deps, input } = await setup();
    const failing: CurSource = {
      aggregate: () => Promise.reject(new ConnectorError('CUR_INPUT', 'the CUR table has no column bill_payer_account_id', { where: { file: 'cur.csv' } })),
    };
    const result = await runPayerMonth({ ...deps, cur: () => failing }, input());
    expect(result).toMatchObject({ kind: 'failed', run: { outcome: 'failed', error: expect.stringContaining('CUR_INPUT') } });
    const report = JSON.parse(await readFile(join(deps.reports.locate({ payerAccountId: PAYER, period: '2026-10', version: 1 })), 'utf8')) as { status: string; errors: Array<{ code: string }> };
    expect(report.status).toBe('failed');
    expect(report.errors[0]?.code).toBe('CUR_INPUT');
    // A failed month is retried as a new version at once.
    expect((await runPayerMonth(deps, input())).run.version).toBe(2);
  });

  it('reprocesses after an fx change into v2, deleting the pending v1 file', async () => {
    const { deps, input, files } = await setup();
    await runPayerMonth(deps, input());
    const v2 = await runPayerMonth(deps, input({ reprocess: true, trigger: 'cli' }, '0.95'));
    expect(v2).toMatchObject({ kind: 'done', run: { version: 2, billedTotal: '18420.98' } });
    expect(files.live()).toEqual([expect.objectContaining({ externalId: `${PAYER}-2026-10-v2`, status: 'pending' })]);
  });

  it('refuses to reprocess once the platform accepted the file, and keeps it', async () => {
    const { deps, input, files } = await setup();
    const v1 = await runPayerMonth(deps, input());
    files.setStatus(v1.run.usageFileId ?? '', 'accepted');
    const v2 = await runPayerMonth(deps, input({ reprocess: true }, '0.95'));
    expect(v2.kind).toBe('failed');
    if (v2.kind === 'failed') expect(v2.error.message).toMatch(/accepted/);
    expect(files.live().map((f) => [f.externalId, f.status])).toEqual([[`${PAYER}-2026-10-v1`, 'accepted']]);
  });

  it("puts an invalid file's error_detail into the run's report, marks it failed and ends the run", async () => {
    const { deps, input, files } = await setup();
    files.verdict = { status: 'invalid', errorDetail: 'row 3: amount is not a number' };
    const result = await runPayerMonth(deps, input());
    expect(result).toMatchObject({ kind: 'failed', run: { outcome: 'failed' } });
    const report = JSON.parse(await readFile(result.run.reportPath ?? '', 'utf8')) as { status: string; usageFile?: { status: string; errorDetail: string } };
    expect(report.status).toBe('failed');
    expect(report.usageFile).toMatchObject({ status: 'invalid', errorDetail: 'row 3: amount is not a number' });
  });

  it('a dry run rates without uploading and is never the month’s run: the live month still runs', async () => {
    const { deps, input, ledger, files } = await setup();
    const dry = await runPayerMonth({ ...deps, files: undefined }, input());
    expect(dry).toMatchObject({ kind: 'done', run: { outcome: 'succeeded', step: 'done', billedTotal: '17839.26', dryRun: true } });
    expect(dry.run.usageFileId).toBeUndefined();
    expect(ledger.latest(PAYER, '2026-10')).toBeUndefined();
    const live = await runPayerMonth(deps, input());
    expect(live).toMatchObject({ kind: 'done', run: { version: 1, dryRun: false } });
    expect(files.count('create')).toBe(1);
  });

  it('writes each version to its own folder; a failed rating leaves no workbook', async () => {
    const { deps, input, out } = await setup();
    const v1 = await runPayerMonth(deps, input());
    const v2 = await runPayerMonth(deps, input({ reprocess: true }));
    expect(v1.run.workbookPath).toBe(join(out, PAYER, '2026-10', 'usage.xlsx'));
    expect(v2.run.workbookPath).toBe(join(out, PAYER, '2026-10', 'v2', 'usage.xlsx'));
    const bad = await runPayerMonth(deps, input({ reprocess: true }, 'abc'));
    expect(bad.kind).toBe('failed');
    // The run's error keeps the refusal's own code and where it is.
    if (bad.kind === 'failed') expect(bad.error).toMatchObject({ code: 'FX_INVALID', where: { payer: PAYER, setting: 'fxRate' } });
    expect(existsSync(join(out, PAYER, '2026-10', 'v3', 'usage.xlsx'))).toBe(false);
    expect(existsSync(join(out, PAYER, '2026-10', 'v3', 'report.json'))).toBe(true);
  });
});

describe('runPayerMonth() and the payer id', () => {
  it('refuses a payer id that is not 12 digits before the ledger, the output folder or the platform sees it', async () => {
    const { deps, input, ledger, files, out } = await setup();
    const bad = input();
    await expect(runPayerMonth(deps, { ...bad, payer: { ...bad.payer, accountId: '../x' } })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: 'payers[].accountId: account id "../x" is not an AWS account id (12 digits)',
    });
    expect(ledger.list({ dryRun: 'all' })).toEqual([]);
    expect(files.count('create')).toBe(0);
    expect(existsSync(join(out, '..', 'x'))).toBe(false);
  });
});
