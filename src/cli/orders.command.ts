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
import { daemonReadinessProbes } from '../daemon/readiness-probes.js';
import { cycleSummary, resultLine } from './orders-output.js';

export interface OrdersOptions {
  config: string;
}

export interface OrdersIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /**
   * The lines a person reads (one per request, one per cycle) on stdout, and
   * pino's JSON on stderr. False: stdout carries pino JSON lines only (what
   * the text lines said is in their fields: `request handled`, `cycle done`).
   * Default false for the daemon, true for `process --once`.
   */
  textLines?: boolean;
  /** Where pino writes (default: stderr with text lines, else stdout). */
  logDestination?: DestinationStream;
  signals: SignalSource;
  /** For tests: the pause between cycles. */
  sleep?: Sleep;
  /** Called on the second signal: the bin arms a timer that exits if work in hand does not stop. */
  onForce?: () => void;
  /** Told the admin endpoint's URL once it listens (`admin` section present). */
  /** Also given the readiness checks' round in progress (tests await it before asking /readyz). */
  onAdmin?: (url: string, readinessChecked: () => Promise<void>) => void;
}

/** Where the text lines and the logs of one command go. */
interface Output {
  /** A line for a person; dropped when stdout is the JSON log stream. */
  text(line: string): void;
}

async function start(options: OrdersOptions, io: OrdersIo, overrides: ComposeOverrides, daemon: boolean): Promise<{ runtime: OrdersRuntime; log: Logger; config: Config; loaded: LoadedConfig; output: Output }> {
  const loaded = await loadConfig(options.config, io.env);
  const env = readOrdersEnvironment(io.env, loaded.config);
  const textLines = io.textLines ?? !daemon;
  const destination = io.logDestination ?? { write: (text: string) => (textLines ? io.stderr(text) : io.stdout(text)) };
  // Under the text lines of `process --once` only warnings and errors are logged, unless LOG_LEVEL says otherwise.
  const level = daemon || !textLines || io.env.LOG_LEVEL ? env.logLevel : 'warn';
  const log = createLogger(level, destination);
  const runtime = composeOrders(loaded.config, env, log, overrides);
  return { runtime, log, config: loaded.config, loaded, output: { text: (line) => (textLines ? io.stdout(line) : undefined) } };
}

/** Requests of a cycle per outcome, for the `cycle done` log line (the summary line's numbers). */
function outcomeCounts(result: CycleResult): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of [...result.tierConfigs, ...result.requests]) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
  return counts;
}

/**
 * One cycle: a text line per request and a summary line (when text lines are
 * on), a `request handled` / `request not done` log line per request and one
 * `cycle done` line with the same numbers as the summary. Its duration is
 * measured on the runtime's clock.
 */
async function oneCycle(
  runtime: OrdersRuntime,
  log: Logger,
  output: Output,
  signals: { signal: AbortSignal; stopTaking?: AbortSignal },
  cycle: number,
  metrics?: ConnectorMetrics,
): Promise<CycleResult> {
  const clock = runtime.deps.clock;
  const started = clock.now().getTime();
  const result = await runCycle(runtime.deps, {
    ...signals,
    onResult: (r) => {
      output.text(resultLine(r));
      metrics?.requestHandled(r.kind, r.requestId);
      if (r.errorCode) metrics?.error(r.errorCode);
      const fields = { requestId: r.requestId, type: r.type, outcome: r.kind, step: r.step, detail: r.message };
      if (r.kind === 'error') log.error(fields, 'request not done');
      else log.info(fields, 'request handled');
    },
    onListError: (what, message) => log.error({ what, error: message }, 'list not read'),
  });
  const seconds = Math.max(0, clock.now().getTime() - started) / 1000;
  output.text(cycleSummary(result, seconds));
  metrics?.cycleFinished(seconds);
  log.info(
    {
      cycle,
      handled: result.requests.length + result.tierConfigs.length,
      outcomes: outcomeCounts(result),
      notStarted: result.notStarted,
      listErrors: result.listErrors.map((e) => `could not read ${e.what}: ${e.message}`),
      seconds,
    },
    'cycle done',
  );
  return result;
}

/** One poll cycle. A first signal lets the requests in hand finish; a second aborts them. */
export async function runProcessOnce(options: OrdersOptions, io: OrdersIo, overrides: ComposeOverrides = {}): Promise<CycleResult> {
  const { runtime, log, output } = await start(options, io, overrides, false);
  const shutdown = installShutdown(io.signals, (stage, name) => {
    log.warn({ signal: name, stage }, 'stop requested');
    if (stage === 'force') io.onForce?.();
  });
  try {
    return await oneCycle(runtime, log, output, { signal: shutdown.force, stopTaking: shutdown.drain }, 1);
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
  const { runtime, log, loaded, output } = await start(options, io, overrides, true);
  const shutdown = installShutdown(io.signals, (stage, name) => {
    log.warn({ signal: name, stage }, stage === 'drain' ? 'finishing the requests in hand, then exiting' : 'forced stop');
    if (stage === 'force') io.onForce?.();
  });
  // Another process took the state database over (this one stalled past the lease): stop taking work, as on a first SIGTERM.
  const drain = AbortSignal.any([shutdown.drain, runtime.lock.lost]);
  log.info({ pollIntervalMs: runtime.pollIntervalMs, statePath: runtime.statePath, productIds: runtime.deps.settings.productIds, concurrency: runtime.deps.settings.concurrency }, 'daemon started');
  const metrics = new ConnectorMetrics();
  let lastListErrors: string[] = [];
  let month: MonthJobs | undefined;
  // The monthly side shares the daemon's state database, platform key and AWS client factory (one call limiter).
  const apiKey = io.env.CONNECT_API_KEY?.trim();
  const env = { ...(apiKey ? { apiKey } : {}), variables: io.env };
  const now = (): Date => runtime.deps.clock.now();
  const monthRuntime = composeMonth(loaded, env, { dryRun: false, now, state: runtime.state, http: runtime.http, callLog: log, onNote: (note) => log.warn({ detail: note }, 'month note') });
  const audit = composeAudit(loaded, env, { now, organizations: runtime.organizations, state: runtime.state, http: runtime.http, callLog: log });
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
      readiness: daemonReadinessProbes({ http: runtime.http, organizations: runtime.organizations, productIds: runtime.deps.settings.productIds, payers: runtime.deps.settings.payers }),
    });
    if (month.admin) io.onAdmin?.(month.admin.url, () => month?.readiness?.refresh() ?? Promise.resolve());
    const cycles = await runPollLoop({
      intervalMs: runtime.pollIntervalMs,
      drain,
      sleep: io.sleep,
      cycle: async (index) => {
        const result = await oneCycle(runtime, log, output, { signal: shutdown.force, stopTaking: drain }, index, metrics);
        lastListErrors = result.listErrors.map((e) => `could not read ${e.what}: ${e.message}`);
      },
      onCycleError: (error, index) => log.error({ cycle: index, error: coerceError(error).message }, 'cycle failed'),
    });
    log.info({ cycles }, 'daemon stopped');
    // Losing the state database to another process is not a clean stop: exit 1, like a forced one.
    return { cycles, forced: shutdown.force.aborted || runtime.lock.lost.aborted };
  } finally {
    await month?.stop();
    await month?.resumed;
    audit.close();
    monthRuntime.close();
    shutdown.dispose();
    runtime.close();
  }
}
