import { describe, expect, it } from 'vitest';
import type { PlatformAsset } from '../../../src/app/usage/month-platform.js';
import { assetsToSubscriptions, marketplacesOf, payerOfAsset } from '../../../src/app/usage/platform-assets.js';
import { isBillable, subscriptionsFor } from '../../../src/app/subscriptions.js';

const NOW = new Date('2026-11-26T10:00:00Z');

function asset(id: string, status: string, params: Record<string, string>, extra: Partial<PlatformAsset> = {}): PlatformAsset {
  return {
    id,
    status,
    productId: 'PRD-411-678-887',
    marketplaceId: 'MP-48301',
    customer: { id: 'TA-1', name: 'Acme' },
    params: Object.entries(params).map(([pid, value]) => ({ id: pid, value, valueError: '' })),
    ...extra,
  };
}

describe('assetsToSubscriptions()', () => {
  it('maps an active asset to its account, support level and saved payer', () => {
    const { assets, problems } = assetsToSubscriptions(
      [asset('AS-1', 'active', { aws_account_id: '111111111111', support_level: 'developer', payer_account_id: '999999999999' })],
      NOW,
    );
    expect(problems).toEqual([]);
    expect(assets).toEqual([{ assetId: 'AS-1', accountId: '111111111111', supportLevel: 'developer', status: 'active', payerAccountId: '999999999999', customer: 'Acme' }]);
  });

  it('defaults the support level to business and leaves the payer open when none is saved', () => {
    const { assets } = assetsToSubscriptions([asset('AS-1', 'active', { aws_account_id: ' 111111111111 ', support_level: '' })], NOW);
    expect(assets).toEqual([{ assetId: 'AS-1', accountId: '111111111111', supportLevel: 'business', status: 'active', customer: 'Acme' }]);
  });

  it("names the customer from the asset's tiers.customer.name, trimmed, and leaves it out when the platform gives none", () => {
    const { assets } = assetsToSubscriptions(
      [
        asset('AS-1', 'active', { aws_account_id: '111111111111' }, { customer: { id: 'TA-1', name: '  Globex & Sons ' } }),
        asset('AS-2', 'active', { aws_account_id: '222222222222' }, { customer: { id: 'TA-2', name: '' } }),
      ],
      NOW,
    );
    expect(assets.map((a) => [a.assetId, a.customer])).toEqual([
      ['AS-1', 'Globex & Sons'],
      ['AS-2', undefined],
    ]);
    expect('customer' in assets[1]!).toBe(false);
    expect(subscriptionsFor(assets, '999999999999', '2026-10').get('111111111111')?.customerName).toBe('Globex & Sons');
  });

  it('bills a suspended asset like an active one (AWS cannot suspend an account)', () => {
    const { assets } = assetsToSubscriptions([asset('AS-1', 'suspended', { aws_account_id: '111111111111' })], NOW);
    expect(assets[0]?.status).toBe('active');
    expect(isBillable(assets[0]!, '2026-10')).toBe(true);
  });

  it('bills a terminating asset (a cancel in its countdown) without an end', () => {
    const { assets } = assetsToSubscriptions([asset('AS-1', 'terminating', { aws_account_id: '111111111111', account_closed_at: '2026-11-01' })], NOW);
    expect(assets).toEqual([{ assetId: 'AS-1', accountId: '111111111111', supportLevel: 'business', status: 'terminating', customer: 'Acme' }]);
  });

  it('bills a terminated asset through account_closed_at + 60 days', () => {
    const { assets, problems } = assetsToSubscriptions([asset('AS-1', 'terminated', { aws_account_id: '111111111111', account_closed_at: '2026-09-20' })], NOW);
    expect(problems).toEqual([]);
    expect(assets).toEqual([{ assetId: 'AS-1', accountId: '111111111111', supportLevel: 'business', status: 'terminated', billUntil: '2026-11-19', customer: 'Acme' }]);
  });

  it.each([
    ['within the countdown', '2026-10-15', '2026-11', true],
    ['in the month the countdown ends', '2026-09-20', '2026-11', true],
    ['after the countdown', '2026-08-01', '2026-11', false],
  ])('a terminated asset closed on %s: billable is %s', (_when, closedAt, period, billable) => {
    const { assets } = assetsToSubscriptions([asset('AS-1', 'terminated', { aws_account_id: '111111111111', account_closed_at: closedAt })], NOW);
    expect(isBillable(assets[0]!, period)).toBe(billable);
  });

  it('accepts an ISO timestamp as account_closed_at', () => {
    const { assets } = assetsToSubscriptions([asset('AS-1', 'terminated', { aws_account_id: '111111111111', account_closed_at: '2026-09-20T08:00:00Z' })], NOW);
    expect(assets[0]?.billUntil).toBe('2026-11-19');
  });

  it('does not bill a terminated asset without account_closed_at, and says why', () => {
    const { assets, problems } = assetsToSubscriptions([asset('AS-1', 'terminated', { aws_account_id: '111111111111' })], NOW);
    expect(assets).toEqual([]);
    expect(problems).toEqual([{ assetId: 'AS-1', message: expect.stringContaining('terminated without account_closed_at') }]);
  });

  it('does not bill a terminated asset whose account_closed_at is not a date', () => {
    const { assets, problems } = assetsToSubscriptions([asset('AS-1', 'terminated', { aws_account_id: '111111111111', account_closed_at: '2026-02-30' })], NOW);
    expect(assets).toEqual([]);
    expect(problems[0]?.message).toContain('"2026-02-30" is not a date');
  });

  it('reports an account_closed_at after today but still bills through its countdown', () => {
    const { assets, problems } = assetsToSubscriptions([asset('AS-1', 'terminated', { aws_account_id: '111111111111', account_closed_at: '2026-12-01' })], NOW);
    expect(assets[0]?.billUntil).toBe('2027-01-30');
    expect(problems[0]?.message).toContain('after today (2026-11-26)');
  });

  it.each([
    ['missing', {}, 'no aws_account_id'],
    ['empty', { aws_account_id: '' }, 'no aws_account_id'],
    ['too short', { aws_account_id: '12345' }, '"12345" is not 12 digits'],
    ['not digits', { aws_account_id: '12345678901x' }, 'is not 12 digits'],
  ])('skips and reports an asset whose aws_account_id is %s', (_what, params, message) => {
    const { assets, problems } = assetsToSubscriptions([asset('AS-9', 'active', params), asset('AS-2', 'active', { aws_account_id: '222222222222' })], NOW);
    expect(assets.map((a) => a.assetId)).toEqual(['AS-2']);
    expect(problems).toEqual([{ assetId: 'AS-9', message: expect.stringContaining(message) }]);
  });

  it('skips without a problem a terminated asset that never had an account (a failed purchase)', () => {
    const { assets, problems } = assetsToSubscriptions([asset('AS-1', 'terminated', {}), asset('AS-2', 'terminated', { aws_account_id: '' })], NOW);
    expect(assets).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('skips assets that are not subscriptions yet without a problem', () => {
    const { assets, problems } = assetsToSubscriptions([asset('AS-1', 'processing', {}), asset('AS-2', 'rejected', {})], NOW);
    expect(assets).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('ignores a malformed payer_account_id, says so, and falls back to the reseller or default payer', () => {
    const assets = [asset('AS-1', 'active', { aws_account_id: '111111111111', payer_account_id: '42' })];
    const plain = assetsToSubscriptions(assets, NOW);
    expect(plain.assets[0]?.payerAccountId).toBeUndefined();
    expect(plain.problems[0]?.message).toContain('payer_account_id "42" is not 12 digits');
    const resolved = assetsToSubscriptions(assets, NOW, { resellerPayers: new Map(), defaultPayer: '333333333333' });
    expect(resolved.assets[0]?.payerAccountId).toBe('333333333333');
  });

  it('gives each asset its payer when payer sources are given, so a payer bills only its own accounts', () => {
    const { assets } = assetsToSubscriptions(
      [
        asset('AS-1', 'active', { aws_account_id: '111111111111' }, { tier1: { id: 'TA-R', name: 'Reseller' } }),
        asset('AS-2', 'active', { aws_account_id: '222222222222' }),
      ],
      NOW,
      { resellerPayers: new Map([['TA-R', '444444444444']]), defaultPayer: '333333333333' },
    );
    expect(assets.map((a) => [a.assetId, a.payerAccountId])).toEqual([
      ['AS-1', '444444444444'],
      ['AS-2', '333333333333'],
    ]);
    expect([...subscriptionsFor(assets, '444444444444', '2026-11').keys()]).toEqual(['111111111111']);
  });
});

describe('payerOfAsset()', () => {
  const resellers = new Map([['TA-R', '444444444444']]);
  const withReseller = (params: Record<string, string>) => asset('AS-1', 'active', params, { tier1: { id: 'TA-R', name: 'Reseller' } });

  it('prefers the payer saved on the asset', () => {
    expect(payerOfAsset(withReseller({ payer_account_id: '999999999999' }), resellers, '333333333333')).toBe('999999999999');
  });

  it('uses the reseller payer when none is saved', () => {
    expect(payerOfAsset(withReseller({ payer_account_id: '' }), resellers, '333333333333')).toBe('444444444444');
  });

  it('uses the marketplace default when the reseller has no payer of its own', () => {
    expect(payerOfAsset(asset('AS-1', 'active', {}, { tier1: { id: 'TA-OTHER', name: 'Other' } }), resellers, '333333333333')).toBe('333333333333');
  });

  it('is undefined when nothing names a payer', () => {
    expect(payerOfAsset(asset('AS-1', 'active', {}), new Map())).toBeUndefined();
  });
});

describe('marketplacesOf()', () => {
  it('lists the marketplaces the assets use, once each, optionally of one product', () => {
    const assets = [
      asset('AS-1', 'active', {}),
      asset('AS-2', 'active', {}, { marketplaceId: 'MP-2' }),
      asset('AS-3', 'active', {}),
      asset('AS-4', 'active', {}, { productId: 'PRD-2', marketplaceId: 'MP-3' }),
    ];
    expect(marketplacesOf(assets)).toEqual(['MP-48301', 'MP-2', 'MP-3']);
    expect(marketplacesOf(assets, 'PRD-2')).toEqual(['MP-3']);
  });
});
