/** Cancel countdowns in the state database: a local mirror of each request's `account_closed_at`. */
import type Database from 'better-sqlite3';
import type { Countdown, CountdownStore } from '../app/orders/ports.js';
import { inState } from './database.js';

interface CountdownRow {
  request_id: string;
  account_id: string;
  payer_account_id: string;
  closed_at: string;
  due_on: string;
}

function countdownOf(row: CountdownRow): Countdown {
  return { requestId: row.request_id, accountId: row.account_id, payerAccountId: row.payer_account_id, closedAt: row.closed_at, dueOn: row.due_on };
}

/** `CountdownStore` on the `countdowns` table, one row per cancel request. */
export class SqliteCountdownStore implements CountdownStore {
  private readonly upsertRow: Database.Statement<Countdown>;
  private readonly selectOne: Database.Statement<[string], CountdownRow>;
  private readonly selectAll: Database.Statement<[], CountdownRow>;
  private readonly deleteRow: Database.Statement<[string]>;

  /** `db` is `StateDatabase.db`, already migrated. */
  constructor(db: Database.Database) {
    const what = 'prepare the countdowns';
    this.upsertRow = inState(what, () =>
      db.prepare<Countdown>(
        `INSERT INTO countdowns (request_id, account_id, payer_account_id, closed_at, due_on)
         VALUES (@requestId, @accountId, @payerAccountId, @closedAt, @dueOn)
         ON CONFLICT (request_id) DO UPDATE SET
           account_id = excluded.account_id,
           payer_account_id = excluded.payer_account_id,
           closed_at = excluded.closed_at,
           due_on = excluded.due_on`,
      ),
    );
    this.selectOne = inState(what, () => db.prepare<[string], CountdownRow>('SELECT * FROM countdowns WHERE request_id = ?'));
    this.selectAll = inState(what, () => db.prepare<[], CountdownRow>('SELECT * FROM countdowns ORDER BY due_on, request_id'));
    this.deleteRow = inState(what, () => db.prepare<[string]>('DELETE FROM countdowns WHERE request_id = ?'));
  }

  /** Creates the request's countdown or replaces all its fields. */
  upsert(countdown: Countdown): void {
    const { requestId, accountId, payerAccountId, closedAt, dueOn } = countdown;
    inState(`save the countdown of request ${requestId}`, () => this.upsertRow.run({ requestId, accountId, payerAccountId, closedAt, dueOn }));
  }

  get(requestId: string): Countdown | undefined {
    const row = inState(`read the countdown of request ${requestId}`, () => this.selectOne.get(requestId));
    return row === undefined ? undefined : countdownOf(row);
  }

  /** Every countdown, soonest due first. */
  list(): Countdown[] {
    return inState('list the countdowns', () => this.selectAll.all()).map(countdownOf);
  }

  /** Forgets the request's countdown; nothing happens when there is none. */
  remove(requestId: string): void {
    inState(`remove the countdown of request ${requestId}`, () => this.deleteRow.run(requestId));
  }
}
