/**
 * `process --once` and `daemon` in-process against the sandbox on the orders
 * seed: the sandbox with the SDK's AWS environment pointed at it, the config
 * file, the command's io with its output kept, and that output's JSON lines.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { OrdersIo } from '../../src/cli/orders.command.js';
import type { SignalSource } from '../../src/daemon/shutdown.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { writeJson } from './run-cli.js';

/** The sandbox's clock: fixtures/orders' requests are as of this time. */
export const ORDERS_NOW = new Date('2026-11-26T12:00:00Z');

/**
 * Starts the sandbox on fixtures/orders at ORDERS_NOW (`options` replace any of
 * it) and points the AWS SDK of this process at it (AWS_ENDPOINT_URL_ORGANIZATIONS,
 * stand-in credentials). The caller puts `process.env` back after the test.
 */
export async function startOrdersSandbox(options: Partial<SandboxOptions> = {}): Promise<Sandbox> {
  const sandbox = await startSandbox({ seed: await loadSeed('fixtures/orders'), now: () => ORDERS_NOW, ...options });
  process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = sandbox.organizationsUrl;
  process.env.AWS_ACCESS_KEY_ID = 'AKIDE2ETEST';
  process.env.AWS_SECRET_ACCESS_KEY = 'sandbox';
  process.env.AWS_REGION = 'us-east-1';
  return sandbox;
}

/**
 * Writes `dir`/config.json: payer 111111111111, the sandbox's platform and
 * product, state in `dir`/state.db, 100 AWS calls a second; 3 platform retries
 * and 4 at a time (the defaults, written out). `overrides` replace top-level sections.
 */
export async function ordersConfigFile(dir: string, sandbox: Sandbox, overrides: Record<string, unknown> = {}): Promise<string> {
  return writeJson(dir, 'config.json', {
    payers: [{ accountId: '111111111111' }],
    connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'], retries: 3 },
    state: { path: join(dir, 'state.db') },
    aws: { maxCallsPerSecond: 100, maxConcurrentCalls: 4 },
    orders: { concurrency: 4 },
    ...overrides,
  });
}

/** The command's io with the sandbox's API key and silent logs; `out` and `err` keep what it wrote. */
export function ordersIo(sandbox: Sandbox, signals: SignalSource = new EventEmitter() as unknown as SignalSource): OrdersIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: { CONNECT_API_KEY: sandbox.apiKey, LOG_LEVEL: 'silent' }, signals };
}

/** The lines of a captured stream, each parsed as JSON (a line that is not JSON fails the test, naming it). */
export function jsonLines(chunks: string[]): Array<Record<string, unknown>> {
  return chunks
    .join('')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
}
