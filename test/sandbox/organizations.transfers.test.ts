import { afterEach, describe, expect, it } from 'vitest';
import {
  DescribeHandshakeCommand,
  DescribeResponsibilityTransferCommand,
  InviteOrganizationToTransferResponsibilityCommand,
  ListHandshakesForOrganizationCommand,
  ListInboundResponsibilityTransfersCommand,
  OrganizationsClient,
  TerminateResponsibilityTransferCommand,
  type InviteOrganizationToTransferResponsibilityCommandInput,
} from '@aws-sdk/client-organizations';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js';
import type { SeedInput } from '../../src/sandbox/seed.js';

const NOW = new Date('2026-11-26T10:00:00Z');
const DECEMBER = new Date('2026-12-01T00:00:00Z');

const SEED: SeedInput = {
  organizations: [
    {
      payerAccountId: '111111111111',
      name: 'Payer one',
      accounts: [{ id: '222222222201', email: 'aws@globex.example', name: 'Globex' }],
      outsideAccounts: [
        { id: '333333333301', email: 'aws@initrode.example', answer: 'accept' },
        { id: '333333333302', email: 'aws@massive.example', answer: 'decline' },
        { id: '333333333303', email: 'aws@silent.example', answer: 'ignore' },
      ],
    },
    { payerAccountId: '555555555555', name: 'Customer org', accessKeyIds: ['AKIAPAYERTWO00000001'], accounts: [{ id: '555555555501', email: 'aws@member.example', name: 'Member' }] },
  ],
};

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(options: Partial<SandboxOptions> = {}): Promise<{ sandbox: Sandbox; client: OrganizationsClient }> {
  sandbox = await startSandbox({ seed: SEED, now: () => NOW, ...options });
  const client = new OrganizationsClient({ endpoint: sandbox.organizationsUrl, region: 'us-east-1', credentials: { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake' }, maxAttempts: 1 });
  return { sandbox, client };
}

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; message: string; Reason?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { name: string; message: string; Reason?: string };
  }
  throw new Error('expected the call to fail');
}

function invitation(id: string, overrides: Partial<InviteOrganizationToTransferResponsibilityCommandInput> = {}): InviteOrganizationToTransferResponsibilityCommandInput {
  return { Type: 'BILLING', Target: { Type: 'ACCOUNT', Id: id }, StartTimestamp: DECEMBER, SourceName: 'Initrode', ...overrides };
}

const transferIdOf = (handshake: { Resources?: Array<{ Type?: string; Value?: string }> } | undefined): string =>
  handshake?.Resources?.find((r) => r.Type === 'RESPONSIBILITY_TRANSFER')?.Value ?? '';

describe('Organizations sandbox: billing transfers', () => {
  it('invites a management account: an OPEN TRANSFER_RESPONSIBILITY handshake naming a REQUESTED transfer, then ACCEPTED', async () => {
    const { client } = await start();
    const invited = await client.send(new InviteOrganizationToTransferResponsibilityCommand(invitation('333333333301')));
    expect(invited.Handshake).toMatchObject({ State: 'OPEN', Action: 'TRANSFER_RESPONSIBILITY' });
    const transferId = transferIdOf(invited.Handshake);
    expect(transferId).toMatch(/^rt-/);
    const listed = await client.send(new ListInboundResponsibilityTransfersCommand({ Type: 'BILLING' }));
    expect(listed.ResponsibilityTransfers).toEqual([
      expect.objectContaining({ Id: transferId, Name: 'Initrode', Status: 'REQUESTED', Type: 'BILLING', ActiveHandshakeId: invited.Handshake?.Id, Source: { ManagementAccountId: '333333333301', ManagementAccountEmail: 'aws@initrode.example' }, StartTimestamp: DECEMBER }),
    ]);
    const described = await client.send(new DescribeResponsibilityTransferCommand({ Id: transferId }));
    expect(described.ResponsibilityTransfer?.Status).toBe('ACCEPTED');
    expect((await client.send(new DescribeHandshakeCommand({ HandshakeId: invited.Handshake?.Id }))).Handshake?.State).toBe('ACCEPTED');
    // A transfer's invitation is not an invitation to join: ListHandshakes filtered by INVITE leaves it out.
    expect((await client.send(new ListHandshakesForOrganizationCommand({ Filter: { ActionType: 'INVITE' } }))).Handshakes).toEqual([]);
  });

  it('sees a decline, an expiry and a cancel, the last two set through the admin route', async () => {
    const { sandbox: s, client } = await start({ handshakePolls: 2 });
    const declined = transferIdOf((await client.send(new InviteOrganizationToTransferResponsibilityCommand(invitation('333333333302')))).Handshake);
    expect((await client.send(new DescribeResponsibilityTransferCommand({ Id: declined }))).ResponsibilityTransfer?.Status).toBe('REQUESTED');
    expect((await client.send(new DescribeResponsibilityTransferCommand({ Id: declined }))).ResponsibilityTransfer?.Status).toBe('DECLINED');
    const silent = transferIdOf((await client.send(new InviteOrganizationToTransferResponsibilityCommand(invitation('333333333303')))).Handshake);
    const response = await fetch(`${s.organizationsUrl}/__sandbox/transfers/${silent}/state`, { method: 'POST', body: JSON.stringify({ state: 'EXPIRED' }) });
    expect(response.status).toBe(200);
    expect((await client.send(new DescribeResponsibilityTransferCommand({ Id: silent }))).ResponsibilityTransfer?.Status).toBe('EXPIRED');
    const again = transferIdOf((await client.send(new InviteOrganizationToTransferResponsibilityCommand(invitation('333333333303')))).Handshake);
    await fetch(`${s.organizationsUrl}/__sandbox/transfers/${again}/state`, { method: 'POST', body: JSON.stringify({ state: 'CANCELED' }) });
    expect((await client.send(new DescribeResponsibilityTransferCommand({ Id: again }))).ResponsibilityTransfer?.Status).toBe('CANCELED');
    const bad = await fetch(`${s.organizationsUrl}/__sandbox/transfers/${again}/state`, { method: 'POST', body: JSON.stringify({ state: 'GONE' }) });
    expect(bad.status).toBe(400);
  });

  it('withdraws an accepted transfer: WITHDRAWN, ending 23:59:59 UTC on the last day of its first month', async () => {
    const { client } = await start({ handshakePolls: 0 });
    const id = transferIdOf((await client.send(new InviteOrganizationToTransferResponsibilityCommand(invitation('555555555555')))).Handshake);
    expect((await client.send(new DescribeResponsibilityTransferCommand({ Id: id }))).ResponsibilityTransfer?.Status).toBe('ACCEPTED');
    const ended = await client.send(new TerminateResponsibilityTransferCommand({ Id: id }));
    expect(ended.ResponsibilityTransfer).toMatchObject({ Status: 'WITHDRAWN', EndTimestamp: new Date('2026-12-31T23:59:59Z') });
    expect(await errorOf(client.send(new TerminateResponsibilityTransferCommand({ Id: id })))).toMatchObject({ name: 'ResponsibilityTransferAlreadyInStatusException' });
    expect(await errorOf(client.send(new TerminateResponsibilityTransferCommand({ Id: 'rt-nope' })))).toMatchObject({ name: 'ResponsibilityTransferNotFoundException' });
  });

  it('refuses a member account, the caller itself, a second open invitation, and a start that is not a month', async () => {
    const { client } = await start();
    expect(await errorOf(client.send(new InviteOrganizationToTransferResponsibilityCommand(invitation('555555555501'))))).toMatchObject({ name: 'HandshakeConstraintViolationException', Reason: 'ALREADY_IN_AN_ORGANIZATION' });
    expect(await errorOf(client.send(new InviteOrganizationToTransferResponsibilityCommand(invitation('111111111111'))))).toMatchObject({ Reason: 'SOURCE_AND_TARGET_CANNOT_MATCH' });
    expect(await errorOf(client.send(new InviteOrganizationToTransferResponsibilityCommand(invitation('333333333301', { StartTimestamp: new Date('2026-12-02T00:00:00Z') }))))).toMatchObject({ name: 'InvalidInputException', Reason: 'START_DATE_NOT_BEGINNING_OF_MONTH' });
    expect(await errorOf(client.send(new InviteOrganizationToTransferResponsibilityCommand(invitation('333333333301', { StartTimestamp: new Date('2026-10-01T00:00:00Z') }))))).toMatchObject({ Reason: 'START_DATE_TOO_EARLY' });
    await client.send(new InviteOrganizationToTransferResponsibilityCommand(invitation('333333333303', { Target: { Type: 'EMAIL', Id: 'aws@silent.example' } })));
    expect(await errorOf(client.send(new InviteOrganizationToTransferResponsibilityCommand(invitation('333333333303'))))).toMatchObject({ name: 'DuplicateHandshakeException' });
    expect(await errorOf(client.send(new TerminateResponsibilityTransferCommand({ Id: 'rt-000000000001' })))).toMatchObject({ name: 'InvalidResponsibilityTransferTransitionException' });
  });
});
