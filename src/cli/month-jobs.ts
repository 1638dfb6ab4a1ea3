/**
 * The daemon's monthly side (issue 4): the 5th-of-month schedule with its
 * start-up catch-up, and the admin endpoint's reprocess, both running the same
 * month command per payer, one run per payer and period at a time (SingleFlight
 * in the process, the run ledger's atomic start across processes).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { RunLedger, RunRecord } from '../app/usage/ports.js';
import { addToReport } from '../app/usage/run-payer-month.js';
import type { Config } from '../config/schema.js';
import { startAdminServer, type AdminServer } from '../daemon/admin-server.js';
import type { ConnectorMetrics } from '../daemon/metrics.js';
import { startMonthlySchedule, type MonthlySchedule } from '../daemon/scheduler.js';
import { SingleFlight } from '../daemon/single-flight.js';
import { coerceError } from '../domain/errors.js';
import { runMonthCommand, type MonthRunEnv } from './month.command.js';
import { reprocessMonth } from './reprocess.command.js';
import { runAudit } from './audit.command.js';
import type { OrganizationAudit } from '../app/support/audit-organization.js';

export interface MonthJobsInput {
  configFile: string;
  config: Config;
  env: MonthRunEnv;
  /** `ADMIN_TOKEN`: what a POST to the admin endpoint must carry. */
  adminToken?: string;
  ledger: RunLedger;
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
  stop(): Promise<void>;
}

export async function startMonthJobs(input: MonthJobsInput): Promise<MonthJobs> {
  const { config, ledger, metrics, log } = input;
  const flights = new SingleFlight();
  const quiet = { stdout: (t: string) => void log.debug({ detail: t.trim() }, 'month run output'), stderr: (t: string) => void log.warn({ detail: t.trim() }, 'month run note'), stderrIsTty: false, now: input.now };

  const record = (run: RunRecord, kind: string, error: { code: string } | undefined, trigger: string): void => {
    metrics.runFinished(run);
    if (error) metrics.error(error.code);
    log.info({ payer: run.payerAccountId, period: run.period, version: run.version, outcome: kind, step: run.step, trigger }, 'month run finished');
  };

  /** One payer's month, unless that payer and period is already running here. */
  const runPayer = (period: string, payer: string, trigger: string, staleAfterMs?: number) =>
    flights.run(SingleFlight.key(payer, period), async () => {
      const [entry] = await runMonthCommand(
        { period, payer, config: input.configFile, out: config.state.outputDir, trigger, ...(staleAfterMs === undefined ? {} : { staleAfterMs }) },
        quiet,
        input.env,
        input.signal,
      );
      if (entry) record(entry.result.run, entry.result.kind, entry.result.kind === 'failed' ? entry.result.error : undefined, trigger);
      return entry?.result;
    });

  /** A reprocess of one payer's month: a new version, its diff stored beside it. */
  const reprocessPayer = (period: string, payer: string, dryRun: boolean) =>
    flights.run(SingleFlight.key(payer, period), async () => {
      const result = await reprocessMonth({ period, payer, config: input.configFile, out: config.state.outputDir, trigger: 'admin', ...(dryRun ? { dryRun: true } : {}) }, quiet, input.env, input.signal);
      const run = ledger.get(payer, period, result.version);
      if (run) record(run, result.ok ? 'done' : 'failed', run.outcome === 'failed' ? { code: 'RUN_FAILED' } : undefined, 'admin');
      return { ...result, run };
    });

  /** The audit of a payer before its month is rated: logged, counted in /metrics, stored beside the runs. */
  const auditBefore = async (period: string, payer: string): Promise<OrganizationAudit | undefined> => {
    try {
      const folder = join(config.state.outputDir, payer, period);
      await mkdir(folder, { recursive: true });
      const audit = await runAudit({ payer, config: input.configFile, period, format: 'json', out: join(folder, 'audit.json') }, quiet, input.env, input.signal);
      metrics.auditFindings(payer, audit.findings);
      for (const f of audit.findings) log[f.severity === 'error' ? 'error' : f.severity === 'warning' ? 'warn' : 'info']({ payer, period, rule: f.rule, accounts: f.accounts, detail: f.message, action: f.action }, 'audit finding');
      return audit;
    } catch (error) {
      const e = coerceError(error);
      metrics.error(e.code);
      log.error({ payer, period, code: e.code, error: e.message }, 'audit failed');
      return undefined;
    }
  };

  // Runs a crash left behind resume now (this daemon is their only owner).
  for (const run of ledger.unfinished()) {
    void runPayer(run.period, run.payerAccountId, 'resume', 0).catch((error: unknown) => log.error({ payer: run.payerAccountId, period: run.period, error: coerceError(error).message }, 'resume failed'));
  }

  const jobs: MonthJobs = { stop: async () => undefined };
  if (config.schedule) {
    jobs.schedule = startMonthlySchedule({
      cron: config.schedule.cron,
      timezone: config.schedule.timezone,
      clock: { now: input.now },
      hasRun: (period) => config.payers.every((p) => ledger.latest(p.accountId, period)?.outcome === 'succeeded'),
      runMonth: async (period, trigger) => {
        for (const payer of config.payers) {
          const audit = await auditBefore(period, payer.accountId);
          const outcome = await runPayer(period, payer.accountId, trigger);
          const reportPath = outcome.started ? outcome.result?.run.reportPath : undefined;
          if (audit && reportPath) await addToReport(reportPath, { supportPlans: audit.plans, auditFindings: audit.findings.length });
        }
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
      runs: (filter) => ledger.list(filter),
      ready: () => input.ordersReady(),
      signal: input.signal,
      reprocess: async (request, signal) => {
        if (signal.aborted) return { started: false };
        const outcome = await reprocessPayer(request.period, request.payerAccountId, request.dryRun);
        return outcome.started ? { started: true, result: outcome.result } : { started: false };
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
