import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../src/domain/errors.js';
import { openStateDatabase, type StateDatabase } from '../../src/store/database.js';
import { SqliteRunLedger } from '../../src/store/run-ledger.store.js';

const T1 = new Date('2026-11-03T06:00:00.000Z');
const T2 = new Date('2026-11-03T06:05:00.000Z');
const T3 = new Date('2026-11-04T06:00:00.000Z');
const PAYER = '111111111111';
const OTHER = '222222222222';
const OCT = '2026-10';

let dir: string;
const opened: StateDatabase[] = [];

function open(): StateDatabase {
  const state = openStateDatabase(join(dir, 'state.db'));
  opened.push(state);
  return state;
}

function caught(action: () => unknown): ConnectorError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConnectorError) return error;
    throw error;
  }
  throw new Error('expected a ConnectorError');
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nr-runs-'));
});

afterEach(async () => {
  for (const state of opened.splice(0)) state.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SqliteRunLedger.start()', () => {
  it('starts a version at step started, running, at the given time', () => {
    const ledger = new SqliteRunLedger(open().db);
    const result = ledger.start({ payerAccountId: PAYER, period: OCT, version: 1, trigger: 'schedule' }, T1);
    const run = { payerAccountId: PAYER, period: OCT, version: 1, step: 'started', outcome: 'running', trigger: 'schedule', startedAt: T1.toISOString(), updatedAt: T1.toISOString() };
    expect(result).toEqual({ started: true, run });
    expect(ledger.get(PAYER, OCT, 1)).toEqual(run);
  });

  it('returns the running run instead of starting a second one for the same payer and period', () => {
    const ledger = new SqliteRunLedger(open().db);
    ledger.start({ payerAccountId: PAYER, period: OCT, version: 1, trigger: 'schedule' }, T1);
    const again = ledger.start({ payerAccountId: PAYER, period: OCT, version: 2, trigger: 'admin' }, T2);
    expect(again).toMatchObject({ started: false, running: { version: 1, trigger: 'schedule' } });
    expect(ledger.list()).toHaveLength(1);
  });

  it('starts one run when two connections start the same payer and period', () => {
    const first = new SqliteRunLedger(open().db);
    const second = new SqliteRunLedger(open().db);
    const a = first.start({ payerAccountId: PAYER, period: OCT, version: 1, trigger: 'schedule' }, T1);
    const b = second.start({ payerAccountId: PAYER, period: OCT, version: 1, trigger: 'cli' }, T1);
    expect(a.started).toBe(true);
    expect(b).toMatchObject({ started: false, running: { trigger: 'schedule' } });
    expect(first.list()).toHaveLength(1);
  });

  it('lets the database itself refuse a second running row of a payer and period', () => {
    const state = open();
    new SqliteRunLedger(state.db).start({ payerAccountId: PAYER, period: OCT, version: 1, trigger: 'schedule' }, T1);
    const insert = state.db.prepare(
      `INSERT INTO runs (payer_account_id, period, version, step, outcome, "trigger", started_at, updated_at) VALUES (?, ?, 2, 'started', 'running', 'cli', ?, ?)`,
    );
    expect(() => insert.run(PAYER, OCT, T2.toISOString(), T2.toISOString())).toThrow(/UNIQUE/);
  });

  it('starts runs of other payers and periods alongside a running one', () => {
    const ledger = new SqliteRunLedger(open().db);
    ledger.start({ payerAccountId: PAYER, period: OCT, version: 1, trigger: 'schedule' }, T1);
    expect(ledger.start({ payerAccountId: OTHER, period: OCT, version: 1, trigger: 'schedule' }, T1).started).toBe(true);
    expect(ledger.start({ payerAccountId: PAYER, period: '2026-09', version: 1, trigger: 'catch-up' }, T1).started).toBe(true);
  });

  it('refuses with STATE a version that already exists', () => {
    const ledger = new SqliteRunLedger(open().db);
    ledger.start({ payerAccountId: PAYER, period: OCT, version: 1, trigger: 'schedule' }, T1);
    ledger.finish(PAYER, OCT, 1, 'succeeded', undefined, T2);
    const error = caught(() => ledger.start({ payerAccountId: PAYER, period: OCT, version: 1, trigger: 'cli' }, T3));
    expect(error.code).toBe('STATE');
    expect(error.message).toContain('run v1 of payer 111111111111 for 2026-10 already exists');
    expect(ledger.get(PAYER, OCT, 1)).toMatchObject({ outcome: 'succeeded', trigger: 'schedule' });
  });
});

describe('SqliteRunLedger.advance()', () => {
  it('records the step and the fields given, keeping those not given', () => {
    const ledger = new SqliteRunLedger(open().db);
    ledger.start({ payerAccountId: PAYER, period: OCT, version: 1, trigger: 'schedule' }, T1);
    ledger.advance(PAYER, OCT, 1, 'rated', { workbookPath: 'out/a.xlsx', billedTotal: '1234.56', currency: 'USD', records: 42 }, T2);
    const run = ledger.advance(PAYER, OCT, 1, 'file-created', { usageFileId: 'UF-1', usageFileStatus: 'draft' }, T3);
    expect(run).toMatchObject({ step: 'file-created', workbookPath: 'out/a.xlsx', billedTotal: '1234.56', records: 42, usageFileId: 'UF-1', usageFileStatus: 'draft' });
    expect(run.startedAt).toBe(T1.toISOString());
    expect(run.updatedAt).toBe(T3.toISOString());
    expect(ledger.get(PAYER, OCT, 1)).toEqual(run);
  });

  it('keeps the billed total as exact text, beyond what a double can hold', () => {
    const state = open();
    const ledger = new SqliteRunLedger(state.db);
    ledger.start({ payerAccountId: PAYER, period: OCT, version: 1, trigger: 'schedule' }, T1);
    ledger.advance(PAYER, OCT, 1, 'rated', { billedTotal: '12345678901234567890.1234567890' }, T2);
    expect(ledger.get(PAYER, OCT, 1)?.billedTotal).toBe('12345678901234567890.1234567890');
    expect(state.db.prepare('SELECT typeof(billed_total) AS t FROM runs').get()).toEqual({ t: 'text' });
  });

  it('fails with STATE for a run that was never started', () => {
    const ledger = new SqliteRunLedger(open().db);
    const error = caught(() => ledger.advance(PAYER, OCT, 3, 'uploaded', {}, T1));
    expect(error.code).toBe('STATE');
    expect(error.message).toContain('run v3 of payer 111111111111 for 2026-10');
  });
});

describe('SqliteRunLedger.finish()', () => {
  it('moves a succeeded run to step done', () => {
    const ledger = new SqliteRunLedger(open().db);
    ledger.start({ payerAccountId: PAYER, period: OCT, version: 1, trigger: 'schedule' }, T1);
    ledger.advance(PAYER, OCT, 1, 'submitted', { usageFileStatus: 'pending' }, T2);
    expect(ledger.finish(PAYER, OCT, 1, 'succeeded', undefined, T3)).toMatchObject({ step: 'done', outcome: 'succeeded', updatedAt: T3.toISOString() });
  });

  it('keeps the step a failed run reached, with the error, and frees the period for a new version', () => {
    const ledger = new SqliteRunLedger(open().db);
    ledger.start({ payerAccountId: PAYER, period: OCT, version: 1, trigger: 'schedule' }, T1);
    ledger.advance(PAYER, OCT, 1, 'uploaded', {}, T2);
    const run = ledger.finish(PAYER, OCT, 1, 'failed', 'usage file UF-1 is invalid: bad column', T3);
    expect(run).toMatchObject({ step: 'uploaded', outcome: 'failed', error: 'usage file UF-1 is invalid: bad column' });
    expect(ledger.start({ payerAccountId: PAYER, period: OCT, version: 2, trigger: 'admin' }, T3).started).toBe(true);
  });

  it('fails with STATE for an unknown run', () => {
    const ledger = new SqliteRunLedger(open().db);
    expect(caught(() => ledger.finish(PAYER, OCT, 1, 'failed', 'x', T1)).code).toBe('STATE');
  });
});

describe('SqliteRunLedger look-ups', () => {
  function seeded(): SqliteRunLedger {
    const ledger = new SqliteRunLedger(open().db);
    ledger.start({ payerAccountId: PAYER, period: '2026-09', version: 1, trigger: 'schedule' }, T1);
    ledger.finish(PAYER, '2026-09', 1, 'succeeded', undefined, T1);
    ledger.start({ payerAccountId: PAYER, period: OCT, version: 1, trigger: 'schedule' }, T2);
    ledger.finish(PAYER, OCT, 1, 'failed', 'boom', T2);
    ledger.start({ payerAccountId: PAYER, period: OCT, version: 2, trigger: 'admin' }, T3);
    ledger.start({ payerAccountId: OTHER, period: OCT, version: 1, trigger: 'schedule' }, T2);
    return ledger;
  }

  it('latest() gives the highest version of a payer and period', () => {
    const ledger = seeded();
    expect(ledger.latest(PAYER, OCT)?.version).toBe(2);
    expect(ledger.latest(OTHER, '2026-09')).toBeUndefined();
  });

  it('list() gives the latest started first, filtered and limited', () => {
    const ledger = seeded();
    const key = (r: { payerAccountId: string; period: string; version: number }): string => `${r.payerAccountId}/${r.period}/v${r.version}`;
    expect(ledger.list().map(key)).toEqual([`${PAYER}/${OCT}/v2`, `${PAYER}/${OCT}/v1`, `${OTHER}/${OCT}/v1`, `${PAYER}/2026-09/v1`]);
    expect(ledger.list({ payerAccountId: PAYER, period: OCT }).map(key)).toEqual([`${PAYER}/${OCT}/v2`, `${PAYER}/${OCT}/v1`]);
    expect(ledger.list({ period: OCT, limit: 1 }).map(key)).toEqual([`${PAYER}/${OCT}/v2`]);
  });

  it('unfinished() gives the runs left running, oldest first, also after a reopen', () => {
    seeded();
    const reopened = new SqliteRunLedger(open().db);
    expect(reopened.unfinished().map((r) => [r.payerAccountId, r.version])).toEqual([
      [OTHER, 1],
      [PAYER, 2],
    ]);
  });
});
