/**
 * The usage file routes of the sandbox's Connect API (CONNECT.md "Usage
 * files"), relative to the base path, each a thin call into `UsageFilesState`
 * (`state.usage`), answering the status codes of Connect's OpenAPI description
 * (create 201, everything else 200, the upload included). The list takes RQL
 * and paging on the description's filters (`product.id` or `product_id` or
 * `product__id`, `external_id`, `status`, `name`, `marketplace.id` or
 * `marketplace_id`, `contract.id` or `distribution_contract_id`, ...) and
 * answers `Content-Range`. Fault injection and the API key check happen before
 * any route, in platform.server.ts; the template download (no key) is
 * `serveUsageTemplate` (usage-template.ts).
 */
import type { ServerResponse } from 'node:http';
import type { Router } from './http.util.js';
import { DEFAULT_MARKETPLACE } from './month.routes.js';
import { list, reply, type PlatformContext } from './platform.routes.js';
import type { FieldAliases } from './rql.js';
import type { MarketplaceSeed } from './seed.schema.js';
import { serveUsageTemplate, USAGE_TEMPLATE_PATH } from './usage-template.js';

/** The list's filter and ordering names (the description's) → paths in a `usage.UsageFileList` item. */
export const USAGE_FILE_FIELDS: FieldAliases = {
  product_id: 'product.id',
  marketplace_id: 'marketplace.id',
  vendor_id: 'vendor.id',
  provider_id: 'provider.id',
  distribution_contract_id: 'contract.id',
  'created.at': 'events.created.at',
};

/** The marketplace of the products' contract: the seed's first marketplace, else `MP-48301` in EUR. */
export function usageMarketplace(state: PlatformContext['state']): MarketplaceSeed {
  return state.marketplaces[0] ?? DEFAULT_MARKETPLACE;
}

/** Adds `GET /products/{id}`, the `/usage/files` routes and the product template link to `router`; returns it. */
export function usageFileRoutes(router: Router<PlatformContext>): Router<PlatformContext> {
  const id = (params: Record<string, string>): string => params.id ?? '';
  return router
    .add('GET', '/products/{id}', ({ state }, p) => reply(state.usage.product(id(p))))
    .add('GET', '/usage/products/{id}/template', ({ state }, p) => reply(state.usage.template(id(p))))
    .add('GET', '/usage/files', ({ state, query }) => list(state.usage.all(), query, USAGE_FILE_FIELDS))
    .add('POST', '/usage/files', ({ state, body }) => reply(state.usage.create(body, usageMarketplace(state)), 201))
    .add('GET', '/usage/files/{id}', ({ state }, p) => reply(state.usage.get(id(p))))
    .add('PUT', '/usage/files/{id}', ({ state, body }, p) => reply(state.usage.update(id(p), body)))
    .add('POST', '/usage/files/{id}/upload', ({ state, parts }, p) => reply(state.usage.upload(id(p), parts ?? [])))
    .add('POST', '/usage/files/{id}/submit', ({ state }, p) => reply(state.usage.submit(id(p))))
    .add('POST', '/usage/files/{id}/accept', ({ state, body }, p) => reply(state.usage.accept(id(p), body)))
    .add('POST', '/usage/files/{id}/reject', ({ state, body }, p) => reply(state.usage.reject(id(p), body)))
    .add('POST', '/usage/files/{id}/close', ({ state }, p) => reply(state.usage.close(id(p))))
    .add('POST', '/usage/files/{id}/reprocess', ({ state }, p) => reply(state.usage.reprocess(id(p))))
    .add('POST', '/usage/files/{id}/delete', ({ state }, p) => reply(state.usage.delete(id(p))));
}

/**
 * Admin routes (no API key): `GET /__sandbox/usage-files` (every file in the
 * detail shape, without counting a poll), and the provider's actions
 * `POST /__sandbox/usage-files/{id}/accept|reject|close` (the same as the API's).
 */
export function usageFileAdminRoutes<C extends { body: Record<string, unknown> }>(router: Router<C>, state: PlatformContext['state']): Router<C> {
  return router
    .add('GET', '/__sandbox/usage-files', () => ({ status: 200, body: state.usage.details() }))
    .add('POST', '/__sandbox/usage-files/{id}/accept', ({ body }, { id }) => reply(state.usage.accept(id ?? '', body)))
    .add('POST', '/__sandbox/usage-files/{id}/reject', ({ body }, { id }) => reply(state.usage.reject(id ?? '', body)))
    .add('POST', '/__sandbox/usage-files/{id}/close', (_ctx, { id }) => reply(state.usage.close(id ?? '')));
}

/** Whether a path is a usage template download (served outside the API base path, without the API key). */
export function isUsageMedia(pathname: string): boolean {
  return pathname.startsWith(USAGE_TEMPLATE_PATH);
}

/** Answers a usage template download (`GET /media/usage-templates/<productId>.xlsx`) from `state`. */
export function serveUsageMedia(state: PlatformContext['state'], res: ServerResponse, method: string, pathname: string): void {
  serveUsageTemplate(res, method, pathname, (productId) => state.usage.templateHeader(productId));
}
