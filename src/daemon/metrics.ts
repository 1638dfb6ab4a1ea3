/**
 * The connector's Prometheus metrics, on a registry of its own (never
 * prom-client's global default registry, so two instances, or a test next to
 * the daemon, never collide on metric names).
 *
 * Metrics are approximate: a billed total is exact decimal text in the run
 * ledger and the report, and becomes a float here only to be graphed. The
 * report is the exact source; never reconcile against `/metrics`.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { RunRecord } from '../app/usage/ports.js';

export interface ConnectorMetricsOptions {
  /** Also collect Node's process metrics (CPU, memory, event loop lag) into this registry. Default true. */
  defaultMetrics?: boolean;
}

/** Counters and gauges of runs, uploaded records, billed totals, order requests and errors. */
export class ConnectorMetrics {
  /** This instance's own registry: what `text()` renders. */
  readonly registry = new Registry();
  /** The `Content-Type` of `text()`: Prometheus text exposition 0.0.4. */
  readonly contentType: string = this.registry.contentType;

  private readonly runs = new Counter({
    name: 'native_rating_runs_total',
    help: 'Monthly runs finished, by outcome (succeeded, failed).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly records = new Counter({
    name: 'native_rating_records_total',
    help: 'Usage records uploaded by succeeded runs, by payer account.',
    labelNames: ['payer'] as const,
    registers: [this.registry],
  });

  private readonly billed = new Gauge({
    name: 'native_rating_billed_total',
    help: 'Billed total of the last succeeded run, by payer and currency. Approximate (a float); the report holds the exact amount.',
    labelNames: ['payer', 'currency'] as const,
    registers: [this.registry],
  });

  private readonly requests = new Counter({
    name: 'native_rating_requests_total',
    help: 'Order requests handled by the poll loop, by outcome.',
    labelNames: ['outcome'] as const,
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

  constructor(options: ConnectorMetricsOptions = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Records a run that ended: counts it by outcome; for a succeeded run, adds its
   * records to the payer's count and sets the payer's billed-total gauge.
   */
  runFinished(run: RunRecord): void {
    this.runs.inc({ outcome: run.outcome });
    if (run.outcome !== 'succeeded') return;
    if (run.records !== undefined && run.records > 0) this.records.inc({ payer: run.payerAccountId }, run.records);
    if (run.billedTotal !== undefined) {
      // Metrics only: a float for graphs. The exact amount stays text in the ledger and the report.
      const approximate = Number(run.billedTotal);
      if (Number.isFinite(approximate)) this.billed.set({ payer: run.payerAccountId, currency: run.currency ?? 'unknown' }, approximate);
    }
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

  /** Counts one order request handled, by its outcome (e.g. `approved`, `failed`, `pending`). */
  requestHandled(outcome: string): void {
    this.requests.inc({ outcome });
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
