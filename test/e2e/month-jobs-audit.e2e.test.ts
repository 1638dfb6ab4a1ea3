/**
 * The daemon's month jobs (startMonthJobs) on the runtime the daemon composes
 * once (composeMonth, composeAudit) against the sandbox platform: the catch-up
 * on start audits each payer before its month (stored, counted, in the report),
 * a failed `POST /reprocess` answers non-2xx with the run's error, and a month
 * another live process holds is reported as held, naming the holder.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { composeAudit, type AuditRuntime } from '../../src/daemon/compose-audit.js';
import { composeMonth, type MonthRuntime } from '../../src/daemon/compose-month.js';
import { ConnectorMetrics } from '../../src/daemon/metrics.js';
import { startMonthJobs, type MonthJobs } from '../../src/daemon/month-jobs.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { openStateDatabase, type StateDatabase } from '../../src/store/database.js';
import { SqliteRunLedger } from '../../src/store/run-ledger.store.js';
import { tempDir, writeJson } from '../support/run-cli.js';

const PAYER = '111111111111';
const TOKEN = 'month-jobs-admin-token';
/** The 6th of November: October's catch-up is due. */
const NOW = new Date('2026-11-06T08:00:00Z');

let sandbox: Sandbox;
let dir: string;
const opened: Array<{ close(): unknown }> = [];
const saved = { ...process.env };

beforeEach(async () => {
  dir = await tempDir();
  const seed = await loadSeed('fixtures/orders');
  // The three subscriptions of fixtures/demo.assets.json, on the platform, billed on the payer.
  const asset = (id: string, account: string, support: string) => ({ id, productId: 'PRD-411-678-887', customer: `Customer ${account}`, params: { aws_account_id: account, support_level: support, payer_account_id: PAYER } });
  sandbox = await startSandbox({ seed: { ...seed, assets: [asset('AS-0001-0001', '222222222222', 'business'), asset('AS-0001-0002', '333333333333', 'developer'), asset('AS-0001-0003', '444444444444', 'business')] } });
  process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = sandbox.organizationsUrl;
  // No Support API here: detection meets a closed loopback port and reports the plans as unknown.
  process.env.AWS_ENDPOINT_URL_STS = 'http://127.0.0.1:9';
  process.env.AWS_ENDPOINT_URL_SUPPORT = 'http://127.0.0.1:9';
  process.env.AWS_MAX_ATTEMPTS = '1';
  process.env.AWS_ACCESS_KEY_ID = 'AKIDJOBS';
  process.env.AWS_SECRET_ACCESS_KEY = 'sandbox';
  process.env.AWS_REGION = 'us-east-1';
});
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
  process.env = { ...saved };
  await sandbox.close();
});

interface Started {
  jobs: MonthJobs;
  month: MonthRuntime;
  metrics: ConnectorMetrics;
  logs: Array<Record<string, unknown>>;
  state: StateDatabase;
  post: (body: unknown) => Promise<{ status: number; body: unknown }>;
}

/**
 * The daemon's month side on a state database of its own: the demo CUR (local
 * files), the sandbox platform, and (with `withAudit`) the audit, whose plan
 * detection fails at once against a closed port (one attempt: no SDK back-off to wait out).
 */
async function start(extra: Record<string, unknown> = {}, withAudit = false): Promise<Started> {
  const base = JSON.parse(await readFile('fixtures/demo.config.json', 'utf8')) as { payers: Array<Record<string, unknown>> };
  const configFile = await writeJson(dir, 'config.json', {
    ...base,
    payers: [{ ...base.payers[0], supportPlan: 'business', accountModel: 'SPAM', providerDomains: ['reseller.example'], usage: { contractId: 'CRD-00000-00000-00000' } }],
    connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'], retries: 1 },
    state: { path: join(dir, 'state.db'), outputDir: join(dir, 'runs') },
    aws: { maxAttempts: 1 },
    ...extra,
  });
  const loaded = await loadConfig(configFile);
  const state = openStateDatabase(loaded.config.state.path);
  opened.push(state);
  const env = { apiKey: sandbox.apiKey, variables: process.env };
  const now = (): Date => NOW;
  const month = composeMonth(loaded, env, { dryRun: false, cur: 'fixtures/cur/demo-2026-10', now, sleep: async () => undefined, state });
  opened.push(month);
  const audit: AuditRuntime | undefined = withAudit ? composeAudit(loaded, env, { now, state }) : undefined;
  if (audit) opened.push(audit);
  const metrics = new ConnectorMetrics({ defaultMetrics: false });
  const logs: Array<Record<string, unknown>> = [];
  const jobs = await startMonthJobs({
    loaded,
    month,
    subscriptions: { kind: 'platform', productIds: ['PRD-411-678-887'] },
    ...(audit ? { audit } : {}),
    adminToken: TOKEN,
    metrics,
    log: pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) }),
    now,
    signal: new AbortController().signal,
    ordersReady: () => ({ ok: true, reasons: [] }),
  });
  opened.push({ close: () => jobs.stop() });
  const post = async (body: unknown) => {
    const res = await fetch(`${jobs.admin?.url ?? ''}/reprocess`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  return { jobs, month, metrics, logs, state, post };
}

const SCHEDULE = { schedule: { cron: '0 0 5 * *', timezone: 'UTC' } };
const ADMIN = { admin: { host: '127.0.0.1', port: 0 } };

describe('the daemon month jobs', () => {
  it('catches up a missed month after the 5th: the audit first (stored, counted, in the report), then the run', async () => {
    const { jobs, month, metrics, logs } = await start(SCHEDULE, true);
    expect(await jobs.schedule?.catchUp).toBe('2026-10');
    await jobs.stop();
    const auditFile = join(dir, 'runs', PAYER, '2026-10', 'audit.json');
    expect(existsSync(auditFile)).toBe(true);
    const audit = JSON.parse(await readFile(auditFile, 'utf8')) as { findings: Array<{ rule: string }> };
    // The sandbox members' e-mails are on example.com, not the provider's domain: SPAM is broken.
    expect(audit.findings.map((f) => f.rule)).toContain('email-domain');
    const text = await metrics.text();
    expect(text).toMatch(/native_rating_audit_findings\{payer="111111111111",rule="email-domain",severity="error"\} 1/);
    // Then the month: rated and submitted as the catch-up, its report carrying the audit.
    const run = month.ledger.latest(PAYER, '2026-10');
    expect(run).toMatchObject({ version: 1, dryRun: false, outcome: 'succeeded', step: 'done', trigger: 'catch-up', billedTotal: '17839.26', usageFileStatus: 'pending' });
    expect(sandbox.platform.state.usageFiles().map((f) => [f.externalId, f.status])).toEqual([[`${PAYER}-2026-10-v1`, 'pending']]);
    const report = JSON.parse(await readFile(run?.reportPath ?? '', 'utf8')) as { status: string; auditFindings: number; supportPlans: unknown };
    expect(report).toMatchObject({ status: 'ok', auditFindings: audit.findings.length });
    expect(report.supportPlans).toBeDefined();
    expect(text).toMatch(/native_rating_runs_total\{outcome="succeeded"\} 1/);
    const messages = logs.map((l) => l.msg);
    expect(messages.indexOf('audit finding')).toBeGreaterThanOrEqual(0);
    expect(messages.indexOf('audit finding')).toBeLessThan(messages.indexOf('month run finished'));
    expect(logs.find((l) => l.msg === 'month run finished')).toMatchObject({ payer: PAYER, period: '2026-10', version: 1, outcome: 'done', trigger: 'catch-up' });
  });

  it('answers a POST /reprocess whose run fails with the run\'s error code and message, non-2xx, the failed version in the ledger', async () => {
    const { jobs, month, metrics, post } = await start({ ...SCHEDULE, ...ADMIN });
    expect(await jobs.schedule?.catchUp).toBe('2026-10');
    const first = month.ledger.latest(PAYER, '2026-10');
    // The platform accepts v1: it is never replaced, so the reprocess's upload is refused.
    await fetch(`${sandbox.platformUrl}/__sandbox/usage-files/${first?.usageFileId ?? ''}/accept`, { method: 'POST' });
    const res = await post({ period: '2026-10', payer: PAYER });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ error: { code: 'CONFIG_INVALID', message: expect.stringMatching(/already accepted usage file .* it is never replaced/) } });
    const v2 = month.ledger.get(PAYER, '2026-10', 2);
    expect(v2).toMatchObject({ outcome: 'failed', trigger: 'admin', error: expect.stringMatching(/already accepted/) });
    expect((res.body as { error: { message: string } }).error.message).toBe(v2?.error?.replace(/^CONFIG_INVALID: /, ''));
    expect(sandbox.platform.state.usageFiles().map((f) => [f.externalId, f.status])).toEqual([[`${PAYER}-2026-10-v1`, 'accepted']]);
    expect(await metrics.text()).toMatch(/native_rating_errors_total\{code="CONFIG_INVALID"\} [1-9]/);
  });

  it('answers a POST /reprocess of a month never rated with 422 naming what to do, and starts no run', async () => {
    const { month, post } = await start(ADMIN);
    const res = await post({ period: '2026-10', payer: PAYER, dryRun: true });
    expect(res).toEqual({ status: 422, body: { error: { code: 'CONFIG_INVALID', message: `no earlier dry-run version of payer ${PAYER} 2026-10 in the run ledger: run \`rate\` first, then reprocess` } } });
    expect(month.ledger.list({ dryRun: 'all' })).toEqual([]);
  });

  it('reports a month another live process holds as held, naming the holder, and leaves its run alone', async () => {
    // Another daemon on the same state database has claimed October and holds a live lease.
    const other = openStateDatabase(join(dir, 'state.db'));
    opened.push(other);
    const otherLease = { owner: 'other-process-token', holder: 'pid 4242 on host-b', ttlMs: 5 * 60_000 };
    const claim = new SqliteRunLedger(other.db, () => NOW).claim({ payerAccountId: PAYER, period: '2026-10', trigger: 'schedule', reprocess: false, dryRun: false }, otherLease, NOW);
    expect(claim.kind).toBe('claimed');

    const { jobs, month, logs, post } = await start({ ...SCHEDULE, ...ADMIN });
    expect(await jobs.schedule?.catchUp).toBe('2026-10');
    expect(logs.find((l) => l.msg === 'month run finished')).toMatchObject({ payer: PAYER, period: '2026-10', version: 1, outcome: 'held', holder: 'pid 4242 on host-b', trigger: 'catch-up' });
    // The admin endpoint refuses a reprocess while it is held: 409, the holder in the answer.
    const res = await post({ period: '2026-10', payer: PAYER });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      error: { code: 'ALREADY_RUNNING', message: `a run of payer ${PAYER} for 2026-10 is already running (held by pid 4242 on host-b)` },
      result: { started: false, result: { kind: 'held', version: 1, run: { version: 1, outcome: 'running', holder: 'pid 4242 on host-b' } } },
    });
    // Nothing was rated or uploaded here; the other process's run is as it left it.
    expect(month.ledger.list()).toEqual([expect.objectContaining({ version: 1, outcome: 'running', step: 'started', holder: 'pid 4242 on host-b', trigger: 'schedule' })]);
    expect(sandbox.platform.state.usageFiles()).toEqual([]);
  });
});
