/**
 * `npx native-rating lines add|list|remove` (MARGIN.md §4): the custom lines
 * and credits in the state database, with who added or removed each and when.
 * Every run after `add` bills the line in the periods it covers; `remove` ends
 * it for every run after (a removed line's id is never reused). A composition
 * root: it opens the store.
 */
import { existsSync } from 'node:fs';
import type { StoredLine } from '../app/usage/month-lines.js';
import { parseLine, type LineInput, type LineProblem, type LineRules } from '../domain/custom-lines.js';
import { ConnectorError } from '../domain/errors.js';
import { openStateDatabase, type StateDatabase } from '../store/database.js';
import { SqliteCustomLineStore } from '../store/custom-lines.store.js';
import { renderTable, type Column } from './table.js';

/** Where the command writes, and its only clock. */
export interface LinesIo {
  stdout(text: string): void;
  now(): Date;
}

/** The line's fields as options (`--asset`, `--payer`, ...), as typed. */
export interface LinesAddOptions {
  statePath: string;
  id?: string | undefined;
  kind?: string | undefined;
  asset?: string | undefined;
  payer?: string | undefined;
  amount?: string | undefined;
  percent?: string | undefined;
  of?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  description?: string | undefined;
  /** Who adds it (stored). */
  by: string;
  /** The checks: the currency's decimals, the configured payers, and the known assets (an assets file), when known. */
  rules: Omit<LineRules, 'allowRemaining'>;
  json?: boolean | undefined;
}

/** The option that gives each field, for messages. */
const OPTION: Record<LineProblem['field'], string> = {
  id: '--id',
  kind: '--kind',
  assetId: '--asset',
  payerAccountId: '--payer',
  amount: '--amount',
  percent: '--percent',
  of: '--of',
  from: '--from',
  to: '--to',
  description: '--description',
  remaining: '--remaining',
  line: 'options',
};

function withStore<T>(statePath: string, work: (store: SqliteCustomLineStore) => T): T {
  const state: StateDatabase = openStateDatabase(statePath);
  try {
    return work(new SqliteCustomLineStore(state.db));
  } finally {
    state.close();
  }
}

/** A new line's id when none is given: L1, L2, ... (the first not used, removed lines included). */
function nextId(store: SqliteCustomLineStore): string {
  let n = store.list({ all: true }).length + 1;
  while (store.get(`L${n}`) !== undefined) n += 1;
  return `L${n}`;
}

/** The amount column: `25.00`, `2.5 % of total`. */
export function lineAmount(line: Pick<StoredLine, 'amount' | 'percent' | 'of'>): string {
  return line.amount ?? `${line.percent ?? ''} % of ${line.of ?? ''}`;
}

/** One line for a person. */
function lineSentence(line: StoredLine): string {
  const scope = line.assetId !== undefined ? `asset ${line.assetId}` : `every customer of payer ${line.payerAccountId ?? ''}`;
  const period = line.to === undefined ? `from ${line.from} on` : line.to === line.from ? `in ${line.from}` : `from ${line.from} to ${line.to}`;
  return `${line.kind} ${line.id}: ${lineAmount(line)} for ${scope}, ${period}: ${JSON.stringify(line.description)}`;
}

/**
 * Checks the line (every problem at once, each naming the option and the
 * value: CONFIG_INVALID, nothing stored) and stores it with who and when.
 */
export function runLinesAdd(options: LinesAddOptions, io: LinesIo): StoredLine {
  const input: LineInput = {
    id: options.id ?? 'L0', // checked for its form below; a generated id replaces it
    kind: options.kind,
    assetId: options.asset,
    payerAccountId: options.payer,
    amount: options.amount,
    percent: options.percent,
    of: options.of,
    from: options.from,
    to: options.to,
    description: options.description,
  };
  const parsed = parseLine(input, options.rules);
  if (!parsed.ok) {
    const lines = parsed.problems.map((p) => `${OPTION[p.field]}: ${p.message}`);
    const first = parsed.problems[0];
    throw new ConnectorError('CONFIG_INVALID', `the line was not added: ${lines.length} problem(s):\n  ${lines.join('\n  ')}`, { where: { setting: first ? OPTION[first.field] : 'options', value: first?.value ?? '' } });
  }
  if (!options.by.trim()) throw new ConnectorError('CONFIG_INVALID', '--by is empty: say who adds the line', { where: { setting: '--by' } });
  const stored = withStore(options.statePath, (store) => store.add({ ...parsed.line, id: options.id === undefined ? nextId(store) : parsed.line.id }, options.by.trim(), io.now()));
  io.stdout(options.json === true ? `${JSON.stringify(stored, null, 2)}\n` : `added ${lineSentence(stored)} (by ${stored.addedBy})\n`);
  return stored;
}

const minute = (iso: string | undefined): string => (iso === undefined ? '-' : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`);

/** The listing for people: one row per line, the description last. */
export function linesText(lines: StoredLine[], all: boolean): string {
  if (lines.length === 0) return all ? 'There are no custom lines.\n' : 'There are no custom lines in force (lines add adds one).\n';
  const columns: Column[] = [
    { header: 'id' },
    { header: 'kind' },
    { header: 'for' },
    { header: 'amount', align: 'right' },
    { header: 'from' },
    { header: 'to' },
    { header: 'added (UTC)' },
    { header: 'by' },
    ...(all ? [{ header: 'removed (UTC)' }, { header: 'by' }] : []),
    { header: 'description' },
  ];
  const rows = lines.map((l) => [
    l.id,
    l.kind,
    l.assetId ?? `payer ${l.payerAccountId ?? ''}`,
    lineAmount(l),
    l.from,
    l.to ?? '-',
    minute(l.addedAt),
    l.addedBy,
    ...(all ? [minute(l.removedAt), l.removedBy ?? '-'] : []),
    JSON.stringify(l.description),
  ]);
  const removed = lines.filter((l) => l.removedAt !== undefined).length;
  return `${renderTable(columns, rows)}\n\n${all ? `${lines.length} line(s), ${removed} removed` : `${lines.length} line(s) in force`}\n`;
}

/** Lists the lines in force (all with `all`), as a table or JSON. A missing state file holds no line and is not created. */
export function runLinesList(options: { statePath: string; all?: boolean | undefined; json?: boolean | undefined }, io: LinesIo): StoredLine[] {
  const all = options.all === true;
  const lines = options.statePath === ':memory:' || !existsSync(options.statePath) ? [] : withStore(options.statePath, (store) => store.list({ all }));
  io.stdout(options.json === true ? `${JSON.stringify(lines, null, 2)}\n` : linesText(lines, all));
  return lines;
}

/** Removes a line in force (who and when kept); CONFIG_INVALID naming the id when there is none. */
export function runLinesRemove(options: { statePath: string; id: string; by: string }, io: LinesIo): StoredLine {
  if (!options.by.trim()) throw new ConnectorError('CONFIG_INVALID', '--by is empty: say who removes the line', { where: { setting: '--by' } });
  const missing = (why: string): ConnectorError => new ConnectorError('CONFIG_INVALID', `no line ${JSON.stringify(options.id)} to remove: ${why}`, { where: { setting: 'id', value: options.id } });
  if (options.statePath === ':memory:' || !existsSync(options.statePath)) throw missing(`there is no state database at ${options.statePath}`);
  return withStore(options.statePath, (store) => {
    const removed = store.remove(options.id, options.by.trim(), io.now());
    if (removed === undefined) {
      const known = store.get(options.id);
      throw missing(known === undefined ? 'no line has this id (lines list shows them)' : `it was removed ${known.removedAt ?? ''} by ${known.removedBy ?? ''}`);
    }
    io.stdout(`removed ${lineSentence(removed)} (by ${removed.removedBy ?? ''}); runs from now on leave it out\n`);
    return removed;
  });
}
