/**
 * The Connect API routes of the sandbox (under the base path `/public/v1`),
 * each a thin call into `PlatformState`. Lists take RQL and paging (rql.ts)
 * and answer `Content-Range`.
 */
import type { MultipartPart } from './multipart.util.js';
import type { Outcome } from './platform.lifecycle.js';
import type { PlatformState } from './platform.state.js';
import { Router, type Reply } from './http.util.js';
import { monthRoutes } from './month.routes.js';
import { applyListQuery, parseListQuery, RqlError, type FieldAliases } from './rql.js';

/** What a platform route handler gets. */
export interface PlatformContext {
  state: PlatformState;
  /** The raw query string, without `?`. */
  query: string;
  /** The JSON body (`{}` for GET and multipart calls). */
  body: Record<string, unknown>;
  /** The parts of a multipart/form-data body (the usage file upload). */
  parts?: MultipartPart[];
}

/** An outcome as a reply: the value, or `{"error_code","errors"}`. */
export function reply<T>(outcome: Outcome<T>, status = 200): Reply {
  if (outcome.ok) return { status, body: outcome.value };
  return { status: outcome.problem.status, body: { error_code: outcome.problem.code, errors: outcome.problem.errors } };
}

/**
 * A list answer with `Content-Range`; a query the sandbox cannot read is a 400.
 * `aliases` maps a filter/ordering field name to a dotted path in the item
 * (`{ product_id: 'product.id' }`); other names read `__` as `.`.
 */
export function list(items: unknown[], query: string, aliases?: FieldAliases): Reply {
  try {
    const page = applyListQuery(items, parseListQuery(query), aliases);
    return { status: 200, body: page.items, headers: { 'content-range': page.contentRange } };
  } catch (error) {
    if (error instanceof RqlError) return { status: 400, body: { error_code: 'VAL_001', errors: [error.message] } };
    throw error;
  }
}

/** An action the API answers with 204 and no body when it succeeds. */
export function noContent<T>(outcome: Outcome<T>): Reply {
  return outcome.ok ? { status: 204 } : reply(outcome);
}

/**
 * The filter spellings of `GET /requests` the OpenAPI description documents
 * that are not a dotted path of the request (the `a__b` forms are read by rql.ts).
 */
export const REQUEST_FILTER_ALIASES: Readonly<Record<string, string>> = {
  product_id: 'asset.product.id',
  asset_id: 'asset.id',
  'asset.tier1_id': 'asset.tiers.tier1.id',
  'asset.tier2_id': 'asset.tiers.tier2.id',
  'asset.connection.environment': 'asset.connection.type',
  contract__id__exact: 'contract.id',
};

/** A list of an outcome (e.g. a product's templates): the page, or the problem (404 for an unknown product). */
export function listOf(items: Outcome<unknown[]>, query: string, aliases?: FieldAliases): Reply {
  return items.ok ? list(items.value, query, aliases) : reply(items);
}

/** The API routes, relative to the base path (the usage file routes are added by the server). */
export function platformRoutes(): Router<PlatformContext> {
  const r = new Router<PlatformContext>();
  r.add('GET', '/requests', ({ state, query }) => list(state.allRequests(), query, REQUEST_FILTER_ALIASES));
  r.add('GET', '/requests/{id}', ({ state }, { id }) => reply(state.getRequest(id ?? '')));
  r.add('PUT', '/requests/{id}', ({ state, body }, { id }) => reply(state.updateRequest(id ?? '', body)));
  r.add('POST', '/requests/{id}/approve', ({ state, body }, { id }) => reply(state.approveRequest(id ?? '', body)));
  r.add('POST', '/requests/{id}/fail', ({ state, body }, { id }) => reply(state.failRequest(id ?? '', body)));
  r.add('POST', '/requests/{id}/inquire', ({ state, body }, { id }) => reply(state.inquireRequest(id ?? '', body)));
  r.add('POST', '/requests/{id}/pend', ({ state, body }, { id }) => reply(state.pendRequest(id ?? '', body)));

  r.add('GET', '/conversations', ({ state, query }) => list(state.allConversations(), query));
  r.add('GET', '/conversations/{id}/messages', ({ state, query }, { id }) => {
    const messages = state.messages(id ?? '');
    return messages.ok ? list(messages.value, query) : reply(messages);
  });
  r.add('POST', '/conversations/{id}/messages', ({ state, body }, { id }) => reply(state.addMessage(id ?? '', body), 201));

  r.add('GET', '/products/{id}/templates', ({ state, query }, { id }) => listOf(state.templates(id ?? ''), query));
  r.add('GET', '/products/{id}/parameters', ({ state, query }, { id }) => listOf(state.parameters(id ?? ''), query));
  r.add('GET', '/products/{id}/items', ({ state, query }, { id }) => listOf(state.items(id ?? ''), query));

  r.add('GET', '/tier/config-requests', ({ state, query }) => list(state.allTierConfigRequests(), query));
  r.add('GET', '/tier/configs', ({ state, query }) => list(state.tierConfigs(), query));
  r.add('GET', '/tier/config-requests/{id}', ({ state }, { id }) => reply(state.getTierConfig(id ?? '')));
  r.add('PUT', '/tier/config-requests/{id}', ({ state, body }, { id }) => reply(state.updateTierConfig(id ?? '', body)));
  r.add('POST', '/tier/config-requests/{id}/approve', ({ state, body }, { id }) => reply(state.approveTierConfig(id ?? '', body)));
  r.add('POST', '/tier/config-requests/{id}/fail', ({ state, body }, { id }) => noContent(state.failTierConfig(id ?? '', body)));
  r.add('POST', '/tier/config-requests/{id}/inquire', ({ state, body }, { id }) => noContent(state.inquireTierConfig(id ?? '', body)));
  r.add('POST', '/tier/config-requests/{id}/pend', ({ state, body }, { id }) => noContent(state.pendTierConfig(id ?? '', body)));
  // What the monthly run reads: assets, configuration values, marketplaces (month.routes.ts).
  return monthRoutes(r);
}
