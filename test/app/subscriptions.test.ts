import { describe, expect, it } from 'vitest';
import { isBillable, subscriptionsFor } from '../../src/app/subscriptions.js';
import { assetsSchema } from '../../src/config/schema.js';

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

  it("carries the asset's customer name as customerName, trimmed, and none for a missing or blank name", () => {
    const map = subscriptionsFor(
      [asset({ assetId: 'AS-1', customer: ' Acme Corp ' }), asset({ assetId: 'AS-2', accountId: '333333333333', customer: '  ' }), asset({ assetId: 'AS-3', accountId: '444444444444' })],
      '111111111111',
      '2026-10',
    );
    expect([...map.values()]).toEqual([
      { assetId: 'AS-1', accountId: '222222222222', supportLevel: '', customerName: 'Acme Corp' },
      { assetId: 'AS-2', accountId: '333333333333', supportLevel: '' },
      { assetId: 'AS-3', accountId: '444444444444', supportLevel: '' },
    ]);
  });

  it('refuses two billable subscriptions for one account', () => {
    expect(() => subscriptionsFor([asset({ assetId: 'AS-1' }), asset({ assetId: 'AS-2' })], '111111111111', '2026-10')).toThrow('two billable subscriptions: AS-1 and AS-2');
  });
});

describe("the assets file's customer field", () => {
  it('names the customer of the subscription it parses to', () => {
    const assets = assetsSchema.parse([{ assetId: 'AS-1', accountId: '222222222222', status: 'active', customer: 'Initech GmbH' }]);
    expect(subscriptionsFor(assets, '111111111111', '2026-10').get('222222222222')?.customerName).toBe('Initech GmbH');
  });

  it('refuses an empty name, naming the field', () => {
    const parsed = assetsSchema.safeParse([{ assetId: 'AS-1', accountId: '222222222222', status: 'active', customer: ' ' }]);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['0.customer', 'must not be empty']]);
  });
});
