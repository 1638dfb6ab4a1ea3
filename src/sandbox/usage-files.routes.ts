/**
 * The usage file routes of the sandbox's Connect API (CONNECT.md "Usage
 * files"), relative to the base path, each a thin call into `UsageFilesState`
 * (`state.usage`). The list takes RQL and paging (e.g. on `product.id`,
 * `external_id`, `status`) and answers `Content-Range`. Fault injection and
 * the API key check happen before any route, in platform.server.ts.
 */
import type { Router } from './http.util.js';
import { list, reply, type PlatformContext } from './platform.routes.js';

/** Adds `GET /products/{id}` and the `/usage/files` routes to `router`; returns it. */
export function usageFileRoutes(router: Router<PlatformContext>): Router<PlatformContext> {
  return router
    .add('GET', '/products/{id}', ({ state }, { id }) => reply(state.usage.product(id ?? '')))
    .add('GET', '/usage/files', ({ state, query }) => list(state.usage.all(), query))
    .add('POST', '/usage/files', ({ state, body }) => reply(state.usage.create(body), 201))
    .add('GET', '/usage/files/{id}', ({ state }, { id }) => reply(state.usage.get(id ?? '')))
    .add('POST', '/usage/files/{id}/upload', async ({ state, parts }, { id }) => reply(await state.usage.upload(id ?? '', parts ?? []), 201))
    .add('POST', '/usage/files/{id}/submit', ({ state }, { id }) => reply(state.usage.submit(id ?? '')))
    .add('POST', '/usage/files/{id}/delete', ({ state }, { id }) => reply(state.usage.delete(id ?? '')));
}

/**
 * Admin routes (no API key): `GET /__sandbox/usage-files` (every file as the API
 * gives it), and the provider's actions `POST /__sandbox/usage-files/{id}/accept|reject|close`.
 */
export function usageFileAdminRoutes<C extends { body: Record<string, unknown> }>(router: Router<C>, state: PlatformContext['state']): Router<C> {
  return router
    .add('GET', '/__sandbox/usage-files', () => ({ status: 200, body: state.usage.all() }))
    .add('POST', '/__sandbox/usage-files/{id}/accept', ({ body }, { id }) => reply(state.usage.accept(id ?? '', body)))
    .add('POST', '/__sandbox/usage-files/{id}/reject', ({ body }, { id }) => reply(state.usage.reject(id ?? '', body)))
    .add('POST', '/__sandbox/usage-files/{id}/close', (_ctx, { id }) => reply(state.usage.close(id ?? '')));
}
