import { afterEach, describe, expect, it } from 'vitest';
import { runCycle } from '../../../src/app/orders/process-cycle.js';
import type { TierConfigRequest } from '../../../src/app/orders/ports.js';
import { harness, request, type Harness } from '../../support/orders-fakes.js';

let h: Harness;
afterEach(() => h?.close());

const tcr = (params: Record<string, string>, id = 'TCR-1'): TierConfigRequest => ({
  id,
  type: 'setup',
  status: 'pending',
  productId: 'PRD-411-678-887',
  accountId: 'TA-9',
  tierLevel: 1,
  params: Object.entries(params).map(([pid, value]) => ({ id: pid, value, valueError: '' })),
});

describe('runCycle()', () => {
  it('handles tier configuration requests before fulfillment requests', async () => {
    h = harness([request('PR-1', 'suspend', {})], {}, [tcr({ customMarkup: '1.2', payerAccountId: '111111111111' })]);
    await runCycle(h.deps, { signal: new AbortController().signal });
    const ops = h.platform.calls.map((c) => c.op);
    expect(ops.indexOf('approveTierConfig')).toBeLessThan(ops.indexOf('listPendingRequests'));
    expect(h.platform.tcrs.get('TCR-1')?.status).toBe('approved');
    expect(h.platform.calls.find((c) => c.op === 'approveTierConfig')?.args).toEqual(['TCR-1', 'TL-999-999-999']);
  });

  it('fails a tier configuration with a bad markup, an unsafe table name and an unknown payer, naming each', async () => {
    h = harness([], {}, [tcr({ customMarkup: '1,2', table: 'cur; DROP TABLE x', payerAccountId: '222222222222', fxRate: '0.9' })]);
    const result = await runCycle(h.deps, { signal: new AbortController().signal });
    expect(result.tierConfigs[0]?.kind).toBe('failed');
    expect(h.platform.tcrs.get('TCR-1')?.status).toBe('failed');
    const reason = h.platform.calls.find((c) => c.op === 'failTierConfig');
    expect(reason).toBeDefined();
    const errors = Object.fromEntries(h.platform.tcrs.get('TCR-1')?.params.map((p) => [p.id, p.valueError]) ?? []);
    expect(errors.customMarkup).toContain('not a plain decimal');
    expect(errors.table).toContain('not an Athena table name');
    expect(errors.payerAccountId).toContain('not set up in this connector');
    expect(errors.fxRate).toBe('');
    expect(result.tierConfigs[0]?.message).toContain('table: "cur; DROP TABLE x" is not an Athena table name');
  });

  it("fails a tier configuration whose payer is not its organization's management account", async () => {
    h = harness([], {}, [tcr({ payerAccountId: '111111111111', payerRoleArn: 'arn:aws:iam::111111111111:role/Reader' })]);
    h.org.managementAccountId = '999999999999';
    const result = await runCycle(h.deps, { signal: new AbortController().signal });
    expect(result.tierConfigs[0]?.kind).toBe('failed');
    expect(result.tierConfigs[0]?.message).toContain('is not the management account of its AWS organization');
  });

  it('fails a tier configuration whose role cannot read the organization, naming the role', async () => {
    h = harness([], {}, [tcr({ payerAccountId: '111111111111', payerRoleArn: 'arn:aws:iam::111111111111:role/Reader' })]);
    h.org.failNext('describeOrganization', 'AWS_ACCESS_DENIED');
    const result = await runCycle(h.deps, { signal: new AbortController().signal });
    expect(result.tierConfigs[0]?.kind).toBe('failed');
    expect(h.platform.tcrs.get('TCR-1')?.params.find((p) => p.id === 'payerRoleArn')?.valueError).toContain('the role arn:aws:iam::111111111111:role/Reader cannot read the organization');
  });

  it('journals tier configuration requests too', async () => {
    h = harness([], {}, [tcr({ customMarkup: 'x' })]);
    await runCycle(h.deps, { signal: new AbortController().signal });
    expect(h.deps.journal.get('TCR-1')).toMatchObject({ step: 'tier-config/setup:validate', outcome: 'failed', attempts: 1 });
  });

  it('one failing request never stops the others', async () => {
    const requests = ['PR-1', 'PR-2', 'PR-3'].map((id) => request(id, 'cancel', { aws_account_id: '555555555555', account_closed_at: '2026-01-01' }));
    h = harness(requests);
    h.platform.failNext('approveRequest');
    const result = await runCycle(h.deps, { signal: new AbortController().signal });
    expect(result.requests.map((r) => r.kind).sort()).toEqual(['approved', 'approved', 'error']);
    expect([...h.platform.requests.values()].filter((r) => r.status === 'approved')).toHaveLength(2);
  });

  it('never has more than `concurrency` requests in hand', async () => {
    const requests = Array.from({ length: 12 }, (_, i) => request(`PR-${i}`, 'purchase', { account_type: 'import', aws_account_id: String(100000000000 + i) }));
    h = harness(requests, { concurrency: 3 });
    let inHand = 0;
    let most = 0;
    const original = h.org.describeAccount.bind(h.org);
    h.org.describeAccount = async (id) => {
      inHand += 1;
      most = Math.max(most, inHand);
      await new Promise((r) => setImmediate(r));
      inHand -= 1;
      return original(id);
    };
    const result = await runCycle(h.deps, { signal: new AbortController().signal });
    expect(result.requests).toHaveLength(12);
    expect(most).toBe(3);
  });

  it('after stopTaking, finishes the requests in hand and starts no new one', async () => {
    const requests = Array.from({ length: 6 }, (_, i) => request(`PR-${i}`, 'suspend', {}));
    h = harness(requests, { concurrency: 2 });
    const drain = new AbortController();
    const result = await runCycle(h.deps, {
      signal: new AbortController().signal,
      stopTaking: drain.signal,
      onResult: () => drain.abort(),
    });
    expect(result.requests).toHaveLength(2);
    expect(result.notStarted).toBe(4);
    expect([...h.platform.requests.values()].filter((r) => r.status === 'failed')).toHaveLength(2);
  });

  it('reports a list that cannot be read and still handles the other list', async () => {
    h = harness([request('PR-1', 'suspend', {})]);
    h.platform.failNext('listPendingTierConfigRequests');
    const result = await runCycle(h.deps, { signal: new AbortController().signal });
    expect(result.listErrors).toEqual([{ what: 'tier configuration requests', message: 'listPendingTierConfigRequests failed' }]);
    expect(result.requests).toHaveLength(1);
  });

  it('journals each pass: attempts, step and the last error', async () => {
    h = harness([request('PR-1', 'cancel', { aws_account_id: '555555555555' })]);
    h.org.failNext('describeAccount', 'AWS_ACCESS_DENIED');
    await runCycle(h.deps, { signal: new AbortController().signal });
    expect(h.deps.journal.get('PR-1')).toMatchObject({ attempts: 1, outcome: 'error', step: 'cancel:error' });
    h.org.addAccount('555555555555', 'a@b.example');
    await runCycle(h.deps, { signal: new AbortController().signal });
    expect(h.deps.journal.get('PR-1')).toMatchObject({ attempts: 2, outcome: 'pending', step: 'cancel:wait-closure' });
  });

  it('creates one OU for a customer with many requests in one cycle', async () => {
    const requests = Array.from({ length: 6 }, (_, i) => request(`PR-${i}`, 'purchase', { account_type: 'import', aws_account_id: String(100000000000 + i) }));
    h = harness(requests, { concurrency: 4 });
    requests.forEach((_, i) => h.org.addAccount(String(100000000000 + i), `m${i}@acme.example`));
    await runCycle(h.deps, { signal: new AbortController().signal });
    expect(h.org.count('createOrganizationalUnit')).toBe(1);
    const ou = [...h.org.ous.keys()][0];
    expect(requests.map((_, i) => h.org.parents.get(String(100000000000 + i)))).toEqual(Array(6).fill(ou));
  });
});
