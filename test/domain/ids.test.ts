import { describe, expect, it } from 'vitest';
import { accountId, isAccountId } from '../../src/domain/ids.js';
import { refusal as refusalOf } from '../support/refusal.js';

const origin = { where: 'the CUR of payer 111111111111 for 2026-10', code: 'CUR_INPUT' as const, location: { payer: '111111111111' } };

/** The ConnectorError `accountId()` throws for `value`. */
const refusal = (value: unknown) => refusalOf(() => accountId(value, origin), 'a refusal');

describe('isAccountId()', () => {
  it.each([
    ['123456789012', true],
    ['000000000001', true],
    ['12345678901', false],
    ['1234567890123', false],
    ['12345678901a', false],
    ['../../etc', false],
    ['123456789012\n', false],
    ['１２３４５６７８９０１２', false],
    ['', false],
  ])('%j → %s', (value, expected) => {
    expect(isAccountId(value)).toBe(expected);
  });

  it('is false for what is not a string', () => {
    expect(isAccountId(123456789012)).toBe(false);
    expect(isAccountId(undefined)).toBe(false);
  });
});

describe('accountId()', () => {
  it('returns a 12-digit id as it is', () => {
    expect(accountId('123456789012', origin)).toBe('123456789012');
  });

  it('refuses anything else with the origin\'s code, naming the value and where it came from', () => {
    const error = refusal('../../etc');
    expect(error.code).toBe('CUR_INPUT');
    expect(error.message).toBe('the CUR of payer 111111111111 for 2026-10: account id "../../etc" is not an AWS account id (12 digits)');
    expect(error.where).toEqual({ payer: '111111111111', value: '../../etc' });
  });

  it('quotes at most 40 characters of a long value', () => {
    const error = refusal('9'.repeat(500));
    expect(error.message).toContain(`"${'9'.repeat(40)}…"`);
    expect(error.message.length).toBeLessThan(200);
    expect(error.where.value).toHaveLength(40);
  });

  it('names a value that is not text', () => {
    expect(refusal(undefined).message).toContain('account id "undefined"');
  });
});
