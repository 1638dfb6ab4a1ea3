/**
 * One payer's month end to end with the real engine, workbook and ledger, and a
 * stand-in platform: once per period, resumable, reprocess replacing the file.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbCurSource } from '../../../src/adapters/engine/duckdb-cur-source.js';
import { FolderRunOutput } from '../../../src/adapters/files/run-output.js';
import { readUsageWorkbook } from '../../../src/adapters/workbook/usage-workbook.reader.js';
import { ExcelWorkbookWriter } from '../../../src/adapters/workbook/usage-workbook.writer.js';
import type { CurSource } from '../../../src/app/ports.js';
import { runPayerMonth, type PayerMonthDeps, type PayerMonthInput } from '../../../src/app/usage/run-payer-month.js';
import { subscriptionsFor } from '../../../src/app/subscriptions.js';
import { loadAssets, loadConfig } from '../../../src/config/load.js';
import { openStateDatabase, type StateDatabase } from '../../../src/store/database.js';
import { SqliteRunLedger } from '../../../src/store/run-ledger.store.js';
import { FakeUsageFiles } from '../../support/usage-files-fake.js';
import { tempDir } from '../../support/run-cli.js';

const PAYER = '111111111111';
let state: StateDatabase | undefined;
const sources: DuckDbCurSource[] = [];
afterEach(() => {
  state?.close();
  for (const s of sources.splice(0)) s.close();
});

async function setup(fxRate = '0.92') {
  const out = await tempDir();
  const loaded = await loadConfig('fixtures/demo.config.json');
  const assets = await loadAssets('fixtures/demo.assets.json');
  state = openStateDatabase(':memory:');
  const ledger = new SqliteRunLedger(state.db);
  const files = new FakeUsageFiles();
  files.pollsToVerdict = 1;
  let ratings = 0;
  const deps: PayerMonthDeps = {
    ledger,
    files,
    cur: (): CurSource => {
      const source = new DuckDbCurSource('fixtures/cur/demo-2026-10', { memoryLimit: '300MB', threads: 1 });
      sources.push(source);
      return { aggregate: (r) => ((ratings += 1), source.aggregate(r)), locate: (p, t) => source.locate(p, t) };
    },
    output: (version) => new FolderRunOutput(out, version),
    rating: { workbook: new ExcelWorkbookWriter(), subscriptions: (payer) => subscriptionsFor(assets, payer, '2026-10'), now: () => new Date('2026-11-05T00:00:00Z') },
    clock: { now: () => new Date('2026-11-05T00:00:00Z') },
    sleep: async () => undefined,
    readWorkbook: async (path) => new Uint8Array(await readFile(path)),
  };
  const input = (over: Partial<PayerMonthInput> = {}, fx = fxRate): PayerMonthInput => ({
    payerAccountId: PAYER,
    period: '2026-10',
    trigger: 'schedule',
    reprocess: false,
    productId: 'PRD-411-678-887',
    contractId: 'CRD-1',
    signal: new AbortController().signal,
    rating: {
      period: '2026-10',
      payers: loaded.config.payers.map((p) => ({ ...p, fxRate: fx })),
      settings: loaded.config.rating,
      catalog: loaded.catalog,
      items: loaded.config.items,
      recordsSheetName: 'usage_records',
      knownCurrencies: new Set(Intl.supportedValuesOf('currency')),
    },
    ...over,
  });
  return { deps, input, ledger, files, out, ratings: () => ratings };
}

describe('runPayerMonth()', () => {
  it('rates and submits one usage file, recording each step; the same trigger again does nothing', async () => {
    const { deps, input, files, ledger } = await setup();
    const first = await runPayerMonth(deps, input());
    expect(first.kind).toBe('done');
    expect(first.run).toMatchObject({ version: 1, step: 'done', outcome: 'succeeded', billedTotal: '17839.26', currency: 'EUR', records: 29 });
    expect(files.live()).toEqual([expect.objectContaining({ externalId: `${PAYER}-2026-10-v1`, status: 'pending' })]);
    const again = await runPayerMonth(deps, input());
    expect(again.kind).toBe('already-done');
    expect(files.count('create')).toBe(1);
    expect(ledger.list()).toHaveLength(1);
  });

  it("writes the records in the header of the product's usage template when it has one", async () => {
    const { deps, input, files } = await setup();
    const template = ['record_id', 'amount', 'quantity', 'record_note', 'item_search_criteria', 'item_search_value', 'start_time_utc', 'end_time_utc', 'asset_search_criteria', 'asset_search_value', 'category_id'];
    files.templates.set('PRD-411-678-887', template);
    const done = await runPayerMonth(deps, input());
    expect(done.kind).toBe('done');
    const uploaded = [...files.uploads.values()][0];
    const path = join(await tempDir(), 'uploaded.xlsx');
    await writeFile(path, uploaded?.bytes ?? new Uint8Array());
    const content = await readUsageWorkbook(path);
    expect(content.header).toEqual([...template, 'v.marketplace_service']);
    expect(content.records).toHaveLength(29);
    expect(files.count('usageTemplateColumns')).toBe(1);
  });

  it('resumes after a crash between the upload and the submit, without rating or uploading again', async () => {
    const { deps, input, files, ratings } = await setup();
    files.failNext('submit');
    const first = await runPayerMonth(deps, input());
    expect(first).toMatchObject({ kind: 'failed', run: { outcome: 'running', step: 'ready' } });
    // Another trigger while the run was last seen moments ago: it belongs to someone else.
    expect((await runPayerMonth(deps, input())).kind).toBe('running-elsewhere');
    // After a crash (the daemon's start-up resumes at once): it picks up at the submit.
    const second = await runPayerMonth(deps, input({ staleAfterMs: 0 }));
    expect(second.kind).toBe('done');
    expect(ratings()).toBe(1);
    expect(files.count('upload')).toBe(1);
    expect(files.live()).toHaveLength(1);
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

  it("puts an invalid file's error_detail into the run's report and ends the run", async () => {
    const { deps, input, files } = await setup();
    files.verdict = { status: 'invalid', errorDetail: 'row 3: amount is not a number' };
    const result = await runPayerMonth(deps, input());
    expect(result).toMatchObject({ kind: 'failed', run: { outcome: 'failed' } });
    const report = JSON.parse(await readFile(result.run.reportPath ?? '', 'utf8')) as { usageFile?: { status: string; errorDetail: string } };
    expect(report.usageFile).toMatchObject({ status: 'invalid', errorDetail: 'row 3: amount is not a number' });
  });

  it('a dry run (no platform) rates and records the run without uploading', async () => {
    const { deps, input, ledger } = await setup();
    const result = await runPayerMonth({ ...deps, files: undefined }, input());
    expect(result).toMatchObject({ kind: 'done', run: { outcome: 'succeeded', step: 'done', billedTotal: '17839.26' } });
    expect(result.run.usageFileId).toBeUndefined();
    expect(ledger.list()).toHaveLength(1);
  });

  it('writes each version to its own folder', async () => {
    const { deps, input, out } = await setup();
    const v1 = await runPayerMonth(deps, input());
    const v2 = await runPayerMonth(deps, input({ reprocess: true }));
    expect(v1.run.workbookPath).toBe(join(out, PAYER, '2026-10', 'usage.xlsx'));
    expect(v2.run.workbookPath).toBe(join(out, PAYER, '2026-10', 'v2', 'usage.xlsx'));
  });
});
