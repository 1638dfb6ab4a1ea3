/**
 * One daemon per state: while `daemon` runs against the sandbox, `process --once`
 * (or another daemon) on the same state database is refused before it reads a
 * request, naming the daemon; once the daemon stopped, it runs.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDaemon, runProcessOnce } from '../../src/cli/orders.command.js';
import type { SignalSource } from '../../src/daemon/shutdown.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { ordersConfigFile, ordersIo, startOrdersSandbox } from '../support/orders-daemon.js';

let sandbox: Sandbox;
let dir: string;
const saved = { ...process.env };

const io = (signals?: SignalSource) => ordersIo(sandbox, signals);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nr-e2e-lock-'));
  sandbox = await startOrdersSandbox();
});

afterEach(async () => {
  process.env = { ...saved };
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

describe('daemon and process --once on one state database', () => {
  it('refuses process --once while the daemon holds the state, naming it, and runs it once the daemon stopped', async () => {
    const config = await ordersConfigFile(dir, sandbox);
    const signals = new EventEmitter();
    const daemonIo = io(signals as unknown as SignalSource);
    let refused: unknown;
    daemonIo.sleep = async () => {
      refused = await runProcessOnce({ config }, io()).then(
        () => undefined,
        (error: unknown) => error,
      );
      signals.emit('SIGTERM');
    };
    const before = sandbox.platform.state.allRequests().filter((r) => r.status !== 'pending').length;
    const result = await runDaemon({ config }, daemonIo);
    expect(result.cycles).toBe(1);
    expect(refused).toMatchObject({ code: 'STATE', message: expect.stringContaining(`is in use by pid ${process.pid} on host ${hostname()}`) });

    // The refused run read nothing; after the daemon, the same command runs its cycle.
    const after = await runProcessOnce({ config }, io());
    expect(after.listErrors).toEqual([]);
    expect(after.requests.length + after.tierConfigs.length).toBeGreaterThan(0);
    expect(sandbox.platform.state.allRequests().filter((r) => r.status !== 'pending').length).toBeGreaterThan(before);
  });
});
