/**
 * What the monthly run reads from the sandbox's Connect API, relative to the
 * base path (registered by `platformRoutes`):
 *
 * - `GET /assets` (RQL and paging, as the real API; not in CONNECT.md, added on
 *   purpose): one asset per asset id of the seeded requests, with the latest
 *   parameter values and a status derived from its requests (`processing` until
 *   a purchase is approved, then `active`; `suspended` / `terminated` once a
 *   suspend / cancel is approved; `terminated` when its purchase failed, as
 *   Connect's "Subscription Statuses" page says: the description's asset
 *   statuses have no `rejected`), plus the seed's `assets` (assets with no request).
 *   Item quantities are numbers here (the description's dp.Subscription), strings in requests.
 * - `GET /assets/{id}`: one asset as `GET /assets` lists it.
 * - `GET /products/{id}/configurations` (filter e.g. `marketplace.id=MP-...`): per
 *   marketplace, the product's seeded `configuration` overlaid with the values
 *   carried by its latest request in that marketplace.
 * - `GET /marketplaces/{id}`: the seed's `marketplaces`; `MP-48301` in EUR unless seeded.
 */
import type { Router } from './http.util.js';
import { ok, problem, type Outcome } from './platform.lifecycle.js';
import { list, reply, type PlatformContext } from './platform.routes.js';
import type { PlatformState } from './platform.state.js';
import { DEFAULT_TIER1, externalUid, SANDBOX_CONNECTION, sandboxConnection, tierAccountId } from './seed.expand.js';
import type { AssetSeed, ConnectParam, ConnectRequest, MarketplaceSeed, ProductSeed } from './seed.schema.js';

/** The marketplace every compact request defaults to, and its currency. */
export const DEFAULT_MARKETPLACE: MarketplaceSeed = { id: 'MP-48301', name: 'Sandbox marketplace', currency: 'EUR' };

/** The asset's status after an approved request of each type. */
const STATUS_AFTER_APPROVAL: Record<string, string> = { purchase: 'active', change: 'active', resume: 'active', suspend: 'suspended', cancel: 'terminated' };

/** Requests whose parameter values never reached the asset. */
const DISCARDED = new Set(['failed', 'revoked', 'draft']);

type Json = Record<string, unknown>;

/** Adds the monthly run's routes to `router`; returns it. */
export function monthRoutes(router: Router<PlatformContext>): Router<PlatformContext> {
  return router
    .add('GET', '/assets', ({ state, query }) => list(assetViews(state), query))
    .add('GET', '/assets/{id}', ({ state }, { id }) => reply(asset(state, id ?? '')))
    .add('GET', '/products/{id}/configurations', ({ state, query }, { id }) => {
      const rows = configurationRows(state, id ?? '');
      return rows.ok ? list(rows.value, query) : reply(rows);
    })
    .add('GET', '/marketplaces/{id}', ({ state }, { id }) => reply(marketplace(state, id ?? '')));
}

/** Every asset as `GET /assets` lists it: those of the requests (in first-request order), then the seeded ones. */
export function assetViews(state: PlatformState): Json[] {
  const byAsset = new Map<string, ConnectRequest[]>();
  for (const r of state.allRequests()) byAsset.set(r.asset.id, [...(byAsset.get(r.asset.id) ?? []), r]);
  const fromRequests = [...byAsset.values()].map((requests) => assetOfRequests([...requests].sort((a, b) => a.created.localeCompare(b.created))));
  const seeded = state.seededAssets.map((a) => seededAsset(a, state.product(a.productId)));
  return structuredClone([...fromRequests, ...seeded]);
}

/** `GET /assets/{id}`: the asset as `GET /assets` lists it. */
export function asset(state: PlatformState, id: string): Outcome<Json> {
  const found = assetViews(state).find((a) => a.id === id);
  return found ? ok(found) : problem(404, 'NTF_001', `Asset ${id} not found.`);
}

/** A connection with the provider, vendor and hub the description requires (the sandbox's where a seed gives none). */
function fullConnection(connection: unknown): Json {
  const given = connection !== null && typeof connection === 'object' ? (connection as Json) : {};
  return { ...structuredClone(SANDBOX_CONNECTION), type: 'production', ...given };
}

/** Items with numeric quantities, as the description's asset gives them (requests give strings). */
function numericItems(items: unknown): unknown {
  if (!Array.isArray(items)) return items;
  const number = (v: unknown): unknown => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
  return items.map((i: Json) => ({ ...i, ...(i.quantity === undefined ? {} : { quantity: number(i.quantity) }), ...(i.old_quantity === undefined ? {} : { old_quantity: number(i.old_quantity) }) }));
}

/** One asset from its requests, oldest first: the latest request's tiers and marketplace, the latest values. */
function assetOfRequests(requests: ConnectRequest[]): Json {
  const first = requests[0] as ConnectRequest;
  const latest = requests[requests.length - 1] as ConnectRequest;
  let status = first.type === 'purchase' ? 'processing' : 'active';
  for (const r of requests) {
    if (r.status === 'approved') status = STATUS_AFTER_APPROVAL[r.type] ?? status;
    else if (r.status === 'failed' && r.type === 'purchase' && status === 'processing') status = 'terminated';
  }
  const kept = requests.filter((r) => !DISCARDED.has(r.status));
  const params = new Map<string, ConnectParam>();
  for (const r of kept.length > 0 ? kept : requests) {
    for (const p of r.asset.params) if (!params.has(p.id) || p.value !== '') params.set(p.id, { ...p, value_error: '' });
  }
  const { params: _latestParams, ...rest } = latest.asset;
  return {
    ...rest,
    status,
    connection: fullConnection(rest.connection),
    ...(rest.items === undefined ? {} : { items: numericItems(rest.items) }),
    params: [...params.values()],
    marketplace: rest.marketplace ?? latest.marketplace,
    contract: rest.contract ?? latest.contract,
    created: first.created,
    updated: latest.updated,
  };
}

/** A seed asset in the platform's shape. */
function seededAsset(a: AssetSeed, product: ProductSeed | undefined): Json {
  const phases = new Map(product?.parameters.map((p) => [p.id, p.phase]));
  const customer = typeof a.customer === 'string' ? { id: tierAccountId(a.customer), name: a.customer } : a.customer;
  return {
    id: a.id,
    // The description's asset statuses have no `rejected`: a rejected purchase leaves its asset terminated.
    status: a.status === 'rejected' ? 'terminated' : a.status,
    external_id: '',
    external_uid: externalUid(a.id),
    product: { id: a.productId, name: product?.name ?? 'AWS' },
    connection: sandboxConnection('production'),
    params: Object.entries(a.params).map(([id, value]) => ({ id, name: id, phase: phases.get(id) ?? 'ordering', value, value_error: '' })),
    tiers: { customer, tier1: a.tier1 ?? DEFAULT_TIER1, tier2: {} },
    marketplace: { id: a.marketplaceId },
    contract: { id: product?.contractId ?? 'CRD-00000-00000-00000' },
  };
}

/** The marketplace id of a request (top level, else its asset's). */
function marketplaceOf(r: ConnectRequest): string | undefined {
  const id = (r.marketplace as { id?: unknown } | undefined)?.id ?? (r.asset.marketplace as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

/** The rows of `GET /products/{id}/configurations`: one per parameter and marketplace. */
export function configurationRows(state: PlatformState, productId: string): Outcome<Json[]> {
  const product = state.product(productId);
  if (!product) return problem(404, 'NTF_001', `Product ${productId} not found.`);
  const requests = state
    .allRequests()
    .filter((r) => r.asset.product.id === productId)
    .sort((a, b) => a.created.localeCompare(b.created));
  const marketplaces = new Set<string>([DEFAULT_MARKETPLACE.id, ...state.marketplaces.map((m) => m.id)]);
  for (const r of requests) marketplaces.add(marketplaceOf(r) ?? DEFAULT_MARKETPLACE.id);
  for (const a of state.seededAssets) if (a.productId === productId) marketplaces.add(a.marketplaceId);

  const rows: Json[] = [];
  for (const marketplaceId of marketplaces) {
    const values = new Map(Object.entries(product.configuration));
    const latest = requests.filter((r) => (marketplaceOf(r) ?? DEFAULT_MARKETPLACE.id) === marketplaceId).pop();
    for (const p of latest?.asset.configuration?.params ?? []) values.set(p.id, p.value);
    for (const [parameterId, value] of values) {
      rows.push({
        id: `PCV-${productId.slice(4)}-${marketplaceId.slice(3)}-${parameterId}`,
        value,
        structured_value: {},
        parameter: { id: parameterId, name: parameterId, title: parameterId, scope: 'marketplace', phase: 'configuration', type: 'text' },
        marketplace: { id: marketplaceId },
      });
    }
  }
  return ok(rows);
}

/** `GET /marketplaces/{id}`. */
export function marketplace(state: PlatformState, id: string): Outcome<Json> {
  const found = state.marketplaces.find((m) => m.id === id) ?? (id === DEFAULT_MARKETPLACE.id ? DEFAULT_MARKETPLACE : undefined);
  if (!found) return problem(404, 'NTF_001', `Marketplace ${id} not found.`);
  return ok({ id: found.id, name: found.name, currency: found.currency, active_contracts: 1 });
}
