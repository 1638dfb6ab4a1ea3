/**
 * Expands the compact seed forms into the platform's JSON shapes (CONNECT.md),
 * adding the fields a real answer carries that the connector does not read
 * (contract, items, events, ...), so clients must tolerate unknown fields.
 * Pure: no clock (timestamps default to a fixed base), no I/O.
 */
import { createHash } from 'node:crypto';
import type { CompactRequest, CompactTierConfig, ConnectParam, ConnectRequest, ConnectTierConfigRequest, ProductSeed } from './seed.schema.js';

/** `created` of the i-th compact request without one: this base plus i minutes. */
export const DEFAULT_CREATED_BASE_MS = Date.parse('2026-11-01T08:00:00Z');

/** The platform's timestamp format: `2026-11-01T08:00:00+00:00`. */
export function platformTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** A stable `TA-dddd-dddd-dddd` id for a customer name. */
export function tierAccountId(name: string): string {
  const digits = (BigInt(`0x${createHash('sha1').update(name).digest('hex').slice(0, 15)}`) % 10n ** 12n).toString().padStart(12, '0');
  return `TA-${digits.slice(0, 4)}-${digits.slice(4, 8)}-${digits.slice(8)}`;
}

/** An asset's stable `external_uid` (32 hex digits of its id's SHA-1). */
export function externalUid(assetId: string): string {
  return createHash('sha1').update(assetId).digest('hex').slice(0, 32);
}

/** The reseller of compact requests without `tier1`. */
export const DEFAULT_TIER1 = { id: 'TA-0000-0000-0001', name: 'Sandbox reseller' };

/** The distributor, vendor and hub of every sandbox connection. */
export const SANDBOX_CONNECTION = {
  id: 'CT-0000-0000-0001',
  provider: { id: 'PA-000-001', name: 'Sandbox distributor' },
  vendor: { id: 'VA-000-001', name: 'Amazon Web Services' },
  hub: { id: 'HB-0000-0000', name: 'Sandbox hub' },
};

/** A connection of this type with the provider, vendor and hub the OpenAPI description requires of one. */
export function sandboxConnection(type: string): Record<string, unknown> {
  return { ...structuredClone(SANDBOX_CONNECTION), type };
}

/** A tier account's `contact_info` with every field the OpenAPI description requires (address, contact names, phone). */
export function contactInfo(email: string): Record<string, unknown> {
  return {
    address_line1: '1 Sandbox Street',
    address_line2: '',
    city: 'Sandbox City',
    state: '',
    postal_code: '00000',
    country: 'US',
    contact: { first_name: 'Sandbox', last_name: 'Buyer', email, phone_number: { country_code: '+1', area_code: '555', phone_number: '0100', extension: '' } },
  };
}

function param(id: string, phase: string, value: string, valueError: string, required: boolean, title?: string): ConnectParam {
  return {
    id,
    name: id,
    title: title ?? id,
    description: '',
    type: 'text',
    phase,
    value,
    value_error: valueError,
    value_choices: [],
    constraints: { required, hidden: false, unique: false },
  };
}

/** Expands a compact request; `problems` gets one line per unknown parameter id. */
export function expandRequest(c: CompactRequest, product: ProductSeed, index: number, problems: string[]): ConnectRequest {
  const known = new Set(product.parameters.map((p) => p.id));
  for (const id of [...Object.keys(c.params), ...Object.keys(c.valueErrors)]) {
    if (!known.has(id)) problems.push(`parameter ${id} is not a parameter of product ${product.id} (known: ${[...known].join(', ')})`);
  }
  const created = c.created ?? platformTime(DEFAULT_CREATED_BASE_MS + index * 60_000);
  const customer = typeof c.customer === 'string' ? { id: tierAccountId(c.customer), name: c.customer } : c.customer;
  const configuration = { ...product.configuration, ...c.configuration };
  const assetId = c.assetId ?? c.id.replace(/^PR-/, 'AS-').replace(/-\d{3}$/, '');
  return {
    id: c.id,
    type: c.type,
    status: c.status,
    created,
    updated: c.updated ?? created,
    note: c.note ?? '',
    reason: '',
    activation_key: '',
    answered: false,
    effective_date: created,
    events: { created: { at: created, by: { id: 'UR-000-000-001', name: 'Reseller user' } } },
    marketplace: { id: c.marketplaceId, name: 'Sandbox marketplace' },
    contract: { id: product.contractId, name: 'Distribution contract' },
    asset: {
      id: assetId,
      status: c.type === 'purchase' ? 'processing' : 'active',
      external_id: '',
      external_uid: externalUid(assetId),
      product: { id: product.id, name: product.name, status: 'published' },
      connection: sandboxConnection(c.connectionType),
      items: [{ id: `${product.id.replace(/-/g, '_')}_0001`, mpn: 'AWS_USAGE', quantity: '0', old_quantity: '0', item_type: 'PPU', type: 'Others', period: 'Monthly' }],
      params: product.parameters.map((p) => param(p.id, p.phase, c.params[p.id] ?? '', c.valueErrors[p.id] ?? '', p.required, p.title)),
      tiers: {
        customer: { ...customer, external_id: '', contact_info: contactInfo('buyer@example.com') },
        tier1: c.tier1 ?? DEFAULT_TIER1,
        tier2: {},
      },
      configuration: {
        params: Object.entries(configuration).map(([id, value]) => ({ id, title: id, phase: 'configuration', scope: 'marketplace', type: 'text', value, value_error: '' })),
      },
      marketplace: { id: c.marketplaceId },
      contract: { id: product.contractId },
    },
  };
}

/**
 * Expands a compact tier configuration request. The OpenAPI description
 * (dp.TierConfigRequestRead) requires `parent_configuration`, `assignee`,
 * `template` and `sli`, and types `tier_level` as the string `"1"`/`"2"`: a
 * tier-2 request's parent is the default reseller's tier-1 configuration, a
 * tier-1 request's names only the product and level; `assignee` is `{}` (nobody)
 * and `template` `{name: ''}` until the approval names one.
 */
export function expandTierConfig(c: CompactTierConfig, product: ProductSeed, index: number): ConnectTierConfigRequest {
  const created = c.created ?? platformTime(DEFAULT_CREATED_BASE_MS + index * 60_000);
  const tier = { id: c.account.id, name: c.account.name };
  const productRef = { id: product.id, name: product.name };
  const marketplace = { id: c.marketplaceId };
  const configurationId = c.id.replace(/^TCR-/, 'TC-').replace(/-\d{3}$/, '');
  return {
    id: c.id,
    type: c.type,
    status: c.status,
    created,
    updated: created,
    environment: 'production',
    assignee: {},
    template: { name: '' },
    sli: { zone: 0, days: 0 },
    reason: '',
    notes: '',
    events: { created: { at: created } },
    configuration: {
      id: configurationId,
      tier_level: String(c.tierLevel),
      status: 'processing',
      account: tier,
      product: productRef,
      marketplace,
      connection: sandboxConnection('production'),
      params: [],
    },
    parent_configuration:
      c.tierLevel === 2
        ? { id: `${configurationId}-T1`, tier_level: '1', status: 'active', account: DEFAULT_TIER1, product: productRef, marketplace, connection: sandboxConnection('production') }
        : { tier_level: '1', product: productRef, marketplace },
    params: Object.entries(c.params).map(([id, value]) => ({ ...param(id, 'ordering', value, '', false), scope: `tier${c.tierLevel}` })),
    tiers: c.tierLevel === 1 ? { tier1: tier, tier2: {} } : { tier1: DEFAULT_TIER1, tier2: tier },
  };
}
