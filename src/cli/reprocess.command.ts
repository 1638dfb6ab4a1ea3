/**
 * `npx native-rating reprocess --period 2026-10 --payer 111111111111 [--dry-run] ...`:
 * rates the month again into a new version (`<out>/<payer>/<period>/v<N>/`)
 * through the one month use case, then shows and stores (`diff.json`) what
 * changed against the previous version of the same kind (live or dry, from the
 * run ledger), per account and service, with the cause. Without `--dry-run` the
 * new usage file replaces the previous one where the platform still allows.
 */
import { reprocessMonth, type ReprocessOutcome } from '../app/usage/run-month.js';
import type { PayerConfig } from '../config/schema.js';
import type { ReportDiff } from '../domain/report-diff.js';
import { prepareMonthCommand, type CommandIo, type MonthEnvironment, type RateOptions } from './rate.command.js';
import { monthTable, payerDetails } from './summary.js';
import { renderTable } from './table.js';

export interface ReprocessOptions extends Omit<RateOptions, 'payer'> {
  payer: string;
  /** What started it (`cli`, `admin`). */
  trigger?: string;
}

export function diffText(diff: ReportDiff, from: number, to: number): string {
  const lines = [`Changes v${from} → v${to} of payer ${diff.payerAccountId} · ${diff.period} · ${diff.currency}`];
  for (const change of diff.changes) lines.push(`  ${change}`);
  lines.push(`  billed ${diff.oldTotal} → ${diff.newTotal} (${diff.delta.startsWith('-') ? '' : '+'}${diff.delta})`);
  if (diff.rows.length === 0) return `${lines.join('\n')}\n  no record changed\n`;
  const table = renderTable(
    [{ header: 'account' }, { header: 'service' }, { header: 'old', align: 'right' }, { header: 'new', align: 'right' }, { header: 'change', align: 'right' }, { header: 'cause' }],
    diff.rows.map((r) => [r.accountId, r.service, r.oldBilled || '-', r.newBilled || '-', r.delta, r.causes.join(', ')]),
  );
  return `${lines.join('\n')}\n${table}\n`;
}

/** Whether a reprocess went as asked: a new version, rated (and uploaded). */
export const reprocessOk = (outcome: ReprocessOutcome<PayerConfig>): boolean => outcome.result.kind === 'done';

/** Runs the command; returns the outcome (the caller decides the exit code). */
export async function runReprocess(options: ReprocessOptions, io: CommandIo, env: MonthEnvironment, signal: AbortSignal = new AbortController().signal): Promise<ReprocessOutcome<PayerConfig>> {
  const { loaded, runtime, input } = await prepareMonthCommand(options, io, env, signal);
  try {
    const outcome = await reprocessMonth(runtime.deps, { ...input, trigger: options.trigger ?? 'cli' });
    if (io.stderrIsTty) io.stderr('\r\u001b[K');
    if (options.json) {
      io.stdout(`${JSON.stringify({ payer: outcome.payer.accountId, previousVersion: outcome.previousVersion, ...outcome.result, diff: outcome.diff, diffPath: outcome.diffPath }, null, 2)}\n`);
      return outcome;
    }
    const details = payerDetails(outcome, options.period, loaded.config.rating.amountDecimals);
    if (details !== '') io.stdout(`${details}\n\n`);
    io.stdout(`${monthTable([outcome], options.period, options.dryRun === true)}\n`);
    if (outcome.diff) io.stdout(`\n${diffText(outcome.diff, outcome.previousVersion, outcome.result.run.version)}  diff: ${outcome.diffPath ?? ''}\n`);
    else if (outcome.noDiff) io.stdout(`\n${outcome.noDiff}\n`);
    return outcome;
  } finally {
    runtime.close();
  }
}
