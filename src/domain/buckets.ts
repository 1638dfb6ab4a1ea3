/**
 * RATING.md §2 and §8: every CUR group lands in exactly one bucket (unassigned,
 * excluded with a reason, or rated into a record draft), and the support base of
 * each billed account is summed on the way. One pass, exact running sums.
 */
import type { CurGroup, ListPriceMode, RecordGranularity } from './cur.js';
import { MARKETPLACE_ENTITY, countsInSupportBase, exclusionReason, usesOnDemandPrice } from './line-items.js';
import { MoneySum, type Money } from './money.js';
import type { SupportCatalog } from './support-fee.js';

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

/** A record before pricing: all rated groups of one record key. */
export interface RecordDraft {
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

export interface Buckets {
  curTotal: Money;
  ratedUnblended: Money;
  ratedList: Money;
  /** Excluded USD by reason. */
  excluded: Map<string, Money>;
  /** Unblended USD of accounts without a subscription, by account. */
  unassigned: Map<string, Money>;
  /** Support base USD by billed account (RATING.md §4). */
  supportBase: Map<string, Money>;
  /** Record drafts by record key, the key being account, entity, product, usage type joined by NUL. */
  drafts: Map<string, RecordDraft>;
  /** Billed accounts with rows in the period. */
  accounts: Set<string>;
  rowsRated: number;
}

/** Puts each group in its bucket. */
export function bucketGroups(groups: CurGroup[], settings: BucketSettings, catalog: SupportCatalog, isBilled: (accountId: string) => boolean): Buckets {
  const excludeTypes = settings.excludeLineItemTypes;
  const classify = { listPrice: settings.listPrice, includeTax: settings.includeTax, excludeLineItemTypes: excludeTypes };
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
    const isSupport = Object.prototype.hasOwnProperty.call(catalog.productCodes, g.productCode);
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

  return {
    curTotal: curTotalSum.value(),
    ratedUnblended: ratedUnblendedSum.value(),
    ratedList: ratedListSum.value(),
    excluded: valuesOf(excludedSums),
    unassigned: valuesOf(unassignedSums),
    supportBase: valuesOf(supportBaseSums),
    drafts,
    accounts,
    rowsRated,
  };
}
