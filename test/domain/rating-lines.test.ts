/** MARGIN.md §4–§5 inside the rating: lines after each customer's records, in its billed total and in the reconciliation. */
import { describe, expect, it } from 'vitest';
import { balanceKey, type CustomLine } from '../../src/domain/custom-lines.js';
import { money, sum } from '../../src/domain/money.js';
import { ratePayer, type RatedPayer, type RatingOutcome } from '../../src/domain/rating.js';
import { PAYER, PERIOD, group, input, subs } from '../support/groups.js';

const A = '222222222222';
const B = '333333333333';
const C = '444444444444';

function ok(outcome: RatingOutcome): RatedPayer {
  if (!outcome.ok) throw new Error(`expected a rated payer, got ${JSON.stringify(outcome.problems)}`);
  return outcome.payer;
}

const GROUPS = [
  group({ accountId: A, unblendedUsd: '100' }),
  group({ accountId: A, billingEntity: 'AWS Marketplace', productCode: 'prod-abc', unblendedUsd: '40' }),
  group({ accountId: B, unblendedUsd: '10' }),
];

/** A and B subscribed (AS-0001, AS-0002), on basic support. */
function rate(lines: CustomLine[], openings: Map<string, string> = new Map(), over: Parameters<typeof input>[1] = {}): RatedPayer {
  return ok(ratePayer(input(GROUPS, { lines: { lines, openings }, ...over })));
}

const line = (fields: Partial<CustomLine> & Pick<CustomLine, 'id' | 'kind'>): CustomLine => ({ from: PERIOD, description: `line ${fields.id}`, ...fields });

describe('ratePayer() with custom lines', () => {
  it("adds each customer's line records after its usage records, into its billed total and the payer's", () => {
    const p = rate([line({ id: 'fee', kind: 'fee', payerAccountId: PAYER, percent: '10', of: 'marketplace' }), line({ id: 'welcome', kind: 'credit', assetId: 'AS-0002', amount: '25' })]);
    const a = p.accounts.find((x) => x.accountId === A);
    const b = p.accounts.find((x) => x.accountId === B);
    expect(a?.records.map((r) => [r.kind, r.billed])).toEqual([
      ['aws', '100.00'],
      ['marketplace', '40.00'],
      ['fee', '4.00'],
    ]);
    expect(a?.billedTotal).toBe('144.00');
    // B: 10 of usage, no Marketplace (the fee comes to 0: no record), a credit of 25 takes the 10 and no more.
    expect(b?.records.map((r) => [r.kind, r.billed, r.recordId])).toEqual([
      ['aws', '10.00', expect.any(String)],
      ['credit', '-10.00', `${PAYER}-${PERIOD}-${B}-line-welcome`],
    ]);
    expect(b?.billedTotal).toBe('0.00');
    expect(p.billedTotal).toBe('144.00');
    expect(sum(p.records.map((r) => money(r.billed))).toFixed(2)).toBe(p.billedTotal);
    expect(p.lines).toEqual([
      { id: 'fee', kind: 'fee', accountId: A, amount: '4.00' },
      { id: 'welcome', kind: 'credit', accountId: B, amount: '-10.00', opening: '25.00', remainingAfter: '15.00' },
    ]);
  });

  it('states the reconciliation with lines, per payer and per customer with a line', () => {
    const p = rate([line({ id: 'fee', kind: 'fee', assetId: 'AS-0001', amount: '5.50' }), line({ id: 'pc', kind: 'credit', payerAccountId: PAYER, percent: '50', of: 'aws' })]);
    expect(p.reconciliation.lines).toEqual({
      ratedBilled: '150.00',
      fees: '5.50',
      credits: '-55.00',
      fileTotal: '100.50',
      customers: [
        { accountId: A, ratedBilled: '140.00', fees: '5.50', credits: '-50.00', billedTotal: '95.50' },
        { accountId: B, ratedBilled: '10.00', fees: '0.00', credits: '-5.00', billedTotal: '5.00' },
      ],
      holds: true,
    });
    expect(p.billedTotal).toBe('100.50');
  });

  it('bills lines in the billing currency as given: neither markup nor fx applies', () => {
    const p = rate([line({ id: 'fee', kind: 'fee', assetId: 'AS-0002', amount: '50' })], new Map(), { payer: { accountId: PAYER, marketplaceCurrency: 'EUR', fxRate: '0.9', customMarkup: '1.2' } });
    const b = p.accounts.find((x) => x.accountId === B);
    expect(b?.records.map((r) => [r.kind, r.billed])).toEqual([
      ['aws', '10.80'], // 10 × 1.2 × 0.9
      ['fee', '50.00'],
    ]);
  });

  it("gives each customer of a payer-wide flat credit its own balance, carried in from the store's openings", () => {
    const p = rate([line({ id: 'wide', kind: 'credit', payerAccountId: PAYER, amount: '100' })], new Map([[balanceKey('wide', A), '30']]));
    expect(p.lines).toEqual([
      { id: 'wide', kind: 'credit', accountId: A, amount: '-30.00', opening: '30.00', remainingAfter: '0.00' },
      { id: 'wide', kind: 'credit', accountId: B, amount: '-10.00', opening: '100.00', remainingAfter: '90.00' },
    ]);
  });

  it("says when a customer's line is not applied because its account has no CUR rows", () => {
    const p = rate([line({ id: 'idle', kind: 'fee', assetId: 'AS-0003', amount: '9' })], new Map(), { subscriptions: subs([A, 'basic'], [B, 'basic'], [C, 'basic']) });
    expect(p.warnings).toContain(`line idle of asset AS-0003 was not applied: account ${C} has no CUR rows in ${PERIOD}`);
    expect(p.records.some((r) => r.lineId === 'idle')).toBe(false);
  });

  it('leaves the report as before when no line applies', () => {
    const p = ok(ratePayer(input(GROUPS)));
    expect(p.reconciliation.lines).toBeUndefined();
    expect(p.lines).toBeUndefined();
    const later = rate([line({ id: 'later', kind: 'fee', payerAccountId: PAYER, amount: '5', from: '2027-01' })]);
    expect(later.billedTotal).toBe(p.billedTotal);
    expect(later.lines).toEqual([]);
  });
});
