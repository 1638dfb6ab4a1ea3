/**
 * What the monthly run reads from the platform (issue 4 "Settings from the
 * platform", "Assets from the platform"): the subscriptions (assets) of the
 * products, the configuration values of each marketplace, and the marketplace's
 * currency. Adapters implement this port; tests plug in stand-ins. Every method
 * takes the run's AbortSignal and throws `ConnectorError` (never an axios error).
 */
import type { RequestParam } from '../orders/ports.js';

/** A subscription on the platform (`/assets`), trimmed to what the monthly run uses. */
export interface PlatformAsset {
  /** `AS-...` */
  id: string;
  /** The platform's asset status: `active`, `suspended`, `terminating`, `terminated` (others are not listed). */
  status: string;
  productId: string;
  /** `MP-...`: whose configuration values and currency apply. */
  marketplaceId?: string;
  /** `CRD-...` */
  contractId?: string;
  /** The end customer (the asset's `tiers.customer`). */
  customer: { id: string; name: string };
  /** The reseller (`tiers.tier1`), whose own payer applies when `enableMultiplePayer` is `Yes`. */
  tier1?: { id: string; name: string };
  /**
   * Ordering and fulfillment parameters, values as strings ('' when not filled):
   * `aws_account_id`, `support_level`, `payer_account_id`, `account_closed_at`, ...
   */
  params: RequestParam[];
}

/** The platform as the monthly run reads it (CONNECT.md "Configuration values", plus `/assets`). */
export interface MonthPlatformPort {
  /**
   * The assets of these products that may bill (`active`, `suspended`,
   * `terminating`, `terminated`), all pages; each asset once. `[]` without a call
   * when `productIds` is empty.
   *
   * `GET /assets` is not in CONNECT.md: the project added it on purpose. It is
   * part of the real Connect API (the list of subscriptions), and it is the only
   * place where a subscription whose requests are long closed can be read;
   * without it the monthly run would need a hand-written assets file.
   */
  listAssets(productIds: string[], signal: AbortSignal): Promise<PlatformAsset[]>;
  /**
   * The configuration values of a product in one marketplace:
   * `GET /products/{id}/configurations?marketplace.id=MP-...`, all pages, as
   * `{ parameterId: value }` (e.g. `{ customMarkup: '1.1', fxRate: '0.92' }`).
   * Only configuration-phase values that are set; a marketplace value wins over
   * a product-wide one; item-scoped values are left out.
   */
  marketplaceConfiguration(productId: string, marketplaceId: string, signal: AbortSignal): Promise<Record<string, string>>;
  /** `GET /marketplaces/{id}` → its `currency` (e.g. `EUR`); undefined when the marketplace names none. */
  marketplaceCurrency(marketplaceId: string, signal: AbortSignal): Promise<string | undefined>;
}
