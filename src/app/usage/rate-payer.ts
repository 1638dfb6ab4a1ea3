/**
 * The rating step of a payer's month, in bounded memory: the CUR groups stream
 * in ordered by account; each account is rated as soon as its last group is in,
 * its records go straight into the workbook being written and its entry into the
 * report being written. Only one account's groups and the payer's per-account
 * totals are held, however many records the month has. The workbook's total is
 * proved from the cells as written, then compared with the rating's.
 */
import type { CurGroup } from '../../domain/cur.js';
import type { PayerLines } from '../../domain/custom-lines.js';
import { coerceError, ConnectorError, type ProblemLocation } from '../../domain/errors.js';
import { accountId } from '../../domain/ids.js';
import { MarginBook, accountCost, plsDiscount, type AccountCost, type MarginReport } from '../../domain/margin.js';
import { money } from '../../domain/money.js';
import { parseCurrency } from '../../domain/parameters.js';
import { parameterLimits, startPayerRating, type PayerParameters, type RatedAccount, type RatedPayerSummary, type RatingProblem, type RatingSettings, type Reconciliation, type Subscription } from '../../domain/rating.js';
import type { SupportCatalog } from '../../domain/support-fee.js';
import type { CurSource, OutputKey, Progress, ReportStore, RowTest, WorkbookStore, WorkbookWriter, WrittenWorkbook } from '../ports.js';
import { accountEntry, failedReport, reportHead, type ReportError } from '../report.js';
import { CATEGORIES, toWorkbookRecord, type ItemMpns } from '../usage-records.js';

export interface RatePayerDeps {
  cur: CurSource;
  workbook: WorkbookWriter;
  workbooks: WorkbookStore;
  reports: ReportStore;
  /** Subscriptions of the payer for the period, or 'all' (a dry run's `--bill-all-accounts`). */
  subscriptions: ReadonlyMap<string, Subscription> | 'all';
  now: () => Date;
  onProgress?: (progress: Progress) => void;
}

export interface RatePayerInput {
  key: OutputKey;
  payer: PayerParameters;
  settings: RatingSettings;
  catalog: SupportCatalog;
  items: ItemMpns;
  recordsSheetName: string;
  /** The records header of the product's usage template; absent: the built-in one. */
  recordColumns?: readonly string[];
  knownCurrencies: ReadonlySet<string>;
  /** The payer's custom lines and credits with their balances carried in (MARGIN.md §4); absent: none. */
  lines?: PayerLines;
  /** Fields added to the report as they are (the audit's plan comparison). */
  reportFields?: Record<string, unknown>;
  signal: AbortSignal;
}

export type RatePayerOutcome =
  | { ok: true; rated: RatedPayerSummary; margin: MarginReport; written: WrittenWorkbook; rowsRead: number; final?: boolean; source: string; workbookPath: string; reportPath: string; otherPayers: string[] }
  | { ok: false; errors: ReportError[]; source: string; reportPath: string; otherPayers: string[] };

/** Where a rating problem is. */
function problemWhere(payer: string, problem: RatingProblem): ProblemLocation {
  const where: ProblemLocation = { payer };
  if (problem.account !== undefined) where.account = problem.account;
  if (problem.setting !== undefined) where.setting = problem.setting;
  if (problem.value !== undefined) where.value = problem.value;
  return where;
}

/** Asks the CUR source for the first row behind a period or currency problem. */
async function locateRow(cur: CurSource, payer: string, period: string, problem: RatingProblem): Promise<ProblemLocation> {
  const where = problemWhere(payer, problem);
  const test: RowTest | undefined = problem.code === 'PERIOD_MISMATCH' ? { kind: 'period-not', period } : problem.code === 'CURRENCY_NOT_USD' ? { kind: 'currency-not-usd' } : undefined;
  if (test === undefined || cur.locate === undefined) return where;
  try {
    const row = await cur.locate(payer, test);
    if (row !== undefined) return { ...where, file: row.file, row: row.row, column: row.column, value: row.value };
  } catch {
    // Locating is a courtesy: the problem itself is already reported.
  }
  return where;
}

async function problemErrors(cur: CurSource, payer: string, period: string, problems: RatingProblem[]): Promise<ReportError[]> {
  const errors: ReportError[] = [];
  for (const p of problems) {
    const where = await locateRow(cur, payer, period, p);
    const at = where.file === undefined ? '' : ` (${where.file}, data row ${String(where.row)}, column ${where.column ?? '?'})`;
    errors.push({ code: p.code, message: `${p.message}${at}`, where });
  }
  return errors;
}

/** A refusal of the month (bad settings, CUR problems, no reconciliation): the workbook goes, a failed report stays. */
class Refused extends Error {
  constructor(
    readonly errors: ReportError[],
    readonly reconciliation?: Reconciliation,
  ) {
    super(errors.map((e) => e.message).join('; '));
  }
}

/**
 * Rates one payer's month from `deps.cur` into the workbook and report of
 * `input.key`. Expected refusals (settings, CUR content, reconciliation, the
 * workbook's proof) come back as `ok: false` with a failed report written; I/O
 * failures and an abort throw (`ABORTED` for the abort), leaving no workbook.
 */
export async function ratePayerMonth(deps: RatePayerDeps, input: RatePayerInput): Promise<RatePayerOutcome> {
  const { key, signal } = input;
  const payerId = input.payer.accountId;
  const period = key.period;
  const otherPayers = new Set<string>();
  let source = 'not read';
  const generatedAt = (): string => deps.now().toISOString();
  const refuse = async (errors: ReportError[], reconciliation?: Reconciliation): Promise<RatePayerOutcome> => {
    await deps.workbooks.discard(key);
    const report = { ...failedReport(payerId, period, errors, generatedAt(), source, reconciliation), ...input.reportFields };
    const reportPath = await deps.reports.write(key, report);
    return { ok: false, errors, source, reportPath, otherPayers: [...otherPayers].sort() };
  };

  const started = startPayerRating({ payer: input.payer, period, settings: input.settings, subscriptions: deps.subscriptions, catalog: input.catalog, knownCurrencies: input.knownCurrencies, ...(input.lines === undefined ? {} : { lines: input.lines }) });
  if (!started.ok) return refuse(started.problems.map((p) => ({ code: p.code, message: p.message, where: problemWhere(payerId, p) })));
  const rating = started.rating;
  // The same parse the rating just made succeed: each account's entry shows the fx rate applied.
  const currency = parseCurrency(input.payer.marketplaceCurrency, input.payer.fxRate, input.knownCurrencies, parameterLimits(input.settings));
  const fxRateText = currency.ok ? currency.value.fxRateText : '';
  // MARGIN.md: what AWS charged for each customer against what it was billed; the rating's currency
  // parse succeeded, so this one did too.
  if (!currency.ok) throw new ConnectorError('INTERNAL', `payer ${payerId}: the fx rate parsed for the rating does not parse again`);
  const margin = new MarginBook({
    currency: currency.value.currency,
    fxRate: currency.value.fxRate,
    fxRateText,
    amountDecimals: input.settings.amountDecimals,
    discount: plsDiscount(input.payer.partnerLedSupport),
  });
  /** The cost of the accounts the rating did not bill, until `finish` says which are unassigned. */
  const unbilledCosts = new Map<string, AccountCost>();

  const aggregate = await deps.cur.aggregate({ period, listPrice: input.settings.listPrice, granularity: input.settings.recordGranularity, signal, ...(deps.onProgress ? { onProgress: deps.onProgress } : {}) });
  source = aggregate.source;
  const draft = deps.workbook.open({ recordsSheetName: input.recordsSheetName, ...(input.recordColumns === undefined ? {} : { columns: input.recordColumns }), categories: Object.values(CATEGORIES) });
  const stored = deps.workbooks.put(key, draft.content);
  // A failed store must not go unheard while records are still being added.
  stored.catch(() => undefined);
  const report = deps.reports.begin(key);
  let records = 0;
  let rows = 0;
  let invoiced = 0;
  let accounts = 0;
  /** A CUR account id, checked before it reaches the rating (record ids, the workbook): a bad one refuses the month, naming it. */
  const curAccount = (id: string): string => {
    try {
      return accountId(id, { where: `the CUR of payer ${payerId} for ${period} (${source})`, code: 'CUR_INPUT', location: { payer: payerId, column: 'line_item_usage_account_id' } });
    } catch (error) {
      const e = coerceError(error);
      throw new Refused([{ code: e.code, message: e.message, where: e.where }]);
    }
  };

  const rateAccount = async (accountId: string, groups: CurGroup[]): Promise<void> => {
    const rated: RatedAccount | undefined = rating.account(accountId, groups);
    const cost = accountCost(groups, input.catalog.productCodes);
    if (rated === undefined) {
      if (groups.length > 0) unbilledCosts.set(accountId, cost);
      return;
    }
    for (const record of rated.records) {
      const added = draft.add(toWorkbookRecord(record, period, input.items));
      if (added !== undefined) await added;
      records += 1;
    }
    // Billed = the customer's records as written, whatever their category (custom lines and credits included).
    const booked = margin.customer({ accountId, assetId: rated.assetId, customer: rated.customerName }, cost, rated.records);
    await report.account(accountEntry(rated, fxRateText, booked.services));
    accounts += 1;
    if (accounts % 100 === 0) deps.onProgress?.({ phase: `rate payer ${payerId}`, done: records, unit: 'records' });
  };

  // The organizations the payer's billing-transfer subscriptions cover (docs/billing-transfer.md): their rows are this payer's too.
  const covered = new Set(deps.subscriptions === 'all' ? [] : [...deps.subscriptions.values()].filter((s) => s.coversOrganization === true).map((s) => s.accountId));
  try {
    let account: string | undefined;
    let held: CurGroup[] = [];
    for await (const batch of aggregate.groups) {
      signal.throwIfAborted();
      for (const g of batch) {
        if (g.payerAccountId !== payerId && !covered.has(g.payerAccountId)) {
          otherPayers.add(g.payerAccountId);
          continue;
        }
        rows += g.rows;
        invoiced += g.invoicedRows;
        if (g.accountId !== account) {
          if (account !== undefined) await rateAccount(account, held);
          account = curAccount(g.accountId);
          held = [];
        }
        held.push(g);
      }
    }
    if (account !== undefined) await rateAccount(account, held);
    if (rows === 0) throw new Refused([{ code: 'CUR_EMPTY', message: `the CUR of ${period} has no rows of payer ${payerId} (${source})`, where: { payer: payerId } }]);

    const finished = rating.finish();
    if (!finished.ok) throw new Refused(await problemErrors(deps.cur, payerId, period, finished.problems), finished.reconciliation);
    const rated = finished.payer;
    const written = await draft.finish();
    await stored;
    if (!money(written.total).equals(money(rated.billedTotal)) || written.rows !== records) {
      const message = `workbook total ${written.total} (${written.rows} rows) differs from the report's billed total ${rated.billedTotal} (${records} records): workbook discarded`;
      throw new Refused([{ code: 'RECONCILIATION_FAILED', message, where: { payer: payerId, file: deps.workbooks.locate(key) } }], rated.reconciliation);
    }
    for (const u of rated.unassigned) {
      const cost = unbilledCosts.get(u.accountId);
      if (cost === undefined) throw new ConnectorError('INTERNAL', `unassigned account ${u.accountId} of payer ${payerId} has no cost booked`);
      margin.unassigned(cost);
    }
    const marginReport = margin.finish();
    const head = { ...reportHead(rated, input.settings, generatedAt(), source, records, marginReport), ...(aggregate.tellsFinality ? { curFinal: rows > 0 && invoiced === rows } : {}), ...input.reportFields };
    const reportPath = await report.finish(head);
    deps.onProgress?.({ phase: `rate payer ${payerId}`, done: records, total: records, unit: 'records' });
    return {
      ok: true,
      rated,
      margin: marginReport,
      written,
      rowsRead: rows,
      ...(aggregate.tellsFinality ? { final: rows > 0 && invoiced === rows } : {}),
      source,
      workbookPath: deps.workbooks.locate(key),
      reportPath,
      otherPayers: [...otherPayers].sort(),
    };
  } catch (error) {
    const reason = error instanceof Error ? error : new Error(String(error));
    draft.abort(reason);
    await stored.catch(() => undefined);
    await report.abandon();
    await deps.workbooks.discard(key);
    if (error instanceof Refused) return refuse(error.errors, error.reconciliation);
    if (signal.aborted) throw new ConnectorError('ABORTED', `rating payer ${payerId} for ${period} was stopped`, { where: { payer: payerId }, cause: error });
    throw coerceError(error);
  }
}
