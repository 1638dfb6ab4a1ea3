import { describe, expect, it } from 'vitest';
import { Money, MoneySum, isDecimalText, parseDecimal } from '../../src/domain/money.js';

describe('MoneySum', () => {
  it('adds engine text (12 decimals), short text, exponents and empty cells exactly', () => {
    const s = new MoneySum();
    for (const t of ['0.100000000000', '-0.050000000000', '7', '1.304297E-4', '', '0.0000000000001', '-12345678901234567890.123456789012']) s.add(t);
    expect(s.value().toFixed()).toBe(new Money('0.05').plus('7').plus('0.0001304297').plus('0.0000000000001').minus('12345678901234567890.123456789012').toFixed());
  });

  it('is zero when nothing was added', () => {
    expect(new MoneySum().value().isZero()).toBe(true);
  });

  it('refuses text that is not a decimal', () => {
    expect(() => new MoneySum().add('1,5')).toThrow('not a decimal amount');
  });
});

describe('parseDecimal()', () => {
  it.each(['1', '-1.5', '+2', '.5', '5.', '1.2E-5', '1e3'])('accepts %j', (t) => {
    expect(isDecimalText(t)).toBe(true);
    expect(parseDecimal(t)).toBeDefined();
  });
  it.each(['', 'abc', '1,1', 'NaN', 'Infinity', '-Infinity', '0x10', '1_000', '1.1.1', '--1', '1e'])('refuses %j', (t) => {
    expect(parseDecimal(t)).toBeUndefined();
  });
});
