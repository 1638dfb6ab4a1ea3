/** MoneySum and sumPart: exact running sums that allocate no decimal per amount (RATING.md §7–§8). */
import { describe, expect, it } from 'vitest';
import { Money, MoneySum, sumPart } from '../../src/domain/money.js';

describe('sumPart()', () => {
  it.each([
    ['0.100000000000', 100000000000n],
    ['-0.500000000000', -500000000000n],
    ['7', 7000000000000n],
    ['-1.5', -1500000000000n],
    ['+2.25', 2250000000000n],
    ['', 0n],
  ])('reads %j as a count of 1e-12 units', (text, units) => {
    expect(sumPart(text)).toBe(units);
  });

  it.each(['1.304297E-4', '0.0000000000001', '1e3'])('keeps %j, which has no exact 12-decimal form, as Money', (text) => {
    const part = sumPart(text);
    expect(typeof part).not.toBe('bigint');
    expect((part as Money).equals(new Money(text))).toBe(true);
  });

  it.each(['1,5', 'abc', '0x10.000000000000', '1.000000000000.5', '--1'])('refuses %j', (text) => {
    expect(() => sumPart(text)).toThrow('not a decimal amount');
  });
});

describe('MoneySum.value()', () => {
  it.each([
    [['0.000000000001'], '0.000000000001'],
    [['-0.000000000001'], '-0.000000000001'],
    [['1', '-1'], '0'],
    [['-12345678901234567890.123456789012', '0.5'], '-12345678901234567889.623456789012'],
    [['0.1', '1.304297E-4', '0.0000000000001'], '0.1001304297001'],
  ])('sums %j to %s exactly', (texts, expected) => {
    const s = new MoneySum();
    for (const t of texts) s.add(t);
    expect(s.value().toFixed()).toBe(expected);
  });

  it('adds a part parsed once to several sums alike', () => {
    const part = sumPart('3.333333333333');
    const a = new MoneySum().addPart(part).addPart(part);
    const b = new MoneySum().add('3.333333333333').add('3.333333333333');
    expect(a.value().toFixed()).toBe('6.666666666666');
    expect(a.value().equals(b.value())).toBe(true);
  });

  it('rounds to 40 significant digits beyond them, as Money does', () => {
    const s = new MoneySum().add('123456789012345678901234567890.123456789012');
    expect(s.value().equals(new Money('123456789012345678901234567890123456789012').times('1e-12'))).toBe(true);
  });
});
