/** RATING.md §1 header mapping, §7 (records and rounding) and §8 (reconciliation). */
import { describe, expect, it } from 'vitest';
import { toSnakeCase } from '../../src/domain/cur.js';
import { Money, money, roundAmount, sum } from '../../src/domain/money.js';
import { ratePayer, type RatedPayer, type RatingOutcome } from '../../src/domain/rating.js';
import { usageRecordId } from '../../src/domain/record-id.js';
import { defaultSettings, group, input, subs } from '../support/groups.js';

function ok(outcome: RatingOutcome): RatedPayer {
  if (!outcome.ok) throw new Error(`expected a rated payer, got ${JSON.stringify(outcome.problems)}`);
  return outcome.payer;
}

describe('toSnakeCase() §1 legacy header mapping', () => {
  it.each([
    ['lineItem/UsageAccountId', 'line_item_usage_account_id'],
    ['pricing/publicOnDemandCost', 'pricing_public_on_demand_cost'],
    ['reservation/ReservationARN', 'reservation_reservation_a_r_n'],
    ['bill/PayerAccountId', 'bill_payer_account_id'],
    ['bill/BillingPeriodStartDate', 'bill_billing_period_start_date'],
    ['product/ProductName', 'product_product_name'],
    ['line_item_usage_account_id', 'line_item_usage_account_id'],
    ['identity/LineItemId', 'identity_line_item_id'],
    ['  resourceTags/user:Cost Center ', 'resource_tags_user_cost_center'],
  ])('%s → %s', (legacy, snake) => {
    expect(toSnakeCase(legacy)).toBe(snake);
  });
});

describe('roundAmount() §7 the one rounding rule', () => {
  it.each([
    ['0.005', '0.01'],
    ['0.0049999999999', '0'],
    ['-0.005', '-0.01'],
    ['-0.004', '0'],
    ['2.675', '2.68'], // a float would make this 2.67
    ['1.0049999999999999999999999999999', '1'],
    ['123456789012345678901234.125', '123456789012345678901234.13'],
  ])('%s → %s at 2 decimals, half up', (value, expected) => {
    expect(roundAmount(new Money(value), 2).toFixed()).toBe(expected);
  });

  it('rounds to amountDecimals places', () => {
    expect(roundAmount(new Money('1.23456'), 4).toFixed()).toBe('1.2346');
    expect(roundAmount(new Money('1.5'), 0).toFixed()).toBe('2');
  });

  it('keeps 40 significant digits when summing', () => {
    const big = sum([new Money('12345678901234567890.123456789012'), new Money('0.000000000001')]);
    expect(big.toFixed()).toBe('12345678901234567890.123456789013');
  });

  it('refuses amounts that are not decimals', () => {
    expect(() => money('1,5')).toThrow('not a decimal amount');
    expect(money('')).toEqual(new Money(0));
    expect(money('1.304297E-4').toFixed()).toBe('0.0001304297');
  });
});

describe('ratePayer() §7 records and rounding', () => {
  it('groups records by account, billing entity and product code by default', () => {
    const groups = [
      group({ unblendedUsd: '1', lineItemType: 'Usage', usageType: '' }),
      group({ unblendedUsd: '2', lineItemType: 'DiscountedUsage' }),
      group({ unblendedUsd: '4', billingEntity: 'AISPL' }),
      group({ unblendedUsd: '8', accountId: '333333333333' }),
    ];
    const p = ok(ratePayer(input(groups)));
    expect(p.records.map((r) => [r.accountId, r.billingEntity, r.productCode, r.billed, r.lineItemTypes.join('+')])).toEqual([
      ['222222222222', 'AISPL', 'AmazonEC2', '4.00', 'Usage'],
      ['222222222222', 'AWS', 'AmazonEC2', '3.00', 'DiscountedUsage+Usage'],
      ['333333333333', 'AWS', 'AmazonEC2', '8.00', 'Usage'],
    ]);
  });

  it('adds the usage type to the key at usage-type granularity', () => {
    const groups = [group({ unblendedUsd: '1', usageType: 'BoxUsage:t3.micro' }), group({ unblendedUsd: '2', usageType: 'EBS:VolumeUsage' })];
    const p = ok(ratePayer(input(groups, { settings: { ...defaultSettings, recordGranularity: 'usage-type' } })));
    expect(p.records.map((r) => [r.usageType, r.billed])).toEqual([['BoxUsage:t3.micro', '1.00'], ['EBS:VolumeUsage', '2.00']]);
  });

  it('rounds once per record, after markup and fx, never per row', () => {
    // three rows of 0.004 are 0.012 -> 0.01; rounding each row first would give 0.00
    const groups = [group({ unblendedUsd: '0.004', lineItemType: 'Usage' }), group({ unblendedUsd: '0.004', lineItemType: 'DiscountedUsage' }), group({ unblendedUsd: '0.004', lineItemType: 'Fee' })];
    const p = ok(ratePayer(input(groups, { payer: { accountId: '111111111111', customMarkup: '1.25', marketplaceCurrency: 'EUR', fxRate: '1' } })));
    expect(p.records[0]).toMatchObject({ listUsd: '0.012', markedUsd: '0.015', billedExact: '0.015', billed: '0.02' });
  });

  it('leaves out records whose rounded amount is exactly 0 and counts them', () => {
    const groups = [group({ unblendedUsd: '10' }), group({ productCode: 'AmazonS3', unblendedUsd: '0.004' }), group({ productCode: 'AWSLambda', unblendedUsd: '0' })];
    const p = ok(ratePayer(input(groups)));
    expect(p.records.map((r) => r.productCode)).toEqual(['AmazonEC2']);
    expect(p.droppedZeroRecords).toBe(2);
    expect(p.accounts[0]?.roundingResidual).toBe('0.004');
  });

  it('makes account and file totals sums of the rounded records', () => {
    const groups = ['A', 'B', 'C'].map((c) => group({ productCode: c, unblendedUsd: '0.015' }));
    const p = ok(ratePayer(input(groups)));
    expect(p.records.map((r) => r.billed)).toEqual(['0.02', '0.02', '0.02']);
    expect(p.accounts[0]?.billedTotal).toBe('0.06'); // not round(0.045) = 0.05
    expect(p.billedTotal).toBe('0.06');
    expect(p.accounts[0]?.roundingResidual).toBe('-0.015');
  });

  it('gives records stable ids that differ by key', () => {
    const key = { payerAccountId: '1', period: '2026-10', accountId: '2', billingEntity: 'AWS', productCode: 'AmazonEC2', usageType: '' };
    expect(usageRecordId(key)).toBe(usageRecordId({ ...key }));
    expect(usageRecordId(key)).not.toBe(usageRecordId({ ...key, billingEntity: 'AISPL' }));
    expect(usageRecordId(key)).toMatch(/^2026-10-2-AmazonEC2-[0-9a-f]{12}$/);
    const p = ok(ratePayer(input([group({ unblendedUsd: '1' }), group({ productCode: 'AmazonS3', unblendedUsd: '1' })])));
    expect(new Set(p.records.map((r) => r.recordId)).size).toBe(2);
  });

  it('uses the product name as the note, the product code when there is none', () => {
    const p = ok(ratePayer(input([group({ unblendedUsd: '1', productName: 'Amazon Elastic Compute Cloud' }), group({ productCode: 'prod-xyz', unblendedUsd: '1' })])));
    expect(p.records.map((r) => r.note)).toEqual(['Amazon Elastic Compute Cloud', 'prod-xyz']);
  });
});

describe('ratePayer() §8 reconciliation', () => {
  it('puts every row in exactly one bucket: CUR total = rated + excluded + unassigned', () => {
    const groups = [
      group({ unblendedUsd: '100.123456789012' }),
      group({ lineItemType: 'Tax', unblendedUsd: '10' }),
      group({ lineItemType: 'SppDiscount', unblendedUsd: '-5' }),
      group({ productCode: 'AWSSupportBusiness', unblendedUsd: '100' }),
      group({ lineItemType: 'RIFee', unblendedUsd: '30' }),
      group({ accountId: '555555555555', unblendedUsd: '7.000000000001' }),
    ];
    const p = ok(ratePayer(input(groups, { settings: { ...defaultSettings, listPrice: 'on-demand' }, subscriptions: subs(['222222222222', 'business']) })));
    const r = p.reconciliation;
    expect(r).toMatchObject({
      curTotalUsd: '242.123456789013',
      ratedUnblendedUsd: '100.123456789012',
      excludedUsd: { SppDiscount: '-5', Tax: '10', commitment: '30', support: '100' },
      unassignedUsd: '7.000000000001',
      holds: true,
    });
    const buckets = sum([money(r.ratedUnblendedUsd), money(r.unassignedUsd), ...Object.values(r.excludedUsd).map(money)]);
    expect(buckets.equals(money(r.curTotalUsd))).toBe(true);
  });

  it('records the on-demand uplift: rated list = rated unblended + uplift', () => {
    const p = ok(ratePayer(input([group({ unblendedUsd: '60', onDemandListUsd: '100' })], { settings: { ...defaultSettings, listPrice: 'on-demand' } })));
    expect(p.reconciliation).toMatchObject({ ratedUnblendedUsd: '60', ratedListUsd: '100', onDemandUpliftUsd: '40' });
  });
});
