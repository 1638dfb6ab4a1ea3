/** RATING.md §4 (support lines), §5 (currency) and §6 (which accounts are billed). */
import { describe, expect, it } from 'vitest';
import { ratePayer, type RatedPayer, type RatingOutcome } from '../../src/domain/rating.js';
import { defaultSettings, group, input, subs } from '../support/groups.js';

function ok(outcome: RatingOutcome): RatedPayer {
  if (!outcome.ok) throw new Error(`expected a rated payer, got ${JSON.stringify(outcome.problems)}`);
  return outcome.payer;
}
const supportRecord = (p: RatedPayer, accountId: string) => p.records.find((r) => r.kind === 'support' && r.accountId === accountId);

describe('ratePayer() §4 support lines', () => {
  it('adds one support line per billed account whose plan is not basic, at fee × customMarkup', () => {
    const groups = [group({ unblendedUsd: '85000' }), group({ accountId: '333333333333', unblendedUsd: '10' })];
    const p = ok(ratePayer(input(groups, { subscriptions: subs(['222222222222', 'business'], ['333333333333', 'basic']), payer: { accountId: '111111111111', customMarkup: '1.1' } })));
    expect(supportRecord(p, '222222222222')).toMatchObject({ listUsd: '6150', markedUsd: '6765', billed: '6765.00', supportPlan: 'business', supportTable: 'business-until-2026-12-31', note: 'AWS Support (business), table business-until-2026-12-31' });
    expect(supportRecord(p, '333333333333')).toBeUndefined();
  });

  it('defaults an empty support_level to business', () => {
    const p = ok(ratePayer(input([group({ unblendedUsd: '500' })], { subscriptions: subs(['222222222222', '']) })));
    expect(p.accounts[0]?.support).toMatchObject({ ordered: 'business', billed: 'business', feeUsd: '100' });
  });

  it('computes the base from unblended AWS rows, without Marketplace, support, tax, credits, refunds, bundled and discount rows', () => {
    const groups = [
      group({ unblendedUsd: '10000' }),
      group({ lineItemType: 'SavingsPlanNegation', unblendedUsd: '-1000' }), // in the base (gross charges)
      group({ lineItemType: 'Fee', unblendedUsd: '500' }),
      group({ billingEntity: 'AWS Marketplace', productCode: 'prod-x', unblendedUsd: '7777' }),
      group({ productCode: 'AWSSupportBusiness', unblendedUsd: '999' }),
      ...['Tax', 'Credit', 'Refund', 'BundledDiscount', 'SppDiscount', 'EdpDiscount'].map((t) => group({ lineItemType: t, productCode: `X${t}`, unblendedUsd: '-123' })),
    ];
    const p = ok(ratePayer(input(groups, { subscriptions: subs(['222222222222', 'business']) })));
    expect(p.accounts[0]?.support.baseUsd).toBe('9500');
    expect(p.accounts[0]?.support.feeUsd).toBe('950');
  });

  it('uses the same base in on-demand mode', () => {
    const groups = [group({ unblendedUsd: '1000', onDemandListUsd: '5000' }), group({ lineItemType: 'RIFee', unblendedUsd: '200' })];
    const p = ok(ratePayer(input(groups, { settings: { ...defaultSettings, listPrice: 'on-demand' }, subscriptions: subs(['222222222222', 'developer']) })));
    expect(p.accounts[0]?.support).toMatchObject({ baseUsd: '1200', feeUsd: '36' });
  });

  it('leaves a type listed in excludeLineItemTypes out of the base', () => {
    const groups = [group({ unblendedUsd: '2000' }), group({ lineItemType: 'Fee', unblendedUsd: '1000' })];
    const p = ok(ratePayer(input(groups, { settings: { ...defaultSettings, excludeLineItemTypes: ['Fee'] }, subscriptions: subs(['222222222222', 'developer']) })));
    expect(p.accounts[0]?.support.baseUsd).toBe('2000');
  });

  it('detected source bills the plan of the largest support row, basic when there is none', () => {
    const groups = [
      group({ unblendedUsd: '2000' }),
      group({ productCode: 'AWSDeveloperSupport', unblendedUsd: '29', maxUnblendedUsd: '29' }),
      group({ productCode: 'AWSSupportBusiness', unblendedUsd: '200', maxUnblendedUsd: '150' }),
      group({ accountId: '333333333333', unblendedUsd: '50' }),
    ];
    const p = ok(ratePayer(input(groups, { settings: { ...defaultSettings, supportPlanSource: 'detected' }, subscriptions: subs(['222222222222', 'developer'], ['333333333333', 'business']) })));
    expect(p.accounts.map((a) => [a.accountId, a.support.detected, a.support.billed, a.support.feeUsd])).toEqual([
      ['222222222222', 'business', 'business', '200'],
      ['333333333333', 'basic', 'basic', null],
    ]);
  });

  it('reports every ordered/detected mismatch, whatever the source', () => {
    const groups = [group({ unblendedUsd: '100' }), group({ productCode: 'AWSSupportEnterprise', unblendedUsd: '5000' })];
    const p = ok(ratePayer(input(groups, { subscriptions: subs(['222222222222', 'business']) })));
    expect(p.supportPlanMismatches).toEqual([{ accountId: '222222222222', ordered: 'business', detected: 'enterprise' }]);
    expect(p.accounts[0]?.support.billed).toBe('business');
    expect(p.accounts[0]?.support.curSupportUsd).toBe('5000');
  });

  it('fails the payer, naming the account, when no fee table is valid on the first day of the period', () => {
    const outcome = ratePayer(input([group({ unblendedUsd: '100' })], { period: '2027-01', groups: [group({ periodStart: '2027-01-01', unblendedUsd: '100' })], subscriptions: subs(['222222222222', 'business']) }));
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.problems).toEqual([expect.objectContaining({ code: 'SUPPORT_TABLE_MISSING', account: '222222222222', value: 'business' })]);
  });

  it('fails the payer on a support_level that is no plan', () => {
    const outcome = ratePayer(input([group({ unblendedUsd: '1' })], { subscriptions: subs(['222222222222', 'premium']) }));
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.problems[0]).toMatchObject({ code: 'CONFIG_INVALID', account: '222222222222', value: 'premium' });
  });

  it('bills the payer’s own account only when it is billed', () => {
    const groups = [group({ accountId: '111111111111', unblendedUsd: '100' }), group({ unblendedUsd: '100' })];
    const p = ok(ratePayer(input(groups, { subscriptions: subs(['222222222222', 'developer']) })));
    expect(p.accounts.map((a) => a.accountId)).toEqual(['222222222222']);
    expect(p.unassigned).toEqual([{ accountId: '111111111111', unblendedUsd: '100' }]);
  });
});

describe('ratePayer() §5 currency', () => {
  const groups = [group({ unblendedUsd: '100' })];
  const rate = (marketplaceCurrency?: string, fxRate?: string): RatingOutcome =>
    ratePayer(input(groups, { payer: { accountId: '111111111111', ...(marketplaceCurrency === undefined ? {} : { marketplaceCurrency }), ...(fxRate === undefined ? {} : { fxRate }) } }));

  it('converts marked USD with fxRate into the payer’s currency', () => {
    const p = ok(rate('EUR', '0.92'));
    expect(p.currency).toMatchObject({ currency: 'EUR', fxRateText: '0.92' });
    expect(p.billedTotal).toBe('92.00');
  });

  it('defaults to USD with fxRate 1 when both are missing', () => {
    const p = ok(rate());
    expect(p.currency).toMatchObject({ currency: 'USD', fxRateText: '1' });
    expect(p.billedTotal).toBe('100.00');
  });

  it.each([undefined, '', '0', '-0.9', 'abc', '0,92'])('fails a EUR payer whose fxRate is %j', (fx) => {
    const outcome = rate('EUR', fx);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.problems[0]).toMatchObject({ code: 'FX_INVALID', setting: 'fxRate' });
  });

  it('fails a USD payer whose fxRate is not a number', () => {
    const outcome = rate('USD', 'abc');
    expect(outcome.ok).toBe(false);
  });

  it('refuses a currency that is not an ISO 4217 code', () => {
    const outcome = rate('euro', '0.9');
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.problems[0]).toMatchObject({ code: 'CONFIG_INVALID', setting: 'marketplaceCurrency', value: 'euro' });
  });
});

describe('ratePayer() §6 which accounts are billed', () => {
  it('totals rows of accounts without a subscription per account as unassigned, never billing them', () => {
    const groups = [group({ unblendedUsd: '100' }), group({ accountId: '555555555555', unblendedUsd: '40' }), group({ accountId: '555555555555', lineItemType: 'Tax', unblendedUsd: '2' })];
    const p = ok(ratePayer(input(groups, { subscriptions: subs(['222222222222', 'basic']) })));
    expect(p.unassigned).toEqual([{ accountId: '555555555555', unblendedUsd: '42' }]);
    expect(p.reconciliation.unassignedUsd).toBe('42');
    expect(p.records.every((r) => r.accountId === '222222222222')).toBe(true);
    expect(p.warnings.join('\n')).toContain('1 account(s) with CUR usage have no subscription');
  });

  it('bills every account as its own customer with subscriptions "all"', () => {
    const groups = [group({ unblendedUsd: '100' }), group({ accountId: '555555555555', unblendedUsd: '40' })];
    const p = ok(ratePayer(input(groups, { subscriptions: 'all' })));
    expect(p.accounts.map((a) => [a.accountId, a.assetId])).toEqual([['222222222222', null], ['555555555555', null]]);
    expect(p.unassigned).toEqual([]);
  });
});

describe('ratePayer() §1 input checks', () => {
  it('fails on rows of another billing period', () => {
    const outcome = ratePayer(input([group({ unblendedUsd: '1' }), group({ periodStart: '2026-09-01', unblendedUsd: '1' })]));
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.problems).toEqual([expect.objectContaining({ code: 'PERIOD_MISMATCH', value: '2026-09-01' })]);
  });

  it('fails on a currency code other than USD, and accepts an empty one', () => {
    const outcome = ratePayer(input([group({ unblendedUsd: '1', currencyCode: '' }), group({ unblendedUsd: '1', currencyCode: 'EUR' })]));
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.problems).toEqual([expect.objectContaining({ code: 'CURRENCY_NOT_USD', value: 'EUR' })]);
  });
});
