import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Countdown } from '../../src/app/orders/ports.js';
import { openStateDatabase, type StateDatabase } from '../../src/store/database.js';
import { SqliteCountdownStore } from '../../src/store/countdown.store.js';

const PR1: Countdown = { requestId: 'PR-1', accountId: '123456789012', payerAccountId: '111111111111', closedAt: '2026-10-01', dueOn: '2026-11-30' };
const PR2: Countdown = { requestId: 'PR-2', accountId: '210987654321', payerAccountId: '111111111111', closedAt: '2026-09-01', dueOn: '2026-10-31' };

let dir: string;
let state: StateDatabase;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nr-countdown-'));
  state = openStateDatabase(join(dir, 'state.db'));
});

afterEach(async () => {
  state.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SqliteCountdownStore', () => {
  it('stores a countdown and reads it back', () => {
    const store = new SqliteCountdownStore(state.db);
    store.upsert(PR1);
    expect(store.get('PR-1')).toEqual(PR1);
  });

  it('replaces the fields of an existing countdown instead of adding a second one', () => {
    const store = new SqliteCountdownStore(state.db);
    store.upsert(PR1);
    store.upsert({ ...PR1, closedAt: '2026-10-02', dueOn: '2026-12-01' });
    expect(store.list()).toEqual([{ ...PR1, closedAt: '2026-10-02', dueOn: '2026-12-01' }]);
  });

  it('lists countdowns soonest due first', () => {
    const store = new SqliteCountdownStore(state.db);
    store.upsert(PR1);
    store.upsert(PR2);
    expect(store.list().map((c) => c.requestId)).toEqual(['PR-2', 'PR-1']);
  });

  it('removes one countdown and ignores an unknown request', () => {
    const store = new SqliteCountdownStore(state.db);
    store.upsert(PR1);
    store.upsert(PR2);
    store.remove('PR-1');
    store.remove('PR-404');
    expect(store.get('PR-1')).toBeUndefined();
    expect(store.list()).toEqual([PR2]);
  });

  it('keeps countdowns across close and reopen', () => {
    new SqliteCountdownStore(state.db).upsert(PR1);
    state.close();
    state = openStateDatabase(join(dir, 'state.db'));
    expect(new SqliteCountdownStore(state.db).get('PR-1')).toEqual(PR1);
  });
});
