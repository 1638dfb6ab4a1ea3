/**
 * Which bucket a CUR row falls in (RATING.md §2): rated, or excluded with a reason.
 * One place for the lists of line item types.
 */
import type { ListPriceMode } from './cur.js';

/** The reseller's own discounts and margin: never the customer's price, never configurable. */
export const ALWAYS_EXCLUDED_TYPES: ReadonlySet<string> = new Set([
  'SppDiscount',
  'EdpDiscount',
  'PrivateRateDiscount',
  'RiVolumeDiscount',
  'DistributorDiscount',
  'Discount',
]);

/** Types whose list amount is the public on-demand cost in `on-demand` mode. */
export const USAGE_TYPES: ReadonlySet<string> = new Set(['Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage']);

/** Commitment types excluded in `on-demand` mode (plus RI purchase `Fee` rows). */
export const COMMITMENT_TYPES: ReadonlySet<string> = new Set([
  'SavingsPlanNegation',
  'SavingsPlanRecurringFee',
  'SavingsPlanUpfrontFee',
  'RIFee',
]);

/** Types that never count in the support base (AWS's "before discounts and credits"). */
export const NOT_IN_SUPPORT_BASE: ReadonlySet<string> = new Set(['Tax', 'Credit', 'Refund', 'BundledDiscount', ...ALWAYS_EXCLUDED_TYPES]);

export const MARKETPLACE_ENTITY = 'AWS Marketplace';

export interface ClassifySettings {
  listPrice: ListPriceMode;
  includeTax: boolean;
  /** Extra excluded types (may not remove the always-excluded ones). */
  excludeLineItemTypes: ReadonlySet<string>;
}

export interface ClassifiedRow {
  lineItemType: string;
  isSupport: boolean;
  reservationFee: boolean;
}

/**
 * The exclusion reason of a row, or undefined when it is rated. Precedence, first
 * match wins: always-excluded discount type, `Tax` (unless includeTax), support
 * product, a type in excludeLineItemTypes, commitment (on-demand mode only).
 */
export function exclusionReason(row: ClassifiedRow, settings: ClassifySettings): string | undefined {
  const type = row.lineItemType;
  if (ALWAYS_EXCLUDED_TYPES.has(type)) return type;
  if (type === 'Tax' && !settings.includeTax) return 'Tax';
  if (row.isSupport) return 'support';
  if (settings.excludeLineItemTypes.has(type)) return type;
  if (settings.listPrice === 'on-demand' && (COMMITMENT_TYPES.has(type) || (type === 'Fee' && row.reservationFee))) return 'commitment';
  return undefined;
}

/** True when the row's list amount is its public on-demand cost. */
export function usesOnDemandPrice(lineItemType: string, listPrice: ListPriceMode): boolean {
  return listPrice === 'on-demand' && USAGE_TYPES.has(lineItemType);
}

/** True when the row counts in its account's support base (before the Marketplace and support checks). */
export function countsInSupportBase(lineItemType: string, excludeLineItemTypes: ReadonlySet<string>): boolean {
  return !NOT_IN_SUPPORT_BASE.has(lineItemType) && !excludeLineItemTypes.has(lineItemType);
}
