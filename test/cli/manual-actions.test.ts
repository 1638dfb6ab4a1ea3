import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualActionInput } from '../../src/app/orders/ports.js';
import { runManualActions, type ManualActionsOptions, type ManualActionsResult } from '../../src/cli/manual-actions.command.js';
import { ConnectorError } from '../../src/domain/errors.js';
import { openStateDatabase } from '../../src/store/database.js';
import { SqliteManualActionStore } from '../../src/store/manual-actions.store.js';

const CREATED = new Date('2026-11-05T10:00:00.000Z');
const NOW = new Date('2026-11-06T09:30:00.000Z');

const PLAN: ManualActionInput = {
  kind: 'set-support-plan',
  requestId: 'PR-1111-2222-3333-001',
  accountId: '123456789012',
  payerAccountId: '111111111111',
  detail: 'set support plan business on account 123456789012 in the AWS console',
};
const CLOSE: ManualActionInput = {
  kind: 'close-account',
  requestId: 'PR-1111-2222-3333-002',
  accountId: '210987654321',
  payerAccountId: '111111111111',
  detail: 'close account 210987654321 in the AWS console',
};

let dir: string;
let statePath: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nr-manual-cli-'));
  statePath = join(dir, 'state', 'connector.db');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function seed(...actions: ManualActionInput[]): void {
  const state = openStateDatabase(statePath);
  const store = new SqliteManualActionStore(state.db);
  for (const action of actions) store.add(action, CREATED);
  state.close();
}

async function run(options: Partial<ManualActionsOptions> = {}): Promise<{ result?: ManualActionsResult; error?: unknown; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), now: () => NOW };
  try {
    const result = await runManualActions({ statePath, ...options }, io);
    return { result, stdout, stderr };
  } catch (error) {
    return { error, stdout, stderr };
  }
}

describe('runManualActions()', () => {
  it('prints the open actions as a table with their ids, accounts, requests and details', async () => {
    seed(PLAN, CLOSE);
    const { result, stdout } = await run();
    expect(result?.listed.map((a) => a.id)).toEqual([1, 2]);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^id\s+kind\s+account\s+payer\s+request\s+created \(UTC\)\s+detail$/);
    const row = lines.find((l) => l.includes(PLAN.requestId)) ?? '';
    for (const cell of ['1', 'set-support-plan', PLAN.accountId, PLAN.payerAccountId, '2026-11-05 10:00', PLAN.detail]) expect(row).toContain(cell);
    expect(stdout).toContain(CLOSE.detail);
    expect(stdout).toContain('2 open manual action(s)');
  });

  it('marks --done ids first, one line each, and the listing leaves them out', async () => {
    seed(PLAN, CLOSE);
    const { result, stdout } = await run({ done: ['1', '7'], by: 'alice' });
    expect(result?.marked).toEqual([1]);
    expect(stdout).toContain('marked 1 done\n');
    expect(stdout).toContain('no open manual action 7\n');
    expect(result?.listed.map((a) => a.id)).toEqual([2]);

    const next = await run();
    expect(next.stdout).not.toContain(PLAN.requestId);
    expect(next.stdout).toContain(CLOSE.requestId);
  });

  it('stores when and by whom an action was done, shown with --all', async () => {
    seed(PLAN, CLOSE);
    await run({ done: ['2'], by: 'alice' });
    const { result, stdout } = await run({ all: true });
    expect(result?.listed.find((a) => a.id === 2)).toMatchObject({ doneAt: NOW.toISOString(), doneBy: 'alice' });
    expect(stdout.split('\n')[0]).toMatch(/done \(UTC\)\s+done by\s+detail$/);
    expect(stdout.split('\n').find((l) => l.includes(CLOSE.requestId))).toMatch(/2026-11-06 09:30\s+alice/);
    expect(stdout).toContain('2 manual action(s), 1 open');
  });

  it('says that a second --done of the same id finds no open action', async () => {
    seed(PLAN);
    await run({ done: ['1'] });
    const { result, stdout } = await run({ done: ['1'] });
    expect(result?.marked).toEqual([]);
    expect(stdout).toContain('no open manual action 1');
  });

  it('rejects a bad id, naming it, before marking anything', async () => {
    seed(PLAN);
    const { error } = await run({ done: ['1', 'x1'] });
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).message).toContain('"x1"');
    const after = await run();
    expect(after.result?.listed.map((a) => a.id)).toEqual([1]);
  });

  it.each(['0', '-3', '1.5', ''])('rejects %j as an id', async (bad) => {
    const { error } = await run({ done: [bad] });
    expect((error as ConnectorError).message).toContain(JSON.stringify(bad));
  });

  it('prints a sentence, not an empty table, when nothing is open', async () => {
    seed(PLAN);
    await run({ done: ['1'] });
    const { stdout } = await run();
    expect(stdout).toBe('There are no open manual actions: nothing to do by hand.\n');
  });

  it('treats a missing state file as no manual actions, without creating it', async () => {
    const { result, stdout, error } = await run();
    expect(error).toBeUndefined();
    expect(result).toEqual({ listed: [], marked: [] });
    expect(stdout).toContain('There are no open manual actions');
    expect(existsSync(statePath)).toBe(false);
    expect(existsSync(join(dir, 'state'))).toBe(false);
  });

  it('prints JSON on stdout with --json, and the marked lines on stderr', async () => {
    seed(PLAN, CLOSE);
    const { stdout, stderr } = await run({ json: true, done: ['1'] });
    expect(stderr).toBe('marked 1 done\n');
    expect(JSON.parse(stdout)).toEqual([{ ...CLOSE, id: 2, createdAt: CREATED.toISOString() }]);
  });

  it('prints an empty JSON list for a missing state file with --json', async () => {
    const { stdout } = await run({ json: true });
    expect(JSON.parse(stdout)).toEqual([]);
  });
});
