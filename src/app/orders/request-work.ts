/**
 * One request being handled: its parameters, the payer it belongs to, and the
 * platform actions (save progress, inquire, approve, fail, note once). Progress is
 * written to the request's fulfillment parameters before the next step, so a
 * restart or a lost local database repeats nothing.
 */
import type { SupportPlan } from '../../domain/support-fee.js';
import type { AccountModel } from '../../domain/orders/account-model.js';
import { PARAM, type ParamProblem } from '../../domain/orders/order-params.js';
import { ConnectorError } from '../../domain/errors.js';
import type {
  Clock,
  CreateAccountStatus,
  CountdownStore,
  FulfillmentRequest,
  Handshake,
  ManualActionInput,
  ManualActionStore,
  OrgAccount,
  OrganizationsFactory,
  OrganizationsPort,
  ParamUpdate,
  PayerAccess,
  PlatformPort,
  RatedMonths,
  RequestJournal,
  RequestParam,
} from './ports.js';
import { KeyedLock } from './keyed-lock.js';

/** A payer as the order flows see it (from the configuration; secrets already resolved from the environment). */
export interface OrderPayer extends PayerAccess {
  accountModel?: AccountModel;
  providerDomains: string[];
  /** The support plan the payer gives members without a manual step (default business). */
  defaultSupportLevel: SupportPlan;
}

export interface OrderSettings {
  productIds: string[];
  /** `connect.activationTemplateId`; else the product's first template of scope asset, type fulfillment. */
  activationTemplateId?: string;
  /** Template for approving tier configuration requests; else the product's first of scope tier1/tier2. */
  tierTemplateId?: string;
  payers: OrderPayer[];
  /** Requests handled at once (bounded concurrency). */
  concurrency: number;
  /** Days from closure to the cancel's approval (60). */
  closeWaitDays: number;
}

/** Locks and look-ups shared by the requests of one cycle (so 1,000 requests do not list the organization 1,000 times). */
export interface CycleShared {
  /** One request per e-mail or account at a time. */
  locks: KeyedLock;
  /** Template ids by product and scope. */
  templates: Map<string, Promise<string>>;
  /** Payer + e-mail pairs asked of CreateAccount in this cycle: a second request of one e-mail waits. */
  creating: Set<string>;
  /** OU ids by payer and customer name, found or created once. */
  customerOus: Map<string, Promise<string>>;
  /** Each payer's accounts by lower-case e-mail (ListAccounts pages through the whole organization). */
  directory: Map<string, Promise<Map<string, OrgAccount>>>;
  /** Each payer's account creations still IN_PROGRESS at the first look of the cycle. */
  inProgress: Map<string, Promise<CreateAccountStatus[]>>;
  /** Each payer's open invitations by invited account, plus those sent in this cycle. */
  invitations: Map<string, Promise<Map<string, Handshake>>>;
  /** Resellers' approved settings by `<tier account>/<product>`. */
  resellerSettings: Map<string, Promise<RequestParam[]>>;
}

/**
 * The value of `key` in a cycle's cache, loading it on first use; callers that
 * ask while it loads share the one load, and a failed load is forgotten (the next
 * request tries again).
 */
export function onceInCycle<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let found = cache.get(key);
  if (!found) {
    found = load();
    found.catch(() => cache.delete(key));
    cache.set(key, found);
  }
  return found;
}

export function newCycleShared(): CycleShared {
  return { locks: new KeyedLock(), templates: new Map(), creating: new Set(), customerOus: new Map(), directory: new Map(), inProgress: new Map(), invitations: new Map(), resellerSettings: new Map() };
}

export interface OrderDeps {
  platform: PlatformPort;
  organizations: OrganizationsFactory;
  clock: Clock;
  journal: RequestJournal;
  countdowns: CountdownStore;
  manualActions: ManualActionStore;
  settings: OrderSettings;
  /**
   * The run ledger, for the cancel of a billing transfer (approved once the last
   * transferred month is rated). Absent: such a cancel waits with an error.
   */
  ratedMonths?: RatedMonths;
  /** What the requests of one cycle share; made new for every cycle. */
  cycle: CycleShared;
}

/** What happened to a request in one pass. `error`: our side failed; the request stays pending and is tried again. */
export type OutcomeKind = 'approved' | 'pending' | 'inquiring' | 'failed' | 'error' | 'skipped';

export interface Outcome {
  kind: OutcomeKind;
  /** Where the flow stopped, e.g. `create-account`, `wait-handshake`, `countdown`. */
  step: string;
  message: string;
  accountId?: string;
}

export class RequestWork {
  /** Fulfillment values saved in this pass (merged into every later read). */
  private readonly saved = new Map<string, string>();
  private payerCache: OrderPayer | undefined;
  /** The reseller's approved settings, when the marketplace has enableMultiplePayer Yes. */
  private resellerSettings: RequestParam[] | undefined;

  constructor(
    readonly request: FulfillmentRequest,
    readonly deps: OrderDeps,
    readonly signal: AbortSignal,
  ) {}

  get id(): string {
    return this.request.id;
  }

  get now(): Date {
    return this.deps.clock.now();
  }

  /** A parameter's value, trimmed; '' when absent. Values saved in this pass win. */
  param(id: string): string {
    return this.saved.get(id) ?? this.request.asset.params.find((p) => p.id === id)?.value.trim() ?? '';
  }

  /** A configuration parameter of the request's marketplace; '' when absent. */
  config(id: string): string {
    const reseller = this.resellerSettings?.find((p) => p.id === id)?.value.trim() ?? '';
    return reseller || (this.request.asset.configuration.find((p) => p.id === id)?.value.trim() ?? '');
  }

  /** True when the marketplace gives each reseller its own payer and settings (tier configuration). */
  get multiplePayer(): boolean {
    return (this.request.asset.configuration.find((p) => p.id === 'enableMultiplePayer')?.value.trim().toLowerCase() ?? '') === 'yes';
  }

  get customerName(): string {
    return this.request.asset.customer.name;
  }

  /**
   * Finds the payer this request's account lives in, before any AWS call: the
   * saved `payer_account_id` (where the account already is); else, with
   * `enableMultiplePayer` Yes, the reseller's own `payerAccountId` from its
   * approved tier configuration (never a guess: no such setting is an error);
   * else the marketplace's `payerAccountId`; else the only configured payer.
   */
  async resolvePayer(): Promise<OrderPayer> {
    if (this.payerCache) return this.payerCache;
    if (this.multiplePayer) {
      const tier1 = this.request.asset.tier1?.id ?? '';
      if (tier1 === '') throw new ConnectorError('CONFIG_INVALID', `request ${this.id}: enableMultiplePayer is Yes but the request names no reseller (asset.tiers.tier1)`, { where: { setting: 'enableMultiplePayer' } });
      const productId = this.request.asset.productId;
      const settings = await onceInCycle(this.deps.cycle.resellerSettings, `${tier1}/${productId}`, async () => (await this.deps.platform.getTierConfigParams(tier1, productId, this.signal)) ?? []);
      this.resellerSettings = settings;
      if (this.param(PARAM.payerAccountId) === '' && this.config('payerAccountId') === '') {
        throw new ConnectorError('CONFIG_INVALID', `request ${this.id}: enableMultiplePayer is Yes but reseller ${tier1} has no approved payerAccountId for ${productId} (tier configuration)`, {
          where: { setting: 'payerAccountId' },
        });
      }
    }
    const id = this.param(PARAM.payerAccountId) || this.config('payerAccountId') || (this.deps.settings.payers.length === 1 ? (this.deps.settings.payers[0]?.accountId ?? '') : '');
    if (id === '') {
      throw new ConnectorError('CONFIG_INVALID', `request ${this.id}: no payer: the marketplace has no payerAccountId and the configuration lists ${this.deps.settings.payers.length} payers`, { where: { setting: 'payers' } });
    }
    const payer = this.deps.settings.payers.find((p) => p.accountId === id);
    if (!payer) {
      throw new ConnectorError('CONFIG_INVALID', `request ${this.id}: payer ${id} is not in the configuration (payers[].accountId)`, { where: { setting: 'payers[].accountId', value: id, payer: id } });
    }
    const roleArn = payer.roleArn ?? (this.config('payerRoleArn') || undefined);
    const externalId = payer.externalId ?? (this.config('payerExternalId') || undefined);
    this.payerCache = { ...payer, roleArn, externalId };
    return this.payerCache;
  }

  /** The payer found by `resolvePayer` (which every flow that touches AWS awaits first). */
  payer(): OrderPayer {
    if (!this.payerCache) throw new ConnectorError('INTERNAL', `request ${this.id}: the payer was used before resolvePayer()`);
    return this.payerCache;
  }

  organizations(): OrganizationsPort {
    return this.deps.organizations.forPayer(this.payer());
  }

  /**
   * The organization's account of this e-mail, from the cycle's listing. Accounts
   * created during the cycle are still IN_PROGRESS (AWS lists them only once
   * SUCCEEDED), so a listing taken at the cycle's start misses nothing it could show.
   */
  async accountByEmail(email: string): Promise<OrgAccount | undefined> {
    const byEmail = await onceInCycle(this.deps.cycle.directory, this.payer().accountId, async () => {
      const accounts = await this.organizations().listAccounts(this.signal);
      return new Map(accounts.map((a) => [a.email.trim().toLowerCase(), a]));
    });
    return byEmail.get(email.trim().toLowerCase());
  }

  /** Creations of this payer still IN_PROGRESS (ListCreateAccountStatus), looked at once per cycle. */
  creationsInProgress(): Promise<CreateAccountStatus[]> {
    return onceInCycle(this.deps.cycle.inProgress, this.payer().accountId, () => this.organizations().listCreateAccountStatuses('IN_PROGRESS', this.signal));
  }

  /** This payer's open invitations by invited account (ListHandshakesForOrganization once per cycle). */
  openInvitations(): Promise<Map<string, Handshake>> {
    return onceInCycle(this.deps.cycle.invitations, this.payer().accountId, async () => {
      const open = await this.organizations().listOpenInvitations(this.signal);
      return new Map(open.map((h) => [h.accountId, { id: h.id, state: h.state }]));
    });
  }

  /** Saves fulfillment values on the request now (PUT), before any next step. */
  async save(values: Record<string, string>, extra: ParamUpdate[] = []): Promise<void> {
    const updates: ParamUpdate[] = [...Object.entries(values).map(([id, value]) => ({ id, value })), ...extra];
    if (updates.length === 0) return;
    await this.deps.platform.updateRequestParams(this.id, updates, this.signal);
    for (const [id, value] of Object.entries(values)) this.saved.set(id, value);
  }

  /** Marks each bad parameter with `value_error`, clears errors fixed since, and hands the request back. */
  async inquire(problems: ParamProblem[], step: string): Promise<Outcome> {
    const bad = new Set(problems.map((p) => p.param));
    const updates: ParamUpdate[] = problems.map((p) => ({ id: p.param, valueError: p.message }));
    for (const p of this.request.asset.params) if (p.valueError !== '' && !bad.has(p.id)) updates.push({ id: p.id, valueError: '' });
    await this.deps.platform.updateRequestParams(this.id, updates, this.signal);
    await this.deps.platform.inquireRequest(this.id, this.signal);
    return { kind: 'inquiring', step, message: problems.map((p) => `${p.param}: ${p.message}`).join('; ') };
  }

  /** Errors left from an earlier inquiry on parameters that are fine now. */
  clearedErrors(): ParamUpdate[] {
    return this.request.asset.params.filter((p) => p.valueError !== '').map((p) => ({ id: p.id, valueError: '' }));
  }

  /** Saves the fulfillment values (required ones first, per CONNECT.md), then approves with the activation template. */
  async approve(values: Record<string, string>, step: string, message: string): Promise<Outcome> {
    await this.save(values, this.clearedErrors());
    const templateId = await this.activationTemplate();
    await this.deps.platform.approveRequest(this.id, templateId, this.signal);
    const accountId = this.param(PARAM.awsAccountId) || undefined;
    return { kind: 'approved', step, message, accountId };
  }

  async fail(reason: string, step: string): Promise<Outcome> {
    await this.deps.platform.failRequest(this.id, reason, this.signal);
    return { kind: 'failed', step, message: reason };
  }

  /** Leaves `text` in the request's conversation unless it is already there. */
  async noteOnce(text: string): Promise<boolean> {
    const notes = await this.deps.platform.listRequestNotes(this.id, this.signal);
    if (notes.includes(text)) return false;
    await this.deps.platform.addRequestNote(this.id, text, this.signal);
    return true;
  }

  /** True when this request already has a manual action of `kind` (open or done). */
  hasManualAction(kind: ManualActionInput['kind']): boolean {
    return this.deps.manualActions.find(kind, this.id) !== undefined;
  }

  /** Closes this request's manual action of `kind` when the connector sees it done in AWS. */
  closeManualAction(kind: ManualActionInput['kind'], why: string): void {
    const action = this.deps.manualActions.find(kind, this.id);
    if (action && action.doneAt === undefined) this.deps.manualActions.markDone(action.id, this.now, `connector: ${why}`);
  }

  /** Records work for a person (idempotent per kind and request). */
  manualAction(action: Omit<ManualActionInput, 'requestId' | 'payerAccountId'>): void {
    this.deps.manualActions.add({ ...action, requestId: this.id, payerAccountId: this.payer().accountId }, this.now);
  }

  get countdowns(): CountdownStore {
    return this.deps.countdowns;
  }

  get journal(): RequestJournal {
    return this.deps.journal;
  }

  private activationTemplate(): Promise<string> {
    const configured = this.deps.settings.activationTemplateId;
    if (configured) return Promise.resolve(configured);
    return templateFor(this.deps, this.request.asset.productId, 'asset', this.signal);
  }
}

/** The product's first template of `scope` (type fulfillment), looked up once per cycle. */
export function templateFor(deps: OrderDeps, productId: string, scope: string, signal: AbortSignal): Promise<string> {
  return onceInCycle(deps.cycle.templates, `${productId}/${scope}`, async () => {
    const first = (await deps.platform.listTemplates(productId, scope, signal))[0];
    if (!first) throw new ConnectorError('CONFIG_INVALID', `product ${productId} has no template of scope ${scope} and type fulfillment; set connect.activationTemplateId`, { where: { setting: 'connect.activationTemplateId' } });
    return first.id;
  });
}
