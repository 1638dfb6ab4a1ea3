import { mkdtemp, rm, writeFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, openStateDatabase, type StateDatabase } from '../../src/store/database.js';
import { SqliteRequestJournal } from '../../src/store/journal.store.js';
import { refusal as caught } from '../support/refusal.js';

const NOW = new Date('2026-11-05T10:00:00.000Z');
const LATEST = MIGRATIONS.at(-1)?.version ?? 0;

let dir: string;
const opened: StateDatabase[] = [];

function open(path: string, migrations = MIGRATIONS): StateDatabase {
  const state = openStateDatabase(path, migrations);
  opened.push(state);
  return state;
}

function tables(state: StateDatabase): string[] {
  return state.db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nr-state-'));
});

afterEach(async () => {
  for (const state of opened.splice(0)) state.close();
  await rm(dir, { recursive: true, force: true });
});

describe('MIGRATIONS', () => {
  it('are numbered 1, 2, 3, ... in order', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });
});

describe('openStateDatabase()', () => {
  it('creates the missing parent folder and every table, at the latest schema version', () => {
    const path = join(dir, 'nested', 'deeper', 'state.db');
    const state = open(path);
    expect(existsSync(path)).toBe(true);
    expect(state.path).toBe(path);
    expect(tables(state)).toEqual(['countdowns', 'credit_balances', 'custom_lines', 'manual_actions', 'request_journal', 'runs', 'state_lock', 'support_plan_detections']);
    expect(state.db.pragma('user_version', { simple: true })).toBe(LATEST);
  });

  it('sets WAL journal, a 5 s busy timeout and foreign keys', () => {
    const state = open(join(dir, 'state.db'));
    expect(state.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(state.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(state.db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('reopens an up-to-date file without migrating again, keeping its data', () => {
    const path = join(dir, 'state.db');
    const first = open(path);
    new SqliteRequestJournal(first.db).record({ requestId: 'PR-1', step: 'cancel:wait', outcome: 'pending' }, NOW);
    first.close();

    const again = open(path);
    expect(again.db.pragma('user_version', { simple: true })).toBe(LATEST);
    expect(new SqliteRequestJournal(again.db).get('PR-1')).toMatchObject({ step: 'cancel:wait', attempts: 1 });
  });

  it('applies only the migrations a file does not have yet', () => {
    const path = join(dir, 'state.db');
    open(path).close();
    const next = [...MIGRATIONS, { version: LATEST + 1, sql: 'CREATE TABLE later (id INTEGER PRIMARY KEY)' }];
    const state = open(path, next);
    expect(state.db.pragma('user_version', { simple: true })).toBe(LATEST + 1);
    expect(tables(state)).toContain('later');
  });

  it('rolls a failing migration back and names the file', () => {
    const path = join(dir, 'state.db');
    open(path).close();
    const broken = [...MIGRATIONS, { version: LATEST + 1, sql: 'CREATE TABLE half (id INTEGER); THIS IS NOT SQL' }];
    const error = caught(() => openStateDatabase(path, broken));
    expect(error.code).toBe('STATE');
    expect(error.message).toContain(path);

    const state = open(path);
    expect(state.db.pragma('user_version', { simple: true })).toBe(LATEST);
    expect(tables(state)).not.toContain('half');
  });

  it('refuses a file whose schema is newer than this code knows, and leaves it untouched', async () => {
    const path = join(dir, 'future.db');
    const future = new Database(path);
    future.pragma(`user_version = ${LATEST + 7}`);
    future.close();
    const before = await stat(path);

    const error = caught(() => openStateDatabase(path));
    expect(error.code).toBe('STATE');
    expect(error.message).toContain(path);
    expect(error.message).toContain(`schema version ${LATEST + 7}`);

    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(LATEST + 7);
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(check.prepare("SELECT count(*) AS n FROM sqlite_master").get()).toEqual({ n: 0 });
    check.close();
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);
  });

  it('fails with STATE naming the path when the file is not a database', async () => {
    const path = join(dir, 'notes.txt');
    await writeFile(path, 'this is not a SQLite database, just some words that fill a page or so. '.repeat(20));
    const error = caught(() => openStateDatabase(path));
    expect(error.code).toBe('STATE');
    expect(error.message).toContain(path);
  });

  it('opens a private in-memory database for ":memory:"', () => {
    const state = open(':memory:');
    expect(tables(state)).toEqual(['countdowns', 'credit_balances', 'custom_lines', 'manual_actions', 'request_journal', 'runs', 'state_lock', 'support_plan_detections']);
    expect(existsSync(join(process.cwd(), ':memory:'))).toBe(false);
  });

  it('can be closed twice', () => {
    const state = open(':memory:');
    state.close();
    expect(() => state.close()).not.toThrow();
  });
});
