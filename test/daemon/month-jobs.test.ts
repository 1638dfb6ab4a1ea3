/**
 * The daemon's month jobs as an operator sees them: the log lines of each month
 * run (start, steps, end with its error and duration), the duration and last
 * success in /metrics, and /readyz combining the state database, the order
 * side and the readiness probes. Dry runs on the demo CUR, and one live run
 * against the sandbox platform (loopback); no AWS.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { composeMonth, processLease, type MonthRuntime } from '../../src/daemon/compose-month.js';
import { ConnectorMetrics } from '../../src/daemon/metrics.js';
import { startMonthJobs, type MonthJobs, type MonthJobsInput } from '../../src/daemon/month-jobs.js';
import { ConnectorError } from '../../src/domain/errors.js';
import { openStateDatabase } from '../../src/store/database.js';
import { SqliteRunLedger } from '../../src/store/run-ledger.store.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { untilInFlight } from '../support/in-flight.js';
import { tempDir, writeJson } from '../support/run-cli.js';

const PAYER = '111111111111';
/** Configured, but not in the demo CUR: its month fails (no rows). */
const ABSENT = '999999999999';
/** The 6th of November: October's catch-up is due. */
const NOW = new Date('2026-11-06T08:00:00Z');
/** What reading a payer's CUR takes on the test clock. */
const CUR_READ_MS = 90_000;

let dir: string;
const opened: Array<{ close(): unknown }> = [];
beforeEach(async () => {
  dir = await tempDir('nr-month-jobs-');
});
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
  await rm(dir, { recursive: true, force: true });
});

type Line = Record<string, unknown> & { level: number; msg: string };

interface Live {
  apiKey: string;
}

async function start(extra: Record<string, unknown>, payers: string[], more: Partial<MonthJobsInput> = {}, live?: Live) {
  const base = (await import('../../fixtures/demo.config.json', { with: { type: 'json' } })).default as { payers: Array<Record<string, unknown>> };
  const configFile = await writeJson(dir, 'config.json', {
    ...base,
    payers: payers.map((accountId) => ({ ...base.payers[0], accountId, ...(live ? { usage: { contractId: 'CRD-00000-00000-00000' } } : {}) })),
    state: { path: join(dir, 'state.db'), outputDir: join(dir, 'runs') },
    ...extra,
  });
  const loaded = await loadConfig(configFile);
  let clock = NOW.getTime();
  const now = (): Date => new Date(clock);
  const env = { ...(live ? { apiKey: live.apiKey } : {}), variables: {} };
  const composed = composeMonth(loaded, env, { dryRun: !live, cur: 'fixtures/cur/demo-2026-10', out: join(dir, 'out'), now, sleep: async () => undefined });
  opened.push(composed);
  // Each read of a payer's CUR moves the clock on: the run's duration is known.
  const month: MonthRuntime = {
    ...composed,
    deps: {
      ...composed.deps,
      cur: (payer, version) => {
        clock += CUR_READ_MS;
        return composed.deps.cur(payer, version);
      },
    },
  };
  const metrics = new ConnectorMetrics({ defaultMetrics: false });
  const logs: Line[] = [];
  const jobs: MonthJobs = await startMonthJobs({
    loaded,
    month,
    subscriptions: live ? { kind: 'platform', productIds: ['PRD-411-678-887'] } : { kind: 'all' },
    metrics,
    log: pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Line) }),
    now,
    signal: new AbortController().signal,
    ordersReady: () => ({ ok: true, reasons: [] }),
    ...more,
  });
  opened.push({ close: () => jobs.stop() });
  return { jobs, month, metrics, logs, readyz: async () => { const res = await fetch(`${jobs.admin?.url ?? ''}/readyz`); return { status: res.status, body: (await res.json()) as unknown }; } };
}

const SCHEDULE = { schedule: { cron: '0 0 5 * *', timezone: 'UTC' } };
const ADMIN = { admin: { host: '127.0.0.1', port: 0 } };
const INFO = 30;
const ERROR = 50;

const runLines = (logs: Line[], payer: string) => logs.filter((l) => l.payer === payer && l.msg.startsWith('month run')).map(({ time: _t, pid: _p, hostname: _h, ...rest }) => rest);

describe('startMonthJobs(): the log of a month run', () => {
  it('logs a run\'s start, each step it reaches and its end with the duration, at info', async () => {
    const { jobs, logs } = await start(SCHEDULE, [PAYER]);
    expect(await jobs.schedule?.catchUp).toBe('2026-10');
    expect(runLines(logs, PAYER)).toEqual([
      { level: INFO, msg: 'month run started', payer: PAYER, period: '2026-10', version: 1, dryRun: true, trigger: 'catch-up', step: 'started', resumed: false },
      { level: INFO, msg: 'month run step', payer: PAYER, period: '2026-10', version: 1, dryRun: true, step: 'rated', from: 'started' },
      { level: INFO, msg: 'month run finished', payer: PAYER, period: '2026-10', version: 1, dryRun: true, outcome: 'done', step: 'done', trigger: 'catch-up', durationSeconds: CUR_READ_MS / 1000 },
    ]);
  });

  it('logs every step of a live run through the upload and submission', async () => {
    const seed = await loadSeed('fixtures/orders');
    const asset = (id: string, account: string, support: string) => ({ id, productId: 'PRD-411-678-887', customer: `Customer ${account}`, params: { aws_account_id: account, support_level: support, payer_account_id: PAYER } });
    const sandbox = await startSandbox({ seed: { ...seed, assets: [asset('AS-0001-0001', '222222222222', 'business'), asset('AS-0001-0002', '333333333333', 'developer')] } });
    opened.push(sandbox);
    const connect = { connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'], retries: 1 } };
    const { jobs, logs, metrics } = await start({ ...SCHEDULE, ...connect }, [PAYER], {}, { apiKey: sandbox.apiKey });
    expect(await jobs.schedule?.catchUp).toBe('2026-10');
    const lines = runLines(logs, PAYER);
    expect(lines.map((l) => [l.level, l.msg, l.step])).toEqual([
      [INFO, 'month run started', 'started'],
      [INFO, 'month run step', 'rated'],
      [INFO, 'month run step', 'file-created'],
      [INFO, 'month run step', 'uploaded'],
      [INFO, 'month run step', 'ready'],
      [INFO, 'month run step', 'submitted'],
      [INFO, 'month run finished', 'done'],
    ]);
    expect(lines.find((l) => l.step === 'submitted')).toMatchObject({ usageFileId: expect.stringMatching(/^UF-/), usageFileStatus: 'pending' });
    expect(lines.at(-1)).toMatchObject({ outcome: 'done', durationSeconds: CUR_READ_MS / 1000 });
    expect(await metrics.text()).toContain(`native_rating_last_success_timestamp_seconds{payer="${PAYER}"} ${(NOW.getTime() + CUR_READ_MS) / 1000}`);
  });

  it('stop() waits for a month run in hand to end in the ledger (interrupted by the force signal), never leaves it running', async () => {
    const seed = await loadSeed('fixtures/orders');
    const asset = { id: 'AS-0001-0001', productId: 'PRD-411-678-887', customer: 'Customer 222222222222', params: { aws_account_id: '222222222222', support_level: 'business', payer_account_id: PAYER } };
    const sandbox = await startSandbox({ seed: { ...seed, assets: [asset] } });
    opened.push(sandbox);
    // The usage file's creation hangs: the run is in hand until the force signal aborts it.
    sandbox.platform.addFault({ method: 'POST', pathPrefix: '/usage/files', delayMs: 600_000, times: 1 });
    const force = new AbortController();
    const connect = { connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'], retries: 1 } };
    const { jobs, month } = await start({ ...SCHEDULE, ...connect }, [PAYER], { signal: force.signal }, { apiKey: sandbox.apiKey });
    await untilInFlight(() => sandbox.platform.stats(), 1);
    const stopping = jobs.stop().then(() => month.ledger.latest(PAYER, '2026-10')?.outcome);
    let stopped = false;
    void stopping.then(() => (stopped = true));
    for (let i = 0; i < 20; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    expect(month.ledger.latest(PAYER, '2026-10')?.outcome).toBe('running');
    force.abort(new Error('forced stop'));
    expect(await stopping).toBe('interrupted');
    expect(await jobs.schedule?.catchUp).toBe('2026-10');
  });

  it('logs a failed run\'s end at error with its code and error text; the other payer\'s run goes on', async () => {
    const { jobs, logs } = await start(SCHEDULE, [ABSENT, PAYER]);
    expect(await jobs.schedule?.catchUp).toBe('2026-10');
    const failed = runLines(logs, ABSENT);
    expect(failed.map((l) => [l.level, l.msg])).toEqual([
      [INFO, 'month run started'],
      [ERROR, 'month run finished'],
    ]);
    expect(failed[1]).toMatchObject({ outcome: 'failed', code: 'CUR_EMPTY', error: expect.stringContaining(`payer ${ABSENT} was not rated`), durationSeconds: CUR_READ_MS / 1000 });
    expect(runLines(logs, PAYER).at(-1)).toMatchObject({ level: INFO, msg: 'month run finished', outcome: 'done' });
  });
});

describe('startMonthJobs(): metrics', () => {
  it('observes each run\'s duration on the injected clock, by outcome', async () => {
    const { jobs, metrics } = await start(SCHEDULE, [ABSENT, PAYER]);
    await jobs.schedule?.catchUp;
    const text = await metrics.text();
    expect(text).toContain('native_rating_run_duration_seconds_sum{outcome="succeeded"} 90');
    expect(text).toContain('native_rating_run_duration_seconds_count{outcome="failed"} 1');
    expect(text).toContain('native_rating_errors_total{code="CUR_EMPTY"} 1');
  });

  it('seeds each payer\'s last success from the run ledger\'s latest succeeded live run', async () => {
    // An earlier daemon on the same state database: August and September succeeded, and a later dry run.
    const state = openStateDatabase(join(dir, 'state.db'));
    const ledger = new SqliteRunLedger(state.db, () => NOW);
    const lease = processLease();
    for (const [period, at, dryRun] of [['2026-08', '2026-09-05T01:00:00Z', false], ['2026-09', '2026-10-05T02:00:00Z', false], ['2026-10', '2026-11-01T00:00:00Z', true]] as const) {
      const claim = ledger.claim({ payerAccountId: PAYER, period, trigger: 'schedule', reprocess: false, dryRun }, lease, new Date(at));
      ledger.finish(claim.run, 'succeeded', undefined, new Date(at));
    }
    state.close();
    const { metrics } = await start({}, [PAYER, ABSENT]);
    const text = await metrics.text();
    expect(text).toContain(`native_rating_last_success_timestamp_seconds{payer="${PAYER}"} ${Date.parse('2026-10-05T02:00:00Z') / 1000}`);
    expect(text).not.toContain(`native_rating_last_success_timestamp_seconds{payer="${ABSENT}"}`);
  });
});

describe('startMonthJobs(): /readyz', () => {
  const awsProbe = (answer: { error?: string }) => ({
    name: `payer ${PAYER} AWS access`,
    check: async () => {
      if (answer.error) throw new ConnectorError('AWS_ACCESS_DENIED', answer.error);
    },
  });

  it('answers 200 when the state database, the order side and every probe are fine', async () => {
    const { readyz } = await start(ADMIN, [PAYER], { readiness: [{ name: 'platform', check: async () => undefined }, awsProbe({})] });
    expect(await readyz()).toEqual({ status: 200, body: { ready: true, status: 'ready', reasons: [] } });
  });

  it('answers 503 naming a failing payer\'s AWS access, and 200 again once it recovers', async () => {
    const answer: { error?: string } = { error: 'AccessDenied: not authorized to perform sts:AssumeRole' };
    const { jobs, readyz } = await start(ADMIN, [PAYER], { readiness: [{ name: 'platform', check: async () => undefined }, awsProbe(answer)] });
    await jobs.readiness?.refresh();
    expect(await readyz()).toEqual({ status: 503, body: { ready: false, status: 'not ready', reasons: [`payer ${PAYER} AWS access: AccessDenied: not authorized to perform sts:AssumeRole`] } });
    delete answer.error;
    await jobs.readiness?.refresh();
    expect((await readyz()).status).toBe(200);
  });

  it('answers 503 naming the platform while the order side cannot read its lists', async () => {
    const { readyz } = await start(ADMIN, [PAYER], { ordersReady: () => ({ ok: false, reasons: ['could not read fulfillment requests: 502 Bad Gateway'] }) });
    expect(await readyz()).toEqual({ status: 503, body: { ready: false, status: 'not ready', reasons: ['platform: could not read fulfillment requests: 502 Bad Gateway'] } });
  });

  it('answers 503 naming the state database when it cannot be read', async () => {
    const { month, readyz } = await start(ADMIN, [PAYER]);
    month.close();
    const { status, body } = await readyz();
    expect(status).toBe(503);
    expect((body as { reasons: string[] }).reasons).toEqual([expect.stringMatching(/^state database: .*not open/)]);
  });
});
