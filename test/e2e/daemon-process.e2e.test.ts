/**
 * The built bin as an operator runs it in a container: `daemon` against the
 * sandbox, stopped by a real SIGTERM in the middle of a cycle (CI builds dist/
 * in `npm ci`'s prepare step).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { writeJson } from '../support/run-cli.js';

const BIN = 'dist/src/cli/main.js';
let sandbox: Sandbox | undefined;
afterEach(async () => sandbox?.close());

async function daemonUntil(signalAfter: (line: string) => boolean, signals: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  sandbox = await startSandbox({ seed: await loadSeed('fixtures/orders') });
  // Every approval takes 1.5 s: the SIGTERM lands while requests are in hand.
  sandbox.platform.addFault({ method: 'POST', pathPrefix: '/requests/', delayMs: 1500, times: 100 });
  const dir = await mkdtemp(join(tmpdir(), 'nr-daemon-'));
  const config = await writeJson(dir, 'config.json', {
    payers: [{ accountId: '111111111111' }],
    connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'] },
    state: { path: join(dir, 'state.db') },
    orders: { concurrency: 2 },
    aws: { maxCallsPerSecond: 100 },
    pollIntervalMs: 60000,
  });
  const child = spawn(process.execPath, [BIN, 'daemon', '--config', config], {
    env: {
      PATH: process.env.PATH,
      CONNECT_API_KEY: sandbox.apiKey,
      AWS_ENDPOINT_URL_ORGANIZATIONS: sandbox.organizationsUrl,
      AWS_ACCESS_KEY_ID: 'AKIDDAEMON',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      AWS_REGION: 'us-east-1',
      LOG_LEVEL: 'info',
    },
  });
  let stdout = '';
  let stderr = '';
  let sent = 0;
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const line of d.toString().split('\n')) {
      if (sent === 0 && signalAfter(line)) {
        for (let i = 0; i < signals; i += 1) setTimeout(() => child.kill('SIGTERM'), 100 * i);
        sent = signals;
      }
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}

describe.skipIf(!existsSync(BIN))('native-rating daemon (the built bin)', () => {
  it('on SIGTERM during a cycle finishes the requests in hand and exits 0', async () => {
    const run = await daemonUntil((line) => line.startsWith('PR-'), 1);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"msg":"finishing the requests in hand, then exiting"');
    expect(run.stdout).toContain('"msg":"daemon stopped"');
    const requests = sandbox?.platform.state.allRequests() ?? [];
    const handled = requests.filter((r) => r.status !== 'pending').length;
    // Concurrency 2: the first request done plus at most the two in hand; the rest were never started.
    expect(handled).toBeGreaterThanOrEqual(1);
    expect(handled).toBeLessThanOrEqual(3);
    expect(run.stdout).toMatch(/listed but not started \(stopping\)/);
  });

  it('a second SIGTERM forces the exit with status 1', async () => {
    const run = await daemonUntil((line) => line.startsWith('PR-'), 2);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('"msg":"forced stop"');
  });
});
