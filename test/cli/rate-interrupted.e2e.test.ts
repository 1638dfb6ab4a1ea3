/**
 * SIGTERM during `rate` and `reprocess` (the bin wires it to their abort
 * signal): the run stops where it is, stays `interrupted` in the ledger, and
 * the next command resumes it: no second usage file, no second upload.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runRate, type CommandIo } from '../../src/cli/rate.command.js';
import { runReprocess } from '../../src/cli/reprocess.command.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { openStateDatabase } from '../../src/store/database.js';
import { SqliteRunLedger } from '../../src/store/run-ledger.store.js';
import { demoMonthOptions, startMonthSandbox } from '../support/month-sandbox.js';
import { FIXED_NOW } from '../support/run-cli.js';

let sandbox: Sandbox;
let dir: string;
beforeEach(async () => {
  ({ sandbox, dir } = await startMonthSandbox());
});
afterEach(async () => sandbox.close());

const options = (fxRate?: string) => demoMonthOptions(dir, sandbox.platformUrl, fxRate);

/** Output kept; `stopAt` aborts the signal the first time a stdout line matches it (what SIGTERM does through the bin). */
function io(stopAt?: { pattern: RegExp; controller: AbortController }): CommandIo & { out: string[] } {
  const out: string[] = [];
  return {
    out,
    stdout: (t) => {
      out.push(t);
      if (stopAt && stopAt.pattern.test(t) && !stopAt.controller.signal.aborted) stopAt.controller.abort(new Error('interrupted by a signal'));
    },
    stderr: () => undefined,
    stderrIsTty: false,
    now: () => FIXED_NOW,
    sleep: async () => undefined,
  };
}
const env = () => ({ apiKey: sandbox.apiKey, variables: {} });

function ledgerRuns(): Array<[number, string, string]> {
  const state = openStateDatabase(join(dir, 'state.db'));
  try {
    return new SqliteRunLedger(state.db).list({ payerAccountId: '111111111111' }).map((r) => [r.version, r.outcome, r.step]);
  } finally {
    state.close();
  }
}

describe('rate stopped by a signal', () => {
  it('leaves the run interrupted at its last step, and the next rate resumes it: one usage file, one upload', async () => {
    const controller = new AbortController();
    const first = await runRate(await options(), io({ pattern: /usage file .*: draft/, controller }), env(), controller.signal);
    expect(first.map((e) => [e.result.kind, e.result.run.outcome, e.result.run.step])).toEqual([['interrupted', 'interrupted', 'file-created']]);
    expect(ledgerRuns()).toEqual([[1, 'interrupted', 'file-created']]);

    const second = await runRate(await options(), io(), env());
    expect(second.map((e) => [e.result.kind, e.result.run.version, e.result.run.outcome])).toEqual([['done', 1, 'succeeded']]);
    expect(sandbox.platform.state.usageFiles().map((f) => [f.externalId, f.status])).toEqual([['111111111111-2026-10-v1', 'pending']]);
    const calls = sandbox.platform.stats().calls;
    expect([calls['POST /usage/files'], calls['POST /usage/files/{id}/upload'], calls['POST /usage/files/{id}/submit']]).toEqual([1, 1, 1]);
  });
});

describe('reprocess stopped by a signal', () => {
  it('leaves the new version interrupted, and the next command carries it on', async () => {
    await runRate(await options(), io(), env());
    const controller = new AbortController();
    const stopped = await runReprocess({ ...(await options('0.95')), payer: '111111111111' }, io({ pattern: /usage file .*v2\): draft/, controller }), env(), controller.signal);
    expect([stopped.result.kind, stopped.result.run.version, stopped.result.run.outcome]).toEqual(['interrupted', 2, 'interrupted']);
    expect(ledgerRuns()).toEqual([
      [2, 'interrupted', 'file-created'],
      [1, 'succeeded', 'done'],
    ]);

    const resumed = await runRate(await options('0.95'), io(), env());
    expect(resumed.map((e) => [e.result.kind, e.result.run.version, e.result.run.outcome])).toEqual([['done', 2, 'succeeded']]);
    expect(ledgerRuns()).toEqual([
      [2, 'succeeded', 'done'],
      [1, 'succeeded', 'done'],
    ]);
    // v2 replaced v1 on the platform: one file per version, the earlier one deleted.
    expect(sandbox.platform.state.usageFiles().map((f) => [f.externalId, f.status])).toEqual([
      ['111111111111-2026-10-v1', 'deleted'],
      ['111111111111-2026-10-v2', 'pending'],
    ]);
  });

  it('the next reprocess carries on the interrupted version instead of starting a third', async () => {
    await runRate(await options(), io(), env());
    const controller = new AbortController();
    await runReprocess({ ...(await options('0.95')), payer: '111111111111' }, io({ pattern: /usage file .*v2\): draft/, controller }), env(), controller.signal);
    const again = await runReprocess({ ...(await options('0.95')), payer: '111111111111' }, io(), env());
    expect([again.result.kind, again.result.run.version, again.result.run.outcome]).toEqual(['done', 2, 'succeeded']);
    expect(sandbox.platform.state.usageFiles().map((f) => f.externalId)).toEqual(['111111111111-2026-10-v1', '111111111111-2026-10-v2']);
  });
});
