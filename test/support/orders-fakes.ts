/**
 * Stand-ins for the order use cases: an in-memory platform and organization that
 * keep state (so tests assert what the platform holds and which accounts exist),
 * plus the real SQLite stores on an in-memory database.
 */
import { ConnectorError, type ErrorCode } from '../../src/domain/errors.js';
import type {
  CreateAccountStatus,
  FulfillmentRequest,
  Handshake,
  OrgAccount,
  OrganizationsFactory,
  OrganizationsPort,
  ParamUpdate,
  PlatformPort,
  RequestParam,
  TierConfigRequest,
} from '../../src/app/orders/ports.js';
import type { CycleDeps } from '../../src/app/orders/process-cycle.js';
import type { OrderPayer, OrderSettings } from '../../src/app/orders/request-work.js';
import { openStateDatabase } from '../../src/store/database.js';
import { SqliteCountdownStore } from '../../src/store/countdown.store.js';
import { SqliteRequestJournal } from '../../src/store/journal.store.js';
import { SqliteManualActionStore } from '../../src/store/manual-actions.store.js';

export const PAYER = '111111111111';
export const TEMPLATE = 'TL-111-111-111';
export const PRODUCT = 'PRD-411-678-887';

export function request(id: string, type: string, params: Record<string, string>, options: { customer?: string; configuration?: Record<string, string> } = {}): FulfillmentRequest {
  const toParams = (values: Record<string, string>): RequestParam[] => Object.entries(values).map(([pid, value]) => ({ id: pid, value, valueError: '' }));
  return {
    id,
    type,
    status: 'pending',
    asset: {
      id: `AS-${id.slice(3)}`,
      productId: PRODUCT,
      params: toParams(params),
      configuration: toParams(options.configuration ?? { payerAccountId: PAYER, organizationalUnitEnabled: 'No' }),
      customer: { id: 'TA-1', name: options.customer ?? 'Acme Corp' },
    },
  };
}

type Call = { op: string; args: unknown[] };

/** The platform: requests by id, status changes, notes; a queue of faults per method. */
export class FakePlatform implements PlatformPort {
  readonly requests = new Map<string, FulfillmentRequest>();
  readonly tcrs = new Map<string, TierConfigRequest>();
  readonly notes = new Map<string, string[]>();
  readonly calls: Call[] = [];
  readonly faults = new Map<string, Error[]>();
  approvedWith = new Map<string, string>();
  failReasons = new Map<string, string>();

  constructor(requests: FulfillmentRequest[] = [], tcrs: TierConfigRequest[] = []) {
    for (const r of requests) this.requests.set(r.id, structuredClone(r));
    for (const t of tcrs) this.tcrs.set(t.id, structuredClone(t));
  }

  /** Makes the next call(s) of `op` throw. */
  failNext(op: string, error: Error = new ConnectorError('PLATFORM_HTTP', `${op} failed`, { retryable: true })): void {
    this.faults.set(op, [...(this.faults.get(op) ?? []), error]);
  }

  private enter(op: string, ...args: unknown[]): void {
    this.calls.push({ op, args });
    const fault = this.faults.get(op)?.shift();
    if (fault) throw fault;
  }

  param(requestId: string, id: string): RequestParam | undefined {
    return this.requests.get(requestId)?.asset.params.find((p) => p.id === id);
  }

  status(requestId: string): string | undefined {
    return this.requests.get(requestId)?.status;
  }

  private get(id: string): FulfillmentRequest {
    const r = this.requests.get(id);
    if (!r) throw new ConnectorError('PLATFORM_HTTP', `no request ${id}`);
    return r;
  }

  private move(id: string, to: string): void {
    const r = this.get(id);
    const allowed: Record<string, string[]> = { pending: ['inquiring', 'failed', 'approved'], inquiring: ['pending', 'failed', 'approved'] };
    if (!(allowed[r.status] ?? []).includes(to)) throw new ConnectorError('PLATFORM_HTTP', `${id}: ${r.status} → ${to} is not allowed`);
    r.status = to;
  }

  async listPendingTierConfigRequests(): Promise<TierConfigRequest[]> {
    this.enter('listPendingTierConfigRequests');
    return [...this.tcrs.values()].filter((t) => t.status === 'pending').map((t) => structuredClone(t));
  }
  async listPendingRequests(): Promise<FulfillmentRequest[]> {
    this.enter('listPendingRequests');
    return [...this.requests.values()].filter((r) => r.status === 'pending').map((r) => structuredClone(r));
  }
  async getRequest(id: string): Promise<FulfillmentRequest> {
    this.enter('getRequest', id);
    return structuredClone(this.get(id));
  }
  async updateRequestParams(id: string, params: ParamUpdate[]): Promise<void> {
    this.enter('updateRequestParams', id, params);
    const r = this.get(id);
    for (const u of params) {
      let p = r.asset.params.find((x) => x.id === u.id);
      if (!p) {
        p = { id: u.id, value: '', valueError: '' };
        r.asset.params.push(p);
      }
      if (u.value !== undefined) p.value = u.value;
      if (u.valueError !== undefined) p.valueError = u.valueError;
    }
  }
  async approveRequest(id: string, templateId: string): Promise<void> {
    this.enter('approveRequest', id, templateId);
    this.move(id, 'approved');
    this.approvedWith.set(id, templateId);
  }
  async failRequest(id: string, reason: string): Promise<void> {
    this.enter('failRequest', id, reason);
    this.move(id, 'failed');
    this.failReasons.set(id, reason);
  }
  async inquireRequest(id: string): Promise<void> {
    this.enter('inquireRequest', id);
    this.move(id, 'inquiring');
  }
  async listRequestNotes(id: string): Promise<string[]> {
    this.enter('listRequestNotes', id);
    return [...(this.notes.get(id) ?? [])];
  }
  async addRequestNote(id: string, text: string): Promise<void> {
    this.enter('addRequestNote', id, text);
    this.notes.set(id, [...(this.notes.get(id) ?? []), text]);
  }
  async listTemplates(productId: string, scope: string): Promise<Array<{ id: string; name: string }>> {
    this.enter('listTemplates', productId, scope);
    return scope === 'asset' ? [{ id: TEMPLATE, name: 'Activation' }] : [{ id: 'TL-999-999-999', name: 'Tier' }];
  }
  /** Approved reseller settings by `<tier account>/<product>`. */
  readonly tierConfigs = new Map<string, RequestParam[]>();
  async getTierConfigParams(accountId: string, productId: string): Promise<RequestParam[] | undefined> {
    this.enter('getTierConfigParams', accountId, productId);
    return this.tierConfigs.get(`${accountId}/${productId}`);
  }
  async updateTierConfigParams(id: string, params: ParamUpdate[]): Promise<void> {
    this.enter('updateTierConfigParams', id, params);
    const t = this.tcrs.get(id);
    for (const u of params) {
      const p = t?.params.find((x) => x.id === u.id);
      if (p && u.valueError !== undefined) p.valueError = u.valueError;
    }
  }
  async approveTierConfig(id: string, templateId: string): Promise<void> {
    this.enter('approveTierConfig', id, templateId);
    const t = this.tcrs.get(id);
    if (t) t.status = 'approved';
  }
  async failTierConfig(id: string): Promise<void> {
    this.enter('failTierConfig', id);
    const t = this.tcrs.get(id);
    if (t) t.status = 'failed';
  }
  async inquireTierConfig(id: string): Promise<void> {
    this.enter('inquireTierConfig', id);
    const t = this.tcrs.get(id);
    if (t) t.status = 'inquiring';
  }
}

/** One organization: accounts, create statuses, handshakes, OUs, parents; faults per operation. */
export class FakeOrganization implements OrganizationsPort {
  readonly accounts = new Map<string, OrgAccount>();
  readonly parents = new Map<string, string>();
  readonly ous = new Map<string, { name: string; parent: string }>();
  readonly statuses = new Map<string, CreateAccountStatus & { email: string; name: string }>();
  readonly handshakes = new Map<string, Handshake & { accountId: string }>();
  readonly calls: Call[] = [];
  readonly faults = new Map<string, Error[]>();
  /** Accounts outside the organization that can be invited. */
  readonly outside = new Set<string>();
  private next = 500_000_000_000;

  constructor(readonly root = 'r-abcd') {}

  failNext(op: string, code: ErrorCode, times = 1, retryable = false): void {
    for (let i = 0; i < times; i += 1) this.faults.set(op, [...(this.faults.get(op) ?? []), new ConnectorError(code, `AWS refused ${op}`, { retryable })]);
  }

  count(op: string): number {
    return this.calls.filter((c) => c.op === op).length;
  }

  addAccount(id: string, email: string, state = 'ACTIVE', parent = this.root): void {
    this.accounts.set(id, { id, email, name: email, state, joinedMethod: 'CREATED' });
    this.parents.set(id, parent);
  }

  /** Finishes a creation the way AWS does: the account appears, ACTIVE, under the root. */
  completeCreation(statusId: string, reason?: string): string | undefined {
    const s = this.statuses.get(statusId);
    if (!s) throw new Error(`no status ${statusId}`);
    if (reason) {
      s.state = 'FAILED';
      s.failureReason = reason;
      return undefined;
    }
    const id = String((this.next += 1));
    s.state = 'SUCCEEDED';
    s.accountId = id;
    this.addAccount(id, s.email);
    return id;
  }

  private enter(op: string, ...args: unknown[]): void {
    this.calls.push({ op, args });
    const fault = this.faults.get(op)?.shift();
    if (fault) throw fault;
  }

  /** The management account DescribeOrganization reports (default: the payer this organization belongs to). */
  managementAccountId = PAYER;
  async describeOrganization(): Promise<{ id: string; managementAccountId: string }> {
    this.enter('describeOrganization');
    return { id: 'o-test', managementAccountId: this.managementAccountId };
  }
  async listAccounts(): Promise<OrgAccount[]> {
    this.enter('listAccounts');
    return [...this.accounts.values()].map((a) => ({ ...a }));
  }
  async describeAccount(id: string): Promise<OrgAccount | undefined> {
    this.enter('describeAccount', id);
    return this.accounts.get(id);
  }
  async createAccount(input: { email: string; name: string }): Promise<CreateAccountStatus> {
    this.enter('createAccount', input);
    const id = `car-${this.statuses.size + 1}`;
    this.statuses.set(id, { id, state: 'IN_PROGRESS', ...input });
    return { id, state: 'IN_PROGRESS' };
  }
  async describeCreateAccountStatus(id: string): Promise<CreateAccountStatus> {
    this.enter('describeCreateAccountStatus', id);
    const s = this.statuses.get(id);
    if (!s) throw new ConnectorError('AWS_NOT_FOUND', `no create account status ${id}`);
    return { id: s.id, state: s.state, accountId: s.accountId, failureReason: s.failureReason };
  }
  async listCreateAccountStatuses(state: CreateAccountStatus['state']): Promise<CreateAccountStatus[]> {
    this.enter('listCreateAccountStatuses', state);
    return [...this.statuses.values()].filter((s) => s.state === state).map((s) => ({ id: s.id, state: s.state, accountName: s.name }));
  }
  async listOpenInvitations(): Promise<Array<Handshake & { accountId: string }>> {
    this.enter('listOpenInvitations');
    return [...this.handshakes.values()].filter((x) => x.state === 'OPEN' || x.state === 'REQUESTED').map((h) => ({ id: h.id, state: h.state, accountId: h.accountId }));
  }
  async inviteAccount(accountId: string): Promise<Handshake> {
    this.enter('inviteAccount', accountId);
    const id = `h-${this.handshakes.size + 1}`;
    this.handshakes.set(id, { id, state: 'OPEN', accountId });
    return { id, state: 'OPEN' };
  }
  async describeHandshake(id: string): Promise<Handshake> {
    this.enter('describeHandshake', id);
    const h = this.handshakes.get(id);
    if (!h) throw new ConnectorError('AWS_NOT_FOUND', `no handshake ${id}`);
    return { id: h.id, state: h.state };
  }
  /** The owner answers: ACCEPTED brings the account into the organization. */
  answer(handshakeId: string, state: Handshake['state']): void {
    const h = this.handshakes.get(handshakeId);
    if (!h) throw new Error(`no handshake ${handshakeId}`);
    h.state = state;
    if (state === 'ACCEPTED') this.addAccount(h.accountId, `${h.accountId}@owner.example`);
  }
  async parentOf(accountId: string): Promise<string> {
    this.enter('parentOf', accountId);
    const parent = this.parents.get(accountId);
    if (!parent) throw new ConnectorError('AWS_NOT_FOUND', `no account ${accountId}`);
    return parent;
  }
  async moveAccount(accountId: string, from: string, to: string): Promise<void> {
    this.enter('moveAccount', accountId, from, to);
    if (this.parents.get(accountId) !== from) throw new ConnectorError('AWS_CALL', 'SourceParentNotFoundException');
    this.parents.set(accountId, to);
  }
  async rootId(): Promise<string> {
    this.enter('rootId');
    return this.root;
  }
  async findOrganizationalUnit(parent: string, name: string): Promise<string | undefined> {
    this.enter('findOrganizationalUnit', parent, name);
    return [...this.ous.entries()].find(([, ou]) => ou.parent === parent && ou.name === name)?.[0];
  }
  async createOrganizationalUnit(parent: string, name: string): Promise<string> {
    this.enter('createOrganizationalUnit', parent, name);
    const id = `ou-abcd-${String(this.ous.size + 1).padStart(8, '0')}`;
    this.ous.set(id, { name, parent });
    return id;
  }
}

export class FakeOrganizations implements OrganizationsFactory {
  readonly orgs = new Map<string, FakeOrganization>();
  forPayer(payer: { accountId: string }): OrganizationsPort {
    let org = this.orgs.get(payer.accountId);
    if (!org) {
      org = new FakeOrganization();
      org.managementAccountId = payer.accountId;
      this.orgs.set(payer.accountId, org);
    }
    return org;
  }
  of(payer = PAYER): FakeOrganization {
    return this.forPayer({ accountId: payer }) as FakeOrganization;
  }
}

/** A clock the test moves. */
export class TestClock {
  constructor(public current = new Date('2026-11-26T10:00:00Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  set(iso: string): void {
    this.current = new Date(iso);
  }
}

export function payer(overrides: Partial<OrderPayer> = {}): OrderPayer {
  return { accountId: PAYER, providerDomains: [], defaultSupportLevel: 'business', ...overrides };
}

export interface Harness {
  deps: CycleDeps;
  platform: FakePlatform;
  orgs: FakeOrganizations;
  org: FakeOrganization;
  clock: TestClock;
  close(): void;
}

export function harness(requests: FulfillmentRequest[] = [], settings: Partial<OrderSettings> = {}, tcrs: TierConfigRequest[] = [], statePath = ':memory:'): Harness {
  const platform = new FakePlatform(requests, tcrs);
  const orgs = new FakeOrganizations();
  const clock = new TestClock();
  const state = openStateDatabase(statePath);
  const deps: CycleDeps = {
    platform,
    organizations: orgs,
    clock,
    journal: new SqliteRequestJournal(state.db),
    countdowns: new SqliteCountdownStore(state.db),
    manualActions: new SqliteManualActionStore(state.db),
    settings: { productIds: [PRODUCT], payers: [payer()], concurrency: 2, closeWaitDays: 60, ...settings },
  };
  return { deps, platform, orgs, org: orgs.of(), clock, close: () => state.close() };
}
