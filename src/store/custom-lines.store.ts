/**
 * Custom lines and credits in the state database (schema version 6, MARGIN.md
 * §4): the lines `lines add|list|remove` manages, with who added or removed
 * each and when, and the balance of each flat credit for each customer after
 * each period and run version, so a reprocess of a month starts from the
 * balance its first version started from.
 */
import type Database from 'better-sqlite3';
import type { CreditBalanceEntry, LineBook, MonthRef, StoredLine } from '../app/usage/month-lines.js';
import { balanceKey, type CustomLine, type LineBase, type LineKind } from '../domain/custom-lines.js';
import { ConnectorError } from '../domain/errors.js';
import { inState } from './database.js';

interface LineRow {
  seq: number;
  id: string;
  kind: string;
  asset_id: string | null;
  payer_account_id: string | null;
  amount: string | null;
  percent: string | null;
  base: string | null;
  from_period: string;
  to_period: string | null;
  description: string;
  added_by: string;
  added_at: string;
  removed_by: string | null;
  removed_at: string | null;
}

interface BalanceRow {
  line_id: string;
  account_id: string;
  period: string;
  dry_run: number;
  version: number;
  opening: string;
  remaining_after: string;
}

interface AddParams {
  id: string;
  kind: string;
  assetId: string | null;
  payerAccountId: string | null;
  amount: string | null;
  percent: string | null;
  base: string | null;
  fromPeriod: string;
  toPeriod: string | null;
  description: string;
  addedBy: string;
  addedAt: string;
}

interface BalanceParams {
  lineId: string;
  payerAccountId: string;
  accountId: string;
  period: string;
  dryRun: number;
  version: number;
  opening: string;
  used: string;
  remainingAfter: string;
  recordedAt: string;
}

function lineOf(row: LineRow): StoredLine {
  if (row.kind !== 'fee' && row.kind !== 'credit') throw new ConnectorError('STATE', `state database: custom line ${row.id} has an unknown kind "${row.kind}"`);
  const line: StoredLine = { id: row.id, kind: row.kind as LineKind, from: row.from_period, description: row.description, addedBy: row.added_by, addedAt: row.added_at };
  if (row.asset_id !== null) line.assetId = row.asset_id;
  if (row.payer_account_id !== null) line.payerAccountId = row.payer_account_id;
  if (row.amount !== null) line.amount = row.amount;
  if (row.percent !== null) line.percent = row.percent;
  if (row.base !== null) line.of = row.base as LineBase;
  if (row.to_period !== null) line.to = row.to_period;
  if (row.removed_at !== null) line.removedAt = row.removed_at;
  if (row.removed_by !== null) line.removedBy = row.removed_by;
  return line;
}

/** The opening balance a period's rows give: the first version's opening. */
function firstOpening(rows: readonly BalanceRow[]): string | undefined {
  let first: BalanceRow | undefined;
  for (const r of rows) if (first === undefined || r.version < first.version) first = r;
  return first?.opening;
}

/** The balance a period's rows leave: the latest version's remaining. */
function lastRemaining(rows: readonly BalanceRow[]): string | undefined {
  let last: BalanceRow | undefined;
  for (const r of rows) if (last === undefined || r.version > last.version) last = r;
  return last?.remaining_after;
}

/** `LineBook` on the `custom_lines` and `credit_balances` tables. */
export class SqliteCustomLineStore implements LineBook {
  private readonly insertLine: Database.Statement<AddParams>;
  private readonly selectLine: Database.Statement<[string], LineRow>;
  private readonly selectAll: Database.Statement<[], LineRow>;
  private readonly selectActive: Database.Statement<[], LineRow>;
  private readonly removeLine: Database.Statement<[string, string, string]>;
  private readonly selectBalances: Database.Statement<[string, string, number], BalanceRow>;
  private readonly upsertBalance: Database.Statement<BalanceParams>;
  private readonly addOnce: (params: AddParams) => LineRow | undefined;
  private readonly recordAll: (rows: BalanceParams[]) => void;

  /** `db` is `StateDatabase.db`, already migrated. */
  constructor(db: Database.Database) {
    const what = 'prepare the custom lines';
    this.insertLine = inState(what, () =>
      db.prepare<AddParams>(
        `INSERT INTO custom_lines (id, kind, asset_id, payer_account_id, amount, percent, base, from_period, to_period, description, added_by, added_at)
         VALUES (@id, @kind, @assetId, @payerAccountId, @amount, @percent, @base, @fromPeriod, @toPeriod, @description, @addedBy, @addedAt)`,
      ),
    );
    this.selectLine = inState(what, () => db.prepare<[string], LineRow>('SELECT * FROM custom_lines WHERE id = ?'));
    this.selectAll = inState(what, () => db.prepare<[], LineRow>('SELECT * FROM custom_lines ORDER BY seq'));
    this.selectActive = inState(what, () => db.prepare<[], LineRow>('SELECT * FROM custom_lines WHERE removed_at IS NULL ORDER BY seq'));
    this.removeLine = inState(what, () => db.prepare<[string, string, string]>('UPDATE custom_lines SET removed_at = ?, removed_by = ? WHERE id = ? AND removed_at IS NULL'));
    this.selectBalances = inState(what, () =>
      db.prepare<[string, string, number], BalanceRow>(
        'SELECT line_id, account_id, period, dry_run, version, opening, remaining_after FROM credit_balances WHERE payer_account_id = ? AND period <= ? AND dry_run <= ?',
      ),
    );
    this.upsertBalance = inState(what, () =>
      db.prepare<BalanceParams>(
        `INSERT INTO credit_balances (line_id, payer_account_id, account_id, period, dry_run, version, opening, used, remaining_after, recorded_at)
         VALUES (@lineId, @payerAccountId, @accountId, @period, @dryRun, @version, @opening, @used, @remainingAfter, @recordedAt)
         ON CONFLICT (line_id, account_id, period, dry_run, version) DO UPDATE SET
           opening = excluded.opening, used = excluded.used, remaining_after = excluded.remaining_after, recorded_at = excluded.recorded_at`,
      ),
    );
    this.addOnce = db.transaction((params: AddParams) => {
      if (this.selectLine.get(params.id) !== undefined) return undefined;
      this.insertLine.run(params);
      return this.selectLine.get(params.id);
    });
    this.recordAll = db.transaction((rows: BalanceParams[]) => {
      for (const row of rows) this.upsertBalance.run(row);
    });
  }

  /**
   * Stores a checked line, added by `by` at `now`. An id already used, even by
   * a removed line, throws CONFIG_INVALID naming it: ids end record ids and are
   * never reused.
   */
  add(line: CustomLine, by: string, now: Date): StoredLine {
    const row = inState(`add custom line ${line.id}`, () =>
      this.addOnce({
        id: line.id,
        kind: line.kind,
        assetId: line.assetId ?? null,
        payerAccountId: line.payerAccountId ?? null,
        amount: line.amount ?? null,
        percent: line.percent ?? null,
        base: line.of ?? null,
        fromPeriod: line.from,
        toPeriod: line.to ?? null,
        description: line.description,
        addedBy: by,
        addedAt: now.toISOString(),
      }),
    );
    if (row === undefined) {
      const existing = this.get(line.id);
      const state = existing?.removedAt === undefined ? `added ${existing?.addedAt ?? ''} by ${existing?.addedBy ?? ''}` : `removed ${existing.removedAt}`;
      throw new ConnectorError('CONFIG_INVALID', `line id ${JSON.stringify(line.id)} is already used (${state}): ids are never reused, give another --id`, { where: { setting: '--id', value: line.id } });
    }
    return lineOf(row);
  }

  /** The line with this id, removed or not. */
  get(id: string): StoredLine | undefined {
    const row = inState(`read custom line ${id}`, () => this.selectLine.get(id));
    return row === undefined ? undefined : lineOf(row);
  }

  /** Lines in the order they were added; removed ones only with `all`. */
  list(filter: { all?: boolean } = {}): StoredLine[] {
    const statement = filter.all === true ? this.selectAll : this.selectActive;
    return inState('list the custom lines', () => statement.all()).map(lineOf);
  }

  /** The lines not removed: those a run applies. */
  active(): CustomLine[] {
    return this.list();
  }

  /** Marks a line removed by `by` at `now`; undefined when no such line is in force. Its balances stay. */
  remove(id: string, by: string, now: Date): StoredLine | undefined {
    const result = inState(`remove custom line ${id}`, () => this.removeLine.run(now.toISOString(), by, id));
    return result.changes === 1 ? this.get(id) : undefined;
  }

  /**
   * The flat credits' balances before `period` for the customers of a payer,
   * by `balanceKey`: the opening of the period's first version where the
   * period was rated (a reprocess consumes what that version consumed), else
   * what the latest version of the latest earlier period left. A live month
   * reads live rows only; a dry run reads both, live ones first within a
   * period (a dry run never changes what a live one starts from).
   */
  openings(month: Omit<MonthRef, 'version'>): Map<string, string> {
    const rows = inState(`read the credit balances of payer ${month.payerAccountId} for ${month.period}`, () => this.selectBalances.all(month.payerAccountId, month.period, month.dryRun ? 1 : 0));
    const byCredit = new Map<string, BalanceRow[]>();
    for (const row of rows) {
      const key = balanceKey(row.line_id, row.account_id);
      const list = byCredit.get(key);
      if (list) list.push(row);
      else byCredit.set(key, [row]);
    }
    const openings = new Map<string, string>();
    for (const [key, list] of byCredit) {
      /** The period's rows a look-up uses: live ones when there are any, else dry ones. */
      const ofPeriod = (period: string): BalanceRow[] => {
        const rowsOf = list.filter((r) => r.period === period);
        const live = rowsOf.filter((r) => r.dry_run === 0);
        return live.length > 0 ? live : rowsOf;
      };
      const current = ofPeriod(month.period);
      const opening = current.length > 0 ? firstOpening(current) : undefined;
      if (opening !== undefined) {
        openings.set(key, opening);
        continue;
      }
      const earlier = list.reduce<string | undefined>((latest, r) => (r.period < month.period && (latest === undefined || r.period > latest) ? r.period : latest), undefined);
      const remaining = earlier === undefined ? undefined : lastRemaining(ofPeriod(earlier));
      if (remaining !== undefined) openings.set(key, remaining);
    }
    return openings;
  }

  /** Stores the flat credits' balances of one version of a month (again for the same version: replaced). */
  recordBalances(month: MonthRef, entries: readonly CreditBalanceEntry[], now: Date): void {
    const recordedAt = now.toISOString();
    const rows = entries.map((e) => ({
      lineId: e.lineId,
      payerAccountId: month.payerAccountId,
      accountId: e.accountId,
      period: month.period,
      dryRun: month.dryRun ? 1 : 0,
      version: month.version,
      opening: e.opening,
      used: e.used,
      remainingAfter: e.remainingAfter,
      recordedAt,
    }));
    inState(`store the credit balances of payer ${month.payerAccountId} for ${month.period} v${month.version}`, () => this.recordAll(rows));
  }
}
