/**
 * One daemon per state database: an exclusive lease in the `state_lock` table
 * (migration 5), taken by `daemon` and `process --once` before they touch the
 * journal, renewed by an unref'd timer at a third of its life and released on
 * close. A second process on the same state is refused, naming the holder. A
 * lease nobody renewed (its holder crashed) is taken over once it expires; on
 * the holder's own host, a holder whose pid is gone is taken over at once.
 *
 * Month runs (`rate`, `reprocess`, the daemon's schedule) hold a lease per run
 * in the run ledger instead (run-ledger.store.ts): two of them on one state
 * never work the same payer's month, and they may run beside the daemon.
 */
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ConnectorError } from '../domain/errors.js';
import { inState } from './database.js';

/** How long the lease holds without a renewal, in ms; it is renewed every third of that. */
export const STATE_LOCK_TTL_MS = 60_000;

/** Who holds (or held) the state: as stored. */
export interface StateLockHolder {
  /** "pid N on host H", for a person. */
  holder: string;
  pid: number;
  host: string;
  /** ISO times. */
  acquiredAt: string;
  expiresAt: string;
}

/** The process asking for the lease; defaults: this process. */
export interface ProcessIdentity {
  pid: number;
  host: string;
  /** Linux's pid namespace (`/proc/self/ns/pid`): two containers with one host name still have their own pids. */
  pidNamespace?: string;
}

/** What happened to the lease, for the caller's log. */
export type StateLockEvent =
  | { kind: 'taken-over'; previous: StateLockHolder; reason: 'expired' | 'holder-gone' }
  | { kind: 'lost'; holder?: StateLockHolder }
  | { kind: 'renew-failed'; error: ConnectorError };

export interface StateLockOptions {
  /** The clock every lease time comes from. */
  now: () => Date;
  /** Lease life in ms (default STATE_LOCK_TTL_MS). */
  ttlMs?: number;
  identity?: ProcessIdentity;
  /** True when `pid` runs on this host (default: `process.kill(pid, 0)`, ESRCH is gone). */
  alive?: (pid: number) => boolean;
  /** Takeovers, a lease lost to another process, a renewal that failed. */
  onEvent?: (event: StateLockEvent) => void;
}

interface LockRow {
  owner: string;
  holder: string;
  pid: number;
  host: string;
  pid_namespace: string | null;
  acquired_at: string;
  expires_at: string;
}

/** Owner tokens this process holds now: a holder with our pid but not in here is a previous life of ours. */
const HELD = new Set<string>();

function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** This process: its pid, host name and (Linux) pid namespace. */
export function thisProcess(): ProcessIdentity {
  const ns = pidNamespace();
  return { pid: process.pid, host: hostname(), ...(ns === undefined ? {} : { pidNamespace: ns }) };
}

/** `process.kill(pid, 0)`: no signal sent, only asks whether the process exists (EPERM: it does, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

const holderOf = (row: LockRow): StateLockHolder => ({ holder: row.holder, pid: row.pid, host: row.host, acquiredAt: row.acquired_at, expiresAt: row.expires_at });
const expiry = (now: Date, ttlMs: number): string => new Date(now.getTime() + ttlMs).toISOString();

/** The exclusive lease of one process on one state database. Take it with `StateLock.acquire`. */
export class StateLock {
  private timer: ReturnType<typeof setInterval> | undefined;
  private released = false;
  private readonly lostController = new AbortController();

  private constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly owner: string,
    /** "pid N on host H". */
    readonly holder: string,
    private readonly options: StateLockOptions & { ttlMs: number },
  ) {}

  /**
   * Takes the lease on the state database `db` (opened from `path`) in one
   * IMMEDIATE transaction and starts renewing it. Throws `ConnectorError('STATE')`
   * naming the holder and since when while another live process holds it.
   */
  static acquire(db: Database.Database, path: string, options: StateLockOptions): StateLock {
    const ttlMs = options.ttlMs ?? STATE_LOCK_TTL_MS;
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 3) throw new ConnectorError('INTERNAL', `the state lock needs a whole ttlMs of at least 3, got ${String(ttlMs)}`);
    const me = options.identity ?? thisProcess();
    const alive = options.alive ?? processAlive;
    const owner = randomUUID();
    const holder = `pid ${me.pid} on host ${me.host}`;
    const select = inState('prepare the state lock', () => db.prepare<[], LockRow>('SELECT * FROM state_lock WHERE id = 1'));
    const upsert = inState('prepare the state lock', () =>
      db.prepare(
        `INSERT INTO state_lock (id, owner, holder, pid, host, pid_namespace, acquired_at, expires_at)
         VALUES (1, @owner, @holder, @pid, @host, @ns, @now, @expiresAt)
         ON CONFLICT (id) DO UPDATE SET owner = @owner, holder = @holder, pid = @pid, host = @host, pid_namespace = @ns, acquired_at = @now, expires_at = @expiresAt`,
      ),
    );
    /** Why the stored lease may be taken over, or undefined while its holder may be alive. */
    const takeable = (row: LockRow, now: Date): 'expired' | 'holder-gone' | undefined => {
      if (HELD.has(row.owner)) return undefined; // this very process holds it (another runtime)
      if (row.host === me.host && (row.pid_namespace ?? undefined) === me.pidNamespace) {
        if (row.pid === me.pid) return 'holder-gone'; // our pid, not our token: a previous life of this process
        if (!alive(row.pid)) return 'holder-gone';
      }
      return row.expires_at <= now.toISOString() ? 'expired' : undefined;
    };
    const take = db.transaction((now: Date): { row?: LockRow; reason?: 'expired' | 'holder-gone' } => {
      const row = select.get();
      const reason = row === undefined ? undefined : takeable(row, now);
      if (row !== undefined && reason === undefined) return { row };
      upsert.run({ owner, holder, pid: me.pid, host: me.host, ns: me.pidNamespace ?? null, now: now.toISOString(), expiresAt: expiry(now, ttlMs) });
      return row === undefined ? {} : { row, reason };
    });
    const now = options.now();
    const outcome = inState(`take the lock on ${path}`, () => take.immediate(now));
    if (outcome.row !== undefined && outcome.reason === undefined) {
      const held = holderOf(outcome.row);
      throw new ConnectorError(
        'STATE',
        `state database ${path} is in use by ${held.holder} since ${held.acquiredAt} (lease until ${held.expiresAt}): one daemon per state database; stop that one, or give this one another state.path`,
        { where: { file: path, value: held.holder } },
      );
    }
    const lock = new StateLock(db, path, owner, holder, { ...options, ttlMs });
    HELD.add(owner);
    if (outcome.row !== undefined && outcome.reason !== undefined) options.onEvent?.({ kind: 'taken-over', previous: holderOf(outcome.row), reason: outcome.reason });
    lock.timer = setInterval(() => void lock.renew(), Math.floor(ttlMs / 3));
    lock.timer.unref();
    return lock;
  }

  /** Fires once the lease is found held by another process (this one stalled past its expiry): stop working the state. */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  /**
   * Moves the expiry to now + ttl. False when the lease is no longer ours (the
   * `lost` signal fires) or the database refused (reported, tried again at the
   * next renewal).
   */
  renew(): boolean {
    if (this.released || this.lost.aborted) return false;
    const now = this.options.now();
    let changes: number;
    try {
      changes = inState(`renew the lock on ${this.path}`, () =>
        this.db.prepare('UPDATE state_lock SET expires_at = @expiresAt WHERE id = 1 AND owner = @owner').run({ owner: this.owner, expiresAt: expiry(now, this.options.ttlMs) }).changes,
      );
    } catch (error) {
      this.options.onEvent?.({ kind: 'renew-failed', error: error as ConnectorError });
      return false;
    }
    if (changes === 1) return true;
    const row = inState(`read the lock on ${this.path}`, () => this.db.prepare<[], LockRow>('SELECT * FROM state_lock WHERE id = 1').get());
    this.stopTimer();
    HELD.delete(this.owner);
    this.lostController.abort(new ConnectorError('STATE', `the lock on ${this.path} was taken by ${row?.holder ?? 'nobody'}`, { where: { file: this.path } }));
    this.options.onEvent?.({ kind: 'lost', ...(row === undefined ? {} : { holder: holderOf(row) }) });
    return false;
  }

  /** Gives the lease back (only if still ours) and stops renewing. Safe to call twice, and after the database closed. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.stopTimer();
    HELD.delete(this.owner);
    if (!this.db.open) return;
    inState(`release the lock on ${this.path}`, () => this.db.prepare('DELETE FROM state_lock WHERE id = 1 AND owner = @owner').run({ owner: this.owner }));
  }

  /** The lease as stored now, when there is one. */
  static read(db: Database.Database): StateLockHolder | undefined {
    const row = inState('read the state lock', () => db.prepare<[], LockRow>('SELECT * FROM state_lock WHERE id = 1').get());
    return row === undefined ? undefined : holderOf(row);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
