/**
 * Which linked accounts are billed (RATING.md §6): an account is billed when a
 * subscription of the payer maps to it. Active assets bill; a cancelled one bills
 * while its 60-day close countdown runs (`billUntil` on or after the period's
 * first day). Two billable subscriptions for one account is an error: the money
 * would go to the wrong customer. A subscription carries its customer's name
 * where the asset names one (`Subscription.customerName`), for the report. A
 * billing-transfer asset (`accountType`) is keyed by the source organization's
 * management account and covers every account of that organization.
 */
import { ConnectorError } from '../domain/errors.js';
import { accountId } from '../domain/ids.js';
import type { Subscription } from '../domain/rating.js';

export interface AssetLike {
  assetId: string;
  accountId: string;
  supportLevel: string;
  status: string;
  billUntil?: string | undefined;
  payerAccountId?: string | undefined;
  /** The customer's name (the platform asset's `tiers.customer.name`, or the assets file's `customer`); absent when unknown. */
  customer?: string | undefined;
  /**
   * The order's `account_type`; `billing-transfer` makes the subscription cover its
   * organization: `accountId` is the source organization's management account, and
   * every account that organization billed bills to it (docs/billing-transfer.md).
   * Absent or any other value: the subscription covers `accountId` only.
   */
  accountType?: string | undefined;
}

/** The `account_type` of a billing-transfer order (issue 13): the subscription covers the source organization. */
export const BILLING_TRANSFER = 'billing-transfer';

/** Statuses that bill without a countdown: active, and terminating (a cancel in its countdown). */
const BILLABLE_STATUSES = new Set(['active', 'terminating']);

/** True when the asset bills usage of `period` (YYYY-MM). */
export function isBillable(asset: AssetLike, period: string): boolean {
  if (BILLABLE_STATUSES.has(asset.status)) return true;
  return asset.billUntil !== undefined && asset.billUntil >= `${period}-01`;
}

/**
 * The payer's subscriptions by linked account; assets with no payer belong to
 * every payer. A billable asset of the payer whose account id is not 12 digits
 * throws `ASSETS_INVALID` naming the asset and the value: its usage would go
 * unbilled (the assets file's schema and the platform's mapping check it first).
 */
export function subscriptionsFor(assets: AssetLike[], payerAccountId: string, period: string): Map<string, Subscription> {
  const map = new Map<string, Subscription>();
  for (const a of assets) {
    if (a.payerAccountId !== undefined && a.payerAccountId !== payerAccountId) continue;
    if (!isBillable(a, period)) continue;
    accountId(a.accountId, { where: `subscription ${a.assetId} of payer ${payerAccountId}`, code: 'ASSETS_INVALID' });
    const other = map.get(a.accountId);
    if (other !== undefined) {
      throw new ConnectorError('ASSETS_INVALID', `account ${a.accountId} has two billable subscriptions: ${other.assetId} and ${a.assetId}`, {
        where: { account: a.accountId, value: `${other.assetId},${a.assetId}` },
      });
    }
    const customerName = a.customer?.trim();
    map.set(a.accountId, {
      assetId: a.assetId,
      accountId: a.accountId,
      supportLevel: a.supportLevel,
      ...(customerName ? { customerName } : {}),
      ...(a.accountType === BILLING_TRANSFER ? { coversOrganization: true } : {}),
    });
  }
  return map;
}
