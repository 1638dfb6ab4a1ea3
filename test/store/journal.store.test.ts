import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateDatabase, type StateDatabase } from '../../src/store/database.js';
import { SqliteRequestJournal } from '../../src/store/journal.store.js';

const T1 = new Date('2026-11-05T10:00:00.000Z');
const T2 = new Date('2026-11-05T10:05:00.000Z');
const T3 = new Date('2026-11-05T10:10:00.000Z');

let dir: string;
let state: StateDatabase;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nr-journal-'));
  state = openStateDatabase(join(dir, 'state.db'));
});

afterEach(async () => {
  state.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SqliteRequestJournal', () => {
  it('records a first pass with one attempt and the given time', () => {
    const journal = new SqliteRequestJournal(state.db);
    const entry = journal.record({ requestId: 'PR-1', step: 'purchase/new:create-account', outcome: 'pending' }, T1);
    expect(entry).toEqual({ requestId: 'PR-1', step: 'purchase/new:create-account', outcome: 'pending', attempts: 1, updatedAt: '2026-11-05T10:00:00.000Z' });
    expect(journal.get('PR-1')).toEqual(entry);
  });

  it('counts attempts and keeps the last step, outcome and error', () => {
    const journal = new SqliteRequestJournal(state.db);
    journal.record({ requestId: 'PR-1', step: 'purchase/new:create-account', outcome: 'pending' }, T1);
    journal.record({ requestId: 'PR-1', step: 'purchase/new:wait-account', outcome: 'error', lastError: 'AWS_THROTTLED: slow down' }, T2);
    expect(journal.get('PR-1')).toEqual({
      requestId: 'PR-1',
      step: 'purchase/new:wait-account',
      outcome: 'error',
      attempts: 2,
      lastError: 'AWS_THROTTLED: slow down',
      updatedAt: T2.toISOString(),
    });
  });

  it('clears the last error after a clean pass', () => {
    const journal = new SqliteRequestJournal(state.db);
    journal.record({ requestId: 'PR-1', step: 'a', outcome: 'error', lastError: 'boom' }, T1);
    const clean = journal.record({ requestId: 'PR-1', step: 'b', outcome: 'approved' }, T2);
    expect(clean.attempts).toBe(2);
    expect(clean.lastError).toBeUndefined();
    const row = state.db.prepare("SELECT last_error FROM request_journal WHERE request_id = 'PR-1'").get();
    expect(row).toEqual({ last_error: null });
  });

  it('keeps requests apart and lists them least recently updated first', () => {
    const journal = new SqliteRequestJournal(state.db);
    journal.record({ requestId: 'PR-2', step: 'x', outcome: 'pending' }, T1);
    journal.record({ requestId: 'PR-1', step: 'x', outcome: 'pending' }, T2);
    journal.record({ requestId: 'PR-2', step: 'y', outcome: 'approved' }, T3);
    expect(journal.list().map((e) => [e.requestId, e.attempts])).toEqual([
      ['PR-1', 1],
      ['PR-2', 2],
    ]);
  });

  it('returns undefined for a request never recorded', () => {
    expect(new SqliteRequestJournal(state.db).get('PR-404')).toBeUndefined();
  });

  it('keeps entries across close and reopen', () => {
    new SqliteRequestJournal(state.db).record({ requestId: 'PR-1', step: 'a', outcome: 'pending' }, T1);
    state.close();
    state = openStateDatabase(join(dir, 'state.db'));
    const journal = new SqliteRequestJournal(state.db);
    expect(journal.record({ requestId: 'PR-1', step: 'b', outcome: 'approved' }, T2).attempts).toBe(2);
  });
});
