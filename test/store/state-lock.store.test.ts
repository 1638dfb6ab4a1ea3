import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openStateDatabase, type StateDatabase } from '../../src/store/database.js';
import { STATE_LOCK_TTL_MS, StateLock, type ProcessIdentity, type StateLockEvent } from '../../src/store/state-lock.store.js';
import { refusal } from '../support/refusal.js';

const T0 = new Date('2026-11-05T10:00:00.000Z');
const HERE: ProcessIdentity = { pid: 4242, host: 'node-a', pidNamespace: 'pid:[1]' };

let dir: string;
let clock: Date;
const now = (): Date => clock;
const opened: StateDatabase[] = [];
const locks: StateLock[] = [];

function open(): StateDatabase {
  const state = openStateDatabase(join(dir, 'state.db'));
  opened.push(state);
  return state;
}

function acquire(state: StateDatabase, options: { identity?: ProcessIdentity; alive?: (pid: number) => boolean; events?: StateLockEvent[] } = {}): StateLock {
  const lock = StateLock.acquire(state.db, state.path, {
    now,
    identity: options.identity ?? HERE,
    alive: options.alive ?? (() => true),
    onEvent: (event) => options.events?.push(event),
  });
  locks.push(lock);
  return lock;
}

/** A lease left behind by a process that is not this one (crashed, or on another host). */
function leftBehind(state: StateDatabase, row: { pid: number; host: string; ns?: string; acquiredAt: Date; expiresAt: Date }): void {
  state.db
    .prepare(
      `INSERT INTO state_lock (id, owner, holder, pid, host, pid_namespace, acquired_at, expires_at)
       VALUES (1, 'someone-else', @holder, @pid, @host, @ns, @acquiredAt, @expiresAt)`,
    )
    .run({ holder: `pid ${row.pid} on host ${row.host}`, pid: row.pid, host: row.host, ns: row.ns ?? null, acquiredAt: row.acquiredAt.toISOString(), expiresAt: row.expiresAt.toISOString() });
}

const later = (ms: number): Date => new Date(T0.getTime() + ms);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nr-state-lock-'));
  clock = T0;
});

afterEach(async () => {
  vi.useRealTimers();
  for (const lock of locks.splice(0)) lock.release();
  for (const state of opened.splice(0)) state.close();
  await rm(dir, { recursive: true, force: true });
});

describe('StateLock.acquire()', () => {
  it('stores the holder, since when and until when', () => {
    const state = open();
    acquire(state);
    expect(StateLock.read(state.db)).toEqual({ holder: 'pid 4242 on host node-a', pid: 4242, host: 'node-a', acquiredAt: T0.toISOString(), expiresAt: later(STATE_LOCK_TTL_MS).toISOString() });
  });

  it('refuses a second holder on the same file, naming the first and since when', () => {
    acquire(open());
    clock = later(10_000);
    const error = refusal(() => acquire(open(), { identity: { pid: 5151, host: 'node-b' } }));
    expect(error.code).toBe('STATE');
    expect(error.message).toContain('is in use by pid 4242 on host node-a since 2026-11-05T10:00:00.000Z');
    expect(error.message).toContain(join(dir, 'state.db'));
    expect(error.where).toMatchObject({ file: join(dir, 'state.db'), value: 'pid 4242 on host node-a' });
  });

  it('refuses a second runtime of this very process while the first holds the lease', () => {
    acquire(open());
    expect(refusal(() => acquire(open())).message).toContain('in use by pid 4242 on host node-a');
  });

  it('lets the next holder in once the first released', () => {
    const first = acquire(open());
    first.release();
    acquire(open(), { identity: { pid: 5151, host: 'node-b' } });
    expect(StateLock.read(open().db)?.holder).toBe('pid 5151 on host node-b');
  });

  it('takes over an expired lease of another host, with a warning naming the previous holder', () => {
    const state = open();
    leftBehind(state, { pid: 77, host: 'node-z', acquiredAt: later(-120_000), expiresAt: later(-1) });
    const events: StateLockEvent[] = [];
    acquire(state, { events });
    expect(StateLock.read(state.db)?.holder).toBe('pid 4242 on host node-a');
    expect(events).toEqual([{ kind: 'taken-over', reason: 'expired', previous: expect.objectContaining({ holder: 'pid 77 on host node-z', expiresAt: later(-1).toISOString() }) }]);
  });

  it('refuses a live lease of another host until it expires', () => {
    const state = open();
    leftBehind(state, { pid: 77, host: 'node-z', acquiredAt: T0, expiresAt: later(60_000) });
    expect(refusal(() => acquire(state, { alive: () => false })).message).toContain('pid 77 on host node-z');
    clock = later(60_000);
    acquire(state);
    expect(StateLock.read(state.db)?.holder).toBe('pid 4242 on host node-a');
  });

  it('takes over at once a lease of this host whose pid is gone', () => {
    const state = open();
    leftBehind(state, { pid: 77, host: 'node-a', ns: 'pid:[1]', acquiredAt: T0, expiresAt: later(60_000) });
    const events: StateLockEvent[] = [];
    const asked: number[] = [];
    acquire(state, { events, alive: (pid) => (asked.push(pid), false) });
    expect(asked).toEqual([77]);
    expect(events).toMatchObject([{ kind: 'taken-over', reason: 'holder-gone', previous: { holder: 'pid 77 on host node-a' } }]);
  });

  it('refuses a lease of this host whose pid still runs', () => {
    const state = open();
    leftBehind(state, { pid: 77, host: 'node-a', ns: 'pid:[1]', acquiredAt: T0, expiresAt: later(60_000) });
    expect(refusal(() => acquire(state, { alive: () => true })).message).toContain('pid 77 on host node-a');
  });

  it('does not judge a pid of another pid namespace on the same host name (another container)', () => {
    const state = open();
    leftBehind(state, { pid: 1, host: 'node-a', ns: 'pid:[2]', acquiredAt: T0, expiresAt: later(60_000) });
    expect(refusal(() => acquire(state, { identity: { pid: 1, host: 'node-a', pidNamespace: 'pid:[1]' }, alive: () => false })).code).toBe('STATE');
  });

  it('takes over a lease with its own pid but not its token: a previous life of this process (a restarted container)', () => {
    const state = open();
    leftBehind(state, { pid: 4242, host: 'node-a', ns: 'pid:[1]', acquiredAt: T0, expiresAt: later(60_000) });
    const events: StateLockEvent[] = [];
    acquire(state, { events, alive: () => true });
    expect(events).toMatchObject([{ kind: 'taken-over', reason: 'holder-gone' }]);
  });
});

describe('StateLock renewal and release', () => {
  it('renews the lease every third of its life, from the injected clock', () => {
    vi.useFakeTimers();
    const state = open();
    acquire(state);
    clock = later(STATE_LOCK_TTL_MS / 3);
    vi.advanceTimersByTime(STATE_LOCK_TTL_MS / 3);
    expect(StateLock.read(state.db)?.expiresAt).toBe(later(STATE_LOCK_TTL_MS / 3 + STATE_LOCK_TTL_MS).toISOString());
    expect(StateLock.read(state.db)?.acquiredAt).toBe(T0.toISOString());
  });

  it('keeps a renewed lease from being taken over as expired', () => {
    vi.useFakeTimers();
    const state = open();
    acquire(state);
    for (let i = 1; i <= 6; i += 1) {
      clock = later((i * STATE_LOCK_TTL_MS) / 3);
      vi.advanceTimersByTime(STATE_LOCK_TTL_MS / 3);
    }
    expect(refusal(() => acquire(open(), { identity: { pid: 5151, host: 'node-b' } })).message).toContain('pid 4242 on host node-a');
  });

  it('reports the lease lost when another process took it over, and fires `lost`', () => {
    const state = open();
    const events: StateLockEvent[] = [];
    const lock = acquire(state, { events });
    state.db.prepare("UPDATE state_lock SET owner = 'thief', holder = 'pid 9 on host node-t'").run();
    expect(lock.renew()).toBe(false);
    expect(lock.lost.aborted).toBe(true);
    expect(events).toMatchObject([{ kind: 'lost', holder: { holder: 'pid 9 on host node-t' } }]);
  });

  it('release() deletes only its own lease, and can be called twice', () => {
    const state = open();
    const lock = acquire(state);
    state.db.prepare("UPDATE state_lock SET owner = 'thief'").run();
    lock.release();
    lock.release();
    expect(StateLock.read(state.db)?.holder).toBe('pid 4242 on host node-a');
  });

  it('release() after the database closed does not throw', () => {
    const state = open();
    const lock = acquire(state);
    state.close();
    expect(() => lock.release()).not.toThrow();
  });
});
