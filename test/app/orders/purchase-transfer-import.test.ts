import { afterEach, describe, expect, it } from 'vitest';
import { runCycle } from '../../../src/app/orders/process-cycle.js';
import { ConnectorError } from '../../../src/domain/errors.js';
import { harness, request, type Harness } from '../../support/orders-fakes.js';

const signal = new AbortController().signal;
const cycle = (h: Harness) => runCycle(h.deps, { signal });
const ID = 'PR-0002-0002-0002-001';
let h: Harness;
afterEach(() => h?.close());

const transfer = (accountId = '222222222222') => request(ID, 'purchase', { account_type: 'transfer', aws_account_id: accountId, support_level: 'business' });
const importing = (accountId = '333333333333') => request(ID, 'purchase', { account_type: 'import', aws_account_id: accountId });

describe('purchase transfer', () => {
  it('invites the account, saves handshake_id, leaves one note and an invitation manual action, and stays pending', async () => {
    h = harness([transfer()]);
    const first = await cycle(h);
    expect(first.requests[0]).toMatchObject({ kind: 'pending', step: 'invite' });
    expect(h.org.calls.find((c) => c.op === 'inviteAccount')?.args).toEqual(['222222222222']);
    expect(h.platform.param(ID, 'handshake_id')?.value).toBe('h-1');
    expect(h.platform.notes.get(ID)).toHaveLength(1);
    expect(h.platform.notes.get(ID)?.[0]).toContain('must accept the invitation in the AWS console');
    expect(h.deps.manualActions.list({ open: true })).toMatchObject([{ kind: 'accept-invitation', accountId: '222222222222' }]);
  });

  it.each(['OPEN', 'REQUESTED'] as const)('stays pending while the handshake is %s, without a second invitation or note', async (state) => {
    h = harness([transfer()]);
    await cycle(h);
    h.org.answer('h-1', state);
    const again = await cycle(h);
    expect(again.requests[0]).toMatchObject({ kind: 'pending', step: 'wait-handshake' });
    expect(h.org.count('inviteAccount')).toBe(1);
    expect(h.platform.notes.get(ID)).toHaveLength(1);
  });

  it('places and approves once ACCEPTED, and closes the invitation manual action', async () => {
    h = harness([transfer()]);
    await cycle(h);
    h.org.answer('h-1', 'ACCEPTED');
    const done = await cycle(h);
    expect(done.requests[0]).toMatchObject({ kind: 'approved', accountId: '222222222222' });
    expect(h.platform.param(ID, 'aws_account_id')?.value).toBe('222222222222');
    const ou = [...h.org.ous.keys()][0];
    expect(h.org.parents.get('222222222222')).toBe(ou);
    expect(h.deps.manualActions.list({ open: true })).toHaveLength(0);
  });

  it.each([
    ['DECLINED', 'declined'],
    ['CANCELED', 'canceled'],
    ['EXPIRED', 'expired'],
  ] as const)('fails when the handshake is %s, saying which', async (state, word) => {
    h = harness([transfer()]);
    await cycle(h);
    h.org.answer('h-1', state);
    const done = await cycle(h);
    expect(done.requests[0]?.kind).toBe('failed');
    expect(h.platform.failReasons.get(ID)).toContain(word);
  });

  it('after a lost save of handshake_id, adopts the open invitation and never sends a second', async () => {
    h = harness([transfer()]);
    h.platform.failNext('updateRequestParams');
    const first = await cycle(h);
    expect(first.requests[0]?.kind).toBe('error');
    const second = await cycle(h);
    expect(second.requests[0]).toMatchObject({ kind: 'pending', step: 'invite' });
    expect(second.requests[0]?.message).toContain('found invitation h-1 already sent');
    expect(h.org.count('inviteAccount')).toBe(1);
    expect(h.platform.param(ID, 'handshake_id')?.value).toBe('h-1');
  });

  it('inquires when the account is already in the organization: order it as import', async () => {
    h = harness([transfer()]);
    h.org.addAccount('222222222222', 'x@y.example');
    const done = await cycle(h);
    expect(done.requests[0]?.kind).toBe('inquiring');
    expect(h.platform.param(ID, 'aws_account_id')?.valueError).toBe('this account is already in the organization: order it as import');
    expect(h.org.count('inviteAccount')).toBe(0);
  });
});

describe('purchase import', () => {
  it('approves an account of the organization without manual steps, placing it', async () => {
    h = harness([importing()]);
    h.org.addAccount('333333333333', 'x@y.example');
    const done = await cycle(h);
    expect(done.requests[0]).toMatchObject({ kind: 'approved', accountId: '333333333333' });
    expect(h.deps.manualActions.list()).toHaveLength(0);
    expect(h.platform.notes.get(ID)).toBeUndefined();
    expect(h.platform.param(ID, 'payer_account_id')?.value).toBe('111111111111');
  });

  it('inquires when the account is not in the organization: order it as transfer', async () => {
    h = harness([importing()]);
    const done = await cycle(h);
    expect(done.requests[0]?.kind).toBe('inquiring');
    expect(h.platform.param(ID, 'aws_account_id')?.valueError).toBe('this account is not in the organization: order it as transfer');
  });
});

describe('purchase transfer: AWS refuses the invitation', () => {
  it.each([
    ['ALREADY_IN_AN_ORGANIZATION', 'belongs to another AWS organization'],
    ['INVALID_PARTY_TYPE_TARGET', 'check the account id'],
  ])('inquires on %s with a sentence the reseller can act on', async (reason, text) => {
    h = harness([transfer()]);
    h.org.faults.set('inviteAccount', [new ConnectorError('AWS_CONSTRAINT', 'AWS refused', { where: { value: reason } })]);
    const done = await cycle(h);
    expect(done.requests[0]?.kind).toBe('inquiring');
    expect(h.platform.param(ID, 'aws_account_id')?.valueError).toContain(text);
  });

  it('keeps a limit of the payer organization as an error for the operator', async () => {
    h = harness([transfer()]);
    h.org.faults.set('inviteAccount', [new ConnectorError('AWS_CONSTRAINT', 'AWS refused', { where: { value: 'ACCOUNT_NUMBER_LIMIT_EXCEEDED' } })]);
    const done = await cycle(h);
    expect(done.requests[0]).toMatchObject({ kind: 'error', errorCode: 'AWS_CONSTRAINT' });
    expect(h.platform.status(ID)).toBe('pending');
  });
});
