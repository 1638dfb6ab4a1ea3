/**
 * The money core (RATING.md §2–§8): a payer's aggregated CUR groups in, priced
 * records and the reconciliation out. Pure: no I/O, no clock, no logging.
 * Expected failures (bad markup, bad fx, a row of another month...) come back as
 * `RatingProblem`s, and then no records are produced.
 */
import { bucketGroups } from './buckets.js';
import type { CurGroup } from './cur.js';
import { MARKETPLACE_ENTITY } from './line-items.js';
import { Money, ZERO, money, roundAmount, sum, toExactText } from './money.js';
import { parseCurrency, parseMarkup, type AppliedMarkup } from './parameters.js';
import type { RatedAccount, RatedRecord, RatePayerInput, RatingOutcome, RatingProblem, Reconciliation, Subscription } from './rating-types.js';
import { supportRecordId, usageRecordId } from './record-id.js';
import { detectPlans, supportLines, type AccountSupport } from './support-lines.js';

export type * from './rating-types.js';

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

/** A priced list amount: the exact steps, and the record's money fields as text. */
interface Priced {
  listUsd: Money;
  marked: Money;
  exact: Money;
  rounded: Money;
  fields: Pick<RatedRecord, 'listUsd' | 'markup' | 'markedUsd' | 'billedExact' | 'billed'>;
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

  const isBilled = (accountId: string): boolean => input.subscriptions === 'all' || input.subscriptions.has(accountId);
  const assetOf = (accountId: string): Subscription | undefined => (input.subscriptions === 'all' ? undefined : input.subscriptions.get(accountId));

  const buckets = bucketGroups(
    groups,
    { listPrice: settings.listPrice, includeTax: settings.includeTax, excludeLineItemTypes: new Set(settings.excludeLineItemTypes), recordGranularity: settings.recordGranularity },
    input.catalog,
    isBilled,
  );
  const { drafts, accounts, excluded, unassigned, supportBase, ratedUnblended, ratedList } = buckets;

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
  /** Prices a list amount: markup, fx, then the one rounding of the record. */
  const price = (listUsd: Money, m: AppliedMarkup): Priced => {
    const marked = listUsd.times(m.value);
    const exact = marked.times(fx);
    const rounded = roundAmount(exact, decimals);
    return {
      listUsd,
      marked,
      exact,
      rounded,
      fields: { listUsd: toExactText(listUsd), markup: m.applied, markedUsd: toExactText(marked), billedExact: toExactText(exact), billed: rounded.toFixed(decimals) },
    };
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
  const add = (accountId: string, record: Omit<RatedRecord, keyof Priced['fields']>, p: Priced): void => {
    const account = byAccount.get(accountId) as RatedAccount;
    exactByAccount.set(accountId, (exactByAccount.get(accountId) ?? ZERO).plus(p.exact));
    listByAccount.set(accountId, (listByAccount.get(accountId) ?? ZERO).plus(p.listUsd));
    markedByAccount.set(accountId, (markedByAccount.get(accountId) ?? ZERO).plus(p.marked));
    if (p.rounded.isZero()) account.droppedZeroRecords += 1;
    else account.records.push({ ...record, ...p.fields });
  };

  const sortedDrafts = [...drafts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, d]) => d);
  for (const d of sortedDrafts) {
    const marketplace = d.billingEntity === MARKETPLACE_ENTITY;
    const m = marketplace ? markupMp.value : markup.value;
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
    }, price(d.listUsd.value(), m));
  }
  for (const [accountId, s] of support.accounts) {
    if (s.feeUsd === null || s.billed === 'basic' || s.table === null) continue;
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
      supportPlan: s.billed,
      supportTable: s.table,
    }, price(money(s.feeUsd), markup.value));
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

  const curTotal = buckets.curTotal;
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
      rowsRated: buckets.rowsRated,
    },
  };
}
