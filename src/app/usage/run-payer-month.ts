/**
 * The monthly job for one payer (issue 4): start (or resume) a run in the ledger,
 * rate the month from the payer's CUR source into this version's workbook and
 * report, then take the workbook to a submitted usage file. The schedule, the
 * CLI and the admin endpoint all call this; a crash at any step resumes at the
 * next one, and a payer and period never has two runs at once.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { coerceError, ConnectorError } from '../../domain/errors.js';
import { rateMonth, type RateMonthDeps, type RateMonthInput, type RunOutput } from '../rate-month.js';
import type { CurSource } from '../ports.js';
import { RUN_STEPS, type RunLedger, type RunRecord, type RunStep, type UsageFile, type UsageFilesPort } from './ports.js';
import { uploadUsageFile, type UploadUsageFileResult } from './upload-usage-file.js';

export interface PayerMonthDeps {
  ledger: RunLedger;
  /** Absent for a dry run: nothing is uploaded. */
  files?: UsageFilesPort;
  /** The payer's CUR for this version (Athena, or local files in a dry run). */
  cur: (payerAccountId: string, version: number) => CurSource;
  /** Where this version's workbook and report go. */
  output: (version: number) => RunOutput;
  rating: Omit<RateMonthDeps, 'cur' | 'output'>;
  clock: { now(): Date };
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  readWorkbook(path: string): Promise<Uint8Array>;
  /** Told each time the platform shows the usage file in a new status. */
  onFileStatus?: (file: UsageFile) => void;
}

export interface PayerMonthInput {
  payerAccountId: string;
  period: string;
  /** What started it: `schedule`, `catch-up`, `cli`, `admin`. */
  trigger: string;
  /** A reprocess: always a new version, replacing the previous file where the platform allows. */
  reprocess: boolean;
  /** The rating input for this payer (settings, catalog, items...); `onlyPayer` is set here. */
  rating: Omit<RateMonthInput, 'onlyPayer' | 'signal'>;
  /**
   * A run left `running` whose last step is older than this (ms) was abandoned
   * by a crash and is resumed; a younger one belongs to another process
   * (`running-elsewhere`). Default 60 minutes; 0 resumes at once (the daemon's
   * start-up, after its own crash).
   */
  staleAfterMs?: number;
  /** The usage file's product and contract (required unless `files` is absent). */
  productId?: string;
  contractId?: string;
  signal: AbortSignal;
}

export type PayerMonthResult =
  | { kind: 'already-done'; run: RunRecord }
  | { kind: 'running-elsewhere'; run: RunRecord }
  | { kind: 'done'; run: RunRecord; upload?: UploadUsageFileResult }
  | { kind: 'failed'; run: RunRecord; error: ConnectorError };

/** Adds fields to a version's report.json (the invalid file's `error_detail`, the audit's plan comparison). */
export async function addToReport(path: string, fields: Record<string, unknown>): Promise<void> {
  const report = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  await writeFile(path, `${JSON.stringify({ ...report, ...fields }, null, 2)}\n`, 'utf8');
}

const reached = (run: RunRecord, step: RunStep): boolean => RUN_STEPS.indexOf(run.step) >= RUN_STEPS.indexOf(step);

/** Which version to run: resume one left running, else a new one (after a failure or for a reprocess), else nothing. */
function nextVersion(ledger: RunLedger, input: PayerMonthInput, now: Date): { version: number; resume: boolean } | { done: RunRecord } | { elsewhere: RunRecord } {
  const latest = ledger.latest(input.payerAccountId, input.period);
  if (latest === undefined) return { version: 1, resume: false };
  if (latest.outcome === 'running') {
    const idleMs = now.getTime() - Date.parse(latest.updatedAt);
    if (idleMs < (input.staleAfterMs ?? 60 * 60_000)) return { elsewhere: latest };
    return { version: latest.version, resume: true };
  }
  if (latest.outcome === 'succeeded' && !input.reprocess) return { done: latest };
  return { version: latest.version + 1, resume: false };
}

export async function runPayerMonth(deps: PayerMonthDeps, input: PayerMonthInput): Promise<PayerMonthResult> {
  const { ledger, clock } = deps;
  const { payerAccountId: payer, period, signal } = input;
  const next = nextVersion(ledger, input, clock.now());
  if ('done' in next) return { kind: 'already-done', run: next.done };
  if ('elsewhere' in next) return { kind: 'running-elsewhere', run: next.elsewhere };
  let run: RunRecord;
  if (next.resume) {
    const found = ledger.get(payer, period, next.version);
    if (!found) throw new ConnectorError('STATE', `run v${next.version} of payer ${payer} for ${period} vanished from the ledger`);
    run = found;
  } else {
    const started = ledger.start({ payerAccountId: payer, period, version: next.version, trigger: input.trigger }, clock.now());
    if (!started.started) return { kind: 'running-elsewhere', run: started.running };
    run = started.run;
  }
  const version = run.version;
  try {
    if (!reached(run, 'rated') || run.workbookPath === undefined || !existsSync(run.workbookPath)) {
      // The product's own usage template decides the records header when it has one (CONNECT.md).
      const recordColumns = deps.files && input.productId ? await deps.files.usageTemplateColumns(input.productId, signal) : undefined;
      const rating = { ...input.rating, onlyPayer: payer, signal, ...(recordColumns === undefined ? {} : { recordColumns }) };
      const result = await rateMonth({ ...deps.rating, cur: deps.cur(payer, version), output: deps.output(version) }, rating);
      const outcome = result.payers.find((p) => p.payerAccountId === payer);
      if (!outcome) throw new ConnectorError('CUR_EMPTY', `the CUR of ${period} has no rows of payer ${payer}`, { where: { payer } });
      if (!outcome.ok || !outcome.rated || !outcome.workbookPath) {
        throw new ConnectorError('RECONCILIATION_FAILED', `payer ${payer} was not rated: ${outcome.errors.map((e) => e.message).join('; ') || 'see the report'}`, { where: { payer } });
      }
      run = ledger.advance(payer, period, version, 'rated', {
        workbookPath: outcome.workbookPath,
        ...(outcome.reportPath ? { reportPath: outcome.reportPath } : {}),
        billedTotal: outcome.rated.billedTotal,
        currency: outcome.rated.currency.currency,
        records: outcome.rated.records.length,
      }, clock.now());
    }
    if (!deps.files) {
      run = ledger.finish(payer, period, version, 'succeeded', undefined, clock.now());
      return { kind: 'done', run };
    }
    if (!input.productId || !input.contractId) throw new ConnectorError('CONFIG_INVALID', `payer ${payer}: no product and contract to upload the usage file to`, { where: { payer, setting: 'payers[].usage' } });
    const upload = await uploadUsageFile(
      { files: deps.files, ledger, clock, sleep: deps.sleep, readWorkbook: deps.readWorkbook, ...(deps.onFileStatus ? { onFileStatus: deps.onFileStatus } : {}) },
      {
        payerAccountId: payer,
        period,
        version,
        productId: input.productId,
        contractId: input.contractId,
        currency: run.currency ?? 'USD',
        workbookPath: run.workbookPath as string,
        replace: version > 1,
        signal,
      },
    );
    if (upload.invalidDetail !== undefined && run.reportPath) await addToReport(run.reportPath, { usageFile: { id: upload.file.id, status: upload.file.status, errorDetail: upload.invalidDetail } });
    if (upload.run.outcome === 'failed') return { kind: 'failed', run: upload.run, error: new ConnectorError('PLATFORM_RESPONSE', upload.run.error ?? 'the usage file was refused', { where: { payer } }) };
    return { kind: 'done', run: upload.run, upload };
  } catch (error) {
    const e = coerceError(error);
    const current = ledger.get(payer, period, version);
    // A retryable failure (the platform or AWS busy, the CUR being updated) leaves the run to resume; others end it.
    if (current && current.outcome === 'running' && !e.retryable && e.code !== 'ABORTED') run = ledger.finish(payer, period, version, 'failed', `${e.code}: ${e.message}`, clock.now());
    else run = current ?? run;
    return { kind: 'failed', run, error: e };
  }
}
