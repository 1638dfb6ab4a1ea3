import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualActionInput } from '../../src/app/orders/ports.js';
import { openStateDatabase, type StateDatabase } from '../../src/store/database.js';
import { SqliteManualActionStore } from '../../src/store/manual-actions.store.js';

const T1 = new Date('2026-11-05T10:00:00.000Z');
const T2 = new Date('2026-11-06T09:30:00.000Z');

const PLAN: ManualActionInput = {
  kind: 'set-support-plan',
  requestId: 'PR-1',
  accountId: '123456789012',
  payerAccountId: '111111111111',
  detail: 'set support plan business on account 123456789012 in the AWS console',
};
const CLOSE: ManualActionInput = { ...PLAN, kind: 'close-account', requestId: 'PR-2', detail: 'close account 123456789012 in the AWS console' };

let dir: string;
let state: StateDatabase;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nr-manual-'));
  state = openStateDatabase(join(dir, 'state.db'));
});

afterEach(async () => {
  state.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SqliteManualActionStore', () => {
  it('records an open action with an id and the given time', () => {
    const store = new SqliteManualActionStore(state.db);
    const added = store.add(PLAN, T1);
    expect(added).toEqual({ ...PLAN, id: 1, createdAt: T1.toISOString() });
    expect(store.list()).toEqual([added]);
  });

  it('returns the existing action unchanged when the same kind and request is added again', () => {
    const store = new SqliteManualActionStore(state.db);
    const first = store.add(PLAN, T1);
    const again = store.add({ ...PLAN, detail: 'another sentence', accountId: '999999999999' }, T2);
    expect(again).toEqual(first);
    expect(store.list()).toEqual([first]);
  });

  it('does not reopen a done action when it is added again', () => {
    const store = new SqliteManualActionStore(state.db);
    const first = store.add(PLAN, T1);
    store.markDone(first.id, T2, 'ops@example.com');
    const again = store.add(PLAN, T2);
    expect(again).toEqual({ ...first, doneAt: T2.toISOString(), doneBy: 'ops@example.com' });
    expect(store.list({ open: true })).toEqual([]);
  });

  it('keeps one action per kind for the same request', () => {
    const store = new SqliteManualActionStore(state.db);
    store.add(PLAN, T1);
    store.add({ ...PLAN, kind: 'accept-invitation', detail: 'accept the invitation' }, T1);
    expect(store.list().map((a) => a.kind)).toEqual(['set-support-plan', 'accept-invitation']);
  });

  it('lists only open actions with { open: true }, all otherwise, ordered by id', () => {
    const store = new SqliteManualActionStore(state.db);
    const plan = store.add(PLAN, T1);
    const close = store.add(CLOSE, T1);
    store.markDone(plan.id, T2);
    expect(store.list({ open: true }).map((a) => a.id)).toEqual([close.id]);
    expect(store.list().map((a) => a.id)).toEqual([plan.id, close.id]);
    expect(store.list({ open: false }).map((a) => a.id)).toEqual([plan.id, close.id]);
  });

  it('marks an open action done once, with time and who', () => {
    const store = new SqliteManualActionStore(state.db);
    const plan = store.add(PLAN, T1);
    expect(store.markDone(plan.id, T2, 'alice')).toBe(true);
    expect(store.markDone(plan.id, T2, 'bob')).toBe(false);
    expect(store.list()).toEqual([{ ...plan, doneAt: T2.toISOString(), doneBy: 'alice' }]);
  });

  it('marks done without a name, leaving doneBy absent', () => {
    const store = new SqliteManualActionStore(state.db);
    const plan = store.add(PLAN, T1);
    expect(store.markDone(plan.id, T2)).toBe(true);
    const [done] = store.list();
    expect(done?.doneAt).toBe(T2.toISOString());
    expect(done).not.toHaveProperty('doneBy');
  });

  it('returns false for an unknown id', () => {
    expect(new SqliteManualActionStore(state.db).markDone(42, T2)).toBe(false);
  });

  it('keeps actions and their state across close and reopen', () => {
    const store = new SqliteManualActionStore(state.db);
    const plan = store.add(PLAN, T1);
    store.add(CLOSE, T1);
    store.markDone(plan.id, T2, 'alice');
    const before = store.list();
    state.close();

    state = openStateDatabase(join(dir, 'state.db'));
    const reopened = new SqliteManualActionStore(state.db);
    expect(reopened.list()).toEqual(before);
    expect(reopened.add(PLAN, T2)).toEqual(before[0]);
    expect(reopened.add({ ...CLOSE, requestId: 'PR-3' }, T2).id).toBe(3);
  });
});

describe('SqliteManualActionStore.find()', () => {
  it('finds the action of a kind and request, open or done, and nothing for another kind', async () => {
    const { openStateDatabase } = await import('../../src/store/database.js');
    const { SqliteManualActionStore } = await import('../../src/store/manual-actions.store.js');
    const state = openStateDatabase(':memory:');
    const store = new SqliteManualActionStore(state.db);
    const now = new Date('2026-11-26T10:00:00Z');
    const added = store.add({ kind: 'close-account', requestId: 'PR-1', accountId: '555555555555', payerAccountId: '111111111111', detail: 'close it' }, now);
    expect(store.find('close-account', 'PR-1')).toEqual(added);
    store.markDone(added.id, now, 'alice');
    expect(store.find('close-account', 'PR-1')?.doneBy).toBe('alice');
    expect(store.find('set-support-plan', 'PR-1')).toBeUndefined();
    state.close();
  });
});
