/**
 * The platform's assets as the monthly run's subscriptions (issue 4 "Assets from
 * the platform"), in the shape of the dry run's assets file (`AssetRecord`, here
 * the app's `AssetLike`), so `subscriptionsFor` and the rating treat both alike.
 * Pure: the clock is passed in.
 *
 * - The linked account is the asset's `aws_account_id` (12 digits); an asset
 *   without one is not billed and is reported.
 * - `support_level` (default `business`, FULFILLMENT.md) and `payer_account_id`
 *   when set.
 * - `active`, `suspended` and `terminating` assets bill. A `terminated` asset
 *   bills through its close countdown: `billUntil` = `account_closed_at` + 60
 *   days (FULFILLMENT.md "Cancel"); without `account_closed_at` it is not billed
 *   and is reported (its countdown end is unknown).
 * - The customer's name (`tiers.customer.name`) when the platform gives one,
 *   for the report (`customer`).
 * - `account_type` = `billing-transfer` (issue 13): the asset's `aws_account_id` is a
 *   source organization's management account, and the subscription covers every
 *   account of that organization (`accountType`, docs/billing-transfer.md). A
 *   terminated one is not billed and not reported: its cancel is approved only once
 *   the last transferred month has been rated, and it has no close countdown.
 */
import { addDays, CLOSE_WAIT_DAYS, parseDay, utcDay } from '../../domain/orders/countdown.js';
import { BILLING_TRANSFER, type AssetLike } from '../subscriptions.js';
import type { PlatformAsset } from './month-platform.js';

/** Why one asset is not billed, or is billed with a doubt; the others go on. */
export interface AssetProblem {
  assetId: string;
  /** A sentence for the operator. */
  message: string;
}

/** The subscriptions and the problems of `assetsToSubscriptions`. */
export interface PlatformSubscriptions {
  assets: AssetLike[];
  problems: AssetProblem[];
}

/** Where a payer comes from when an asset has no saved `payer_account_id`. */
export interface PayerSources {
  /** The reseller's own payer by tier1 account id (`enableMultiplePayer` = `Yes`). */
  resellerPayers: ReadonlyMap<string, string>;
  /** The marketplace's `payerAccountId`. */
  defaultPayer?: string | undefined;
}

/** The support level of an asset that names none (FULFILLMENT.md). */
export const DEFAULT_SUPPORT_LEVEL = 'business';

const ACCOUNT_ID = /^\d{12}$/;

/** Platform statuses that bill without a countdown end. `suspended` bills too: AWS cannot suspend an account, so its usage goes on. */
const BILLING_STATUSES = new Set(['active', 'suspended', 'terminating']);

/** The trimmed value of a parameter; '' when absent or empty. */
export function paramValue(asset: PlatformAsset, id: string): string {
  return asset.params.find((p) => p.id === id)?.value.trim() ?? '';
}

/**
 * The payer of an asset: its saved `payer_account_id` (12 digits), else the
 * payer of its reseller (tier1) when resellers have their own payers, else the
 * marketplace default. Undefined when none of them is known.
 */
export function payerOfAsset(asset: PlatformAsset, resellerPayers: ReadonlyMap<string, string>, defaultPayer?: string): string | undefined {
  const saved = paramValue(asset, 'payer_account_id');
  if (ACCOUNT_ID.test(saved)) return saved;
  const reseller = asset.tier1 === undefined ? undefined : resellerPayers.get(asset.tier1.id);
  return reseller ?? defaultPayer;
}

/**
 * Maps the platform's assets to subscriptions. `now` is today (UTC) for the
 * checks: an `account_closed_at` after today is reported (it is still used:
 * billing a closed account's extra days costs nothing, losing its late usage
 * would). With `payers`, an asset without a saved payer gets one by
 * `payerOfAsset`; without, it has no `payerAccountId` (it belongs to every payer).
 * Assets in other statuses (`processing`, ...) are skipped silently.
 */
export function assetsToSubscriptions(assets: readonly PlatformAsset[], now: Date, payers?: PayerSources): PlatformSubscriptions {
  const out: PlatformSubscriptions = { assets: [], problems: [] };
  const today = utcDay(now);
  for (const asset of assets) {
    const billing = BILLING_STATUSES.has(asset.status);
    if (!billing && asset.status !== 'terminated') continue;
    const report = (message: string): void => void out.problems.push({ assetId: asset.id, message });

    const accountId = paramValue(asset, 'aws_account_id');
    // A purchase that failed leaves its asset terminated with no account (the
    // platform has no `rejected` asset status): nothing to bill, nothing to report.
    if (!billing && accountId === '') continue;
    if (!ACCOUNT_ID.test(accountId)) {
      report(accountId === '' ? 'no aws_account_id: the asset is not billed' : `aws_account_id "${accountId}" is not 12 digits: the asset is not billed`);
      continue;
    }

    const accountType = paramValue(asset, 'account_type');
    // A cancelled billing transfer is approved once its last transferred month has been
    // rated (issue 13): terminated, it has no countdown and nothing more to bill.
    if (!billing && accountType === BILLING_TRANSFER) continue;

    let billUntil: string | undefined;
    if (!billing) {
      const closedText = paramValue(asset, 'account_closed_at');
      const closedAt = parseDay(closedText);
      if (closedAt === undefined) {
        report(
          closedText === ''
            ? `terminated without account_closed_at: the end of account ${accountId}'s countdown is unknown, so it is not billed`
            : `account_closed_at "${closedText}" is not a date (YYYY-MM-DD): account ${accountId} is not billed`,
        );
        continue;
      }
      if (closedAt > today) report(`account_closed_at ${closedAt} is after today (${today}): billed through ${addDays(closedAt, CLOSE_WAIT_DAYS)} all the same`);
      billUntil = addDays(closedAt, CLOSE_WAIT_DAYS);
    }

    const record: AssetLike = {
      assetId: asset.id,
      accountId,
      supportLevel: paramValue(asset, 'support_level') || DEFAULT_SUPPORT_LEVEL,
      // The dry run's billable statuses: a suspended asset bills like an active one.
      status: asset.status === 'suspended' ? 'active' : asset.status,
    };
    if (billUntil !== undefined) record.billUntil = billUntil;
    const customer = asset.customer.name.trim();
    if (customer !== '') record.customer = customer;
    if (accountType === BILLING_TRANSFER) record.accountType = accountType;

    const savedPayer = paramValue(asset, 'payer_account_id');
    if (savedPayer !== '' && !ACCOUNT_ID.test(savedPayer)) report(`payer_account_id "${savedPayer}" is not 12 digits: ignored`);
    const payer = payers === undefined ? (ACCOUNT_ID.test(savedPayer) ? savedPayer : undefined) : payerOfAsset(asset, payers.resellerPayers, payers.defaultPayer);
    if (payer !== undefined) record.payerAccountId = payer;
    out.assets.push(record);
  }
  return out;
}

/** The marketplaces the assets use (of one product when given), in first-seen order: whose configurations to read. */
export function marketplacesOf(assets: readonly PlatformAsset[], productId?: string): string[] {
  const ids = new Set<string>();
  for (const asset of assets) {
    if (asset.marketplaceId !== undefined && (productId === undefined || asset.productId === productId)) ids.add(asset.marketplaceId);
  }
  return [...ids];
}
