import { describe, expect, it } from 'vitest';
import { accountNameFrom, checkPurchase } from '../../../src/domain/orders/order-params.js';

const lookup = (values: Record<string, string>) => (id: string) => values[id] ?? '';

describe('checkPurchase()', () => {
  it('defaults account_type to new, support_level to business and the name to the company name', () => {
    const checked = checkPurchase(lookup({ account_email: 'Root@Acme.EXAMPLE' }), 'Acme Corp');
    expect(checked).toEqual({ ok: true, order: { accountType: 'new', email: 'Root@acme.example', name: 'Acme Corp', supportLevel: 'business' } });
  });

  it('makes an AWS-acceptable name of a company name with accents and other scripts', () => {
    expect(accountNameFrom('Müller & Söhne GmbH')).toBe('Muller & Sohne GmbH');
    expect(accountNameFrom('東京 Trading  KK')).toBe('-- Trading KK');
    expect(accountNameFrom('x'.repeat(80))).toHaveLength(50);
  });

  it.each([
    ['an account name with accents', { account_email: 'a@b.example', account_name: 'Crème' }, 'account_name', 'plain ASCII'],
    ['an account name over 50 characters', { account_email: 'a@b.example', account_name: 'n'.repeat(51) }, 'account_name', 'at most 50'],
    ['an e-mail over 64 characters', { account_email: `${'a'.repeat(60)}@b.example` }, 'account_email', 'at most 64'],
    ['a support level in another case is accepted', { account_email: 'a@b.example', support_level: 'Enterprise' }, '', ''],
  ])('%s', (_name, params, param, text) => {
    const checked = checkPurchase(lookup(params), 'Acme');
    if (param === '') {
      expect(checked.ok).toBe(true);
      return;
    }
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.problems).toEqual([expect.objectContaining({ param, message: expect.stringContaining(text) })]);
  });
});
