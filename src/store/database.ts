/**
 * The connector's embedded state database (SQLite through better-sqlite3): the
 * request journal, the cancel countdowns, the manual actions, the run
 * ledger, the detected support plans, the daemon's lease on the state, and the
 * custom lines with their credits' balances. One file, WAL journal, schema versioned with `PRAGMA user_version`.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ConnectorError } from '../domain/errors.js';

/** One schema step. Shipped migrations are never edited: append a new one. */
export interface Migration {
  /** The `user_version` the database has once this step is applied (1, 2, 3, ...). */
  version: number;
  sql: string;
}

/** Every schema step, in order; the last one's version is the schema this code knows. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE request_journal (
        request_id TEXT PRIMARY KEY,
        step TEXT NOT NULL,
        outcome TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        last_error TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE countdowns (
        request_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        payer_account_id TEXT NOT NULL,
        closed_at TEXT NOT NULL,
        due_on TEXT NOT NULL
      );
      CREATE TABLE manual_actions (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        request_id TEXT NOT NULL,
        account_id TEXT NOT NULL,
        payer_account_id TEXT NOT NULL,
        detail TEXT NOT NULL,
        created_at TEXT NOT NULL,
        done_at TEXT,
        done_by TEXT,
        UNIQUE (kind, request_id)
      );
    `,
  },
  {
    version: 2,
    sql: `
      CREATE TABLE runs (
        payer_account_id TEXT NOT NULL,
        period TEXT NOT NULL,
        version INTEGER NOT NULL,
        step TEXT NOT NULL,
        outcome TEXT NOT NULL,
        "trigger" TEXT NOT NULL,
        usage_file_id TEXT,
        usage_file_status TEXT,
        workbook_path TEXT,
        report_path TEXT,
        billed_total TEXT,
        currency TEXT,
        records INTEGER,
        error TEXT,
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (payer_account_id, period, version)
      );
      -- At most one running run per payer and period; also serves "running" look-ups.
      CREATE UNIQUE INDEX runs_running ON runs (payer_account_id, period) WHERE outcome = 'running';
    `,
  },
  {
    version: 3,
    sql: `
      -- One detected support plan per member account and billing period (FULFILLMENT.md).
      CREATE TABLE support_plan_detections (
        account_id TEXT NOT NULL,
        period TEXT NOT NULL,
        plan TEXT NOT NULL,
        codes TEXT, -- JSON array of severity codes, when DescribeSeverityLevels answered
        error TEXT,
        reason TEXT NOT NULL,
        checked_at TEXT NOT NULL,
        PRIMARY KEY (account_id, period)
      );
    `,
  },
  {
    version: 4,
    sql: `
      -- Issue 10: runs keyed by (payer, period, dry_run, version), held by a lease with a
      -- heartbeat. 'abandoned' is never stored: it is a running row whose lease ran out.
      CREATE TABLE runs_v4 (
        payer_account_id TEXT NOT NULL,
        period TEXT NOT NULL,
        dry_run INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
        version INTEGER NOT NULL,
        step TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('running', 'interrupted', 'succeeded', 'failed')),
        "trigger" TEXT NOT NULL,
        lease_owner TEXT, -- the holding process's token; null once the run is released
        holder TEXT, -- the process holding, or that last held, the lease (for a person)
        lease_expires_at TEXT, -- ISO time; null once released
        lease_ttl_ms INTEGER, -- how far a heartbeat (advance) moves the expiry
        usage_file_id TEXT,
        usage_file_status TEXT,
        workbook_path TEXT,
        report_path TEXT,
        billed_total TEXT, -- exact decimal text
        currency TEXT,
        records INTEGER,
        error TEXT,
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (payer_account_id, period, dry_run, version)
      );
      -- Existing rows are live runs; one left running has no live process any more:
      -- its lease ran out at its last update, so it reads as abandoned and resumes.
      INSERT INTO runs_v4 (
        payer_account_id, period, dry_run, version, step, outcome, "trigger", lease_owner, holder, lease_expires_at, lease_ttl_ms,
        usage_file_id, usage_file_status, workbook_path, report_path, billed_total, currency, records, error, started_at, updated_at
      )
      SELECT
        payer_account_id, period, 0, version, step,
        CASE WHEN outcome IN ('running', 'succeeded', 'failed') THEN outcome ELSE 'failed' END,
        "trigger", NULL, NULL, CASE WHEN outcome = 'running' THEN updated_at END, NULL,
        usage_file_id, usage_file_status, workbook_path, report_path, billed_total, currency, records, error, started_at, updated_at
      FROM runs;
      DROP INDEX runs_running;
      DROP TABLE runs;
      ALTER TABLE runs_v4 RENAME TO runs;
      -- At most one running run per payer, period and sequence (live or dry).
      CREATE UNIQUE INDEX runs_running ON runs (payer_account_id, period, dry_run) WHERE outcome = 'running';
    `,
  },
  {
    version: 5,
    sql: `
      -- Issue 11: one daemon per state database. At most one row: the lease of the
      -- process working this state (state-lock.store.ts), renewed while it lives.
      CREATE TABLE state_lock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        owner TEXT NOT NULL, -- the holding process's token
        holder TEXT NOT NULL, -- "pid N on host H", for a person
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        pid_namespace TEXT, -- Linux's /proc/self/ns/pid: pids compare only within one
        acquired_at TEXT NOT NULL, -- ISO time
        expires_at TEXT NOT NULL -- ISO time; a lease not renewed by then may be taken over
      );
    `,
  },
  {
    version: 6,
    sql: `
      -- Issue 12 (MARGIN.md §4): custom lines and credits, with who added and removed
      -- them and when. A removed line is kept (its id is never reused: it ends record ids).
      CREATE TABLE custom_lines (
        seq INTEGER PRIMARY KEY, -- the order lines were added (rows are never deleted)
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('fee', 'credit')),
        asset_id TEXT,
        payer_account_id TEXT,
        amount TEXT, -- exact decimal text, billing currency
        percent TEXT, -- exact decimal text
        base TEXT CHECK (base IN ('aws', 'marketplace', 'total')), -- the line's "of"
        from_period TEXT NOT NULL,
        to_period TEXT,
        description TEXT NOT NULL,
        added_by TEXT NOT NULL,
        added_at TEXT NOT NULL, -- ISO time
        removed_by TEXT,
        removed_at TEXT, -- ISO time; null while the line applies
        CHECK ((asset_id IS NULL) <> (payer_account_id IS NULL)),
        CHECK ((amount IS NULL) <> (percent IS NULL))
      );
      -- A flat credit's balance for one customer, per period and run version (live or dry):
      -- a reprocess of a month starts from what its first version started from.
      CREATE TABLE credit_balances (
        line_id TEXT NOT NULL,
        payer_account_id TEXT NOT NULL,
        account_id TEXT NOT NULL,
        period TEXT NOT NULL,
        dry_run INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
        version INTEGER NOT NULL,
        opening TEXT NOT NULL, -- exact decimal text: the balance before the period
        used TEXT NOT NULL, -- what the period took (positive)
        remaining_after TEXT NOT NULL, -- what carries to the next period
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (line_id, account_id, period, dry_run, version)
      );
    `,
  },
];

/** An open state database. Close it once, when the process is done with it. */
export interface StateDatabase {
  /** The better-sqlite3 connection, for the stores in this folder. */
  db: Database.Database;
  /** The file it was opened from (or `:memory:`). */
  path: string;
  close(): void;
}

/** How long a statement waits for another connection's lock before failing, in ms. */
const BUSY_TIMEOUT_MS = 5000;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs one database operation; a SQLite failure becomes `ConnectorError('STATE')`
 * saying what was being done, so no driver error type leaks inward.
 */
export function inState<T>(what: string, operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    if (error instanceof ConnectorError) throw error;
    throw new ConnectorError('STATE', `state database: cannot ${what}: ${messageOf(error)}`, { cause: error });
  }
}

function migrate(db: Database.Database, path: string, migrations: readonly Migration[]): void {
  const known = migrations.at(-1)?.version ?? 0;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > known) {
    throw new ConnectorError(
      'STATE',
      `state database ${path} has schema version ${current}, newer than this connector knows (${known}); it was left untouched: use a newer connector or another state file`,
      { where: { file: path } },
    );
  }
  // Only now change the file: a newer database is never touched.
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${Math.trunc(migration.version)}`);
    })();
  }
}

/**
 * Opens (creating it and its folder when missing) the state database at `path`
 * and brings its schema up to date: each pending migration in its own
 * transaction. `:memory:` gives a private in-memory database.
 * `migrations` defaults to {@link MIGRATIONS} (tests pass others).
 * Throws `ConnectorError('STATE')` naming the path when the file cannot be
 * opened or migrated, or when its schema is newer than this code knows.
 */
export function openStateDatabase(path: string, migrations: readonly Migration[] = MIGRATIONS): StateDatabase {
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    migrate(db, path, migrations);
  } catch (error) {
    if (db?.open) db.close();
    if (error instanceof ConnectorError) throw error;
    throw new ConnectorError('STATE', `cannot open the state database ${path}: ${messageOf(error)}`, { where: { file: path }, cause: error });
  }
  const opened = db;
  return {
    db: opened,
    path,
    close: () => {
      if (opened.open) opened.close();
    },
  };
}
