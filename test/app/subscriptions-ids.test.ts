import { describe, expect, it } from 'vitest';
import { subscriptionsFor } from '../../src/app/subscriptions.js';

const asset = (accountId: string, extra: Record<string, string> = {}) => ({ assetId: `AS-${accountId.slice(0, 4)}`, accountId, supportLevel: 'business', status: 'active', ...extra });

describe('subscriptionsFor() and account ids', () => {
  it('refuses a billable subscription of the payer whose account id is not 12 digits, naming the asset and the value', () => {
    expect(() => subscriptionsFor([asset('123456789012'), asset('12-3456')], '111111111111', '2026-10')).toThrow(
      expect.objectContaining({ code: 'ASSETS_INVALID', message: 'subscription AS-12-3 of payer 111111111111: account id "12-3456" is not an AWS account id (12 digits)' }),
    );
  });

  it('does not judge the subscriptions of other payers, nor those not billed this month', () => {
    const map = subscriptionsFor(
      [asset('123456789012'), asset('bad', { payerAccountId: '999999999999' }), asset('also-bad', { status: 'terminated', billUntil: '2026-09-01' })],
      '111111111111',
      '2026-10',
    );
    expect([...map.keys()]).toEqual(['123456789012']);
  });
});
