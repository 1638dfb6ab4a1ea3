/**
 * What the order use cases need from the outside world: the platform's API,
 * AWS Organizations, the clock and the local state. Adapters implement these;
 * tests plug in stand-ins. Every method that does I/O takes the one AbortSignal
 * of the cycle, and throws `ConnectorError` (never an SDK or axios error type).
 */

/** A parameter of a request or asset, as the platform gives it (values are strings). */
export interface RequestParam {
  id: string;
  /** `ordering`, `fulfillment` or `configuration` (absent when the platform omits it). */
  phase?: string;
  /** Empty string when not filled. */
  value: string;
  /** Empty string when none. */
  valueError: string;
}

/** The platform's request types (CONNECT.md); others may appear and are left alone. */
export type RequestType = 'purchase' | 'change' | 'suspend' | 'resume' | 'cancel';

/** A fulfillment request (`/requests`), trimmed to what the connector uses. */
export interface FulfillmentRequest {
  id: string;
  type: string;
  status: string;
  /** ISO timestamps as the platform gives them. */
  created?: string;
  updated?: string;
  marketplaceId?: string;
  asset: {
    id: string;
    productId: string;
    /** `production`, `test`, `preview`. */
    connectionType?: string;
    /** Ordering and fulfillment parameters. */
    params: RequestParam[];
    /** Configuration parameters already resolved for the request's marketplace. */
    configuration: RequestParam[];
    customer: { id: string; name: string };
    tier1?: { id: string; name: string };
  };
}

/** A tier configuration request (`/tier/config-requests`). */
export interface TierConfigRequest {
  id: string;
  /** `setup` or `update`. */
  type: string;
  status: string;
  productId: string;
  /** The reseller (tier account) the settings are for. */
  accountId: string;
  marketplaceId?: string;
  tierLevel?: number;
  params: RequestParam[];
}

/** A change to one parameter: only the given fields change. */
export interface ParamUpdate {
  id: string;
  value?: string;
  /** Set to a sentence to mark the value bad; set to '' to clear. */
  valueError?: string;
}

export interface ListOptions {
  productIds: string[];
  signal: AbortSignal;
}

/**
 * The platform (CloudBlue Connect), per CONNECT.md. Lists page through
 * `Content-Range` until the total is reached.
 */
export interface PlatformPort {
  /** Pending tier configuration requests of these products. */
  listPendingTierConfigRequests(options: ListOptions): Promise<TierConfigRequest[]>;
  /** Pending fulfillment requests of these products, oldest first. */
  listPendingRequests(options: ListOptions): Promise<FulfillmentRequest[]>;
  /** One request as it is now (to re-read before acting). */
  getRequest(requestId: string, signal: AbortSignal): Promise<FulfillmentRequest>;
  /** PUT /requests/{id} with `asset.params` (and an optional note). */
  updateRequestParams(requestId: string, params: ParamUpdate[], signal: AbortSignal): Promise<void>;
  /** POST /requests/{id}/approve with `{template_id}`. */
  approveRequest(requestId: string, templateId: string, signal: AbortSignal): Promise<void>;
  /** POST /requests/{id}/fail with `{reason}`. Terminal. */
  failRequest(requestId: string, reason: string, signal: AbortSignal): Promise<void>;
  /** POST /requests/{id}/inquire (after `value_error` is set on the bad parameters). */
  inquireRequest(requestId: string, signal: AbortSignal): Promise<void>;
  /** Texts of the messages already in the request's conversation (to leave a note only once). */
  listRequestNotes(requestId: string, signal: AbortSignal): Promise<string[]>;
  /** POST /conversations/{id}/messages on the request's conversation. */
  addRequestNote(requestId: string, text: string, signal: AbortSignal): Promise<void>;
  /**
   * Templates of a product: GET /products/{id}/templates?scope=...&type=fulfillment,
   * in the platform's order. `scope` is `asset` (activation) or `tier1`/`tier2` (tier configuration).
   */
  listTemplates(productId: string, scope: string, signal: AbortSignal): Promise<Array<{ id: string; name: string }>>;
  /**
   * A reseller's approved settings for a product: `GET /tier/configs?and(eq(account.id,TA-...),eq(product.id,PRD-...))`,
   * `[0].params`; undefined when the reseller has none.
   */
  getTierConfigParams(tierAccountId: string, productId: string, signal: AbortSignal): Promise<RequestParam[] | undefined>;
  updateTierConfigParams(tcrId: string, params: ParamUpdate[], signal: AbortSignal): Promise<void>;
  /** POST /tier/config-requests/{id}/approve with `{template:{id}}`. */
  approveTierConfig(tcrId: string, templateId: string, signal: AbortSignal): Promise<void>;
  failTierConfig(tcrId: string, reason: string, signal: AbortSignal): Promise<void>;
  inquireTierConfig(tcrId: string, signal: AbortSignal): Promise<void>;
}

/** AWS Organizations `Account.State` (the `Status` field was retired on 2026-09-09). */
export type AccountState = 'PENDING_ACTIVATION' | 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE' | 'CLOSED';

export interface OrgAccount {
  id: string;
  email: string;
  name: string;
  /** One of `AccountState`; an unknown future value is passed through as text. */
  state: string;
  /** `INVITED` or `CREATED`. */
  joinedMethod?: string;
}

export interface CreateAccountStatus {
  /** `car-...` */
  id: string;
  /** The name asked for (AWS does not give the e-mail back). */
  accountName?: string;
  state: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
  accountId?: string;
  failureReason?: string;
}

export type HandshakeState = 'REQUESTED' | 'OPEN' | 'CANCELED' | 'ACCEPTED' | 'DECLINED' | 'EXPIRED';

export interface Handshake {
  /** `h-...` */
  id: string;
  state: HandshakeState;
}

/**
 * AWS Organizations of one payer (management account), per AWS.md. Errors become
 * `ConnectorError`: `AWS_ACCESS_DENIED`, `AWS_THROTTLED` (retryable, after the SDK's
 * own retries), `AWS_CONCURRENT_MODIFICATION` (retryable), `AWS_NOT_FOUND`,
 * `AWS_CONSTRAINT` (a business rule; AWS's Reason in `where.value`), `AWS_CALL`.
 */
export interface OrganizationsPort {
  /** DescribeOrganization: the organization's id and its management (payer) account. */
  describeOrganization(signal: AbortSignal): Promise<{ id: string; managementAccountId: string }>;
  /** ListAccounts, all pages (20 a page, AWS's maximum). */
  listAccounts(signal: AbortSignal): Promise<OrgAccount[]>;
  /** DescribeAccount; undefined when the account is not in the organization (AccountNotFoundException). */
  describeAccount(accountId: string, signal: AbortSignal): Promise<OrgAccount | undefined>;
  createAccount(input: { email: string; name: string }, signal: AbortSignal): Promise<CreateAccountStatus>;
  describeCreateAccountStatus(createAccountStatusId: string, signal: AbortSignal): Promise<CreateAccountStatus>;
  /** ListCreateAccountStatus (all pages) of creations in `state`. */
  listCreateAccountStatuses(state: CreateAccountStatus['state'], signal: AbortSignal): Promise<CreateAccountStatus[]>;
  /** ListHandshakesForOrganization (INVITE, all pages): the OPEN or REQUESTED invitations, with the invited account. */
  listOpenInvitations(signal: AbortSignal): Promise<Array<Handshake & { accountId: string; requestedAt?: string }>>;
  /** InviteAccountToOrganization with target type ACCOUNT. */
  inviteAccount(accountId: string, signal: AbortSignal): Promise<Handshake>;
  describeHandshake(handshakeId: string, signal: AbortSignal): Promise<Handshake>;
  /** ListParents: the account's current parent (root or OU id). */
  parentOf(accountId: string, signal: AbortSignal): Promise<string>;
  moveAccount(accountId: string, sourceParentId: string, destinationParentId: string, signal: AbortSignal): Promise<void>;
  /** ListRoots: the organization's root id (`r-...`). */
  rootId(signal: AbortSignal): Promise<string>;
  /** ListOrganizationalUnitsForParent (all pages): the OU of exactly this name under `parentId`. */
  findOrganizationalUnit(parentId: string, name: string, signal: AbortSignal): Promise<string | undefined>;
  /** CreateOrganizationalUnit; returns the new OU id (`ou-...`). */
  createOrganizationalUnit(parentId: string, name: string, signal: AbortSignal): Promise<string>;
}

/** `ResponsibilityTransfer.Status` (AWS Organizations billing transfers). */
export type TransferStatus = 'REQUESTED' | 'ACCEPTED' | 'DECLINED' | 'EXPIRED' | 'CANCELED' | 'WITHDRAWN';

/**
 * An inbound billing transfer: another organization's management account (the
 * source, the customer) lets this payer (the target) pay its consolidated bill.
 */
export interface ResponsibilityTransfer {
  /** `rt-...` */
  id: string;
  /** The `SourceName` given in the invitation. */
  name: string;
  /** One of `TransferStatus`; an unknown future value is passed through as text. */
  status: string;
  sourceAccountId?: string;
  sourceEmail?: string;
  /** ISO timestamp: the first instant of the first transferred month. */
  startAt?: string;
  /** ISO timestamp: the end of the last transferred month (set once withdrawn). */
  endAt?: string;
  /** The invitation's handshake while REQUESTED. */
  handshakeId?: string;
}

/** What InviteOrganizationToTransferResponsibility answers: its handshake and the transfer it names. */
export interface TransferInvitation {
  handshakeId: string;
  state: HandshakeState;
  /** From the handshake's `RESPONSIBILITY_TRANSFER` resource; absent when AWS does not name it. */
  transferId?: string;
}

/**
 * AWS Organizations' billing transfers of one payer (the bill-transfer account).
 * Errors as `OrganizationsPort`'s.
 */
export interface ResponsibilityTransfersPort {
  /** InviteOrganizationToTransferResponsibility, `Type: BILLING`, to a management account id or e-mail. */
  inviteToTransferBilling(input: { target: { type: 'ACCOUNT' | 'EMAIL'; id: string }; startAt: Date; sourceName: string }, signal: AbortSignal): Promise<TransferInvitation>;
  /** ListInboundResponsibilityTransfers (BILLING, all pages). */
  listInboundTransfers(signal: AbortSignal): Promise<ResponsibilityTransfer[]>;
  /** DescribeResponsibilityTransfer; undefined when AWS knows no such transfer. */
  describeTransfer(transferId: string, signal: AbortSignal): Promise<ResponsibilityTransfer | undefined>;
  /**
   * TerminateResponsibilityTransfer (withdraw): it ends at 23:59:59 UTC on the last day
   * of the current month. A transfer already WITHDRAWN is answered as it is (a retried call).
   */
  terminateTransfer(transferId: string, signal: AbortSignal): Promise<ResponsibilityTransfer>;
}

/** The payer's billing transfers, when its Organizations adapter offers them (the AWS adapter does). */
export function transfersOf(port: OrganizationsPort): ResponsibilityTransfersPort | undefined {
  const candidate = port as Partial<ResponsibilityTransfersPort>;
  return typeof candidate.inviteToTransferBilling === 'function' &&
    typeof candidate.listInboundTransfers === 'function' &&
    typeof candidate.describeTransfer === 'function' &&
    typeof candidate.terminateTransfer === 'function'
    ? (port as OrganizationsPort & ResponsibilityTransfersPort)
    : undefined;
}

/** How to reach one payer's organization. The external id is a secret: never logged. */
export interface PayerAccess {
  accountId: string;
  /** Role in the payer to assume; absent: the default credential chain is the payer. */
  roleArn?: string;
  externalId?: string;
}

/** Builds (and caches) one `OrganizationsPort` per payer. */
export interface OrganizationsFactory {
  forPayer(payer: PayerAccess): OrganizationsPort;
}

/** The only source of "now" for the rules. */
export interface Clock {
  now(): Date;
}

/** Kinds of work only a person can do. */
export type ManualActionKind = 'set-support-plan' | 'accept-invitation' | 'accept-transfer' | 'close-account';

export interface ManualActionInput {
  kind: ManualActionKind;
  requestId: string;
  accountId: string;
  payerAccountId: string;
  /** What to do, as a sentence for the operator. */
  detail: string;
}

export interface ManualAction extends ManualActionInput {
  id: number;
  /** ISO timestamp. */
  createdAt: string;
  /** ISO timestamp; absent while open. */
  doneAt?: string;
  doneBy?: string;
}

/** Manual actions: idempotent by (kind, requestId); adding one that exists changes nothing. */
export interface ManualActionStore {
  add(action: ManualActionInput, now: Date): ManualAction;
  /** The action of `kind` recorded for a request (open or done), if any. */
  find(kind: ManualActionKind, requestId: string): ManualAction | undefined;
  list(filter?: { open?: boolean }): ManualAction[];
  /** Marks one done; returns false when there is no such open action. */
  markDone(id: number, now: Date, by?: string): boolean;
}

/** One line of the local journal per request. */
export interface JournalEntry {
  requestId: string;
  /** The request type and step reached, e.g. `purchase/new:create-account`. */
  step: string;
  /** Times this request was handled. */
  attempts: number;
  /** The last error message, or undefined after a clean pass. */
  lastError?: string;
  /** The outcome of the last pass: approved, pending, inquiring, failed, error. */
  outcome: string;
  /** ISO timestamp. */
  updatedAt: string;
}

export interface RequestJournal {
  /** Records a pass: increments `attempts`, sets step/outcome/lastError/updatedAt. */
  record(entry: { requestId: string; step: string; outcome: string; lastError?: string }, now: Date): JournalEntry;
  get(requestId: string): JournalEntry | undefined;
  list(): JournalEntry[];
}

/** The run ledger as the cancel of a billing transfer reads it: has a month been rated? */
export interface RatedMonths {
  /** True when a live (not dry) run of `payerAccountId` for `period` (`YYYY-MM`) succeeded. */
  hasSucceededLiveRun(payerAccountId: string, period: string): boolean;
}

/** A cancel waiting for its 60 days (a local mirror; the request's `account_closed_at` is the truth). */
export interface Countdown {
  requestId: string;
  accountId: string;
  payerAccountId: string;
  /** `YYYY-MM-DD`, UTC. */
  closedAt: string;
  /** `YYYY-MM-DD`, UTC: the first day the cancel may be approved. */
  dueOn: string;
}

export interface CountdownStore {
  upsert(countdown: Countdown): void;
  get(requestId: string): Countdown | undefined;
  list(): Countdown[];
  remove(requestId: string): void;
}
