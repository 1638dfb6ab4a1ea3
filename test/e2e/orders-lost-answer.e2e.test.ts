/**
 * `process --once` against the sandbox when AWS made a MoveAccount but its
 * answer was lost: the SDK sends it again, AWS answers DuplicateAccountException,
 * and the order goes on to its approval as if the first answer had arrived.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runProcessOnce } from '../../src/cli/orders.command.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { ordersConfigFile, ordersIo, startOrdersSandbox } from '../support/orders-daemon.js';

let sandbox: Sandbox;
let dir: string;
const saved = { ...process.env };

const io = () => ordersIo(sandbox);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nr-e2e-lost-'));
  sandbox = await startOrdersSandbox();
});

afterEach(async () => {
  process.env = { ...saved };
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a MoveAccount whose answer was lost', () => {
  it('is retried, met by DuplicateAccountException, and the request is approved', async () => {
    const config = await ordersConfigFile(dir, sandbox);
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
