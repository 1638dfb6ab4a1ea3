/**
 * `MonthPlatformPort` over CloudBlue Connect's REST API: what the monthly run
 * reads (assets, configuration values, currency). Transport, retries and paging
 * live in `ConnectHttpClient`; answer shapes in `month-schemas.ts`.
 */
import type { MonthPlatformPort, PlatformAsset } from '../../app/usage/month-platform.js';
import { ConnectHttpClient, type HttpClientOptions, type QueryPart, path, rqlValue } from './http-client.js';
import { assetSchema, configurationRowSchema, configurationValues, marketplaceSchema } from './month-schemas.js';
import { parseResponse } from './schemas.js';

/**
 * Asset statuses that may bill. `terminating` (a cancel in progress) is asked
 * for too: an account in its close countdown keeps being billed, and a status
 * the platform does not have matches nothing.
 */
export const LISTED_ASSET_STATUSES = ['active', 'suspended', 'terminating', 'terminated'] as const;

/** The monthly run's platform client. One instance per API URL and key (or share the orders' `ConnectHttpClient`). */
export class ConnectMonthPlatform implements MonthPlatformPort {
  private readonly http: ConnectHttpClient;

  /** `HttpClientOptions` (see `ConnectPlatformOptions`) or an existing client to share its settings. */
  constructor(options: HttpClientOptions | ConnectHttpClient) {
    this.http = options instanceof ConnectHttpClient ? options : new ConnectHttpClient(options);
  }

  /**
   * `GET /assets?and(in(product.id,(...)),in(status,(active,suspended,terminating,terminated)))`,
   * all pages. `/assets` is an addition to CONNECT.md made on purpose (see the
   * port). An asset seen twice (it moved between pages while listing) is kept once, as last seen.
   */
  async listAssets(productIds: string[], signal: AbortSignal): Promise<PlatformAsset[]> {
    if (productIds.length === 0) return [];
    const filter = `and(in(product.id,(${productIds.map(rqlValue).join(',')})),in(status,(${LISTED_ASSET_STATUSES.join(',')})))`;
    const assets = await this.http.listAll('/assets', [filter], (item, what) => parseResponse(assetSchema, item, what), signal);
    return [...new Map(assets.map((a) => [a.id, a])).values()];
  }

  /** `GET /products/{id}/configurations?marketplace.id=MP-...`, all pages → `{ parameterId: value }`. */
  async marketplaceConfiguration(productId: string, marketplaceId: string, signal: AbortSignal): Promise<Record<string, string>> {
    const query: QueryPart[] = [['marketplace.id', marketplaceId]];
    const url = path`/products/${productId}/configurations`;
    const rows = await this.http.listAll(url, query, (item, what) => parseResponse(configurationRowSchema, item, what), signal);
    return configurationValues(rows, marketplaceId);
  }

  /** `GET /marketplaces/{id}` → `currency`. */
  async marketplaceCurrency(marketplaceId: string, signal: AbortSignal): Promise<string | undefined> {
    const url = path`/marketplaces/${marketplaceId}`;
    return parseResponse(marketplaceSchema, await this.http.getJson(url, signal), `GET ${url}`).currency;
  }
}
