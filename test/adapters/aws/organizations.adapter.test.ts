import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  PAYER_ID,
  awsError,
  expectOperation,
  rejection,
  signal,
  testFactory,
  type SeenRequest,
} from './aws-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const account = (id: string, email: string, extra: Record<string, unknown> = {}) => ({
  Id: id,
  Arn: `arn:aws:organizations::${PAYER_ID}:account/o-abc/${id}`,
  Email: email,
  Name: `Account ${id}`,
  State: 'ACTIVE',
  Status: 'ACTIVE',
  JoinedMethod: 'CREATED',
  ...extra,
});

function orgs() {
  return testFactory().forPayer({ accountId: PAYER_ID });
}

describe('describeAccount()', () => {
  it('maps State (not the retired Status), JoinedMethod, Email and Name', async () => {
    const seen: SeenRequest[] = [];
    expectOperation('DescribeAccount', { Account: account('222222222222', 'a@example.com', { State: 'PENDING_CLOSURE', Status: 'ACTIVE' }) }, { seen });
    expect(await orgs().describeAccount('222222222222', signal)).toEqual({
      id: '222222222222',
      email: 'a@example.com',
      name: 'Account 222222222222',
      state: 'PENDING_CLOSURE',
      joinedMethod: 'CREATED',
    });
    expect(seen[0]?.body).toEqual({ AccountId: '222222222222' });
  });

  it('returns undefined when the account is not in the organization', async () => {
    expectOperation('DescribeAccount', awsError('AccountNotFoundException', 'You specified an account that does not exist.'));
    expect(await orgs().describeAccount('999999999999', signal)).toBeUndefined();
  });
});

describe('createAccount() and describeCreateAccountStatus()', () => {
  it('sends Email and AccountName and maps the IN_PROGRESS status', async () => {
    const seen: SeenRequest[] = [];
    expectOperation('CreateAccount', { CreateAccountStatus: { Id: 'car-1234567890', AccountName: 'Acme', State: 'IN_PROGRESS' } }, { seen });
    expect(await orgs().createAccount({ email: 'root@acme.example', name: 'Acme' }, signal)).toEqual({
      id: 'car-1234567890',
      accountName: 'Acme',
      state: 'IN_PROGRESS',
    });
    expect(seen[0]?.body).toEqual({ Email: 'root@acme.example', AccountName: 'Acme' });
  });

  it('maps SUCCEEDED with the AccountId', async () => {
    const seen: SeenRequest[] = [];
    expectOperation('DescribeCreateAccountStatus', { CreateAccountStatus: { Id: 'car-1', State: 'SUCCEEDED', AccountId: '444444444444' } }, { seen });
    expect(await orgs().describeCreateAccountStatus('car-1', signal)).toEqual({ id: 'car-1', state: 'SUCCEEDED', accountId: '444444444444' });
    expect(seen[0]?.body).toEqual({ CreateAccountRequestId: 'car-1' });
  });

  it('maps FAILED with the FailureReason', async () => {
    expectOperation('DescribeCreateAccountStatus', { CreateAccountStatus: { Id: 'car-2', State: 'FAILED', FailureReason: 'EMAIL_ALREADY_EXISTS' } });
    expect(await orgs().describeCreateAccountStatus('car-2', signal)).toEqual({
      id: 'car-2',
      state: 'FAILED',
      failureReason: 'EMAIL_ALREADY_EXISTS',
    });
  });

  it('reports an unknown create-account request as AWS_NOT_FOUND', async () => {
    expectOperation('DescribeCreateAccountStatus', awsError('CreateAccountStatusNotFoundException', 'We can’t find a create account request with the CreateAccountRequestId that you specified.'));
    const error = await rejection(orgs().describeCreateAccountStatus('car-missing', signal));
    expect(error.code).toBe('AWS_NOT_FOUND');
    expect(error.message).toContain('DescribeCreateAccountStatus');
  });
});

describe('inviteAccount() and describeHandshake()', () => {
  it('invites with Target {Type: ACCOUNT, Id} and returns the handshake', async () => {
    const seen: SeenRequest[] = [];
    expectOperation('InviteAccountToOrganization', { Handshake: { Id: 'h-abc123', State: 'OPEN', Action: 'INVITE' } }, { seen });
    expect(await orgs().inviteAccount('555555555555', signal)).toEqual({ id: 'h-abc123', state: 'OPEN' });
    expect(seen[0]?.body).toEqual({ Target: { Type: 'ACCOUNT', Id: '555555555555' } });
  });

  it.each(['REQUESTED', 'OPEN', 'CANCELED', 'ACCEPTED', 'DECLINED', 'EXPIRED'] as const)('maps handshake state %s', async (state) => {
    const seen: SeenRequest[] = [];
    expectOperation('DescribeHandshake', { Handshake: { Id: 'h-abc123', State: state } }, { seen });
    expect(await orgs().describeHandshake('h-abc123', signal)).toEqual({ id: 'h-abc123', state });
    expect(seen[0]?.body).toEqual({ HandshakeId: 'h-abc123' });
  });
});

describe('parentOf(), moveAccount() and rootId()', () => {
  it('reads the current parent from ListParents', async () => {
    const seen: SeenRequest[] = [];
    expectOperation('ListParents', { Parents: [{ Id: 'r-ab12', Type: 'ROOT' }] }, { seen });
    expect(await orgs().parentOf('555555555555', signal)).toBe('r-ab12');
    expect(seen[0]?.body).toEqual({ ChildId: '555555555555' });
  });

  it('moves with AccountId, SourceParentId and DestinationParentId', async () => {
    const seen: SeenRequest[] = [];
    expectOperation('MoveAccount', {}, { seen });
    await orgs().moveAccount('555555555555', 'r-ab12', 'ou-ab12-cust0001', signal);
    expect(seen[0]?.body).toEqual({ AccountId: '555555555555', SourceParentId: 'r-ab12', DestinationParentId: 'ou-ab12-cust0001' });
  });

  it('returns the root id', async () => {
    expectOperation('ListRoots', { Roots: [{ Id: 'r-ab12', Name: 'Root' }] });
    expect(await orgs().rootId(signal)).toBe('r-ab12');
  });
});

describe('organizational units', () => {
  it('finds an OU by its exact name across pages', async () => {
    const seen: SeenRequest[] = [];
    expectOperation(
      'ListOrganizationalUnitsForParent',
      (body) =>
        body.NextToken === undefined
          ? { OrganizationalUnits: [{ Id: 'ou-ab12-other001', Name: 'acme' }], NextToken: 'n2' }
          : { OrganizationalUnits: [{ Id: 'ou-ab12-acme0001', Name: 'Acme' }] },
      { times: 2, seen },
    );
    expect(await orgs().findOrganizationalUnit('r-ab12', 'Acme', signal)).toBe('ou-ab12-acme0001');
    expect(seen.map((r) => r.body)).toEqual([{ ParentId: 'r-ab12' }, { ParentId: 'r-ab12', NextToken: 'n2' }]);
  });

  it('returns undefined when no OU has the name', async () => {
    expectOperation('ListOrganizationalUnitsForParent', { OrganizationalUnits: [] });
    expect(await orgs().findOrganizationalUnit('r-ab12', 'Acme', signal)).toBeUndefined();
  });

  it('creates an OU and returns its id', async () => {
    const seen: SeenRequest[] = [];
    expectOperation('CreateOrganizationalUnit', { OrganizationalUnit: { Id: 'ou-ab12-new00001', Name: 'Acme' } }, { seen });
    expect(await orgs().createOrganizationalUnit('r-ab12', 'Acme', signal)).toBe('ou-ab12-new00001');
    expect(seen[0]?.body).toEqual({ ParentId: 'r-ab12', Name: 'Acme' });
  });

  it('returns the existing OU on DuplicateOrganizationalUnitException, creating nothing else', async () => {
    const factory = testFactory();
    expectOperation('CreateOrganizationalUnit', awsError('DuplicateOrganizationalUnitException', 'An OU with the same name already exists.'));
    expectOperation('ListOrganizationalUnitsForParent', { OrganizationalUnits: [{ Id: 'ou-ab12-acme0001', Name: 'Acme' }] });
    expect(await factory.forPayer({ accountId: PAYER_ID }).createOrganizationalUnit('r-ab12', 'Acme', signal)).toBe('ou-ab12-acme0001');
    expect(factory.stats().byOperation).toEqual({ CreateOrganizationalUnit: 1, ListOrganizationalUnitsForParent: 1 });
  });
});
