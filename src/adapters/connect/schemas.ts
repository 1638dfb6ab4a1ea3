/**
 * The shapes of the platform's answers the connector reads (CONNECT.md), as zod
 * schemas that map to the port types. Unknown fields are tolerated (the platform
 * adds fields freely); a missing required field is a PLATFORM_RESPONSE error that
 * names the call and the field path.
 */
import { z } from 'zod';
import { ConnectorError } from '../../domain/errors.js';
import type { FulfillmentRequest, RequestParam, TierConfigRequest } from '../../app/orders/ports.js';

/** A parameter value as text: strings as is, other scalars stringified, absent/null → '', objects as JSON. */
const paramText = z.unknown().optional().transform((value): string => {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
});

const ref = z.looseObject({ id: z.string() });

/** A parameter of a request, asset, configuration or TCR → `RequestParam`. */
export const paramSchema = z
  .looseObject({ id: z.string(), phase: z.string().nullish(), value: paramText, value_error: paramText })
  .transform((p): RequestParam => {
    const param: RequestParam = { id: p.id, value: p.value, valueError: p.value_error };
    if (p.phase) param.phase = p.phase;
    return param;
  });

const params = z.array(paramSchema);

/** An optional tier account: `{}` (as `tier2` often is) or absent → undefined. */
const optionalAccount = z
  .looseObject({ id: z.string().optional(), name: z.string().nullish() })
  .nullish()
  .transform((t) => (t?.id ? { id: t.id, name: t.name ?? '' } : undefined));

/** A fulfillment request (`/requests`) → `FulfillmentRequest`. */
export const requestSchema = z
  .looseObject({
    id: z.string(),
    type: z.string(),
    status: z.string(),
    created: z.string().nullish(),
    updated: z.string().nullish(),
    marketplace: z.looseObject({ id: z.string().optional() }).nullish(),
    asset: z.looseObject({
      id: z.string(),
      product: ref,
      connection: z.looseObject({ type: z.string().nullish() }).nullish(),
      params,
      tiers: z.looseObject({
        customer: z.looseObject({ id: z.string(), name: z.string().nullish() }),
        tier1: optionalAccount,
      }),
      configuration: z.looseObject({ params: params.nullish() }).nullish(),
      marketplace: z.looseObject({ id: z.string().optional() }).nullish(),
    }),
  })
  .transform((r): FulfillmentRequest => {
    const { asset } = r;
    const request: FulfillmentRequest = {
      id: r.id,
      type: r.type,
      status: r.status,
      asset: {
        id: asset.id,
        productId: asset.product.id,
        params: asset.params,
        configuration: asset.configuration?.params ?? [],
        customer: { id: asset.tiers.customer.id, name: asset.tiers.customer.name ?? '' },
      },
    };
    if (r.created) request.created = r.created;
    if (r.updated) request.updated = r.updated;
    const marketplaceId = r.marketplace?.id ?? asset.marketplace?.id;
    if (marketplaceId) request.marketplaceId = marketplaceId;
    if (asset.connection?.type) request.asset.connectionType = asset.connection.type;
    if (asset.tiers.tier1) request.asset.tier1 = asset.tiers.tier1;
    return request;
  });

/** A reseller's approved settings (`/tier/configs`): only its params are read. */
export const tierConfigSchema = z.looseObject({ params }).transform((c) => ({ params: c.params }));

/** A tier configuration request (`/tier/config-requests`) → `TierConfigRequest`. */
export const tierConfigRequestSchema = z
  .looseObject({
    id: z.string(),
    type: z.string(),
    status: z.string(),
    configuration: z.looseObject({
      product: ref,
      account: ref,
      marketplace: z.looseObject({ id: z.string().optional() }).nullish(),
      tier_level: z.union([z.number(), z.string().regex(/^\d+$/)]).nullish(),
    }),
    params,
  })
  .transform((t): TierConfigRequest => {
    const tcr: TierConfigRequest = {
      id: t.id,
      type: t.type,
      status: t.status,
      productId: t.configuration.product.id,
      accountId: t.configuration.account.id,
      params: t.params,
    };
    if (t.configuration.marketplace?.id) tcr.marketplaceId = t.configuration.marketplace.id;
    const level = t.configuration.tier_level;
    if (level !== undefined && level !== null) tcr.tierLevel = Number(level);
    return tcr;
  });

/** A product template (`/products/{id}/templates`) → {id, name}. */
export const templateSchema = z
  .looseObject({ id: z.string(), name: z.string().nullish() })
  .transform((t) => ({ id: t.id, name: t.name ?? '' }));

/** A conversation (`/conversations`): only its id is read. */
export const conversationSchema = z.looseObject({ id: z.string() }).transform((c) => c.id);

/** A conversation message: its text ('' when a message has none, e.g. a system event). */
export const messageSchema = z.looseObject({ text: z.string().nullish() }).transform((m) => m.text ?? '');

/**
 * Parses a body the platform sent as text. Empty text → undefined (an empty
 * answer); anything else that is not JSON → PLATFORM_RESPONSE "`what`: the body is not JSON".
 */
export function parseJson(text: string, what: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const start = text.trim().slice(0, 40).replace(/\s+/g, ' ');
    throw new ConnectorError('PLATFORM_RESPONSE', `${what}: the body is not JSON (starts with "${start}")`);
  }
}

/**
 * Validates one answer (or list item) and maps it to the port type. On a
 * mismatch throws PLATFORM_RESPONSE naming the call and the first bad field,
 * e.g. `GET /requests: item 3: asset.id is missing`.
 */
export function parseResponse<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 3).map((issue) => describeIssue(issue, body));
  const more = result.error.issues.length > 3 ? ` (and ${result.error.issues.length - 3} more)` : '';
  throw new ConnectorError('PLATFORM_RESPONSE', `${what}: ${problems.join('; ')}${more}`);
}

function describeIssue(issue: z.core.$ZodIssue, body: unknown): string {
  const field = issue.path.map(String).join('.');
  if (issue.path.length === 0) {
    return body === undefined ? 'the body is empty' : `the body is not ${issue.code === 'invalid_type' ? `a${/^[aeiou]/.test(issue.expected) ? 'n' : ''} ${issue.expected}` : 'valid'}`;
  }
  if (issue.code === 'invalid_type' && valueAt(body, issue.path) === undefined) return `${field} is missing`;
  if (issue.code === 'invalid_type') return `${field} is not a${/^[aeiou]/.test(issue.expected) ? 'n' : ''} ${issue.expected}`;
  return `${field}: ${issue.message}`;
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let node = body;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}
