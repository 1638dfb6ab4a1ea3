import { describe, expect, it } from 'vitest';
import { isBillable, subscriptionsFor } from '../../src/app/subscriptions.js';

const asset = (over: Record<string, string>) => ({ assetId: 'AS-1', accountId: '222222222222', supportLevel: '', status: 'active', ...over });

describe('isBillable() RATING.md §6', () => {
  it.each([
    [{ status: 'active' }, true],
    [{ status: 'terminating' }, true],
    [{ status: 'terminated' }, false],
    [{ status: 'terminated', billUntil: '2026-10-01' }, true], // countdown ends on the period's first day
    [{ status: 'terminated', billUntil: '2026-09-30' }, false],
    [{ status: 'draft' }, false],
  ])('%j bills 2026-10: %s', (over, expected) => {
    expect(isBillable(asset(over), '2026-10')).toBe(expected);
  });
});

describe('subscriptionsFor()', () => {
  it('keeps the assets of the payer and those with no payer', () => {
    const map = subscriptionsFor(
      [asset({ assetId: 'AS-1', payerAccountId: '111111111111' }), asset({ assetId: 'AS-2', accountId: '333333333333', payerAccountId: '999999999999' }), asset({ assetId: 'AS-3', accountId: '444444444444' })],
      '111111111111',
      '2026-10',
    );
    expect([...map.values()].map((s) => s.assetId)).toEqual(['AS-1', 'AS-3']);
  });

  it('refuses two billable subscriptions for one account', () => {
    expect(() => subscriptionsFor([asset({ assetId: 'AS-1' }), asset({ assetId: 'AS-2' })], '111111111111', '2026-10')).toThrow('two billable subscriptions: AS-1 and AS-2');
  });
});
