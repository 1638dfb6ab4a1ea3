/**
 * The sandbox seed's zod schemas and the platform object shapes it expands to.
 * A seed lists products, fulfillment requests (full CONNECT.md objects or a
 * compact form), tier configuration requests and AWS organizations.
 */
import { z } from 'zod';

/** Request statuses (CONNECT.md). */
export const REQUEST_STATUSES = ['draft', 'tiers_setup', 'pending', 'inquiring', 'approved', 'failed', 'scheduled', 'revoking', 'revoked'] as const;
/** Request types, including those that only appear in list filters. */
export const REQUEST_TYPES = ['purchase', 'change', 'suspend', 'resume', 'cancel', 'adjustment', 'renew', 'transfer'] as const;
/** Usage schemas of a pay-per-use product (CONNECT.md): quantity, price-rated, cost-rated, tiered. */
export const USAGE_SCHEMAS = ['QT', 'PR', 'CR', 'TR'] as const;
/** AWS `Account.State` values (the `Status` field was retired on 2026-09-09). */
export const ACCOUNT_STATES = ['PENDING_ACTIVATION', 'ACTIVE', 'SUSPENDED', 'PENDING_CLOSURE', 'CLOSED'] as const;

const text = z.string().min(1, 'must not be empty');
const accountId = z.string().regex(/^\d{12}$/, 'must be 12 digits');
const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO date-time such as 2026-11-01T10:00:00+00:00' });
const stringMap = z.record(z.string(), z.string());

/** A product parameter the compact form expands into `asset.params`. */
export const parameterDefSchema = z.strictObject({
  id: text,
  phase: z.enum(['ordering', 'fulfillment']),
  required: z.boolean().default(false),
  title: z.string().optional(),
});
/** A product parameter definition (compact form expansion). */
export type ParameterDef = z.output<typeof parameterDefSchema>;

/**
 * The AWS product's ordering and fulfillment parameters (FULFILLMENT.md). Connect
 * parameter ids are unique per product, so `aws_account_id` exists once: phase
 * `fulfillment`, required (the approval needs it), pre-filled at ordering for
 * transfer and import.
 */
export const AWS_PRODUCT_PARAMETERS: ParameterDef[] = [
  { id: 'account_type', phase: 'ordering', required: false, title: 'Account type' },
  { id: 'account_email', phase: 'ordering', required: false, title: 'Root e-mail of the AWS account' },
  { id: 'account_name', phase: 'ordering', required: false, title: 'Account name' },
  { id: 'support_level', phase: 'ordering', required: false, title: 'Support plan' },
  { id: 'aws_account_id', phase: 'fulfillment', required: true, title: 'AWS account id' },
  { id: 'create_account_status_id', phase: 'fulfillment', required: false, title: 'CreateAccount request id' },
  { id: 'handshake_id', phase: 'fulfillment', required: false, title: 'Invitation handshake id' },
  { id: 'account_closed_at', phase: 'fulfillment', required: false, title: 'Date the account was seen closed' },
  { id: 'payer_account_id', phase: 'fulfillment', required: false, title: 'Payer account id' },
  // Billing transfers (issue 13): the first transferred month, and the transfer the invitation created.
  { id: 'transfer_start', phase: 'ordering', required: false, title: 'First transferred month (YYYY-MM)' },
  { id: 'transfer_id', phase: 'fulfillment', required: false, title: 'Billing transfer id' },
];

/** A product template: `asset` scope for requests, `tier1`/`tier2` for tier configuration. */
export const templateSchema = z.strictObject({
  id: z.string().regex(/^TL-[0-9A-Z-]+$/, 'must be a template id such as TL-111-111-111'),
  name: text,
  /** `asset` for requests, `tier1`/`tier2` for tier configuration requests. */
  scope: z.enum(['asset', 'tier1', 'tier2']).default('asset'),
  type: z.enum(['fulfillment', 'inquire']).default('fulfillment'),
});
/** A parsed template. */
export type TemplateSeed = z.output<typeof templateSchema>;

/** A product item (`GET /products/{id}/items`): the pay-per-use items usage records point at by MPN. */
export const itemSeedSchema = z.strictObject({
  id: z.string().regex(/^PRD-[0-9]+-[0-9]+-[0-9]+-[0-9]+$/, 'must be an item id such as PRD-411-678-887-0001'),
  mpn: text,
  name: text,
  /** `ppu` for pay-per-use items. */
  type: z.enum(['ppu', 'reservation']).default('ppu'),
  precision: z.enum(['integer', 'decimal(1)', 'decimal(2)', 'decimal(4)', 'decimal(8)']).default('decimal(2)'),
  unit: z.string().default('unit'),
});
/** A parsed product item. */
export type ItemSeed = z.output<typeof itemSeedSchema>;

/** The items every seeded product has unless it names its own: the three MPNs of the demo configuration (`items.*Mpn`). */
export const DEFAULT_PRODUCT_ITEMS = (productId: string): ItemSeed[] =>
  [
    ['AWS_USAGE', 'AWS usage'],
    ['AWS_MARKETPLACE_USAGE', 'AWS Marketplace usage'],
    ['AWS_SUPPORT', 'AWS support plan'],
  ].map(([mpn, name], i) => ({ id: `${productId}-${String(i + 1).padStart(4, '0')}`, mpn: mpn as string, name: name as string, type: 'ppu', precision: 'decimal(2)', unit: 'unit' }));

/**
 * The default `usage_records` header of a product's downloadable usage template
 * (`GET /usage/products/{id}/template`): 16 columns, no `tier`, `item_unit`
 * before `item_precision`, so a header in another order and width than the
 * connector's built-in 17 columns (as SDKs differ: 16 columns in the python
 * SDK, 17 in the PHP one).
 */
export const DEFAULT_TEMPLATE_USAGE_COLUMNS = [
  'record_id',
  'record_note',
  'item_search_criteria',
  'item_search_value',
  'amount',
  'quantity',
  'start_time_utc',
  'end_time_utc',
  'asset_search_criteria',
  'asset_search_value',
  'item_name',
  'item_mpn',
  'item_unit',
  'item_precision',
  'category_id',
  'asset_recon_id',
] as const;

/** A product: templates, parameters (default: the AWS ones) and configuration values. */
export const productSchema = z.strictObject({
  id: z.string().regex(/^PRD-[0-9-]+$/, 'must be a product id such as PRD-411-678-887'),
  name: z.string().default('AWS'),
  templates: z.array(templateSchema).default([]),
  /** Ordering and fulfillment parameters; default: the AWS product's (`AWS_PRODUCT_PARAMETERS`). */
  parameters: z.array(parameterDefSchema).default(AWS_PRODUCT_PARAMETERS),
  /** Configuration values of the marketplace, copied into each compact request's `asset.configuration.params`. */
  configuration: stringMap.default({}),
  /** `capabilities.ppu.schema` of `GET /products/{id}` (CONNECT.md): default `PR`; null: no pay-per-use capability. */
  usageSchema: z.enum(USAGE_SCHEMAS).nullable().default('PR'),
  /** The contract usage files of this product must name (`contract.id` of `POST /usage/files`). */
  contractId: z.string().regex(/^CRD-[0-9-]+$/, 'must be a contract id such as CRD-00000-00000-00000').default('CRD-00000-00000-00000'),
  /** The provider's usage rules accept a submitted usage file at once (`accepted`) instead of leaving it `pending`. */
  autoAccept: z.boolean().default(false),
  /** `GET /products/{id}/items`; default `DEFAULT_PRODUCT_ITEMS(id)`. */
  items: z.array(itemSeedSchema).optional(),
  /**
   * The `usage_records` header of the product's usage template (`GET
   * /usage/products/{id}/template`), in its order; default
   * `DEFAULT_TEMPLATE_USAGE_COLUMNS`; null: the product has no template.
   */
  usageTemplate: z.array(text).nullable().default([...DEFAULT_TEMPLATE_USAGE_COLUMNS]),
});
/** A parsed product. */
export type ProductSeed = z.output<typeof productSchema>;

const party = z.strictObject({ id: text, name: text });

/** The compact request form: expands to the CONNECT.md shape (see seed.expand.ts). */
export const compactRequestSchema = z.strictObject({
  id: z.string().regex(/^PR-[0-9-]+$/, 'must be a request id such as PR-3071-1051-2166-001'),
  type: z.enum(REQUEST_TYPES),
  status: z.enum(REQUEST_STATUSES).default('pending'),
  productId: text,
  /** Default: the request id without its `-NNN` suffix, `PR-` → `AS-`. */
  assetId: text.optional(),
  /** The end customer: a company name, or `{id, name}`. */
  customer: z.union([text, party]),
  tier1: party.optional(),
  marketplaceId: text.default('MP-48301'),
  connectionType: z.enum(['production', 'test', 'preview']).default('production'),
  created: isoTime.optional(),
  updated: isoTime.optional(),
  /** Ordering and fulfillment values by parameter id (ids must be the product's). */
  params: stringMap.default({}),
  /** `value_error` by parameter id. */
  valueErrors: stringMap.default({}),
  /** Overrides of the product's configuration values. */
  configuration: stringMap.default({}),
  note: z.string().optional(),
});
/** A parsed compact request. */
export type CompactRequest = z.output<typeof compactRequestSchema>;

const looseParam = z.looseObject({
  id: text,
  phase: z.string().optional(),
  value: z.string().default(''),
  value_error: z.string().default(''),
  constraints: z.looseObject({ required: z.boolean().optional() }).optional(),
});

/** A full request as the platform gives it; unknown fields are kept. */
export const fullRequestSchema = z.looseObject({
  id: text,
  type: text,
  status: z.enum(REQUEST_STATUSES),
  created: isoTime.optional(),
  updated: isoTime.optional(),
  asset: z.looseObject({
    id: text,
    product: z.looseObject({ id: text }),
    params: z.array(looseParam),
    configuration: z.looseObject({ params: z.array(looseParam) }).optional(),
  }),
});

/** The compact tier configuration request form. */
export const compactTierConfigSchema = z.strictObject({
  id: z.string().regex(/^TCR-[0-9-]+$/, 'must be a tier configuration request id such as TCR-000-000-001-001'),
  type: z.enum(['setup', 'update']).default('setup'),
  status: z.enum(['draft', 'pending', 'inquiring', 'approved', 'failed']).default('pending'),
  productId: text,
  /** The reseller whose settings these are. */
  account: party,
  tierLevel: z.union([z.literal(1), z.literal(2)]).default(1),
  marketplaceId: text.default('MP-48301'),
  created: isoTime.optional(),
  /** Values by parameter id (phase `ordering`, tier scope). */
  params: stringMap.default({}),
});
/** A parsed compact tier configuration request. */
export type CompactTierConfig = z.output<typeof compactTierConfigSchema>;

/** A full tier configuration request as the platform gives it; unknown fields are kept. */
export const fullTierConfigSchema = z.looseObject({
  id: text,
  type: text,
  status: z.enum(['draft', 'pending', 'inquiring', 'approved', 'failed']),
  configuration: z.looseObject({ product: z.looseObject({ id: text }), account: z.looseObject({ id: text }) }),
  params: z.array(looseParam),
});

/** Asset statuses (`GET /assets`). */
export const ASSET_STATUSES = ['draft', 'processing', 'active', 'rejected', 'suspended', 'terminating', 'terminated'] as const;

/** An asset with no request in the seed (e.g. one ordered before the connector ran), listed by `GET /assets`. */
export const assetSeedSchema = z.strictObject({
  id: z.string().regex(/^AS-[0-9-]+$/, 'must be an asset id such as AS-3071-1051-2166'),
  productId: text,
  status: z.enum(ASSET_STATUSES).default('active'),
  /** The end customer: a company name, or `{id, name}`. */
  customer: z.union([text, party]),
  tier1: party.optional(),
  marketplaceId: text.default('MP-48301'),
  /** Parameter values by id (e.g. `aws_account_id`, `support_level`, `account_closed_at`). */
  params: stringMap.default({}),
});
/** A parsed seed asset. */
export type AssetSeed = z.output<typeof assetSeedSchema>;

/** A marketplace (`GET /marketplaces/{id}`); without any, the sandbox knows `MP-48301` in EUR. */
export const marketplaceSeedSchema = z.strictObject({
  id: z.string().regex(/^MP-[0-9A-Za-z-]+$/, 'must be a marketplace id such as MP-48301'),
  name: z.string().default('Sandbox marketplace'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR'),
});
/** A parsed marketplace. */
export type MarketplaceSeed = z.output<typeof marketplaceSeedSchema>;

const ouId = z.string().regex(/^ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$/, 'must be an OU id such as ou-ab12-cd34ef56');

/** One AWS organization: its payer (management account), members, OUs and the accounts outside it. */
export const organizationSchema = z.strictObject({
  payerAccountId: accountId,
  name: z.string().default('Payer'),
  email: z.string().optional(),
  rootId: z.string().regex(/^r-[0-9a-z]{4,32}$/, 'must be a root id such as r-ab12').optional(),
  /** Access key ids that select this organization (the SDK calls one global endpoint). */
  accessKeyIds: z.array(text).default([]),
  accounts: z
    .array(
      z.strictObject({
        id: accountId,
        email: text,
        name: text,
        state: z.enum(ACCOUNT_STATES).default('ACTIVE'),
        /** The root (default) or an OU id of this organization. */
        parent: text.optional(),
        joinedMethod: z.enum(['INVITED', 'CREATED']).default('CREATED'),
      }),
    )
    .default([]),
  organizationalUnits: z.array(z.strictObject({ id: ouId, name: text, parent: text.optional() })).default([]),
  /** Accounts that may be invited, and what their owner answers. */
  outsideAccounts: z
    .array(z.strictObject({ id: accountId, email: text, name: z.string().optional(), answer: z.enum(['accept', 'decline', 'ignore']).default('accept') }))
    .default([]),
  /** E-mails whose CreateAccount fails, with the FailureReason (every attempt). */
  failEmails: stringMap.default({}),
});
/** A parsed organization. */
export type OrganizationSeed = z.output<typeof organizationSchema>;

/** One seed file (or the whole seed); every section may be absent in a file of a folder. */
export const seedFileSchema = z.strictObject({
  /** The key after `Authorization: ApiKey `. */
  apiKey: text.optional(),
  products: z.array(productSchema).default([]),
  requests: z.array(z.record(z.string(), z.unknown())).default([]),
  tierConfigRequests: z.array(z.record(z.string(), z.unknown())).default([]),
  organizations: z.array(organizationSchema).default([]),
  /** Assets with no request (`GET /assets`). */
  assets: z.array(assetSeedSchema).default([]),
  marketplaces: z.array(marketplaceSeedSchema).default([]),
});

/** A seed as written by hand or in a file: compact or full requests. */
export type SeedInput = z.input<typeof seedFileSchema>;

/** A parameter in the platform's shape. */
export interface ConnectParam {
  id: string;
  phase?: string;
  value: string;
  value_error: string;
  constraints?: { required?: boolean; [key: string]: unknown };
  [key: string]: unknown;
}

/** A fulfillment request in the platform's shape (unknown fields kept). */
export interface ConnectRequest {
  id: string;
  type: string;
  status: string;
  created: string;
  updated: string;
  asset: {
    id: string;
    product: { id: string; [key: string]: unknown };
    params: ConnectParam[];
    configuration?: { params: ConnectParam[]; [key: string]: unknown };
    tiers?: Record<string, unknown>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** A tier configuration request in the platform's shape. */
export interface ConnectTierConfigRequest {
  id: string;
  type: string;
  status: string;
  configuration: { product: { id: string; [key: string]: unknown }; account: { id: string; name?: string; [key: string]: unknown }; [key: string]: unknown };
  params: ConnectParam[];
  [key: string]: unknown;
}

/** A validated seed with every request expanded to the platform's shape. */
export interface Seed {
  apiKey: string;
  products: ProductSeed[];
  requests: ConnectRequest[];
  tierConfigRequests: ConnectTierConfigRequest[];
  organizations: OrganizationSeed[];
  /** Assets with no request (absent: none). */
  assets?: AssetSeed[];
  /** Absent or empty: `MP-48301` in EUR. */
  marketplaces?: MarketplaceSeed[];
}

/** The API key used when a seed gives none. */
export const DEFAULT_API_KEY = 'SU-000-000-000:sandbox-secret';
