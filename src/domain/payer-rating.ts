/**
 * The money core one account at a time (RATING.md §2–§8): a payer's CUR groups
 * arrive ordered by account, each account's groups at once; each account comes
 * back rated with its records, and the payer keeps only what its report needs
 * (sums, per-account summaries), so memory holds one account, never the whole
 * payer. Pure: no I/O, no clock, no logging. Expected failures come back as
 * `RatingProblem`s; feeding an account twice or out of order is a broken
 * invariant and throws.
 */
import { PayerSums, bucketAccount, bucketUnassigned, type BucketSettings } from './buckets.js';
import type { CurGroup } from './cur.js';
import { accountLines, appliesTo, type AppliedLine } from './custom-lines.js';
import { ConnectorError } from './errors.js';
import { accountId as checkedAccountId } from './ids.js';
import { MARKETPLACE_ENTITY } from './line-items.js';
import { Money, ZERO, money, roundAmount, toExactText } from './money.js';
import { DEFAULT_LIMITS, parseCurrency, parseMarkup, type AppliedCurrency, type AppliedMarkup, type ParameterLimits } from './parameters.js';
import type {
  PayerRatingInput,
  PayerRatingOutcome,
  RatedAccount,
  RatedAccountSummary,
  RatedPayerSummary,
  RatedRecord,
  RatingProblem,
  RatingSettings,
  LinesReconciliation,
  Reconciliation,
  Subscription,
} from './rating-types.js';
import { supportRecordId, usageRecordId } from './record-id.js';
import { accountSupport, detectPlans } from './support-lines.js';
import type { SupportPlan } from './support-fee.js';

/** A payer's month being rated, one account at a time. */
export interface PayerRating {
  /**
   * Rates ONE account from all of its groups (every group's `accountId` must be
   * `accountId`). Accounts come once each in ascending order (JavaScript string
   * order, as `Array.prototype.sort` puts them); an account id not above the
   * previous one, a group of another account, or a call after `finish()` throws
   * a `ConnectorError` INTERNAL.
   *
   * An `accountId` that is not 12 digits throws `ConnectorError('CUR_INPUT')`
   * naming it (it would end up in record ids and the workbook); the caller
   * checks the CUR's ids first and refuses the month with that error.
   *
   * Returns the rated account with its records (usage records by billing entity,
   * product code and usage type, then the support record). Returns undefined for
   * an account without a subscription (its unblended total goes to `unassigned`),
   * for an empty `groups` (an account with no rows is no account), and for an
   * account whose support line cannot be worked out (the problem is kept:
   * `failing` turns true and `finish()` fails).
   */
  account(accountId: string, groups: readonly CurGroup[]): RatedAccount | undefined;
  /**
   * True once `finish()` is certain to fail (a group of another period, a
   * currency other than USD, a support plan or table problem): the caller may
   * stop feeding accounts and call `finish()` for the problems.
   */
  readonly failing: boolean;
  /**
   * Ends the payer: its totals, reconciliation, warnings and per-account
   * summaries, or the problems (in `ratePayer`'s order: input problems, else
   * support problems, else a failed reconciliation). Called once.
   */
  finish(): PayerRatingOutcome;
}

export type StartPayerRatingOutcome = { ok: true; rating: PayerRating } | { ok: false; problems: RatingProblem[] };

/** The problem of groups of another billing period than `period` (`YYYY-MM`). */
function periodProblem(periodStart: string, period: string): RatingProblem {
  return { code: 'PERIOD_MISMATCH', value: periodStart, message: `CUR rows of billing period starting ${periodStart} found while rating ${period}` };
}

/** The problem of a `line_item_currency_code` other than USD. */
function currencyProblem(code: string): RatingProblem {
  return { code: 'CURRENCY_NOT_USD', value: code, message: `line_item_currency_code ${JSON.stringify(code)} is not USD` };
}

/** The input problems of a payer's groups (empty, another period, not USD), each value once, in the order first seen. */
export function inputProblems(groups: readonly CurGroup[], period: string): RatingProblem[] {
  const periodStart = `${period}-01`;
  const periods = new Set<string>();
  const currencies = new Set<string>();
  for (const g of groups) {
    if (g.periodStart !== periodStart) periods.add(g.periodStart);
    if (g.currencyCode !== '' && g.currencyCode !== 'USD') currencies.add(g.currencyCode);
  }
  return collectInputProblems(groups.length, periods, currencies, period);
}

function collectInputProblems(groupCount: number, periods: ReadonlySet<string>, currencies: ReadonlySet<string>, period: string): RatingProblem[] {
  const problems: RatingProblem[] = [];
  if (groupCount === 0) problems.push({ code: 'CUR_EMPTY', message: `no CUR rows for period ${period}` });
  for (const p of periods) problems.push(periodProblem(p, period));
  for (const c of currencies) problems.push(currencyProblem(c));
  return problems;
}

/** A priced list amount: the exact steps, and the record's money fields as text. */
interface Priced {
  listUsd: Money;
  marked: Money;
  exact: Money;
  rounded: Money;
  fields: Pick<RatedRecord, 'listUsd' | 'markup' | 'markedUsd' | 'billedExact' | 'billed'>;
}

/** The bounds on typed money parameters a run's settings give (defaults: `DEFAULT_LIMITS`). */
export function parameterLimits(settings: Pick<RatingSettings, 'maxMarkup' | 'fxRange'>): ParameterLimits {
  return { maxMarkup: settings.maxMarkup ?? DEFAULT_LIMITS.maxMarkup, fxRange: settings.fxRange ?? DEFAULT_LIMITS.fxRange };
}

/**
 * Starts rating a payer's month: checks the money parameters (markups, currency
 * and fx rate) and returns the rater, or the parameter problems in the order
 * customMarkup, customMarkupMarketplace, currency.
 */
export function startPayerRating(input: PayerRatingInput): StartPayerRatingOutcome {
  const { payer } = input;
  const limits = parameterLimits(input.settings);
  const markup = parseMarkup('customMarkup', payer.customMarkup, limits);
  const markupMp = parseMarkup('customMarkupMarketplace', payer.customMarkupMarketplace, limits);
  const currency = parseCurrency(payer.marketplaceCurrency, payer.fxRate, input.knownCurrencies, limits);
  if (!markup.ok || !markupMp.ok || !currency.ok) {
    const problems: RatingProblem[] = [];
    for (const parsed of [markup, markupMp, currency]) if (!parsed.ok) problems.push({ ...parsed.problem });
    return { ok: false, problems };
  }
  return { ok: true, rating: new AccountByAccount(input, markup.value, markupMp.value, currency.value) };
}

class AccountByAccount implements PayerRating {
  private readonly periodStart: string;
  private readonly bucketSettings: BucketSettings;
  private readonly sums = new PayerSums();
  private readonly periods = new Set<string>();
  private readonly currencies = new Set<string>();
  private readonly accounts: RatedAccountSummary[] = [];
  private readonly unassigned: { accountId: string; unblendedUsd: string }[] = [];
  private readonly mismatches: { accountId: string; ordered: SupportPlan; detected: string }[] = [];
  private readonly supportProblems: RatingProblem[] = [];
  /** The lines applied, by account (report.json `lines`). */
  private readonly appliedLines: AppliedLine[] = [];
  /** MARGIN.md §5 per customer with a line record, and the payer's sums. */
  private readonly lineCustomers: LinesReconciliation['customers'] = [];
  private ratedBilledTotal: Money = ZERO;
  /** Accounts whose records do not add up to usage + fees + credits (a broken invariant, reported as a failed reconciliation). */
  private readonly linesBroken: string[] = [];
  private feesTotal: Money = ZERO;
  private creditsTotal: Money = ZERO;
  private unassignedTotal: Money = ZERO;
  private billedTotal: Money = ZERO;
  private droppedZeroRecords = 0;
  private recordCount = 0;
  private groupCount = 0;
  private lastAccountId: string | undefined;
  private finished = false;

  constructor(
    private readonly input: PayerRatingInput,
    private readonly markup: AppliedMarkup,
    private readonly markupMp: AppliedMarkup,
    private readonly currency: AppliedCurrency,
  ) {
    const { settings } = input;
    this.periodStart = `${input.period}-01`;
    this.bucketSettings = {
      listPrice: settings.listPrice,
      includeTax: settings.includeTax,
      excludeLineItemTypes: new Set(settings.excludeLineItemTypes),
      recordGranularity: settings.recordGranularity,
    };
  }

  get failing(): boolean {
    return this.periods.size > 0 || this.currencies.size > 0 || this.supportProblems.length > 0;
  }

  private broken(message: string, accountId?: string): ConnectorError {
    return new ConnectorError('INTERNAL', message, { where: { payer: this.input.payer.accountId, ...(accountId === undefined ? {} : { account: accountId }) } });
  }

  /**
   * The subscription an account bills to: the billing-transfer subscription of the
   * organization that billed its rows (a group's `payerAccountId` naming a subscription
   * with `coversOrganization`, the first such group in the order given), else the
   * account's own. Without billing-transfer subscriptions this is the account's own.
   */
  private subscriptionOf(accountId: string, groups: readonly CurGroup[]): Subscription | undefined {
    const subs = this.input.subscriptions;
    if (subs === 'all') return undefined;
    for (const g of groups) {
      if (g.payerAccountId === accountId) continue;
      const transfer = subs.get(g.payerAccountId);
      if (transfer?.coversOrganization === true) return transfer;
    }
    return subs.get(accountId);
  }

  account(accountId: string, groups: readonly CurGroup[]): RatedAccount | undefined {
    if (this.finished) throw this.broken(`account ${accountId} given after the payer's rating finished`, accountId);
    checkedAccountId(accountId, { where: `the CUR of payer ${this.input.payer.accountId} for ${this.input.period}`, code: 'CUR_INPUT', location: { payer: this.input.payer.accountId, column: 'line_item_usage_account_id' } });
    if (this.lastAccountId !== undefined && !(accountId > this.lastAccountId)) {
      throw this.broken(`account ${accountId} given after account ${this.lastAccountId}: each account comes once, in ascending order`, accountId);
    }
    this.lastAccountId = accountId;
    for (const g of groups) {
      if (g.accountId !== accountId) throw this.broken(`a group of account ${g.accountId} given with account ${accountId}`, accountId);
      if (g.periodStart !== this.periodStart) this.periods.add(g.periodStart);
      if (g.currencyCode !== '' && g.currencyCode !== 'USD') this.currencies.add(g.currencyCode);
    }
    this.groupCount += groups.length;
    if (groups.length === 0) return undefined;

    const { subscriptions, catalog, settings, period } = this.input;
    const sub = this.subscriptionOf(accountId, groups);
    if (subscriptions !== 'all' && sub === undefined) {
      const total = bucketUnassigned(groups, this.sums);
      this.unassigned.push({ accountId, unblendedUsd: toExactText(total) });
      this.unassignedTotal = this.unassignedTotal.plus(total);
      return undefined;
    }

    const buckets = bucketAccount(accountId, groups, this.bucketSettings, catalog, this.sums);
    const support = accountSupport({
      accountId,
      orderedPlan: sub?.supportLevel ?? '',
      detected: detectPlans(buckets.supportGroups, catalog).get(accountId),
      supportBase: buckets.supportBase,
      source: settings.supportPlanSource,
      catalog,
      periodStart: this.periodStart,
    });
    if (!support.ok) {
      this.supportProblems.push(support.problem);
      return undefined;
    }
    if (support.mismatch !== undefined) this.mismatches.push(support.mismatch);

    const payerAccountId = this.input.payer.accountId;
    const assetId = sub?.assetId ?? null;
    const records: RatedRecord[] = [];
    let exact = ZERO;
    let list = ZERO;
    let marked = ZERO;
    let billed = ZERO;
    let dropped = 0;
    const add = (record: Omit<RatedRecord, keyof Priced['fields']>, p: Priced): void => {
      exact = exact.plus(p.exact);
      list = list.plus(p.listUsd);
      marked = marked.plus(p.marked);
      if (p.rounded.isZero()) {
        dropped += 1;
        return;
      }
      billed = billed.plus(p.rounded);
      records.push({ ...record, ...p.fields });
    };
    for (const d of buckets.drafts) {
      const marketplace = d.billingEntity === MARKETPLACE_ENTITY;
      const names = [...d.names].sort();
      add(
        {
          recordId: usageRecordId({ payerAccountId, period, accountId, billingEntity: d.billingEntity, productCode: d.productCode, usageType: d.usageType }),
          accountId,
          assetId,
          kind: marketplace ? 'marketplace' : 'aws',
          billingEntity: d.billingEntity,
          productCode: d.productCode,
          usageType: d.usageType,
          note: names[names.length - 1] ?? d.productCode,
          lineItemTypes: [...d.types].sort(),
        },
        this.price(d.listUsd.value(), marketplace ? this.markupMp : this.markup),
      );
    }
    const s = support.support;
    if (s.feeUsd !== null && s.billed !== 'basic' && s.table !== null) {
      add(
        {
          recordId: supportRecordId(payerAccountId, period, accountId),
          accountId,
          assetId,
          kind: 'support',
          billingEntity: 'AWS',
          productCode: 'support',
          usageType: '',
          note: `AWS Support (${s.billed}), table ${s.table}`,
          lineItemTypes: [],
          supportPlan: s.billed,
          supportTable: s.table,
        },
        this.price(money(s.feeUsd), this.markup),
      );
    }

    const decimals = settings.amountDecimals;
    // A billing-transfer subscription's own lines go on its management account's records only,
    // so a flat fee or credit is applied once for the organization, not once per account.
    const memberOfTransfer = sub?.coversOrganization === true && sub.accountId !== accountId;
    const lined = this.addLines(accountId, assetId, records, memberOfTransfer);
    billed = billed.plus(lined.fees).plus(lined.credits);
    exact = exact.plus(lined.fees).plus(lined.credits);
    const rated: RatedAccount = {
      accountId,
      assetId,
      ...(sub?.customerName === undefined ? {} : { customerName: sub.customerName }),
      support: s,
      ratedListUsd: toExactText(list),
      markedUsd: toExactText(marked),
      billedTotal: billed.toFixed(decimals),
      roundingResidual: toExactText(exact.minus(billed)),
      records,
      droppedZeroRecords: dropped,
    };
    const { records: _records, ...summary } = rated;
    this.accounts.push(summary);
    this.billedTotal = this.billedTotal.plus(money(rated.billedTotal));
    this.droppedZeroRecords += dropped;
    this.recordCount += records.length;
    return rated;
  }

  /**
   * The account's custom lines (MARGIN.md §4), after its usage, Marketplace and
   * support records: their records go at the end of `records`; the fees and
   * credits (≤ 0) come back to enter its billed total. Its entry in the lines
   * reconciliation (§5) sums the records by kind on their own.
   */
  private addLines(accountId: string, assetId: string | null, records: RatedRecord[], payerLinesOnly = false): { fees: Money; credits: Money } {
    const given = this.input.lines;
    if (given === undefined || given.lines.length === 0) return { fees: ZERO, credits: ZERO };
    const decimals = this.input.settings.amountDecimals;
    let aws = ZERO;
    let marketplace = ZERO;
    for (const r of records) {
      if (r.kind === 'marketplace') marketplace = marketplace.plus(money(r.billed));
      else aws = aws.plus(money(r.billed));
    }
    const scoped = payerLinesOnly ? given.lines.filter((l) => l.assetId === undefined) : given.lines;
    const lines = accountLines({ payerAccountId: this.input.payer.accountId, period: this.input.period, accountId, assetId, lines: scoped, openings: given.openings, amountDecimals: decimals, base: { aws, marketplace } });
    records.push(...lines.records);
    this.appliedLines.push(...lines.applied);
    this.ratedBilledTotal = this.ratedBilledTotal.plus(aws).plus(marketplace);
    this.feesTotal = this.feesTotal.plus(lines.fees);
    this.creditsTotal = this.creditsTotal.plus(lines.credits);
    if (lines.records.length > 0) {
      let rated = ZERO;
      let fees = ZERO;
      let credits = ZERO;
      for (const r of records) {
        const b = money(r.billed);
        if (r.kind === 'fee') fees = fees.plus(b);
        else if (r.kind === 'credit') credits = credits.plus(b);
        else rated = rated.plus(b);
      }
      const billedTotal = aws.plus(marketplace).plus(lines.fees).plus(lines.credits);
      if (!rated.plus(fees).plus(credits).equals(billedTotal)) this.linesBroken.push(accountId);
      this.lineCustomers.push({ accountId, ratedBilled: rated.toFixed(decimals), fees: fees.toFixed(decimals), credits: credits.toFixed(decimals), billedTotal: billedTotal.toFixed(decimals) });
    }
    return { fees: lines.fees, credits: lines.credits };
  }

  /** Prices a list amount: markup, fx, then the one rounding of the record. */
  private price(listUsd: Money, m: AppliedMarkup): Priced {
    const decimals = this.input.settings.amountDecimals;
    const marked = listUsd.times(m.value);
    const exact = marked.times(this.currency.fxRate);
    const rounded = roundAmount(exact, decimals);
    return {
      listUsd,
      marked,
      exact,
      rounded,
      fields: { listUsd: toExactText(listUsd), markup: m.applied, markedUsd: toExactText(marked), billedExact: toExactText(exact), billed: rounded.toFixed(decimals) },
    };
  }

  /** MARGIN.md §5: the payer's file total against its usage, fees and credits, and each customer's. */
  private linesReconciliation(): LinesReconciliation {
    const decimals = this.input.settings.amountDecimals;
    const fileTotal = this.billedTotal;
    const holds = this.linesBroken.length === 0 && fileTotal.equals(this.ratedBilledTotal.plus(this.feesTotal).plus(this.creditsTotal));
    return {
      ratedBilled: this.ratedBilledTotal.toFixed(decimals),
      fees: this.feesTotal.toFixed(decimals),
      credits: this.creditsTotal.toFixed(decimals),
      fileTotal: fileTotal.toFixed(decimals),
      customers: this.lineCustomers,
      holds,
    };
  }

  /** A line of one customer of this payer that the period does not bill because the account has no CUR rows: said, never silent. */
  private unusedLineWarnings(): string[] {
    const subs = this.input.subscriptions;
    if (subs === 'all' || this.input.lines === undefined) return [];
    const accountOf = new Map<string, string>();
    for (const s of subs.values()) accountOf.set(s.assetId, s.accountId);
    const rated = new Set(this.accounts.map((a) => a.accountId));
    const warnings: string[] = [];
    for (const line of this.input.lines.lines) {
      if (line.assetId === undefined || !appliesTo(line, this.input.period)) continue;
      const account = accountOf.get(line.assetId);
      if (account !== undefined && !rated.has(account)) warnings.push(`line ${line.id} of asset ${line.assetId} was not applied: account ${account} has no CUR rows in ${this.input.period}`);
    }
    return warnings;
  }

  finish(): PayerRatingOutcome {
    const { payer, period, settings } = this.input;
    if (this.finished) throw this.broken(`the rating of payer ${payer.accountId} finished twice`);
    this.finished = true;
    const problems = collectInputProblems(this.groupCount, this.periods, this.currencies, period);
    if (problems.length > 0) return { ok: false, problems };
    if (this.supportProblems.length > 0) return { ok: false, problems: [...this.supportProblems] };

    const sums = this.sums;
    const curTotal = sums.curTotal.value();
    const ratedUnblended = sums.ratedUnblended.value();
    const ratedList = sums.ratedList.value();
    const excluded = [...sums.excluded.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([reason, s]): [string, Money] => [reason, s.value()]);
    let excludedTotal = ZERO;
    for (const s of sums.excluded.values()) excludedTotal = excludedTotal.plus(s.value());
    const reconciliation: Reconciliation = {
      curTotalUsd: toExactText(curTotal),
      ratedUnblendedUsd: toExactText(ratedUnblended),
      ratedListUsd: toExactText(ratedList),
      excludedUsd: Object.fromEntries(excluded.map(([k, v]) => [k, toExactText(v)])),
      unassignedUsd: toExactText(this.unassignedTotal),
      onDemandUpliftUsd: toExactText(ratedList.minus(ratedUnblended)),
      holds: curTotal.equals(ratedUnblended.plus(excludedTotal).plus(this.unassignedTotal)),
    };
    if (!reconciliation.holds) {
      return { ok: false, reconciliation, problems: [{ code: 'RECONCILIATION_FAILED', message: `CUR total ${reconciliation.curTotalUsd} USD ≠ rated + excluded + unassigned` }] };
    }
    const withLines = this.input.lines !== undefined && this.input.lines.lines.length > 0;
    if (withLines) {
      const lines = this.linesReconciliation();
      reconciliation.lines = lines;
      if (!lines.holds) {
        const customers = this.linesBroken.length > 0 ? ` (customers ${this.linesBroken.join(', ')})` : '';
        return { ok: false, reconciliation, problems: [{ code: 'RECONCILIATION_FAILED', message: `file total ${lines.fileTotal} ≠ rated ${lines.ratedBilled} + fees ${lines.fees} + credits ${lines.credits}${customers}` }] };
      }
    }

    const warnings: string[] = [];
    for (const m of [this.markup, this.markupMp]) if (m.note !== undefined && m.given !== undefined && m.given.trim() !== '') warnings.push(m.note);
    if (this.currency.note !== undefined && payer.fxRate !== undefined && payer.fxRate.trim() !== '') warnings.push(this.currency.note);
    if (withLines) warnings.push(...this.unusedLineWarnings());
    if (this.unassigned.length > 0) warnings.push(`${this.unassigned.length} account(s) with CUR usage have no subscription: ${toExactText(this.unassignedTotal)} USD not billed`);

    const summary: RatedPayerSummary = {
      payerAccountId: payer.accountId,
      period,
      currency: this.currency,
      listPrice: settings.listPrice,
      markups: { customMarkup: this.markup, customMarkupMarketplace: this.markupMp },
      reconciliation,
      accounts: this.accounts,
      unassigned: this.unassigned,
      billedTotal: this.billedTotal.toFixed(settings.amountDecimals),
      droppedZeroRecords: this.droppedZeroRecords,
      supportPlanMismatches: this.mismatches,
      warnings,
      rowsRated: sums.rowsRated,
      recordCount: this.recordCount,
      ...(withLines ? { lines: this.appliedLines } : {}),
    };
    return { ok: true, payer: summary };
  }
}
