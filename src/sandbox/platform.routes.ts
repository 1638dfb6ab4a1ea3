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

/** The API routes, relative to the base path (the usage file routes are added by the server). */
export function platformRoutes(): Router<PlatformContext> {
  const r = new Router<PlatformContext>();
  r.add('GET', '/requests', ({ state, query }) => list(state.allRequests(), query));
  r.add('GET', '/requests/{id}', ({ state }, { id }) => reply(state.getRequest(id ?? '')));
  r.add('PUT', '/requests/{id}', ({ state, body }, { id }) => reply(state.updateRequest(id ?? '', body)));
  r.add('POST', '/requests/{id}/approve', ({ state, body }, { id }) => reply(state.approveRequest(id ?? '', body)));
  r.add('POST', '/requests/{id}/fail', ({ state, body }, { id }) => reply(state.failRequest(id ?? '', body)));
  r.add('POST', '/requests/{id}/inquire', ({ state, body }, { id }) => reply(state.inquireRequest(id ?? '', body)));

  r.add('GET', '/conversations', ({ state, query }) => list(state.allConversations(), query));
  r.add('GET', '/conversations/{id}/messages', ({ state, query }, { id }) => {
    const messages = state.messages(id ?? '');
    return messages.ok ? list(messages.value, query) : reply(messages);
  });
  r.add('POST', '/conversations/{id}/messages', ({ state, body }, { id }) => reply(state.addMessage(id ?? '', body), 201));

  r.add('GET', '/products/{id}/templates', ({ state, query }, { id }) => {
    const templates = state.templates(id ?? '');
    return templates.ok ? list(templates.value, query) : reply(templates);
  });

  r.add('GET', '/tier/config-requests', ({ state, query }) => list(state.allTierConfigRequests(), query));
  r.add('GET', '/tier/configs', ({ state, query }) => list(state.tierConfigs(), query));
  r.add('GET', '/tier/config-requests/{id}', ({ state }, { id }) => reply(state.getTierConfig(id ?? '')));
  r.add('PUT', '/tier/config-requests/{id}', ({ state, body }, { id }) => reply(state.updateTierConfig(id ?? '', body)));
  r.add('POST', '/tier/config-requests/{id}/approve', ({ state, body }, { id }) => reply(state.approveTierConfig(id ?? '', body)));
  r.add('POST', '/tier/config-requests/{id}/fail', ({ state, body }, { id }) => reply(state.failTierConfig(id ?? '', body)));
  r.add('POST', '/tier/config-requests/{id}/inquire', ({ state, body }, { id }) => reply(state.inquireTierConfig(id ?? '', body)));
  // What the monthly run reads: assets, configuration values, marketplaces (month.routes.ts).
  return monthRoutes(r);
}
