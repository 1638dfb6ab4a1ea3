/**
 * The one month use case (issue 10): a payer's month for every entry point —
 * `rate` (dry or not, local files or Athena), `reprocess`, the daemon's schedule
 * and catch-up, and `POST /reprocess`. A dry run is this same use case with
 * local adapters and no platform: its ledger entries are dry runs, never the
 * month's run.
 *
 * Claim the month in the run ledger (a lease a live process renews), rate it
 * from the payer's CUR into this version's workbook and report (streamed, in
 * bounded memory), then take the workbook to a submitted usage file. A crash
 * resumes at the next step; an abort leaves the run `interrupted`, resumable; a
 * failure ends it `failed` with its report saying so.
 */
import { coerceError, ConnectorError, type ErrorCode } from '../../domain/errors.js';
import type { CustomLine, PayerLines } from '../../domain/custom-lines.js';
import { accountId } from '../../domain/ids.js';
import type { MarginReport } from '../../domain/margin.js';
import { money, toExactText } from '../../domain/money.js';
import type { PayerParameters, RatedPayerSummary, RatingSettings, Subscription } from '../../domain/rating.js';
import type { SupportCatalog } from '../../domain/support-fee.js';
import type { CurSource, OutputKey, Progress, ReportStore, WorkbookStore, WorkbookWriter } from '../ports.js';
import { failedReport, type ReportError } from '../report.js';
import type { ItemMpns } from '../usage-records.js';
import type { LineBook } from './month-lines.js';
import { RUN_STEPS, type RunLease, type RunLedger, type RunRecord, type RunStep, type UsageFile, type UsageFilesPort } from './ports.js';
import { ratePayerMonth } from './rate-payer.js';
import { uploadUsageFile, type UploadUsageFileResult } from './upload-usage-file.js';

export interface PayerMonthDeps {
  ledger: RunLedger;
  /** This process's lease on the runs it claims. */
  lease: RunLease;
  /** Absent for a dry run: nothing is uploaded. */
  files?: UsageFilesPort;
  /** The payer's CUR for this version (Athena, or local files). */
  cur: (payerAccountId: string, version: number) => CurSource;
  workbook: WorkbookWriter;
  workbooks: WorkbookStore;
  reports: ReportStore;
  /** Subscriptions of a payer for the period, or 'all' (a dry run's `--bill-all-accounts`). */
  subscriptions: (payerAccountId: string) => ReadonlyMap<string, Subscription> | 'all';
  clock: { now(): Date };
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  onProgress?: (progress: Progress) => void;
  /** Told each time the platform shows a payer's usage file in a new status. */
  onFileStatus?: (file: UsageFile, payerAccountId: string) => void;
}

/** What rates a month, the same for every payer of a run. */
export interface MonthRating {
  settings: RatingSettings;
  catalog: SupportCatalog;
  items: ItemMpns;
  recordsSheetName: string;
  knownCurrencies: ReadonlySet<string>;
}

export interface PayerMonthInput {
  /** The payer with its resolved settings (markups, currency, fx). */
  payer: PayerParameters;
  period: string;
  /** What started it: `schedule`, `catch-up`, `cli`, `admin`, `resume`. */
  trigger: string;
  /** A reprocess: always a new version, replacing the previous file where the platform allows. */
  reprocess: boolean;
  rating: MonthRating;
  /** The usage file's product and contract (required unless `files` is absent). */
  productId?: string;
  contractId?: string;
  /** Fields the report carries as they are (the audit's plan comparison). */
  reportFields?: Record<string, unknown>;
  /**
   * The custom lines of the period (MARGIN.md §4); with `book` (the state
   * database's lines) the flat credits' balances are read from it before the
   * rating and stored in it, for this version, once the month is rated.
   */
  lines?: { lines: readonly CustomLine[]; book?: LineBook };
  signal: AbortSignal;
}

/** What the rating found, for a person (the summary table). */
export interface PayerMonthRating {
  rated?: RatedPayerSummary;
  /** What the distributor earns on the month (MARGIN.md), as in report.json. */
  margin?: MarginReport;
  records?: number;
  rowsRead?: number;
  source: string;
  errors: ReportError[];
  /** Payers in the CUR other than this one (a local CUR of several payers). */
  otherPayers: string[];
}

export type PayerMonthResult =
  | { kind: 'already-done'; run: RunRecord }
  /** Another live process holds the month (`run.holder`). */
  | { kind: 'held'; run: RunRecord }
  | { kind: 'done'; run: RunRecord; rating?: PayerMonthRating; upload?: UploadUsageFileResult }
  /** Stopped by a signal (or a retryable failure): resumable at once. */
  | { kind: 'interrupted'; run: RunRecord; error: ConnectorError; rating?: PayerMonthRating }
  | { kind: 'failed'; run: RunRecord; error: ConnectorError; rating?: PayerMonthRating };

/** The codes a rating refusal carries (`RatingProblem` codes and the workbook's proof): the run's error keeps the first one's. */
const RATING_REFUSALS: ReadonlySet<string> = new Set<ErrorCode>(['MARKUP_INVALID', 'FX_INVALID', 'CONFIG_INVALID', 'PERIOD_MISMATCH', 'CURRENCY_NOT_USD', 'SUPPORT_TABLE_MISSING', 'RECONCILIATION_FAILED', 'CUR_EMPTY', 'CUR_INPUT']);

const reached = (run: RunRecord, step: RunStep): boolean => RUN_STEPS.indexOf(run.step) >= RUN_STEPS.indexOf(step);

export async function runPayerMonth(deps: PayerMonthDeps, input: PayerMonthInput): Promise<PayerMonthResult> {
  const { ledger, clock, lease } = deps;
  const { period, signal } = input;
  // The payer id names the ledger's rows, the output folders and the usage file: 12 digits before any of them.
  const payer = accountId(input.payer.accountId, { where: 'payers[].accountId', code: 'CONFIG_INVALID', location: { setting: 'payers[].accountId' } });
  const dryRun = deps.files === undefined;
  const claim = ledger.claim({ payerAccountId: payer, period, trigger: input.trigger, reprocess: input.reprocess, dryRun }, lease, clock.now());
  if (claim.kind !== 'claimed') return claim;
  let run = claim.run;
  const ref = { payerAccountId: payer, period, version: run.version, dryRun };
  const key: OutputKey = { payerAccountId: payer, period, version: run.version };

  // The lease is renewed while there is progress: a third of its time at most between renewals.
  let renewedAt = clock.now().getTime();
  const renew = (): void => {
    const now = clock.now();
    if (now.getTime() - renewedAt < lease.ttlMs / 3) return;
    renewedAt = now.getTime();
    if (!ledger.renew(ref, lease, now)) throw new ConnectorError('STATE', `run v${run.version} of payer ${payer} for ${period} was taken over by another process (its lease had run out)`, { where: { payer } });
  };
  const onProgress = (p: Progress): void => {
    renew();
    deps.onProgress?.(p);
  };

  let rating: PayerMonthRating | undefined;
  try {
    if (!reached(run, 'rated') || (!reached(run, 'uploaded') && !dryRun && !(await deps.workbooks.has(key)))) {
      // The product's own usage template decides the records header when it has one (CONNECT.md).
      const recordColumns = deps.files && input.productId ? await deps.files.usageTemplateColumns(input.productId, signal) : undefined;
      const book = input.lines?.book;
      const lines: PayerLines | undefined = input.lines === undefined ? undefined : { lines: input.lines.lines, openings: (input.lines.lines.length > 0 ? book?.openings({ payerAccountId: payer, period, dryRun }) : undefined) ?? new Map<string, string>() };
      const outcome = await ratePayerMonth(
        { cur: deps.cur(payer, run.version), workbook: deps.workbook, workbooks: deps.workbooks, reports: deps.reports, subscriptions: deps.subscriptions(payer), now: () => clock.now(), onProgress },
        {
          key,
          payer: input.payer,
          ...input.rating,
          ...(recordColumns === undefined ? {} : { recordColumns }),
          ...(input.reportFields ? { reportFields: input.reportFields } : {}),
          ...(lines === undefined ? {} : { lines }),
          signal,
        },
      );
      if (!outcome.ok) {
        rating = { source: outcome.source, errors: outcome.errors, otherPayers: outcome.otherPayers };
        const message = outcome.errors.map((e) => `${e.code}: ${e.message}`).join('; ');
        run = ledger.advance(ref, run.step, { reportPath: outcome.reportPath }, clock.now());
        run = ledger.finish(ref, 'failed', message, clock.now());
        const first = outcome.errors[0];
        const code: ErrorCode = first !== undefined && RATING_REFUSALS.has(first.code) ? (first.code as ErrorCode) : 'RECONCILIATION_FAILED';
        return { kind: 'failed', run, error: new ConnectorError(code, `payer ${payer} was not rated: ${message}`, { where: { payer, ...first?.where } }), rating };
      }
      rating = { rated: outcome.rated, margin: outcome.margin, records: outcome.written.rows, rowsRead: outcome.rowsRead, source: outcome.source, errors: [], otherPayers: outcome.otherPayers };
      // The flat credits' balances this version left, before the month counts as rated: a resumed or reprocessed month starts from the same ones.
      if (book !== undefined) book.recordBalances({ ...ref }, creditBalances(outcome.rated), clock.now());
      run = ledger.advance(ref, 'rated', {
        workbookPath: outcome.workbookPath,
        reportPath: outcome.reportPath,
        billedTotal: outcome.rated.billedTotal,
        currency: outcome.rated.currency.currency,
        records: outcome.written.rows,
      }, clock.now());
    }
    if (!deps.files) {
      run = ledger.finish(ref, 'succeeded', undefined, clock.now());
      return { kind: 'done', run, ...(rating ? { rating } : {}) };
    }
    if (!input.productId || !input.contractId) throw new ConnectorError('CONFIG_INVALID', `payer ${payer}: no product and contract to upload the usage file to`, { where: { payer, setting: 'payers[].usage' } });
    const upload = await uploadUsageFile(
      { files: deps.files, ledger, clock, sleep: deps.sleep, workbook: () => deps.workbooks.get(key), onActivity: renew, onProgress, ...(deps.onFileStatus ? { onFileStatus: (file: UsageFile) => deps.onFileStatus?.(file, payer) } : {}) },
      {
        payerAccountId: payer,
        period,
        version: run.version,
        productId: input.productId,
        contractId: input.contractId,
        currency: run.currency ?? 'USD',
        fileName: deps.workbooks.fileName(key),
        replace: run.version > 1,
        signal,
      },
    );
    if (upload.run.outcome === 'failed') {
      const message = upload.run.error ?? 'the usage file was refused';
      await deps.reports.annotate(key, {
        status: 'failed',
        ...(upload.invalidDetail === undefined ? {} : { usageFile: { id: upload.file.id, status: upload.file.status, errorDetail: upload.invalidDetail } }),
        errors: [{ code: 'PLATFORM_RESPONSE', message, where: { payer } }],
      }).catch(() => undefined);
      return { kind: 'failed', run: upload.run, error: new ConnectorError('PLATFORM_RESPONSE', message, { where: { payer } }), ...(rating ? { rating } : {}) };
    }
    return { kind: 'done', run: upload.run, upload, ...(rating ? { rating } : {}) };
  } catch (error) {
    const e = signal.aborted && !(error instanceof ConnectorError && error.code === 'ABORTED') ? new ConnectorError('ABORTED', `the month of payer ${payer} was stopped by a signal`, { where: { payer }, cause: error }) : coerceError(error);
    const current = ledger.get(payer, period, run.version, { dryRun });
    if (current === undefined || current.outcome === 'succeeded') return { kind: 'failed', run: current ?? run, error: e, ...(rating ? { rating } : {}) };
    if (current.outcome === 'failed') {
      // A step already ended the run (the platform refused the product, or an accepted file): the report still says so.
      await writeFailure(deps.reports, key, current, e, clock.now());
      return { kind: 'failed', run: current, error: e, ...(rating ? { rating } : {}) };
    }
    // An abort, or a failure worth retrying (the platform or AWS busy, the CUR being updated), leaves the run to resume at once.
    if (e.code === 'ABORTED' || e.retryable) {
      run = ledger.interrupt(ref, `${e.code}: ${e.message}`, clock.now());
      return { kind: 'interrupted', run, error: e, ...(rating ? { rating } : {}) };
    }
    run = ledger.finish(ref, 'failed', `${e.code}: ${e.message}`, clock.now());
    await writeFailure(deps.reports, key, run, e, clock.now());
    return { kind: 'failed', run, error: e, ...(rating ? { rating } : {}) };
  }
}

/** The balances of the flat credits a rated month applied (MARGIN.md §4): before, used, after. */
export function creditBalances(rated: RatedPayerSummary): Array<{ lineId: string; accountId: string; opening: string; used: string; remainingAfter: string }> {
  return (rated.lines ?? []).flatMap((l) =>
    l.opening === undefined || l.remainingAfter === undefined ? [] : [{ lineId: l.id, accountId: l.accountId, opening: l.opening, used: toExactText(money(l.opening).minus(money(l.remainingAfter))), remainingAfter: l.remainingAfter }],
  );
}

/** A failed production run still leaves its report saying so: a failed report, or the rated one marked failed. */
async function writeFailure(reports: ReportStore, key: OutputKey, run: RunRecord, e: ConnectorError, now: Date): Promise<void> {
  const errors = [{ code: e.code, message: e.message, where: { payer: key.payerAccountId, ...e.where } }];
  try {
    if (reached(run, 'rated')) await reports.annotate(key, { status: 'failed', errors });
    else await reports.write(key, failedReport(key.payerAccountId, key.period, errors, now.toISOString(), 'not read'));
  } catch {
    // The ledger already holds the error; a report that cannot be written must not hide it.
  }
}
