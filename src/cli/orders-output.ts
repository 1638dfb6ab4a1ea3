/** What `process` and `daemon` print for people: a line per request, a count per outcome. */
import type { RequestResult } from '../app/orders/fulfil-request.js';
import type { CycleResult } from '../app/orders/process-cycle.js';

const KINDS = ['approved', 'pending', 'inquiring', 'failed', 'error', 'skipped'] as const;

/** `PR-…  purchase  approved  approve  account 123… in ou-…` (fixed-width first columns). */
export function resultLine(result: RequestResult): string {
  return `${result.requestId.padEnd(24)} ${result.type.padEnd(18)} ${result.kind.padEnd(9)} ${result.step.padEnd(20)} ${result.message}\n`;
}

export function cycleSummary(result: CycleResult, seconds: number): string {
  const all = [...result.tierConfigs, ...result.requests];
  const counts = KINDS.map((k) => [k, all.filter((r) => r.kind === k).length] as const).filter(([, n]) => n > 0);
  const parts = counts.map(([k, n]) => `${n} ${k}`);
  const lines = [`cycle: ${all.length} request(s) in ${seconds.toFixed(1)} s${parts.length ? `: ${parts.join(', ')}` : ''}`];
  if (result.notStarted > 0) lines.push(`  ${result.notStarted} listed but not started (stopping)`);
  for (const e of result.listErrors) lines.push(`  could not read ${e.what}: ${e.message}`);
  return `${lines.join('\n')}\n`;
}
