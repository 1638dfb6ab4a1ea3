import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunLease } from '../../src/app/usage/ports.js';
import { ConnectorError } from '../../src/domain/errors.js';
import { openStateDatabase, type StateDatabase } from '../../src/store/database.js';
import { SqliteRunLedger } from '../../src/store/run-ledger.store.js';

const T0 = new Date('2026-11-03T06:00:00.000Z');
const TTL_MS = 60_000;
const PAYER = '111111111111';
const OCT = '2026-10';
const A: RunLease = { owner: 'owner-a', holder: 'pid 100 on host-a', ttlMs: TTL_MS };
const B: RunLease = { owner: 'owner-b', holder: 'pid 200 on host-b', ttlMs: TTL_MS };
const LIVE = { payerAccountId: PAYER, period: OCT, trigger: 'schedule', reprocess: false, dryRun: false };
const DRY = { ...LIVE, trigger: 'cli', dryRun: true };

const at = (ms: number): Date => new Date(T0.getTime() + ms);
const iso = (ms: number): string => at(ms).toISOString();

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
  dir = await mkdtemp(join(tmpdir(), 'nr-claim-'));
  clock = T0;
});

afterEach(async () => {
  for (const state of opened.splice(0)) state.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SqliteRunLedger.claim() of live runs', () => {
  it('claims a fresh month as v1 at step started, held by the lease', () => {
    const state = open();
    const runs = ledger(state);
    const claim = runs.claim(LIVE, A, T0);
    const run = {
      payerAccountId: PAYER, period: OCT, version: 1, dryRun: false, step: 'started', outcome: 'running', trigger: 'schedule',
      holder: A.holder, leaseExpiresAt: iso(TTL_MS), startedAt: T0.toISOString(), updatedAt: T0.toISOString(),
    };
    expect(claim).toEqual({ kind: 'claimed', run, resumed: false });
    expect(runs.get(PAYER, OCT, 1)).toEqual(run);
    expect(state.db.prepare('SELECT lease_owner, dry_run FROM runs').all()).toEqual([{ lease_owner: 'owner-a', dry_run: 0 }]);
  });

  it('answers held, naming the holder, while another owner\'s lease is live', () => {
    const runs = ledger();
    runs.claim(LIVE, A, T0);
    const claim = runs.claim({ ...LIVE, trigger: 'admin' }, B, at(TTL_MS - 1));
    expect(claim).toMatchObject({ kind: 'held', run: { version: 1, outcome: 'running', holder: A.holder } });
    expect(runs.list()).toHaveLength(1);
    expect(runs.get(PAYER, OCT, 1)).toMatchObject({ holder: A.holder, trigger: 'schedule' });
  });

  it('answers held even for a reprocess', () => {
    const runs = ledger();
    runs.claim(LIVE, A, T0);
    expect(runs.claim({ ...LIVE, reprocess: true }, B, at(1)).kind).toBe('held');
    expect(runs.list()).toHaveLength(1);
  });

  it('gives the owner\'s own running run back, resumed', () => {
    const runs = ledger();
    runs.claim(LIVE, A, T0);
    const claim = runs.claim(LIVE, A, at(10));
    expect(claim).toMatchObject({ kind: 'claimed', resumed: true, run: { version: 1, leaseExpiresAt: iso(10 + TTL_MS) } });
  });

  it('reads a run whose lease ran out as abandoned, and resumes it at the step reached with its fields', () => {
    const runs = ledger();
    runs.claim(LIVE, A, T0);
    runs.advance({ payerAccountId: PAYER, period: OCT, version: 1, dryRun: false }, 'file-created', { usageFileId: 'UF-1', billedTotal: '10.50' }, at(1000));
    clock = at(1000 + TTL_MS);
    expect(runs.get(PAYER, OCT, 1)?.outcome).toBe('abandoned');
    expect(runs.latest(PAYER, OCT)?.outcome).toBe('abandoned');
    expect(runs.list().map((r) => r.outcome)).toEqual(['abandoned']);

    const claim = runs.claim({ ...LIVE, trigger: 'resume' }, B, clock);
    expect(claim).toMatchObject({ kind: 'claimed', resumed: true });
    const stored = { version: 1, outcome: 'running', step: 'file-created', usageFileId: 'UF-1', billedTotal: '10.50', trigger: 'schedule', holder: B.holder, leaseExpiresAt: iso(1000 + 2 * TTL_MS) };
    expect(claim.run).toMatchObject(stored);
    expect(runs.get(PAYER, OCT, 1)).toMatchObject(stored);
    expect(runs.list()).toHaveLength(1);
  });

  it('resumes an abandoned run rather than making a new version for a reprocess', () => {
    const runs = ledger();
    runs.claim(LIVE, A, T0);
    expect(runs.claim({ ...LIVE, reprocess: true }, B, at(TTL_MS))).toMatchObject({ kind: 'claimed', resumed: true, run: { version: 1 } });
  });

  it('resumes an interrupted run at its step, without the interruption\'s reason', () => {
    const runs = ledger();
    runs.claim(LIVE, A, T0);
    const ref = { payerAccountId: PAYER, period: OCT, version: 1, dryRun: false };
    runs.advance(ref, 'uploaded', { usageFileId: 'UF-1' }, at(10));
    expect(runs.interrupt(ref, 'stopped by SIGTERM', at(20))).toMatchObject({ outcome: 'interrupted', step: 'uploaded', error: 'stopped by SIGTERM' });

    const claim = runs.claim(LIVE, B, at(30));
    expect(claim).toMatchObject({ kind: 'claimed', resumed: true, run: { version: 1, outcome: 'running', step: 'uploaded', usageFileId: 'UF-1', holder: B.holder } });
    expect(runs.get(PAYER, OCT, 1)?.error).toBeUndefined();
  });

  it('starts a new version after a failed one, leaving the failure as it was', () => {
    const runs = ledger();
    runs.claim(LIVE, A, T0);
    runs.finish({ payerAccountId: PAYER, period: OCT, version: 1, dryRun: false }, 'failed', 'usage file UF-1 is invalid', at(10));
    const claim = runs.claim({ ...LIVE, trigger: 'admin' }, A, at(20));
    expect(claim).toMatchObject({ kind: 'claimed', resumed: false, run: { version: 2, step: 'started', trigger: 'admin', startedAt: iso(20) } });
    expect(runs.get(PAYER, OCT, 1)).toMatchObject({ outcome: 'failed', error: 'usage file UF-1 is invalid' });
  });

  it('answers already-done for a succeeded month, and a reprocess makes the next version', () => {
    const runs = ledger();
    runs.claim(LIVE, A, T0);
    runs.finish({ payerAccountId: PAYER, period: OCT, version: 1, dryRun: false }, 'succeeded', undefined, at(10));
    expect(runs.claim(LIVE, B, at(20))).toMatchObject({ kind: 'already-done', run: { version: 1, outcome: 'succeeded', step: 'done' } });
    expect(runs.list()).toHaveLength(1);
    expect(runs.claim({ ...LIVE, reprocess: true }, B, at(30))).toMatchObject({ kind: 'claimed', resumed: false, run: { version: 2, holder: B.holder } });
    expect(runs.latest(PAYER, OCT)?.version).toBe(2);
  });

  it('refuses a lease without a whole positive ttl', () => {
    const runs = ledger();
    const error = (() => {
      try {
        runs.claim(LIVE, { ...A, ttlMs: 0 }, T0);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).code).toBe('INTERNAL');
    expect(runs.list()).toEqual([]);
  });
});

describe('SqliteRunLedger.claim() of dry runs', () => {
  it('neither blocks nor is blocked by the live run of the month', () => {
    const runs = ledger();
    runs.claim(LIVE, A, T0);
    expect(runs.claim(DRY, B, at(1))).toMatchObject({ kind: 'claimed', run: { version: 1, dryRun: true, holder: B.holder } });
    runs.finish({ payerAccountId: PAYER, period: OCT, version: 1, dryRun: false }, 'failed', 'boom', at(2));
    expect(runs.claim(LIVE, A, at(3))).toMatchObject({ kind: 'claimed', run: { version: 2, dryRun: false } });
    expect(runs.get(PAYER, OCT, 1, { dryRun: true })).toMatchObject({ outcome: 'running', holder: B.holder });
  });

  it('never finds a succeeded live month already done', () => {
    const runs = ledger();
    runs.claim(LIVE, A, T0);
    runs.finish({ payerAccountId: PAYER, period: OCT, version: 1, dryRun: false }, 'succeeded', undefined, at(1));
    expect(runs.claim(DRY, A, at(2))).toMatchObject({ kind: 'claimed', resumed: false, run: { version: 1, dryRun: true, step: 'started' } });
    expect(runs.claim(LIVE, A, at(3)).kind).toBe('already-done');
  });

  it('never makes the live month look done or held', () => {
    const runs = ledger();
    runs.claim(DRY, A, T0);
    runs.finish({ payerAccountId: PAYER, period: OCT, version: 1, dryRun: true }, 'succeeded', undefined, at(1));
    runs.claim(DRY, A, at(2));
    expect(runs.latest(PAYER, OCT)).toBeUndefined();
    expect(runs.claim(LIVE, B, at(3))).toMatchObject({ kind: 'claimed', resumed: false, run: { version: 1, dryRun: false, holder: B.holder } });
  });

  it('answers held while another owner holds the same dry run', () => {
    const runs = ledger();
    runs.claim(DRY, A, T0);
    expect(runs.claim(DRY, B, at(1))).toMatchObject({ kind: 'held', run: { dryRun: true, holder: A.holder } });
  });

  it('starts over in its latest version, at step started with the fields cleared', () => {
    const runs = ledger();
    runs.claim(DRY, A, T0);
    const ref = { payerAccountId: PAYER, period: OCT, version: 1, dryRun: true };
    runs.advance(ref, 'rated', { workbookPath: 'out/v1.xlsx', billedTotal: '1.23', currency: 'USD', records: 3 }, at(1));
    runs.finish(ref, 'failed', 'bad CUR row', at(2));

    const claim = runs.claim({ ...DRY, trigger: 'admin' }, B, at(10));
    const run = {
      payerAccountId: PAYER, period: OCT, version: 1, dryRun: true, step: 'started', outcome: 'running', trigger: 'admin',
      holder: B.holder, leaseExpiresAt: iso(10 + TTL_MS), startedAt: iso(10), updatedAt: iso(10),
    };
    expect(claim).toEqual({ kind: 'claimed', run, resumed: false });
    expect(runs.get(PAYER, OCT, 1, { dryRun: true })).toEqual(run);
    expect(runs.list({ dryRun: true })).toHaveLength(1);
  });

  it('makes the next dry version for a reprocess', () => {
    const runs = ledger();
    runs.claim(DRY, A, T0);
    runs.finish({ payerAccountId: PAYER, period: OCT, version: 1, dryRun: true }, 'succeeded', undefined, at(1));
    expect(runs.claim({ ...DRY, reprocess: true }, A, at(2))).toMatchObject({ kind: 'claimed', run: { version: 2, dryRun: true } });
    expect(runs.get(PAYER, OCT, 1, { dryRun: true })?.outcome).toBe('succeeded');
  });
});

describe('SqliteRunLedger.claim() across processes', () => {
  it('lets exactly one of two ledgers on the same file claim the month', () => {
    const first = ledger(open());
    const second = ledger(open());
    const claims = [first.claim(LIVE, A, T0), second.claim({ ...LIVE, trigger: 'cli' }, B, T0)];
    expect(claims.map((c) => c.kind).sort()).toEqual(['claimed', 'held']);
    expect(claims[1]).toMatchObject({ kind: 'held', run: { holder: A.holder, trigger: 'schedule' } });
    expect(second.list()).toHaveLength(1);
  });

  it('lets the database itself refuse a second running row of a payer, period and sequence', () => {
    const state = open();
    ledger(state).claim(LIVE, A, T0);
    const insert = state.db.prepare(
      `INSERT INTO runs (payer_account_id, period, dry_run, version, step, outcome, "trigger", started_at, updated_at) VALUES (?, ?, ?, 2, 'started', 'running', 'cli', ?, ?)`,
    );
    expect(() => insert.run(PAYER, OCT, 0, T0.toISOString(), T0.toISOString())).toThrow(/UNIQUE/);
    expect(() => insert.run(PAYER, OCT, 1, T0.toISOString(), T0.toISOString())).not.toThrow();
  });
});
