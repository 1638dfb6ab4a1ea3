/** RATING.md §2 (the list amount of a row) and §3 (markup by billing entity). */
import { describe, expect, it } from 'vitest';
import { ratePayer, type RatedPayer, type RatingOutcome } from '../../src/domain/rating.js';
import { defaultSettings, group, input } from '../support/groups.js';

function ok(outcome: RatingOutcome): RatedPayer {
  if (!outcome.ok) throw new Error(`expected a rated payer, got ${JSON.stringify(outcome.problems)}`);
  return outcome.payer;
}
const billedOf = (p: RatedPayer, productCode: string): string | undefined => p.records.find((r) => r.productCode === productCode)?.billed;

describe('ratePayer() §2 the list amount of a row', () => {
  it.each(['SppDiscount', 'EdpDiscount', 'PrivateRateDiscount', 'RiVolumeDiscount', 'DistributorDiscount', 'Discount'])(
    'always excludes %s rows, totalled under their type',
    (type) => {
      const p = ok(ratePayer(input([group({ unblendedUsd: '100' }), group({ lineItemType: type, unblendedUsd: '-7.5' })])));
      expect(p.billedTotal).toBe('100.00');
      expect(p.reconciliation.excludedUsd).toEqual({ [type]: '-7.5' });
    },
  );

  it('excludes discount types even when excludeLineItemTypes is empty and they carry another product', () => {
    const p = ok(ratePayer(input([group({ lineItemType: 'EdpDiscount', productCode: 'AmazonS3', unblendedUsd: '-3' }), group({ unblendedUsd: '10' })])));
    expect(p.records.map((r) => r.productCode)).toEqual(['AmazonEC2']);
  });

  it('excludes Tax by default and bills it with includeTax', () => {
    const groups = [group({ unblendedUsd: '100' }), group({ lineItemType: 'Tax', unblendedUsd: '13' })];
    const excluded = ok(ratePayer(input(groups)));
    expect(excluded.billedTotal).toBe('100.00');
    expect(excluded.reconciliation.excludedUsd).toEqual({ Tax: '13' });
    const included = ok(ratePayer(input(groups, { settings: { ...defaultSettings, includeTax: true } })));
    expect(included.billedTotal).toBe('113.00');
  });

  it('replaces support rows by the computed support line (reason support)', () => {
    const p = ok(ratePayer(input([group({ unblendedUsd: '500' }), group({ productCode: 'AWSSupportBusiness', unblendedUsd: '100' })])));
    expect(p.records.some((r) => r.productCode === 'AWSSupportBusiness')).toBe(false);
    expect(p.reconciliation.excludedUsd).toEqual({ support: '100' });
  });

  it('unblended mode bills line_item_unblended_cost for every other type', () => {
    const types = ['Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation', 'SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee', 'RIFee', 'Fee', 'Credit', 'Refund', 'BundledDiscount', 'FlatRateSubscription', 'SomeFutureType'];
    const groups = types.map((t, i) => group({ lineItemType: t, productCode: `P${i}`, unblendedUsd: '1.25', onDemandListUsd: '9' }));
    const p = ok(ratePayer(input(groups)));
    expect(p.records).toHaveLength(types.length);
    for (const r of p.records) expect(r.listUsd).toBe('1.25');
    expect(p.reconciliation.onDemandUpliftUsd).toBe('0');
  });

  it('on-demand mode prices Usage, DiscountedUsage and SavingsPlanCoveredUsage at the public on-demand cost', () => {
    const groups = ['Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage'].map((t, i) => group({ lineItemType: t, productCode: `P${i}`, unblendedUsd: '0.5', onDemandListUsd: '2' }));
    const p = ok(ratePayer(input(groups, { settings: { ...defaultSettings, listPrice: 'on-demand' } })));
    for (const r of p.records) expect(r.listUsd).toBe('2');
    expect(p.reconciliation.ratedUnblendedUsd).toBe('1.5');
    expect(p.reconciliation.ratedListUsd).toBe('6');
    expect(p.reconciliation.onDemandUpliftUsd).toBe('4.5');
  });

  it('on-demand mode excludes commitment types and RI purchase Fee rows (reason commitment)', () => {
    const groups = [
      group({ lineItemType: 'SavingsPlanNegation', unblendedUsd: '-1' }),
      group({ lineItemType: 'SavingsPlanRecurringFee', unblendedUsd: '2' }),
      group({ lineItemType: 'SavingsPlanUpfrontFee', unblendedUsd: '3' }),
      group({ lineItemType: 'RIFee', unblendedUsd: '4' }),
      group({ lineItemType: 'Fee', reservationFee: true, unblendedUsd: '5' }),
      group({ lineItemType: 'Fee', productCode: 'AmazonRoute53', unblendedUsd: '12' }),
    ];
    const p = ok(ratePayer(input(groups, { settings: { ...defaultSettings, listPrice: 'on-demand' } })));
    expect(p.reconciliation.excludedUsd).toEqual({ commitment: '13' });
    expect(p.records.map((r) => [r.productCode, r.billed])).toEqual([['AmazonRoute53', '12.00']]);
  });

  it('on-demand mode keeps the unblended amount for other types (a Fee without reservation, a Credit)', () => {
    const groups = [group({ lineItemType: 'Credit', unblendedUsd: '-4', onDemandListUsd: '' })];
    const p = ok(ratePayer(input([...groups, group({ productCode: 'AmazonS3', unblendedUsd: '10' })], { settings: { ...defaultSettings, listPrice: 'on-demand' } })));
    expect(billedOf(p, 'AmazonEC2')).toBe('-4.00');
  });

  it('passes credits and refunds through, lowering the bill', () => {
    const p = ok(ratePayer(input([group({ unblendedUsd: '100' }), group({ lineItemType: 'Credit', unblendedUsd: '-30' }), group({ lineItemType: 'Refund', unblendedUsd: '-5.5' })])));
    expect(p.billedTotal).toBe('64.50');
  });

  it('excludeLineItemTypes adds types to the excluded set', () => {
    const settings = { ...defaultSettings, excludeLineItemTypes: ['Credit', 'Refund'] };
    const p = ok(ratePayer(input([group({ unblendedUsd: '100' }), group({ lineItemType: 'Credit', unblendedUsd: '-30' }), group({ lineItemType: 'Refund', unblendedUsd: '-5' })], { settings })));
    expect(p.billedTotal).toBe('100.00');
    expect(p.reconciliation.excludedUsd).toEqual({ Credit: '-30', Refund: '-5' });
  });
});

describe('ratePayer() §3 markup by billing entity', () => {
  const groups = [group({ unblendedUsd: '100' }), group({ billingEntity: 'AWS Marketplace', productCode: 'prod-abc', unblendedUsd: '200' })];
  const rate = (customMarkup?: string, customMarkupMarketplace?: string): RatingOutcome =>
    ratePayer(input(groups, { payer: { accountId: '111111111111', ...(customMarkup === undefined ? {} : { customMarkup }), ...(customMarkupMarketplace === undefined ? {} : { customMarkupMarketplace }) } }));

  it('applies customMarkup to AWS rows and customMarkupMarketplace to Marketplace rows', () => {
    const p = ok(rate('1.1', '1.05'));
    expect(billedOf(p, 'AmazonEC2')).toBe('110.00');
    expect(billedOf(p, 'prod-abc')).toBe('210.00');
    expect(p.records.find((r) => r.productCode === 'prod-abc')?.kind).toBe('marketplace');
  });

  it('treats AISPL rows as AWS rows', () => {
    const p = ok(ratePayer(input([group({ billingEntity: 'AISPL', unblendedUsd: '10' })], { payer: { accountId: '111111111111', customMarkup: '2', customMarkupMarketplace: '3' } })));
    expect(p.billedTotal).toBe('20.00');
  });

  it.each([
    ['missing', undefined, '1'],
    ['empty', '', '1'],
    ['zero', '0', '1'],
    ['negative', '-1', '1'],
    ['a discount', '0.5', '0.5'],
  ])('a %s markup applies %s → %s', (_what, given, applied) => {
    const p = ok(rate(given, given));
    expect(p.markups.customMarkup.applied).toBe(applied);
    expect(p.markups.customMarkupMarketplace.applied).toBe(applied);
    expect(p.billedTotal).toBe(applied === '0.5' ? '150.00' : '300.00');
  });

  it('says so in the warnings when a markup ≤ 0 is treated as 1', () => {
    const p = ok(rate('-1', '0'));
    expect(p.warnings.join('\n')).toContain('customMarkup "-1" is not above 0');
    expect(p.warnings.join('\n')).toContain('customMarkupMarketplace "0" is not above 0');
  });

  it.each(['abc', '1,1', 'NaN', 'Infinity', '0x10', '1.1.1'])('fails the payer on markup %j, naming the parameter and value', (bad) => {
    const outcome = rate('1.1', bad);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.problems).toEqual([
      expect.objectContaining({ code: 'MARKUP_INVALID', setting: 'customMarkupMarketplace', value: bad, message: expect.stringContaining(JSON.stringify(bad)) }),
    ]);
  });
});
