/**
 * `/metrics` as Prometheus's own linter reads it: a populated registry (runs of
 * each outcome, findings, requests, errors, cycles, Node's default metrics)
 * served by the admin endpoint, piped to `promtool check metrics`.
 *
 * promtool comes from Debian's `prometheus` package (`apt-get install -y
 * prometheus`, /usr/bin/promtool); without it this test fails, saying so.
 */
import { spawnSync } from 'node:child_process';
import { Gauge } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminServer } from '../../src/daemon/admin-server.js';
import { ConnectorMetrics } from '../../src/daemon/metrics.js';
import { runRecord as run } from '../support/run-record.js';

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

/** `promtool check metrics` on `text`: its exit status and what it said. */
function promtoolCheck(text: string): { status: number | null; output: string } {
  const found = spawnSync(PROMTOOL, ['--version'], { encoding: 'utf8' });
  if (found.error !== undefined || found.status !== 0) {
    throw new Error(`promtool is not installed (${PROMTOOL}: ${found.error?.message ?? found.stderr}): install Debian's prometheus package (apt-get install -y prometheus), or set PROMTOOL to its path`);
  }
  const checked = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: checked.status, output: `${checked.stdout}${checked.stderr}`.trim() };
}

let server: AdminServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('/metrics under promtool check metrics', () => {
  it('passes with every metric populated, Node\'s default metrics included', async () => {
    const metrics = new ConnectorMetrics();
    metrics.runFinished(run({ records: 12, billedTotal: '1234.56', currency: 'EUR' }), 95);
    metrics.runFinished(run({ outcome: 'failed', step: 'rated', error: 'PLATFORM_RESPONSE: refused' }), 30);
    metrics.runFinished(run({ outcome: 'interrupted', step: 'uploaded', payerAccountId: '210987654321' }), 4);
    metrics.lastSucceeded('210987654321', new Date('2026-02-05T00:00:00Z'));
    metrics.auditFindings('123456789012', [
      { rule: 'plan-mismatch', severity: 'warning' },
      { rule: 'email-domain', severity: 'error' },
    ]);
    for (const [outcome, id] of [['approved', 'PR-1'], ['pending', 'PR-2'], ['failed', 'PR-3'], ['error', 'PR-4']] as const) metrics.requestHandled(outcome, id);
    metrics.error('AWS_THROTTLED');
    metrics.error('PLATFORM_HTTP');
    metrics.cycleFinished(0.4);
    metrics.cycleFinished(12);
    server = await startAdminServer({ metrics, runs: () => [], ready: () => ({ ok: true, reasons: [] }), reprocess: async () => ({}) });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    for (const name of ['native_rating_build_info', 'native_rating_run_duration_seconds_bucket', 'native_rating_cycle_duration_seconds_count', 'native_rating_last_success_timestamp_seconds', 'native_rating_billed_amount', 'process_cpu_user_seconds_total', 'nodejs_heap_space_size_used_bytes']) {
      expect(text).toContain(name);
    }
    const checked = promtoolCheck(text);
    expect(checked).toEqual({ status: 0, output: '' });
  });

  it('would catch a gauge named like a counter (the check can fail)', async () => {
    const metrics = new ConnectorMetrics({ defaultMetrics: false });
    new Gauge({ name: 'native_rating_billed_total', help: 'The old name of the billed amount.', registers: [metrics.registry] }).set(1);
    const checked = promtoolCheck(await metrics.text());
    expect(checked.status).not.toBe(0);
    expect(checked.output).toContain('native_rating_billed_total non-counter metrics should not have "_total" suffix');
  });
});
