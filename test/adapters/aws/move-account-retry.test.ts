/**
 * A MoveAccount whose answer is lost (AWS moved the account, the connection
 * dropped, the SDK sends the call again) meets AWS's DuplicateAccountException,
 * "That account is already present in the specified destination": the move is
 * done. Against the sandbox's Organizations, which answers as AWS does.
 */
import { MoveAccountCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsOrganizationsFactory } from '../../../src/adapters/aws/organizations-factory.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/sandbox.js';
import type { SeedInput } from '../../../src/sandbox/seed.js';

const PAYER = '111111111111';
const ROOT = 'r-1111';
const OU = 'ou-1111-00000001';
const SEED: SeedInput = {
  organizations: [
    {
      payerAccountId: PAYER,
      name: 'Payer one',
      rootId: ROOT,
      organizationalUnits: [{ id: OU, name: 'Globex' }],
      accounts: [{ id: '222222222201', email: 'aws@globex.example', name: 'Globex' }],
    },
  ],
};
const signal = new AbortController().signal;

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(): Promise<Sandbox> {
  sandbox = await startSandbox({ seed: SEED, now: () => new Date('2026-11-26T10:00:00Z') });
  return sandbox;
}

function factory(s: Sandbox, maxAttempts = 3): AwsOrganizationsFactory {
  return new AwsOrganizationsFactory({ endpoint: s.organizationsUrl, credentials: { accessKeyId: 'AKIDMOVETEST', secretAccessKey: 'fake' }, retryBaseDelayMs: 1, maxAttempts, maxCallsPerSecond: 1000 });
}

describe('the sandbox Organizations MoveAccount', () => {
  it('answers DuplicateAccountException when the account already is in the destination, even from its former parent', async () => {
    const s = await start();
    const client = new OrganizationsClient({ endpoint: s.organizationsUrl, region: 'us-east-1', credentials: { accessKeyId: 'AKIDMOVETEST', secretAccessKey: 'fake' }, maxAttempts: 1 });
    const move = new MoveAccountCommand({ AccountId: '222222222201', SourceParentId: ROOT, DestinationParentId: OU });
    await client.send(move);
    const again = await client.send(move).then(
      () => undefined,
      (error: unknown) => error as { name: string; message: string },
    );
    expect(again).toMatchObject({ name: 'DuplicateAccountException', message: 'That account is already present in the specified destination.' });
    client.destroy();
  });

  it('with an `applied` fault makes the move, then loses its answer', async () => {
    const s = await start();
    s.organizations.addFault({ operation: 'MoveAccount', error: 'ServiceException', applied: true });
    const orgs = factory(s, 1).forPayer({ accountId: PAYER });
    await expect(orgs.moveAccount('222222222201', ROOT, OU, signal)).rejects.toMatchObject({ code: 'AWS_CALL' });
    expect(await orgs.parentOf('222222222201', signal)).toBe(OU);
  });
});

describe('AwsOrganizations.moveAccount() retried by the SDK after a lost answer', () => {
  it('counts DuplicateAccountException as done: the account is in the destination', async () => {
    const s = await start();
    s.organizations.addFault({ operation: 'MoveAccount', error: 'ServiceException', applied: true });
    const orgs = factory(s).forPayer({ accountId: PAYER });
    await expect(orgs.moveAccount('222222222201', ROOT, OU, signal)).resolves.toBeUndefined();
    expect(s.organizations.stats().calls.MoveAccount).toBe(2);
    expect(await orgs.parentOf('222222222201', signal)).toBe(OU);
  });

  it('still fails a move from a parent that does not hold the account to one that does not either', async () => {
    const s = await start();
    const orgs = factory(s).forPayer({ accountId: PAYER });
    await expect(orgs.moveAccount('222222222201', 'ou-1111-99999999', OU, signal)).rejects.toMatchObject({ code: 'AWS_CALL', message: expect.stringContaining('SourceParentNotFoundException') });
  });
});
