/**
 * The Organizations operations the sandbox answers, in the AWS JSON 1.1 wire
 * format: PascalCase members, timestamps as epoch seconds, list pages of at
 * most 20 with an opaque `NextToken`. Input problems are `InvalidInputException`.
 */
import { AwsFault, type AccountRec, type CreateRec, type HandshakeRec, type Organization, type OrganizationsState, type TransferRec } from './organizations.state.js';

type Json = Record<string, unknown>;

/** An operation: the state, the caller's organization and the request body → the response body. */
export type Operation = (state: OrganizationsState, org: Organization, input: Json) => Json;

const seconds = (ms: number): number => ms / 1000;

function required(input: Json, member: string): string {
  const value = input[member];
  if (typeof value !== 'string' || value === '') throw new AwsFault('InvalidInputException', `${member} is required and must be a string.`, { Reason: 'INPUT_REQUIRED' });
  return value;
}

/** One page of `items`: `MaxResults` 1..20 (default 20), `NextToken` from an earlier page of the same list. */
function page<T>(items: T[], input: Json, list: string): { items: T[]; next?: string } {
  const max = input.MaxResults ?? 20;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 20) {
    throw new AwsFault('InvalidInputException', 'MaxResults must be a whole number from 1 to 20.', { Reason: max === 0 ? 'MIN_VALUE_EXCEEDED' : 'MAX_VALUE_EXCEEDED' });
  }
  let offset = 0;
  if (input.NextToken !== undefined && input.NextToken !== null) {
    const [of, at] = Buffer.from(String(input.NextToken), 'base64url').toString('utf8').split('|');
    offset = Number(at);
    if (of !== list || !Number.isInteger(offset) || offset < 0) throw new AwsFault('InvalidInputException', 'The NextToken is not valid for this list.', { Reason: 'INVALID_NEXT_TOKEN' });
  }
  const end = offset + max;
  return { items: items.slice(offset, end), ...(end < items.length ? { next: Buffer.from(`${list}|${end}`).toString('base64url') } : {}) };
}

function account(org: Organization, a: AccountRec): Json {
  return { Id: a.id, Arn: org.arn('account', a.id), Email: a.email, Name: a.name, State: a.state, JoinedMethod: a.joinedMethod, JoinedTimestamp: seconds(a.joinedAtMs) };
}

function createStatus(c: CreateRec): Json {
  return {
    Id: c.id,
    AccountName: c.name,
    State: c.state,
    RequestedTimestamp: seconds(c.requestedAtMs),
    ...(c.completedAtMs === undefined ? {} : { CompletedTimestamp: seconds(c.completedAtMs) }),
    ...(c.accountId === undefined ? {} : { AccountId: c.accountId }),
    ...(c.failureReason === undefined ? {} : { FailureReason: c.failureReason }),
  };
}

function handshake(org: Organization, h: HandshakeRec): Json {
  const transfer = h.transferId === undefined ? undefined : org.transfers.get(h.transferId);
  if (transfer) {
    return {
      Id: h.id,
      Arn: org.arn('handshake', `transfer_responsibility/${h.id}`),
      Parties: [
        { Id: org.payerAccountId, Type: 'ACCOUNT' },
        { Id: h.targetId, Type: 'ACCOUNT' },
      ],
      State: h.state,
      RequestedTimestamp: seconds(h.requestedAtMs),
      ExpirationTimestamp: seconds(h.expiresAtMs),
      Action: 'TRANSFER_RESPONSIBILITY',
      Resources: [
        { Value: transfer.id, Type: 'RESPONSIBILITY_TRANSFER' },
        { Value: 'BILLING', Type: 'TRANSFER_TYPE' },
        { Value: new Date(transfer.startMs).toISOString(), Type: 'TRANSFER_START_TIMESTAMP' },
        { Value: org.payerAccountId, Type: 'MANAGEMENT_ACCOUNT' },
      ],
    };
  }
  return {
    Id: h.id,
    Arn: org.arn('handshake', `invite/${h.id}`),
    Parties: [
      { Id: org.orgId.slice(2), Type: 'ORGANIZATION' },
      { Id: h.targetId, Type: 'ACCOUNT' },
    ],
    State: h.state,
    RequestedTimestamp: seconds(h.requestedAtMs),
    ExpirationTimestamp: seconds(h.expiresAtMs),
    Action: 'INVITE',
    Resources: [{ Value: org.orgId, Type: 'ORGANIZATION' }],
  };
}

function responsibilityTransfer(org: Organization, t: TransferRec): Json {
  const payer = org.accounts.get(org.payerAccountId);
  return {
    Arn: `arn:aws:organizations::${org.payerAccountId}:transfer/${org.orgId}/billing/inbound/${t.id}`,
    Name: t.name,
    Id: t.id,
    Type: 'BILLING',
    Status: t.status,
    Source: { ManagementAccountId: t.sourceAccountId, ManagementAccountEmail: t.sourceEmail },
    Target: { ManagementAccountId: org.payerAccountId, ...(payer ? { ManagementAccountEmail: payer.email } : {}) },
    StartTimestamp: seconds(t.startMs),
    ...(t.endMs === undefined ? {} : { EndTimestamp: seconds(t.endMs) }),
    ...(t.status === 'REQUESTED' ? { ActiveHandshakeId: t.handshakeId } : {}),
  };
}

function billingType(input: Json): void {
  if (input.Type !== 'BILLING') throw new AwsFault('InvalidInputException', `Type must be BILLING (got ${JSON.stringify(input.Type)}).`, { Reason: input.Type === undefined ? 'INPUT_REQUIRED' : 'INVALID_ENUM' });
}

function parentOf(org: Organization, childId: string): string {
  const parent = org.accounts.get(childId)?.parentId ?? org.ous.get(childId)?.parentId;
  if (parent === undefined) throw new AwsFault('ChildNotFoundException', `We can't find a root, OU, account, or policy with the ChildId ${childId}.`);
  return parent;
}

/** The operations by name (the part of `X-Amz-Target` after the service prefix). */
export const OPERATIONS: Record<string, Operation> = {
  ListAccounts: (_s, org, input) => {
    const p = page([...org.accounts.values()], input, 'ListAccounts');
    return { Accounts: p.items.map((a) => account(org, a)), ...(p.next ? { NextToken: p.next } : {}) };
  },
  DescribeAccount: (_s, org, input) => ({ Account: account(org, org.member(required(input, 'AccountId'))) }),
  CreateAccount: (s, org, input) => ({ CreateAccountStatus: createStatus(s.createAccount(org, required(input, 'Email'), required(input, 'AccountName'))) }),
  DescribeCreateAccountStatus: (s, org, input) => ({ CreateAccountStatus: createStatus(s.describeCreateAccountStatus(org, required(input, 'CreateAccountRequestId'))) }),
  InviteAccountToOrganization: (s, org, input) => {
    const target = input.Target;
    if (target === null || typeof target !== 'object') throw new AwsFault('InvalidInputException', 'Target is required.', { Reason: 'INPUT_REQUIRED' });
    return { Handshake: handshake(org, s.invite(org, target as Json)) };
  },
  ListCreateAccountStatus: (_s, org, input) => {
    const states = Array.isArray(input.States) ? input.States.map(String) : undefined;
    const p = page(
      [...org.creates.values()].filter((c) => states === undefined || states.includes(c.state)),
      input,
      `ListCreateAccountStatus:${states?.join(',') ?? ''}`,
    );
    return { CreateAccountStatuses: p.items.map(createStatus), ...(p.next ? { NextToken: p.next } : {}) };
  },
  ListHandshakesForOrganization: (_s, org, input) => {
    const filter = (input.Filter ?? {}) as Json;
    const action = typeof filter.ActionType === 'string' ? filter.ActionType : undefined;
    const p = page(
      [...org.handshakes.values()].filter((h) => action === undefined || action === (h.transferId === undefined ? 'INVITE' : 'TRANSFER_RESPONSIBILITY')),
      input,
      `ListHandshakesForOrganization:${action ?? ''}`,
    );
    return { Handshakes: p.items.map((h) => handshake(org, h)), ...(p.next ? { NextToken: p.next } : {}) };
  },
  InviteOrganizationToTransferResponsibility: (s, org, input) => ({ Handshake: handshake(org, s.inviteToTransfer(org, input).handshake) }),
  DescribeResponsibilityTransfer: (s, org, input) => ({ ResponsibilityTransfer: responsibilityTransfer(org, s.describeTransfer(org, required(input, 'Id'))) }),
  ListInboundResponsibilityTransfers: (s, org, input) => {
    billingType(input);
    const id = typeof input.Id === 'string' && input.Id !== '' ? input.Id : undefined;
    const p = page(s.inboundTransfers(org, id), input, `ListInboundResponsibilityTransfers:${id ?? ''}`);
    return { ResponsibilityTransfers: p.items.map((t) => responsibilityTransfer(org, t)), ...(p.next ? { NextToken: p.next } : {}) };
  },
  TerminateResponsibilityTransfer: (s, org, input) => ({ ResponsibilityTransfer: responsibilityTransfer(org, s.terminateTransfer(org, required(input, 'Id'), input.EndTimestamp)) }),
  DescribeHandshake: (s, org, input) => ({ Handshake: handshake(org, s.describeHandshake(org, required(input, 'HandshakeId'))) }),
  ListParents: (_s, org, input) => {
    const parent = parentOf(org, required(input, 'ChildId'));
    return { Parents: [{ Id: parent, Type: parent === org.rootId ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }] };
  },
  MoveAccount: (s, org, input) => {
    s.moveAccount(org, required(input, 'AccountId'), required(input, 'SourceParentId'), required(input, 'DestinationParentId'));
    return {};
  },
  DescribeOrganization: (_s, org) => ({
    Organization: { Id: org.orgId, Arn: org.arn('organization', org.orgId), FeatureSet: 'ALL', MasterAccountId: org.payerAccountId, MasterAccountArn: org.arn('account', org.payerAccountId) },
  }),
  ListRoots: (_s, org) => ({ Roots: [{ Id: org.rootId, Arn: org.arn('root', org.rootId), Name: 'Root', PolicyTypes: [] }] }),
  ListOrganizationalUnitsForParent: (_s, org, input) => {
    const parentId = required(input, 'ParentId');
    if (!org.isParent(parentId)) throw new AwsFault('ParentNotFoundException', `We can't find a root or OU with the ParentId ${parentId}.`);
    const p = page(
      [...org.ous.values()].filter((o) => o.parentId === parentId),
      input,
      `ListOrganizationalUnitsForParent:${parentId}`,
    );
    return { OrganizationalUnits: p.items.map((o) => ({ Id: o.id, Arn: org.arn('ou', o.id), Name: o.name })), ...(p.next ? { NextToken: p.next } : {}) };
  },
  CreateOrganizationalUnit: (s, org, input) => {
    const ou = s.createOrganizationalUnit(org, required(input, 'ParentId'), required(input, 'Name'));
    return { OrganizationalUnit: { Id: ou.id, Arn: org.arn('ou', ou.id), Name: ou.name } };
  },
};
