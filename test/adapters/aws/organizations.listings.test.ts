import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PAYER_ID, expectOperation, signal, testFactory, type SeenRequest } from './aws-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const orgs = () => testFactory().forPayer({ accountId: PAYER_ID });

describe('listAccounts()', () => {
  it('reads every page, 20 at a time, mapping State', async () => {
    const seen: SeenRequest[] = [];
    const scope = expectOperation(
      'ListAccounts',
      (body) =>
        body.NextToken === undefined
          ? { Accounts: [{ Id: '222222222222', Email: 'a@x.example', Name: 'A', State: 'ACTIVE' }], NextToken: 't2' }
          : { Accounts: [{ Id: '333333333333', Email: 'b@x.example', Name: 'B', State: 'SUSPENDED' }] },
      { times: 2, seen },
    );
    const accounts = await orgs().listAccounts(signal);
    expect(accounts.map((a) => [a.id, a.state])).toEqual([
      ['222222222222', 'ACTIVE'],
      ['333333333333', 'SUSPENDED'],
    ]);
    expect(seen.map((s) => s.body)).toEqual([{ MaxResults: 20 }, { MaxResults: 20, NextToken: 't2' }]);
    scope.done();
  });
});

describe('listCreateAccountStatuses()', () => {
  it('asks for one state and maps the account name', async () => {
    const seen: SeenRequest[] = [];
    expectOperation('ListCreateAccountStatus', { CreateAccountStatuses: [{ Id: 'car-1', AccountName: 'Acme', State: 'IN_PROGRESS' }] }, { seen });
    const statuses = await orgs().listCreateAccountStatuses('IN_PROGRESS', signal);
    expect(statuses).toEqual([{ id: 'car-1', accountName: 'Acme', state: 'IN_PROGRESS' }]);
    expect(seen[0]?.body).toEqual({ States: ['IN_PROGRESS'], MaxResults: 20 });
  });
});

describe('listOpenInvitations()', () => {
  const handshake = (id: string, account: string, state: string) => ({
    Id: id,
    State: state,
    RequestedTimestamp: Date.parse('2026-11-01T00:00:00Z') / 1000,
    Action: 'INVITE',
    Parties: [
      { Id: 'o-abc', Type: 'ORGANIZATION' },
      { Id: account, Type: 'ACCOUNT' },
    ],
  });

  it('lists the OPEN and REQUESTED invitations across pages with the invited account, ignoring ended ones', async () => {
    const seen: SeenRequest[] = [];
    expectOperation(
      'ListHandshakesForOrganization',
      (body) =>
        body.NextToken === undefined
          ? { Handshakes: [handshake('h-1', '444444444444', 'DECLINED'), handshake('h-2', '555555555555', 'OPEN')], NextToken: 'n' }
          : { Handshakes: [handshake('h-3', '444444444444', 'REQUESTED')] },
      { times: 2, seen },
    );
    expect(await orgs().listOpenInvitations(signal)).toEqual([
      { id: 'h-2', state: 'OPEN', accountId: '555555555555', requestedAt: '2026-11-01T00:00:00.000Z' },
      { id: 'h-3', state: 'REQUESTED', accountId: '444444444444', requestedAt: '2026-11-01T00:00:00.000Z' },
    ]);
    expect(seen[0]?.body).toEqual({ Filter: { ActionType: 'INVITE' }, MaxResults: 20 });
  });

  it('is empty when none is open', async () => {
    expectOperation('ListHandshakesForOrganization', { Handshakes: [handshake('h-1', '444444444444', 'EXPIRED')] });
    expect(await orgs().listOpenInvitations(signal)).toEqual([]);
  });
});

describe('rootId()', () => {
  it('asks ListRoots once per client, however many callers ask at once', async () => {
    const scope = expectOperation('ListRoots', { Roots: [{ Id: 'r-ab12' }] });
    const port = orgs();
    expect(await Promise.all([port.rootId(signal), port.rootId(signal), port.rootId(signal)])).toEqual(['r-ab12', 'r-ab12', 'r-ab12']);
    expect(await port.rootId(signal)).toBe('r-ab12');
    scope.done();
  });
});

describe('AWS refusals for a business rule', () => {
  it('become AWS_CONSTRAINT with AWS Reason in where.value', async () => {
    expectOperation('InviteAccountToOrganization', [400, { __type: 'HandshakeConstraintViolationException', Message: 'already a member', Reason: 'ALREADY_IN_AN_ORGANIZATION' }]);
    const error = await orgs().inviteAccount('444444444444', signal).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AWS_CONSTRAINT', retryable: false, where: { value: 'ALREADY_IN_AN_ORGANIZATION' } });
  });
});

describe('describeOrganization()', () => {
  it('gives the organization id and its management account', async () => {
    expectOperation('DescribeOrganization', { Organization: { Id: 'o-abc123', MasterAccountId: '111111111111', FeatureSet: 'ALL' } });
    expect(await orgs().describeOrganization(signal)).toEqual({ id: 'o-abc123', managementAccountId: '111111111111' });
  });
});
