import { afterEach, describe, expect, it } from 'vitest';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { AwsOrganizations } from '../../../src/adapters/aws/organizations.adapter.js';
import { transfersOf } from '../../../src/app/orders/ports.js';
import { ConnectorError } from '../../../src/domain/errors.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/sandbox.js';

const NOW = new Date('2026-11-26T10:00:00Z');
const DECEMBER = new Date('2026-12-01T00:00:00Z');
const signal = new AbortController().signal;

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(handshakePolls = 1): Promise<AwsOrganizations> {
  sandbox = await startSandbox({
    seed: {
      organizations: [
        {
          payerAccountId: '111111111111',
          name: 'Payer',
          accounts: [{ id: '222222222201', email: 'aws@member.example', name: 'Member' }],
          outsideAccounts: [
            { id: '333333333301', email: 'aws@initrode.example', answer: 'accept' },
            { id: '333333333302', email: 'aws@massive.example', answer: 'decline' },
          ],
        },
      ],
    },
    now: () => NOW,
    handshakePolls,
  });
  const client = new OrganizationsClient({ endpoint: sandbox.organizationsUrl, region: 'us-east-1', credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' }, maxAttempts: 1 });
  return new AwsOrganizations(client, '111111111111');
}

describe('AwsOrganizations billing transfers (against the sandbox)', () => {
  it('is recognised as offering billing transfers', async () => {
    expect(transfersOf(await start())).toBeDefined();
  });

  it('invites with Type BILLING, the start month and the source name, and reads the transfer the handshake names', async () => {
    const orgs = await start();
    const invited = await orgs.inviteToTransferBilling({ target: { type: 'ACCOUNT', id: '333333333301' }, startAt: DECEMBER, sourceName: 'Initrode' }, signal);
    expect(invited).toEqual({ handshakeId: expect.stringMatching(/^h-/), state: 'OPEN', transferId: expect.stringMatching(/^rt-/) });
    expect(await orgs.listInboundTransfers(signal)).toEqual([
      { id: invited.transferId, name: 'Initrode', status: 'REQUESTED', sourceAccountId: '333333333301', sourceEmail: 'aws@initrode.example', startAt: '2026-12-01T00:00:00.000Z', handshakeId: invited.handshakeId },
    ]);
    expect((await orgs.describeTransfer(invited.transferId ?? '', signal))?.status).toBe('ACCEPTED');
    expect(await orgs.describeTransfer('rt-000000009999', signal)).toBeUndefined();
  });

  it('invites by e-mail', async () => {
    const orgs = await start();
    const invited = await orgs.inviteToTransferBilling({ target: { type: 'EMAIL', id: 'aws@massive.example' }, startAt: DECEMBER, sourceName: 'Massive' }, signal);
    expect((await orgs.describeTransfer(invited.transferId ?? '', signal))).toMatchObject({ status: 'DECLINED', sourceAccountId: '333333333302' });
  });

  it('withdraws: WITHDRAWN with the end of the month, and a second withdrawal answers the same', async () => {
    const orgs = await start(0);
    const invited = await orgs.inviteToTransferBilling({ target: { type: 'ACCOUNT', id: '333333333301' }, startAt: DECEMBER, sourceName: 'Initrode' }, signal);
    const ended = await orgs.terminateTransfer(invited.transferId ?? '', signal);
    expect(ended).toMatchObject({ status: 'WITHDRAWN', endAt: '2026-12-31T23:59:59.000Z' });
    expect(await orgs.terminateTransfer(invited.transferId ?? '', signal)).toEqual(ended);
  });

  it("turns AWS's refusal of a member account into AWS_CONSTRAINT with the Reason", async () => {
    const orgs = await start();
    const refused = await orgs.inviteToTransferBilling({ target: { type: 'ACCOUNT', id: '222222222201' }, startAt: DECEMBER, sourceName: 'Member' }, signal).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConnectorError);
    expect(refused).toMatchObject({ code: 'AWS_CONSTRAINT', where: { value: 'ALREADY_IN_AN_ORGANIZATION' } });
  });
});
