/** Runs the rate command in-process with captured output, on temp folders. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { runRate, type RateOptions } from '../../src/cli/rate.command.js';
import type { ReportError } from '../../src/app/report.js';
import type { RatedPayerSummary } from '../../src/domain/rating.js';
import { coerceError, type ConnectorError } from '../../src/domain/errors.js';
import type { MonthPayerResult } from '../../src/app/usage/run-month.js';
import type { PayerConfig } from '../../src/config/schema.js';

export const FIXED_NOW = new Date('2026-11-05T00:00:00Z');

/** One payer's month as the tests read it. */
export interface PayerOutcome {
  payerAccountId: string;
  /** Rated (and uploaded, for a live run). */
  ok: boolean;
  kind: string;
  rated?: RatedPayerSummary;
  records?: number;
  /** The rating's refusals, or the error the run ended with. */
  errors: ReportError[];
  error?: ConnectorError;
  workbookPath?: string;
  reportPath?: string;
}

export interface CliRun {
  /** `rowsRead`: CUR rows of the payers rated in this run. */
  result?: { payers: PayerOutcome[]; results: Array<MonthPayerResult<PayerConfig>>; rowsRead: number };
  error?: ConnectorError;
  stdout: string;
  stderr: string;
}

export async function tempDir(prefix = 'nr-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function writeJson(dir: string, name: string, value: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(value, null, 2));
  return path;
}

/** A month result in the tests' terms. */
export function payerOutcome({ payer, result }: MonthPayerResult<PayerConfig>): PayerOutcome {
  const rating = 'rating' in result ? result.rating : undefined;
  const error = result.kind === 'failed' || result.kind === 'interrupted' ? result.error : undefined;
  const errors = rating?.errors.length ? rating.errors : error ? [{ code: error.code, message: error.message, where: error.where }] : [];
  return {
    payerAccountId: payer.accountId,
    ok: result.kind === 'done',
    kind: result.kind,
    ...(rating?.rated ? { rated: rating.rated, records: rating.records ?? 0 } : {}),
    errors,
    ...(error ? { error } : {}),
    ...(result.run.workbookPath && result.kind === 'done' ? { workbookPath: result.run.workbookPath } : {}),
    ...(result.run.reportPath ? { reportPath: result.run.reportPath } : {}),
  };
}

/**
 * Where `runCli` keeps the state database unless told: beside `out` (a second
 * run on the same `out`, e.g. a reprocess, finds the ledger there), except when
 * `out` is a temp folder straight in the system's temp folder: beside it would
 * be one `/tmp/state.db` for every test and every run at once, so it is then
 * `<out>.state.db`, as unique as `out`.
 */
export function defaultStatePath(out: string): string {
  const folder = resolve(out);
  return dirname(folder) === resolve(tmpdir()) ? `${folder}.state.db` : join(dirname(folder), 'state.db');
}

/**
 * Runs `rate` (a dry run unless told) with the given options and a state
 * database beside `out` (see `defaultStatePath`); never throws (the error is returned).
 */
export async function runCli(options: Partial<RateOptions> & { config: string; out: string }): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), stderrIsTty: false, now: () => FIXED_NOW, sleep: async () => undefined };
  try {
    const results = await runRate({ period: '2026-10', dryRun: true, statePath: defaultStatePath(options.out), ...options }, io, { variables: {} });
    const rowsRead = results.reduce((n, { result }) => n + (('rating' in result ? result.rating?.rowsRead : undefined) ?? 0), 0);
    return { result: { payers: results.map(payerOutcome), results, rowsRead }, stdout, stderr };
  } catch (error) {
    return { error: coerceError(error), stdout, stderr };
  }
}

/** The error a run ended with: the command's own, else the first payer's. */
export function failureOf(run: CliRun): ConnectorError | undefined {
  return run.error ?? run.result?.payers.find((p) => p.error !== undefined)?.error;
}
