/**
 * The bin as an operator runs it in a container: `daemon` against the sandbox,
 * stopped by a real SIGTERM in the middle of a cycle. The bin is the current
 * sources compiled as `npm run build` does (test/support/fresh-build.ts), never
 * a `dist/` left from another checkout. A proxy in front of the platform holds
 * the requests' last calls (the POSTs that approve, fail or inquire), so the
 * signal lands while exactly two requests are in hand, whatever the machine's
 * speed; nothing here waits on a timer.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { sandboxBinEnv, spawnBin } from '../support/bin-process.js';
import { freshBuild } from '../support/fresh-build.js';
import { startHoldingProxy, type HoldingProxy } from '../support/holding-proxy.js';
import { writeJson } from '../support/run-cli.js';

let bin: string;
beforeAll(async () => {
  bin = (await freshBuild()).bin;
}, 600_000); // a first compile on a busy machine; later runs reuse the build

let sandbox: Sandbox | undefined;
let proxy: HoldingProxy | undefined;
let dir: string | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await proxy?.close();
  await sandbox?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  child = undefined;
  proxy = undefined;
  sandbox = undefined;
  dir = undefined;
});

/** The running daemon: its output so far (stdout and stderr), a wait for a log message, and its exit. */
interface Daemon {
  output: () => string;
  /** Resolves when a JSON log line with this `msg` has been written; rejects if the daemon exits first. */
  logged: (msg: string) => Promise<void>;
  exited: Promise<number | null>;
}

/** Starts the sandbox behind a proxy that holds every POST under /requests/, and the daemon (concurrency 2) against it. */
async function startDaemon(): Promise<Daemon> {
  sandbox = await startSandbox({ seed: await loadSeed('fixtures/orders') });
  const platformOrigin = new URL(sandbox.platformUrl).origin;
  proxy = await startHoldingProxy(platformOrigin, (method, path) => method === 'POST' && path.startsWith('/public/v1/requests/'));
  dir = await mkdtemp(join(tmpdir(), 'nr-daemon-'));
  const config = await writeJson(dir, 'config.json', {
    payers: [{ accountId: '111111111111' }],
    connect: { apiUrl: `${proxy.origin}/public/v1`, productIds: ['PRD-411-678-887'] },
    state: { path: join(dir, 'state.db') },
    orders: { concurrency: 2 },
    aws: { maxCallsPerSecond: 100 },
    pollIntervalMs: 60000,
  });
  const started = spawnBin(bin, ['daemon', '--config', config], { cwd: dir, env: sandboxBinEnv(sandbox, 'AKIDDAEMON') });
  child = started.child;
  const logged = (msg: string): Promise<void> => started.until((output) => logLines(output).some((l) => l.msg === msg), `the daemon exited before logging "${msg}"`);
  return { output: started.output, logged, exited: started.exited };
}

/** The pino JSON lines of an output (text lines are skipped). */
function logLines(output: string): Array<Record<string, unknown>> {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** Resolves when the proxy holds `n` calls; rejects if the daemon exits first. */
async function heldCalls(daemon: Daemon, n: number): Promise<string[]> {
  const early = daemon.exited.then((code) => {
    throw new Error(`the daemon exited (${code}) before ${n} calls were held:\n${daemon.output()}`);
  });
  return Promise.race([proxy!.held(n), early]);
}

describe('native-rating daemon (the bin, built from the sources under test)', () => {
  it('on SIGTERM during a cycle finishes the requests in hand, starts no other, and exits 0', async () => {
    const daemon = await startDaemon();
    const held = await heldCalls(daemon, 2);
    expect(held).toHaveLength(2);

    child!.kill('SIGTERM');
    await daemon.logged('finishing the requests in hand, then exiting');
    proxy!.release();
    const code = await daemon.exited;

    expect(code, daemon.output()).toBe(0);
    const logs = logLines(daemon.output());
    expect(logs.map((l) => l.msg)).toContain('daemon stopped');
    const cycle = logs.find((l) => l.msg === 'cycle done');
    const requests = sandbox!.platform.state.allRequests();
    // The two in hand were finished; every other request is as the seed left it.
    const handled = requests.filter((r) => r.status !== 'pending').map((r) => r.id);
    expect(handled).toHaveLength(2);
    for (const id of handled) expect(held.some((call) => call.includes(`/requests/${id}/`))).toBe(true);
    expect(cycle?.notStarted).toBeGreaterThan(0);
  });

  it('a second SIGTERM forces the exit with status 1', async () => {
    const daemon = await startDaemon();
    await heldCalls(daemon, 2);

    child!.kill('SIGTERM');
    await daemon.logged('finishing the requests in hand, then exiting');
    child!.kill('SIGTERM');
    const code = await daemon.exited;

    expect(code, daemon.output()).toBe(1);
    expect(logLines(daemon.output()).map((l) => l.msg)).toContain('forced stop');
  });
});
