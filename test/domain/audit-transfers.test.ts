/** The audit's billing-transfer rules (issue 13): the payer's inbound transfers against its subscriptions. */
import { describe, expect, it } from 'vitest';
import { auditPayer, type AuditInput, type AuditSubscription, type AuditTransfer } from '../../src/domain/audit.js';

const SOURCE = '777788889999';
const OTHER = '555566667777';
const member: AuditSubscription = { assetId: 'AS-1', accountId: '222222222222', supportLevel: 'business', status: 'active', deliveryModel: 'resold' };
const transferSub = (accountId = SOURCE, status = 'active'): AuditSubscription => ({ assetId: `AS-BT-${accountId}`, accountId, supportLevel: 'business', status, deliveryModel: 'resold', accountType: 'billing-transfer' });
const transfer = (over: Partial<AuditTransfer> = {}): AuditTransfer => ({
  id: 'rt-0001',
  status: 'ACCEPTED',
  sourceManagementAccountId: SOURCE,
  startTimestamp: '2026-12-01T00:00:00Z',
  requestedAt: '2026-11-20T10:00:00Z',
  ...over,
});

const base = (over: Partial<AuditInput> = {}): AuditInput => ({
  payerAccountId: '111111111111',
  payerPlan: 'business',
  deliveryModel: 'resold',
  providerDomains: ['reseller.example'],
  members: [
    { accountId: '111111111111', email: 'payer@reseller.example', state: 'ACTIVE' },
    { accountId: '222222222222', email: 'a@customer.example', state: 'ACTIVE', detectedPlan: 'business' },
  ],
  subscriptions: [member, transferSub()],
  usageUsd: new Map([['222222222222', '10']]),
  invitations: [],
  today: '2026-11-26',
  transfers: [transfer()],
  ...over,
});
const find = (input: AuditInput, rule: string) => auditPayer(input).find((f) => f.rule === rule);

describe('auditPayer(): billing transfers', () => {
  it('finds nothing for an accepted transfer billed by its subscription (the source account is no member, and no "account left")', () => {
    expect(auditPayer(base())).toEqual([]);
  });

  it('without a list of transfers, a billing-transfer subscription raises no finding', () => {
    const { transfers: _t, ...withoutTransfers } = base();
    expect(auditPayer(withoutTransfers)).toEqual([]);
  });

  it('warns of an invitation waiting longer than inviteStaleDays, naming the transfer and when it was sent', () => {
    const input = base({ transfers: [transfer({ status: 'REQUESTED', requestedAt: '2026-11-18T09:00:00Z' })], inviteStaleDays: 7 });
    const found = find(input, 'transfer-stale');
    expect(found?.severity).toBe('warning');
    expect(found?.accounts).toEqual([SOURCE]);
    expect(found?.message).toContain('rt-0001 to 777788889999 (sent 2026-11-18, start 2026-12-01)');
    expect(find(base({ transfers: [transfer({ status: 'REQUESTED', requestedAt: '2026-11-20T09:00:00Z' })], inviteStaleDays: 7 }), 'transfer-stale')).toBeUndefined();
  });

  it('never calls an invitation without a date stale', () => {
    const { requestedAt: _r, ...undated } = transfer({ status: 'REQUESTED' });
    expect(find(base({ transfers: [undated], inviteStaleDays: 0 }), 'transfer-stale')?.message).toContain('sent 2026-11-26');
    expect(find(base({ transfers: [undated], inviteStaleDays: 1 }), 'transfer-stale')).toBeUndefined();
  });

  it('reports declined and expired transfers, not cancelled or withdrawn ones', () => {
    const input = base({
      transfers: [transfer(), transfer({ id: 'rt-d', status: 'DECLINED', sourceManagementAccountId: OTHER }), transfer({ id: 'rt-e', status: 'EXPIRED', sourceManagementAccountId: '999988887777' }), transfer({ id: 'rt-c', status: 'CANCELED', sourceManagementAccountId: '123412341234' })],
    });
    const found = find(input, 'transfer-ended');
    expect(found?.accounts).toEqual([OTHER, '999988887777']);
    expect(found?.message).toContain('rt-d to 555566667777 DECLINED');
    expect(found?.message).toContain('rt-e to 999988887777 EXPIRED');
  });

  it('an accepted transfer no subscription bills is an error', () => {
    const found = find(base({ subscriptions: [member] }), 'transfer-without-subscription');
    expect(found?.severity).toBe('error');
    expect(found?.accounts).toEqual([SOURCE]);
    // A terminated subscription bills no longer.
    expect(find(base({ subscriptions: [member, transferSub(SOURCE, 'terminated')] }), 'transfer-without-subscription')?.accounts).toEqual([SOURCE]);
  });

  it('a billing-transfer subscription without a live transfer is an error; a withdrawn transfer still runs to its end', () => {
    const found = find(base({ subscriptions: [member, transferSub(), transferSub(OTHER)] }), 'subscription-without-transfer');
    expect(found?.severity).toBe('error');
    expect(found?.accounts).toEqual([OTHER]);
    expect(found?.message).toContain(`AS-BT-${OTHER} (${OTHER})`);
    expect(find(base({ transfers: [transfer({ status: 'DECLINED' })] }), 'subscription-without-transfer')?.accounts).toEqual([SOURCE]);
    expect(find(base({ transfers: [transfer({ status: 'WITHDRAWN' })] }), 'subscription-without-transfer')).toBeUndefined();
    expect(find(base({ transfers: [transfer({ status: 'WITHDRAWN', endTimestamp: '2026-11-30T23:59:59Z' })] }), 'subscription-without-transfer')).toBeUndefined();
    expect(find(base({ transfers: [transfer({ status: 'WITHDRAWN', endTimestamp: '2026-10-31T23:59:59Z' })] }), 'subscription-without-transfer')?.accounts).toEqual([SOURCE]);
  });

  it('an ordinary subscription of an account outside the organization is still "account left"', () => {
    const stray: AuditSubscription = { ...transferSub(OTHER), accountType: 'existing' };
    expect(find(base({ subscriptions: [member, transferSub(), stray] }), 'subscription-account-left')?.accounts).toEqual([OTHER]);
  });
});
