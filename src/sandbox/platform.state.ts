/**
 * The in-memory platform behind the sandbox's Connect API: fulfillment requests,
 * tier configuration requests, conversations and product templates, seeded from
 * a `Seed`; products' usage schemas and usage files live in `usage`
 * (usage-files.state.ts). Tests read and steer it directly; the HTTP routes
 * call the same methods.
 */
import { checkRequired, checkStatus, mergeParams, ok, problem, readParamChanges, TARGET, type HistoryEntry, type Outcome } from './platform.lifecycle.js';
import { platformTime } from './seed.expand.js';
import type { UsageWorkbookContent } from '../adapters/workbook/usage-workbook.reader.js';
import type { AssetSeed, ConnectParam, ConnectRequest, ConnectTierConfigRequest, MarketplaceSeed, ProductSeed, Seed, TemplateSeed } from './seed.schema.js';
import { UsageFilesState, type UsageFileView, type UsageFilesOptions } from './usage-files.state.js';

/** A conversation message as the API lists it. */
export interface Message {
  id: string;
  text: string;
  created: string;
  creator: { id: string; name: string };
}

/** The conversation of one request (`instance_id` is the request id). */
export interface Conversation {
  id: string;
  instance_id: string;
  topic: string;
  created: string;
}

type Body = Record<string, unknown>;

/** The asset's status after an approved request of this type (others: `active`). */
const ASSET_STATUS_AFTER_APPROVAL: Record<string, string> = { cancel: 'terminated', suspend: 'suspended' };

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
      this.conversations.set(id, { id, instance_id: r.id, topic: `Request #${r.id}`, created: r.created });
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

  private template(productId: string, templateId: unknown, scopes: string[], type: string): Outcome<TemplateSeed> {
    if (typeof templateId !== 'string' || templateId === '') return problem(400, 'VAL_001', 'template_id: This field is required.');
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

  /** POST /requests/{id}/approve `{template_id}`: needs an asset template of the product and every required fulfillment parameter. */
  approveRequest(id: string, body: Body): Outcome<ConnectRequest> {
    return this.act(id, 'approve', body, (r) => {
      const t = this.template(r.asset.product.id, body.template_id, ['asset'], 'fulfillment');
      if (!t.ok) return t;
      const filled = checkRequired(r.asset.params);
      if (!filled.ok) return filled;
      r.template = { id: t.value.id, name: t.value.name };
      r.activation_key = `${t.value.name} (sandbox rendering of ${t.value.id})`;
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

  /** POST /requests/{id}/inquire `{}` or `{template_id}`: pending → inquiring. */
  inquireRequest(id: string, body: Body): Outcome<ConnectRequest> {
    return this.act(id, 'inquire', body, (r) => {
      if (body.template_id === undefined) return ok(undefined);
      const t = this.template(r.asset.product.id, body.template_id, ['asset'], 'inquire');
      return t.ok ? ok(undefined) : t;
    });
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
    const message: Message = { id: `ME-${pad3(this.messageCount)}`, text: body.text, created: this.stamp(), creator: { id: 'UR-000-000-002', name: 'Connector' } };
    list.push(message);
    return ok(structuredClone(message));
  }

  /** The texts in a request's conversation (for tests). */
  notes(requestId: string): string[] {
    const c = [...this.conversations.values()].find((x) => x.instance_id === requestId);
    return (c && this.messagesByConversation.get(c.id)?.map((m) => m.text)) ?? [];
  }

  /** A product's templates as the API lists them. */
  templates(productId: string): Outcome<Array<{ id: string; name: string; scope: string; type: string }>> {
    const p = this.products.get(productId);
    return p ? ok(p.templates.map((t) => ({ id: t.id, name: t.name, scope: t.scope, type: t.type }))) : problem(404, 'NTF_001', `Product ${productId} not found.`);
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

  /** PUT /tier/config-requests/{id} `{params:[...]}`. */
  updateTierConfig(id: string, body: Body): Outcome<ConnectTierConfigRequest> {
    const changes = body.params === undefined ? ok([]) : readParamChanges(body.params, 'params');
    if (!changes.ok) return changes;
    return this.actOnTier(id, 'update', body, (t) => mergeParams(t.params, changes.value));
  }

  /** POST .../approve `{template:{id}}` (a tier template); then the reseller's `tiers_setup` requests become pending. */
  approveTierConfig(id: string, body: Body): Outcome<ConnectTierConfigRequest> {
    const approved = this.actOnTier(id, 'approve', body, (t) => {
      if (body.template_id !== undefined && body.template === undefined) return problem(400, 'VAL_001', 'template: This field is required (tier approvals take {"template":{"id"}}, not template_id).');
      const templateId = (body.template as Body | undefined)?.id;
      const level = (t.configuration as { tier_level?: number }).tier_level;
      const tpl = this.template(t.configuration.product.id, templateId, level === undefined ? ['tier1', 'tier2'] : [`tier${level}`], 'fulfillment');
      if (!tpl.ok) return tpl;
      const filled = checkRequired(t.params);
      if (!filled.ok) return filled;
      t.template = { id: tpl.value.id, name: tpl.value.name };
      return ok(undefined);
    });
    if (approved.ok) this.releaseTiersSetup(approved.value);
    return approved;
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
    return [...latest.values()].map((t) => ({
      id: typeof t.configuration.id === 'string' ? t.configuration.id : `TC-${t.id.slice(4)}`,
      account: t.configuration.account,
      product: t.configuration.product,
      marketplace: t.configuration.marketplace,
      tier_level: t.configuration.tier_level,
      params: t.params,
    }));
  }

  private releaseTiersSetup(t: ConnectTierConfigRequest): void {
    for (const r of this.requests.values()) {
      const tiers = (r.asset.tiers ?? {}) as Record<string, { id?: string } | undefined>;
      const level = (t.configuration as { tier_level?: number }).tier_level ?? 1;
      if (r.status !== 'tiers_setup' || r.asset.product.id !== t.configuration.product.id || tiers[`tier${level}`]?.id !== t.configuration.account.id) continue;
      r.status = 'pending';
      r.updated = this.stamp();
      this.record(r.id, 'tiers-approved', 'tiers_setup', 'pending', { tierConfigRequest: t.id });
    }
  }

  failTierConfig(id: string, body: Body): Outcome<ConnectTierConfigRequest> {
    return this.actOnTier(id, 'fail', body, (t) => {
      if (typeof body.reason !== 'string' || body.reason.trim() === '') return problem(400, 'VAL_001', 'reason: This field is required.');
      t.reason = body.reason;
      return ok(undefined);
    });
  }

  inquireTierConfig(id: string, body: Body): Outcome<ConnectTierConfigRequest> {
    return this.actOnTier(id, 'inquire', body, () => ok(undefined));
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
