/**
 * The real platform client (axios) and the real AWS SDK against the loopback
 * sandbox, through `process --once` and `daemon` as an operator runs them.
 * AWS is reached through AWS_ENDPOINT_URL_ORGANIZATIONS, as in production setups
 * that point the SDK at a stand-in.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDaemon, runProcessOnce } from '../../src/cli/orders.command.js';
import type { SignalSource } from '../../src/daemon/shutdown.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { openStateDatabase } from '../../src/store/database.js';
import { SqliteRunLedger } from '../../src/store/run-ledger.store.js';
import { runRate } from '../../src/cli/rate.command.js';
import { jsonLines, ordersConfigFile, ordersIo, startOrdersSandbox } from '../support/orders-daemon.js';
import { FIXED_NOW } from '../support/run-cli.js';

let sandbox: Sandbox;
let dir: string;
const saved = { ...process.env };

const configFile = (overrides: Record<string, unknown> = {}): Promise<string> => ordersConfigFile(dir, sandbox, overrides);
const io = (signals?: SignalSource) => ordersIo(sandbox, signals);

const status = (id: string): string | undefined => sandbox.platform.state.request(id)?.status;
const param = (id: string, p: string): string | undefined => sandbox.platform.state.param(id, p)?.value;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nr-e2e-orders-'));
  sandbox = await startOrdersSandbox();
});

afterEach(async () => {
  process.env = { ...saved };
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

describe('process --once against the sandbox', () => {
  it('moves the fixture orders to approved, inquiring, failed or pending, and a second cycle finishes the AWS work', async () => {
    const config = await configFile();
    const first = await runProcessOnce({ config }, io());
    expect(first.listErrors).toEqual([]);
    expect(first.tierConfigs).toMatchObject([{ requestId: 'TCR-111-111-111-001', kind: 'approved' }]);
    const configs = await fetch(`${sandbox.platformUrl}/tier/configs?and(eq(account.id,TA-0000-0000-0002),eq(product.id,PRD-411-678-887))`, {
      headers: { Authorization: `ApiKey ${sandbox.apiKey}` },
    });
    expect(((await configs.json()) as Array<{ params: Array<{ id: string; value: string }> }>)[0]?.params).toContainEqual(expect.objectContaining({ id: 'payerAccountId', value: '111111111111' }));
    expect(status('PR-1001-0003-0001-001')).toBe('inquiring');
    expect(sandbox.platform.state.param('PR-1001-0003-0001-001', 'account_email')?.value_error).toContain('not an e-mail address');
    expect(status('PR-1001-0009-0001-002')).toBe('failed');
    expect(status('PR-1001-0012-0001-002')).toBe('approved');
    expect(status('PR-1001-0001-0001-001')).toBe('pending');
    expect(param('PR-1001-0001-0001-001', 'create_account_status_id')).toMatch(/^car-/);
    expect(param('PR-1001-0004-0001-001', 'handshake_id')).toMatch(/^h-/);
    expect(sandbox.platform.state.notes('PR-1001-0004-0001-001')).toHaveLength(1);

    const second = await runProcessOnce({ config }, io());
    expect(second.requests.map((r) => r.requestId).sort()).toEqual(['PR-1001-0001-0001-001', 'PR-1001-0004-0001-001', 'PR-1001-0011-0001-002']);
    expect(status('PR-1001-0001-0001-001')).toBe('approved');
    expect(param('PR-1001-0001-0001-001', 'aws_account_id')).toMatch(/^\d{12}$/);
    expect(status('PR-1001-0004-0001-001')).toBe('approved');
    expect(sandbox.organizations.stats().calls.CreateAccount).toBe(1);
    expect(sandbox.organizations.stats().calls.InviteAccountToOrganization).toBe(1);
    expect(sandbox.platform.state.notes('PR-1001-0004-0001-001')).toHaveLength(1);
    expect(sandbox.platform.state.notes('PR-1001-0011-0001-002')).toHaveLength(1);
  });

  it('rides out platform faults: 500, 502 and 429 with Retry-After, then success', async () => {
    sandbox.platform.addFault({ method: 'GET', pathPrefix: '/requests', status: 500, times: 1 });
    sandbox.platform.addFault({ method: 'GET', pathPrefix: '/requests', status: 502, times: 1 });
    sandbox.platform.addFault({ method: 'GET', pathPrefix: '/requests', status: 429, retryAfter: 1, times: 1 });
    // The waits are recorded, not slept: the 429's Retry-After of 1 s is the third.
    const waits: number[] = [];
    const result = await runProcessOnce({ config: await configFile() }, io(), { platformSleep: async (ms) => void waits.push(ms) });
    expect(waits).toHaveLength(3);
    expect(waits[2]).toBe(1000);
    expect(result.listErrors).toEqual([]);
    expect(result.requests).toHaveLength(12);
    expect(status('PR-1001-0012-0001-002')).toBe('approved');
  });

  it('reports a platform that keeps failing as a list error, and changes nothing', async () => {
    sandbox.platform.addFault({ method: 'GET', pathPrefix: '/requests', status: 503, times: 10 });
    const result = await runProcessOnce({ config: await configFile({ connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'], retries: 1 } }) }, io());
    expect(result.listErrors[0]?.what).toBe('fulfillment requests');
    expect(result.listErrors[0]?.message).toContain('503');
    expect(sandbox.platform.state.allRequests().filter((r) => r.status === 'pending')).toHaveLength(12);
  });

  it('rides out TooManyRequestsException from AWS through the SDK retry', async () => {
    sandbox.organizations.addFault({ operation: 'CreateAccount', error: 'TooManyRequestsException', times: 1 });
    await runProcessOnce({ config: await configFile() }, io());
    expect(param('PR-1001-0001-0001-001', 'create_account_status_id')).toMatch(/^car-/);
    expect(sandbox.organizations.stats().calls.CreateAccount).toBe(2);
  });

  it('on AccessDeniedException leaves the request pending with a clear error and nothing half-done', async () => {
    sandbox.organizations.addFault({ operation: 'ListAccounts', error: 'AccessDeniedException', times: 5 });
    const result = await runProcessOnce({ config: await configFile() }, io());
    const acme = result.requests.find((r) => r.requestId === 'PR-1001-0001-0001-001');
    expect(acme).toMatchObject({ kind: 'error', errorCode: 'AWS_ACCESS_DENIED' });
    expect(status('PR-1001-0001-0001-001')).toBe('pending');
    expect(param('PR-1001-0001-0001-001', 'create_account_status_id') ?? '').toBe('');
    expect(sandbox.organizations.stats().calls.CreateAccount ?? 0).toBe(0);
  });

  it('after the parameter update following CreateAccount fails, the next cycle adopts the account by e-mail: no second CreateAccount', async () => {
    await sandbox.close();
    sandbox = await startOrdersSandbox({ createAccountPolls: 0 });
    sandbox.platform.addFault({ method: 'PUT', pathPrefix: '/requests/PR-1001-0001-0001-001', status: 500, times: 2 });
    const config = await configFile({ connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'], retries: 1 } });
    const first = await runProcessOnce({ config }, io());
    expect(first.requests.find((r) => r.requestId === 'PR-1001-0001-0001-001')).toMatchObject({ kind: 'error', errorCode: 'PLATFORM_HTTP' });
    expect(param('PR-1001-0001-0001-001', 'create_account_status_id') ?? '').toBe('');
    const second = await runProcessOnce({ config }, io());
    expect(second.requests.find((r) => r.requestId === 'PR-1001-0001-0001-001')).toMatchObject({ kind: 'approved' });
    expect(sandbox.organizations.stats().calls.CreateAccount).toBe(1);
    const accounts = [...(sandbox.organizations.state.orgs[0]?.accounts.values() ?? [])].filter((a) => a.email === 'aws-root@acme.example');
    expect(accounts).toHaveLength(1);
    expect(param('PR-1001-0001-0001-001', 'aws_account_id')).toBe(accounts[0]?.id);
  });

  it('after the save of handshake_id fails, the next cycle adopts the open invitation: no second invitation', async () => {
    sandbox.platform.addFault({ method: 'PUT', pathPrefix: '/requests/PR-1001-0004-0001-001', status: 500, times: 2 });
    const config = await configFile({ connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'], retries: 1 } });
    await runProcessOnce({ config }, io());
    expect(param('PR-1001-0004-0001-001', 'handshake_id') ?? '').toBe('');
    const second = await runProcessOnce({ config }, io());
    expect(second.requests.find((r) => r.requestId === 'PR-1001-0004-0001-001')?.message).toContain('already sent');
    expect(param('PR-1001-0004-0001-001', 'handshake_id')).toMatch(/^h-/);
    expect(sandbox.organizations.stats().calls.InviteAccountToOrganization).toBe(1);
  });

  it('prints a line per request and a summary', async () => {
    const run = io();
    await runProcessOnce({ config: await configFile() }, run);
    const text = run.out.join('');
    expect(text).toMatch(/PR-1001-0009-0001-002\s+suspend\s+failed/);
    expect(text).toMatch(/cycle: 13 request\(s\) in [\d.]+ s: 5 approved, 3 pending, 3 inquiring, 2 failed/);
  });

  it('refuses to start without CONNECT_API_KEY, naming it', async () => {
    const run = io();
    run.env = {};
    await expect(runProcessOnce({ config: await configFile() }, run)).rejects.toThrow(/CONNECT_API_KEY is not set/);
  });
});

describe('daemon against the sandbox', () => {
  it('writes only pino JSON lines on stdout, what the text lines say in their fields, and nothing on stderr', async () => {
    const signals = new EventEmitter();
    const run = io(signals as unknown as SignalSource);
    run.env = { ...run.env, LOG_LEVEL: 'info' };
    run.sleep = async () => void signals.emit('SIGTERM');
    const result = await runDaemon({ config: await configFile() }, run);
    expect(result).toEqual({ cycles: 1, forced: false });
    const lines = jsonLines(run.out);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['daemon started', 'request handled', 'cycle done', 'finishing the requests in hand, then exiting', 'daemon stopped']));
    expect(lines.find((l) => l.requestId === 'PR-1001-0009-0001-002')).toMatchObject({ msg: 'request handled', type: 'suspend', outcome: 'failed', level: 30 });
    expect(lines.find((l) => l.msg === 'cycle done')).toMatchObject({ cycle: 1, handled: 13, outcomes: { approved: 5, pending: 3, inquiring: 3, failed: 2 }, notStarted: 0, listErrors: [] });
    expect(run.err).toEqual([]);
  });

  it('with text lines writes the per-request and per-cycle lines on stdout and the JSON logs on stderr', async () => {
    const signals = new EventEmitter();
    const run = io(signals as unknown as SignalSource);
    run.env = { ...run.env, LOG_LEVEL: 'info' };
    run.textLines = true;
    run.sleep = async () => void signals.emit('SIGTERM');
    await runDaemon({ config: await configFile() }, run);
    const text = run.out.join('');
    expect(text).toMatch(/PR-1001-0009-0001-002\s+suspend\s+failed/);
    expect(text).toMatch(/cycle: 13 request\(s\) in [\d.]+ s: 5 approved, 3 pending, 3 inquiring, 2 failed/);
    expect(text).not.toContain('"msg"');
    expect(jsonLines(run.err).map((l) => l.msg)).toEqual(expect.arrayContaining(['daemon started', 'request handled', 'cycle done', 'daemon stopped']));
  });

  it('on SIGTERM during a cycle finishes the request in hand, starts no other, and returns cleanly', async () => {
    const signals = new EventEmitter();
    const run = io(signals as unknown as SignalSource);
    run.textLines = true;
    const stdout = run.stdout;
    run.stdout = (t) => {
      stdout(t);
      if (t.startsWith('TCR-')) signals.emit('SIGTERM');
    };
    const config = await configFile({ orders: { concurrency: 1 }, pollIntervalMs: 1000 });
    const result = await runDaemon({ config }, run);
    expect(result).toEqual({ cycles: 1, forced: false });
    expect(sandbox.platform.state.tierConfigRequest('TCR-111-111-111-001')?.status).toBe('approved');
    expect(sandbox.platform.state.allRequests().filter((r) => r.status === 'pending')).toHaveLength(12);
    // Only the tier configuration's payer check reached AWS; no order was started.
    expect(sandbox.organizations.stats().calls).toEqual({ DescribeOrganization: 1 });
  });

  it('a second signal aborts the call in flight', async () => {
    // The request list would hang for ten minutes: only an abort ends this test in time.
    sandbox.platform.addFault({ method: 'GET', pathPrefix: '/requests', delayMs: 600_000, times: 1 });
    const signals = new EventEmitter();
    const run = io(signals as unknown as SignalSource);
    run.env = { ...run.env, LOG_LEVEL: 'error' };
    run.textLines = true;
    /** Resolves once the sandbox holds a GET /requests (turns of the event loop, no timer). */
    const listing = async (): Promise<void> => {
      const held = (): boolean => sandbox.platform.stats().inFlight > 0 && (sandbox.platform.stats().calls['GET /requests'] ?? 0) > 0;
      while (!held()) await new Promise((resolve) => setImmediate(resolve));
    };
    const stdout = run.stdout;
    run.stdout = (t) => {
      stdout(t);
      if (t.startsWith('TCR-')) {
        void listing().then(() => {
          signals.emit('SIGTERM');
          signals.emit('SIGTERM');
        });
      }
    };
    const result = await runDaemon({ config: await configFile({ orders: { concurrency: 1 } }) }, run);
    expect(result.forced).toBe(true);
    // The list was cut off, not answered: no order was started.
    expect(jsonLines(run.err).find((l) => l.msg === 'list not read')).toMatchObject({ what: 'fulfillment requests', error: expect.stringContaining('stopped by the abort signal') });
    expect(sandbox.platform.state.allRequests().filter((r) => r.status === 'pending')).toHaveLength(12);
  });
});

describe('daemon with the admin endpoint', () => {
  it('serves health, metrics of the orders and runs, and guards reprocess with the token', async () => {
    const signals = new EventEmitter();
    const run = io(signals as unknown as SignalSource);
    run.env = { ...run.env, ADMIN_TOKEN: 'admin-secret-token' };
    let admin = '';
    let readinessChecked = (): Promise<void> => Promise.resolve();
    run.onAdmin = (url, checked) => {
      admin = url;
      readinessChecked = checked;
    };
    const seen: Record<string, unknown> = {};
    run.sleep = async () => {
      // Between the first and second cycle: look at the endpoint, then stop.
      seen.health = (await fetch(`${admin}/healthz`)).status;
      await readinessChecked();
      const ready = await fetch(`${admin}/readyz`);
      seen.ready = ready.status;
      seen.readyBody = await ready.json();
      seen.metrics = await (await fetch(`${admin}/metrics`)).text();
      seen.runs = await (await fetch(`${admin}/runs`)).json();
      seen.noToken = (await fetch(`${admin}/reprocess`, { method: 'POST', body: JSON.stringify({ period: '2026-10', payer: '111111111111' }) })).status;
      const withToken = await fetch(`${admin}/reprocess`, {
        method: 'POST',
        headers: { Authorization: 'Bearer admin-secret-token', 'Content-Type': 'application/json' },
        body: JSON.stringify({ period: '2026-10', payer: '111111111111', dryRun: true }),
      });
      seen.withToken = withToken.status;
      seen.withTokenBody = await withToken.json();
      seen.runsAfter = await (await fetch(`${admin}/runs?payer=111111111111`)).json();
      signals.emit('SIGTERM');
    };
    const config = await configFile({ admin: { host: '127.0.0.1', port: 0 }, state: { path: join(dir, 'state.db'), outputDir: join(dir, 'runs') } });
    // A dry run of October from local files first, on the daemon's state database: what a reprocess compares against.
    const rated = await runRate(
      { period: '2026-10', dryRun: true, config, out: join(dir, 'out'), cur: 'fixtures/cur/demo-2026-10', assets: 'fixtures/demo.assets.json' },
      { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW },
      { variables: {} },
    );
    expect(rated.map((r) => [r.payer.accountId, r.result.kind, r.result.run.version, r.result.run.dryRun])).toEqual([['111111111111', 'done', 1, true]]);
    const result = await runDaemon({ config }, run);
    expect(result.forced).toBe(false);
    expect(seen.health).toBe(200);
    expect(seen.ready).toBe(200);
    expect(seen.readyBody).toMatchObject({ ready: true, reasons: [] });
    expect(seen.metrics).toMatch(/native_rating_requests_total\{outcome="approved"\} 5/);
    // The first cycle's duration, observed once.
    expect(seen.metrics).toMatch(/^native_rating_cycle_duration_seconds_count 1$/m);
    expect(seen.runs).toEqual({ runs: [] });
    expect(seen.noToken).toBe(401);
    // The payer has no Athena settings and the daemon gives no --cur: the reprocess fails, and the endpoint says why (non-2xx, the run's error).
    expect(seen.withToken).toBe(422);
    expect(seen.withTokenBody).toEqual({ error: { code: 'CONFIG_INVALID', message: expect.stringContaining('payers[].athena') } });
    // /runs lists the live runs: a dry run is never the month's run.
    expect(seen.runsAfter).toEqual({ runs: [] });
    // The failed dry run is recorded as v2 after the CLI's v1, saying why.
    const state = openStateDatabase(join(dir, 'state.db'));
    try {
      const dry = new SqliteRunLedger(state.db).list({ payerAccountId: '111111111111', dryRun: true });
      expect(dry.map((r) => [r.version, r.outcome, r.trigger])).toEqual([
        [2, 'failed', 'admin'],
        [1, 'succeeded', 'cli'],
      ]);
      expect(dry[0]?.error).toContain('payers[].athena');
    } finally {
      state.close();
    }
  });
});

describe('daemon operations', () => {
  it('stops taking work, and exits as forced, once another process has taken its state database over', async () => {
    const run = io();
    run.env = { ...run.env, LOG_LEVEL: 'info' };
    const config = await configFile();
    let sleeps = 0;
    run.sleep = async (_ms, drain) => {
      sleeps += 1;
      // Another process takes the lease (this one looked stalled), then the daemon's next renewal finds out.
      const other = openStateDatabase(join(dir, 'state.db'));
      other.db.prepare("UPDATE state_lock SET owner = 'thief', holder = 'pid 9 on host node-t'").run();
      other.close();
      await new Promise<void>((resolve) => (drain.aborted ? resolve() : drain.addEventListener('abort', () => resolve(), { once: true })));
    };
    // A short lease: its renewal (a third of it) runs while the daemon sleeps between cycles.
    const result = await runDaemon({ config }, run, { stateLock: { ttlMs: 30 } });
    expect(result).toEqual({ cycles: 1, forced: true });
    expect(sleeps).toBe(1);
    const lines = jsonLines(run.out);
    expect(lines.find((l) => l.msg === 'state lock lost to another process')).toMatchObject({ level: 50, holder: 'pid 9 on host node-t' });
    expect(lines.at(-1)).toMatchObject({ msg: 'daemon stopped', cycles: 1 });
  });

  it('with LOG_LEVEL=debug logs every platform and AWS call by name and status, never the key', async () => {
    const signals = new EventEmitter();
    const run = io(signals as unknown as SignalSource);
    run.env = { ...run.env, LOG_LEVEL: 'debug' };
    run.sleep = async () => void signals.emit('SIGTERM');
    await runDaemon({ config: await configFile() }, run);
    const lines = jsonLines(run.out);
    const platform = lines.filter((l) => l.msg === 'platform call');
    const aws = lines.filter((l) => l.msg === 'aws call');
    expect(platform.length).toBeGreaterThan(10);
    expect(platform.find((l) => String(l.path).startsWith('/requests?'))).toMatchObject({ level: 20, method: 'GET', status: 200 });
    expect(platform.some((l) => l.method === 'POST' && /^\/requests\/PR-[\d-]+\/approve$/.test(String(l.path)))).toBe(true);
    expect(aws.map((l) => l.operation)).toEqual(expect.arrayContaining(['DescribeOrganization', 'CreateAccount']));
    expect(aws.find((l) => l.operation === 'DescribeOrganization')).toMatchObject({ level: 20, service: 'Organizations', outcome: 'ok', status: 200 });
    const secret = sandbox.apiKey.split(':')[1] ?? sandbox.apiKey;
    expect(run.out.join('')).not.toContain(secret);
  });
});
