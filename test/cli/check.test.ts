/** `daemon --check`: the whole configuration and environment checked without contacting anyone, through the program. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildProgram, EXIT_OK, EXIT_UNUSABLE, runProgram } from '../../src/cli/program.js';
import { tempDir, writeJson } from '../support/run-cli.js';

const API_KEY = 'SU-1111-2222:very-secret-key';
const EXTERNAL_ID = 'payer-external-id-never-shown';

let platform: Server;
let platformUrl: string;
let platformCalls: number;

beforeEach(async () => {
  platformCalls = 0;
  platform = createServer((_req, res) => {
    platformCalls += 1;
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => platform.listen(0, '127.0.0.1', resolve));
  platformUrl = `http://127.0.0.1:${(platform.address() as AddressInfo).port}/public/v1`;
});

afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  process.exitCode = undefined;
  platform.closeAllConnections();
  await new Promise<void>((resolve) => platform.close(() => resolve()));
});

async function check(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | string | undefined; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  process.exitCode = undefined;
  await runProgram(['node', 'native-rating', 'daemon', '--check', ...args], buildProgram(env));
  return { code: process.exitCode, stdout, stderr };
}

async function goodConfig(dir: string, changes: Record<string, unknown> = {}): Promise<string> {
  return writeJson(dir, 'config.json', {
    payers: [
      {
        accountId: '111111111111',
        marketplaceCurrency: 'EUR',
        fxRate: '0.92',
        customMarkup: '1.1',
        roleArn: 'arn:aws:iam::111111111111:role/NativeRating',
        externalIdEnv: 'PAYER_EXTERNAL_ID',
        athena: { database: 'cid_data_export', table: 'cur2' },
      },
    ],
    connect: { apiUrl: platformUrl, productIds: ['PRD-411-678-887'] },
    schedule: { cron: '0 6 5 * *', timezone: 'Europe/Madrid' },
    state: { path: join(dir, 'state', 'native-rating.db'), outputDir: join(dir, 'runs') },
    admin: { host: '0.0.0.0', port: 8080 },
    ...changes,
  });
}

describe('native-rating daemon --check', () => {
  it('prints the summary with the next scheduled run and exits 0, contacting no one and creating nothing', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-20T10:00:00Z'));
    const dir = await tempDir();
    const config = await goodConfig(dir);
    const r = await check(['--config', config], { CONNECT_API_KEY: API_KEY, PAYER_EXTERNAL_ID: EXTERNAL_ID, ADMIN_TOKEN: 'admin-secret' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toContain(`configuration: ${config}\n`);
    expect(r.stdout).toContain(`platform: ${platformUrl}; products PRD-411-678-887; CONNECT_API_KEY set`);
    expect(r.stdout).toContain('payers: 1 (markups at most 5, fx rates 0.0001–100000)');
    expect(r.stdout).toContain('  111111111111  EUR at fx 0.92; markup 1.1, marketplace 1; role arn:aws:iam::111111111111:role/NativeRating; CUR cid_data_export.cur2 (us-east-1)');
    // 06:00 in Madrid on 5 December is 05:00 UTC (CET); the month it rates is November.
    expect(r.stdout).toContain('schedule: "0 6 5 * *" in Europe/Madrid; next run 2026-12-05T05:00:00.000Z (2026-12-05 06:00 Europe/Madrid), rating 2026-11');
    expect(r.stdout).toContain(`state: ${join(dir, 'state', 'native-rating.db')}; outputs: ${join(dir, 'runs')}`);
    expect(r.stdout).toContain('admin: http://0.0.0.0:8080 (ADMIN_TOKEN set: POST /reprocess enabled; listening on every interface)');
    expect(r.stdout).toContain('log level: info');
    expect(r.stdout).toMatch(/\nok: the daemon can start/);
    for (const secret of [API_KEY, EXTERNAL_ID, 'admin-secret']) expect(r.stdout).not.toContain(secret);
    expect(platformCalls).toBe(0);
    await expect(access(join(dir, 'state'))).rejects.toThrow(/ENOENT/);
  });

  it('shows the settings the environment set, and the config file NATIVE_RATING_CONFIG names', async () => {
    const dir = await tempDir();
    const config = await goodConfig(dir, { schedule: undefined, admin: undefined });
    const r = await check([], { NATIVE_RATING_CONFIG: config, CONNECT_API_KEY: API_KEY, PAYER_EXTERNAL_ID: EXTERNAL_ID, NATIVE_RATING_STATE_PATH: join(dir, 'env.db'), NATIVE_RATING_ADMIN_PORT: '9464', LOG_LEVEL: 'debug' });
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toContain(`configuration: ${config} (from the environment: NATIVE_RATING_STATE_PATH, NATIVE_RATING_ADMIN_PORT)`);
    expect(r.stdout).toContain(`state: ${join(dir, 'env.db')};`);
    expect(r.stdout).toContain('admin: http://127.0.0.1:9464 (ADMIN_TOKEN not set: POST /reprocess disabled)');
    expect(r.stdout).toContain('schedule: none');
    expect(r.stdout).toContain('log level: debug');
  });

  it('lists every problem of the environment, the payers, the schedule and the state, and exits 2', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a-file'), 'not a folder');
    const config = await goodConfig(dir, {
      payers: [
        { accountId: '111111111111', marketplaceCurrency: 'EUR', fxRate: '1e3', customMarkup: '9', externalIdEnv: 'PAYER_EXTERNAL_ID', athena: { database: 'd', table: 't' } },
        { accountId: '222222222222', customMarkupMarketplace: '1,05' },
      ],
      state: { path: join(dir, 'a-file', 'state.db'), outputDir: join(dir, 'runs') },
    });
    const r = await check(['--config', config], { LOG_LEVEL: 'verbose' });
    expect(r.code).toBe(EXIT_UNUSABLE);
    expect(r.stderr).toContain('daemon --check found 8 problem(s):\n');
    expect(r.stderr).toContain('  CONNECT_API_KEY is not set');
    expect(r.stderr).toContain('  PAYER_EXTERNAL_ID is not set: payer 111111111111 takes its role\'s external id from it');
    expect(r.stderr).toContain('  LOG_LEVEL "verbose" is not one of fatal, error, warn, info, debug, trace, silent');
    expect(r.stderr).toContain('  payers[0] (111111111111): customMarkup "9" is above rating.maxMarkup 5');
    expect(r.stderr).toContain('  payers[0] (111111111111): fxRate is "1e3": billing in EUR needs a plain decimal rate');
    expect(r.stderr).toContain('  payers[1] (222222222222): customMarkupMarketplace "1,05" is not a plain decimal number');
    expect(r.stderr).toContain("  payers[1] (222222222222): the monthly run (schedule) reads each payer's CUR from Athena, and payers[1].athena is not set");
    expect(r.stderr).toContain(`  state.path ${JSON.stringify(join(dir, 'a-file', 'state.db'))}: ${join(dir, 'a-file')} is not a folder`);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('  ')).length).toBe(8);
    expect(r.stdout).toContain('NOT OK: 8 problem(s), listed on stderr');
    expect(platformCalls).toBe(0);
  });

  it('exits 2 naming the file and the setting when the file itself is wrong', async () => {
    const dir = await tempDir();
    const config = await writeJson(dir, 'c.json', { payers: [{ accountId: '111111111111', marketplaceCurency: 'EUR' }] });
    const r = await check(['--config', config], { CONNECT_API_KEY: API_KEY });
    expect(r.code).toBe(EXIT_UNUSABLE);
    expect(r.stderr).toContain(`${config}: payers[0].marketplaceCurency: unknown setting; did you mean marketplaceCurrency?`);
  });

  it('exits 2 when there is no connect section', async () => {
    const dir = await tempDir();
    const config = await goodConfig(dir, { connect: undefined });
    const r = await check(['--config', config], { CONNECT_API_KEY: API_KEY, PAYER_EXTERNAL_ID: EXTERNAL_ID });
    expect(r.code).toBe(EXIT_UNUSABLE);
    expect(r.stderr).toContain('  connect: the configuration has no "connect" section');
  });
});
