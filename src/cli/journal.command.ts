/**
 * `npx native-rating journal --config <file>`: what the daemon did with each
 * request (step, outcome, attempts, last error) and the cancels counting down
 * their 60 days, read from the state database. Read-only.
 */
import { existsSync } from 'node:fs';
import type { Countdown, JournalEntry } from '../app/orders/ports.js';
import { countdown } from '../domain/orders/countdown.js';
import { SqliteCountdownStore } from '../store/countdown.store.js';
import { openStateDatabase } from '../store/database.js';
import { SqliteRequestJournal } from '../store/journal.store.js';
import { renderTable } from './table.js';

export interface JournalOptions {
  statePath: string;
  /** Only requests whose last pass ended in an error. */
  errors?: boolean;
  json?: boolean;
}

export interface JournalResult {
  entries: JournalEntry[];
  countdowns: Array<Countdown & { daysLeft: number }>;
}

const minute = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;

export function runJournal(options: JournalOptions, io: { stdout(text: string): void; now(): Date }): JournalResult {
  if (options.statePath !== ':memory:' && !existsSync(options.statePath)) {
    io.stdout(`No state database at ${options.statePath} yet: the daemon has not run with this configuration.\n`);
    return { entries: [], countdowns: [] };
  }
  const state = openStateDatabase(options.statePath);
  try {
    const all = new SqliteRequestJournal(state.db).list();
    const entries = (options.errors ? all.filter((e) => e.lastError !== undefined) : all).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    const countdowns = new SqliteCountdownStore(state.db).list().map((c) => ({ ...c, daysLeft: countdown(c.closedAt, io.now()).daysLeft }));
    if (options.json) {
      io.stdout(`${JSON.stringify({ entries, countdowns }, null, 2)}\n`);
      return { entries, countdowns };
    }
    io.stdout(`Requests (${entries.length}${options.errors ? ' with an error' : ''}, latest first)\n`);
    if (entries.length > 0) {
      io.stdout(
        `${renderTable(
          [{ header: 'request' }, { header: 'step' }, { header: 'outcome' }, { header: 'attempts', align: 'right' }, { header: 'updated (UTC)' }, { header: 'last error' }],
          entries.map((e) => [e.requestId, e.step, e.outcome, String(e.attempts), minute(e.updatedAt), e.lastError ?? '']),
        )}\n`,
      );
    }
    io.stdout(`\nCancels counting down (${countdowns.length})\n`);
    if (countdowns.length > 0) {
      io.stdout(
        `${renderTable(
          [{ header: 'request' }, { header: 'account' }, { header: 'payer' }, { header: 'closed on' }, { header: 'approval on' }, { header: 'days left', align: 'right' }],
          countdowns.map((c) => [c.requestId, c.accountId, c.payerAccountId, c.closedAt, c.dueOn, String(c.daysLeft)]),
        )}\n`,
      );
    }
    return { entries, countdowns };
  } finally {
    state.close();
  }
}
