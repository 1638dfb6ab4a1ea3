import { afterEach, describe, expect, it, vi } from 'vitest';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildProgram, COMMAND_DOCS, demoCode, EXIT_OK, EXIT_PAYER_FAILED, EXIT_UNUSABLE } from '../../src/cli/program.js';
import { showAmount } from '../../src/cli/summary.js';
import { runBin } from '../support/run-program.js';
import { tempDir, writeJson } from '../support/run-cli.js';

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function run(args: string[]): Promise<{ code: number | string | undefined; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  process.exitCode = undefined;
  await buildProgram().parseAsync(['node', 'native-rating', ...args]);
  return { code: process.exitCode, stdout, stderr };
}

const demo = ['rate', '--period', '2026-10', '--cur', 'fixtures/cur/demo-2026-10', '--dry-run'];

describe('native-rating rate exit status', () => {
  it('is 0 when every payer is rated', async () => {
    const out = await tempDir();
    const config = await writeJson(out, 'c.json', { ...(JSON.parse(await readFile('fixtures/demo.config.json', 'utf8')) as object), state: { path: join(out, 'state.db') } });
    const r = await run([...demo, '--config', config, '--assets', 'fixtures/demo.assets.json', '--out', out]);
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toContain('1 payer(s) ok, 0 failed');
  });

  it('is 1 when another live process holds the month, and says which', async () => {
    const out = await tempDir();
    const statePath = join(out, 'state.db');
    const config = await writeJson(out, 'c.json', { ...(JSON.parse(await readFile('fixtures/demo.config.json', 'utf8')) as object), state: { path: statePath } });
    const { openStateDatabase } = await import('../../src/store/database.js');
    const { SqliteRunLedger } = await import('../../src/store/run-ledger.store.js');
    const state = openStateDatabase(statePath);
    try {
      // Another process, alive (its lease runs for an hour), holds the dry run of this month.
      const claim = new SqliteRunLedger(state.db).claim({ payerAccountId: '111111111111', period: '2026-10', trigger: 'cli', reprocess: false, dryRun: true }, { owner: 'other', holder: 'pid 4242 on host-b', ttlMs: 3_600_000 }, new Date());
      expect(claim.kind).toBe('claimed');
    } finally {
      state.close();
    }
    const r = await run([...demo, '--config', config, '--assets', 'fixtures/demo.assets.json', '--out', out]);
    expect(r.code).toBe(EXIT_PAYER_FAILED);
    expect(r.stdout).toContain('not run: pid 4242 on host-b holds this month');
    expect(r.stdout).toContain('0 payer(s) ok, 1 failed');
  });

  it('is 1 when a payer failed, and says why', async () => {
    const dir = await tempDir();
    const config = await writeJson(dir, 'c.json', { payers: [{ accountId: '111111111111', marketplaceCurrency: 'EUR' }], state: { path: join(dir, 'state.db') } });
    const r = await run([...demo, '--config', config, '--bill-all-accounts', '--out', join(dir, 'out')]);
    expect(r.code).toBe(EXIT_PAYER_FAILED);
    expect(r.stdout).toContain('FAILED (no workbook)');
    expect(r.stdout).toContain('error FX_INVALID: fxRate is missing');
  });

  it('is 2 when the run cannot start, naming the problem on stderr', async () => {
    const r = await run([...demo, '--config', 'does-not-exist.json', '--bill-all-accounts']);
    expect(r.code).toBe(EXIT_UNUSABLE);
    expect(r.stderr).toContain('error CONFIG_INVALID: cannot read does-not-exist.json');
  });
});

describe('showAmount()', () => {
  it.each([
    ['1234567.891', '1,234,567.89'],
    ['-1234.5', '-1,234.50'],
    ['0.004', '0.00'],
    ['999.995', '1,000.00'],
  ])('%s → %s', (value, shown) => {
    expect(showAmount(value)).toBe(shown);
  });
});

describe('native-rating order commands', () => {
  it('process --once exits 2 naming CONNECT_API_KEY when it is not set', async () => {
    const saved = process.env.CONNECT_API_KEY;
    delete process.env.CONNECT_API_KEY;
    try {
      // The demo configuration with its state in a temp folder (not the repository's ./data): runs in parallel never share it.
      const dir = await tempDir();
      const demoConfig = JSON.parse(await readFile('fixtures/demo.config.json', 'utf8')) as object;
      const config = await writeJson(dir, 'c.json', { ...demoConfig, state: { path: join(dir, 'state.db'), outputDir: join(dir, 'runs') } });
      const r = await run(['process', '--once', '--config', config]);
      expect(r.code).toBe(EXIT_UNUSABLE);
      expect(r.stderr).toContain('CONNECT_API_KEY is not set');
    } finally {
      if (saved !== undefined) process.env.CONNECT_API_KEY = saved;
    }
  });

  it('daemon exits 2 when the configuration has no connect section', async () => {
    const dir = await tempDir();
    const config = await writeJson(dir, 'c.json', { payers: [{ accountId: '111111111111' }], state: { path: join(dir, 'state.db'), outputDir: join(dir, 'runs') } });
    const saved = process.env.CONNECT_API_KEY;
    process.env.CONNECT_API_KEY = 'SU-1:x';
    try {
      const r = await run(['daemon', '--config', config]);
      expect(r.code).toBe(EXIT_UNUSABLE);
      expect(r.stderr).toContain('no "connect" section');
    } finally {
      if (saved === undefined) delete process.env.CONNECT_API_KEY;
      else process.env.CONNECT_API_KEY = saved;
    }
  });

  it('manual-actions reads state.path from --config and says when there are none', async () => {
    const dir = await tempDir();
    const config = await writeJson(dir, 'c.json', { payers: [{ accountId: '111111111111' }], state: { path: join(dir, 'none.db') } });
    const r = await run(['manual-actions', '--config', config]);
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toMatch(/no open manual actions/i);
  });
});


describe('native-rating usage', () => {
  it("--version prints package.json's version and exits 0", async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const r = await runBin(['--version']);
    expect(r.stdout).toBe(`${version}\n`);
    expect(r.code).toBe(EXIT_OK);
  });

  it('rate --help lists the variables it reads and its exit statuses', async () => {
    const r = await runBin(['rate', '--help']);
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toMatch(/\n {2}CONNECT_API_KEY +the platform API key/);
    expect(r.stdout).toMatch(/\n {2}NATIVE_RATING_CONFIG +the configuration file, when a command is given no --config/);
    expect(r.stdout).toContain('Exit status:\n  0  every payer rated');
    expect(r.stdout).toContain('\n  2  it could not run: a usage error');
    expect(r.stdout).not.toContain('ADMIN_TOKEN');
  });

  it("every command's --help has an exit status section, and each variable it lists is one the connector documents", async () => {
    for (const command of buildProgram({}).commands) {
      const r = await runBin([command.name(), '--help']);
      expect(r.stdout, command.name()).toContain('Exit status:\n  0  ');
      for (const name of COMMAND_DOCS[command.name() as keyof typeof COMMAND_DOCS].env) expect(r.stdout, `${command.name()} ${name}`).toContain(`\n  ${name} `);
      vi.restoreAllMocks();
    }
  });

  it.each([
    ['an unknown option', ['rate', '--period', '2026-10', '--perod', 'x'], "error: unknown option '--perod'"],
    ['an unknown command', ['rat'], "error: unknown command 'rat'"],
    ['a missing required option', ['rate', '--config', 'c.json'], "error: required option '--period <YYYY-MM>' not specified"],
    ['a bad --format', ['daemon', '--format', 'yaml'], "error: option '--format <format>' argument 'yaml' is invalid. Allowed choices are json, text."],
  ])('exits 2 on %s, saying what is wrong', async (_what, args, message) => {
    const r = await runBin(args);
    expect(r.code).toBe(EXIT_UNUSABLE);
    expect(r.stderr).toContain(message);
  });

  it('exits 2 naming --config and NATIVE_RATING_CONFIG when neither gives the configuration', async () => {
    const r = await runBin(['journal']);
    expect(r.code).toBe(EXIT_UNUSABLE);
    expect(r.stderr).toContain('error CONFIG_INVALID: no configuration file: give --config <config.json> or set NATIVE_RATING_CONFIG');
  });

  it('takes the configuration from NATIVE_RATING_CONFIG and the state path from NATIVE_RATING_STATE_PATH', async () => {
    const dir = await tempDir();
    const config = await writeJson(dir, 'c.json', { payers: [{ accountId: '111111111111' }], state: { path: join(dir, 'file.db') } });
    // The action is in the state the environment names only.
    const statePath = join(dir, 'from-env', 'state.db');
    const { openStateDatabase } = await import('../../src/store/database.js');
    const { SqliteManualActionStore } = await import('../../src/store/manual-actions.store.js');
    const state = openStateDatabase(statePath);
    new SqliteManualActionStore(state.db).add({ kind: 'close-account', requestId: 'PR-1111-2222-3333-002', accountId: '210987654321', payerAccountId: '111111111111', detail: 'close account 210987654321 in the AWS console' }, new Date('2026-11-05T10:00:00Z'));
    state.close();
    const r = await runBin(['manual-actions'], { NATIVE_RATING_CONFIG: config, NATIVE_RATING_STATE_PATH: statePath });
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toContain('close account 210987654321 in the AWS console');
    await expect(access(join(dir, 'file.db'))).rejects.toThrow(/ENOENT/);
  });

  it('exits 2 naming the variable when an override is bad', async () => {
    const dir = await tempDir();
    const config = await writeJson(dir, 'c.json', { payers: [{ accountId: '111111111111' }], state: { path: join(dir, 'state.db') } });
    const r = await runBin(['journal', '--config', config], { NATIVE_RATING_ADMIN_PORT: '80a' });
    expect(r.code).toBe(EXIT_UNUSABLE);
    expect(r.stderr).toContain('NATIVE_RATING_ADMIN_PORT="80a": admin.port must be a whole number from 0 to 65535');
  });
});

describe('native-rating process --once --format', () => {
  it.each([
    ['json', ['--format', 'json']],
    ['text (the default of --once)', []],
  ])('writes %s lines on stdout', async (format, flags) => {
    const { startSandbox } = await import('../../src/sandbox/sandbox.js');
    const { generateRequests } = await import('../../src/sandbox/seed.generate.js');
    const sandbox = await startSandbox({ seed: generateRequests(0) });
    try {
      const dir = await tempDir();
      const config = await writeJson(dir, 'c.json', { payers: [{ accountId: '111111111111' }], connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'] }, state: { path: join(dir, 'state.db') } });
      const r = await runBin(['process', '--once', '--config', config, ...flags], { CONNECT_API_KEY: sandbox.apiKey });
      expect(r.code).toBe(EXIT_OK);
      const lines = r.stdout.split('\n').filter((l) => l !== '');
      if (format === 'json') {
        expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain('cycle done');
        expect(r.stdout).not.toContain('request(s) in');
      } else {
        expect(lines).toEqual([expect.stringMatching(/^cycle: 0 request\(s\) in [\d.]+ s/)]);
      }
    } finally {
      await sandbox.close();
    }
  });
});

describe('demo and sandbox in an installation without them (the runtime image)', () => {
  it('say the command is not in this installation and how to get it, instead of a module stack', async () => {
    const missing = Object.assign(new Error("Cannot find module '/app/dist/src/cli/demo.command.js'"), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(demoCode('demo', () => Promise.reject(missing))).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('build the image with --target demo') });
    const other = new Error('boom');
    await expect(demoCode('sandbox', () => Promise.reject(other))).rejects.toBe(other);
    expect(await demoCode('sandbox', async () => 'loaded')).toBe('loaded');
  });
});
