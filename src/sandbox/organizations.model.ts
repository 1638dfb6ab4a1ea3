/**
 * The records of the sandbox's AWS Organizations: one `Organization` per payer
 * with its members, OUs, outside accounts, account creations and handshakes,
 * and `AwsFault`, the error every operation throws with AWS's error name.
 */
import type { OrganizationSeed } from './seed.schema.js';

/** An AWS error: `type` is the `__type` the SDK turns into the error's name. */
export class AwsFault extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly extra: Record<string, string> = {},
    readonly status = 400,
  ) {
    super(message);
  }
}

/** A member account; `joinedAtMs` is epoch ms, `parentId` the root or an OU. */
export interface AccountRec {
  id: string;
  email: string;
  name: string;
  state: string;
  joinedMethod: string;
  joinedAtMs: number;
  parentId: string;
}

/** An organizational unit under the root or another OU. */
export interface OuRec {
  id: string;
  name: string;
  parentId: string;
}

/** One CreateAccount request and its progress. */
export interface CreateRec {
  id: string;
  email: string;
  name: string;
  state: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
  requestedAtMs: number;
  completedAtMs?: number;
  accountId?: string;
  failureReason?: string;
  /** What completion will do: undefined succeeds, else this FailureReason. */
  willFail?: string;
  polls: number;
}

/** One invitation; `answer` is what the invited owner will do. */
export interface HandshakeRec {
  id: string;
  targetId: string;
  state: string;
  requestedAtMs: number;
  expiresAtMs: number;
  answer: 'accept' | 'decline' | 'ignore';
  polls: number;
  /** `TRANSFER_RESPONSIBILITY` for a billing transfer's invitation; absent: `INVITE`. */
  transferId?: string;
}

/** `ResponsibilityTransfer.Status`, as AWS names them. */
export const TRANSFER_STATUSES = ['REQUESTED', 'ACCEPTED', 'DECLINED', 'EXPIRED', 'CANCELED', 'WITHDRAWN'] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

/**
 * One billing transfer this organization's management account (the target, the
 * bill-transfer account) invited another organization's management account (the
 * source) to: its invitation is the handshake `handshakeId`. Times are epoch ms.
 */
export interface TransferRec {
  id: string;
  name: string;
  status: TransferStatus;
  sourceAccountId: string;
  sourceEmail: string;
  startMs: number;
  endMs?: number;
  handshakeId: string;
  answer: 'accept' | 'decline' | 'ignore';
  polls: number;
}

/** An account outside every organization that can be invited. */
export interface OutsideRec {
  id: string;
  email: string;
  name: string;
  answer: 'accept' | 'decline' | 'ignore';
}

/** One payer's organization. */
export class Organization {
  readonly orgId: string;
  readonly rootId: string;
  readonly accounts = new Map<string, AccountRec>();
  readonly ous = new Map<string, OuRec>();
  readonly outside = new Map<string, OutsideRec>();
  readonly creates = new Map<string, CreateRec>();
  readonly handshakes = new Map<string, HandshakeRec>();
  /** Inbound billing transfers (this payer is the target), by id. */
  readonly transfers = new Map<string, TransferRec>();
  readonly failEmails: Map<string, string>;

  constructor(
    readonly seed: OrganizationSeed,
    nowMs: number,
  ) {
    this.orgId = `o-${seed.payerAccountId}`;
    this.rootId = seed.rootId ?? `r-${seed.payerAccountId.slice(-4)}`;
    this.failEmails = new Map(Object.entries(seed.failEmails).map(([e, r]) => [e.toLowerCase(), r]));
    const email = seed.email ?? `aws-payer-${seed.payerAccountId}@example.com`;
    this.accounts.set(seed.payerAccountId, { id: seed.payerAccountId, email, name: seed.name, state: 'ACTIVE', joinedMethod: 'INVITED', joinedAtMs: nowMs, parentId: this.rootId });
    for (const ou of seed.organizationalUnits) this.ous.set(ou.id, { id: ou.id, name: ou.name, parentId: ou.parent ?? this.rootId });
    for (const a of seed.accounts) {
      this.accounts.set(a.id, { id: a.id, email: a.email, name: a.name, state: a.state, joinedMethod: a.joinedMethod, joinedAtMs: nowMs, parentId: a.parent ?? this.rootId });
    }
    for (const o of seed.outsideAccounts) this.outside.set(o.id, { id: o.id, email: o.email, name: o.name ?? `Account ${o.id}`, answer: o.answer });
  }

  get payerAccountId(): string {
    return this.seed.payerAccountId;
  }

  arn(kind: string, id: string): string {
    return `arn:aws:organizations::${this.payerAccountId}:${kind}/${this.orgId}/${id}`;
  }

  isParent(id: string): boolean {
    return id === this.rootId || this.ous.has(id);
  }

  member(id: string): AccountRec {
    const a = this.accounts.get(id);
    if (!a) throw new AwsFault('AccountNotFoundException', `You specified an account that doesn't exist: ${id} is not a member of organization ${this.orgId}.`);
    return a;
  }
}
