/**
 * One daemon per state, across processes: with the bin's `daemon` running on a
 * state file, `process --once` (another process, same host) on the same file
 * exits 2 naming the daemon's pid; once the daemon stopped, it runs. The bin is
 * the sources under test (test/support/fresh-build.ts). Nothing waits on a timer:
 * the second process starts once the daemon logged its first cycle.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { sandboxBinEnv, spawnBin, type BinProcess } from '../support/bin-process.js';
import { freshBuild } from '../support/fresh-build.js';
import { writeJson } from '../support/run-cli.js';

let bin: string;
beforeAll(async () => {
  bin = (await freshBuild()).bin;
}, 600_000);

let sandbox: Sandbox | undefined;
let dir: string | undefined;
let daemon: ChildProcess | undefined;
afterEach(async () => {
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
  await sandbox?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  sandbox = undefined;
  dir = undefined;
  daemon = undefined;
});

interface Run extends BinProcess {
  /** Resolves once `text` appears in the output; rejects if the process exits first. */
  saw: (text: string) => Promise<void>;
}

function run(args: string[], env: NodeJS.ProcessEnv, cwd: string): Run {
  const started = spawnBin(bin, args, { cwd, env });
  return { ...started, saw: (text) => started.until((output) => output.includes(text), `exited before writing "${text}"`) };
}

async function setup(): Promise<{ config: string; env: NodeJS.ProcessEnv; cwd: string }> {
  sandbox = await startSandbox({ seed: await loadSeed('fixtures/orders') });
  dir = await mkdtemp(join(tmpdir(), 'nr-lock-bin-'));
  const config = await writeJson(dir, 'config.json', {
    payers: [{ accountId: '111111111111' }],
    connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'], retries: 1 },
    state: { path: join(dir, 'state.db') },
    aws: { maxCallsPerSecond: 100 },
    pollIntervalMs: 60000,
  });
  return { config, env: sandboxBinEnv(sandbox, 'AKIDLOCK'), cwd: dir };
}

describe('two processes on one state database (the bin)', () => {
  it('refuses process --once while the daemon runs, naming its pid, and runs it once the daemon stopped', async () => {
    const { config, env, cwd } = await setup();
    const first = run(['daemon', '--config', config], env, cwd);
    daemon = first.child;
    await first.saw('"msg":"cycle done"');

    const refused = run(['process', '--once', '--config', config], env, cwd);
    expect(await refused.exited, refused.output()).toBe(2);
    expect(refused.output()).toContain(`error STATE: state database ${join(cwd, 'state.db')} is in use by pid ${first.child.pid} on host ${hostname()} since `);
    expect(refused.output()).not.toContain('PR-');

    first.child.kill('SIGTERM');
    expect(await first.exited, first.output()).toBe(0);
    const after = run(['process', '--once', '--config', config], env, cwd);
    const code = await after.exited;
    expect(code, after.output()).not.toBe(2);
    expect(after.output()).not.toContain('in use by');
  });

  it('takes over at once, with a warning, the state of a daemon killed without a chance to release it', async () => {
    const { config, env, cwd } = await setup();
    const first = run(['daemon', '--config', config], env, cwd);
    daemon = first.child;
    await first.saw('"msg":"cycle done"');
    first.child.kill('SIGKILL');
    await first.exited;

    const after = run(['process', '--once', '--config', config], env, cwd);
    const code = await after.exited;
    expect(code, after.output()).not.toBe(2);
    expect(after.output()).toContain('"msg":"state lock taken over"');
    expect(after.output()).toContain(`"previous":"pid ${first.child.pid} on host ${hostname()}"`);
    expect(after.output()).toContain('"reason":"holder-gone"');
  });
});
