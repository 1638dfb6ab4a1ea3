/**
 * The platform's answers the monthly run reads (assets, product configurations,
 * marketplaces) as zod schemas that map to the port types of
 * app/usage/month-platform.ts. As in schemas.ts: unknown fields are tolerated,
 * a missing required field is named by `parseResponse`.
 */
import { z } from 'zod';
import type { PlatformAsset } from '../../app/usage/month-platform.js';
import { paramSchema } from './schemas.js';

/** A configuration value as text: strings as is, other scalars stringified, absent/null → '', objects as JSON. */
const valueText = z.unknown().optional().transform((value): string => {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
});

/** An optional reference `{id}`: absent, null or `{}` → undefined. */
const optionalId = z
  .looseObject({ id: z.string().nullish() })
  .nullish()
  .transform((ref) => ref?.id || undefined);

/** An optional tier account: absent, null or `{}` (as `tier2` often is) → undefined. */
const optionalAccount = z
  .looseObject({ id: z.string().optional(), name: z.string().nullish() })
  .nullish()
  .transform((t) => (t?.id ? { id: t.id, name: t.name ?? '' } : undefined));

/** An asset (`/assets`) → `PlatformAsset`. */
export const assetSchema = z
  .looseObject({
    id: z.string(),
    status: z.string(),
    product: z.looseObject({ id: z.string() }),
    marketplace: optionalId,
    contract: optionalId,
    tiers: z.looseObject({
      customer: z.looseObject({ id: z.string(), name: z.string().nullish() }),
      tier1: optionalAccount,
    }),
    params: z.array(paramSchema),
  })
  .transform((a): PlatformAsset => {
    const asset: PlatformAsset = {
      id: a.id,
      status: a.status,
      productId: a.product.id,
      customer: { id: a.tiers.customer.id, name: a.tiers.customer.name ?? '' },
      params: a.params,
    };
    if (a.marketplace) asset.marketplaceId = a.marketplace;
    if (a.contract) asset.contractId = a.contract;
    if (a.tiers.tier1) asset.tier1 = a.tiers.tier1;
    return asset;
  });

/** One configuration value of a product. */
export interface ConfigurationRow {
  parameterId: string;
  /** `configuration` for the values the connector reads; absent when the platform omits it. */
  phase?: string;
  value: string;
  /** Absent: a product-wide value. */
  marketplaceId?: string;
  /** Present: the value of one item only. */
  itemId?: string;
}

/** A row of `GET /products/{id}/configurations`: `{value, parameter:{id, scope, phase}, marketplace:{id}, item:{id}}`. */
export const configurationRowSchema = z
  .looseObject({
    value: valueText,
    parameter: z.looseObject({ id: z.string(), phase: z.string().nullish() }),
    marketplace: optionalId,
    item: optionalId,
  })
  .transform((c): ConfigurationRow => {
    const row: ConfigurationRow = { parameterId: c.parameter.id, value: c.value };
    if (c.parameter.phase) row.phase = c.parameter.phase;
    if (c.marketplace) row.marketplaceId = c.marketplace;
    if (c.item) row.itemId = c.item;
    return row;
  });

/** A marketplace (`GET /marketplaces/{id}`): its currency, undefined when it names none. */
export const marketplaceSchema = z
  .looseObject({ id: z.string(), currency: z.string().nullish() })
  .transform((m) => ({ id: m.id, currency: m.currency || undefined }));

/**
 * The values of one marketplace: configuration-phase rows that are set, the
 * product-wide ones first, then the marketplace's own (which win). Rows of
 * another marketplace and item-scoped rows are left out.
 */
export function configurationValues(rows: readonly ConfigurationRow[], marketplaceId: string): Record<string, string> {
  const usable = rows.filter((r) => (r.phase === undefined || r.phase === 'configuration') && r.itemId === undefined && r.value !== '');
  const values: Record<string, string> = {};
  for (const row of usable) if (row.marketplaceId === undefined) values[row.parameterId] = row.value;
  for (const row of usable) if (row.marketplaceId === marketplaceId) values[row.parameterId] = row.value;
  return values;
}
