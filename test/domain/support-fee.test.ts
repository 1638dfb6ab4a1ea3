/** RATING.md §4: fee tables, bands, minimums and validity dates. */
import { describe, expect, it } from 'vitest';
import { Money } from '../../src/domain/money.js';
import { catalogProblems, supportFee, tableFor, type FeeTable, type SupportPlan } from '../../src/domain/support-fee.js';
import { catalog } from '../support/groups.js';

const fee = (plan: SupportPlan, base: string, date = '2026-10-01'): string => {
  const table = tableFor(catalog, plan, date);
  if (table === undefined) throw new Error(`no ${plan} table on ${date}`);
  return supportFee(table, new Money(base)).toFixed();
};

describe('supportFee() business (legacy table)', () => {
  it.each([
    ['0', '100'], // the minimum
    ['500', '100'], // RATING.md example: base 500 -> 100
    ['999.99', '100'],
    ['1000', '100'], // 10% of 1000 = the minimum exactly
    ['1000.01', '100.001'],
    ['9999.99', '999.999'],
    ['10000', '1000'], // at the first boundary
    ['10000.01', '1000.0007'], // across it: 7% of the cent above
    ['80000', '5900'], // 1000 + 4900
    ['85000', '6150'], // RATING.md example: 1000 + 4900 + 250
    ['250000', '14400'], // 1000 + 4900 + 8500
    ['250001', '14400.03'], // 3% above 250,000
    ['1000000', '36900'],
  ])('base %s → %s', (base, expected) => {
    expect(fee('business', base)).toBe(expected);
  });

  it('counts a negative base as 0 (the minimum applies)', () => {
    expect(fee('business', '-5000')).toBe('100');
  });
});

describe('supportFee() other plans', () => {
  it.each([
    ['developer', '0', '29'],
    ['developer', '966.66', '29'],
    ['developer', '966.67', '29.0001'],
    ['developer', '10000', '300'],
    ['enterprise-on-ramp', '54999', '5500'],
    ['enterprise-on-ramp', '56000', '5600'],
    ['enterprise', '0', '5000'], // new table, from 2025-12-02
    ['enterprise', '150000', '15000'],
    ['enterprise', '150001', '15000.07'],
    ['enterprise', '500000', '39500'],
    ['enterprise', '1000000', '64500'],
    ['enterprise', '1000010', '64500.3'],
    ['business-plus', '0', '29'],
    ['business-plus', '10000', '900'],
    ['business-plus', '80000', '5800'],
    ['business-plus', '250000', '14300'],
    ['unified-operations', '0', '50000'],
    ['unified-operations', '1000000', '100000'],
    ['unified-operations', '5000000', '340000'],
    ['unified-operations', '5000100', '340005'],
  ] as [SupportPlan, string, string][])('%s: base %s → %s', (plan, base, expected) => {
    expect(fee(plan, base)).toBe(expected);
  });
});

describe('tableFor() table validity dates', () => {
  it('uses the legacy enterprise table up to and including 2025-12-01', () => {
    expect(tableFor(catalog, 'enterprise', '2025-12-01')?.id).toBe('enterprise-until-2025-12-01');
    expect(fee('enterprise', '0', '2025-11-01')).toBe('15000');
  });

  it('uses the new enterprise table from 2025-12-02', () => {
    expect(tableFor(catalog, 'enterprise', '2025-12-02')?.id).toBe('enterprise-from-2025-12-02');
  });

  it('has no business-plus or unified-operations table before 2025-12-02', () => {
    expect(tableFor(catalog, 'business-plus', '2025-11-01')).toBeUndefined();
    expect(tableFor(catalog, 'unified-operations', '2025-12-01')).toBeUndefined();
  });

  it('has no developer, business or enterprise-on-ramp table after 2026-12-31', () => {
    expect(tableFor(catalog, 'business', '2026-12-01')?.id).toBe('business-until-2026-12-31');
    expect(tableFor(catalog, 'business', '2027-01-01')).toBeUndefined();
    expect(tableFor(catalog, 'developer', '2027-01-01')).toBeUndefined();
    expect(tableFor(catalog, 'enterprise-on-ramp', '2027-01-01')).toBeUndefined();
  });
});

describe('catalogProblems()', () => {
  it('finds nothing wrong with the bundled tables', () => {
    expect(catalogProblems(catalog)).toEqual([]);
  });

  it('reports two tables of one plan valid on the same day, and bands out of order', () => {
    const a: FeeTable = { id: 'a', plan: 'business', validFrom: null, validUntil: '2026-12-31', minimumUsd: '1', bands: [{ upToUsd: null, rate: '0.1' }] };
    const b: FeeTable = { id: 'b', plan: 'business', validFrom: '2026-12-31', validUntil: null, minimumUsd: '1', bands: [{ upToUsd: '5', rate: '0.1' }, { upToUsd: '4', rate: '0.1' }, { upToUsd: null, rate: '0' }] };
    const problems = catalogProblems({ productCodes: {}, tables: [a, b] });
    expect(problems).toContain('tables a and b of plan business are both valid on 2026-12-31');
    expect(problems).toContain('table b: band upToUsd 4 is not above the previous band');
  });
});
