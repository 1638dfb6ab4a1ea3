import { mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runJournal } from '../../src/cli/journal.command.js';
import { SqliteCountdownStore } from '../../src/store/countdown.store.js';
import { openStateDatabase } from '../../src/store/database.js';
import { SqliteRequestJournal } from '../../src/store/journal.store.js';

describe('runJournal()', () => {
  it('lists the journal latest first with the last errors, and the countdowns with the days left', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'nr-journal-')), 'state.db');
    const state = openStateDatabase(path);
    const journal = new SqliteRequestJournal(state.db);
    journal.record({ requestId: 'PR-1', step: 'purchase:create-account', outcome: 'pending' }, new Date('2026-11-26T10:00:00Z'));
    journal.record({ requestId: 'PR-2', step: 'cancel:error', outcome: 'error', lastError: 'AWS_ACCESS_DENIED: AWS refused DescribeAccount' }, new Date('2026-11-26T11:00:00Z'));
    new SqliteCountdownStore(state.db).upsert({ requestId: 'PR-3', accountId: '555555555555', payerAccountId: '111111111111', closedAt: '2026-11-20', dueOn: '2027-01-19' });
    state.close();

    let out = '';
    const result = runJournal({ statePath: path }, { stdout: (t) => void (out += t), now: () => new Date('2026-11-26T12:00:00Z') });
    expect(result.entries.map((e) => e.requestId)).toEqual(['PR-2', 'PR-1']);
    expect(result.countdowns).toEqual([expect.objectContaining({ requestId: 'PR-3', daysLeft: 54 })]);
    expect(out).toMatch(/PR-2\s+cancel:error\s+error\s+1\s+2026-11-26 11:00\s+AWS_ACCESS_DENIED/);
    expect(out).toMatch(/PR-3\s+555555555555\s+111111111111\s+2026-11-20\s+2027-01-19\s+54/);

    const errorsOnly = runJournal({ statePath: path, errors: true }, { stdout: () => undefined, now: () => new Date('2026-11-26T12:00:00Z') });
    expect(errorsOnly.entries.map((e) => e.requestId)).toEqual(['PR-2']);
  });

  it('says so when the database does not exist, and creates nothing', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'nr-journal-')), 'none.db');
    let out = '';
    runJournal({ statePath: path }, { stdout: (t) => void (out += t), now: () => new Date('2026-11-26T12:00:00Z') });
    expect(out).toContain('No state database');
    expect(existsSync(path)).toBe(false);
  });
});
