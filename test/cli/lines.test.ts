/** `native-rating lines add|list|remove`: lines in the state database with who and when; bad input exits 2 naming the value. */
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXIT_OK, EXIT_UNUSABLE } from '../../src/cli/program.js';
import { openStateDatabase } from '../../src/store/database.js';
import { SqliteCustomLineStore } from '../../src/store/custom-lines.store.js';
import { runBin as run } from '../support/run-program.js';
import { tempDir, writeJson } from '../support/run-cli.js';

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});


/** A configuration of payer 111111111111 with its state in a temp folder. */
async function setup(): Promise<{ config: string; statePath: string; assets: string }> {
  const dir = await tempDir('nr-lines-');
  const statePath = join(dir, 'state.db');
  const config = await writeJson(dir, 'c.json', { payers: [{ accountId: '111111111111' }], state: { path: statePath } });
  const assets = await writeJson(dir, 'assets.json', [{ assetId: 'AS-0001-0001', accountId: '222222222222', status: 'active' }]);
  return { config, statePath, assets };
}

const stored = (statePath: string) => {
  const state = openStateDatabase(statePath);
  try {
    return new SqliteCustomLineStore(state.db).list({ all: true });
  } finally {
    state.close();
  }
};

const CREDIT = ['--kind', 'credit', '--asset', 'AS-0001-0001', '--amount', '250.00', '--from', '2026-10', '--description', 'Welcome credit'];

describe('lines add', () => {
  it('stores the line with who added it and when, and says what it added', async () => {
    const { config, statePath, assets } = await setup();
    const before = Date.now();
    const r = await run(['lines', 'add', '--config', config, '--id', 'welcome', ...CREDIT, '--by', 'alice', '--assets', assets]);
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toBe('added credit welcome: 250 for asset AS-0001-0001, from 2026-10 on: "Welcome credit" (by alice)\n');
    const [line] = stored(statePath);
    expect(line).toMatchObject({ id: 'welcome', kind: 'credit', assetId: 'AS-0001-0001', amount: '250', from: '2026-10', description: 'Welcome credit', addedBy: 'alice' });
    expect(Date.parse(line?.addedAt ?? '')).toBeGreaterThanOrEqual(before - 1000);
  });

  it('gives a line without --id the next free id, and takes the user from the environment', async () => {
    const { config, statePath } = await setup();
    await run(['lines', 'add', '--config', config, ...CREDIT], { USER: 'bob' });
    await run(['lines', 'add', '--config', config, '--kind', 'fee', '--payer', '111111111111', '--percent', '2.5', '--of', 'total', '--from', '2026-10', '--to', '2026-12', '--description', 'Service fee'], { USER: 'bob' });
    expect(stored(statePath).map((l) => [l.id, l.addedBy])).toEqual([
      ['L1', 'bob'],
      ['L2', 'bob'],
    ]);
  });

  it.each([
    ['a percent over 100', ['--kind', 'fee', '--asset', 'AS-0001-0001', '--percent', '120', '--of', 'aws', '--from', '2026-10', '--description', 'x'], '--percent: percent "120" is over 100'],
    ['an unknown asset', ['--kind', 'fee', '--asset', 'AS-9999', '--amount', '5', '--from', '2026-10', '--description', 'x'], '--asset: assetId "AS-9999" is not a known subscription (the assets file'],
    ['a payer not configured', ['--kind', 'fee', '--payer', '999999999999', '--amount', '5', '--from', '2026-10', '--description', 'x'], '--payer: payerAccountId "999999999999" is not a configured payer'],
    ['a range that ends before it starts', [...CREDIT, '--to', '2026-09'], '--to: the range ends before it starts: to "2026-09" is before from "2026-10"'],
    ['more decimals than the currency', ['--kind', 'fee', '--asset', 'AS-0001-0001', '--amount', '1.234', '--from', '2026-10', '--description', 'x'], '--amount: amount "1.234" has 3 decimals; the billing currency has 2'],
    ['both amount and percent', [...CREDIT, '--percent', '5', '--of', 'aws'], 'options: give amount or percent, not both (amount "250.00", percent "5")'],
    ['a non-positive amount', ['--kind', 'fee', '--asset', 'AS-0001-0001', '--amount', '-5', '--from', '2026-10', '--description', 'x'], '--amount: amount "-5" must be positive'],
    ['a bad period', ['--kind', 'fee', '--asset', 'AS-0001-0001', '--amount', '5', '--from', '2026-1', '--description', 'x'], '--from: from "2026-1" is not a period YYYY-MM'],
    ['an unknown kind', ['--kind', 'rebate', '--asset', 'AS-0001-0001', '--amount', '5', '--from', '2026-10', '--description', 'x'], '--kind: kind "rebate" is not fee or credit'],
    ['a percent without of', ['--kind', 'fee', '--asset', 'AS-0001-0001', '--percent', '5', '--from', '2026-10', '--description', 'x'], '--of: of is missing'],
  ])('exits 2 on %s, naming the value, and stores nothing', async (_what, args, message) => {
    const { config, statePath, assets } = await setup();
    const r = await run(['lines', 'add', '--config', config, ...args, '--by', 'alice', '--assets', assets]);
    expect(r.code).toBe(EXIT_UNUSABLE);
    expect(r.stderr).toContain('error CONFIG_INVALID: the line was not added');
    expect(r.stderr).toContain(message);
    expect(stored(statePath)).toEqual([]);
  });

  it('exits 2 on an id already used, even by a removed line', async () => {
    const { config } = await setup();
    await run(['lines', 'add', '--config', config, '--id', 'welcome', ...CREDIT, '--by', 'alice']);
    await run(['lines', 'remove', 'welcome', '--config', config, '--by', 'bob']);
    const r = await run(['lines', 'add', '--config', config, '--id', 'welcome', ...CREDIT, '--by', 'alice']);
    expect(r.code).toBe(EXIT_UNUSABLE);
    expect(r.stderr).toContain('line id "welcome" is already used (removed ');
  });
});

describe('lines list and remove', () => {
  it('lists the lines in force; remove keeps who and when, shown with --all', async () => {
    const { config, statePath } = await setup();
    await run(['lines', 'add', '--config', config, '--id', 'welcome', ...CREDIT, '--by', 'alice']);
    await run(['lines', 'add', '--config', config, '--id', 'svc', '--kind', 'fee', '--payer', '111111111111', '--percent', '3', '--of', 'aws', '--from', '2026-10', '--description', 'Service fee', '--by', 'alice']);
    const listed = await run(['lines', 'list', '--config', config]);
    expect(listed.code).toBe(EXIT_OK);
    expect(listed.stdout).toMatch(/welcome\s+credit\s+AS-0001-0001\s+250\s+2026-10\s+-\s+\S+ \S+\s+alice\s+"Welcome credit"/);
    expect(listed.stdout).toMatch(/svc\s+fee\s+payer 111111111111\s+3 % of aws/);
    expect(listed.stdout).toContain('2 line(s) in force');

    const removed = await run(['lines', 'remove', 'welcome', '--config', config, '--by', 'bob']);
    expect(removed.code).toBe(EXIT_OK);
    expect(removed.stdout).toContain('removed credit welcome: 250 for asset AS-0001-0001');
    expect(stored(statePath).find((l) => l.id === 'welcome')).toMatchObject({ removedBy: 'bob', removedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });

    expect((await run(['lines', 'list', '--config', config])).stdout).toContain('1 line(s) in force');
    const all = await run(['lines', 'list', '--config', config, '--all', '--json']);
    expect((JSON.parse(all.stdout) as Array<{ id: string; removedBy?: string }>).map((l) => [l.id, l.removedBy ?? null])).toEqual([
      ['welcome', 'bob'],
      ['svc', null],
    ]);
  });

  it('exits 2 removing a line that is not there, naming the id', async () => {
    const { config } = await setup();
    await run(['lines', 'add', '--config', config, '--id', 'welcome', ...CREDIT, '--by', 'alice']);
    const r = await run(['lines', 'remove', 'nope', '--config', config, '--by', 'bob']);
    expect(r.code).toBe(EXIT_UNUSABLE);
    expect(r.stderr).toContain('no line "nope" to remove: no line has this id');
  });

  it('says there are none when the state database does not exist yet, and does not create it', async () => {
    const { config, statePath } = await setup();
    const r = await run(['lines', 'list', '--config', config]);
    expect(r.stdout).toContain('There are no custom lines in force');
    const { existsSync } = await import('node:fs');
    expect(existsSync(statePath)).toBe(false);
  });

  it('documents its exit statuses in --help', async () => {
    const r = await run(['lines', 'add', '--help']);
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toContain('--percent <percent>');
    expect(r.stdout).toContain('Exit status:\n  0  added, listed or removed\n  2  bad input (the value is named)');
  });
});
