/**
 * Billing-transfer orders end to end: `process --once` with the real platform
 * client and the real AWS SDK against the loopback sandbox (Organizations'
 * responsibility-transfer operations), the sandbox's clock moved by the test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runProcessOnce } from '../../src/cli/orders.command.js';
import { openStateDatabase } from '../../src/store/database.js';
import { SqliteRunLedger } from '../../src/store/run-ledger.store.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { AWS_PRODUCT_PARAMETERS } from '../../src/sandbox/seed.schema.js';
import type { SeedInput } from '../../src/sandbox/seed.js';
import { ordersConfigFile, ordersIo, startOrdersSandbox } from '../support/orders-daemon.js';

const PRODUCT = 'PRD-411-678-887';
let clock = new Date('2026-11-26T12:00:00Z');
const now = (): Date => new Date(clock);

const order = (id: string, customer: string, params: Record<string, string>, type = 'purchase') => ({ id, type, productId: PRODUCT, customer, params: { account_type: 'billing-transfer', ...params } });

const SEED: SeedInput = {
  apiKey: 'SU-000-000-000:demo-secret',
  products: [
    {
      id: PRODUCT,
      name: 'Amazon Web Services (demo)',
      templates: [{ id: 'TL-111-111-111', name: 'Your AWS account is ready', scope: 'asset', type: 'fulfillment' }],
      parameters: AWS_PRODUCT_PARAMETERS,
      configuration: { payerAccountId: '111111111111', organizationalUnitEnabled: 'No' },
    },
  ],
  requests: [
    order('PR-1301-0001-0001-001', 'Contoso Ltd', { aws_account_id: '444444444401' }),
    order('PR-1301-0002-0001-001', 'Fabrikam Inc', { aws_account_id: '444444444402' }),
    order('PR-1301-0003-0001-001', 'Northwind Traders', { account_email: 'root@northwind.example' }),
    order('PR-1301-0004-0001-001', 'Woodgrove Bank', { aws_account_id: '555555555501' }),
  ],
  organizations: [
    {
      payerAccountId: '111111111111',
      name: 'Demo distributor payer',
      accounts: [],
      outsideAccounts: [
        { id: '444444444401', email: 'root@contoso.example', name: 'Contoso', answer: 'accept' },
        { id: '444444444402', email: 'root@fabrikam.example', name: 'Fabrikam', answer: 'decline' },
        { id: '444444444403', email: 'root@northwind.example', name: 'Northwind', answer: 'ignore' },
      ],
    },
    { payerAccountId: '555555555555', name: 'Woodgrove organization', accessKeyIds: ['AKIAWOODGROVE0000001'], accounts: [{ id: '555555555501', email: 'dev@woodgrove.example', name: 'Woodgrove dev' }] },
  ],
};

let sandbox: Sandbox;
let dir: string;
const saved = { ...process.env };
const status = (id: string): string | undefined => sandbox.platform.state.request(id)?.status;
const param = (id: string, p: string): string | undefined => sandbox.platform.state.param(id, p)?.value;
const cycle = async (retries = 3) =>
  runProcessOnce({ config: await ordersConfigFile(dir, sandbox, { connect: { apiUrl: sandbox.platformUrl, productIds: [PRODUCT], retries } }) }, ordersIo(sandbox), { now });
const transfers = (): Array<{ id: string; status: string; sourceAccountId: string; endMs?: number }> =>
  (sandbox.organizations.state.snapshot().organizations as Array<{ responsibilityTransfers: Array<{ id: string; status: string; sourceAccountId: string; endMs?: number }> }>)[0]?.responsibilityTransfers ?? [];

/** A succeeded run of payer 111111111111 for `period` in the state database the cycles use (another process rated it). */
function rated(period: string, { dryRun }: { dryRun: boolean }): void {
  const state = openStateDatabase(join(dir, 'state.db'));
  try {
    const ledger = new SqliteRunLedger(state.db, now);
    const claim = ledger.claim({ payerAccountId: '111111111111', period, trigger: 'schedule', reprocess: false, dryRun }, { owner: 'rating-process', holder: 'pid 1 on host-r', ttlMs: 60_000 }, now());
    if (claim.kind !== 'claimed') throw new Error(`the run of ${period} was not claimed: ${claim.kind}`);
    ledger.finish(claim.run, 'succeeded', undefined, now());
  } finally {
    state.close();
  }
}

beforeEach(async () => {
  clock = new Date('2026-11-26T12:00:00Z');
  dir = await mkdtemp(join(tmpdir(), 'nr-e2e-billing-transfer-'));
  sandbox = await startOrdersSandbox({ seed: SEED, now, handshakePolls: 2 });
});

afterEach(async () => {
  process.env = { ...saved };
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

describe('billing-transfer orders against the sandbox', () => {
  it('invites, waits while REQUESTED with one note, approves the accepted one and fails the declined one; a member account is an inquiry', async () => {
    await cycle();
    expect(status('PR-1301-0001-0001-001')).toBe('pending');
    expect(param('PR-1301-0001-0001-001', 'transfer_id')).toMatch(/^rt-/);
    expect(param('PR-1301-0001-0001-001', 'handshake_id')).toMatch(/^h-/);
    expect(sandbox.platform.state.notes('PR-1301-0001-0001-001')).toHaveLength(1);
    expect(status('PR-1301-0004-0001-001')).toBe('inquiring');
    expect(sandbox.platform.state.param('PR-1301-0004-0001-001', 'aws_account_id')?.value_error).toContain('not its management account');

    await cycle();
    expect(status('PR-1301-0001-0001-001')).toBe('approved');
    expect(param('PR-1301-0001-0001-001', 'aws_account_id')).toBe('444444444401');
    expect(status('PR-1301-0002-0001-001')).toBe('failed');
    expect(sandbox.platform.state.request('PR-1301-0002-0001-001')?.reason).toContain('declined');
    // Northwind (by e-mail) does not answer: still pending, no second note, no second invitation.
    expect(status('PR-1301-0003-0001-001')).toBe('pending');
    expect(param('PR-1301-0003-0001-001', 'aws_account_id')).toBe('');
    expect(sandbox.platform.state.notes('PR-1301-0003-0001-001')).toHaveLength(1);
    // Four invitations in all, one per order (the member account's refused), none repeated in the second cycle.
    expect(sandbox.organizations.stats().calls.InviteOrganizationToTransferResponsibility).toBe(4);
    expect(transfers().map((t) => [t.sourceAccountId, t.status]).sort()).toEqual([
      ['444444444401', 'ACCEPTED'],
      ['444444444402', 'DECLINED'],
      ['444444444403', 'REQUESTED'],
    ]);
  });

  it('fails an invitation that expired (15 days) before the customer accepted it', async () => {
    await cycle();
    clock = new Date('2026-12-12T12:00:00Z');
    await cycle();
    expect(status('PR-1301-0003-0001-001')).toBe('failed');
    expect(sandbox.platform.state.request('PR-1301-0003-0001-001')?.reason).toContain('expired');
  });

  it('after the save of transfer_id fails, the next cycle adopts the transfer: no second invitation', async () => {
    sandbox.platform.addFault({ method: 'PUT', pathPrefix: '/requests/PR-1301-0001-0001-001', status: 500, times: 2 });
    await cycle(1);
    expect(param('PR-1301-0001-0001-001', 'transfer_id') ?? '').toBe('');
    const second = await cycle();
    expect(second.requests.find((r) => r.requestId === 'PR-1301-0001-0001-001')?.message).toContain('already requested');
    expect(param('PR-1301-0001-0001-001', 'transfer_id')).toMatch(/^rt-/);
    expect(transfers().filter((t) => t.sourceAccountId === '444444444401')).toHaveLength(1);
    await cycle();
    expect(status('PR-1301-0001-0001-001')).toBe('approved');
  });

  it('cancels: withdraws the transfer once (it ends on the last day of its month) and waits across restarts', async () => {
    await sandbox.close();
    const purchase = order('PR-1301-0001-0001-001', 'Contoso Ltd', { aws_account_id: '444444444401' });
    const cancel = order('PR-1301-0001-0001-002', 'Contoso Ltd', { aws_account_id: '444444444401', transfer_id: 'rt-000000000001', payer_account_id: '111111111111' }, 'cancel');
    sandbox = await startOrdersSandbox({ seed: { ...SEED, requests: [purchase, cancel] }, now, handshakePolls: 2 });
    await cycle();
    await cycle();
    expect(status('PR-1301-0001-0001-001')).toBe('approved');
    await cycle();
    expect(transfers()).toMatchObject([{ id: 'rt-000000000001', status: 'WITHDRAWN', endMs: Date.parse('2026-12-31T23:59:59Z') }]);
    expect(status('PR-1301-0001-0001-002')).toBe('pending');
    const again = await cycle();
    expect(again.requests.find((r) => r.requestId === 'PR-1301-0001-0001-002')?.message).toContain('ends on 2026-12-31; approval once 2026-12 has been rated');
    expect(sandbox.organizations.stats().calls.TerminateResponsibilityTransfer).toBe(1);
    clock = new Date('2027-01-05T12:00:00Z');
    await cycle();
    expect(status('PR-1301-0001-0001-002')).toBe('pending');
    expect(sandbox.organizations.stats().calls.TerminateResponsibilityTransfer).toBe(1);
    // December, the last transferred month, is rated: a dry run is not the month's rating; a succeeded live run is.
    rated('2026-12', { dryRun: true });
    await cycle();
    expect(status('PR-1301-0001-0001-002')).toBe('pending');
    rated('2026-12', { dryRun: false });
    await cycle();
    expect(status('PR-1301-0001-0001-002')).toBe('approved');
    expect(sandbox.organizations.stats().calls.TerminateResponsibilityTransfer).toBe(1);
  });
});
