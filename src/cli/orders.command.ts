/**
 * `process --once` and `daemon`: the order cycle with the real adapters. The
 * cycle is the same use case the tests drive with stand-ins.
 */
import type { DestinationStream } from 'pino';
import { runCycle, type CycleResult } from '../app/orders/process-cycle.js';
import { readOrdersEnvironment } from '../config/env.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { composeOrders, type ComposeOverrides, type OrdersRuntime } from '../daemon/compose.js';
import { createLogger, type Logger } from '../daemon/logger.js';
import { runPollLoop, type Sleep } from '../daemon/poll-loop.js';
import { installShutdown, type SignalSource } from '../daemon/shutdown.js';
import { ConnectorMetrics } from '../daemon/metrics.js';
import { coerceError } from '../domain/errors.js';
import { composeAudit } from '../daemon/compose-audit.js';
import { composeMonth } from '../daemon/compose-month.js';
import { startMonthJobs, type MonthJobs } from '../daemon/month-jobs.js';
import { cycleSummary, resultLine } from './orders-output.js';

export interface OrdersOptions {
  config: string;
}

export interface OrdersIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Where pino writes (default: stdout for the daemon, stderr for `process --once`). */
  logDestination?: DestinationStream;
  signals: SignalSource;
  /** For tests: the pause between cycles. */
  sleep?: Sleep;
  /** Called on the second signal: the bin arms a timer that exits if work in hand does not stop. */
  onForce?: () => void;
  /** Told the admin endpoint's URL once it listens (`admin` section present). */
  onAdmin?: (url: string) => void;
}

async function start(options: OrdersOptions, io: OrdersIo, overrides: ComposeOverrides, daemon: boolean): Promise<{ runtime: OrdersRuntime; log: Logger; config: Config; loaded: LoadedConfig }> {
  const loaded = await loadConfig(options.config);
  const env = readOrdersEnvironment(io.env, loaded.config);
  const destination = io.logDestination ?? { write: (text: string) => (daemon ? io.stdout(text) : io.stderr(text)) };
  const log = createLogger(daemon ? env.logLevel : io.env.LOG_LEVEL ? env.logLevel : 'warn', destination);
  const runtime = composeOrders(loaded.config, env, log, overrides);
  return { runtime, log, config: loaded.config, loaded };
}

async function oneCycle(
  runtime: OrdersRuntime,
  log: Logger,
  io: OrdersIo,
  signals: { signal: AbortSignal; stopTaking?: AbortSignal },
  metrics?: ConnectorMetrics,
): Promise<CycleResult> {
  const started = Date.now();
  const result = await runCycle(runtime.deps, {
    ...signals,
    onResult: (r) => {
      io.stdout(resultLine(r));
      metrics?.requestHandled(r.kind);
      if (r.errorCode) metrics?.error(r.errorCode);
      const fields = { requestId: r.requestId, type: r.type, outcome: r.kind, step: r.step, detail: r.message };
      if (r.kind === 'error') log.error(fields, 'request not done');
      else log.info(fields, 'request handled');
    },
    onListError: (what, message) => log.error({ what, error: message }, 'list not read'),
  });
  io.stdout(cycleSummary(result, (Date.now() - started) / 1000));
  return result;
}

/** One poll cycle. A first signal lets the requests in hand finish; a second aborts them. */
export async function runProcessOnce(options: OrdersOptions, io: OrdersIo, overrides: ComposeOverrides = {}): Promise<CycleResult> {
  const { runtime, log } = await start(options, io, overrides, false);
  const shutdown = installShutdown(io.signals, (stage, name) => {
    log.warn({ signal: name, stage }, 'stop requested');
    if (stage === 'force') io.onForce?.();
  });
  try {
    return await oneCycle(runtime, log, io, { signal: shutdown.force, stopTaking: shutdown.drain });
  } finally {
    shutdown.dispose();
    runtime.close();
  }
}

export interface DaemonResult {
  cycles: number;
  /** True when a second signal aborted work in hand. */
  forced: boolean;
}

/** Cycles every `pollIntervalMs` until SIGTERM: the first drains, the second forces. */
export async function runDaemon(options: OrdersOptions, io: OrdersIo, overrides: ComposeOverrides = {}): Promise<DaemonResult> {
  const { runtime, log, loaded } = await start(options, io, overrides, true);
  const shutdown = installShutdown(io.signals, (stage, name) => {
    log.warn({ signal: name, stage }, stage === 'drain' ? 'finishing the requests in hand, then exiting' : 'forced stop');
    if (stage === 'force') io.onForce?.();
  });
  log.info({ pollIntervalMs: runtime.pollIntervalMs, statePath: runtime.statePath, productIds: runtime.deps.settings.productIds, concurrency: runtime.deps.settings.concurrency }, 'daemon started');
  const metrics = new ConnectorMetrics();
  let lastListErrors: string[] = [];
  let month: MonthJobs | undefined;
  // The monthly side shares the daemon's state database, platform key and AWS client factory (one call limiter).
  const apiKey = io.env.CONNECT_API_KEY?.trim();
  const env = { ...(apiKey ? { apiKey } : {}), variables: io.env };
  const now = (): Date => runtime.deps.clock.now();
  const monthRuntime = composeMonth(loaded, env, { dryRun: false, now, state: runtime.state, http: runtime.http, onNote: (note) => log.warn({ detail: note }, 'month note') });
  const audit = composeAudit(loaded, env, { now, organizations: runtime.organizations, state: runtime.state, http: runtime.http });
  try {
    month = await startMonthJobs({
      loaded,
      month: monthRuntime,
      subscriptions: { kind: 'platform', productIds: runtime.deps.settings.productIds },
      audit,
      ...(io.env.ADMIN_TOKEN ? { adminToken: io.env.ADMIN_TOKEN } : {}),
      metrics,
      log,
      now,
      signal: shutdown.force,
      ordersReady: () => ({ ok: lastListErrors.length === 0, reasons: lastListErrors }),
    });
    if (month.admin) io.onAdmin?.(month.admin.url);
    const cycles = await runPollLoop({
      intervalMs: runtime.pollIntervalMs,
      drain: shutdown.drain,
      sleep: io.sleep,
      cycle: async (index) => {
        const result = await oneCycle(runtime, log, io, { signal: shutdown.force, stopTaking: shutdown.drain }, metrics);
        lastListErrors = result.listErrors.map((e) => `could not read ${e.what}: ${e.message}`);
        log.info({ cycle: index, handled: result.requests.length + result.tierConfigs.length, notStarted: result.notStarted }, 'cycle done');
      },
      onCycleError: (error, index) => log.error({ cycle: index, error: coerceError(error).message }, 'cycle failed'),
    });
    log.info({ cycles }, 'daemon stopped');
    return { cycles, forced: shutdown.force.aborted };
  } finally {
    await month?.stop();
    await month?.resumed;
    audit.close();
    monthRuntime.close();
    shutdown.dispose();
    runtime.close();
  }
}
