/**
 * `process --once` against the sandbox when AWS made a MoveAccount but its
 * answer was lost: the SDK sends it again, AWS answers DuplicateAccountException,
 * and the order goes on to its approval as if the first answer had arrived.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runProcessOnce, type OrdersIo } from '../../src/cli/orders.command.js';
import type { SignalSource } from '../../src/daemon/shutdown.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { writeJson } from '../support/run-cli.js';

let sandbox: Sandbox;
let dir: string;
const saved = { ...process.env };

const io = (): OrdersIo => ({ stdout: () => undefined, stderr: () => undefined, env: { CONNECT_API_KEY: sandbox.apiKey, LOG_LEVEL: 'silent' }, signals: new EventEmitter() as unknown as SignalSource });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nr-e2e-lost-'));
  sandbox = await startSandbox({ seed: await loadSeed('fixtures/orders'), now: () => new Date('2026-11-26T12:00:00Z') });
  process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = sandbox.organizationsUrl;
  process.env.AWS_ACCESS_KEY_ID = 'AKIDE2ETEST';
  process.env.AWS_SECRET_ACCESS_KEY = 'sandbox';
  process.env.AWS_REGION = 'us-east-1';
});

afterEach(async () => {
  process.env = { ...saved };
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a MoveAccount whose answer was lost', () => {
  it('is retried, met by DuplicateAccountException, and the request is approved', async () => {
    const config = await writeJson(dir, 'config.json', {
      payers: [{ accountId: '111111111111' }],
      connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'], retries: 1 },
      state: { path: join(dir, 'state.db') },
      aws: { maxCallsPerSecond: 100 },
    });
    sandbox.organizations.addFault({ operation: 'MoveAccount', error: 'ServiceException', applied: true });
    const result = await runProcessOnce({ config }, io());
    const moved = result.requests.filter((r) => r.kind === 'approved' && /in ou-/.test(r.message ?? ''));
    expect(moved.length).toBeGreaterThan(0);
    expect(result.requests.filter((r) => r.kind === 'error')).toEqual([]);
    // One more MoveAccount than accounts moved: the retry of the lost answer.
    expect(sandbox.organizations.stats().calls.MoveAccount).toBeGreaterThanOrEqual(2);
    // The injected loss was used up: a move really lost its answer.
    expect(await (await fetch(`${sandbox.organizationsUrl}/__sandbox/faults`)).json()).toEqual([]);
  });
});
