/**
 * `composeOrders` takes the state database's lock: the runtimes of `daemon` and
 * `process --once` are one per state file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { composeOrders, type OrdersRuntime } from '../../src/daemon/compose.js';
import { openStateDatabase } from '../../src/store/database.js';
import { StateLock } from '../../src/store/state-lock.store.js';
import { refusal } from '../support/refusal.js';

const NOW = new Date('2026-11-05T10:00:00.000Z');
const env = { apiKey: 'SU-000-000:secret', externalIds: new Map<string, string>(), logLevel: 'silent' };

let dir: string;
const runtimes: OrdersRuntime[] = [];

function config(statePath: string) {
  return configSchema.parse({
    payers: [{ accountId: '111111111111' }],
    connect: { apiUrl: 'http://127.0.0.1:9/public/v1', productIds: ['PRD-411-678-887'] },
    state: { path: statePath },
  });
}

function compose(statePath: string, lines: string[] = []): OrdersRuntime {
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const runtime = composeOrders(config(statePath), env, log, { now: () => NOW });
  runtimes.push(runtime);
  return runtime;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nr-compose-lock-'));
});

afterEach(async () => {
  for (const runtime of runtimes.splice(0)) runtime.close();
  await rm(dir, { recursive: true, force: true });
});

describe('composeOrders() and the state lock', () => {
  it('refuses a second runtime on the same state database, naming the first and since when', () => {
    const path = join(dir, 'state.db');
    compose(path);
    const error = refusal(() => compose(path));
    expect(error.code).toBe('STATE');
    expect(error.message).toContain(`state database ${path} is in use by pid ${process.pid} on host ${hostname()} since ${NOW.toISOString()}`);
  });

  it('lets the second runtime start once the first closed', () => {
    const path = join(dir, 'state.db');
    compose(path).close();
    const second = compose(path);
    expect(StateLock.read(second.state.db)?.holder).toBe(`pid ${process.pid} on host ${hostname()}`);
  });

  it('releases the lease on close', () => {
    const path = join(dir, 'state.db');
    compose(path).close();
    const state = openStateDatabase(path);
    expect(StateLock.read(state.db)).toBeUndefined();
    state.close();
  });

  it('a refused runtime leaves the first one\'s lease as it was', () => {
    const path = join(dir, 'state.db');
    const first = compose(path);
    refusal(() => compose(path));
    expect(StateLock.read(first.state.db)?.acquiredAt).toBe(NOW.toISOString());
  });

  it('takes over, with a warning, the expired lease of a holder that crashed on another host', () => {
    const path = join(dir, 'state.db');
    const state = openStateDatabase(path);
    state.db
      .prepare(
        `INSERT INTO state_lock (id, owner, holder, pid, host, pid_namespace, acquired_at, expires_at)
         VALUES (1, 'crashed', 'pid 7 on host elsewhere', 7, 'elsewhere', NULL, '2026-11-05T09:00:00.000Z', '2026-11-05T09:01:00.000Z')`,
      )
      .run();
    state.close();
    const lines: string[] = [];
    compose(path, lines);
    const warning = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'state lock taken over');
    expect(warning).toMatchObject({ level: 40, previous: 'pid 7 on host elsewhere', since: '2026-11-05T09:00:00.000Z', reason: 'expired' });
  });
});
