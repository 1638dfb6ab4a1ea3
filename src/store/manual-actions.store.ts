/** Manual actions in the state database: work only a person can do, until marked done. */
import type Database from 'better-sqlite3';
import type { ManualAction, ManualActionInput, ManualActionKind, ManualActionStore } from '../app/orders/ports.js';
import { ConnectorError } from '../domain/errors.js';
import { inState } from './database.js';

interface ManualActionRow {
  id: number;
  kind: string;
  request_id: string;
  account_id: string;
  payer_account_id: string;
  detail: string;
  created_at: string;
  done_at: string | null;
  done_by: string | null;
}

interface AddParams extends ManualActionInput {
  createdAt: string;
}

function actionOf(row: ManualActionRow): ManualAction {
  const action: ManualAction = {
    id: row.id,
    kind: row.kind as ManualActionKind,
    requestId: row.request_id,
    accountId: row.account_id,
    payerAccountId: row.payer_account_id,
    detail: row.detail,
    createdAt: row.created_at,
  };
  if (row.done_at !== null) action.doneAt = row.done_at;
  if (row.done_by !== null) action.doneBy = row.done_by;
  return action;
}

/** `ManualActionStore` on the `manual_actions` table; one action per (kind, request). */
export class SqliteManualActionStore implements ManualActionStore {
  private readonly insertRow: Database.Statement<AddParams>;
  private readonly selectByKey: Database.Statement<[string, string], ManualActionRow>;
  private readonly selectAll: Database.Statement<[], ManualActionRow>;
  private readonly selectOpen: Database.Statement<[], ManualActionRow>;
  private readonly markRow: Database.Statement<[string, string | null, number]>;
  private readonly addOnce: (params: AddParams) => ManualActionRow | undefined;

  /** `db` is `StateDatabase.db`, already migrated. */
  constructor(db: Database.Database) {
    const what = 'prepare the manual actions';
    this.insertRow = inState(what, () =>
      db.prepare<AddParams>(
        `INSERT INTO manual_actions (kind, request_id, account_id, payer_account_id, detail, created_at)
         VALUES (@kind, @requestId, @accountId, @payerAccountId, @detail, @createdAt)
         ON CONFLICT (kind, request_id) DO NOTHING`,
      ),
    );
    this.selectByKey = inState(what, () => db.prepare<[string, string], ManualActionRow>('SELECT * FROM manual_actions WHERE kind = ? AND request_id = ?'));
    this.selectAll = inState(what, () => db.prepare<[], ManualActionRow>('SELECT * FROM manual_actions ORDER BY id'));
    this.selectOpen = inState(what, () => db.prepare<[], ManualActionRow>('SELECT * FROM manual_actions WHERE done_at IS NULL ORDER BY id'));
    this.markRow = inState(what, () => db.prepare<[string, string | null, number]>('UPDATE manual_actions SET done_at = ?, done_by = ? WHERE id = ? AND done_at IS NULL'));
    this.addOnce = db.transaction((params: AddParams) => {
      this.insertRow.run(params);
      return this.selectByKey.get(params.kind, params.requestId);
    });
  }

  /** Records the action, or returns the one already recorded for (kind, requestId), unchanged even when done. */
  add(action: ManualActionInput, now: Date): ManualAction {
    const { kind, requestId, accountId, payerAccountId, detail } = action;
    const row = inState(`record the ${kind} action of request ${requestId}`, () =>
      this.addOnce({ kind, requestId, accountId, payerAccountId, detail, createdAt: now.toISOString() }),
    );
    if (row === undefined) throw new ConnectorError('INTERNAL', `the ${kind} action of request ${requestId} is missing right after it was recorded`);
    return actionOf(row);
  }

  /** The action of `kind` recorded for a request (open or done), if any. */
  find(kind: ManualActionKind, requestId: string): ManualAction | undefined {
    const row = inState(`read the ${kind} action of request ${requestId}`, () => this.selectByKey.get(kind, requestId));
    return row === undefined ? undefined : actionOf(row);
  }

  /** Ordered by id (the order they were recorded); `{ open: true }` leaves out done ones. */
  list(filter: { open?: boolean } = {}): ManualAction[] {
    const statement = filter.open === true ? this.selectOpen : this.selectAll;
    return inState('list the manual actions', () => statement.all()).map(actionOf);
  }

  /** Marks an open action done at `now` (by whom, when given); false for an unknown or already done id. */
  markDone(id: number, now: Date, by?: string): boolean {
    const result = inState(`mark manual action ${id} done`, () => this.markRow.run(now.toISOString(), by ?? null, id));
    return result.changes === 1;
  }
}
