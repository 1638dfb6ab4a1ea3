/**
 * The connector's Prometheus metrics, on a registry of its own (never
 * prom-client's global default registry, so two instances, or a test next to
 * the daemon, never collide on metric names). docs/monitoring.md lists them.
 *
 * The text passes `promtool check metrics` (test/daemon/promtool.test.ts): no
 * gauge ends in `_total`, units are in the names (`_seconds`), counters count
 * things that happened once (a request reaching an outcome, a run ending), not
 * poll passes.
 *
 * Metrics are approximate: a billed amount is exact decimal text in the run
 * ledger and the report, and becomes a float here only to be graphed. The
 * report is the exact source; never reconcile against `/metrics`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunRecord } from '../app/usage/ports.js';
import { packageVersion } from '../config/load.js';

export interface ConnectorMetricsOptions {
  /** Also collect Node's process metrics (CPU, memory, event loop lag) into this registry. Default true. */
  defaultMetrics?: boolean;
  /** `native_rating_build_info{version}`. Default: the version in this package's package.json. */
  version?: string;
}

/**
 * prom-client's default gauges whose names end in `_total` (a counter's suffix):
 * promtool refuses them. Their per-type gauges (`nodejs_active_handles{type}`, …)
 * stay and add up to the same numbers.
 */
export const DROPPED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

/** Month runs take minutes to hours: 1 s to 4 h. */
export const RUN_DURATION_BUCKETS_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];
/** A poll cycle lists the pending requests and handles them: 0.1 s to 10 min. */
export const CYCLE_DURATION_BUCKETS_SECONDS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** How many request ids `requestHandled` remembers (the oldest is forgotten first). */
export const REMEMBERED_REQUESTS = 10_000;

/** Counters, gauges and histograms of runs, uploaded records, billed amounts, order requests, cycles and errors. */
export class ConnectorMetrics {
  /** This instance's own registry: what `text()` renders. */
  readonly registry = new Registry();
  /** The `Content-Type` of `text()`: Prometheus text exposition 0.0.4. */
  readonly contentType: string = this.registry.contentType;

  private readonly buildInfo = new Gauge({
    name: 'native_rating_build_info',
    help: 'Always 1; the labels name the connector version and the Node.js version running it.',
    labelNames: ['version', 'node'] as const,
    registers: [this.registry],
  });

  private readonly runs = new Counter({
    name: 'native_rating_runs_total',
    help: 'Month runs of a payer that ended, by outcome (succeeded, failed, interrupted).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly runDuration = new Histogram({
    name: 'native_rating_run_duration_seconds',
    help: 'How long a month run of a payer took, by outcome (succeeded, failed, interrupted).',
    labelNames: ['outcome'] as const,
    buckets: RUN_DURATION_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  private readonly lastSuccess = new Gauge({
    name: 'native_rating_last_success_timestamp_seconds',
    help: 'When the last succeeded live month run of each payer ended (Unix time, seconds).',
    labelNames: ['payer'] as const,
    registers: [this.registry],
  });

  private readonly records = new Counter({
    name: 'native_rating_records_total',
    help: 'Usage records uploaded by succeeded live runs, by payer account.',
    labelNames: ['payer'] as const,
    registers: [this.registry],
  });

  private readonly billed = new Gauge({
    name: 'native_rating_billed_amount',
    help: 'Billed amount of the last succeeded live run, by payer and currency. Approximate (a float); the report holds the exact amount.',
    labelNames: ['payer', 'currency'] as const,
    registers: [this.registry],
  });

  private readonly requests = new Counter({
    name: 'native_rating_requests_total',
    help: 'Order requests that reached an outcome (approved, failed, pending, inquiring, skipped, error), each request counted once per outcome, not per poll.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly cycleDuration = new Histogram({
    name: 'native_rating_cycle_duration_seconds',
    help: 'How long a poll cycle of the order side took (list the pending requests, handle them).',
    buckets: CYCLE_DURATION_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  private readonly errors = new Counter({
    name: 'native_rating_errors_total',
    help: 'Errors reported, by ConnectorError code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  private readonly findings = new Gauge({
    name: 'native_rating_audit_findings',
    help: 'Findings of the last audit of each payer, by rule and severity.',
    labelNames: ['payer', 'rule', 'severity'] as const,
    registers: [this.registry],
  });

  /** Label sets set per payer, so a new audit can zero the rules that no longer fire. */
  private readonly findingLabels = new Map<string, Array<{ payer: string; rule: string; severity: string }>>();
  /** The last outcome counted of each request id (insertion order: the oldest first). */
  private readonly requestOutcomes = new Map<string, string>();
  /** Each payer's last success as set, in seconds: an older time never replaces a later one. */
  private readonly lastSuccessSeconds = new Map<string, number>();

  constructor(options: ConnectorMetricsOptions = {}) {
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      for (const name of DROPPED_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
    }
    this.buildInfo.set({ version: options.version ?? packageVersion(), node: process.version }, 1);
  }

  /**
   * Records a run that ended: counts it by outcome, and observes its duration
   * when given (seconds, from the caller's clock). A succeeded live run also
   * adds its records to the payer's count, sets the payer's billed amount and
   * its last success (the run's `updatedAt`). A dry run changes none of those.
   */
  runFinished(run: RunRecord, durationSeconds?: number): void {
    this.runs.inc({ outcome: run.outcome });
    if (durationSeconds !== undefined && Number.isFinite(durationSeconds) && durationSeconds >= 0) this.runDuration.observe({ outcome: run.outcome }, durationSeconds);
    if (run.outcome !== 'succeeded' || run.dryRun) return;
    this.lastSucceeded(run.payerAccountId, new Date(run.updatedAt));
    if (run.records !== undefined && run.records > 0) this.records.inc({ payer: run.payerAccountId }, run.records);
    if (run.billedTotal !== undefined) {
      // Metrics only: a float for graphs. The exact amount stays text in the ledger and the report.
      const approximate = Number(run.billedTotal);
      if (Number.isFinite(approximate)) this.billed.set({ payer: run.payerAccountId, currency: run.currency ?? 'unknown' }, approximate);
    }
  }

  /**
   * Sets a payer's last success to `at`, unless it already holds a later time
   * (the daemon seeds it at start from the run ledger). An invalid date is ignored.
   */
  lastSucceeded(payer: string, at: Date): void {
    const seconds = at.getTime() / 1000;
    if (!Number.isFinite(seconds)) return;
    const known = this.lastSuccessSeconds.get(payer);
    if (known !== undefined && known >= seconds) return;
    this.lastSuccessSeconds.set(payer, seconds);
    this.lastSuccess.set({ payer }, seconds);
  }

  /** Replaces a payer's audit findings (the last audit wins). */
  auditFindings(payer: string, findings: ReadonlyArray<{ rule: string; severity: string }>): void {
    for (const old of this.findingLabels.get(payer) ?? []) this.findings.set(old, 0);
    const counts = new Map<string, { rule: string; severity: string; n: number }>();
    for (const f of findings) {
      const key = `${f.rule}/${f.severity}`;
      counts.set(key, { rule: f.rule, severity: f.severity, n: (counts.get(key)?.n ?? 0) + 1 });
    }
    const labels = [...counts.values()].map((c) => ({ payer, rule: c.rule, severity: c.severity }));
    labels.forEach((l, i) => this.findings.set(l, [...counts.values()][i]?.n ?? 0));
    this.findingLabels.set(payer, [...(this.findingLabels.get(payer) ?? []), ...labels]);
  }

  /**
   * Counts an order request reaching `outcome` (e.g. `approved`, `failed`,
   * `pending`). With its `requestId`, a request seen again with the same
   * outcome (a pending request, polled every cycle) is not counted again; a
   * new outcome is. The last `REMEMBERED_REQUESTS` ids are remembered. Without
   * an id, every call counts.
   */
  requestHandled(outcome: string, requestId?: string): void {
    if (requestId !== undefined) {
      if (this.requestOutcomes.get(requestId) === outcome) return;
      this.requestOutcomes.delete(requestId);
      this.requestOutcomes.set(requestId, outcome);
      if (this.requestOutcomes.size > REMEMBERED_REQUESTS) {
        const oldest = this.requestOutcomes.keys().next();
        if (!oldest.done) this.requestOutcomes.delete(oldest.value);
      }
    }
    this.requests.inc({ outcome });
  }

  /** Observes one poll cycle's duration, in seconds. */
  cycleFinished(seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0) this.cycleDuration.observe(seconds);
  }

  /** Counts one error by its `ConnectorError` code. */
  error(code: string): void {
    this.errors.inc({ code });
  }

  /** The registry in Prometheus text format (serve with `contentType`). */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
