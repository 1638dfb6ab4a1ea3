/**
 * Use case: rate one month of CUR for every payer found in it, write each payer's
 * usage workbook and report. The dry run, the daemon and the admin endpoint call
 * this with different adapters. One bad payer never stops the others.
 */
import type { CurGroup } from '../domain/cur.js';
import { coerceError, type ProblemLocation } from '../domain/errors.js';
import { money } from '../domain/money.js';
import { ratePayer, type PayerParameters, type RatedPayer, type RatingProblem, type RatingSettings, type Reconciliation, type Subscription } from '../domain/rating.js';
import type { SupportCatalog } from '../domain/support-fee.js';
import type { CurSource, Progress, RowTest, WorkbookWriter } from './ports.js';
import { buildReport, failedReport, type PayerReport, type ReportError } from './report.js';
import { toUsageWorkbook, type ItemMpns } from './usage-records.js';

/** Where a run's outputs go (a folder for the dry run; the platform later). */
export interface RunOutput {
  workbookPath(payerAccountId: string, period: string): string;
  writeReport(payerAccountId: string, period: string, report: PayerReport): Promise<string>;
  /** Removes a workbook that must not be used (its total did not reconcile, or the payer failed); no error when absent. */
  discard(path: string): Promise<void>;
}

export interface RateMonthDeps {
  cur: CurSource;
  workbook: WorkbookWriter;
  output: RunOutput;
  /** Subscriptions of a payer for the period, or 'all' (dry run `--bill-all-accounts`). */
  subscriptions: (payerAccountId: string) => ReadonlyMap<string, Subscription> | 'all';
  now: () => Date;
  onProgress?: (progress: Progress) => void;
}

export interface RateMonthInput {
  period: string;
  payers: PayerParameters[];
  settings: RatingSettings;
  catalog: SupportCatalog;
  items: ItemMpns;
  recordsSheetName: string;
  /** The records header of the product's usage template (`UsageFilesPort.usageTemplateColumns`); absent: the built-in one. */
  recordColumns?: readonly string[];
  knownCurrencies: ReadonlySet<string>;
  /** Rate only this payer (the others in the CUR are skipped, not failed). */
  onlyPayer?: string;
  signal?: AbortSignal;
}

export interface PayerOutcome {
  payerAccountId: string;
  ok: boolean;
  rated?: RatedPayer;
  errors: ReportError[];
  workbookPath?: string;
  reportPath?: string;
}

export interface RateMonthResult {
  source: string;
  rowsRead: number;
  payers: PayerOutcome[];
  /** Configured payers with no CUR rows in the input. */
  payersWithoutRows: string[];
}

/** What a rating problem says about where it is. */
function problemWhere(payer: string, problem: RatingProblem): ProblemLocation {
  const where: ProblemLocation = { payer };
  if (problem.account !== undefined) where.account = problem.account;
  if (problem.setting !== undefined) where.setting = problem.setting;
  if (problem.value !== undefined) where.value = problem.value;
  return where;
}

/** Records a failed payer: no workbook (an older one is removed), a report with the errors. */
async function failPayer(
  deps: RateMonthDeps,
  payerId: string,
  period: string,
  errors: ReportError[],
  context: { generatedAt: string; source: string; reconciliation?: Reconciliation | undefined },
): Promise<PayerOutcome> {
  await deps.output.discard(deps.output.workbookPath(payerId, period));
  const reportPath = await deps.output.writeReport(payerId, period, failedReport(payerId, period, errors, context.generatedAt, context.source, context.reconciliation));
  return { payerAccountId: payerId, ok: false, errors, reportPath };
}

async function ratePayerOutputs(
  deps: RateMonthDeps,
  input: RateMonthInput,
  payer: PayerParameters,
  groups: CurGroup[],
  source: string,
  final: boolean | undefined,
): Promise<PayerOutcome> {
  const payerId = payer.accountId;
  const outcome = ratePayer({
    payer,
    period: input.period,
    settings: input.settings,
    groups,
    subscriptions: deps.subscriptions(payerId),
    catalog: input.catalog,
    knownCurrencies: input.knownCurrencies,
  });
  const generatedAt = deps.now().toISOString();
  if (!outcome.ok) {
    const errors: ReportError[] = [];
    for (const p of outcome.problems) {
      const where = await locateRow(deps.cur, payerId, input.period, p);
      const at = where.file === undefined ? '' : ` (${where.file}, data row ${String(where.row)}, column ${where.column ?? '?'})`;
      errors.push({ code: p.code, message: `${p.message}${at}`, where });
    }
    return failPayer(deps, payerId, input.period, errors, { generatedAt, source, reconciliation: outcome.reconciliation });
  }
  const rated = outcome.payer;
  const workbookPath = deps.output.workbookPath(payerId, input.period);
  const written = await deps.workbook.write(workbookPath, toUsageWorkbook(rated, input.items, input.recordsSheetName, input.recordColumns));
  if (!money(written.total).equals(money(rated.billedTotal)) || written.rows !== rated.records.length) {
    const error = {
      code: 'RECONCILIATION_FAILED',
      message: `workbook total ${written.total} (${written.rows} rows) differs from the report's billed total ${rated.billedTotal} (${rated.records.length} records): workbook discarded`,
      where: { payer: payerId, file: workbookPath },
    };
    return failPayer(deps, payerId, input.period, [error], { generatedAt, source, reconciliation: rated.reconciliation });
  }
  const report = buildReport(rated, input.settings, generatedAt, source);
  // AWS.md: data for a month is restated for about two weeks; say whether what was rated is final (Athena knows).
  if (final !== undefined) report.curFinal = final;
  const reportPath = await deps.output.writeReport(payerId, input.period, report);
  return { payerAccountId: payerId, ok: true, rated, errors: [], workbookPath, reportPath };
}

/** Asks the CUR source for the first row behind a period or currency problem. */
async function locateRow(cur: CurSource, payer: string, period: string, problem: RatingProblem): Promise<ProblemLocation> {
  const where = problemWhere(payer, problem);
  const test: RowTest | undefined =
    problem.code === 'PERIOD_MISMATCH' ? { kind: 'period-not', period } : problem.code === 'CURRENCY_NOT_USD' ? { kind: 'currency-not-usd' } : undefined;
  if (test === undefined || cur.locate === undefined) return where;
  try {
    const row = await cur.locate(payer, test);
    if (row !== undefined) return { ...where, file: row.file, row: row.row, column: row.column, value: row.value };
  } catch {
    // Locating is a courtesy: the problem itself is already reported.
  }
  return where;
}

/** Rates the month. Throws only when the CUR input as a whole is unusable. */
export async function rateMonth(deps: RateMonthDeps, input: RateMonthInput): Promise<RateMonthResult> {
  const aggregate = await deps.cur.aggregate({
    period: input.period,
    listPrice: input.settings.listPrice,
    granularity: input.settings.recordGranularity,
    ...(input.signal ? { signal: input.signal } : {}),
    ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
  });
  const byPayer = new Map<string, CurGroup[]>();
  for (const g of aggregate.groups) {
    if (input.onlyPayer !== undefined && g.payerAccountId !== input.onlyPayer) continue;
    const list = byPayer.get(g.payerAccountId) ?? [];
    list.push(g);
    byPayer.set(g.payerAccountId, list);
  }
  const configured = new Map(input.payers.map((p) => [p.accountId, p]));
  const payers: PayerOutcome[] = [];
  for (const [payerId, groups] of [...byPayer.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    input.signal?.throwIfAborted();
    deps.onProgress?.({ phase: `rate payer ${payerId}`, done: payers.length, total: byPayer.size, unit: 'payers' });
    const payer = configured.get(payerId);
    if (payer === undefined) {
      const error = { code: 'PAYER_NOT_CONFIGURED', message: `payer ${payerId} is in the CUR but not in the configuration's payers[]`, where: { payer: payerId } };
      payers.push(await failPayer(deps, payerId, input.period, [error], { generatedAt: deps.now().toISOString(), source: aggregate.source }));
      continue;
    }
    try {
      payers.push(await ratePayerOutputs(deps, input, payer, groups, aggregate.source, aggregate.final));
    } catch (error) {
      const e = coerceError(error);
      await deps.output.discard(deps.output.workbookPath(payerId, input.period)).catch(() => undefined);
      payers.push({ payerAccountId: payerId, ok: false, errors: [{ code: e.code, message: e.message, where: { payer: payerId, ...e.where } }] });
    }
  }
  return {
    source: aggregate.source,
    rowsRead: aggregate.rowsRead,
    payers,
    payersWithoutRows: input.payers.map((p) => p.accountId).filter((id) => !byPayer.has(id) && (input.onlyPayer === undefined || id === input.onlyPayer)),
  };
}
