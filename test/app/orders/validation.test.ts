import { afterEach, describe, expect, it } from 'vitest';
import { runCycle } from '../../../src/app/orders/process-cycle.js';
import { harness, payer, request, type Harness } from '../../support/orders-fakes.js';

const signal = new AbortController().signal;
const cycle = (h: Harness) => runCycle(h.deps, { signal });
const ID = 'PR-0003-0003-0003-001';
let h: Harness;
afterEach(() => h?.close());

describe('purchase validation: bad input goes to inquiring with value_error on the right parameter', () => {
  it.each([
    ['a missing e-mail', { account_type: 'new', account_email: '' }, 'account_email', 'required'],
    ['a bad e-mail', { account_type: 'new', account_email: 'not-an-email' }, 'account_email', 'is not an e-mail address'],
    ['an 11-digit account id', { account_type: 'transfer', aws_account_id: '12345678901' }, 'aws_account_id', 'exactly 12 digits'],
    ['a missing account id for import', { account_type: 'import', aws_account_id: '' }, 'aws_account_id', 'required'],
    ['an unknown support_level', { account_type: 'new', account_email: 'a@b.example', support_level: 'platinum' }, 'support_level', 'is not a support level'],
    ['an unknown account_type', { account_type: 'move', account_email: 'a@b.example' }, 'account_type', 'new, transfer, import or billing-transfer'],
  ])('%s', async (_name, params, param, text) => {
    h = harness([request(ID, 'purchase', params)]);
    const done = await cycle(h);
    expect(done.requests[0]?.kind).toBe('inquiring');
    expect(h.platform.status(ID)).toBe('inquiring');
    expect(h.platform.param(ID, param)?.valueError).toContain(text);
    expect(h.org.calls).toHaveLength(0);
  });

  it('reports every bad parameter at once', async () => {
    h = harness([request(ID, 'purchase', { account_type: 'new', account_email: 'nope', support_level: 'gold' })]);
    await cycle(h);
    expect(h.platform.param(ID, 'account_email')?.valueError).not.toBe('');
    expect(h.platform.param(ID, 'support_level')?.valueError).not.toBe('');
  });

  it('clears value_error once the reseller fixed the value', async () => {
    h = harness([request(ID, 'purchase', { account_type: 'new', account_email: 'nope' })]);
    await cycle(h);
    const r = h.platform.requests.get(ID);
    if (!r) throw new Error('missing');
    r.status = 'pending';
    const email = r.asset.params.find((p) => p.id === 'account_email');
    if (email) email.value = 'root@acme.example';
    const done = await cycle(h);
    expect(done.requests[0]).toMatchObject({ kind: 'pending', step: 'create-account' });
    expect(h.platform.param(ID, 'account_email')?.valueError).toBe('');
  });

  it('refuses, under the spam model, an e-mail outside the provider domains', async () => {
    h = harness([request(ID, 'purchase', { account_type: 'new', account_email: 'root@customer.example' })], { payers: [payer({ accountModel: 'spam', providerDomains: ['reseller.example'] })] });
    await cycle(h);
    expect(h.platform.param(ID, 'account_email')?.valueError).toContain('must be on reseller.example');
  });

  it('refuses, under the ecam model, an e-mail on the provider domain (subdomains too)', async () => {
    h = harness([request(ID, 'purchase', { account_type: 'new', account_email: 'root@aws.reseller.example' })], { payers: [payer({ accountModel: 'ecam', providerDomains: ['reseller.example'] })] });
    await cycle(h);
    expect(h.platform.param(ID, 'account_email')?.valueError).toContain("customer's own domain");
  });

  it('leaves a request of an unconfigured payer pending with an error naming the payer', async () => {
    h = harness([request(ID, 'purchase', { account_type: 'new', account_email: 'a@b.example' }, { configuration: { payerAccountId: '999999999999' } })]);
    const done = await cycle(h);
    expect(done.requests[0]).toMatchObject({ kind: 'error', errorCode: 'CONFIG_INVALID' });
    expect(done.requests[0]?.message).toContain('999999999999');
    expect(h.platform.status(ID)).toBe('pending');
  });
});
