/**
 * The in-memory AWS Organizations behind the sandbox: one organization per
 * seeded payer, with members, OUs, accounts outside it that can be invited,
 * asynchronous account creation and invitation handshakes. Errors are thrown
 * as `AwsFault` carrying AWS's error name (the server writes them as JSON 1.1
 * errors). Ids are deterministic, the clock injectable.
 */
import { AwsFault, Organization, type AccountRec, type CreateRec, type HandshakeRec, type OuRec, type TransferRec, type TransferStatus } from './organizations.model.js';
import { endOfMonthMs, transferSource, checkStart, checkEnd } from './organizations.transfers.js';
import type { OrganizationSeed } from './seed.schema.js';

/** The records, for callers of the state. */
export { AwsFault, Organization, TRANSFER_STATUSES, type AccountRec, type CreateRec, type HandshakeRec, type OuRec, type OutsideRec, type TransferRec, type TransferStatus } from './organizations.model.js';

/** How fast asynchronous work finishes, and the clock. */
export interface OrganizationsOptions {
  /** DescribeCreateAccountStatus calls until the creation is done: the N-th answers SUCCEEDED/FAILED (default 1; 0: done at once). */
  createAccountPolls?: number;
  /** DescribeHandshake calls until the owner answers: the N-th sees it (default 1; 0: answered at once). */
  handshakePolls?: number;
  now?: () => Date;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const HANDSHAKE_TTL_MS = 15 * 24 * 3600 * 1000;

/** All organizations of the sandbox. */
export class OrganizationsState {
  readonly orgs: Organization[];
  private readonly createPolls: number;
  private readonly handshakePolls: number;
  private readonly now: () => Date;
  private readonly counters = new Map<string, number>();

  constructor(seeds: OrganizationSeed[], options: OrganizationsOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.createPolls = options.createAccountPolls ?? 1;
    this.handshakePolls = options.handshakePolls ?? 1;
    this.orgs = structuredClone(seeds).map((s) => new Organization(s, this.nowMs()));
  }

  nowMs(): number {
    return this.now().getTime();
  }

  /**
   * The organization a call is for: the one whose seeded `accessKeyIds` holds the
   * caller's access key id, else the first (the SDK calls one global endpoint).
   */
  organizationFor(accessKeyId: string | undefined): Organization {
    const org = this.orgs.find((o) => accessKeyId !== undefined && o.seed.accessKeyIds.includes(accessKeyId)) ?? this.orgs[0];
    if (!org) throw new AwsFault('AWSOrganizationsNotInUseException', 'Your account is not a member of an organization (the sandbox seed has no organizations).');
    return org;
  }

  /** The organization of a payer (tests), or undefined. */
  organization(payerAccountId: string): Organization | undefined {
    return this.orgs.find((o) => o.payerAccountId === payerAccountId);
  }

  /** The member account with this id in any organization, and its organization. */
  findMember(id: string): { org: Organization; account: AccountRec } | undefined {
    for (const org of this.orgs) {
      const account = org.accounts.get(id);
      if (account) return { org, account };
    }
    return undefined;
  }

  /** The next number of a kind of id (`account`, `car`, `h`, `ou`): deterministic per sandbox. */
  private next(kind: string): number {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return n;
  }

  private emailInUse(email: string): boolean {
    const e = email.toLowerCase();
    return this.orgs.some(
      (o) =>
        [...o.accounts.values(), ...o.outside.values()].some((a) => a.email.toLowerCase() === e) ||
        [...o.creates.values()].some((c) => c.email.toLowerCase() === e && c.state !== 'FAILED' && c.willFail === undefined),
    );
  }

  private newAccountId(): string {
    for (;;) {
      const id = String(900_000_000_000 + this.next('account'));
      if (!this.orgs.some((o) => o.accounts.has(id) || o.outside.has(id))) return id;
    }
  }

  /** CreateAccount: IN_PROGRESS now; the outcome is fixed at once (failEmails, e-mail in use, bad e-mail). */
  createAccount(org: Organization, email: string, name: string): CreateRec {
    const willFail = org.failEmails.get(email.toLowerCase()) ?? (!EMAIL.test(email) ? 'INVALID_EMAIL' : this.emailInUse(email) ? 'EMAIL_ALREADY_EXISTS' : undefined);
    const rec: CreateRec = { id: `car-${String(this.next('car')).padStart(12, '0')}`, email, name, state: 'IN_PROGRESS', requestedAtMs: this.nowMs(), polls: 0, ...(willFail ? { willFail } : {}) };
    org.creates.set(rec.id, rec);
    const answer = { ...rec };
    if (this.createPolls === 0) this.completeCreate(org, rec);
    return answer;
  }

  private completeCreate(org: Organization, rec: CreateRec): void {
    rec.completedAtMs = this.nowMs();
    if (rec.willFail !== undefined) {
      rec.state = 'FAILED';
      rec.failureReason = rec.willFail;
      return;
    }
    const id = this.newAccountId();
    org.accounts.set(id, { id, email: rec.email, name: rec.name, state: 'ACTIVE', joinedMethod: 'CREATED', joinedAtMs: rec.completedAtMs, parentId: org.rootId });
    rec.state = 'SUCCEEDED';
    rec.accountId = id;
  }

  describeCreateAccountStatus(org: Organization, id: string): CreateRec {
    const rec = org.creates.get(id);
    if (!rec) throw new AwsFault('CreateAccountStatusNotFoundException', `We can't find a create account request with the ID ${id}.`);
    rec.polls += 1;
    if (rec.state === 'IN_PROGRESS' && rec.polls >= this.createPolls) this.completeCreate(org, rec);
    return { ...rec };
  }

  /** InviteAccountToOrganization: the target must be one of the seed's outside accounts. */
  invite(org: Organization, target: { Type?: unknown; Id?: unknown }): HandshakeRec {
    const id = typeof target.Id === 'string' ? target.Id : '';
    const outside =
      target.Type === 'ACCOUNT' ? org.outside.get(id) : target.Type === 'EMAIL' ? [...org.outside.values()].find((o) => o.email.toLowerCase() === id.toLowerCase()) : undefined;
    if (target.Type !== 'ACCOUNT' && target.Type !== 'EMAIL') throw new AwsFault('InvalidInputException', 'Target.Type must be ACCOUNT or EMAIL.', { Reason: 'INVALID_PARTY_TYPE_TARGET' });
    if (this.orgs.some((o) => o.accounts.has(id))) {
      throw new AwsFault('HandshakeConstraintViolationException', `Account ${id} is already a member of an organization.`, { Reason: 'ALREADY_IN_AN_ORGANIZATION' });
    }
    if (!outside) throw new AwsFault('InvalidInputException', `You specified an invalid target: ${id} is no account the sandbox knows (not in outsideAccounts).`, { Reason: 'INVALID_PARTY_TYPE_TARGET' });
    if ([...org.handshakes.values()].some((h) => h.transferId === undefined && h.targetId === outside.id && (h.state === 'OPEN' || h.state === 'REQUESTED'))) {
      throw new AwsFault('DuplicateHandshakeException', `An open invitation to ${outside.id} already exists.`);
    }
    const at = this.nowMs();
    const rec: HandshakeRec = { id: `h-${String(this.next('h')).padStart(10, '0')}`, targetId: outside.id, state: 'OPEN', requestedAtMs: at, expiresAtMs: at + HANDSHAKE_TTL_MS, answer: outside.answer, polls: 0 };
    org.handshakes.set(rec.id, rec);
    const answer = { ...rec };
    if (this.handshakePolls === 0) this.answerHandshake(org, rec);
    return answer;
  }

  private answerHandshake(org: Organization, rec: HandshakeRec): void {
    if (rec.answer === 'accept') this.setHandshake(org, rec, 'ACCEPTED');
    else if (rec.answer === 'decline') this.setHandshake(org, rec, 'DECLINED');
  }

  private setHandshake(org: Organization, rec: HandshakeRec, state: string): void {
    rec.state = state;
    if (rec.transferId !== undefined) {
      const transfer = org.transfers.get(rec.transferId);
      const status = ({ ACCEPTED: 'ACCEPTED', DECLINED: 'DECLINED', CANCELED: 'CANCELED', EXPIRED: 'EXPIRED' } as Record<string, TransferStatus | undefined>)[state];
      if (transfer && transfer.status === 'REQUESTED' && status) transfer.status = status;
      return;
    }
    const outside = org.outside.get(rec.targetId);
    if (state !== 'ACCEPTED' || !outside) return;
    org.outside.delete(outside.id);
    org.accounts.set(outside.id, { id: outside.id, email: outside.email, name: outside.name, state: 'ACTIVE', joinedMethod: 'INVITED', joinedAtMs: this.nowMs(), parentId: org.rootId });
  }

  describeHandshake(org: Organization, id: string): HandshakeRec {
    const rec = org.handshakes.get(id);
    if (!rec) throw new AwsFault('HandshakeNotFoundException', `We can't find a handshake with the HandshakeId ${id}.`);
    rec.polls += 1;
    if (rec.state === 'OPEN' && this.nowMs() >= rec.expiresAtMs) rec.state = 'EXPIRED';
    if (rec.state === 'OPEN' && rec.polls >= this.handshakePolls) this.answerHandshake(org, rec);
    return { ...rec };
  }

  moveAccount(org: Organization, accountId: string, sourceParentId: string, destinationParentId: string): void {
    const account = org.member(accountId);
    if (!org.isParent(destinationParentId)) throw new AwsFault('DestinationParentNotFoundException', `We can't find a destination root or OU with the ParentId ${destinationParentId}.`);
    // As AWS: an account already in the destination is a DuplicateAccountException whatever
    // source is named (a retried move names the parent it was moved from).
    if (destinationParentId === account.parentId) throw new AwsFault('DuplicateAccountException', 'That account is already present in the specified destination.');
    if (!org.isParent(sourceParentId) || account.parentId !== sourceParentId) {
      throw new AwsFault('SourceParentNotFoundException', `We can't find a source root or OU with the ParentId ${sourceParentId} holding account ${accountId}.`);
    }
    account.parentId = destinationParentId;
  }

  createOrganizationalUnit(org: Organization, parentId: string, name: string): OuRec {
    if (!org.isParent(parentId)) throw new AwsFault('ParentNotFoundException', `We can't find a root or OU with the ParentId ${parentId}.`);
    if (name.length < 1 || name.length > 128) throw new AwsFault('InvalidInputException', 'Name must be 1 to 128 characters.', { Reason: 'INVALID_INPUT' });
    if ([...org.ous.values()].some((o) => o.parentId === parentId && o.name === name)) {
      throw new AwsFault('DuplicateOrganizationalUnitException', `An OU named ${name} already exists under ${parentId}.`);
    }
    let id: string;
    do id = `ou-${org.rootId.slice(2)}-${String(this.next('ou')).padStart(8, '0')}`;
    while (org.ous.has(id));
    const ou = { id, name, parentId };
    org.ous.set(id, ou);
    return { ...ou };
  }

  /** Admin: a person changes an account in the console (`REMOVED`: it leaves the organization). */
  setAccountState(accountId: string, state: string): AccountRec | undefined {
    const found = this.findMember(accountId);
    if (!found) return undefined;
    if (state === 'REMOVED') found.org.accounts.delete(accountId);
    else found.account.state = state;
    return { ...found.account, state };
  }

  /** Admin: a handshake is accepted, declined, canceled or expires outside the connector. */
  setHandshakeState(handshakeId: string, state: string): HandshakeRec | undefined {
    for (const org of this.orgs) {
      const rec = org.handshakes.get(handshakeId);
      if (!rec) continue;
      this.setHandshake(org, rec, state);
      return { ...rec };
    }
    return undefined;
  }

  /**
   * InviteOrganizationToTransferResponsibility from `org`'s management account (the
   * target): the source is another organization's management account (another
   * seeded payer, or a seeded outside account, which the sandbox treats as the
   * management account of an organization it does not model). A REQUESTED
   * transfer with its OPEN handshake (action TRANSFER_RESPONSIBILITY).
   */
  inviteToTransfer(org: Organization, input: { Type?: unknown; Target?: unknown; StartTimestamp?: unknown; SourceName?: unknown }): { handshake: HandshakeRec; transfer: TransferRec } {
    if (input.Type !== 'BILLING') throw new AwsFault('InvalidInputException', `Type must be BILLING (got ${JSON.stringify(input.Type)}).`, { Reason: 'INVALID_ENUM' });
    if (typeof input.SourceName !== 'string' || input.SourceName === '') throw new AwsFault('InvalidInputException', 'SourceName is required.', { Reason: 'INPUT_REQUIRED' });
    if (!/^[\x20-\x7E]{1,128}$/.test(input.SourceName)) throw new AwsFault('InvalidInputException', 'SourceName must be 1 to 128 printable ASCII characters.', { Reason: 'INVALID_PATTERN' });
    const startMs = checkStart(input.StartTimestamp, this.nowMs());
    const source = transferSource(this.orgs, org, (input.Target ?? {}) as { Type?: unknown; Id?: unknown });
    const live = [...org.transfers.values()].find((t) => t.sourceAccountId === source.id && (t.status === 'REQUESTED' || (t.status === 'ACCEPTED' && (t.endMs === undefined || t.endMs > this.nowMs()))));
    if (live?.status === 'REQUESTED') throw new AwsFault('DuplicateHandshakeException', `An invitation to transfer the bill of ${source.id} is already open (${live.handshakeId}).`);
    if (live) throw new AwsFault('HandshakeConstraintViolationException', `Account ${source.id} already transfers its bill (${live.id}).`, { Reason: 'RESPONSIBILITY_TRANSFER_ALREADY_EXISTS' });
    const at = this.nowMs();
    const handshakeId = `h-${String(this.next('h')).padStart(10, '0')}`;
    const transfer: TransferRec = { id: `rt-${String(this.next('rt')).padStart(12, '0')}`, name: input.SourceName, status: 'REQUESTED', sourceAccountId: source.id, sourceEmail: source.email, startMs, handshakeId, answer: source.answer, polls: 0 };
    const handshake: HandshakeRec = { id: handshakeId, targetId: source.id, state: 'OPEN', requestedAtMs: at, expiresAtMs: at + HANDSHAKE_TTL_MS, answer: source.answer, polls: 0, transferId: transfer.id };
    org.transfers.set(transfer.id, transfer);
    org.handshakes.set(handshakeId, handshake);
    const answer = { handshake: { ...handshake }, transfer: { ...transfer } };
    if (this.handshakePolls === 0) this.answerHandshake(org, handshake);
    return answer;
  }

  /** DescribeResponsibilityTransfer: the N-th call (`handshakePolls`) sees the source's answer; an unanswered invitation expires. */
  describeTransfer(org: Organization, id: string): TransferRec {
    const transfer = this.transfer(org, id);
    const handshake = org.handshakes.get(transfer.handshakeId);
    transfer.polls += 1;
    if (handshake && transfer.status === 'REQUESTED') {
      if (this.nowMs() >= handshake.expiresAtMs) this.setHandshake(org, handshake, 'EXPIRED');
      else if (transfer.polls >= this.handshakePolls) this.answerHandshake(org, handshake);
    }
    return { ...transfer };
  }

  /** ListInboundResponsibilityTransfers: this payer's transfers (optionally one `Id`), oldest first. */
  inboundTransfers(org: Organization, id?: string): TransferRec[] {
    return [...org.transfers.values()].filter((t) => id === undefined || t.id === id).map((t) => ({ ...t }));
  }

  /**
   * TerminateResponsibilityTransfer (withdraw): only an ACCEPTED transfer; it ends at
   * 23:59:59 UTC on the last day of the month of `EndTimestamp` (default: this month).
   */
  terminateTransfer(org: Organization, id: string, endTimestamp: unknown): TransferRec {
    const transfer = this.transfer(org, id);
    if (transfer.status === 'WITHDRAWN') throw new AwsFault('ResponsibilityTransferAlreadyInStatusException', `Transfer ${id} is already WITHDRAWN.`);
    if (transfer.status !== 'ACCEPTED') throw new AwsFault('InvalidResponsibilityTransferTransitionException', `Transfer ${id} is ${transfer.status}: only an ACCEPTED transfer can be withdrawn.`);
    transfer.endMs = endTimestamp === undefined || endTimestamp === null ? endOfMonthMs(Math.max(this.nowMs(), transfer.startMs)) : checkEnd(endTimestamp, Math.max(this.nowMs(), transfer.startMs));
    transfer.status = 'WITHDRAWN';
    return { ...transfer };
  }

  private transfer(org: Organization, id: string): TransferRec {
    const transfer = org.transfers.get(id);
    if (!transfer) throw new AwsFault('ResponsibilityTransferNotFoundException', `We can't find a transfer with the Id ${id}.`);
    return transfer;
  }

  /** Admin: the source accepts, declines, lets expire, the inviter cancels, or either side withdraws a transfer. */
  setTransferStatus(transferId: string, status: TransferStatus): TransferRec | undefined {
    for (const org of this.orgs) {
      const transfer = org.transfers.get(transferId);
      if (!transfer) continue;
      const handshake = org.handshakes.get(transfer.handshakeId);
      if (status === 'WITHDRAWN') {
        transfer.status = 'WITHDRAWN';
        transfer.endMs ??= endOfMonthMs(Math.max(this.nowMs(), transfer.startMs));
      } else if (status === 'REQUESTED') {
        transfer.status = 'REQUESTED';
        if (handshake) handshake.state = 'OPEN';
      } else if (handshake) {
        transfer.status = 'REQUESTED';
        this.setHandshake(org, handshake, status);
      } else transfer.status = status;
      return { ...transfer };
    }
    return undefined;
  }

  /** Everything, for `GET /__sandbox/state`. */
  snapshot(): Record<string, unknown> {
    return {
      organizations: this.orgs.map((o) => ({
        payerAccountId: o.payerAccountId,
        orgId: o.orgId,
        rootId: o.rootId,
        accounts: [...o.accounts.values()],
        organizationalUnits: [...o.ous.values()],
        outsideAccounts: [...o.outside.values()],
        createAccountStatuses: [...o.creates.values()],
        handshakes: [...o.handshakes.values()],
        responsibilityTransfers: [...o.transfers.values()],
      })),
    };
  }
}
