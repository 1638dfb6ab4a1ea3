/**
 * CUR facts the rating needs: column names, the legacy header mapping, and the
 * aggregated row ("group") the query returns. No I/O.
 */

/** Map a legacy CUR header (`lineItem/UsageAccountId`) to its snake_case name (RATING.md §1). */
export function toSnakeCase(header: string): string {
  return header
    .replace(/([A-Z])/g, '_$1')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * The billing period's first day (`YYYY-MM-DD`) from the engine's text of
 * `bill_billing_period_start_date` (`2026-10-01T00:00:00.000Z`, `2026-10-01 00:00:00.000`,
 * `2026-10-01`); anything else is returned trimmed, and then matches no period.
 */
export function periodStartOf(text: string): string {
  const t = text.trim();
  return /^\d{4}-\d{2}-\d{2}(?![0-9])/.test(t) ? t.slice(0, 10) : t;
}

/** Columns every CUR input must have (RATING.md §1). */
export const REQUIRED_COLUMNS = [
  'bill_payer_account_id',
  'bill_billing_period_start_date',
  'line_item_usage_account_id',
  'line_item_line_item_type',
  'line_item_product_code',
  'bill_billing_entity',
  'line_item_unblended_cost',
] as const;

/** Columns read when present; a missing one reads as NULL. */
export const OPTIONAL_COLUMNS = [
  'pricing_public_on_demand_cost',
  'reservation_reservation_a_r_n',
  'product_product_name',
  'line_item_currency_code',
  'line_item_usage_type',
  'line_item_resource_id',
  // The cost side (MARGIN.md §1): the after-discount cost, legacy `lineItem/NetUnblendedCost`.
  'line_item_net_unblended_cost',
  // A discount carried on the row itself (legacy `discount/TotalDiscount`): tells a discount the CUR gives no net cost for.
  'discount_total_discount',
] as const;

export type CurColumn = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

/** Amount columns: exact decimals, never floating point. */
export const AMOUNT_COLUMNS: readonly CurColumn[] = ['line_item_unblended_cost', 'pricing_public_on_demand_cost', 'line_item_net_unblended_cost', 'discount_total_discount'];

/**
 * Line item types that are discounts of other rows (RATING.md §2's always-excluded
 * types and `BundledDiscount`). A row of one of these types that has a net cost counts
 * 0 on the cost side (MARGIN.md §1, docs/rating.md "Margin"): the net cost of the rows
 * it discounts already carries it. Plain letters only: the query names them as literals.
 */
export const NET_CARRIED_DISCOUNT_TYPES: readonly string[] = [
  'SppDiscount',
  'EdpDiscount',
  'PrivateRateDiscount',
  'RiVolumeDiscount',
  'DistributorDiscount',
  'Discount',
  'BundledDiscount',
];

/**
 * One result row of the CUR aggregation: all CUR rows of one payer, period,
 * account, line item type, product, billing entity (and usage type at `usage-type`
 * granularity). Amounts are exact decimal strings.
 */
export interface CurGroup {
  payerAccountId: string;
  /** `YYYY-MM-DD`, the billing period's first day. */
  periodStart: string;
  accountId: string;
  lineItemType: string;
  productCode: string;
  billingEntity: string;
  /** `line_item_currency_code`, '' when the column is absent or empty. */
  currencyCode: string;
  /** True for `Fee` rows with a non-empty reservation ARN (RI purchase fees); computed in `on-demand` mode only, the one mode that treats them apart. */
  reservationFee: boolean;
  /** `line_item_usage_type` at `usage-type` granularity, else ''. */
  usageType: string;
  /** `product_product_name` (greatest seen), '' when absent. */
  productName: string;
  /** How many CUR rows the group holds. */
  rows: number;
  /** How many of them have a `bill_invoice_id` (0 when the source cannot tell; see `CurAggregate.tellsFinality`). */
  invoicedRows: number;
  /** Σ line_item_unblended_cost, exact. */
  unblendedUsd: string;
  /** Σ per row of (public on-demand cost when non-zero, else unblended); '' when not queried. */
  onDemandListUsd: string;
  /** The largest single line_item_unblended_cost of the group (decides the detected support plan). */
  maxUnblendedUsd: string;
  /**
   * Σ cost(row) of MARGIN.md §1, exact: a row's `line_item_net_unblended_cost` when it
   * has one (0 for a row of `NET_CARRIED_DISCOUNT_TYPES`), else its unblended cost.
   * Every engine's query gives it; absent (a group built by hand) it is `unblendedUsd`,
   * which is what it is for a CUR without the net column.
   */
  costUsd?: string;
  /** Rows with neither an unblended nor a net cost (the CUR does not tell what they cost); absent: 0. */
  uncostedRows?: number;
  /** Rows carrying a non-zero `discount_total_discount` but no net cost (a discount the cost leaves out); absent: 0. */
  netMissingDiscountRows?: number;
}

/** RATING.md §2: `unblended` bills what AWS billed; `on-demand` bills public on-demand prices. */
export type ListPriceMode = 'unblended' | 'on-demand';
/** RATING.md §7: one record per service, or per service and usage type. */
export type RecordGranularity = 'service' | 'usage-type';
