import { afterEach, describe, expect, it } from 'vitest';
import { runCycle } from '../../../src/app/orders/process-cycle.js';
import { harness, PAYER, request, TEMPLATE, type Harness } from '../../support/orders-fakes.js';

const signal = new AbortController().signal;
const cycle = (h: Harness) => runCycle(h.deps, { signal });
let h: Harness;
afterEach(() => h?.close());

const order = (params: Record<string, string> = {}) =>
  request('PR-0001-0001-0001-001', 'purchase', { account_type: 'new', account_email: 'root@acme.example', account_name: 'Acme prod', support_level: 'business', ...params });

describe('purchase new', () => {
  it('creates the account, saves create_account_status_id at once and stays pending', async () => {
    h = harness([order()]);
    const result = await cycle(h);
    expect(result.requests[0]).toMatchObject({ kind: 'pending', step: 'create-account' });
    expect(h.org.count('createAccount')).toBe(1);
    expect(h.org.calls.find((c) => c.op === 'createAccount')?.args[0]).toEqual({ email: 'root@acme.example', name: 'Acme prod' });
    expect(h.platform.param('PR-0001-0001-0001-001', 'create_account_status_id')?.value).toBe('car-1');
    expect(h.platform.param('PR-0001-0001-0001-001', 'payer_account_id')?.value).toBe(PAYER);
    expect(h.platform.status('PR-0001-0001-0001-001')).toBe('pending');
  });

  it('stays pending while AWS is creating, then places the account in the customer OU and approves', async () => {
    h = harness([order()]);
    await cycle(h);
    const again = await cycle(h);
    expect(again.requests[0]).toMatchObject({ kind: 'pending', step: 'wait-create-account' });
    const accountId = h.org.completeCreation('car-1');
    const done = await cycle(h);
    expect(done.requests[0]).toMatchObject({ kind: 'approved', accountId });
    expect(h.platform.status('PR-0001-0001-0001-001')).toBe('approved');
    expect(h.platform.approvedWith.get('PR-0001-0001-0001-001')).toBe(TEMPLATE);
    expect(h.platform.param('PR-0001-0001-0001-001', 'aws_account_id')?.value).toBe(accountId);
    const [ouId, ou] = [...h.org.ous.entries()][0] ?? [];
    expect(ou).toEqual({ name: 'Acme Corp', parent: 'r-abcd' });
    expect(h.org.parents.get(accountId ?? '')).toBe(ouId);
    expect(h.org.count('createAccount')).toBe(1);
  });

  it('uses the customer company name when account_name is empty', async () => {
    h = harness([order({ account_name: '' })]);
    await cycle(h);
    expect(h.org.calls.find((c) => c.op === 'createAccount')?.args[0]).toEqual({ email: 'root@acme.example', name: 'Acme Corp' });
  });

  it('adopts an account of the same e-mail already in the organization, without CreateAccount', async () => {
    h = harness([order({ account_email: 'ROOT@Acme.example' })]);
    h.org.addAccount('123456789012', 'root@acme.example');
    const result = await cycle(h);
    expect(result.requests[0]).toMatchObject({ kind: 'approved', accountId: '123456789012' });
    expect(h.org.count('createAccount')).toBe(0);
    expect(h.platform.param('PR-0001-0001-0001-001', 'aws_account_id')?.value).toBe('123456789012');
  });

  it('after a crash where saving create_account_status_id failed, adopts the account by e-mail and never calls CreateAccount again', async () => {
    h = harness([order()]);
    h.platform.failNext('updateRequestParams');
    const first = await cycle(h);
    expect(first.requests[0]).toMatchObject({ kind: 'error' });
    expect(h.platform.param('PR-0001-0001-0001-001', 'create_account_status_id')).toBeUndefined();
    h.org.completeCreation('car-1');
    const second = await cycle(h);
    expect(second.requests[0]?.kind).toBe('approved');
    expect(h.org.count('createAccount')).toBe(1);
    expect(h.org.accounts.size).toBe(1);
  });

  it('reuses an existing OU of the customer name instead of creating a second', async () => {
    h = harness([order()]);
    h.org.ous.set('ou-abcd-existing1', { name: 'Acme Corp', parent: 'r-abcd' });
    h.org.addAccount('123456789012', 'root@acme.example');
    await cycle(h);
    expect(h.org.count('createOrganizationalUnit')).toBe(0);
    expect(h.org.parents.get('123456789012')).toBe('ou-abcd-existing1');
  });

  it('moves the account to organizationalUnitId when organizationalUnitEnabled is Yes', async () => {
    const r = request('PR-0001-0001-0001-001', 'purchase', { account_type: 'new', account_email: 'root@acme.example' }, { configuration: { payerAccountId: PAYER, organizationalUnitEnabled: 'Yes', organizationalUnitId: 'ou-abcd-12345678' } });
    h = harness([r]);
    h.org.addAccount('123456789012', 'root@acme.example');
    await cycle(h);
    expect(h.org.parents.get('123456789012')).toBe('ou-abcd-12345678');
    expect(h.org.count('createOrganizationalUnit')).toBe(0);
  });

  it('does not move an account that is already in its OU', async () => {
    h = harness([order()]);
    h.org.ous.set('ou-abcd-existing1', { name: 'Acme Corp', parent: 'r-abcd' });
    h.org.addAccount('123456789012', 'root@acme.example', 'ACTIVE', 'ou-abcd-existing1');
    await cycle(h);
    expect(h.org.count('moveAccount')).toBe(0);
  });

  it.each([
    ['EMAIL_ALREADY_EXISTS', 'an AWS account already uses this e-mail'],
    ['ACCOUNT_LIMIT_EXCEEDED', 'account limit'],
    ['INVALID_EMAIL', 'does not accept this e-mail'],
    ['INVALID_ADDRESS', 'address'],
    ['MISSING_PAYMENT_INSTRUMENT', 'payment method'],
    ['INTERNAL_FAILURE', 'internal failure'],
    ['SOMETHING_NEW', 'SOMETHING_NEW'],
  ])('fails the request on FailureReason %s with a sentence', async (reason, sentence) => {
    h = harness([order()]);
    await cycle(h);
    h.org.completeCreation('car-1', reason);
    const result = await cycle(h);
    expect(result.requests[0]).toMatchObject({ kind: 'failed' });
    expect(h.platform.failReasons.get('PR-0001-0001-0001-001')).toContain(sentence);
    expect(h.org.count('createAccount')).toBe(1);
  });

  it('retries CONCURRENT_ACCOUNT_MODIFICATION by creating again instead of failing', async () => {
    h = harness([order()]);
    await cycle(h);
    h.org.completeCreation('car-1', 'CONCURRENT_ACCOUNT_MODIFICATION');
    const result = await cycle(h);
    expect(result.requests[0]).toMatchObject({ kind: 'pending', step: 'create-account' });
    expect(h.org.count('createAccount')).toBe(2);
    expect(h.platform.param('PR-0001-0001-0001-001', 'create_account_status_id')?.value).toBe('car-2');
    expect(h.platform.status('PR-0001-0001-0001-001')).toBe('pending');
  });

  it('records a manual action when the ordered support level is not the payer default', async () => {
    h = harness([order({ support_level: 'enterprise' })]);
    h.org.addAccount('123456789012', 'root@acme.example');
    await cycle(h);
    const actions = h.deps.manualActions.list({ open: true });
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ kind: 'set-support-plan', accountId: '123456789012', payerAccountId: PAYER, detail: 'set support plan enterprise on account 123456789012 in the AWS console' });
    expect(h.platform.status('PR-0001-0001-0001-001')).toBe('approved');
  });

  it('records no manual action for the default level', async () => {
    h = harness([order({ support_level: '' })]);
    h.org.addAccount('123456789012', 'root@acme.example');
    await cycle(h);
    expect(h.deps.manualActions.list()).toHaveLength(0);
  });

  it('on AccessDeniedException reports a clear error and changes nothing', async () => {
    h = harness([order()]);
    h.org.failNext('listAccounts', 'AWS_ACCESS_DENIED');
    const result = await cycle(h);
    expect(result.requests[0]).toMatchObject({ kind: 'error', errorCode: 'AWS_ACCESS_DENIED' });
    expect(result.requests[0]?.message).toContain('AWS refused');
    expect(h.org.count('createAccount')).toBe(0);
    expect(h.platform.calls.filter((c) => c.op !== 'listPendingRequests' && c.op !== 'listPendingTierConfigRequests')).toHaveLength(0);
    expect(h.platform.status('PR-0001-0001-0001-001')).toBe('pending');
    expect(h.deps.journal.get('PR-0001-0001-0001-001')).toMatchObject({ outcome: 'error', attempts: 1 });
  });

  it('on TooManyRequestsException stays pending and succeeds on the next cycle', async () => {
    h = harness([order()]);
    h.org.failNext('createAccount', 'AWS_THROTTLED', 1, true);
    const first = await cycle(h);
    expect(first.requests[0]).toMatchObject({ kind: 'error', retryable: true });
    const second = await cycle(h);
    expect(second.requests[0]).toMatchObject({ kind: 'pending', step: 'create-account' });
    expect(h.org.statuses.size).toBe(1);
    expect(h.deps.journal.get('PR-0001-0001-0001-001')).toMatchObject({ attempts: 2, outcome: 'pending' });
    expect(h.deps.journal.get('PR-0001-0001-0001-001')?.lastError).toBeUndefined();
  });

  it('on ConcurrentModificationException while moving, retries the placement next cycle', async () => {
    h = harness([order()]);
    h.org.addAccount('123456789012', 'root@acme.example');
    h.org.failNext('moveAccount', 'AWS_CONCURRENT_MODIFICATION', 1, true);
    const first = await cycle(h);
    expect(first.requests[0]).toMatchObject({ kind: 'error', errorCode: 'AWS_CONCURRENT_MODIFICATION' });
    const second = await cycle(h);
    expect(second.requests[0]?.kind).toBe('approved');
    expect(h.org.count('createOrganizationalUnit')).toBe(1);
  });

  it('two requests of one e-mail in one cycle never create two accounts', async () => {
    const a = order();
    const b = { ...order(), id: 'PR-0001-0001-0001-002' };
    h = harness([a, b]);
    const first = await cycle(h);
    expect(first.requests.map((r) => r.step).sort()).toEqual(['create-account', 'wait-same-email']);
    expect(h.org.count('createAccount')).toBe(1);
  });
});

describe('purchase new: the organization is listed once per cycle', () => {
  it('looks up many new e-mails with one ListAccounts scan', async () => {
    const requests = Array.from({ length: 5 }, (_, i) => request(`PR-0001-0001-0001-10${i}`, 'purchase', { account_type: 'new', account_email: `root${i}@acme.example` }));
    h = harness(requests);
    await cycle(h);
    expect(h.org.count('listAccounts')).toBe(1);
    expect(h.org.count('createAccount')).toBe(5);
  });
});

describe('purchase new: a lost save while AWS is still creating', () => {
  it('waits for the creation of the same name instead of calling CreateAccount again, then adopts the account', async () => {
    h = harness([order()]);
    h.platform.failNext('updateRequestParams');
    await cycle(h);
    const waiting = await cycle(h);
    expect(waiting.requests[0]).toMatchObject({ kind: 'pending', step: 'wait-in-progress-creation' });
    expect(h.org.count('createAccount')).toBe(1);
    h.org.completeCreation('car-1');
    const done = await cycle(h);
    expect(done.requests[0]?.kind).toBe('approved');
    expect(h.org.count('createAccount')).toBe(1);
  });

  it('does not fail on EMAIL_ALREADY_EXISTS while a creation of the same name is still in progress', async () => {
    h = harness([order({ create_account_status_id: 'car-2' })]);
    h.org.statuses.set('car-1', { id: 'car-1', state: 'IN_PROGRESS', email: 'root@acme.example', name: 'Acme prod' });
    h.org.statuses.set('car-2', { id: 'car-2', state: 'FAILED', failureReason: 'EMAIL_ALREADY_EXISTS', email: 'root@acme.example', name: 'Acme prod' });
    const result = await cycle(h);
    expect(result.requests[0]).toMatchObject({ kind: 'pending', step: 'wait-in-progress-creation' });
    expect(h.platform.status('PR-0001-0001-0001-001')).toBe('pending');
    expect(h.org.count('createAccount')).toBe(0);
  });
});

describe('purchase new resumed from the platform\'s saved parameters', () => {
  it('finishes with a saved 12-digit aws_account_id', async () => {
    h = harness([order({ create_account_status_id: 'car-1', aws_account_id: '123456789012' })]);
    h.org.addAccount('123456789012', 'root@acme.example');
    const result = await cycle(h);
    expect(result.requests[0]).toMatchObject({ kind: 'approved', accountId: '123456789012' });
  });

  it('refuses a saved aws_account_id that is not 12 digits before any AWS call, naming it', async () => {
    h = harness([order({ create_account_status_id: 'car-1', aws_account_id: '12345678901/../x' })]);
    const result = await cycle(h);
    expect(result.requests[0]).toMatchObject({ kind: 'error', errorCode: 'CONFIG_INVALID', message: expect.stringContaining('parameter aws_account_id: account id "12345678901/../x" is not an AWS account id (12 digits)') });
    expect(h.org.calls.filter((c) => ['parentOf', 'moveAccount', 'createAccount'].includes(c.op))).toEqual([]);
    expect(h.platform.status('PR-0001-0001-0001-001')).toBe('pending');
  });
});
