/**
 * `PlatformPort` over CloudBlue Connect's REST API (CONNECT.md). Transport,
 * retries and paging live in `ConnectHttpClient`; answer shapes in `schemas.ts`.
 */
import type { FulfillmentRequest, ListOptions, ParamUpdate, PlatformPort, RequestParam, TierConfigRequest } from '../../app/orders/ports.js';
import { ConnectorError } from '../../domain/errors.js';
import { buildQuery, ConnectHttpClient, type HttpClientOptions, type QueryPart, path, rqlValue, type Settled } from './http-client.js';
import {
  conversationSchema,
  messageSchema,
  parseResponse,
  requestSchema,
  templateSchema,
  tierConfigRequestSchema,
  tierConfigSchema,
} from './schemas.js';

/**
 * `apiUrl` (e.g. `https://api.connect.cloudblue.com/public/v1`) and `apiKey`
 * (from the environment only), plus the transport settings of `HttpClientOptions`:
 * `timeoutMs` (30000), `pageSize` (100), `retries` (3), `baseDelayMs` (500),
 * `maxDelayMs` (10000), `maxRetryAfterMs` (60000), `sleep`, `random`, `now`, `onRetry`.
 */
export type ConnectPlatformOptions = HttpClientOptions;

/** The platform client. One instance per API URL and key; it caches request → conversation ids. */
export class ConnectPlatform implements PlatformPort {
  private readonly http: ConnectHttpClient;
  private readonly conversations = new Map<string, string>();

  /** Builds its own HTTP client from `options`, or shares the given one (one client per process, one retry policy). */
  constructor(options: ConnectPlatformOptions | ConnectHttpClient) {
    this.http = options instanceof ConnectHttpClient ? options : new ConnectHttpClient(options);
  }

  /**
   * `GET /requests?and(eq(status,pending),in(asset.product.id,(...)))&ordering(created)`,
   * all pages. Ordering is RQL's `ordering()`: `order_by` is not a parameter the API documents.
   */
  async listPendingRequests({ productIds, signal }: ListOptions): Promise<FulfillmentRequest[]> {
    if (productIds.length === 0) return [];
    const query: QueryPart[] = [pendingOf('asset.product.id', productIds), 'ordering(created)'];
    return this.http.listAll('/requests', query, (item, what) => parseResponse(requestSchema, item, what), signal);
  }

  /** `GET /tier/config-requests?and(eq(status,pending),in(configuration.product.id,(...)))`, all pages. */
  async listPendingTierConfigRequests({ productIds, signal }: ListOptions): Promise<TierConfigRequest[]> {
    if (productIds.length === 0) return [];
    const query: QueryPart[] = [pendingOf('configuration.product.id', productIds), 'ordering(created)'];
    return this.http.listAll('/tier/config-requests', query, (item, what) => parseResponse(tierConfigRequestSchema, item, what), signal);
  }

  async getRequest(requestId: string, signal: AbortSignal): Promise<FulfillmentRequest> {
    const url = path`/requests/${requestId}`;
    return parseResponse(requestSchema, await this.http.getJson(url, signal), `GET ${url}`);
  }

  /** `PUT /requests/{id}` with `{"asset":{"params":[...]}}`: only the given fields of each parameter. */
  async updateRequestParams(requestId: string, params: ParamUpdate[], signal: AbortSignal): Promise<void> {
    await this.http.put(path`/requests/${requestId}`, { asset: { params: params.map(paramBody) } }, signal);
  }

  /** `POST /requests/{id}/approve` `{template_id}`; never sent twice (a request found `approved` is done). */
  async approveRequest(requestId: string, templateId: string, signal: AbortSignal): Promise<void> {
    await this.http.postOnce(path`/requests/${requestId}/approve`, { template_id: templateId }, signal, this.requestIs(requestId, 'approved'));
  }

  /** `POST /requests/{id}/fail` `{reason}`; never sent twice (a request found `failed` is done). */
  async failRequest(requestId: string, reason: string, signal: AbortSignal): Promise<void> {
    await this.http.postOnce(path`/requests/${requestId}/fail`, { reason }, signal, this.requestIs(requestId, 'failed'));
  }

  /** `POST /requests/{id}/inquire` `{}`; never sent twice (a request found `inquiring` is done). */
  async inquireRequest(requestId: string, signal: AbortSignal): Promise<void> {
    await this.http.postOnce(path`/requests/${requestId}/inquire`, {}, signal, this.requestIs(requestId, 'inquiring'));
  }

  /** `GET /conversations/{id}/messages`, all pages: the texts, in the platform's order. */
  async listRequestNotes(requestId: string, signal: AbortSignal): Promise<string[]> {
    const conversationId = await this.conversationOf(requestId, signal);
    const url = path`/conversations/${conversationId}/messages`;
    return this.http.listAll(url, [], (item, what) => parseResponse(messageSchema, item, what), signal);
  }

  /** `POST /conversations/{id}/messages` `{text}`; not sent again when a resend finds the text already in the conversation. */
  async addRequestNote(requestId: string, text: string, signal: AbortSignal): Promise<void> {
    const conversationId = await this.conversationOf(requestId, signal);
    const url = path`/conversations/${conversationId}/messages`;
    const posted = async (s: AbortSignal): Promise<true | undefined> => ((await this.http.listAll(url, [], (item, what) => parseResponse(messageSchema, item, what), s)).includes(text) ? true : undefined);
    await this.http.postOnce(url, { text }, signal, posted);
  }

  /** `GET /products/{id}/templates?scope=<scope>&type=fulfillment`, all pages. */
  async listTemplates(productId: string, scope: string, signal: AbortSignal): Promise<Array<{ id: string; name: string }>> {
    const query: QueryPart[] = [
      ['scope', scope],
      ['type', 'fulfillment'],
    ];
    const url = path`/products/${productId}/templates`;
    return this.http.listAll(url, query, (item, what) => parseResponse(templateSchema, item, what), signal);
  }

  /** `GET /tier/configs?and(eq(account.id,...),eq(product.id,...))`: the first config's params. */
  async getTierConfigParams(tierAccountId: string, productId: string, signal: AbortSignal): Promise<RequestParam[] | undefined> {
    const query: QueryPart[] = [`and(eq(account.id,${rqlValue(tierAccountId)}),eq(product.id,${rqlValue(productId)}))`, ['limit', '1']];
    const body = await this.http.getJson(`/tier/configs?${buildQuery(query)}`, signal);
    const configs = parseResponse(tierConfigSchema.array(), body, 'GET /tier/configs');
    return configs[0]?.params;
  }

  /** `PUT /tier/config-requests/{id}` with `{"params":[...]}`. */
  async updateTierConfigParams(tcrId: string, params: ParamUpdate[], signal: AbortSignal): Promise<void> {
    await this.http.put(path`/tier/config-requests/${tcrId}`, { params: params.map(paramBody) }, signal);
  }

  /** Note the body: `{"template":{"id"}}`, not `template_id` as for requests. Never sent twice. */
  async approveTierConfig(tcrId: string, templateId: string, signal: AbortSignal): Promise<void> {
    await this.http.postOnce(path`/tier/config-requests/${tcrId}/approve`, { template: { id: templateId } }, signal, this.tierConfigIs(tcrId, 'approved'));
  }

  /** `POST /tier/config-requests/{id}/fail` `{reason}` (the API answers 204); never sent twice. */
  async failTierConfig(tcrId: string, reason: string, signal: AbortSignal): Promise<void> {
    await this.http.postOnce(path`/tier/config-requests/${tcrId}/fail`, { reason }, signal, this.tierConfigIs(tcrId, 'failed'));
  }

  /** `POST /tier/config-requests/{id}/inquire` with no body (the API takes none and answers 204); never sent twice. */
  async inquireTierConfig(tcrId: string, signal: AbortSignal): Promise<void> {
    await this.http.postOnce(path`/tier/config-requests/${tcrId}/inquire`, undefined, signal, this.tierConfigIs(tcrId, 'inquiring'));
  }

  /** A probe for `postOnce`: the request is already in `status`. */
  private requestIs(requestId: string, status: string): Settled<true> {
    return async (signal) => ((await this.getRequest(requestId, signal)).status === status ? true : undefined);
  }

  /** A probe for `postOnce`: the tier configuration request is already in `status`. */
  private tierConfigIs(tcrId: string, status: string): Settled<true> {
    return async (signal) => {
      const url = path`/tier/config-requests/${tcrId}`;
      return parseResponse(tierConfigRequestSchema, await this.http.getJson(url, signal), `GET ${url}`).status === status ? true : undefined;
    };
  }

  /** The request's conversation id (`GET /conversations?instance_id=...`, first item), cached once found. */
  private async conversationOf(requestId: string, signal: AbortSignal): Promise<string> {
    const cached = this.conversations.get(requestId);
    if (cached) return cached;
    const body = await this.http.getJson(`/conversations?instance_id=${encodeURIComponent(requestId)}`, signal);
    const ids = parseResponse(conversationSchema.array(), body, 'GET /conversations');
    const id = ids[0];
    if (id === undefined) {
      throw new ConnectorError('PLATFORM_RESPONSE', `GET /conversations: no conversation for request ${requestId}`);
    }
    // A daemon runs for months: keep the cache bounded (a miss costs one GET).
    if (this.conversations.size >= 10_000) this.conversations.clear();
    this.conversations.set(requestId, id);
    return id;
  }
}

/** `and(eq(status,pending),in(<field>,(<id>,...)))` with each id escaped as an RQL value. */
function pendingOf(field: string, ids: readonly string[]): string {
  return `and(eq(status,pending),in(${field},(${ids.map(rqlValue).join(',')})))`;
}

/** A `ParamUpdate` as the platform's parameter body: only the fields given. */
function paramBody(update: ParamUpdate): { id: string; value?: string; value_error?: string } {
  const body: { id: string; value?: string; value_error?: string } = { id: update.id };
  if (update.value !== undefined) body.value = update.value;
  if (update.valueError !== undefined) body.value_error = update.valueError;
  return body;
}
