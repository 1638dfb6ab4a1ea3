/** The custom lines in the state database, and the flat credits' balances per period and run version (MARGIN.md §4). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CreditBalanceEntry, MonthRef } from '../../src/app/usage/month-lines.js';
import { balanceKey, type CustomLine } from '../../src/domain/custom-lines.js';
import { ConnectorError } from '../../src/domain/errors.js';
import { openStateDatabase, type StateDatabase } from '../../src/store/database.js';
import { SqliteCustomLineStore } from '../../src/store/custom-lines.store.js';

const PAYER = '111111111111';
const ACCOUNT = '222222222222';
const OTHER = '333333333333';
const CREDIT: CustomLine = { id: 'welcome', kind: 'credit', assetId: 'AS-1', amount: '100', from: '2026-01', description: 'Welcome credit' };
const FEE: CustomLine = { id: 'svc', kind: 'fee', payerAccountId: PAYER, percent: '2.5', of: 'total', from: '2026-01', to: '2026-12', description: 'Service fee' };
const ADDED = new Date('2026-01-15T09:30:00.000Z');
const REMOVED = new Date('2026-02-03T17:00:00.000Z');

let state: StateDatabase;
let store: SqliteCustomLineStore;

beforeEach(() => {
  state = openStateDatabase(':memory:');
  store = new SqliteCustomLineStore(state.db);
});

afterEach(() => {
  state.close();
});

describe('SqliteCustomLineStore: lines', () => {
  it('stores a line with who added it and when, and gives it back as added', () => {
    expect(store.add(CREDIT, 'alice', ADDED)).toEqual({ ...CREDIT, addedBy: 'alice', addedAt: '2026-01-15T09:30:00.000Z' });
    store.add(FEE, 'bob', ADDED);
    expect(store.list()).toEqual([
      { ...CREDIT, addedBy: 'alice', addedAt: '2026-01-15T09:30:00.000Z' },
      { ...FEE, addedBy: 'bob', addedAt: '2026-01-15T09:30:00.000Z' },
    ]);
    expect(store.active()).toHaveLength(2);
  });

  it('removes a line with who and when: no longer in force, still listed with --all', () => {
    store.add(CREDIT, 'alice', ADDED);
    store.add(FEE, 'alice', ADDED);
    expect(store.remove('welcome', 'bob', REMOVED)).toMatchObject({ id: 'welcome', removedBy: 'bob', removedAt: '2026-02-03T17:00:00.000Z' });
    expect(store.active().map((l) => l.id)).toEqual(['svc']);
    expect(store.list({ all: true }).map((l) => [l.id, l.removedBy ?? null])).toEqual([
      ['welcome', 'bob'],
      ['svc', null],
    ]);
  });

  it('removes nothing for an unknown id or a line already removed', () => {
    store.add(CREDIT, 'alice', ADDED);
    expect(store.remove('nope', 'bob', REMOVED)).toBeUndefined();
    store.remove('welcome', 'bob', REMOVED);
    expect(store.remove('welcome', 'carol', new Date('2026-03-01T00:00:00.000Z'))).toBeUndefined();
    expect(store.get('welcome')).toMatchObject({ removedBy: 'bob' });
  });

  it('never reuses an id, even of a removed line (it ends record ids)', () => {
    store.add(CREDIT, 'alice', ADDED);
    store.remove('welcome', 'bob', REMOVED);
    const again = (): unknown => store.add({ ...CREDIT, amount: '5' }, 'carol', REMOVED);
    expect(again).toThrow(ConnectorError);
    expect(again).toThrow('line id "welcome" is already used (removed 2026-02-03T17:00:00.000Z)');
    expect(store.list({ all: true })).toHaveLength(1);
  });
});

describe('SqliteCustomLineStore: credit balances', () => {
  const month = (period: string, version: number, dryRun = false): MonthRef => ({ payerAccountId: PAYER, period, version, dryRun });
  const entry = (opening: string, used: string, accountId = ACCOUNT): CreditBalanceEntry => ({ lineId: 'welcome', accountId, opening, used, remainingAfter: String(Number(opening) - Number(used)) });
  const key = balanceKey('welcome', ACCOUNT);

  it('has no balance before the first month (the line starts from its amount)', () => {
    expect(store.openings(month('2026-01', 1)).size).toBe(0);
  });

  it("opens a month with what the latest earlier month's latest version left", () => {
    store.recordBalances(month('2026-01', 1), [entry('100', '30')], ADDED);
    store.recordBalances(month('2026-01', 2), [entry('100', '40')], ADDED);
    expect(store.openings(month('2026-02', 1)).get(key)).toBe('60');
    // A month with no usage leaves no row: the next one carries from the last month that had one.
    expect(store.openings(month('2026-04', 1)).get(key)).toBe('60');
  });

  it("reopens a reprocessed month with its first version's opening, whatever later months consumed", () => {
    store.recordBalances(month('2026-01', 1), [entry('100', '30')], ADDED);
    store.recordBalances(month('2026-02', 1), [entry('70', '70')], ADDED);
    expect(store.openings(month('2026-01', 2)).get(key)).toBe('100');
    expect(store.openings(month('2026-02', 2)).get(key)).toBe('70');
  });

  it('keeps each customer of a payer-wide credit apart', () => {
    store.recordBalances(month('2026-01', 1), [entry('100', '30'), entry('100', '100', OTHER)], ADDED);
    const openings = store.openings(month('2026-02', 1));
    expect(openings.get(key)).toBe('70');
    expect(openings.get(balanceKey('welcome', OTHER))).toBe('0');
  });

  it('replaces the balances of the same version (a dry run started over)', () => {
    store.recordBalances(month('2026-01', 1, true), [entry('100', '30')], ADDED);
    store.recordBalances(month('2026-01', 1, true), [entry('100', '10')], ADDED);
    expect(store.openings(month('2026-02', 1, true)).get(key)).toBe('90');
  });

  it('keeps dry runs out of live months; a dry run carries from live months, live rows first', () => {
    store.recordBalances(month('2026-01', 1), [entry('100', '30')], ADDED);
    store.recordBalances(month('2026-02', 1, true), [entry('70', '70')], ADDED);
    expect(store.openings(month('2026-03', 1)).get(key)).toBe('70'); // live: from January (live)
    expect(store.openings(month('2026-03', 1, true)).get(key)).toBe('0'); // dry: from the dry February
    store.recordBalances(month('2026-02', 1), [entry('70', '20')], ADDED);
    expect(store.openings(month('2026-03', 1, true)).get(key)).toBe('50'); // the live February wins
    expect(store.openings(month('2026-02', 3, true)).get(key)).toBe('70');
  });

  it('reads only the payer it is asked for', () => {
    store.recordBalances({ payerAccountId: '999999999999', period: '2026-01', version: 1, dryRun: false }, [entry('100', '30')], ADDED);
    expect(store.openings(month('2026-02', 1)).size).toBe(0);
  });
});

describe('SqliteCustomLineStore on a file', () => {
  it('keeps lines and balances across a reopen (migration 6)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lines-store-'));
    try {
      const path = join(dir, 'state.db');
      const first = openStateDatabase(path);
      const one = new SqliteCustomLineStore(first.db);
      one.add(CREDIT, 'alice', ADDED);
      one.recordBalances({ payerAccountId: PAYER, period: '2026-01', version: 1, dryRun: false }, [{ lineId: 'welcome', accountId: ACCOUNT, opening: '100', used: '25.5', remainingAfter: '74.5' }], ADDED);
      first.close();
      const again = openStateDatabase(path);
      const two = new SqliteCustomLineStore(again.db);
      expect(two.list()).toEqual([{ ...CREDIT, addedBy: 'alice', addedAt: ADDED.toISOString() }]);
      expect(two.openings({ payerAccountId: PAYER, period: '2026-02', dryRun: false }).get(balanceKey('welcome', ACCOUNT))).toBe('74.5');
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
