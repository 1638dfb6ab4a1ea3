import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, openStateDatabase, type StateDatabase } from '../../src/store/database.js';
import { SqliteRunLedger } from '../../src/store/run-ledger.store.js';

const LEASED = MIGRATIONS.findIndex((m) => m.sql.includes('CREATE TABLE runs_v4'));
const BEFORE = MIGRATIONS.slice(0, LEASED);
const NOW = new Date('2026-11-05T10:00:00.000Z');
const PAYER = '111111111111';
const LEASE = { owner: 'owner-new', holder: 'pid 300 on host-c', ttlMs: 60_000 };

let dir: string;
const opened: StateDatabase[] = [];

function open(migrations = MIGRATIONS): StateDatabase {
  const state = openStateDatabase(join(dir, 'state.db'), migrations);
  opened.push(state);
  return state;
}

/** A file at the schema before leases, with the runs the old ledger wrote. */
function oldFile(): void {
  const state = open(BEFORE);
  const insert = state.db.prepare(
    `INSERT INTO runs (payer_account_id, period, version, step, outcome, "trigger", usage_file_id, billed_total, currency, records, error, started_at, updated_at)
     VALUES (@payer, @period, @version, @step, @outcome, @trigger, @file, @total, 'USD', @records, @error, @started, @updated)`,
  );
  insert.run({ payer: PAYER, period: '2026-09', version: 1, step: 'done', outcome: 'succeeded', trigger: 'schedule', file: 'UF-9', total: '12345678901234567890.12', records: 3, error: null, started: '2026-10-03T06:00:00.000Z', updated: '2026-10-03T06:30:00.000Z' });
  insert.run({ payer: PAYER, period: '2026-10', version: 1, step: 'uploaded', outcome: 'failed', trigger: 'schedule', file: 'UF-10', total: '5.00', records: 2, error: 'invalid', started: '2026-11-03T06:00:00.000Z', updated: '2026-11-03T06:10:00.000Z' });
  insert.run({ payer: PAYER, period: '2026-10', version: 2, step: 'file-created', outcome: 'running', trigger: 'admin', file: 'UF-11', total: '5.10', records: 2, error: null, started: '2026-11-04T06:00:00.000Z', updated: '2026-11-05T09:59:00.000Z' });
  state.close();
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nr-runs-migration-'));
});

afterEach(async () => {
  for (const state of opened.splice(0)) state.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the run ledger migration (leases and dry runs)', () => {
  it('comes right after the schema the old rows are written at', () => {
    expect(LEASED).toBeGreaterThan(0);
    expect(MIGRATIONS[LEASED]?.version).toBe((BEFORE.at(-1)?.version ?? 0) + 1);
  });

  it('keeps every old row as a live run, money as exact text', () => {
    oldFile();
    const state = open();
    const runs = new SqliteRunLedger(state.db, () => NOW);
    expect(state.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)?.version);
    expect(runs.get(PAYER, '2026-09', 1)).toEqual({
      payerAccountId: PAYER, period: '2026-09', version: 1, dryRun: false, step: 'done', outcome: 'succeeded', trigger: 'schedule',
      usageFileId: 'UF-9', billedTotal: '12345678901234567890.12', currency: 'USD', records: 3, startedAt: '2026-10-03T06:00:00.000Z', updatedAt: '2026-10-03T06:30:00.000Z',
    });
    expect(runs.get(PAYER, '2026-10', 1)).toMatchObject({ outcome: 'failed', step: 'uploaded', error: 'invalid', dryRun: false });
    expect(runs.list({ dryRun: true })).toEqual([]);
    expect(state.db.prepare('SELECT DISTINCT typeof(billed_total) AS t FROM runs').all()).toEqual([{ t: 'text' }]);
  });

  it('turns a run left running into one with an expired lease: abandoned, resumable, resumed at its step', () => {
    oldFile();
    const state = open();
    const runs = new SqliteRunLedger(state.db, () => NOW);
    expect(runs.get(PAYER, '2026-10', 2)).toMatchObject({ outcome: 'abandoned', leaseExpiresAt: '2026-11-05T09:59:00.000Z' });
    expect(runs.get(PAYER, '2026-10', 2)?.holder).toBeUndefined();
    expect(runs.resumable(NOW).map((r) => [r.period, r.version])).toEqual([['2026-10', 2]]);

    const claim = runs.claim({ payerAccountId: PAYER, period: '2026-10', trigger: 'resume', reprocess: false, dryRun: false }, LEASE, NOW);
    expect(claim).toMatchObject({ kind: 'claimed', resumed: true, run: { version: 2, step: 'file-created', usageFileId: 'UF-11', trigger: 'admin', holder: LEASE.holder } });
  });

  it('keys runs by dry run too, and still allows one running row per payer, period and sequence', () => {
    oldFile();
    const state = open();
    const columns = state.db.prepare<[], { name: string; pk: number }>('PRAGMA table_info(runs)').all();
    expect(columns.filter((c) => c.pk > 0).sort((x, y) => x.pk - y.pk).map((c) => c.name)).toEqual(['payer_account_id', 'period', 'dry_run', 'version']);
    expect(columns.map((c) => c.name)).toEqual(expect.arrayContaining(['dry_run', 'lease_owner', 'holder', 'lease_expires_at']));
    const insert = state.db.prepare(
      `INSERT INTO runs (payer_account_id, period, dry_run, version, step, outcome, "trigger", started_at, updated_at) VALUES (?, '2026-10', ?, 3, 'started', ?, 'cli', 'x', 'x')`,
    );
    expect(() => insert.run(PAYER, 0, 'running')).toThrow(/UNIQUE/);
    expect(() => insert.run(PAYER, 1, 'running')).not.toThrow();
    expect(() => insert.run(PAYER, 0, 'abandoned')).toThrow(/CHECK/);
  });
});
