/** The request journal in the state database: one row per request, updated on every pass. */
import type Database from 'better-sqlite3';
import type { JournalEntry, RequestJournal } from '../app/orders/ports.js';
import { ConnectorError } from '../domain/errors.js';
import { inState } from './database.js';

interface JournalRow {
  request_id: string;
  step: string;
  outcome: string;
  attempts: number;
  last_error: string | null;
  updated_at: string;
}

interface RecordParams {
  requestId: string;
  step: string;
  outcome: string;
  lastError: string | null;
  updatedAt: string;
}

function entryOf(row: JournalRow): JournalEntry {
  const entry: JournalEntry = { requestId: row.request_id, step: row.step, attempts: row.attempts, outcome: row.outcome, updatedAt: row.updated_at };
  if (row.last_error !== null) entry.lastError = row.last_error;
  return entry;
}

/** `RequestJournal` on the `request_journal` table; times come from the `now` given. */
export class SqliteRequestJournal implements RequestJournal {
  private readonly upsertRow: Database.Statement<RecordParams, JournalRow>;
  private readonly selectOne: Database.Statement<[string], JournalRow>;
  private readonly selectAll: Database.Statement<[], JournalRow>;

  /** `db` is `StateDatabase.db`, already migrated. */
  constructor(db: Database.Database) {
    const what = 'prepare the request journal';
    this.upsertRow = inState(what, () =>
      db.prepare<RecordParams, JournalRow>(
        `INSERT INTO request_journal (request_id, step, outcome, attempts, last_error, updated_at)
         VALUES (@requestId, @step, @outcome, 1, @lastError, @updatedAt)
         ON CONFLICT (request_id) DO UPDATE SET
           step = excluded.step,
           outcome = excluded.outcome,
           attempts = request_journal.attempts + 1,
           last_error = excluded.last_error,
           updated_at = excluded.updated_at
         RETURNING *`,
      ),
    );
    this.selectOne = inState(what, () => db.prepare<[string], JournalRow>('SELECT * FROM request_journal WHERE request_id = ?'));
    this.selectAll = inState(what, () => db.prepare<[], JournalRow>('SELECT * FROM request_journal ORDER BY updated_at, request_id'));
  }

  /** Adds one attempt; `lastError` absent clears the previous error (a clean pass). */
  record(entry: { requestId: string; step: string; outcome: string; lastError?: string }, now: Date): JournalEntry {
    const row = inState(`record request ${entry.requestId} in the journal`, () =>
      this.upsertRow.get({ requestId: entry.requestId, step: entry.step, outcome: entry.outcome, lastError: entry.lastError ?? null, updatedAt: now.toISOString() }),
    );
    if (row === undefined) throw new ConnectorError('INTERNAL', `the journal upsert of request ${entry.requestId} returned no row`);
    return entryOf(row);
  }

  get(requestId: string): JournalEntry | undefined {
    const row = inState(`read request ${requestId} from the journal`, () => this.selectOne.get(requestId));
    return row === undefined ? undefined : entryOf(row);
  }

  /** Every entry, least recently updated first. */
  list(): JournalEntry[] {
    return inState('list the request journal', () => this.selectAll.all()).map(entryOf);
  }
}
