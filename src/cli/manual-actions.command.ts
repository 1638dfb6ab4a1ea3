/**
 * `native-rating manual-actions`: what an operator still has to do by hand in
 * the AWS console (set a support plan, accept an invitation, close an account),
 * and marking those done. Reads the connector's state database; a composition
 * root (it opens the store).
 */
import { existsSync } from 'node:fs';
import type { ManualAction } from '../app/orders/ports.js';
import { ConnectorError } from '../domain/errors.js';
import { openStateDatabase } from '../store/database.js';
import { SqliteManualActionStore } from '../store/manual-actions.store.js';
import { renderTable, type Column } from './table.js';

/** Options as the command line gives them. */
export interface ManualActionsOptions {
  /** The state database file (`:memory:` is accepted and always empty). */
  statePath: string;
  /** Ids to mark done before listing, as typed: each must be a positive integer. */
  done?: string[];
  /** Who did them, stored with each id marked done (optional). */
  by?: string;
  /** List done actions too (default: open ones only). */
  all?: boolean;
  /** Print the listed actions as JSON; the "marked" lines then go to stderr. */
  json?: boolean;
}

/** Where the command writes, and its only clock. */
export interface ManualActionsIo {
  stdout(text: string): void;
  stderr(text: string): void;
  now(): Date;
}

/** What the command did: the actions it listed and the ids it marked done. */
export interface ManualActionsResult {
  listed: ManualAction[];
  marked: number[];
}

const POSITIVE_INTEGER = /^[1-9]\d*$/;

function parseIds(values: string[]): number[] {
  const bad = values.filter((v) => !POSITIVE_INTEGER.test(v.trim()) || !Number.isSafeInteger(Number(v.trim())));
  if (bad.length > 0) {
    const named = bad.map((v) => JSON.stringify(v)).join(', ');
    throw new ConnectorError('CONFIG_INVALID', `--done ${named}: a manual action id is a positive integer (see the id column of the listing)`, { where: { setting: '--done', value: bad[0] } });
  }
  return values.map((v) => Number(v.trim()));
}

/** `2026-10-03T14:05:09.000Z` → `2026-10-03 14:05` (UTC, as the header says). */
function minute(iso: string | undefined): string {
  return iso === undefined ? '-' : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

function emptySentence(all: boolean): string {
  return all ? 'There are no manual actions.\n' : 'There are no open manual actions: nothing to do by hand.\n';
}

/** The listing for people: one row per action, detail last because it is long. */
export function manualActionsText(actions: ManualAction[], all: boolean): string {
  if (actions.length === 0) return emptySentence(all);
  const columns: Column[] = [
    { header: 'id', align: 'right' },
    { header: 'kind' },
    { header: 'account' },
    { header: 'payer' },
    { header: 'request' },
    { header: 'created (UTC)' },
    ...(all ? [{ header: 'done (UTC)' }, { header: 'done by' }] : []),
    { header: 'detail' },
  ];
  const rows = actions.map((a) => [
    String(a.id),
    a.kind,
    a.accountId,
    a.payerAccountId,
    a.requestId,
    minute(a.createdAt),
    ...(all ? [minute(a.doneAt), a.doneBy ?? '-'] : []),
    a.detail,
  ]);
  const open = actions.filter((a) => a.doneAt === undefined).length;
  const count = all ? `${actions.length} manual action(s), ${open} open` : `${open} open manual action(s)`;
  return `${renderTable(columns, rows)}\n\n${count}\n`;
}

/**
 * Marks the `done` ids (one line each), then lists open actions (all with `all`)
 * as a table or JSON. A missing state file means nothing was ever recorded: it
 * is reported as such, and not created. Bad ids throw `CONFIG_INVALID` before
 * anything is changed; an unusable database throws `STATE`.
 */
export async function runManualActions(options: ManualActionsOptions, io: ManualActionsIo): Promise<ManualActionsResult> {
  const ids = parseIds(options.done ?? []);
  const all = options.all === true;
  const say = options.json === true ? io.stderr : io.stdout;
  const print = (listed: ManualAction[]): void => io.stdout(options.json === true ? `${JSON.stringify(listed, null, 2)}\n` : manualActionsText(listed, all));

  if (options.statePath === ':memory:' || !existsSync(options.statePath)) {
    for (const id of ids) say(`no open manual action ${id}\n`);
    print([]);
    return { listed: [], marked: [] };
  }

  const state = openStateDatabase(options.statePath);
  try {
    const store = new SqliteManualActionStore(state.db);
    const marked: number[] = [];
    for (const id of ids) {
      if (store.markDone(id, io.now(), options.by)) {
        marked.push(id);
        say(`marked ${id} done\n`);
      } else {
        say(`no open manual action ${id}\n`);
      }
    }
    const listed = store.list(all ? {} : { open: true });
    print(listed);
    return { listed, marked };
  } finally {
    state.close();
  }
}
