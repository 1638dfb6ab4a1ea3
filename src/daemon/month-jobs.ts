/**
 * The daemon's monthly side (issue 4, issue 10): the 5th-of-month schedule with
 * its start-up catch-up, the resumption of runs a crash or a signal left, and
 * the admin endpoint's reprocess. Every one of them calls the one month use case
 * (`runMonth`, `reprocessMonth`) with the runtime the composition root built
 * once; one payer and period runs once at a time (SingleFlight in the process,
 * the run ledger's lease across processes).
 *
 * Each run logs its start, every step it reaches (the ledger's steps: rated,
 * file-created, uploaded, ready, submitted), and its end with its outcome and
 * duration (error level with the code and error text when it failed). `/readyz`
 * combines the order side's list reads, a query on the state database, and the
 * probes the composition root gives (the platform, each payer's AWS access).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { OrganizationAudit } from '../app/support/audit-organization.js';
import { reprocessMonth, runMonth, type MonthDeps, type MonthPayerResult, type SubscriptionSource } from '../app/usage/run-month.js';
import type { RunLedger, RunRecord, RunStep } from '../app/usage/ports.js';
import type { LoadedConfig } from '../config/load.js';
import type { PayerConfig } from '../config/schema.js';
import { coerceError, type ConnectorError } from '../domain/errors.js';
import { startAdminServer, startReadiness, type AdminServer, type Readiness, type ReadinessProbe } from './admin-server.js';
import type { AuditRuntime } from './compose-audit.js';
import type { MonthRuntime } from './compose-month.js';
import type { ConnectorMetrics } from './metrics.js';
import { startMonthlySchedule, type MonthlySchedule } from './scheduler.js';
import { SingleFlight } from './single-flight.js';

export interface MonthJobsInput {
  loaded: LoadedConfig;
  /** The live month runtime (ledger on the daemon's state database, platform, stores), built once. */
  month: MonthRuntime;
  /** Where the subscriptions come from (the platform, in production). */
  subscriptions: SubscriptionSource;
  /** The organization audit run before each payer's month; absent: no audit. */
  audit?: AuditRuntime;
  /** `ADMIN_TOKEN`: what a POST to the admin endpoint must carry. */
  adminToken?: string;
  metrics: ConnectorMetrics;
  log: Logger;
  now: () => Date;
  /** The daemon's force signal. */
  signal: AbortSignal;
  /** Readiness of the order side (the last cycle could read its lists); its reasons are the platform's (`platform: …` in `/readyz`). */
  ordersReady: () => { ok: boolean; reasons: string[] };
  /**
   * Dependencies `/readyz` checks (only with an `admin` section): e.g.
   * `{ name: 'platform', check }`, `{ name: 'payer 123456789012 AWS access', check }`.
   * Checked at start and every `readinessIntervalMs` after, never per scrape.
   */
  readiness?: ReadinessProbe[];
  /** Between two rounds of readiness checks, ms. Default 60 000. */
  readinessIntervalMs?: number;
}

export interface MonthJobs {
  schedule?: MonthlySchedule;
  admin?: AdminServer;
  /** The readiness checks (with an `admin` section). */
  readiness?: Readiness;
  /** Settles when the runs resumed at start-up are done (tests wait on it). */
  resumed: Promise<void>;
  stop(): Promise<void>;
}

export async function startMonthJobs(input: MonthJobsInput): Promise<MonthJobs> {
  const { loaded, month, metrics, log } = input;
  const config = loaded.config;
  const ledger = month.ledger;
  const flights = new SingleFlight();
  const productId = config.connect?.productIds[0];

  const record = (run: RunRecord, kind: string, error: ConnectorError | undefined, trigger: string, durationSeconds: number): void => {
    const base = { payer: run.payerAccountId, period: run.period, version: run.version, outcome: kind, step: run.step, trigger, ...(run.dryRun ? { dryRun: true } : {}) };
    // Only a run this process took part in is counted: a month held elsewhere or already done is not a run here.
    if (kind === 'held' || kind === 'already-done') {
      log.info({ ...base, ...(run.holder && kind === 'held' ? { holder: run.holder } : {}) }, 'month run finished');
      return;
    }
    metrics.runFinished(run, durationSeconds);
    if (error) metrics.error(error.code);
    const fields = { ...base, durationSeconds, ...(error ? { code: error.code, error: error.message } : {}) };
    if (error === undefined) log.info(fields, 'month run finished');
    else if (error.code === 'ABORTED') log.warn(fields, 'month run finished');
    else log.error(fields, 'month run finished');
  };
  const recordResult = (entry: MonthPayerResult<PayerConfig>, trigger: string, startedAt: Date): void => {
    const r = entry.result;
    record(r.run, r.kind, r.kind === 'failed' || r.kind === 'interrupted' ? r.error : undefined, trigger, (input.now().getTime() - startedAt.getTime()) / 1000);
  };
  const live = { ...month.deps, ledger: loggedLedger(ledger, log) };
  const dryRunDeps = (): MonthDeps<PayerConfig> => {
    const dry = month.dryRun();
    return { ...dry, ledger: loggedLedger(dry.ledger, log) };
  };
  const payerOf = (id: string): PayerConfig[] => config.payers.filter((p) => p.accountId === id);
  const common = { subscriptions: input.subscriptions, rating: month.rating, ...(productId ? { defaultProductId: productId } : {}), signal: input.signal };

  /** The audit of a payer before its month: logged, counted in /metrics, stored beside the runs, its plans in the report. */
  const auditBefore = async (period: string, payer: string): Promise<Record<string, unknown> | undefined> => {
    if (!input.audit) return undefined;
    try {
      const audit: OrganizationAudit = await input.audit.auditPayer({ payerAccountId: payer, period }, input.signal);
      metrics.auditFindings(payer, audit.findings);
      for (const f of audit.findings) log[f.severity === 'error' ? 'error' : f.severity === 'warning' ? 'warn' : 'info']({ payer, period, rule: f.rule, ...(f.cause ? { cause: f.cause } : {}), accounts: f.accounts, detail: f.message, action: f.action }, 'audit finding');
      const folder = join(month.outDir, payer, period);
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, 'audit.json'), `${JSON.stringify(audit, null, 2)}\n`, 'utf8');
      return { supportPlans: audit.plans, auditFindings: audit.findings.length };
    } catch (error) {
      const e = coerceError(error);
      metrics.error(e.code);
      log.error({ payer, period, code: e.code, error: e.message }, 'audit failed');
      return undefined;
    }
  };

  /** One payer's month, unless that payer and period is already running here. */
  const runPayer = (period: string, payer: string, trigger: string) =>
    flights.run(SingleFlight.key(payer, period), async () => {
      const fields = await auditBefore(period, payer);
      const startedAt = input.now();
      const [entry] = await runMonth(live, { ...common, period, payers: payerOf(payer), trigger, reprocess: false, ...(fields ? { reportFields: () => fields } : {}) });
      if (entry) recordResult(entry, trigger, startedAt);
      return entry?.result;
    });

  /** A reprocess of one payer's month: a new version, its diff stored beside it. A failure is thrown (the endpoint answers non-2xx). */
  const reprocessPayer = (period: string, payer: string, dryRun: boolean) =>
    flights.run(SingleFlight.key(payer, period), async () => {
      const startedAt = input.now();
      const outcome = await reprocessMonth(dryRun ? dryRunDeps() : live, { ...common, period, payers: payerOf(payer), trigger: 'admin' });
      recordResult(outcome, 'admin', startedAt);
      const r = outcome.result;
      if (r.kind === 'failed' || r.kind === 'interrupted') throw r.error;
      return { kind: r.kind, run: r.run, version: r.run.version, previousVersion: outcome.previousVersion, ...(outcome.diff ? { diff: outcome.diff, diffPath: outcome.diffPath } : {}), ...(outcome.noDiff ? { noDiff: outcome.noDiff } : {}) };
    });

  // The last success of each payer survives a restart: seeded from the ledger's succeeded live runs.
  for (const payer of new Set(config.payers.map((p) => p.accountId))) {
    try {
      const last = ledger.list({ payerAccountId: payer }, input.now()).filter((r) => r.outcome === 'succeeded' && !r.dryRun).map((r) => r.updatedAt).sort().at(-1);
      if (last !== undefined) metrics.lastSucceeded(payer, new Date(last));
    } catch (error) {
      log.warn({ payer, error: coerceError(error).message }, 'last success not read');
    }
  }

  // Runs a crash or a signal left behind resume now: abandoned (lease run out) or interrupted.
  const resumed = Promise.all(
    ledger.resumable(input.now()).map((run) =>
      runPayer(run.period, run.payerAccountId, 'resume').catch((error: unknown) => log.error({ payer: run.payerAccountId, period: run.period, error: coerceError(error).message }, 'resume failed')),
    ),
  ).then(() => undefined);

  const jobs: MonthJobs = { resumed, stop: async () => undefined };
  if (config.schedule) {
    jobs.schedule = startMonthlySchedule({
      cron: config.schedule.cron,
      timezone: config.schedule.timezone,
      clock: { now: input.now },
      hasRun: (period) => config.payers.every((p) => ledger.latest(p.accountId, period)?.outcome === 'succeeded'),
      runMonth: async (period, trigger) => {
        for (const payer of config.payers) await runPayer(period, payer.accountId, trigger);
      },
      onError: (error, period, trigger) => {
        metrics.error(error.code);
        log.error({ period, trigger, error: error.message, code: error.code }, 'month run failed');
      },
    });
    log.info({ cron: config.schedule.cron, timezone: config.schedule.timezone, next: jobs.schedule.nextRun()?.toISOString() }, 'monthly schedule started');
  }
  if (config.admin) {
    const readiness = startReadiness({
      probes: input.readiness ?? [],
      ...(input.readinessIntervalMs === undefined ? {} : { intervalMs: input.readinessIntervalMs }),
      onChange: (name, reason) => (reason === undefined ? log.info({ component: name }, 'ready again') : log.warn({ component: name, reason }, 'not ready')),
    });
    jobs.readiness = readiness;
    const ready = (): { ok: boolean; reasons: string[] } => {
      const reasons: string[] = [];
      try {
        ledger.list({ limit: 1 }, input.now()); // a query on the state database: cheap enough for every scrape
      } catch (error) {
        reasons.push(`state database: ${coerceError(error).message}`);
      }
      const orders = input.ordersReady();
      reasons.push(...orders.reasons.map((r) => `platform: ${r}`));
      const probes = readiness.status();
      reasons.push(...probes.reasons);
      return { ok: reasons.length === 0 && orders.ok && probes.ok, reasons };
    };
    jobs.admin = await startAdminServer({
      host: config.admin.host,
      port: config.admin.port,
      ...(input.adminToken ? { token: input.adminToken } : {}),
      metrics,
      runs: (filter) => ledger.list(filter, input.now()),
      ready,
      signal: input.signal,
      reprocess: async (request, signal) => {
        if (signal.aborted) return { started: false };
        const outcome = await reprocessPayer(request.period, request.payerAccountId, request.dryRun);
        if (!outcome.started) return { started: false };
        if (outcome.result.kind === 'held') return { started: false, result: outcome.result };
        return { started: true, result: outcome.result };
      },
      onError: (error, route) => log.error({ route, error: coerceError(error).message }, 'admin request failed'),
    });
    log.info({ url: jobs.admin.url }, 'admin endpoint listening');
  }
  jobs.stop = async () => {
    await jobs.schedule?.stop();
    jobs.readiness?.stop();
    await jobs.admin?.close();
    // A month run in hand (scheduled, caught up, resumed or reprocessed) ends in the ledger before the daemon closes its database.
    await flights.idle();
  };
  return jobs;
}

/**
 * The ledger with a log line when a run starts (claimed: new or resumed) and
 * each time it reaches a new step. The use case records its steps in the
 * ledger; this sees them without a second channel.
 */
export function loggedLedger(ledger: RunLedger, log: Logger): RunLedger {
  const steps = new Map<string, RunStep>();
  const keyOf = (run: Pick<RunRecord, 'payerAccountId' | 'period' | 'version' | 'dryRun'>): string => `${run.payerAccountId}/${run.period}/v${run.version}${run.dryRun ? '/dry' : ''}`;
  const fieldsOf = (run: RunRecord): Record<string, unknown> => ({ payer: run.payerAccountId, period: run.period, version: run.version, ...(run.dryRun ? { dryRun: true } : {}) });
  return {
    latest: (payer, period, options) => ledger.latest(payer, period, options),
    get: (payer, period, version, options) => ledger.get(payer, period, version, options),
    claim: (claimInput, lease, now) => {
      const claim = ledger.claim(claimInput, lease, now);
      if (claim.kind === 'claimed') {
        steps.set(keyOf(claim.run), claim.run.step);
        log.info({ ...fieldsOf(claim.run), trigger: claimInput.trigger, step: claim.run.step, resumed: claim.resumed, ...(claimInput.reprocess ? { reprocess: true } : {}) }, 'month run started');
      }
      return claim;
    },
    renew: (run, lease, now) => ledger.renew(run, lease, now),
    advance: (run, step, fields, now) => {
      const advanced = ledger.advance(run, step, fields, now);
      const key = keyOf(advanced);
      const before = steps.get(key);
      if (before !== advanced.step) {
        steps.set(key, advanced.step);
        log.info({ ...fieldsOf(advanced), step: advanced.step, ...(before ? { from: before } : {}), ...(advanced.usageFileId ? { usageFileId: advanced.usageFileId } : {}), ...(advanced.usageFileStatus ? { usageFileStatus: advanced.usageFileStatus } : {}) }, 'month run step');
      }
      return advanced;
    },
    finish: (run, outcome, error, now) => {
      steps.delete(keyOf(run));
      return ledger.finish(run, outcome, error, now);
    },
    interrupt: (run, reason, now) => {
      steps.delete(keyOf(run));
      return ledger.interrupt(run, reason, now);
    },
    list: (filter, now) => ledger.list(filter, now),
    resumable: (now) => ledger.resumable(now),
  };
}
