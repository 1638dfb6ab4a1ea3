/**
 * The money core (RATING.md §2–§8): a payer's aggregated CUR groups in, priced
 * records and the reconciliation out. Pure: no I/O, no clock, no logging.
 * Expected failures (bad markup, bad fx, a row of another month...) come back as
 * `RatingProblem`s, and then no records are produced.
 */
import type { CurGroup, ListPriceMode, RecordGranularity } from './cur.js';
import { MARKETPLACE_ENTITY, countsInSupportBase, exclusionReason, usesOnDemandPrice } from './line-items.js';
import { Money, MoneySum, ZERO, money, roundAmount, sum, toExactText } from './money.js';
import { parseCurrency, parseMarkup, type AppliedCurrency, type AppliedMarkup } from './parameters.js';
import { supportRecordId, usageRecordId } from './record-id.js';
import { detectPlans, type AccountSupport, supportLines } from './support-lines.js';
import type { SupportCatalog, SupportPlan } from './support-fee.js';

export interface RatingSettings {
  listPrice: ListPriceMode;
  includeTax: boolean;
  excludeLineItemTypes: string[];
  supportPlanSource: 'ordered' | 'detected';
  recordGranularity: RecordGranularity;
  /** Decimal places of a billed record amount (default 2). */
  amountDecimals: number;
}

export interface PayerParameters {
  accountId: string;
  marketplaceCurrency?: string;
  fxRate?: string;
  customMarkup?: string;
  customMarkupMarketplace?: string;
}

/** A subscription (asset) that bills a linked account. */
export interface Subscription {
  assetId: string;
  accountId: string;
  /** `support_level` as ordered; '' = default (business). */
  supportLevel: string;
}

export interface RatePayerInput {
  payer: PayerParameters;
  /** `YYYY-MM`. */
  period: string;
  settings: RatingSettings;
  /** The payer's groups only. */
  groups: CurGroup[];
  /** Subscriptions by linked account, or 'all' to bill every account as its own customer. */
  subscriptions: ReadonlyMap<string, Subscription> | 'all';
  catalog: SupportCatalog;
  /** ISO 4217 codes accepted for `marketplaceCurrency` (empty = any three capitals). */
  knownCurrencies: ReadonlySet<string>;
}

export type RecordKind = 'aws' | 'marketplace' | 'support';

export interface RatedRecord {
  recordId: string;
  accountId: string;
  assetId: string | null;
  kind: RecordKind;
  billingEntity: string;
  productCode: string;
  usageType: string;
  /** Service name (or product code when the CUR has none). */
  note: string;
  lineItemTypes: string[];
  listUsd: string;
  markup: string;
  markedUsd: string;
  /** Billed amount before rounding, in the payer's currency. */
  billedExact: string;
  /** Billed amount rounded once to amountDecimals, ROUND_HALF_UP. */
  billed: string;
  supportPlan?: SupportPlan;
  supportTable?: string;
}

export interface RatedAccount {
  accountId: string;
  assetId: string | null;
  support: AccountSupport;
  ratedListUsd: string;
  markedUsd: string;
  billedTotal: string;
  /** Σ unrounded − Σ rounded, in the payer's currency. */
  roundingResidual: string;
  records: RatedRecord[];
  droppedZeroRecords: number;
}

export interface Reconciliation {
  curTotalUsd: string;
  ratedUnblendedUsd: string;
  ratedListUsd: string;
  excludedUsd: Record<string, string>;
  unassignedUsd: string;
  onDemandUpliftUsd: string;
  holds: boolean;
}

export interface RatingProblem {
  code: 'MARKUP_INVALID' | 'FX_INVALID' | 'CONFIG_INVALID' | 'PERIOD_MISMATCH' | 'CURRENCY_NOT_USD' | 'SUPPORT_TABLE_MISSING' | 'RECONCILIATION_FAILED' | 'CUR_EMPTY';
  message: string;
  setting?: string;
  value?: string;
  account?: string;
}

export interface RatedPayer {
  payerAccountId: string;
  period: string;
  currency: AppliedCurrency;
  listPrice: ListPriceMode;
  markups: { customMarkup: AppliedMarkup; customMarkupMarketplace: AppliedMarkup };
  reconciliation: Reconciliation;
  accounts: RatedAccount[];
  unassigned: { accountId: string; unblendedUsd: string }[];
  billedTotal: string;
  records: RatedRecord[];
  droppedZeroRecords: number;
  supportPlanMismatches: { accountId: string; ordered: SupportPlan; detected: string }[];
  warnings: string[];
  rowsRated: number;
}

export type RatingOutcome = { ok: true; payer: RatedPayer } | { ok: false; problems: RatingProblem[]; reconciliation?: Reconciliation };

/** The running sum under `key`, created on first use. */
function sumAt(map: Map<string, MoneySum>, key: string): MoneySum {
  let s = map.get(key);
  if (s === undefined) {
    s = new MoneySum();
    map.set(key, s);
  }
  return s;
}

/** The values of a map of sums, as money. */
const valuesOf = (map: Map<string, MoneySum>): Map<string, Money> => new Map([...map].map(([k, v]) => [k, v.value()]));

/** Checks the groups belong to the period and are in USD. */
function inputProblems(groups: CurGroup[], period: string): RatingProblem[] {
  const problems: RatingProblem[] = [];
  if (groups.length === 0) problems.push({ code: 'CUR_EMPTY', message: `no CUR rows for period ${period}` });
  const periods = [...new Set(groups.map((g) => g.periodStart))].filter((p) => p !== `${period}-01`);
  for (const p of periods) problems.push({ code: 'PERIOD_MISMATCH', value: p, message: `CUR rows of billing period starting ${p} found while rating ${period}` });
  const currencies = [...new Set(groups.map((g) => g.currencyCode))].filter((c) => c !== '' && c !== 'USD');
  for (const c of currencies) problems.push({ code: 'CURRENCY_NOT_USD', value: c, message: `line_item_currency_code ${JSON.stringify(c)} is not USD` });
  return problems;
}

interface RecordDraft {
  accountId: string;
  billingEntity: string;
  productCode: string;
  usageType: string;
  names: Set<string>;
  types: Set<string>;
  listUsd: MoneySum;
}

/** Rates one payer's month. */
export function ratePayer(input: RatePayerInput): RatingOutcome {
  const { payer, period, settings, groups } = input;
  const problems = inputProblems(groups, period);
  const markup = parseMarkup('customMarkup', payer.customMarkup);
  const markupMp = parseMarkup('customMarkupMarketplace', payer.customMarkupMarketplace);
  const currency = parseCurrency(payer.marketplaceCurrency, payer.fxRate, input.knownCurrencies);
  for (const parsed of [markup, markupMp, currency]) if (!parsed.ok) problems.push({ ...parsed.problem });
  if (!markup.ok || !markupMp.ok || !currency.ok || problems.length > 0) return { ok: false, problems };

  const excludeTypes = new Set(settings.excludeLineItemTypes);
  const classify = { listPrice: settings.listPrice, includeTax: settings.includeTax, excludeLineItemTypes: excludeTypes };
  const isBilled = (accountId: string): boolean => input.subscriptions === 'all' || input.subscriptions.has(accountId);
  const assetOf = (accountId: string): Subscription | undefined => (input.subscriptions === 'all' ? undefined : input.subscriptions.get(accountId));

  const excludedSums = new Map<string, MoneySum>();
  const unassignedSums = new Map<string, MoneySum>();
  const supportBaseSums = new Map<string, MoneySum>();
  const drafts = new Map<string, RecordDraft>();
  const curTotalSum = new MoneySum();
  const ratedUnblendedSum = new MoneySum();
  const ratedListSum = new MoneySum();
  let rowsRated = 0;
  const accounts = new Set<string>();

  for (const g of groups) {
    curTotalSum.add(g.unblendedUsd);
    if (!isBilled(g.accountId)) {
      sumAt(unassignedSums, g.accountId).add(g.unblendedUsd);
      continue;
    }
    accounts.add(g.accountId);
    const isSupport = Object.prototype.hasOwnProperty.call(input.catalog.productCodes, g.productCode);
    const marketplace = g.billingEntity === MARKETPLACE_ENTITY;
    if (!marketplace && !isSupport && countsInSupportBase(g.lineItemType, excludeTypes)) {
      sumAt(supportBaseSums, g.accountId).add(g.unblendedUsd);
    }
    const reason = exclusionReason({ lineItemType: g.lineItemType, isSupport, reservationFee: g.reservationFee }, classify);
    if (reason !== undefined) {
      sumAt(excludedSums, reason).add(g.unblendedUsd);
      continue;
    }
    const listUsd = usesOnDemandPrice(g.lineItemType, settings.listPrice) ? g.onDemandListUsd : g.unblendedUsd;
    ratedUnblendedSum.add(g.unblendedUsd);
    ratedListSum.add(listUsd);
    rowsRated += g.rows;
    const usageType = settings.recordGranularity === 'usage-type' ? g.usageType : '';
    const key = [g.accountId, g.billingEntity, g.productCode, usageType].join('\u0000');
    let draft = drafts.get(key);
    if (draft === undefined) {
      draft = { accountId: g.accountId, billingEntity: g.billingEntity, productCode: g.productCode, usageType, names: new Set(), types: new Set(), listUsd: new MoneySum() };
      drafts.set(key, draft);
    }
    if (g.productName !== '') draft.names.add(g.productName);
    draft.types.add(g.lineItemType);
    draft.listUsd.add(listUsd);
  }
  const supportBase = valuesOf(supportBaseSums);
  const excluded = valuesOf(excludedSums);
  const unassigned = valuesOf(unassignedSums);
  const ratedUnblended = ratedUnblendedSum.value();
  const ratedList = ratedListSum.value();

  // Support: detected plans come from every billed account's support rows.
  const detected = detectPlans(groups.filter((g) => isBilled(g.accountId)), input.catalog);
  const support = supportLines({
    accounts: [...accounts].sort(),
    orderedPlan: (id) => assetOf(id)?.supportLevel ?? '',
    detected,
    supportBase,
    source: settings.supportPlanSource,
    catalog: input.catalog,
    periodStart: `${period}-01`,
  });
  if (!support.ok) return { ok: false, problems: support.problems };

  const decimals = settings.amountDecimals;
  const fx = currency.value.fxRate;
  const price = (listUsd: Money, m: AppliedMarkup): { marked: Money; exact: Money; rounded: Money } => {
    const marked = listUsd.times(m.value);
    const exact = marked.times(fx);
    return { marked, exact, rounded: roundAmount(exact, decimals) };
  };

  const byAccount = new Map<string, RatedAccount>();
  const exactByAccount = new Map<string, Money>();
  const listByAccount = new Map<string, Money>();
  const markedByAccount = new Map<string, Money>();
  for (const accountId of [...accounts].sort()) {
    const sub = assetOf(accountId);
    byAccount.set(accountId, {
      accountId,
      assetId: sub?.assetId ?? null,
      support: support.accounts.get(accountId) as AccountSupport,
      ratedListUsd: '0',
      markedUsd: '0',
      billedTotal: '0',
      roundingResidual: '0',
      records: [],
      droppedZeroRecords: 0,
    });
  }
  const add = (accountId: string, record: RatedRecord, listUsd: Money, marked: Money, exact: Money): void => {
    const account = byAccount.get(accountId) as RatedAccount;
    exactByAccount.set(accountId, (exactByAccount.get(accountId) ?? ZERO).plus(exact));
    listByAccount.set(accountId, (listByAccount.get(accountId) ?? ZERO).plus(listUsd));
    markedByAccount.set(accountId, (markedByAccount.get(accountId) ?? ZERO).plus(marked));
    if (money(record.billed).isZero()) account.droppedZeroRecords += 1;
    else account.records.push(record);
  };

  const sortedDrafts = [...drafts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, d]) => d);
  for (const d of sortedDrafts) {
    const marketplace = d.billingEntity === MARKETPLACE_ENTITY;
    const m = marketplace ? markupMp.value : markup.value;
    const listUsd = d.listUsd.value();
    const p = price(listUsd, m);
    const names = [...d.names].sort();
    add(d.accountId, {
      recordId: usageRecordId({ payerAccountId: payer.accountId, period, accountId: d.accountId, billingEntity: d.billingEntity, productCode: d.productCode, usageType: d.usageType }),
      accountId: d.accountId,
      assetId: assetOf(d.accountId)?.assetId ?? null,
      kind: marketplace ? 'marketplace' : 'aws',
      billingEntity: d.billingEntity,
      productCode: d.productCode,
      usageType: d.usageType,
      note: names[names.length - 1] ?? d.productCode,
      lineItemTypes: [...d.types].sort(),
      listUsd: toExactText(listUsd),
      markup: m.applied,
      markedUsd: toExactText(p.marked),
      billedExact: toExactText(p.exact),
      billed: p.rounded.toFixed(decimals),
    }, listUsd, p.marked, p.exact);
  }
  for (const [accountId, s] of support.accounts) {
    if (s.feeUsd === null || s.billed === 'basic' || s.table === null) continue;
    const fee = money(s.feeUsd);
    const p = price(fee, markup.value);
    add(accountId, {
      recordId: supportRecordId(payer.accountId, period, accountId),
      accountId,
      assetId: assetOf(accountId)?.assetId ?? null,
      kind: 'support',
      billingEntity: 'AWS',
      productCode: 'support',
      usageType: '',
      note: `AWS Support (${s.billed}), table ${s.table}`,
      lineItemTypes: [],
      listUsd: toExactText(fee),
      markup: markup.value.applied,
      markedUsd: toExactText(p.marked),
      billedExact: toExactText(p.exact),
      billed: p.rounded.toFixed(decimals),
      supportPlan: s.billed,
      supportTable: s.table,
    }, fee, p.marked, p.exact);
  }

  const ratedAccounts = [...byAccount.values()];
  for (const a of ratedAccounts) {
    const billed = sum(a.records.map((r) => money(r.billed)));
    a.billedTotal = billed.toFixed(decimals);
    a.ratedListUsd = toExactText(listByAccount.get(a.accountId) ?? ZERO);
    a.markedUsd = toExactText(markedByAccount.get(a.accountId) ?? ZERO);
    a.roundingResidual = toExactText((exactByAccount.get(a.accountId) ?? ZERO).minus(billed));
  }
  const records = ratedAccounts.flatMap((a) => a.records);
  const billedTotal = sum(ratedAccounts.map((a) => money(a.billedTotal)));

  const curTotal = curTotalSum.value();
  const excludedTotal = sum(excluded.values());
  const unassignedTotal = sum(unassigned.values());
  const reconciliation: Reconciliation = {
    curTotalUsd: toExactText(curTotal),
    ratedUnblendedUsd: toExactText(ratedUnblended),
    ratedListUsd: toExactText(ratedList),
    excludedUsd: Object.fromEntries([...excluded.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, toExactText(v)])),
    unassignedUsd: toExactText(unassignedTotal),
    onDemandUpliftUsd: toExactText(ratedList.minus(ratedUnblended)),
    holds: curTotal.equals(ratedUnblended.plus(excludedTotal).plus(unassignedTotal)),
  };
  if (!reconciliation.holds) {
    return { ok: false, reconciliation, problems: [{ code: 'RECONCILIATION_FAILED', message: `CUR total ${reconciliation.curTotalUsd} USD ≠ rated + excluded + unassigned` }] };
  }

  const warnings: string[] = [];
  for (const m of [markup.value, markupMp.value]) if (m.note !== undefined && m.given !== undefined && m.given.trim() !== '') warnings.push(m.note);
  if (currency.value.note !== undefined && payer.fxRate !== undefined && payer.fxRate.trim() !== '') warnings.push(currency.value.note);
  if (unassigned.size > 0) warnings.push(`${unassigned.size} account(s) with CUR usage have no subscription: ${toExactText(unassignedTotal)} USD not billed`);

  return {
    ok: true,
    payer: {
      payerAccountId: payer.accountId,
      period,
      currency: currency.value,
      listPrice: settings.listPrice,
      markups: { customMarkup: markup.value, customMarkupMarketplace: markupMp.value },
      reconciliation,
      accounts: ratedAccounts,
      unassigned: [...unassigned.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([accountId, v]) => ({ accountId, unblendedUsd: toExactText(v) })),
      billedTotal: billedTotal.toFixed(decimals),
      records,
      droppedZeroRecords: ratedAccounts.reduce((n, a) => n + a.droppedZeroRecords, 0),
      supportPlanMismatches: support.mismatches,
      warnings,
      rowsRated,
    },
  };
}
