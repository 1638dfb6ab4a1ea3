/**
 * The daemon's monthly side (issue 4, issue 10): the 5th-of-month schedule with
 * its start-up catch-up, the resumption of runs a crash or a signal left, and
 * the admin endpoint's reprocess. Every one of them calls the one month use case
 * (`runMonth`, `reprocessMonth`) with the runtime the composition root built
 * once; one payer and period runs once at a time (SingleFlight in the process,
 * the run ledger's lease across processes).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { OrganizationAudit } from '../app/support/audit-organization.js';
import { reprocessMonth, runMonth, type MonthPayerResult, type SubscriptionSource } from '../app/usage/run-month.js';
import type { RunRecord } from '../app/usage/ports.js';
import type { LoadedConfig } from '../config/load.js';
import type { PayerConfig } from '../config/schema.js';
import { coerceError, type ConnectorError } from '../domain/errors.js';
import { startAdminServer, type AdminServer } from './admin-server.js';
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
  /** Readiness of the order side (the last cycle could read its lists). */
  ordersReady: () => { ok: boolean; reasons: string[] };
}

export interface MonthJobs {
  schedule?: MonthlySchedule;
  admin?: AdminServer;
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

  const record = (run: RunRecord, kind: string, error: ConnectorError | undefined, trigger: string): void => {
    // Only a run this process took part in is counted: a month held elsewhere or already done is not a run here.
    if (kind !== 'held' && kind !== 'already-done') metrics.runFinished(run);
    if (error) metrics.error(error.code);
    const fields = { payer: run.payerAccountId, period: run.period, version: run.version, outcome: kind, step: run.step, trigger, ...(error ? { code: error.code, error: error.message } : {}), ...(run.holder && kind === 'held' ? { holder: run.holder } : {}) };
    if (error) log.error(fields, 'month run finished');
    else log.info(fields, 'month run finished');
  };
  const recordResult = (entry: MonthPayerResult<PayerConfig>, trigger: string): void => {
    const r = entry.result;
    record(r.run, r.kind, r.kind === 'failed' || r.kind === 'interrupted' ? r.error : undefined, trigger);
  };
  const payerOf = (id: string): PayerConfig[] => config.payers.filter((p) => p.accountId === id);
  const common = { subscriptions: input.subscriptions, rating: month.rating, ...(productId ? { defaultProductId: productId } : {}), signal: input.signal };

  /** The audit of a payer before its month: logged, counted in /metrics, stored beside the runs, its plans in the report. */
  const auditBefore = async (period: string, payer: string): Promise<Record<string, unknown> | undefined> => {
    if (!input.audit) return undefined;
    try {
      const audit: OrganizationAudit = await input.audit.auditPayer({ payerAccountId: payer, period }, input.signal);
      metrics.auditFindings(payer, audit.findings);
      for (const f of audit.findings) log[f.severity === 'error' ? 'error' : f.severity === 'warning' ? 'warn' : 'info']({ payer, period, rule: f.rule, accounts: f.accounts, detail: f.message, action: f.action }, 'audit finding');
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
      const [entry] = await runMonth(month.deps, { ...common, period, payers: payerOf(payer), trigger, reprocess: false, ...(fields ? { reportFields: () => fields } : {}) });
      if (entry) recordResult(entry, trigger);
      return entry?.result;
    });

  /** A reprocess of one payer's month: a new version, its diff stored beside it. A failure is thrown (the endpoint answers non-2xx). */
  const reprocessPayer = (period: string, payer: string, dryRun: boolean) =>
    flights.run(SingleFlight.key(payer, period), async () => {
      const outcome = await reprocessMonth(dryRun ? month.dryRun() : month.deps, { ...common, period, payers: payerOf(payer), trigger: 'admin' });
      recordResult(outcome, 'admin');
      const r = outcome.result;
      if (r.kind === 'failed' || r.kind === 'interrupted') throw r.error;
      return { kind: r.kind, run: r.run, version: r.run.version, previousVersion: outcome.previousVersion, ...(outcome.diff ? { diff: outcome.diff, diffPath: outcome.diffPath } : {}), ...(outcome.noDiff ? { noDiff: outcome.noDiff } : {}) };
    });

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
    jobs.admin = await startAdminServer({
      host: config.admin.host,
      port: config.admin.port,
      ...(input.adminToken ? { token: input.adminToken } : {}),
      metrics,
      runs: (filter) => ledger.list(filter, input.now()),
      ready: () => input.ordersReady(),
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
    await jobs.admin?.close();
  };
  return jobs;
}
