import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  CreateAccountCommand,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  DescribeResponsibilityTransferCommand,
  InviteAccountToOrganizationCommand,
  InviteOrganizationToTransferResponsibilityCommand,
  ListAccountsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'orders');
const TODAY = new Date('2026-11-26T09:00:00Z');

let sandbox: Sandbox;
let aws: OrganizationsClient;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: await loadSeed(FIXTURES), now: () => TODAY });
  aws = new OrganizationsClient({ endpoint: sandbox.organizationsUrl, region: 'us-east-1', credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' }, maxAttempts: 1 });
});
afterAll(async () => {
  await sandbox.close();
});

async function get(path: string): Promise<any> {
  const response = await fetch(`${sandbox.platformUrl}${path}`, { headers: { authorization: `ApiKey ${sandbox.apiKey}` } });
  return response.json();
}

const param = (requestId: string, id: string): string => sandbox.platform.state.param(requestId, id)?.value ?? '';

describe('fixtures/orders: the demo seed', () => {
  it('lists twelve pending requests of the demo product and one pending tier configuration request', async () => {
    const requests = await get('/requests?and(eq(status,pending),in(asset.product.id,(PRD-411-678-887)))&limit=100');
    expect(requests).toHaveLength(12);
    const tiers = await get('/tier/config-requests?and(eq(status,pending),eq(configuration.product.id,PRD-411-678-887))');
    expect(tiers.map((t: { id: string }) => t.id)).toEqual(['TCR-111-111-111-001']);
    expect(await get('/products/PRD-411-678-887/templates?scope=asset&type=fulfillment')).toEqual([expect.objectContaining({ id: 'TL-111-111-111' })]);
  });

  it('has the demo payer, the e-mail to adopt and the accounts the requests name', async () => {
    const accounts = (await aws.send(new ListAccountsCommand({}))).Accounts ?? [];
    expect(accounts.find((a) => a.Id === '111111111111')?.Name).toBe('Demo distributor payer');
    expect(accounts.find((a) => a.Email === param('PR-1001-0002-0001-001', 'account_email'))?.Id).toBe('222222222201');
    expect(accounts.map((a) => a.Id)).toEqual(expect.arrayContaining([param('PR-1001-0005-0001-001', 'aws_account_id'), param('PR-1001-0006-0001-001', 'aws_account_id')]));
    const missing = aws.send(new DescribeAccountCommand({ AccountId: param('PR-1001-0007-0001-001', 'aws_account_id') }));
    await expect(missing).rejects.toMatchObject({ name: 'AccountNotFoundException' });
    expect((await aws.send(new DescribeAccountCommand({ AccountId: param('PR-1001-0011-0001-002', 'aws_account_id') }))).Account?.State).toBe('ACTIVE');
    expect((await aws.send(new DescribeAccountCommand({ AccountId: param('PR-1001-0012-0001-002', 'aws_account_id') }))).Account?.State).toBe('CLOSED');
  });

  it('closed the Tyrell account 61 days before 2026-11-26, so its 60 days are over', () => {
    const closedAt = Date.parse(`${param('PR-1001-0012-0001-002', 'account_closed_at')}T00:00:00Z`);
    expect((Date.parse('2026-11-26T00:00:00Z') - closedAt) / 86_400_000).toBe(61);
  });

  it('lets the transfer target accept and the Acme purchase be created and approved', async () => {
    const invited = await aws.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: param('PR-1001-0004-0001-001', 'aws_account_id') } }));
    expect(invited.Handshake?.State).toBe('OPEN');

    const id = 'PR-1001-0001-0001-001';
    const created = await aws.send(new CreateAccountCommand({ Email: param(id, 'account_email'), AccountName: param(id, 'account_name') }));
    const status = await aws.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: created.CreateAccountStatus?.Id }));
    expect(status.CreateAccountStatus?.State).toBe('SUCCEEDED');
    const headers = { authorization: `ApiKey ${sandbox.apiKey}`, 'content-type': 'application/json' };
    const put = await fetch(`${sandbox.platformUrl}/requests/${id}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ asset: { params: [{ id: 'aws_account_id', value: status.CreateAccountStatus?.AccountId }] } }),
    });
    expect(put.status).toBe(200);
    const approve = await fetch(`${sandbox.platformUrl}/requests/${id}/approve`, { method: 'POST', headers, body: JSON.stringify({ template_id: 'TL-111-111-111' }) });
    expect(((await approve.json()) as { status: string }).status).toBe('approved');
  });

  it('has, apart, the billing-transfer order: the customer management account outside the payer, a REQUESTED transfer until accepted', async () => {
    const extra = await loadSeed(join(FIXTURES, 'billing-transfer'));
    expect(extra.requests.map((r) => r.id)).toEqual(['PR-1001-0013-0001-001']);
    const params = extra.requests[0]?.asset.params ?? [];
    expect(params.find((p) => p.id === 'account_type')?.value).toBe('billing-transfer');
    expect(params.map((p) => p.id)).toEqual(expect.arrayContaining(['transfer_id', 'transfer_start', 'handshake_id']));
    const own = await startSandbox({ seed: { ...extra, organizations: extra.organizations.map((o) => ({ ...o, accessKeyIds: [] })) }, now: () => TODAY });
    try {
      const client = new OrganizationsClient({ endpoint: own.organizationsUrl, region: 'us-east-1', credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' }, maxAttempts: 1 });
      const invited = await client.send(
        new InviteOrganizationToTransferResponsibilityCommand({ Type: 'BILLING', Target: { Type: 'ACCOUNT', Id: '666666666601' }, StartTimestamp: new Date('2026-12-01T00:00:00Z'), SourceName: 'Contoso Ltd' }),
      );
      const id = invited.Handshake?.Resources?.find((r) => r.Type === 'RESPONSIBILITY_TRANSFER')?.Value ?? '';
      expect(id).toBe('rt-000000000001');
      expect((await client.send(new DescribeResponsibilityTransferCommand({ Id: id }))).ResponsibilityTransfer?.Status).toBe('REQUESTED');
      own.organizations.state.setTransferStatus(id, 'ACCEPTED');
      expect((await client.send(new DescribeResponsibilityTransferCommand({ Id: id }))).ResponsibilityTransfer?.Status).toBe('ACCEPTED');
    } finally {
      await own.close();
    }
  });
});
