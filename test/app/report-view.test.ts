/** Amounts for reading (report.html, report.csv): rounded once, ROUND_HALF_UP, grouped in thousands for the page. */
import { describe, expect, it } from 'vitest';
import { currencyDecimals, customerLines, marginPercentText, roundedText, shownAmount } from '../../src/app/report-view.js';
import { Money, roundAmount } from '../../src/domain/money.js';

describe('roundedText()', () => {
  it.each([
    ['12.345', 2, '12.35'],
    ['-12.345', 2, '-12.35'], // half away from zero, as the rating rounds
    ['12.3', 2, '12.30'],
    ['-12.30', 2, '-12.30'],
    ['-0.00', 2, '0.00'],
    ['-0.004', 2, '0.00'],
    ['007.00', 2, '7.00'],
    ['5.5', 0, '6'],
    ['5', 0, '5'],
    ['1.2E-5', 2, '0.00'],
    ['1e3', 2, '1000.00'],
    ['123456789012345678901234567890.125', 2, '123456789012345678901234567890.13'],
  ])('%s to %i places is %s', (value, decimals, expected) => {
    expect(roundedText(value, decimals)).toBe(expected);
  });

  it.each([[undefined], [null], [''], ['abc'], ['1,000.00'], [{}]])('is undefined for %j', (value) => {
    expect(roundedText(value, 2)).toBeUndefined();
  });
});

describe('shownAmount()', () => {
  it.each([
    ['1234567.891', 2, '1,234,567.89'],
    ['-1234.5', 2, '-1,234.50'],
    ['999.995', 2, '1,000.00'],
    ['0', 2, '0.00'],
    ['1234567', 0, '1,234,567'],
    ['100', 0, '100'],
  ])('%s to %i places reads %s', (value, decimals, expected) => {
    expect(shownAmount(value, decimals)).toBe(expected);
  });

  it('shows a value that is not decimal as it is, and nothing for a missing one', () => {
    expect(shownAmount('n/a', 2)).toBe('n/a');
    expect(shownAmount(undefined, 2)).toBe('');
  });
});

describe('currencyDecimals()', () => {
  it.each([
    [{ settings: { amountDecimals: 0 } }, 0],
    [{ settings: { amountDecimals: 3 } }, 3],
    [{ settings: { amountDecimals: 2.5 } }, 2],
    [{ settings: { amountDecimals: -1 } }, 2],
    [{}, 2],
  ])('%j → %i', (head, decimals) => {
    expect(currencyDecimals(head)).toBe(decimals);
  });
});

describe('marginPercentText()', () => {
  it.each([
    ['142213.52', '1342213.52', '10.6'],
    ['-4726.50', '273.50', '-1728.2'],
    ['0.05', '1.00', '5.0'],
    ['1.00', '0.00', ''],
    ['', '1.00', ''],
    ['-0.0004', '1', '0.0'],
    ['1.5E+2', '3E+2', '50.0'],
    ['0.125', '0.25', '50.0'],
    ['-1', '-3', '33.3'],
    ['1', '-3', '-33.3'],
    ['0.00015', '0.3', '0.1'], // 0.05 % exactly: half up
    ['-0.00015', '0.3', '-0.1'],
  ])('%s of %s is %j', (margin, billed, expected) => {
    expect(marginPercentText(margin, billed)).toBe(expected);
  });

  it('agrees with decimal.js (ROUND_HALF_UP to 1 place) on a thousand generated pairs', () => {
    let seed = 12345;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
    const amount = (): string => `${next() % 3 === 0 ? '-' : ''}${next() % 100000}.${String(next() % 100).padStart(2, '0')}`;
    for (let i = 0; i < 1000; i++) {
      const margin = amount();
      const billed = amount();
      const expected = new Money(billed).isZero() ? '' : roundAmount(new Money(margin).div(billed).times(100), 1).toFixed(1);
      expect(marginPercentText(margin, billed), `${margin} of ${billed}`).toBe(expected);
    }
  });
});

describe('customerLines()', () => {
  const record = (productCode: string, usageType: string, billed: string, kind = 'aws') => ({ recordId: `r-${productCode}-${usageType}`, kind, billingEntity: 'AWS', productCode, usageType, note: productCode, billed });

  it("counts each record's billed amount once: per service when the margin names services, per record otherwise", () => {
    const records = [record('AmazonEC2', 'BoxUsage', '10.00'), record('AmazonEC2', 'EBS', '2.50'), record('AmazonS3', '', '1.25'), record('support', '', '5.00', 'support')];
    const services = [
      { billingEntity: 'AWS', productCode: 'AmazonEC2', note: 'EC2', awsCostUsd: '9.00', billed: '12.50', billedUsd: '13.59', marginUsd: '4.59' },
      { billingEntity: 'AWS', productCode: 'AmazonS3', usageType: '', note: 'S3', awsCostUsd: '1.00', billed: '1.25', billedUsd: '1.36', marginUsd: '0.36' },
    ];
    const withServices = customerLines({ records, services });
    expect(withServices.map((l) => [l.section, l.productCode, l.billed, l.recordId, l.marginPercent])).toEqual([
      ['services', 'AmazonEC2', '12.50', '', '33.8'],
      ['services', 'AmazonS3', '1.25', 'r-AmazonS3-', '26.5'],
      ['support', 'support', '5.00', 'r-support-', undefined],
    ]);
    expect(customerLines({ records }).map((l) => l.billed)).toEqual(['10.00', '2.50', '1.25', '5.00']);
  });

  it('puts services first, then support, then custom lines and credits, each in report order', () => {
    const records = [record('credit', '', '-1.00', 'credit'), record('support', '', '5.00', 'support'), record('custom-line', '', '2.00', 'fee'), record('AmazonS3', '', '1.25')];
    expect(customerLines({ records }).map((l) => `${l.section}:${l.kind}`)).toEqual(['services:aws', 'support:support', 'lines:credit', 'lines:fee']);
  });
});
