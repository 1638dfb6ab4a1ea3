/**
 * The in-memory platform behind the sandbox's Connect API: fulfillment requests,
 * tier configuration requests, conversations and product templates, seeded from
 * a `Seed`; products' usage schemas and usage files live in `usage`
 * (usage-files.state.ts). Tests read and steer it directly; the HTTP routes
 * call the same methods.
 */
import { checkRequired, checkStatus, mergeParams, ok, problem, readParamChanges, TARGET, type HistoryEntry, type Outcome } from './platform.lifecycle.js';
import { platformTime, SANDBOX_CONNECTION } from './seed.expand.js';
import type { WorkbookContent as UsageWorkbookContent } from './usage-files.check.js';
import { DEFAULT_PRODUCT_ITEMS, type AssetSeed, type ConnectParam, type ConnectRequest, type ConnectTierConfigRequest, type MarketplaceSeed, type ProductSeed, type Seed, type TemplateSeed } from './seed.schema.js';
import { UsageFilesState, type UsageFileView, type UsageFilesOptions } from './usage-files.state.js';

/** A conversation message as the API lists it (conversations.Message of the OpenAPI description). */
export interface Message {
  id: string;
  conversation: string;
  account: { id: string; name: string };
  text: string;
  type: 'message';
  created: string;
  creator: { id: string; name: string };
  events: { created: { at: string; by: { id: string; name: string } } };
}

/** The conversation of one request (`instance_id` is the request id); `accounts` are the parties that see it. */
export interface Conversation {
  id: string;
  instance_id: string;
  topic: string;
  type: 'conversation';
  status: 'open';
  accounts: Array<{ id: string; name: string }>;
  created: string;
  events: { created: { at: string } };
}

/** The answer of `POST /tier/config-requests/{id}/approve` (the description's shape, not the request). */
export interface TierApproval {
  template: { id: string; representation: string };
  effective_date: string;
}

/** The answer of `PUT /tier/config-requests/{id}` (dp.TierConfigRequestCreate of the description). */
export interface TierConfigUpdate {
  configuration: { id: string };
  status: string;
  type: string;
  params: Array<{ id: string; value: string; value_error: string; structured_value?: unknown }>;
  notes: string;
}

/** A product parameter definition as `GET /products/{id}/parameters` lists it. */
export interface ParameterDefinition {
  id: string;
  name: string;
  title: string;
  description: string;
  type: 'text';
  scope: 'asset' | 'marketplace';
  phase: string;
  position: number;
  constraints: { required: boolean; hidden: boolean; unique: boolean; reconciliation: boolean };
}

/** The sender of the connector's messages and the parties of every conversation. */
const CONNECTOR_USER = { id: 'UR-000-000-002', name: 'Connector' };
const CONVERSATION_ACCOUNTS = [
  { id: SANDBOX_CONNECTION.vendor.id, name: SANDBOX_CONNECTION.vendor.name },
  { id: SANDBOX_CONNECTION.provider.id, name: SANDBOX_CONNECTION.provider.name },
];

type Body = Record<string, unknown>;

/** The asset's status after an approved request of this type (others: `active`). */
const ASSET_STATUS_AFTER_APPROVAL: Record<string, string> = { cancel: 'terminated', suspend: 'suspended' };

/** `activation_tile` of an approve or inquire body: undefined when absent; refused when not text, or given with `template_id`. */
function readTile(body: Body): Outcome<string | undefined> {
  const tile = body.activation_tile;
  if (tile === undefined) return ok(undefined);
  if (typeof tile !== 'string' || tile.trim() === '') return problem(400, 'VAL_001', `activation_tile: must be a non-empty string, not ${JSON.stringify(tile)}.`);
  if (body.template_id !== undefined) return problem(400, 'VAL_001', `Give template_id or activation_tile, not both (template_id ${JSON.stringify(body.template_id)}).`);
  return ok(tile);
}

/** A tier configuration's level as a number (the description types it `"1"`/`"2"`; seeds may give 1/2). */
function tierLevel(t: ConnectTierConfigRequest): number | undefined {
  const level = (t.configuration as { tier_level?: unknown }).tier_level;
  return level === undefined || level === null ? undefined : Number(level);
}

/** What the sandbox shows for a rendered template (an activation key, a tier approval's representation). */
const rendered = (t: TemplateSeed): string => `${t.name} (sandbox rendering of ${t.id})`;

const pad3 = (n: number): string => String(n).padStart(9, '0').replace(/(\d{3})(\d{3})(\d{3})/, '$1-$2-$3');

/** The platform's state; `now` stamps `updated`, history and messages. */
export class PlatformState {
  readonly apiKey: string;
  private readonly products = new Map<string, ProductSeed>();
  private readonly requests = new Map<string, ConnectRequest>();
  private readonly tiers = new Map<string, ConnectTierConfigRequest>();
  private readonly histories = new Map<string, HistoryEntry[]>();
  private readonly conversations = new Map<string, Conversation>();
  private readonly messagesByConversation = new Map<string, Message[]>();
  private messageCount = 0;
  /** Products' usage schemas and the usage files (usage-files.state.ts). */
  readonly usage: UsageFilesState;
  /** Seeded assets without requests, and the marketplaces (read by month.routes.ts). */
  readonly seededAssets: readonly AssetSeed[];
  readonly marketplaces: readonly MarketplaceSeed[];

  constructor(
    seed: Seed,
    private readonly now: () => Date = () => new Date(),
    options: UsageFilesOptions = {},
  ) {
    this.apiKey = seed.apiKey;
    this.usage = new UsageFilesState(structuredClone(seed.products), () => this.stamp(), options);
    for (const p of structuredClone(seed.products)) this.products.set(p.id, p);
    for (const r of structuredClone(seed.requests)) {
      this.requests.set(r.id, r);
      const id = `CO-${pad3(this.conversations.size + 1)}`;
      this.conversations.set(id, {
        id,
        instance_id: r.id,
        topic: `Request #${r.id}`,
        type: 'conversation',
        status: 'open',
        accounts: structuredClone(CONVERSATION_ACCOUNTS),
        created: r.created,
        events: { created: { at: r.created } },
      });
      this.messagesByConversation.set(id, []);
    }
    for (const t of structuredClone(seed.tierConfigRequests)) this.tiers.set(t.id, t);
    this.seededAssets = structuredClone(seed.assets ?? []);
    this.marketplaces = structuredClone(seed.marketplaces ?? []);
  }

  /** A copy of a seeded product, or undefined. */
  product(id: string): ProductSeed | undefined {
    const p = this.products.get(id);
    return p && structuredClone(p);
  }

  private stamp(): string {
    return platformTime(this.now().getTime());
  }

  /** Every request, in seed order (the objects themselves: copy before handing out). */
  allRequests(): ConnectRequest[] {
    return [...this.requests.values()];
  }

  /** A copy of one request, or undefined. */
  request(id: string): ConnectRequest | undefined {
    const r = this.requests.get(id);
    return r && structuredClone(r);
  }

  /** The history of a request or tier configuration request (oldest first). */
  history(id: string): HistoryEntry[] {
    return structuredClone(this.histories.get(id) ?? []);
  }

  private find(id: string): Outcome<ConnectRequest> {
    const r = this.requests.get(id);
    return r ? ok(r) : problem(404, 'NTF_001', `Request ${id} not found.`);
  }

  private record(id: string, action: string, from: string, to: string, body: unknown): void {
    const list = this.histories.get(id) ?? [];
    list.push({ at: this.stamp(), action, from, to, body: structuredClone(body) });
    this.histories.set(id, list);
  }

  private template(productId: string, templateId: unknown, scopes: string[], type: string, field = 'template_id'): Outcome<TemplateSeed> {
    if (typeof templateId !== 'string' || templateId === '') return problem(400, 'VAL_001', `${field}: This field is required.`);
    const t = this.products.get(productId)?.templates.find((x) => x.id === templateId && scopes.includes(x.scope) && x.type === type);
    return t ? ok(t) : problem(400, 'REQ_002', `Template ${templateId} is not a ${scopes.join('/')} ${type} template of product ${productId}.`);
  }

  /** Runs an action on a request: status check, change, `updated`, history. */
  private act(id: string, action: string, body: Body, change: (r: ConnectRequest) => Outcome<void>): Outcome<ConnectRequest> {
    const found = this.find(id);
    if (!found.ok) return found;
    const r = found.value;
    const allowed = checkStatus('Request', id, r.status, action);
    if (!allowed.ok) return allowed;
    const changed = change(r);
    if (!changed.ok) return changed;
    const from = r.status;
    r.status = TARGET[action] ?? r.status;
    r.updated = this.stamp();
    this.record(id, action, from, r.status, body);
    return ok(structuredClone(r));
  }

  getRequest(id: string): Outcome<ConnectRequest> {
    const found = this.find(id);
    return found.ok ? ok(structuredClone(found.value)) : found;
  }

  /** PUT /requests/{id}: `{asset:{params:[...]}, note?}`; only the given fields change. */
  updateRequest(id: string, body: Body): Outcome<ConnectRequest> {
    const asset = body.asset;
    if (asset !== undefined && (asset === null || typeof asset !== 'object')) return problem(400, 'VAL_001', 'asset: must be an object.');
    const rawParams = (asset as Body | undefined)?.params;
    const changes = rawParams === undefined ? ok([]) : readParamChanges(rawParams, 'asset.params');
    if (!changes.ok) return changes;
    if (body.note !== undefined && typeof body.note !== 'string') return problem(400, 'VAL_001', 'note: must be a string.');
    return this.act(id, 'update', body, (r) => {
      const merged = mergeParams(r.asset.params, changes.value);
      if (merged.ok && typeof body.note === 'string') r.note = body.note;
      return merged;
    });
  }

  /**
   * POST /requests/{id}/approve `{template_id}` or `{activation_tile}` (one of
   * them, as the description says; `effective_date` optional): needs an asset
   * fulfillment template of the product, or the tile's text, and every required
   * fulfillment parameter. The activation key is the rendered template or the tile.
   */
  approveRequest(id: string, body: Body): Outcome<ConnectRequest> {
    return this.act(id, 'approve', body, (r) => {
      const tile = readTile(body);
      if (!tile.ok) return tile;
      if (body.effective_date !== undefined && typeof body.effective_date !== 'string') return problem(400, 'VAL_001', 'effective_date: must be a string.');
      let activation: { key: string; template?: { id: string; name: string } };
      if (tile.value !== undefined) activation = { key: tile.value };
      else {
        const t = this.template(r.asset.product.id, body.template_id, ['asset'], 'fulfillment', 'template_id or activation_tile');
        if (!t.ok) return t;
        activation = { key: rendered(t.value), template: { id: t.value.id, name: t.value.name } };
      }
      const filled = checkRequired(r.asset.params);
      if (!filled.ok) return filled;
      if (activation.template) r.template = activation.template;
      r.activation_key = activation.key;
      if (typeof body.effective_date === 'string') r.effective_date = body.effective_date;
      r.asset.status = ASSET_STATUS_AFTER_APPROVAL[r.type] ?? 'active';
      return ok(undefined);
    });
  }

  /** POST /requests/{id}/fail `{reason}` (required). */
  failRequest(id: string, body: Body): Outcome<ConnectRequest> {
    return this.act(id, 'fail', body, (r) => {
      if (typeof body.reason !== 'string' || body.reason.trim() === '') return problem(400, 'VAL_001', 'reason: This field is required.');
      r.reason = body.reason;
      return ok(undefined);
    });
  }

  /** POST /requests/{id}/inquire `{}`, `{template_id}` (an inquire template) or `{activation_tile}`: pending → inquiring. */
  inquireRequest(id: string, body: Body): Outcome<ConnectRequest> {
    return this.act(id, 'inquire', body, (r) => {
      const tile = readTile(body);
      if (!tile.ok || tile.value !== undefined || body.template_id === undefined) return tile.ok ? ok(undefined) : tile;
      const t = this.template(r.asset.product.id, body.template_id, ['asset'], 'inquire');
      return t.ok ? ok(undefined) : t;
    });
  }

  /** POST /requests/{id}/pend (no body): inquiring → pending, as the vendor's own answer to an inquiry. */
  pendRequest(id: string, body: Body): Outcome<ConnectRequest> {
    return this.act(id, 'pend', body, () => ok(undefined));
  }

  /** The customer answers an inquiry: sets the given values, clears their errors, inquiring → pending. */
  customerFix(id: string, body: Body): Outcome<ConnectRequest> {
    const changes = body.params === undefined ? ok([]) : readParamChanges(body.params, 'params');
    if (!changes.ok) return changes;
    return this.act(id, 'customer-fix', body, (r) =>
      mergeParams(
        r.asset.params,
        changes.value.map((c) => ({ ...c, value_error: '' })),
      ),
    );
  }

  /** Conversations (without messages), one per request. */
  allConversations(): Conversation[] {
    return [...this.conversations.values()];
  }

  /** Messages of a conversation, oldest first. */
  messages(conversationId: string): Outcome<Message[]> {
    const list = this.messagesByConversation.get(conversationId);
    return list ? ok(structuredClone(list)) : problem(404, 'NTF_001', `Conversation ${conversationId} not found.`);
  }

  /** POST /conversations/{id}/messages `{text}`. */
  addMessage(conversationId: string, body: Body): Outcome<Message> {
    const list = this.messagesByConversation.get(conversationId);
    if (!list) return problem(404, 'NTF_001', `Conversation ${conversationId} not found.`);
    if (typeof body.text !== 'string' || body.text === '') return problem(400, 'VAL_001', 'text: This field is required.');
    this.messageCount += 1;
    const created = this.stamp();
    const message: Message = {
      id: `ME-${pad3(this.messageCount)}`,
      conversation: conversationId,
      account: { id: SANDBOX_CONNECTION.vendor.id, name: SANDBOX_CONNECTION.vendor.name },
      text: body.text,
      type: 'message',
      created,
      creator: { ...CONNECTOR_USER },
      events: { created: { at: created, by: { ...CONNECTOR_USER } } },
    };
    list.push(message);
    return ok(structuredClone(message));
  }

  /** The texts in a request's conversation (for tests). */
  notes(requestId: string): string[] {
    const c = [...this.conversations.values()].find((x) => x.instance_id === requestId);
    return (c && this.messagesByConversation.get(c.id)?.map((m) => m.text)) ?? [];
  }

  /** A seeded product, or the 404 the API answers for an unknown one. */
  private seededProduct(productId: string): Outcome<ProductSeed> {
    const p = this.products.get(productId);
    return p ? ok(p) : problem(404, 'NTF_001', `Product ${productId} not found.`);
  }

  /** A product's templates as the API lists them. */
  templates(productId: string): Outcome<Array<{ id: string; name: string; scope: string; type: string }>> {
    const found = this.seededProduct(productId);
    return found.ok ? ok(found.value.templates.map((t) => ({ id: t.id, name: t.name, scope: t.scope, type: t.type }))) : found;
  }

  /**
   * `GET /products/{id}/parameters`: the product's ordering and fulfillment
   * parameters (scope `asset`), then its configuration parameters (phase
   * `configuration`, scope `marketplace`, as `GET /products/{id}/configurations` names them).
   */
  parameters(productId: string): Outcome<ParameterDefinition[]> {
    const found = this.seededProduct(productId);
    if (!found.ok) return found;
    const p = found.value;
    const definition = (id: string, title: string, phase: string, scope: 'asset' | 'marketplace', required: boolean, i: number): ParameterDefinition => ({
      id,
      name: id,
      title,
      description: '',
      type: 'text',
      scope,
      phase,
      position: (i + 1) * 10_000,
      constraints: { required, hidden: false, unique: false, reconciliation: false },
    });
    const asset = p.parameters.map((d, i) => definition(d.id, d.title ?? d.id, d.phase, 'asset', d.required, i));
    const configuration = Object.keys(p.configuration).map((id, i) => definition(id, id, 'configuration', 'marketplace', false, asset.length + i));
    return ok([...asset, ...configuration]);
  }

  /** `GET /products/{id}/items`: the seed's `items`, default `DEFAULT_PRODUCT_ITEMS(id)`, in the description's item shape. */
  items(productId: string): Outcome<Array<Record<string, unknown>>> {
    const found = this.seededProduct(productId);
    if (!found.ok) return found;
    const p = found.value;
    return ok(
      (p.items ?? DEFAULT_PRODUCT_ITEMS(p.id)).map((item, i) => {
        const type = item.type === 'ppu' ? 'PPU' : 'Reservation';
        return {
          id: item.id,
          name: item.name,
          display_name: item.name,
          mpn: item.mpn,
          external_id: item.mpn,
          local_id: item.id.split('-').pop(),
          status: 'published',
          position: (i + 1) * 10_000,
          type,
          item_type: type,
          period: item.type === 'ppu' ? 'Monthly' : 'Yearly',
          precision: item.precision,
          unit: { id: item.unit, name: item.unit, title: item.unit, unit: item.unit },
          commitment: { multiplier: 'billing_period', count: 1 },
          dynamic: false,
          description: '',
          parent: {},
          replacement: {},
          end_of_sale_notes: '',
          group: { name: 'Default', mpn: 'DEFAULT' },
        };
      }),
    );
  }

  allTierConfigRequests(): ConnectTierConfigRequest[] {
    return [...this.tiers.values()];
  }

  tierConfigRequest(id: string): ConnectTierConfigRequest | undefined {
    const t = this.tiers.get(id);
    return t && structuredClone(t);
  }

  private actOnTier(id: string, action: string, body: Body, change: (t: ConnectTierConfigRequest) => Outcome<void>): Outcome<ConnectTierConfigRequest> {
    const t = this.tiers.get(id);
    if (!t) return problem(404, 'NTF_001', `Tier configuration request ${id} not found.`);
    const allowed = checkStatus('Tier configuration request', id, t.status, action);
    if (!allowed.ok) return allowed;
    const changed = change(t);
    if (!changed.ok) return changed;
    const from = t.status;
    t.status = TARGET[action] ?? t.status;
    t.updated = this.stamp();
    this.record(id, action, from, t.status, body);
    return ok(structuredClone(t));
  }

  getTierConfig(id: string): Outcome<ConnectTierConfigRequest> {
    const t = this.tierConfigRequest(id);
    return t ? ok(t) : problem(404, 'NTF_001', `Tier configuration request ${id} not found.`);
  }

  /**
   * PUT /tier/config-requests/{id} `{params:[...], notes?, configuration?:{id}}`.
   * The description's body (dp.TierConfigRequestCreate) requires
   * `configuration`; the sandbox takes a body without it (as the connector and
   * the official SDK send) but refuses one naming another configuration. Answers
   * the description's dp.TierConfigRequestCreate shape.
   */
  updateTierConfig(id: string, body: Body): Outcome<TierConfigUpdate> {
    const changes = body.params === undefined ? ok([]) : readParamChanges(body.params, 'params');
    if (!changes.ok) return changes;
    if (body.notes !== undefined && body.notes !== null && typeof body.notes !== 'string') return problem(400, 'VAL_001', 'notes: must be a string.');
    const updated = this.actOnTier(id, 'update', body, (t) => {
      const named = (body.configuration as Body | undefined)?.id;
      if (named !== undefined && named !== t.configuration.id) return problem(400, 'VAL_001', `configuration.id: ${String(named)} is not the configuration of ${id} (${String(t.configuration.id)}).`);
      const merged = mergeParams(t.params, changes.value);
      if (merged.ok && body.notes !== undefined) t.notes = body.notes ?? '';
      return merged;
    });
    if (!updated.ok) return updated;
    const t = updated.value;
    return ok({
      configuration: { id: String(t.configuration.id ?? '') },
      status: t.status,
      type: t.type,
      params: t.params.map((p) => ({ id: p.id, value: p.value, value_error: p.value_error, ...(p.structured_value === undefined ? {} : { structured_value: p.structured_value }) })),
      notes: typeof t.notes === 'string' ? t.notes : '',
    });
  }

  /**
   * POST .../approve `{template:{id}}` (a tier template of the request's level);
   * then the reseller's `tiers_setup` requests become pending. Answers the
   * description's `{template:{id, representation}, effective_date}`.
   */
  approveTierConfig(id: string, body: Body): Outcome<TierApproval> {
    let answer: TierApproval | undefined;
    const approved = this.actOnTier(id, 'approve', body, (t) => {
      if (body.template_id !== undefined && body.template === undefined) return problem(400, 'VAL_001', 'template: This field is required (tier approvals take {"template":{"id"}}, not template_id).');
      const template = (body.template as Body | undefined) ?? {};
      const level = tierLevel(t);
      const tpl = this.template(t.configuration.product.id, template.id, level === undefined ? ['tier1', 'tier2'] : [`tier${level}`], 'fulfillment', 'template.id');
      if (!tpl.ok) return tpl;
      const filled = checkRequired(t.params);
      if (!filled.ok) return filled;
      t.template = { id: tpl.value.id, name: tpl.value.name };
      t.effective_date = typeof template.effective_date === 'string' ? template.effective_date : this.stamp();
      answer = { template: { id: tpl.value.id, representation: rendered(tpl.value) }, effective_date: t.effective_date as string };
      return ok(undefined);
    });
    if (!approved.ok) return approved;
    this.releaseTiersSetup(approved.value);
    return ok(answer as TierApproval);
  }

  /**
   * `GET /tier/configs`: a reseller's approved settings per product, from the
   * latest approved tier configuration request of that account and product.
   */
  tierConfigs(): Array<Record<string, unknown>> {
    const latest = new Map<string, ConnectTierConfigRequest>();
    for (const t of this.allTierConfigRequests()) {
      if (t.status === 'approved') latest.set(`${t.configuration.account.id}/${t.configuration.product.id}`, t);
    }
    return [...latest.values()].map((t) => {
      const c = t.configuration as Record<string, unknown>;
      const level = tierLevel(t);
      return {
        id: typeof c.id === 'string' ? c.id : `TC-${t.id.slice(4)}`,
        name: `${t.configuration.account.name ?? t.configuration.account.id} configuration`,
        account: t.configuration.account,
        product: t.configuration.product,
        marketplace: c.marketplace,
        tier_level: level === undefined ? undefined : String(level),
        status: 'active',
        connection: c.connection ?? { ...structuredClone(SANDBOX_CONNECTION), type: 'production' },
        ...(t.template === undefined ? {} : { template: t.template }),
        params: t.params,
        events: { created: { at: t.created }, updated: { at: t.updated } },
      };
    });
  }

  private releaseTiersSetup(t: ConnectTierConfigRequest): void {
    const level = tierLevel(t) ?? 1;
    for (const r of this.requests.values()) {
      const tiers = (r.asset.tiers ?? {}) as Record<string, { id?: string } | undefined>;
      if (r.status !== 'tiers_setup' || r.asset.product.id !== t.configuration.product.id || tiers[`tier${level}`]?.id !== t.configuration.account.id) continue;
      r.status = 'pending';
      r.updated = this.stamp();
      this.record(r.id, 'tiers-approved', 'tiers_setup', 'pending', { tierConfigRequest: t.id });
    }
  }

  /** POST .../fail `{reason}` (required); the API answers 204 without a body. */
  failTierConfig(id: string, body: Body): Outcome<ConnectTierConfigRequest> {
    return this.actOnTier(id, 'fail', body, (t) => {
      if (typeof body.reason !== 'string' || body.reason.trim() === '') return problem(400, 'VAL_001', 'reason: This field is required.');
      t.reason = body.reason;
      return ok(undefined);
    });
  }

  /** POST .../inquire (no body): pending → inquiring; the API answers 204. */
  inquireTierConfig(id: string, body: Body): Outcome<ConnectTierConfigRequest> {
    return this.actOnTier(id, 'inquire', body, () => ok(undefined));
  }

  /** POST .../pend (no body): inquiring → pending; the API answers 204. */
  pendTierConfig(id: string, body: Body): Outcome<ConnectTierConfigRequest> {
    return this.actOnTier(id, 'pend', body, () => ok(undefined));
  }

  /** Usage files with their status, external id and uploaded bytes (for tests). */
  usageFiles(): UsageFileView[] {
    return this.usage.views();
  }

  /** The records and categories of a usage file's uploaded workbook, as the sandbox read them (for tests). */
  usageFileRecords(fileId: string): UsageWorkbookContent | undefined {
    return this.usage.records(fileId);
  }

  /** Everything, for `GET /__sandbox/state`. */
  snapshot(): Record<string, unknown> {
    return structuredClone({
      requests: this.allRequests(),
      tierConfigRequests: this.allTierConfigRequests(),
      histories: Object.fromEntries(this.histories),
      conversations: this.allConversations().map((c) => ({ ...c, messages: this.messagesByConversation.get(c.id) ?? [] })),
    });
  }

  /** A parameter's value on a request (for tests), or undefined. */
  param(requestId: string, paramId: string): ConnectParam | undefined {
    const p = this.requests.get(requestId)?.asset.params.find((x) => x.id === paramId);
    return p && structuredClone(p);
  }
}
