import { afterEach, describe, expect, it } from 'vitest';
import { runCycle } from '../../../src/app/orders/process-cycle.js';
import type { ResponsibilityTransfer, ResponsibilityTransfersPort, TransferInvitation } from '../../../src/app/orders/ports.js';
import { ConnectorError } from '../../../src/domain/errors.js';
import { FakeOrganization, harness, PAYER, request, type Harness } from '../../support/orders-fakes.js';

const signal = new AbortController().signal;
const ID = 'PR-0013-0001-0001-001';
const CUSTOMER = '777777777701';
let h: Harness;
afterEach(() => h?.close());

/** The fake organization plus in-memory billing transfers; `members` are accounts of other organizations. */
class TransferringOrganization extends FakeOrganization implements ResponsibilityTransfersPort {
  readonly transfers = new Map<string, ResponsibilityTransfer>();
  readonly invitations: Array<{ target: { type: string; id: string }; startAt: string; sourceName: string }> = [];
  readonly members = new Set<string>();
  terminated = 0;
  async inviteToTransferBilling(input: { target: { type: 'ACCOUNT' | 'EMAIL'; id: string }; startAt: Date; sourceName: string }): Promise<TransferInvitation> {
    if (this.members.has(input.target.id)) throw new ConnectorError('AWS_CONSTRAINT', 'member', { where: { value: 'ALREADY_IN_AN_ORGANIZATION' } });
    this.invitations.push({ target: input.target, startAt: input.startAt.toISOString(), sourceName: input.sourceName });
    const n = this.transfers.size + 1;
    const id = `rt-${String(n).padStart(12, '0')}`;
    const handshakeId = `h-${String(n).padStart(10, '0')}`;
    this.transfers.set(id, { id, name: input.sourceName, status: 'REQUESTED', sourceAccountId: input.target.type === 'ACCOUNT' ? input.target.id : CUSTOMER, sourceEmail: 'root@customer.example', startAt: input.startAt.toISOString(), handshakeId });
    return { handshakeId, state: 'OPEN', transferId: id };
  }
  async listInboundTransfers(): Promise<ResponsibilityTransfer[]> {
    return [...this.transfers.values()].map((t) => ({ ...t }));
  }
  async describeTransfer(id: string): Promise<ResponsibilityTransfer | undefined> {
    const t = this.transfers.get(id);
    return t ? { ...t } : undefined;
  }
  async terminateTransfer(id: string): Promise<ResponsibilityTransfer> {
    const t = this.transfers.get(id);
    if (!t) throw new ConnectorError('AWS_NOT_FOUND', id);
    this.terminated += 1;
    t.status = 'WITHDRAWN';
    t.endAt = '2026-12-31T23:59:59.000Z';
    return { ...t };
  }
  set(id: string, status: string): void {
    const t = this.transfers.get(id);
    if (t) t.status = status;
  }
}

function setup(params: Record<string, string>, type = 'purchase'): TransferringOrganization {
  h = harness([request(ID, type, { account_type: 'billing-transfer', ...params }, { customer: 'Müller Holding GmbH' })]);
  const org = new TransferringOrganization();
  org.managementAccountId = PAYER;
  h.deps.organizations = { forPayer: () => org };
  return org;
}
const cycle = () => runCycle(h.deps, { signal });

describe('purchase billing-transfer', () => {
  it('invites the management account with BILLING from the next month under the ASCII customer name, saves handshake_id and transfer_id, waits with a manual action', async () => {
    const org = setup({ aws_account_id: CUSTOMER });
    const first = await cycle();
    expect(first.requests[0]).toMatchObject({ kind: 'pending', step: 'wait-transfer' });
    expect(org.invitations).toEqual([{ target: { type: 'ACCOUNT', id: CUSTOMER }, startAt: '2026-12-01T00:00:00.000Z', sourceName: 'Muller Holding GmbH' }]);
    expect(h.platform.param(ID, 'transfer_id')?.value).toBe('rt-000000000001');
    expect(h.platform.param(ID, 'handshake_id')?.value).toBe('h-0000000001');
    expect(h.deps.manualActions.list({ open: true })).toMatchObject([{ kind: 'accept-transfer', accountId: CUSTOMER }]);
    await cycle();
    expect(h.platform.notes.get(ID)).toHaveLength(1);
    org.set('rt-000000000001', 'ACCEPTED');
    const done = await cycle();
    expect(done.requests[0]).toMatchObject({ kind: 'approved' });
    expect(h.platform.status(ID)).toBe('approved');
    expect(h.platform.param(ID, 'aws_account_id')?.value).toBe(CUSTOMER);
    expect(h.deps.manualActions.list({ open: true })).toEqual([]);
    expect(org.invitations).toHaveLength(1);
  });

  it.each([
    ['DECLINED', 'declined'],
    ['EXPIRED', 'expired'],
    ['CANCELED', 'canceled'],
    ['WITHDRAWN', 'withdrawn'],
  ])('fails the request with the reason when the transfer is %s', async (status, word) => {
    const org = setup({ account_email: 'root@customer.example', transfer_start: '2027-02' });
    await cycle();
    expect(org.invitations[0]).toMatchObject({ target: { type: 'EMAIL', id: 'root@customer.example' }, startAt: '2027-02-01T00:00:00.000Z' });
    org.set('rt-000000000001', status);
    const done = await cycle();
    expect(done.requests[0]?.kind).toBe('failed');
    expect(h.platform.status(ID)).toBe('failed');
    expect(done.requests[0]?.message).toContain(word);
  });

  it('adopts the transfer AWS already has for the source when the save was lost: no second invitation', async () => {
    const org = setup({ aws_account_id: CUSTOMER });
    await org.inviteToTransferBilling({ target: { type: 'ACCOUNT', id: CUSTOMER }, startAt: new Date('2026-12-01T00:00:00Z'), sourceName: 'x' });
    const first = await cycle();
    expect(first.requests[0]?.message).toContain('found transfer rt-000000000001 already requested');
    expect(org.invitations).toHaveLength(1);
    expect(h.platform.param(ID, 'transfer_id')?.value).toBe('rt-000000000001');
  });

  it.each([
    ['2026-11', 'has already begun'],
    ['2026-13', 'is not a month'],
    ['next month', 'is not a month'],
  ])('hands transfer_start %s back as an inquiry naming the value', async (value, words) => {
    const org = setup({ aws_account_id: CUSTOMER, transfer_start: value });
    await cycle();
    expect(h.platform.status(ID)).toBe('inquiring');
    expect(h.platform.param(ID, 'transfer_start')?.valueError).toContain(words);
    expect(h.platform.param(ID, 'transfer_start')?.valueError).toContain(value === '2026-11' ? '2026-11' : JSON.stringify(value));
    expect(org.invitations).toEqual([]);
  });

  it("inquires 'order it as import' for an account of the payer's own organization, and names the management account for a member of another", async () => {
    const org = setup({ aws_account_id: CUSTOMER });
    org.addAccount(CUSTOMER, 'x@y.example');
    await cycle();
    expect(h.platform.param(ID, 'aws_account_id')?.valueError).toContain('order it as import');

    const other = setup({ aws_account_id: '888888888801' });
    other.members.add('888888888801');
    await cycle();
    expect(h.platform.status(ID)).toBe('inquiring');
    expect(h.platform.param(ID, 'aws_account_id')?.valueError).toContain("not its management account: order billing-transfer with the management account's id, or order this account as transfer");
  });
});

describe('cancel billing-transfer', () => {
  const cancelParams = { aws_account_id: CUSTOMER, transfer_id: 'rt-000000000001', payer_account_id: PAYER };
  async function accepted(): Promise<TransferringOrganization> {
    const org = setup(cancelParams, 'cancel');
    await org.inviteToTransferBilling({ target: { type: 'ACCOUNT', id: CUSTOMER }, startAt: new Date('2026-12-01T00:00:00Z'), sourceName: 'x' });
    org.set('rt-000000000001', 'ACCEPTED');
    return org;
  }

  it('withdraws once, waits for the end of the month and then for the live run of its last month, then approves', async () => {
    const org = await accepted();
    const rated = new Set<string>();
    h.deps.ratedMonths = { hasSucceededLiveRun: (payer, period) => rated.has(`${payer}/${period}`) };
    expect((await cycle()).requests[0]).toMatchObject({ kind: 'pending', step: 'wait-transfer-end' });
    expect((await cycle()).requests[0]).toMatchObject({ kind: 'pending', step: 'wait-transfer-end' });
    expect(org.terminated).toBe(1);
    h.clock.set('2027-01-05T10:00:00Z');
    expect((await cycle()).requests[0]).toMatchObject({ kind: 'pending', step: 'wait-last-month-rated' });
    rated.add(`${PAYER}/2026-11`);
    expect((await cycle()).requests[0]?.kind).toBe('pending');
    rated.add(`${PAYER}/2026-12`);
    expect((await cycle()).requests[0]).toMatchObject({ kind: 'approved' });
    expect(h.platform.status(ID)).toBe('approved');
  });

  it('approves at once a transfer that never took effect (declined)', async () => {
    const org = await accepted();
    org.set('rt-000000000001', 'DECLINED');
    expect((await cycle()).requests[0]).toMatchObject({ kind: 'approved' });
    expect(org.terminated).toBe(0);
  });

  it('without the run ledger, stays pending with an error once the transfer has ended', async () => {
    await accepted();
    h.clock.set('2027-01-05T10:00:00Z');
    const result = await cycle();
    expect(result.requests[0]?.kind).toBe('error');
    expect(h.platform.status(ID)).toBe('pending');
  });
});
