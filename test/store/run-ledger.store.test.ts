import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunLease } from '../../src/app/usage/ports.js';
import { openStateDatabase, type StateDatabase } from '../../src/store/database.js';
import { SqliteRunLedger } from '../../src/store/run-ledger.store.js';
import { refusal as caught } from '../support/refusal.js';

const T0 = new Date('2026-11-03T06:00:00.000Z');
const TTL_MS = 60_000;
const PAYER = '111111111111';
const OTHER = '222222222222';
const SEP = '2026-09';
const OCT = '2026-10';
const A: RunLease = { owner: 'owner-a', holder: 'pid 100 on host-a', ttlMs: TTL_MS };
const B: RunLease = { owner: 'owner-b', holder: 'pid 200 on host-b', ttlMs: TTL_MS };
const V1 = { payerAccountId: PAYER, period: OCT, version: 1, dryRun: false };

const at = (ms: number): Date => new Date(T0.getTime() + ms);
const iso = (ms: number): string => at(ms).toISOString();
const claimInput = (payerAccountId: string, period: string, dryRun = false) => ({ payerAccountId, period, trigger: 'schedule', reprocess: false, dryRun });

let dir: string;
let clock: Date;
const opened: StateDatabase[] = [];

function open(): StateDatabase {
  const state = openStateDatabase(join(dir, 'state.db'));
  opened.push(state);
  return state;
}

function ledger(state = open()): SqliteRunLedger {
  return new SqliteRunLedger(state.db, () => clock);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nr-runs-'));
  clock = T0;
});

afterEach(async () => {
  for (const state of opened.splice(0)) state.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SqliteRunLedger.renew()', () => {
  it('extends the lease to now + ttl, so the run stays held past its first expiry', () => {
    const runs = ledger();
    runs.claim(claimInput(PAYER, OCT), A, T0);
    expect(runs.renew(V1, A, at(50_000))).toBe(true);
    expect(runs.get(PAYER, OCT, 1)?.leaseExpiresAt).toBe(iso(50_000 + TTL_MS));
    expect(runs.claim(claimInput(PAYER, OCT), B, at(TTL_MS + 1)).kind).toBe('held');
  });

  it('returns false once another owner has taken the run over, leaving its lease alone', () => {
    const runs = ledger();
    runs.claim(claimInput(PAYER, OCT), A, T0);
    runs.claim(claimInput(PAYER, OCT), B, at(TTL_MS));
    expect(runs.renew(V1, A, at(TTL_MS + 1))).toBe(false);
    expect(runs.get(PAYER, OCT, 1)).toMatchObject({ holder: B.holder, leaseExpiresAt: iso(2 * TTL_MS) });
  });

  it('returns false for a finished or interrupted run, and for one that does not exist', () => {
    const runs = ledger();
    runs.claim(claimInput(PAYER, OCT), A, T0);
    runs.claim(claimInput(PAYER, SEP), A, T0);
    runs.finish(V1, 'succeeded', undefined, at(1));
    runs.interrupt({ ...V1, period: SEP }, 'SIGTERM', at(1));
    expect(runs.renew(V1, A, at(2))).toBe(false);
    expect(runs.renew({ ...V1, period: SEP }, A, at(2))).toBe(false);
    expect(runs.renew({ ...V1, version: 9 }, A, at(2))).toBe(false);
    expect(runs.get(PAYER, OCT, 1)?.leaseExpiresAt).toBeUndefined();
  });

  it('still holds for its owner when the lease ran out but nobody took the run over', () => {
    const runs = ledger();
    runs.claim(claimInput(PAYER, OCT), A, T0);
    expect(runs.renew(V1, A, at(TTL_MS + 5))).toBe(true);
    clock = at(TTL_MS + 5);
    expect(runs.get(PAYER, OCT, 1)?.outcome).toBe('running');
  });
});

describe('SqliteRunLedger.advance()', () => {
  it('records the step and the fields given, keeping those not given, and renews the lease', () => {
    const runs = ledger();
    runs.claim(claimInput(PAYER, OCT), A, T0);
    runs.advance(V1, 'rated', { workbookPath: 'out/a.xlsx', billedTotal: '1234.56', currency: 'USD', records: 42 }, at(1000));
    const run = runs.advance(V1, 'file-created', { usageFileId: 'UF-1', usageFileStatus: 'draft' }, at(2000));
    expect(run).toMatchObject({ step: 'file-created', workbookPath: 'out/a.xlsx', billedTotal: '1234.56', records: 42, usageFileId: 'UF-1', usageFileStatus: 'draft' });
    expect(run).toMatchObject({ startedAt: T0.toISOString(), updatedAt: iso(2000), leaseExpiresAt: iso(2000 + TTL_MS), holder: A.holder });
    expect(runs.get(PAYER, OCT, 1)).toEqual(run);
  });

  it('keeps the billed total as exact text, beyond what a double can hold', () => {
    const state = open();
    const runs = ledger(state);
    runs.claim(claimInput(PAYER, OCT), A, T0);
    runs.advance(V1, 'rated', { billedTotal: '12345678901234567890.1234567890' }, at(1));
    expect(runs.get(PAYER, OCT, 1)?.billedTotal).toBe('12345678901234567890.1234567890');
    expect(state.db.prepare('SELECT typeof(billed_total) AS t FROM runs').get()).toEqual({ t: 'text' });
  });

  it('records a step of an interrupted run without giving it a lease again', () => {
    const runs = ledger();
    runs.claim(claimInput(PAYER, OCT), A, T0);
    runs.interrupt(V1, 'SIGTERM', at(1));
    const run = runs.advance(V1, 'file-created', { usageFileId: 'UF-1' }, at(2));
    expect(run).toMatchObject({ outcome: 'interrupted', step: 'file-created', usageFileId: 'UF-1' });
    expect(run.leaseExpiresAt).toBeUndefined();
  });

  it('changes only the sequence named: a dry run beside the live run of the same version', () => {
    const runs = ledger();
    runs.claim(claimInput(PAYER, OCT), A, T0);
    runs.claim(claimInput(PAYER, OCT, true), A, T0);
    runs.advance({ ...V1, dryRun: true }, 'rated', { records: 7 }, at(1));
    expect(runs.get(PAYER, OCT, 1, { dryRun: true })).toMatchObject({ step: 'rated', records: 7 });
    expect(runs.get(PAYER, OCT, 1)).toMatchObject({ step: 'started' });
    expect(runs.get(PAYER, OCT, 1)?.records).toBeUndefined();
  });

  it('fails with STATE for a run that was never claimed', () => {
    const error = caught(() => ledger().advance({ ...V1, version: 3 }, 'uploaded', {}, T0));
    expect(error.code).toBe('STATE');
    expect(error.message).toContain('run v3 of payer 111111111111 for 2026-10');
  });
});

describe('SqliteRunLedger.finish()', () => {
  it('moves a succeeded run to step done, clears the error and releases the lease', () => {
    const state = open();
    const runs = ledger(state);
    runs.claim(claimInput(PAYER, OCT), A, T0);
    runs.advance(V1, 'submitted', { usageFileStatus: 'pending', error: 'a retried hiccup' }, at(1));
    const run = runs.finish(V1, 'succeeded', undefined, at(2));
    expect(run).toMatchObject({ step: 'done', outcome: 'succeeded', updatedAt: iso(2), holder: A.holder });
    expect(run.error).toBeUndefined();
    expect(run.leaseExpiresAt).toBeUndefined();
    expect(state.db.prepare('SELECT lease_owner, lease_expires_at FROM runs').get()).toEqual({ lease_owner: null, lease_expires_at: null });
  });

  it('keeps the step a failed run reached, with the error', () => {
    const runs = ledger();
    runs.claim(claimInput(PAYER, OCT), A, T0);
    runs.advance(V1, 'uploaded', {}, at(1));
    expect(runs.finish(V1, 'failed', 'usage file UF-1 is invalid: bad column', at(2))).toMatchObject({
      step: 'uploaded', outcome: 'failed', error: 'usage file UF-1 is invalid: bad column',
    });
  });

  it('fails with STATE for an unknown run, naming a dry run as such', () => {
    const error = caught(() => ledger().finish({ ...V1, dryRun: true }, 'failed', 'x', T0));
    expect(error.code).toBe('STATE');
    expect(error.message).toContain('dry run v1 of payer 111111111111 for 2026-10');
  });
});

describe('SqliteRunLedger.interrupt()', () => {
  it('stores interrupted with the reason, keeps the step and releases the lease', () => {
    const state = open();
    const runs = ledger(state);
    runs.claim(claimInput(PAYER, OCT), A, T0);
    runs.advance(V1, 'ready', {}, at(1));
    const run = runs.interrupt(V1, 'stopped by SIGTERM', at(2));
    expect(run).toMatchObject({ outcome: 'interrupted', step: 'ready', error: 'stopped by SIGTERM', holder: A.holder, updatedAt: iso(2) });
    expect(state.db.prepare('SELECT outcome, lease_owner FROM runs').get()).toEqual({ outcome: 'interrupted', lease_owner: null });
  });

  it('leaves a run that already ended as it was', () => {
    const runs = ledger();
    runs.claim(claimInput(PAYER, OCT), A, T0);
    const done = runs.finish(V1, 'succeeded', undefined, at(1));
    expect(runs.interrupt(V1, 'SIGTERM', at(2))).toEqual(done);
    expect(runs.get(PAYER, OCT, 1)).toEqual(done);
  });

  it('fails with STATE for an unknown run', () => {
    expect(caught(() => ledger().interrupt(V1, 'SIGTERM', T0)).code).toBe('STATE');
  });
});

describe('SqliteRunLedger look-ups', () => {
  /** Sep v1 succeeded; Oct v1 failed, v2 interrupted; OTHER Oct v1 abandoned at +2 min; a dry Oct v1; PAYER Nov v1 held. */
  function seeded(): SqliteRunLedger {
    const runs = ledger();
    runs.claim(claimInput(PAYER, SEP), A, at(0));
    runs.finish({ ...V1, period: SEP }, 'succeeded', undefined, at(0));
    runs.claim(claimInput(PAYER, OCT), A, at(1000));
    runs.finish(V1, 'failed', 'boom', at(1000));
    runs.claim(claimInput(OTHER, OCT), A, at(2000));
    runs.claim({ ...claimInput(PAYER, OCT), trigger: 'admin' }, A, at(3000));
    runs.interrupt({ ...V1, version: 2 }, 'SIGINT', at(3500));
    runs.claim(claimInput(PAYER, OCT, true), B, at(4000));
    runs.claim(claimInput(PAYER, '2026-11'), B, at(5000));
    return runs;
  }
  const key = (r: { payerAccountId: string; period: string; version: number; dryRun: boolean }): string => `${r.payerAccountId}/${r.period}/v${r.version}${r.dryRun ? '/dry' : ''}`;

  it('latest() and get() read the live sequence unless asked for the dry one', () => {
    const runs = seeded();
    expect(runs.latest(PAYER, OCT)).toMatchObject({ version: 2, dryRun: false, outcome: 'interrupted' });
    expect(runs.latest(PAYER, OCT, { dryRun: true })).toMatchObject({ version: 1, dryRun: true, outcome: 'running' });
    expect(runs.get(PAYER, OCT, 1)).toMatchObject({ dryRun: false, outcome: 'failed' });
    expect(runs.get(PAYER, SEP, 1, { dryRun: true })).toBeUndefined();
    expect(runs.latest(OTHER, SEP)).toBeUndefined();
  });

  it('latest() and get() judge the lease by the ledger\'s clock', () => {
    const runs = seeded();
    expect(runs.get(OTHER, OCT, 1)?.outcome).toBe('running');
    clock = at(2000 + TTL_MS);
    expect(runs.get(OTHER, OCT, 1)?.outcome).toBe('abandoned');
    expect(runs.latest(OTHER, OCT)?.outcome).toBe('abandoned');
  });

  it('list() gives the latest started first, live only unless asked, filtered and limited', () => {
    const runs = seeded();
    const live = [`${PAYER}/2026-11/v1`, `${PAYER}/${OCT}/v2`, `${OTHER}/${OCT}/v1`, `${PAYER}/${OCT}/v1`, `${PAYER}/${SEP}/v1`];
    expect(runs.list().map(key)).toEqual(live);
    expect(runs.list({ dryRun: false }).map(key)).toEqual(live);
    expect(runs.list({ dryRun: true }).map(key)).toEqual([`${PAYER}/${OCT}/v1/dry`]);
    expect(runs.list({ dryRun: 'all', period: OCT }).map(key)).toEqual([`${PAYER}/${OCT}/v1/dry`, `${PAYER}/${OCT}/v2`, `${OTHER}/${OCT}/v1`, `${PAYER}/${OCT}/v1`]);
    expect(runs.list({ payerAccountId: PAYER, period: OCT }).map(key)).toEqual([`${PAYER}/${OCT}/v2`, `${PAYER}/${OCT}/v1`]);
    expect(runs.list({ period: OCT, limit: 1 }).map(key)).toEqual([`${PAYER}/${OCT}/v2`]);
  });

  it('list() reads runs whose lease ran out at the now given as abandoned', () => {
    const runs = seeded();
    const outcomes = (now?: Date): string[] => runs.list({ dryRun: 'all' }, now).map((r) => `${key(r)} ${r.outcome}`);
    expect(outcomes()).toContain(`${OTHER}/${OCT}/v1 running`);
    expect(outcomes(at(2000 + TTL_MS))).toEqual([
      `${PAYER}/2026-11/v1 running`, `${PAYER}/${OCT}/v1/dry running`, `${PAYER}/${OCT}/v2 interrupted`,
      `${OTHER}/${OCT}/v1 abandoned`, `${PAYER}/${OCT}/v1 failed`, `${PAYER}/${SEP}/v1 succeeded`,
    ]);
  });

  it('resumable() gives the abandoned and interrupted live runs, oldest first, also after a reopen', () => {
    seeded();
    const reopened = ledger();
    expect(reopened.resumable(at(5000)).map(key)).toEqual([`${PAYER}/${OCT}/v2`]);
    const later = reopened.resumable(at(5000 + TTL_MS));
    expect(later.map((r) => `${key(r)} ${r.outcome}`)).toEqual([`${OTHER}/${OCT}/v1 abandoned`, `${PAYER}/${OCT}/v2 interrupted`, `${PAYER}/2026-11/v1 abandoned`]);
  });
});
