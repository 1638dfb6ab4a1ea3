/** Reprocess as an operator runs it after an fx change: a new version, the old one kept, the diff printed and stored. */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReprocess } from '../../src/cli/reprocess.command.js';
import { FIXED_NOW, runCli, tempDir, writeJson } from '../support/run-cli.js';

const common = { cur: 'fixtures/cur/demo-2026-10', assets: 'fixtures/demo.assets.json', period: '2026-10' };

async function setup() {
  const dir = await tempDir();
  const base = JSON.parse(await readFile('fixtures/demo.config.json', 'utf8')) as { payers: Array<Record<string, unknown>> };
  const v1Config = await writeJson(dir, 'v1.json', base);
  const v2Config = await writeJson(dir, 'v2.json', { ...base, payers: [{ ...base.payers[0], fxRate: '0.95' }] });
  const out = join(dir, 'out');
  await runCli({ ...common, config: v1Config, out });
  // runCli keeps the state database beside the output folder: the ledger knows v1.
  return { out, v2Config, statePath: join(dir, 'state.db') };
}

const ENV = { variables: {} };
const io = () => {
  let stdout = '';
  return { io: { stdout: (t: string) => void (stdout += t), stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW, sleep: async () => undefined }, out: () => stdout };
};

describe('reprocess --dry-run', () => {
  it('compares against the previous dry version from the ledger, not against folders: a live month is apart', async () => {
    const { out, v2Config, statePath } = await setup();
    const result = await runReprocess({ ...common, payer: '111111111111', config: v2Config, out, dryRun: true, statePath }, io().io, ENV);
    expect(result.diff?.oldTotal).toBe('17839.26');
    const { openStateDatabase } = await import('../../src/store/database.js');
    const { SqliteRunLedger } = await import('../../src/store/run-ledger.store.js');
    const state = openStateDatabase(statePath);
    try {
      const ledger = new SqliteRunLedger(state.db);
      expect(ledger.latest('111111111111', '2026-10')).toBeUndefined();
      expect(ledger.list({ dryRun: true }).map((r) => [r.version, r.outcome])).toEqual([[2, 'succeeded'], [1, 'succeeded']]);
    } finally {
      state.close();
    }
  });

  it('writes v2 beside v1, keeps v1, and prints and stores the diff with fx as the cause', async () => {
    const { out, v2Config, statePath } = await setup();
    const v1Report = join(out, '111111111111', '2026-10', 'report.json');
    const v1Before = (await stat(v1Report)).mtimeMs;
    const run = io();
    const result = await runReprocess({ ...common, payer: '111111111111', config: v2Config, out, dryRun: true, statePath }, run.io, ENV);
    expect(result).toMatchObject({ result: { kind: 'done', run: { version: 2, dryRun: true } }, previousVersion: 1 });
    expect((await stat(v1Report)).mtimeMs).toBe(v1Before);
    const stored = JSON.parse(await readFile(join(out, '111111111111', '2026-10', 'v2', 'diff.json'), 'utf8')) as { from: number; to: number; changes: string[]; rows: Array<{ causes: string[] }>; oldTotal: string; newTotal: string };
    expect(stored).toMatchObject({ from: 1, to: 2, changes: ['fxRate 0.92 → 0.95'], oldTotal: '17839.26' });
    expect(stored.rows.every((r) => r.causes.join() === 'fx')).toBe(true);
    expect(run.out()).toContain('Changes v1 → v2 of payer 111111111111 · 2026-10 · EUR');
    expect(run.out()).toMatch(/Amazon Elastic Compute Cloud\s+12554\.54\s+12963\.93\s+409\.39\s+fx/);
  });

  it('numbers the next version after the latest one', async () => {
    const { out, v2Config, statePath } = await setup();
    await runReprocess({ ...common, payer: '111111111111', config: v2Config, out, dryRun: true, statePath }, io().io, ENV);
    const third = await runReprocess({ ...common, payer: '111111111111', config: v2Config, out, dryRun: true, statePath }, io().io, ENV);
    expect(third).toMatchObject({ result: { run: { version: 3 } }, previousVersion: 2 });
    expect(third.diff?.rows).toEqual([]);
  });

  it('refuses without an earlier version, and an upload without the platform key, saying why', async () => {
    const dir = await tempDir();
    const statePath = join(dir, 'state.db');
    await expect(runReprocess({ ...common, payer: '111111111111', config: 'fixtures/demo.config.json', out: join(dir, 'none'), dryRun: true, statePath }, io().io, ENV)).rejects.toThrow(/run `rate` first/);
    await expect(runReprocess({ ...common, payer: '111111111111', config: 'fixtures/demo.config.json', out: join(dir, 'none'), statePath }, io().io, ENV)).rejects.toThrow(/CONNECT_API_KEY is not set/);
  });
});
