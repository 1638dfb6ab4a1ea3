/**
 * The production month against the sandbox platform: the workbook the platform
 * received matches the report, a second trigger does nothing, a reprocess after
 * an fx change replaces the file.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runRate } from '../../src/cli/rate.command.js';
import { runReprocess } from '../../src/cli/reprocess.command.js';
import { money, sum, toFixedText } from '../../src/domain/money.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { DEFAULT_TEMPLATE_USAGE_COLUMNS, loadSeed } from '../../src/sandbox/seed.js';
import { demoMonthOptions, startMonthSandbox } from '../support/month-sandbox.js';
import { readWorkbookText } from '../support/read-workbook.js';
import { FIXED_NOW, writeJson } from '../support/run-cli.js';

let sandbox: Sandbox;
let dir: string;
beforeEach(async () => {
  ({ sandbox, dir } = await startMonthSandbox());
});
afterEach(async () => sandbox.close());

/** The one payer's entry of a run. */
function only<T>(entries: T[]): T {
  const [entry] = entries;
  if (entry === undefined || entries.length !== 1) throw new Error(`expected one payer, got ${entries.length}`);
  return entry;
}

const io = () => ({ stdout: () => undefined, stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW, sleep: async () => undefined });
const options = (fx?: string) => demoMonthOptions(dir, sandbox.platformUrl, fx);
const env = () => ({ apiKey: sandbox.apiKey, variables: {} });
const readJson = async <T>(path: string | undefined): Promise<T> => JSON.parse(await readFile(path ?? '', 'utf8')) as T;

describe('rate without --dry-run, against the sandbox platform', () => {
  it('uploads and submits one usage file whose records add up to the report', async () => {
    const { result } = only(await runRate(await options(), io(), env()));
    expect(result).toMatchObject({ kind: 'done', run: { version: 1, dryRun: false, outcome: 'succeeded', step: 'done', usageFileStatus: 'pending', billedTotal: '17839.26' } });
    const files = sandbox.platform.state.usageFiles();
    expect(files.map((f) => [f.externalId, f.status])).toEqual([['111111111111-2026-10-v1', 'pending']]);
    const content = sandbox.platform.state.usageFileRecords(files[0]?.id ?? '');
    const report = await readJson<{ billedTotal: string; records: number; status: string }>(result.run.reportPath);
    expect(report.status).toBe('ok');
    expect(content?.records).toHaveLength(report.records);
    expect(toFixedText(sum((content?.records ?? []).map((r) => money(r.amount ?? '0'))), 2)).toBe(report.billedTotal);
    // The workbook kept on disk is the one the platform received.
    const kept = readWorkbookText(new Uint8Array(await readFile(result.run.workbookPath ?? '')));
    expect(kept.records.map((r) => r.amount)).toEqual((content?.records ?? []).map((r) => r.amount));
  });

  it('shows the file passing through uploaded and processing to ready, then pending, in the product template\'s columns', async () => {
    const printed: string[] = [];
    const watch = { ...io(), stdout: (t: string) => void printed.push(t) };
    const { result } = only(await runRate(await options(), watch, env()));
    expect(result.kind).toBe('done');
    const statuses = printed.join('').split('\n').filter((l) => l.includes('· usage file ')).map((l) => l.split(': ').pop());
    expect(statuses).toEqual(['draft', 'uploading', 'uploaded', 'processing', 'ready', 'pending']);
    const file = sandbox.platform.state.usageFiles()[0];
    const content = sandbox.platform.state.usageFileRecords(file?.id ?? '');
    // The sandbox product's template: 16 columns, item_unit before item_precision, no tier; then the connector's custom column.
    expect(content?.header).toEqual([...DEFAULT_TEMPLATE_USAGE_COLUMNS, 'v.marketplace_service']);
    expect(new Set(content?.records.map((r) => `${r.start_time_utc}|${r.end_time_utc}`))).toEqual(new Set(['2026-10-01 00:00:00|2026-10-31 23:59:59']));
  });

  it('does nothing the second time for the same period', async () => {
    only(await runRate(await options(), io(), env()));
    const { result } = only(await runRate(await options(), io(), env()));
    expect(result).toMatchObject({ kind: 'already-done', run: { version: 1, outcome: 'succeeded' } });
    expect(sandbox.platform.state.usageFiles()).toHaveLength(1);
  });

  it('a dry run after the live month rates it again without touching the live month or the platform', async () => {
    only(await runRate(await options(), io(), env()));
    const dry = only(await runRate({ ...(await options()), dryRun: true, out: join(dir, 'dry') }, io(), env()));
    // Dry runs are a version sequence of their own: v1, never the live month's.
    expect(dry.result).toMatchObject({ kind: 'done', run: { version: 1, dryRun: true, outcome: 'succeeded', billedTotal: '17839.26' } });
    expect(dry.result.run.reportPath).toContain(join(dir, 'dry'));
    const again = only(await runRate(await options(), io(), env()));
    expect(again.result).toMatchObject({ kind: 'already-done', run: { version: 1, dryRun: false } });
    expect(sandbox.platform.state.usageFiles().map((f) => [f.externalId, f.status])).toEqual([['111111111111-2026-10-v1', 'pending']]);
  });

  it('reprocesses after an fx change: v2 submitted, the pending v1 deleted', async () => {
    only(await runRate(await options(), io(), env()));
    const { result } = await runReprocess({ ...(await options('0.95')), payer: '111111111111' }, io(), env());
    expect(result).toMatchObject({ kind: 'done', run: { version: 2, dryRun: false, outcome: 'succeeded', billedTotal: '18420.98' } });
    expect(sandbox.platform.state.usageFiles().map((f) => [f.externalId, f.status])).toEqual([
      ['111111111111-2026-10-v1', 'deleted'],
      ['111111111111-2026-10-v2', 'pending'],
    ]);
  });

  it('reprocess without --dry-run submits v2 and prints and stores the diff with fx as the cause', async () => {
    only(await runRate(await options(), io(), env()));
    let printed = '';
    const outcome = await runReprocess({ ...(await options('0.95')), payer: '111111111111' }, { ...io(), stdout: (t: string) => void (printed += t) }, env());
    expect(outcome).toMatchObject({ payer: { accountId: '111111111111' }, result: { kind: 'done', run: { version: 2, outcome: 'succeeded' } }, previousVersion: 1 });
    expect(outcome.diff?.changes).toEqual(['fxRate 0.92 → 0.95']);
    expect(outcome.diff?.rows.length).toBeGreaterThan(0);
    expect(outcome.diff?.rows.every((r) => r.causes.join() === 'fx')).toBe(true);
    expect(printed).toContain('Changes v1 → v2 of payer 111111111111');
    // Stored beside v2, as printed.
    expect(outcome.diffPath).toContain(join('111111111111', '2026-10', 'v2'));
    expect(printed).toContain(`diff: ${outcome.diffPath ?? ''}`);
    expect(await readJson<{ from: number; to: number; changes: string[] }>(outcome.diffPath)).toMatchObject({ from: 1, to: 2, changes: ['fxRate 0.92 → 0.95'] });
  });

  it('refuses a reprocess once the platform accepted the file, explaining why', async () => {
    const first = only(await runRate(await options(), io(), env()));
    await fetch(`${sandbox.platformUrl}/__sandbox/usage-files/${first.result.run.usageFileId ?? ''}/accept`, { method: 'POST' });
    const { result, diff } = await runReprocess({ ...(await options('0.95')), payer: '111111111111' }, io(), env());
    expect(result).toMatchObject({ kind: 'failed', run: { version: 2, outcome: 'failed' } });
    if (result.kind !== 'failed') throw new Error(`expected failed, got ${result.kind}`);
    expect(result.error.message).toMatch(/accepted/);
    expect(result.run.error).toMatch(/accepted/);
    expect(diff).toBeUndefined();
    // The failed version's report says so.
    const report = await readJson<{ status: string; errors: Array<{ code: string; message: string }> }>(result.run.reportPath);
    expect(report.status).toBe('failed');
    expect(report.errors.map((e) => e.message).join()).toMatch(/accepted/);
    expect(sandbox.platform.state.usageFiles().map((f) => [f.externalId, f.status])).toEqual([['111111111111-2026-10-v1', 'accepted']]);
  });

  it("reads the subscriptions from the platform's assets when no --assets is given", async () => {
    await sandbox.close();
    const seed = await loadSeed('fixtures/orders');
    const asset = (id: string, account: string, support: string) => ({ id, productId: 'PRD-411-678-887', customer: `Customer ${account}`, params: { aws_account_id: account, support_level: support, payer_account_id: '111111111111' } });
    sandbox = await startSandbox({
      seed: { ...seed, assets: [asset('AS-0001-0001', '222222222222', 'business'), asset('AS-0001-0002', '333333333333', 'developer'), asset('AS-0001-0003', '444444444444', 'business')] },
    });
    const { assets: _ignored, ...fromPlatform } = await options();
    // No payers[].usage: the usage file's contract is the assets' contract.
    const base = JSON.parse(await readFile(fromPlatform.config, 'utf8')) as { payers: Array<Record<string, unknown>> };
    const config = await writeJson(dir, 'no-usage.json', { ...base, payers: base.payers.map(({ usage: _usage, ...p }) => p) });
    const { result } = only(await runRate({ ...fromPlatform, config }, io(), env()));
    // The same three subscriptions as fixtures/demo.assets.json: the same bill.
    if (result.kind === 'failed') throw result.error;
    expect(result).toMatchObject({ kind: 'done', run: { billedTotal: '17839.26', records: 29 } });
  });

  it("takes the marketplace's markups, fx rate and currency from the platform, and the file's explicit values over them", async () => {
    await sandbox.close();
    const seed = await loadSeed('fixtures/orders');
    const asset = (id: string, account: string, support: string) => ({ id, productId: 'PRD-411-678-887', customer: `Customer ${account}`, params: { aws_account_id: account, support_level: support } });
    sandbox = await startSandbox({
      seed: { ...seed, assets: [asset('AS-0001-0001', '222222222222', 'business'), asset('AS-0001-0002', '333333333333', 'developer'), asset('AS-0001-0003', '444444444444', 'business')] },
    });
    const bare = (extra: Record<string, string>) =>
      writeJson(dir, `bare-${Object.keys(extra).join('-') || 'none'}.json`, {
        payers: [{ accountId: '111111111111', usage: { contractId: 'CRD-00000-00000-00000' }, ...extra }],
        connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'], retries: 1 },
        state: { path: join(dir, `state-${Object.keys(extra).length}.db`) },
      });
    const run = async (config: string) => only(await runRate({ period: '2026-10', cur: 'fixtures/cur/demo-2026-10', config, out: join(dir, `out-${config.length}`), dryRun: true }, io(), env()));
    // The fixture marketplace: customMarkup 1.1, customMarkupMarketplace 1.05, fxRate 0.92, EUR.
    expect((await run(await bare({}))).result.run).toMatchObject({ billedTotal: '17839.26', currency: 'EUR' });
    expect((await run(await bare({ fxRate: '0.95' }))).result.run).toMatchObject({ billedTotal: '18420.98', currency: 'EUR' });
  });

  it('refuses without CONNECT_API_KEY, naming it', async () => {
    await expect(runRate(await options(), io(), { variables: {} })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/CONNECT_API_KEY is not set/) });
    expect(sandbox.platform.state.usageFiles()).toEqual([]);
  });
});
