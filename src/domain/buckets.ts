/**
 * RATING.md §2 and §8: every CUR group lands in exactly one bucket (unassigned,
 * excluded with a reason, or rated into a record draft), and the support base of
 * each billed account is summed on the way. One account at a time, one pass over
 * its groups, exact running sums that allocate no decimal per group: each amount
 * is parsed once (`sumPart`) and added as a BigInt to every sum it belongs to.
 */
import type { CurGroup, ListPriceMode, RecordGranularity } from './cur.js';
import { MARKETPLACE_ENTITY, countsInSupportBase, exclusionReason, usesOnDemandPrice } from './line-items.js';
import { MoneySum, sumPart, type Money } from './money.js';
import type { SupportCatalog } from './support-fee.js';

/** A record before pricing: all rated groups of one record key of one account. */
export interface RecordDraft {
  /** Billing entity, product code and usage type joined by NUL: the draft's order within its account. */
  key: string;
  accountId: string;
  billingEntity: string;
  productCode: string;
  usageType: string;
  names: Set<string>;
  types: Set<string>;
  listUsd: MoneySum;
}

export interface BucketSettings {
  listPrice: ListPriceMode;
  includeTax: boolean;
  excludeLineItemTypes: ReadonlySet<string>;
  recordGranularity: RecordGranularity;
}

/** The payer's running sums over every account bucketed so far (memory: one sum per exclusion reason). */
export class PayerSums {
  /** Σ unblended over every group. */
  readonly curTotal = new MoneySum();
  /** Σ unblended over the rated groups. */
  readonly ratedUnblended = new MoneySum();
  /** Σ list amount over the rated groups. */
  readonly ratedList = new MoneySum();
  /** Excluded USD by reason. */
  readonly excluded = new Map<string, MoneySum>();
  /** CUR rows of the rated groups. */
  rowsRated = 0;
}

/** What one billed account's groups leave for its records and support line. */
export interface AccountBuckets {
  /** The account's record drafts, in record order (by key). */
  drafts: RecordDraft[];
  /** Support base USD (RATING.md §4), before the "negative is 0" rule. */
  supportBase: Money;
  /** The account's support groups (they decide the detected plan). */
  supportGroups: CurGroup[];
}

/**
 * Buckets the groups of one billed account: adds them to the payer's sums and
 * returns the account's drafts and support base. Throws on an amount that is not
 * a decimal (the source checked them: a broken invariant).
 */
export function bucketAccount(accountId: string, groups: readonly CurGroup[], settings: BucketSettings, catalog: SupportCatalog, sums: PayerSums): AccountBuckets {
  const excludeTypes = settings.excludeLineItemTypes;
  const classify = { listPrice: settings.listPrice, includeTax: settings.includeTax, excludeLineItemTypes: excludeTypes };
  const byUsageType = settings.recordGranularity === 'usage-type';
  const supportBase = new MoneySum();
  const supportGroups: CurGroup[] = [];
  const drafts = new Map<string, RecordDraft>();

  for (const g of groups) {
    const unblended = sumPart(g.unblendedUsd);
    sums.curTotal.addPart(unblended);
    const isSupport = Object.prototype.hasOwnProperty.call(catalog.productCodes, g.productCode);
    if (isSupport) supportGroups.push(g);
    const marketplace = g.billingEntity === MARKETPLACE_ENTITY;
    if (!marketplace && !isSupport && countsInSupportBase(g.lineItemType, excludeTypes)) supportBase.addPart(unblended);
    const reason = exclusionReason({ lineItemType: g.lineItemType, isSupport, reservationFee: g.reservationFee }, classify);
    if (reason !== undefined) {
      let excluded = sums.excluded.get(reason);
      if (excluded === undefined) sums.excluded.set(reason, (excluded = new MoneySum()));
      excluded.addPart(unblended);
      continue;
    }
    const listUsd = usesOnDemandPrice(g.lineItemType, settings.listPrice) ? sumPart(g.onDemandListUsd) : unblended;
    sums.ratedUnblended.addPart(unblended);
    sums.ratedList.addPart(listUsd);
    sums.rowsRated += g.rows;
    const usageType = byUsageType ? g.usageType : '';
    const key = `${g.billingEntity}\u0000${g.productCode}\u0000${usageType}`;
    let draft = drafts.get(key);
    if (draft === undefined) {
      draft = { key, accountId, billingEntity: g.billingEntity, productCode: g.productCode, usageType, names: new Set(), types: new Set(), listUsd: new MoneySum() };
      drafts.set(key, draft);
    }
    if (g.productName !== '') draft.names.add(g.productName);
    draft.types.add(g.lineItemType);
    draft.listUsd.addPart(listUsd);
  }

  return { drafts: [...drafts.values()].sort((a, b) => (a.key < b.key ? -1 : 1)), supportBase: supportBase.value(), supportGroups };
}

/** Adds the groups of an account without a subscription to the payer's CUR total; returns their unblended total. */
export function bucketUnassigned(groups: readonly CurGroup[], sums: PayerSums): Money {
  const total = new MoneySum();
  for (const g of groups) {
    const unblended = sumPart(g.unblendedUsd);
    sums.curTotal.addPart(unblended);
    total.addPart(unblended);
  }
  return total.value();
}
