import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConnectorMetrics, DROPPED_DEFAULT_METRICS } from '../../src/daemon/metrics.js';
import { runRecord as run } from '../support/run-record.js';

// Prometheus reads NaN and Inf case-insensitively (Go's ParseFloat); prom-client writes `Nan`.
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+-]+|[Nn][Aa][Nn]|[+-]?[Ii]nf)$/;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text; throws on any line that is neither a comment nor a sample. */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1] ?? '', type[2] ?? '');
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample: ${line}`);
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return { types, samples };
}

const value = (samples: Sample[], name: string, labels: Record<string, string>): number | undefined =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('ConnectorMetrics', () => {
  it('renders Prometheus text with a TYPE line for each metric', async () => {
    const metrics = new ConnectorMetrics();
    metrics.runFinished(run({ records: 3, billedTotal: '10.50', currency: 'USD' }));
    const { types } = parsePrometheus(await metrics.text());
    expect(Object.fromEntries([...types].filter(([name]) => name.startsWith('native_rating_')))).toEqual({
      native_rating_build_info: 'gauge',
      native_rating_runs_total: 'counter',
      native_rating_run_duration_seconds: 'histogram',
      native_rating_last_success_timestamp_seconds: 'gauge',
      native_rating_records_total: 'counter',
      native_rating_billed_amount: 'gauge',
      native_rating_requests_total: 'counter',
      native_rating_cycle_duration_seconds: 'histogram',
      native_rating_errors_total: 'counter',
      native_rating_audit_findings: 'gauge',
    });
    expect(types.has('process_cpu_user_seconds_total')).toBe(true);
  });

  it('names no gauge with a counter\'s _total suffix, its own or Node\'s default ones', async () => {
    const { types } = parsePrometheus(await new ConnectorMetrics().text());
    expect([...types].filter(([name, type]) => type !== 'counter' && name.endsWith('_total'))).toEqual([]);
    for (const dropped of DROPPED_DEFAULT_METRICS) expect(types.has(dropped)).toBe(false);
    expect(types.get('nodejs_active_handles')).toBe('gauge');
  });

  it('sets native_rating_build_info to 1 with the package version and the Node.js version', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const { samples } = parsePrometheus(await new ConnectorMetrics({ defaultMetrics: false }).text());
    expect(samples.filter((s) => s.name === 'native_rating_build_info')).toEqual([{ name: 'native_rating_build_info', labels: { version: pkg.version, node: process.version }, value: 1 }]);
  });

  it('counts runs by outcome and records of succeeded runs by payer', async () => {
    const metrics = new ConnectorMetrics({ defaultMetrics: false });
    metrics.runFinished(run({ records: 3 }));
    metrics.runFinished(run({ records: 4, version: 2 }));
    metrics.runFinished(run({ outcome: 'failed', records: 99, error: 'PLATFORM_HTTP' }));
    const { samples } = parsePrometheus(await metrics.text());
    expect(value(samples, 'native_rating_runs_total', { outcome: 'succeeded' })).toBe(2);
    expect(value(samples, 'native_rating_runs_total', { outcome: 'failed' })).toBe(1);
    expect(value(samples, 'native_rating_records_total', { payer: '123456789012' })).toBe(7);
  });

  it('sets the billed amount to the last succeeded run, by payer and currency', async () => {
    const metrics = new ConnectorMetrics({ defaultMetrics: false });
    metrics.runFinished(run({ billedTotal: '1234.56', currency: 'USD' }));
    metrics.runFinished(run({ billedTotal: '999.99', currency: 'USD', version: 2 }));
    metrics.runFinished(run({ payerAccountId: '210987654321', billedTotal: '-12.5', currency: 'EUR' }));
    const { samples } = parsePrometheus(await metrics.text());
    expect(value(samples, 'native_rating_billed_amount', { payer: '123456789012', currency: 'USD' })).toBe(999.99);
    expect(value(samples, 'native_rating_billed_amount', { payer: '210987654321', currency: 'EUR' })).toBe(-12.5);
  });

  it('leaves the billed amount alone for a failed run', async () => {
    const metrics = new ConnectorMetrics({ defaultMetrics: false });
    metrics.runFinished(run({ outcome: 'failed', billedTotal: '5.00', currency: 'USD' }));
    const { samples } = parsePrometheus(await metrics.text());
    expect(value(samples, 'native_rating_billed_amount', { payer: '123456789012' })).toBeUndefined();
  });

  it('counts a succeeded dry run as a run but leaves the records, billed amount and last success alone', async () => {
    const metrics = new ConnectorMetrics({ defaultMetrics: false });
    metrics.runFinished(run({ dryRun: true, records: 3, billedTotal: '10.00', currency: 'USD' }));
    const { samples } = parsePrometheus(await metrics.text());
    expect(value(samples, 'native_rating_runs_total', { outcome: 'succeeded' })).toBe(1);
    expect(samples.filter((s) => ['native_rating_records_total', 'native_rating_billed_amount', 'native_rating_last_success_timestamp_seconds'].includes(s.name))).toEqual([]);
  });

  it('observes run durations by outcome in a seconds histogram', async () => {
    const metrics = new ConnectorMetrics({ defaultMetrics: false });
    metrics.runFinished(run({}), 90);
    metrics.runFinished(run({ version: 2 }), 4000);
    metrics.runFinished(run({ outcome: 'failed' }), 2);
    metrics.runFinished(run({ outcome: 'interrupted' }));
    const { samples } = parsePrometheus(await metrics.text());
    const name = 'native_rating_run_duration_seconds';
    expect(value(samples, `${name}_count`, { outcome: 'succeeded' })).toBe(2);
    expect(value(samples, `${name}_sum`, { outcome: 'succeeded' })).toBe(4090);
    expect(value(samples, `${name}_bucket`, { outcome: 'succeeded', le: '120' })).toBe(1);
    expect(value(samples, `${name}_bucket`, { outcome: 'succeeded', le: '7200' })).toBe(2);
    expect(value(samples, `${name}_count`, { outcome: 'failed' })).toBe(1);
    // A run without a duration is counted, not timed.
    expect(value(samples, 'native_rating_runs_total', { outcome: 'interrupted' })).toBe(1);
    expect(value(samples, `${name}_count`, { outcome: 'interrupted' })).toBeUndefined();
  });

  it('sets a payer\'s last success to when its last succeeded live run ended, never back to an earlier time', async () => {
    const metrics = new ConnectorMetrics({ defaultMetrics: false });
    metrics.runFinished(run({ updatedAt: '2026-03-05T00:10:00.000Z' }));
    metrics.lastSucceeded('123456789012', new Date('2026-02-05T00:00:00.000Z'));
    metrics.runFinished(run({ outcome: 'failed', updatedAt: '2026-04-05T00:00:00.000Z' }));
    metrics.lastSucceeded('210987654321', new Date('2026-02-05T00:00:00.000Z'));
    const { samples } = parsePrometheus(await metrics.text());
    expect(value(samples, 'native_rating_last_success_timestamp_seconds', { payer: '123456789012' })).toBe(Date.parse('2026-03-05T00:10:00.000Z') / 1000);
    expect(value(samples, 'native_rating_last_success_timestamp_seconds', { payer: '210987654321' })).toBe(Date.parse('2026-02-05T00:00:00.000Z') / 1000);
  });

  it('counts a request once per outcome it reaches, not once per poll', async () => {
    const metrics = new ConnectorMetrics({ defaultMetrics: false });
    for (let cycle = 0; cycle < 3; cycle += 1) metrics.requestHandled('pending', 'PR-1');
    metrics.requestHandled('approved', 'PR-1');
    metrics.requestHandled('pending', 'PR-2');
    const { samples } = parsePrometheus(await metrics.text());
    expect(value(samples, 'native_rating_requests_total', { outcome: 'pending' })).toBe(2);
    expect(value(samples, 'native_rating_requests_total', { outcome: 'approved' })).toBe(1);
  });

  it('observes poll cycle durations in a seconds histogram', async () => {
    const metrics = new ConnectorMetrics({ defaultMetrics: false });
    metrics.cycleFinished(0.2);
    metrics.cycleFinished(3);
    metrics.cycleFinished(Number.NaN);
    const { samples } = parsePrometheus(await metrics.text());
    expect(value(samples, 'native_rating_cycle_duration_seconds_count', {})).toBe(2);
    expect(value(samples, 'native_rating_cycle_duration_seconds_sum', {})).toBe(3.2);
    expect(value(samples, 'native_rating_cycle_duration_seconds_bucket', { le: '0.25' })).toBe(1);
  });

  it('counts order requests by outcome and errors by code', async () => {
    const metrics = new ConnectorMetrics({ defaultMetrics: false });
    metrics.requestHandled('approved');
    metrics.requestHandled('approved');
    metrics.requestHandled('failed');
    metrics.error('AWS_THROTTLED');
    const { samples } = parsePrometheus(await metrics.text());
    expect(value(samples, 'native_rating_requests_total', { outcome: 'approved' })).toBe(2);
    expect(value(samples, 'native_rating_requests_total', { outcome: 'failed' })).toBe(1);
    expect(value(samples, 'native_rating_errors_total', { code: 'AWS_THROTTLED' })).toBe(1);
  });

  it('keeps each instance on its own registry', async () => {
    const a = new ConnectorMetrics({ defaultMetrics: false });
    const b = new ConnectorMetrics({ defaultMetrics: false });
    a.error('IO');
    expect(value(parsePrometheus(await b.text()).samples, 'native_rating_errors_total', { code: 'IO' })).toBeUndefined();
  });

  it('names the Prometheus text content type', () => {
    expect(new ConnectorMetrics({ defaultMetrics: false }).contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});

describe('ConnectorMetrics.auditFindings()', () => {
  it('counts the last audit of a payer by rule and severity, zeroing rules that no longer fire', async () => {
    const { ConnectorMetrics } = await import('../../src/daemon/metrics.js');
    const metrics = new ConnectorMetrics({ defaultMetrics: false });
    metrics.auditFindings('111111111111', [
      { rule: 'plan-mismatch', severity: 'warning' },
      { rule: 'plan-mismatch', severity: 'warning' },
      { rule: 'email-domain', severity: 'error' },
    ]);
    metrics.auditFindings('111111111111', [{ rule: 'plan-mismatch', severity: 'warning' }]);
    const text = await metrics.text();
    expect(text).toContain('native_rating_audit_findings{payer="111111111111",rule="plan-mismatch",severity="warning"} 1');
    expect(text).toContain('native_rating_audit_findings{payer="111111111111",rule="email-domain",severity="error"} 0');
  });
});
