import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  DescribeHandshakeCommand,
  InviteAccountToOrganizationCommand,
  ListAccountsCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js';
import type { SeedInput } from '../../src/sandbox/seed.js';
import { untilInFlight } from '../support/in-flight.js';

const NOW = new Date('2026-11-26T10:00:00Z');

const SEED: SeedInput = {
  organizations: [
    {
      payerAccountId: '111111111111',
      name: 'Payer one',
      rootId: 'r-1111',
      organizationalUnits: [{ id: 'ou-1111-00000001', name: 'Initech' }],
      accounts: [
        { id: '222222222201', email: 'aws@globex.example', name: 'Globex' },
        { id: '222222222203', email: 'aws@initech.example', name: 'Initech', parent: 'ou-1111-00000001' },
      ],
      outsideAccounts: [
        { id: '333333333301', email: 'aws@initrode.example', answer: 'accept' },
        { id: '333333333302', email: 'aws@massive.example', answer: 'decline' },
      ],
      failEmails: { 'aws@limit.example': 'ACCOUNT_LIMIT_EXCEEDED' },
    },
    { payerAccountId: '555555555555', name: 'Payer two', accessKeyIds: ['AKIAPAYERTWO00000001'] },
  ],
};

let sandbox: Sandbox | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await sandbox?.close();
  sandbox = undefined;
});

async function start(options: Partial<SandboxOptions> = {}): Promise<{ sandbox: Sandbox; client: OrganizationsClient }> {
  sandbox = await startSandbox({ seed: SEED, now: () => NOW, ...options });
  return { sandbox, client: clientFor(sandbox, 'AKIAFAKEFAKEFAKEFAKE') };
}

function clientFor(s: Sandbox, accessKeyId: string): OrganizationsClient {
  return new OrganizationsClient({ endpoint: s.organizationsUrl, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey: 'fake' }, maxAttempts: 1 });
}

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; message: string; Reason?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { name: string; message: string };
  }
  throw new Error('expected the call to fail');
}

describe('Organizations sandbox: accounts', () => {
  it('lists the payer and members in pages, and describes one with State and JoinedTimestamp as a Date', async () => {
    const { client } = await start();
    const first = await client.send(new ListAccountsCommand({ MaxResults: 2 }));
    expect(first.Accounts?.map((a) => a.Id)).toEqual(['111111111111', '222222222201']);
    expect(first.NextToken).toBeDefined();
    const second = await client.send(new ListAccountsCommand({ MaxResults: 2, NextToken: first.NextToken }));
    expect(second.Accounts?.map((a) => a.Id)).toEqual(['222222222203']);
    expect(second.NextToken).toBeUndefined();
    const { Account } = await client.send(new DescribeAccountCommand({ AccountId: '222222222201' }));
    expect(Account).toMatchObject({ Id: '222222222201', Email: 'aws@globex.example', State: 'ACTIVE', JoinedMethod: 'CREATED' });
    expect(Account?.JoinedTimestamp).toEqual(NOW);
    expect((await errorOf(client.send(new DescribeAccountCommand({ AccountId: '999999999999' })))).name).toBe('AccountNotFoundException');
  });

  it('creates an account: IN_PROGRESS, then SUCCEEDED with a new id, listed ACTIVE under the root', async () => {
    const { client } = await start({ createAccountPolls: 2 });
    const created = await client.send(new CreateAccountCommand({ Email: 'aws-root@acme.example', AccountName: 'Acme Corp' }));
    expect(created.CreateAccountStatus).toMatchObject({ State: 'IN_PROGRESS', AccountName: 'Acme Corp', Id: expect.stringMatching(/^car-[a-z0-9]{8,32}$/) });
    expect(created.CreateAccountStatus?.RequestedTimestamp).toBeInstanceOf(Date);
    const Id = created.CreateAccountStatus?.Id;
    expect((await client.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: Id }))).CreateAccountStatus?.State).toBe('IN_PROGRESS');
    const done = (await client.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: Id }))).CreateAccountStatus;
    expect(done).toMatchObject({ State: 'SUCCEEDED', AccountId: expect.stringMatching(/^\d{12}$/) });
    const listed = (await client.send(new ListAccountsCommand({}))).Accounts?.find((a) => a.Id === done?.AccountId);
    expect(listed).toMatchObject({ Email: 'aws-root@acme.example', State: 'ACTIVE', JoinedMethod: 'CREATED' });
    const parents = await client.send(new ListParentsCommand({ ChildId: done?.AccountId }));
    expect(parents.Parents).toEqual([{ Id: 'r-1111', Type: 'ROOT' }]);
  });

  it('fails a creation with EMAIL_ALREADY_EXISTS, or the seeded failure reason', async () => {
    const { client } = await start();
    const used = await client.send(new CreateAccountCommand({ Email: 'AWS@globex.example', AccountName: 'Globex again' }));
    const status = await client.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: used.CreateAccountStatus?.Id }));
    expect(status.CreateAccountStatus).toMatchObject({ State: 'FAILED', FailureReason: 'EMAIL_ALREADY_EXISTS' });
    const limited = await client.send(new CreateAccountCommand({ Email: 'aws@limit.example', AccountName: 'Limited' }));
    const failed = await client.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: limited.CreateAccountStatus?.Id }));
    expect(failed.CreateAccountStatus).toMatchObject({ State: 'FAILED', FailureReason: 'ACCOUNT_LIMIT_EXCEEDED' });
    expect((await errorOf(client.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: 'car-000000000999' })))).name).toBe('CreateAccountStatusNotFoundException');
  });
});

describe('Organizations sandbox: invitations', () => {
  it('invites an outside account that accepts: OPEN, then ACCEPTED, then a member joined by invitation', async () => {
    const { client } = await start();
    const invited = await client.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: '333333333301' } }));
    expect(invited.Handshake).toMatchObject({ State: 'OPEN', Id: expect.stringMatching(/^h-/), Action: 'INVITE' });
    const seen = await client.send(new DescribeHandshakeCommand({ HandshakeId: invited.Handshake?.Id }));
    expect(seen.Handshake?.State).toBe('ACCEPTED');
    const { Account } = await client.send(new DescribeAccountCommand({ AccountId: '333333333301' }));
    expect(Account).toMatchObject({ State: 'ACTIVE', JoinedMethod: 'INVITED' });
  });

  it('sees a decline, and an expiry set through the admin route', async () => {
    const { sandbox: s, client } = await start({ handshakePolls: 2 });
    const declined = await client.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: '333333333302' } }));
    expect((await client.send(new DescribeHandshakeCommand({ HandshakeId: declined.Handshake?.Id }))).Handshake?.State).toBe('OPEN');
    expect((await client.send(new DescribeHandshakeCommand({ HandshakeId: declined.Handshake?.Id }))).Handshake?.State).toBe('DECLINED');
    const other = await client.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: '333333333301' } }));
    const response = await fetch(`${s.organizationsUrl}/__sandbox/handshakes/${other.Handshake?.Id}/state`, { method: 'POST', body: JSON.stringify({ state: 'EXPIRED' }) });
    expect(response.status).toBe(200);
    expect((await client.send(new DescribeHandshakeCommand({ HandshakeId: other.Handshake?.Id }))).Handshake?.State).toBe('EXPIRED');
  });

  it('refuses to invite a member, an unknown account, or twice', async () => {
    const { client } = await start();
    const member = await errorOf(client.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: '222222222201' } })));
    expect(member).toMatchObject({ name: 'HandshakeConstraintViolationException', Reason: 'ALREADY_IN_AN_ORGANIZATION' });
    expect((await errorOf(client.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: '444444444444' } })))).name).toBe('InvalidInputException');
    await client.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: '333333333302' } }));
    expect((await errorOf(client.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: '333333333302' } })))).name).toBe('DuplicateHandshakeException');
  });
});

describe('Organizations sandbox: roots, OUs, moves', () => {
  it('creates an OU once per name and parent, lists it and moves an account into it', async () => {
    const { client } = await start();
    const roots = await client.send(new ListRootsCommand({}));
    const rootId = roots.Roots?.[0]?.Id;
    expect(rootId).toBe('r-1111');
    const ou = await client.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Globex' }));
    expect(ou.OrganizationalUnit?.Id).toMatch(/^ou-1111-[0-9a-z]{8}$/);
    expect((await errorOf(client.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Globex' })))).name).toBe('DuplicateOrganizationalUnitException');
    const listed = await client.send(new ListOrganizationalUnitsForParentCommand({ ParentId: rootId }));
    expect(listed.OrganizationalUnits?.map((o) => o.Name)).toEqual(['Initech', 'Globex']);
    await client.send(new MoveAccountCommand({ AccountId: '222222222201', SourceParentId: rootId, DestinationParentId: ou.OrganizationalUnit?.Id }));
    expect((await client.send(new ListParentsCommand({ ChildId: '222222222201' }))).Parents).toEqual([{ Id: ou.OrganizationalUnit?.Id, Type: 'ORGANIZATIONAL_UNIT' }]);
  });

  it('refuses a move from a parent that is not the current one', async () => {
    const { client } = await start();
    const wrong = await errorOf(client.send(new MoveAccountCommand({ AccountId: '222222222203', SourceParentId: 'r-1111', DestinationParentId: 'r-1111' })));
    expect(wrong.name).toBe('SourceParentNotFoundException');
  });

  it('selects the organization by the caller\'s access key id, else the first', async () => {
    const { sandbox: s, client } = await start();
    const two = clientFor(s, 'AKIAPAYERTWO00000001');
    expect((await two.send(new ListAccountsCommand({}))).Accounts?.map((a) => a.Id)).toEqual(['555555555555']);
    expect((await client.send(new ListAccountsCommand({}))).Accounts?.[0]?.Id).toBe('111111111111');
  });
});

describe('Organizations sandbox: admin routes, faults and stats', () => {
  it('surfaces an injected TooManyRequestsException under that name, once', async () => {
    const { sandbox: s, client } = await start();
    await fetch(`${s.organizationsUrl}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ operation: 'ListAccounts', error: 'TooManyRequestsException', times: 1 }) });
    const error = await errorOf(client.send(new ListAccountsCommand({})));
    expect(error.name).toBe('TooManyRequestsException');
    expect((await client.send(new ListAccountsCommand({}))).Accounts?.length).toBe(3);
  });

  it('closes an account as a person in the console would', async () => {
    const { sandbox: s, client } = await start();
    const response = await fetch(`${s.organizationsUrl}/__sandbox/accounts/222222222203/state`, { method: 'POST', body: JSON.stringify({ state: 'CLOSED' }) });
    expect(response.status).toBe(200);
    expect((await client.send(new DescribeAccountCommand({ AccountId: '222222222203' }))).Account?.State).toBe('CLOSED');
    s.organizations.state.setAccountState('222222222203', 'REMOVED');
    expect((await errorOf(client.send(new DescribeAccountCommand({ AccountId: '222222222203' })))).name).toBe('AccountNotFoundException');
  });

  it('counts calls by operation, in flight and per second', async () => {
    const { sandbox: s, client } = await start();
    // A fake clock: the delay holds both ListRoots until the test moves it, and every call starts
    // within the same second, however slow the machine.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    s.organizations.addFault({ operation: 'ListRoots', delayMs: 50, times: 2 });
    const calls = Promise.all([client.send(new ListRootsCommand({})), client.send(new ListRootsCommand({})), client.send(new ListAccountsCommand({}))]);
    await untilInFlight(() => s.organizations.stats(), 2);
    await vi.advanceTimersByTimeAsync(50);
    await calls;
    await errorOf(client.send(new DescribeAccountCommand({ AccountId: '999999999999' })));
    const stats = (await (await fetch(`${s.organizationsUrl}/__sandbox/stats`)).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({ calls: { ListRoots: 2, ListAccounts: 1, DescribeAccount: 1 }, total: 4, inFlight: 0 });
    expect(stats.maxInFlight).toBeGreaterThanOrEqual(2);
    expect(stats.maxPerSecond).toBe(4);
    const state = (await (await fetch(`${s.organizationsUrl}/__sandbox/state`)).json()) as { organizations: Array<{ accounts: unknown[] }> };
    expect(state.organizations[0]?.accounts).toHaveLength(3);
  });
});
