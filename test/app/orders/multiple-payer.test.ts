import { afterEach, describe, expect, it } from 'vitest';
import { runCycle } from '../../../src/app/orders/process-cycle.js';
import { harness, payer, PRODUCT, request, type Harness } from '../../support/orders-fakes.js';

const signal = new AbortController().signal;
const cycle = (h: Harness) => runCycle(h.deps, { signal });
const ID = 'PR-0006-0006-0006-001';
const OTHER = '222222222222';
let h: Harness;
afterEach(() => h?.close());

const multi = (params: Record<string, string> = {}) => {
  const r = request(ID, 'purchase', { account_type: 'new', account_email: 'root@acme.example', ...params }, { configuration: { enableMultiplePayer: 'Yes', payerAccountId: '111111111111', organizationalUnitEnabled: 'No' } });
  r.asset.tier1 = { id: 'TA-9', name: 'Northwind Reseller' };
  return r;
};
const settings = (values: Record<string, string>) => Object.entries(values).map(([id, value]) => ({ id, value, valueError: '' }));

describe('enableMultiplePayer: each reseller has its own payer', () => {
  it("creates the account in the reseller's payer, from its approved tier configuration, and saves that payer", async () => {
    h = harness([multi()], { payers: [payer(), payer({ accountId: OTHER })] });
    h.platform.tierConfigs.set(`TA-9/${PRODUCT}`, settings({ payerAccountId: OTHER }));
    await cycle(h);
    expect(h.orgs.of(OTHER).count('createAccount')).toBe(1);
    expect(h.orgs.of('111111111111').count('createAccount')).toBe(0);
    expect(h.platform.param(ID, 'payer_account_id')?.value).toBe(OTHER);
  });

  it("uses the reseller's own OU settings over the marketplace's", async () => {
    h = harness([multi()], { payers: [payer(), payer({ accountId: OTHER })] });
    h.platform.tierConfigs.set(`TA-9/${PRODUCT}`, settings({ payerAccountId: OTHER, organizationalUnitEnabled: 'Yes', organizationalUnitId: 'ou-abcd-87654321' }));
    h.orgs.of(OTHER).addAccount('333333333333', 'root@acme.example');
    await cycle(h);
    expect(h.orgs.of(OTHER).parents.get('333333333333')).toBe('ou-abcd-87654321');
  });

  it('never guesses: a reseller without an approved payerAccountId is an error and nothing happens in AWS', async () => {
    const r = multi();
    r.asset.configuration = r.asset.configuration.filter((p) => p.id !== 'payerAccountId');
    h = harness([r], { payers: [payer(), payer({ accountId: OTHER })] });
    const done = await cycle(h);
    expect(done.requests[0]).toMatchObject({ kind: 'error', errorCode: 'CONFIG_INVALID' });
    expect(done.requests[0]?.message).toContain('reseller TA-9 has no approved payerAccountId');
    expect(h.org.calls).toHaveLength(0);
    expect(h.orgs.orgs.has(OTHER)).toBe(false);
  });

  it('keeps a request on the payer saved on it, whatever the reseller settings say now', async () => {
    h = harness([multi({ payer_account_id: '111111111111' })], { payers: [payer(), payer({ accountId: OTHER })] });
    h.platform.tierConfigs.set(`TA-9/${PRODUCT}`, settings({ payerAccountId: OTHER }));
    await cycle(h);
    expect(h.orgs.of('111111111111').count('createAccount')).toBe(1);
    expect(h.orgs.of(OTHER).count('createAccount')).toBe(0);
  });

  it('reads the settings of one reseller once per cycle', async () => {
    const a = multi();
    const b = { ...multi({ account_email: 'two@acme.example' }), id: 'PR-0006-0006-0006-002' };
    h = harness([a, b], { payers: [payer(), payer({ accountId: OTHER })] });
    h.platform.tierConfigs.set(`TA-9/${PRODUCT}`, settings({ payerAccountId: OTHER }));
    await cycle(h);
    expect(h.platform.calls.filter((c) => c.op === 'getTierConfigParams')).toHaveLength(1);
  });
});
