/** The account-at-a-time rater (issue 10): the same payer as `ratePayer`, one account in memory at a time. */
import { describe, expect, it } from 'vitest';
import type { CurGroup } from '../../src/domain/cur.js';
import { ConnectorError } from '../../src/domain/errors.js';
import { ratePayer, startPayerRating, type PayerRating, type PayerRatingOutcome, type RatedAccount, type RatePayerInput, type RatedPayerSummary } from '../../src/domain/rating.js';
import { PAYER, defaultSettings, group, input, subs } from '../support/groups.js';

const A = '222222222222';
const B = '333333333333';
const C = '444444444444';
const UNSUBSCRIBED = '555555555555';

/**
 * A generated month: several accounts (the payer's own one unsubscribed), each with
 * AWS and AISPL usage of a few services and usage types, a Marketplace product,
 * support rows, discounts, tax, credits, commitment fees and RI fees, amounts in
 * the engines' 12-decimal text and in short text.
 */
function generatedGroups(): CurGroup[] {
  const groups: CurGroup[] = [];
  const accounts = [PAYER, A, B, C, UNSUBSCRIBED];
  const types = ['Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation', 'RIFee', 'Fee', 'Credit', 'Tax', 'SppDiscount', 'Refund'];
  let n = 0;
  for (const [ai, accountId] of accounts.entries()) {
    for (const productCode of ['AmazonEC2', 'AmazonS3', 'AWSLambda']) {
      for (const [ti, lineItemType] of types.entries()) {
        for (const usageType of ['BoxUsage', 'DataTransfer-Out']) {
          n += 1;
          const cents = (n * 7919) % 100000;
          const unblendedUsd = lineItemType === 'Credit' || lineItemType === 'SppDiscount' ? `-${cents % 500}.125000000000` : `${cents}.${String(n * 37).padStart(12, '0').slice(0, 12)}`;
          groups.push(
            group({
              accountId,
              productCode,
              lineItemType,
              usageType,
              billingEntity: ti % 4 === 3 ? 'AISPL' : 'AWS',
              productName: productCode === 'AWSLambda' ? '' : `Service ${productCode}`,
              reservationFee: lineItemType === 'Fee' && n % 2 === 0,
              rows: (n % 5) + 1,
              unblendedUsd,
              onDemandListUsd: lineItemType === 'Usage' ? `${cents + 3}.5` : unblendedUsd,
            }),
          );
        }
      }
    }
    groups.push(group({ accountId, billingEntity: 'AWS Marketplace', productCode: 'prod-abc123', productName: 'Some Vendor Product', unblendedUsd: `${ai * 11}.004` }));
    groups.push(group({ accountId, productCode: 'AmazonSNS', usageType: 'Tiny', unblendedUsd: '0.004' })); // rounds to 0: dropped
    if (ai % 2 === 0) groups.push(group({ accountId, productCode: 'AWSSupportBusiness', unblendedUsd: '120.5', maxUnblendedUsd: '100' }));
    if (ai === 2) groups.push(group({ accountId, productCode: 'AWSSupportEnterprise', unblendedUsd: '5000' }));
  }
  return groups;
}

/** Deterministic shuffle, so `ratePayer` sees the groups in no particular order. */
function shuffled<T>(list: readonly T[]): T[] {
  const out = [...list];
  let seed = 42;
  for (let i = out.length - 1; i > 0; i -= 1) {
    seed = (seed * 16807) % 2147483647;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Feeds the groups account by account, ascending, as the streaming month does. */
function stream(rateInput: RatePayerInput): { accounts: RatedAccount[]; outcome: PayerRatingOutcome } {
  const { groups, ...rest } = rateInput;
  const started = startPayerRating(rest);
  if (!started.ok) throw new Error(`expected a rater, got ${JSON.stringify(started.problems)}`);
  const ids = [...new Set(groups.map((g) => g.accountId))].sort();
  const accounts: RatedAccount[] = [];
  for (const id of ids) {
    const rated = started.rating.account(id, groups.filter((g) => g.accountId === id));
    if (rated !== undefined) accounts.push(rated);
  }
  return { accounts, outcome: started.rating.finish() };
}

function started(rateInput: Omit<RatePayerInput, 'groups'>): PayerRating {
  const s = startPayerRating(rateInput);
  if (!s.ok) throw new Error(`expected a rater, got ${JSON.stringify(s.problems)}`);
  return s.rating;
}

function summary(outcome: PayerRatingOutcome): RatedPayerSummary {
  if (!outcome.ok) throw new Error(`expected a rated payer, got ${JSON.stringify(outcome.problems)}`);
  return outcome.payer;
}

const generated = generatedGroups();
const subscribed = subs([A, 'business'], [B, 'developer'], [C, 'enterprise'], [PAYER, 'basic']);
subscribed.delete(PAYER);

describe('startPayerRating() yields what ratePayer() yields', () => {
  it.each<[string, Partial<RatePayerInput>]>([
    ['unblended, service granularity, ordered plans', {}],
    ['on-demand, usage-type granularity, detected plans', { settings: { ...defaultSettings, listPrice: 'on-demand', recordGranularity: 'usage-type', supportPlanSource: 'detected' } }],
    ['tax included, credits and refunds excluded, 4 decimals', { settings: { ...defaultSettings, includeTax: true, excludeLineItemTypes: ['Credit', 'Refund'], amountDecimals: 4 } }],
    ['EUR with markups', { payer: { accountId: PAYER, marketplaceCurrency: 'EUR', fxRate: '0.9234', customMarkup: '1.1', customMarkupMarketplace: '1.05' } }],
    ['every account billed', { subscriptions: 'all' }],
    ['a markup at or below 0 (noted)', { payer: { accountId: PAYER, customMarkup: '-1', fxRate: '1.000' } }],
  ])('%s: the same records, in the same order, and the same payer', (_name, over) => {
    const rateInput = input(generated, { subscriptions: subscribed, ...over });
    const whole = ratePayer({ ...rateInput, groups: shuffled(rateInput.groups) });
    if (!whole.ok) throw new Error(`expected a rated payer, got ${JSON.stringify(whole.problems)}`);
    const { accounts, outcome } = stream(rateInput);
    const p = summary(outcome);

    expect(JSON.stringify(accounts.flatMap((a) => a.records))).toBe(JSON.stringify(whole.payer.records));
    expect(JSON.stringify(accounts)).toBe(JSON.stringify(whole.payer.accounts));
    const { records, accounts: wholeAccounts, ...wholeRest } = whole.payer;
    expect(p).toEqual({ ...wholeRest, accounts: wholeAccounts.map(({ records: _r, ...a }) => a), recordCount: records.length });
    expect(whole.payer.records.length).toBeGreaterThan(20);
  });

  it('yields the same problems in the same order: support plans that fail', () => {
    const rateInput = input(generated, { subscriptions: subs([A, 'premium'], [B, 'business'], [C, 'gold']), period: '2026-10' });
    const whole = ratePayer(rateInput);
    const { outcome } = stream(rateInput);
    expect(whole.ok).toBe(false);
    expect(outcome).toEqual(whole);
    if (!outcome.ok) expect(outcome.problems.map((p) => [p.code, p.account])).toEqual([['CONFIG_INVALID', A], ['CONFIG_INVALID', C]]);
  });

  it('pins the generated month (figures from the single-pass rating before issue 10)', () => {
    const p = summary(stream(input(generated, { subscriptions: subscribed })).outcome);
    expect({ billedTotal: p.billedTotal, recordCount: p.recordCount, dropped: p.droppedZeroRecords, rowsRated: p.rowsRated, reconciliation: p.reconciliation }).toEqual(PINNED);
  });
});

describe('PayerRating.account()', () => {
  it('returns each account rated with its records as it goes, usage by key then support', () => {
    const rating = started(input([], { subscriptions: subs([A, 'developer'], [B, 'basic']) }));
    const a = rating.account(A, [group({ accountId: A, productCode: 'AmazonS3', unblendedUsd: '5' }), group({ accountId: A, unblendedUsd: '1000' })]);
    expect(a?.records.map((r) => [r.productCode, r.billed])).toEqual([['AmazonEC2', '1000.00'], ['AmazonS3', '5.00'], ['support', '30.15']]);
    expect(a).toMatchObject({ accountId: A, assetId: 'AS-0001', billedTotal: '1035.15' });
    const b = rating.account(B, [group({ accountId: B, unblendedUsd: '2' })]);
    expect(b?.records.map((r) => r.billed)).toEqual(['2.00']);
    const p = summary(rating.finish());
    expect(p.accounts.map((x) => [x.accountId, x.billedTotal])).toEqual([[A, '1035.15'], [B, '2.00']]);
    expect(p.accounts[0]).not.toHaveProperty('records');
    expect(p).toMatchObject({ billedTotal: '1037.15', recordCount: 4 });
  });

  it('returns nothing for an account without a subscription and totals it as unassigned', () => {
    const rating = started(input([], { subscriptions: subs([A, 'basic']) }));
    expect(rating.account(A, [group({ accountId: A, unblendedUsd: '1' })])).toBeDefined();
    expect(rating.account(UNSUBSCRIBED, [group({ accountId: UNSUBSCRIBED, unblendedUsd: '40' }), group({ accountId: UNSUBSCRIBED, lineItemType: 'Tax', unblendedUsd: '2' })])).toBeUndefined();
    const p = summary(rating.finish());
    expect(p.unassigned).toEqual([{ accountId: UNSUBSCRIBED, unblendedUsd: '42' }]);
    expect(p.reconciliation).toMatchObject({ curTotalUsd: '43', unassignedUsd: '42', holds: true });
  });

  it('returns nothing for an account given no groups, which counts as no account', () => {
    const rating = started(input([]));
    expect(rating.account(A, [])).toBeUndefined();
    const outcome = rating.finish();
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.problems.map((p) => p.code)).toEqual(['CUR_EMPTY']);
  });

  it.each([
    ['the same account twice', [A, A]],
    ['a smaller account id', [B, A]],
  ])('throws a broken invariant on %s', (_name, [first, second]) => {
    const rating = started(input([], { subscriptions: 'all' }));
    rating.account(first as string, [group({ accountId: first as string, unblendedUsd: '1' })]);
    expect(() => rating.account(second as string, [group({ accountId: second as string, unblendedUsd: '1' })])).toThrow(ConnectorError);
    expect(() => rating.account(second as string, [])).toThrow(/ascending order/);
  });

  it('throws on a group of another account, and on an account after finish()', () => {
    const rating = started(input([], { subscriptions: 'all' }));
    expect(() => rating.account(A, [group({ accountId: B, unblendedUsd: '1' })])).toThrow(/a group of account 333333333333 given with account 222222222222/);
    const other = started(input([], { subscriptions: 'all' }));
    other.account(A, [group({ accountId: A, unblendedUsd: '1' })]);
    other.finish();
    expect(() => other.account(B, [group({ accountId: B, unblendedUsd: '1' })])).toThrow(ConnectorError);
    expect(() => other.finish()).toThrow(ConnectorError);
  });

  it('refuses an account id that is not 12 digits with CUR_INPUT naming it, before it reaches a record id', () => {
    const rating = started(input([], { subscriptions: 'all' }));
    const refused = (() => {
      try {
        rating.account('12345678901', [group({ accountId: '12345678901', unblendedUsd: '1' })]);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(ConnectorError);
    expect(refused).toMatchObject({ code: 'CUR_INPUT', message: `the CUR of payer ${PAYER} for 2026-10: account id "12345678901" is not an AWS account id (12 digits)`, where: { payer: PAYER, value: '12345678901' } });
  });
});

describe('PayerRating.finish()', () => {
  it('fails on a group of another period met only in the last account, after the others were rated', () => {
    const rating = started(input([], { subscriptions: subs([A, 'basic'], [B, 'basic']) }));
    expect(rating.account(A, [group({ accountId: A, unblendedUsd: '1' })])?.records).toHaveLength(1);
    expect(rating.failing).toBe(false);
    rating.account(B, [group({ accountId: B, unblendedUsd: '1' }), group({ accountId: B, periodStart: '2026-09-01', unblendedUsd: '1' })]);
    expect(rating.failing).toBe(true);
    const outcome = rating.finish();
    expect(outcome).toEqual({ ok: false, problems: [expect.objectContaining({ code: 'PERIOD_MISMATCH', value: '2026-09-01' })] });
  });

  it('fails on a currency other than USD, each code once, in the order met', () => {
    const rating = started(input([], { subscriptions: 'all' }));
    rating.account(A, [group({ accountId: A, unblendedUsd: '1', currencyCode: '' }), group({ accountId: A, unblendedUsd: '1', currencyCode: 'EUR' })]);
    rating.account(B, [group({ accountId: B, unblendedUsd: '1', currencyCode: 'GBP' }), group({ accountId: B, unblendedUsd: '1', currencyCode: 'EUR' })]);
    const outcome = rating.finish();
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.problems.map((p) => [p.code, p.value])).toEqual([['CURRENCY_NOT_USD', 'EUR'], ['CURRENCY_NOT_USD', 'GBP']]);
  });

  it('fails naming the account whose support table is missing; that account yields nothing', () => {
    const rating = started(input([], { period: '2027-01', subscriptions: subs([A, 'basic'], [B, 'business']) }));
    expect(rating.account(A, [group({ accountId: A, periodStart: '2027-01-01', unblendedUsd: '1' })])).toBeDefined();
    expect(rating.account(B, [group({ accountId: B, periodStart: '2027-01-01', unblendedUsd: '1' })])).toBeUndefined();
    expect(rating.failing).toBe(true);
    const outcome = rating.finish();
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.problems).toEqual([expect.objectContaining({ code: 'SUPPORT_TABLE_MISSING', account: B, value: 'business' })]);
  });

  it('fails with CUR_EMPTY when no group came', () => {
    const outcome = started(input([])).finish();
    expect(outcome).toEqual({ ok: false, problems: [{ code: 'CUR_EMPTY', message: 'no CUR rows for period 2026-10' }] });
  });
});

describe('startPayerRating()', () => {
  it('returns the parameter problems in order: customMarkup, customMarkupMarketplace, currency', () => {
    const s = startPayerRating(input([], { payer: { accountId: PAYER, customMarkup: 'abc', customMarkupMarketplace: '1,1', marketplaceCurrency: 'EUR' } }));
    expect(s.ok).toBe(false);
    if (!s.ok) expect(s.problems.map((p) => [p.code, p.setting])).toEqual([['MARKUP_INVALID', 'customMarkup'], ['MARKUP_INVALID', 'customMarkupMarketplace'], ['FX_INVALID', 'fxRate']]);
  });
});

const PINNED = {
  billedTotal: '6634966.29',
  recordCount: 24,
  dropped: 3,
  rowsRated: 456,
  reconciliation: {
    curTotalUsd: '12149274.04000132534',
    ratedUnblendedUsd: '6425733.774000691641',
    ratedListUsd: '6425733.774000691641',
    excludedUsd: { SppDiscount: '-4367.25', Tax: '865281.000000103563', support: '5120.5' },
    unassignedUsd: '4857506.016000530136',
    onDemandUpliftUsd: '0',
    holds: true,
  },
};
