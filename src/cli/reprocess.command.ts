/**
 * `npx native-rating reprocess --period 2026-10 --payer 111111111111 --dry-run ...`:
 * rates the month again into a new version (`<out>/<payer>/<period>/v<N>/`), then
 * shows and stores (`diff.json`) what changed against the previous version, per
 * account and service, with the cause. The earlier versions stay as they were.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { versionFolder } from '../adapters/files/run-output.js';
import { ConnectorError } from '../domain/errors.js';
import { diffReports, type DiffReport, type ReportDiff } from '../domain/report-diff.js';
import { runMonthCommand, type MonthRunEnv } from './month.command.js';
import { runRate, type CommandIo, type RateOptions } from './rate.command.js';
import { renderTable } from './table.js';

export interface ReprocessOptions extends Omit<RateOptions, 'version' | 'payer'> {
  payer: string;
}

export interface ReprocessResult {
  version: number;
  previousVersion: number;
  diff?: ReportDiff;
  diffPath?: string;
  ok: boolean;
}

/** The highest version with a report of this payer and period under `out` (0 when none). */
export function latestVersion(out: string, payer: string, period: string): number {
  let latest = 0;
  for (let v = 1; v < 1000; v += 1) {
    if (existsSync(join(versionFolder(out, payer, period, v), 'report.json'))) latest = v;
    else if (v > 1) break;
  }
  return latest;
}

async function readReport(path: string): Promise<DiffReport & { status?: string }> {
  return JSON.parse(await readFile(path, 'utf8')) as DiffReport & { status?: string };
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

/** Compares two versions' reports, prints the diff and stores it beside the newer one. */
async function showDiff(out: string, payer: string, period: string, from: number, to: number, io: CommandIo): Promise<{ diff?: ReportDiff; diffPath?: string }> {
  const fromPath = join(versionFolder(out, payer, period, from), 'report.json');
  const toPath = join(versionFolder(out, payer, period, to), 'report.json');
  if (!existsSync(fromPath) || !existsSync(toPath)) return {};
  const before = await readReport(fromPath);
  if (before.status !== 'ok') {
    io.stdout(`\nVersion ${from} had failed: nothing to compare against.\n`);
    return {};
  }
  const diff = diffReports(before, await readReport(toPath));
  const diffPath = join(versionFolder(out, payer, period, to), 'diff.json');
  await writeFile(diffPath, `${JSON.stringify({ from, to, ...diff }, null, 2)}\n`, 'utf8');
  io.stdout(`\n${diffText(diff, from, to)}  diff: ${diffPath}\n`);
  return { diff, diffPath };
}

/**
 * A new version through the run ledger (the CUR from Athena, or `--cur`), with
 * the diff against the previous version; without `dryRun` it replaces the
 * platform's file where it still may. The CLI and the admin endpoint use this.
 */
export async function reprocessMonth(options: ReprocessOptions & { trigger?: string }, io: CommandIo, env: MonthRunEnv, signal?: AbortSignal): Promise<ReprocessResult> {
  const [entry] = await runMonthCommand({ ...options, reprocess: true }, io, env, signal);
  const run = entry?.result.run;
  if (!entry || !run || entry.result.kind !== 'done') return { version: run?.version ?? 0, previousVersion: (run?.version ?? 1) - 1, ok: false };
  const shown = await showDiff(options.out, options.payer, options.period, run.version - 1, run.version, io);
  return { version: run.version, previousVersion: run.version - 1, ...shown, ok: true };
}

export async function runReprocess(options: ReprocessOptions, io: CommandIo, signal?: AbortSignal, env?: MonthRunEnv): Promise<ReprocessResult> {
  if (options.dryRun !== true || options.cur === undefined) {
    if (!env) throw new ConnectorError('INTERNAL', 'reprocess through the run ledger needs the environment');
    return reprocessMonth(options, io, env, signal);
  }
  if (!/^\d{12}$/.test(options.payer)) throw new ConnectorError('CONFIG_INVALID', `--payer ${JSON.stringify(options.payer)} is not a 12-digit account id`, { where: { setting: '--payer', value: options.payer } });
  const previousVersion = latestVersion(options.out, options.payer, options.period);
  if (previousVersion === 0) {
    throw new ConnectorError('CONFIG_INVALID', `no earlier version of payer ${options.payer} ${options.period} in ${options.out}: run \`rate\` first, then reprocess`, {
      where: { file: options.out, payer: options.payer },
    });
  }
  const version = previousVersion + 1;
  const result = await runRate({ ...options, version }, io, signal);
  const outcome = result.payers.find((p) => p.payerAccountId === options.payer);
  if (!outcome?.ok || !outcome.reportPath) return { version, previousVersion, ok: false };
  const shown = await showDiff(options.out, options.payer, options.period, previousVersion, version, io);
  return { version, previousVersion, ...shown, ok: true };
}
