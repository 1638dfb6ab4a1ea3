/** MARGIN.md §1–§3: the distributor's cost, the customer's billed side, the margin, the Partner-Led Support discount. */
import { describe, expect, it } from 'vitest';
import type { CurGroup } from '../../src/domain/cur.js';
import { MarginBook, accountCost, allocateCents, plsDiscount, type BilledRecord, type MarginSettings } from '../../src/domain/margin.js';
import { Money, money, sum } from '../../src/domain/money.js';
import { catalog, group } from '../support/groups.js';

const SUPPORT = catalog.productCodes;
const settings = (over: Partial<MarginSettings> = {}): MarginSettings => ({ currency: 'USD', fxRate: new Money(1), fxRateText: '1', amountDecimals: 2, discount: new Money(0), ...over });
const who = (accountId = '222222222222') => ({ accountId, assetId: `AS-${accountId.slice(0, 4)}`, customer: 'Acme Corp' });
const rec = (billed: string, over: Partial<BilledRecord> = {}): BilledRecord => ({ billingEntity: 'AWS', productCode: 'AmazonEC2', usageType: '', note: 'Amazon Elastic Compute Cloud', billed, ...over });
const cost = (...groups: CurGroup[]) => accountCost(groups, SUPPORT);

describe('accountCost() (MARGIN.md §1)', () => {
  it('sums cost(row) as the query gave it: the net cost, not the unblended, when the group has one', () => {
    const c = cost(group({ unblendedUsd: '100', costUsd: '95' }), group({ productCode: 'AmazonS3', unblendedUsd: '10' }));
    expect(c.costUsd.toFixed()).toBe('105');
  });

  it('without the net column sums every row, discounts, credits and refunds included: what the distributor pays', () => {
    const c = cost(
      group({ unblendedUsd: '100' }),
      group({ lineItemType: 'SppDiscount', unblendedUsd: '-2.5' }),
      group({ lineItemType: 'EdpDiscount', unblendedUsd: '-3' }),
      group({ lineItemType: 'Credit', unblendedUsd: '-10' }),
      group({ lineItemType: 'Refund', unblendedUsd: '-1.25' }),
    );
    expect(c.costUsd.toFixed()).toBe('83.25');
  });

  it('counts every row once, whatever the rating did: excluded discount, support, commitment and rated rows alike', () => {
    const c = cost(
      group({ unblendedUsd: '50' }),
      group({ lineItemType: 'SavingsPlanRecurringFee', productCode: 'ComputeSavingsPlans', unblendedUsd: '30' }),
      group({ lineItemType: 'Fee', productCode: 'AWSSupportBusiness', unblendedUsd: '100' }),
      group({ lineItemType: 'DistributorDiscount', unblendedUsd: '-0.07' }),
    );
    expect(c.costUsd.toFixed()).toBe('179.93');
    expect(c.supportCostUsd.toFixed()).toBe('100');
  });

  it('keeps Tax apart', () => {
    const c = cost(group({ unblendedUsd: '100' }), group({ lineItemType: 'Tax', unblendedUsd: '19' }), group({ lineItemType: 'Tax', billingEntity: 'AWS Marketplace', productCode: 'prod-x', unblendedUsd: '1.5' }));
    expect([c.costUsd.toFixed(), c.taxUsd.toFixed()]).toEqual(['100', '20.5']);
  });
});

describe('MarginBook (MARGIN.md §1, §2)', () => {
  it('rounds awsCostUsd and taxUsd once, at the end, half up', () => {
    const book = new MarginBook(settings());
    const groups = ['a', 'b', 'c'].map((p) => group({ productCode: `Amazon${p}`, unblendedUsd: '0.004' }));
    const m = book.customer(who(), cost(...groups, group({ lineItemType: 'Tax', unblendedUsd: '0.0025' }), group({ lineItemType: 'Tax', productCode: 'AmazonS3', unblendedUsd: '0.0025' })), []).margin;
    // 3 × 0.004 = 0.012 → 0.01 (each rounded first would be 0.00); tax 0.005 → 0.01 (half up).
    expect([m.awsCostUsd, m.taxUsd]).toEqual(['0.01', '0.01']);
  });

  it('bills the sum of the customer\'s rounded records, whatever their category, and converts it once', () => {
    const book = new MarginBook(settings({ currency: 'EUR', fxRate: new Money('0.92'), fxRateText: '0.92' }));
    const records = [rec('10.00'), rec('5.55', { productCode: 'support', note: 'AWS Support (business)' }), rec('3.00', { productCode: 'line-fee', note: 'Setup fee' }), rec('-1.00', { productCode: 'line-credit', note: 'Goodwill' })];
    const m = book.customer(who(), cost(group({ unblendedUsd: '12.3456' })), records).margin;
    // 17.55 EUR ÷ 0.92 = 19.0760869... → 19.08 USD.
    expect(m).toMatchObject({ billed: '17.55', billedUsd: '19.08', awsCostUsd: '12.35', marginUsd: '6.73', marginPercent: '35.3' });
  });

  it('rounds the margin percent to 1 place half up, and leaves it empty when billedUsd is 0', () => {
    const book = new MarginBook(settings());
    // 1/3 of 100: margin 33.333... % → 33.3; 0.25 of 8: 3.125 % → 3.1; 1/16: 6.25 → 6.3.
    expect(book.customer(who('111111111111'), cost(group({ accountId: '111111111111', unblendedUsd: '2' })), [rec('3.00')]).margin.marginPercent).toBe('33.3');
    expect(book.customer(who('222222222222'), cost(group({ unblendedUsd: '7.75' })), [rec('8.00')]).margin.marginPercent).toBe('3.1');
    expect(book.customer(who('333333333333'), cost(group({ accountId: '333333333333', unblendedUsd: '15' })), [rec('16.00')]).margin.marginPercent).toBe('6.3');
    const none = book.customer(who('444444444444'), cost(group({ accountId: '444444444444', unblendedUsd: '4' })), []).margin;
    expect(none).toMatchObject({ billed: '0.00', billedUsd: '0.00', awsCostUsd: '4.00', marginUsd: '-4.00', marginPercent: '' });
  });

  it('gives the customer\'s name and ids, null where the name is unknown', () => {
    const book = new MarginBook(settings());
    const m = book.customer({ accountId: '222222222222', assetId: null }, cost(group({ unblendedUsd: '1' })), []).margin;
    expect(m).toMatchObject({ accountId: '222222222222', assetId: null, customer: null });
  });

  it('totals: sums of the customers\' rounded figures plus the unassigned cost; billedUsd = awsCostUsd + marginUsd per customer and per payer', () => {
    const book = new MarginBook(settings({ currency: 'GBP', fxRate: new Money('0.79'), fxRateText: '0.79' }));
    const amounts = ['0.005', '1234.5678', '0.333333', '99.995', '-3.004', '17.0049'];
    amounts.forEach((a, i) => {
      const account = `${i + 1}`.repeat(12);
      book.customer(who(account), cost(group({ accountId: account, unblendedUsd: a }), group({ accountId: account, lineItemType: 'Tax', unblendedUsd: '0.125' })), [rec(money(a).times('0.9').toFixed(2)), rec('0.01')]);
    });
    book.unassigned(cost(group({ accountId: '999999999999', unblendedUsd: '5.555' })));
    book.unassigned(cost(group({ accountId: '999999999998', unblendedUsd: '4.444' }), group({ accountId: '999999999998', lineItemType: 'Tax', unblendedUsd: '0.001' })));
    const report = book.finish();
    for (const c of report.customers) expect(money(c.awsCostUsd).plus(money(c.marginUsd)).equals(money(c.billedUsd))).toBe(true);
    const t = report.totals;
    expect(money(t.awsCostUsd).plus(money(t.marginUsd)).equals(money(t.billedUsd))).toBe(true);
    // The unassigned accounts are rounded once, together: 5.555 + 4.444 = 9.999 → 10.00.
    expect(report.unassigned).toEqual({ awsCostUsd: '10.00', taxUsd: '0.00' });
    expect(money(t.awsCostUsd).equals(sum(report.customers.map((c) => money(c.awsCostUsd))).plus('10.00'))).toBe(true);
    expect(money(t.taxUsd).equals(sum(report.customers.map((c) => money(c.taxUsd))))).toBe(true);
    expect(money(t.billed).equals(sum(report.customers.map((c) => money(c.billed))))).toBe(true);
    expect(money(t.billedUsd).equals(sum(report.customers.map((c) => money(c.billedUsd))))).toBe(true);
    expect(report).toMatchObject({ currency: 'GBP', fxRate: '0.79', partnerLedSupport: { discount: '0' } });
  });

  it('splits a customer\'s cost and billed over its services so they add back to the customer\'s figures exactly', () => {
    const book = new MarginBook(settings({ fxRate: new Money('0.92'), fxRateText: '0.92' }));
    const groups = [
      group({ unblendedUsd: '0.005' }),
      group({ productCode: 'AmazonS3', unblendedUsd: '0.005', productName: 'Amazon Simple Storage Service' }),
      group({ productCode: 'AWSLambda', unblendedUsd: '0.005' }),
      group({ productCode: 'AWSSupportBusiness', lineItemType: 'Fee', unblendedUsd: '100' }),
      group({ lineItemType: 'Tax', unblendedUsd: '3' }),
    ];
    const records = [rec('0.01'), rec('0.01', { productCode: 'AmazonS3', note: 'Amazon Simple Storage Service' }), rec('92.00', { productCode: 'support', note: 'AWS Support (business)' }), rec('-0.01', { productCode: 'line-credit', note: 'Credit' })];
    const { margin: m, services } = book.customer(who(), cost(...groups), records);
    expect(services.map((s) => s.productCode)).toEqual(['AWSLambda', 'AmazonEC2', 'AmazonS3', 'line-credit', 'support']);
    expect(sum(services.map((s) => money(s.awsCostUsd))).equals(money(m.awsCostUsd))).toBe(true);
    expect(sum(services.map((s) => money(s.billed))).equals(money(m.billed))).toBe(true);
    expect(sum(services.map((s) => money(s.billedUsd))).equals(money(m.billedUsd))).toBe(true);
    expect(sum(services.map((s) => money(s.marginUsd))).equals(money(m.marginUsd))).toBe(true);
    for (const s of services) expect(money(s.awsCostUsd).plus(money(s.marginUsd)).equals(money(s.billedUsd))).toBe(true);
    // 3 × 0.005 = 0.015 → 0.02 for the customer: two of the three services get the cent.
    expect(services.filter((s) => ['AWSLambda', 'AmazonEC2', 'AmazonS3'].includes(s.productCode)).map((s) => s.awsCostUsd)).toEqual(['0.01', '0.01', '0.00']);
    expect(services.find((s) => s.productCode === 'support')).toEqual({ billingEntity: 'AWS', productCode: 'support', note: 'AWS Support (business)', awsCostUsd: '100.00', billed: '92.00', billedUsd: '100.00', marginUsd: '0.00' });
    expect(services.find((s) => s.productCode === 'AmazonS3')?.note).toBe('Amazon Simple Storage Service');
  });

  it('says what the CUR cannot tell about a customer\'s cost, and never guesses it', () => {
    const book = new MarginBook(settings());
    const c = cost(
      group({ unblendedUsd: '10' }),
      group({ billingEntity: 'AWS Marketplace', productCode: 'prod-b', unblendedUsd: '0', uncostedRows: 2 }),
      group({ billingEntity: 'AWS Marketplace', productCode: 'prod-a', unblendedUsd: '5', uncostedRows: 1 }),
      group({ productCode: 'AmazonS3', unblendedUsd: '4', netMissingDiscountRows: 3 }),
    );
    const m = book.customer(who(), c, [rec('30.00')]).margin;
    expect(m.awsCostUsd).toBe('19.00');
    expect(m.costNote).toBe(
      '3 AWS Marketplace row(s) of prod-a, prod-b have no cost in the CUR: awsCostUsd leaves them out; ' +
        '3 row(s) carry a discount (discount_total_discount) but no line_item_net_unblended_cost: awsCostUsd is before that discount',
    );
    const clean = book.customer(who('333333333333'), cost(group({ accountId: '333333333333', unblendedUsd: '1' }), group({ accountId: '333333333333', lineItemType: 'Usage', unblendedUsd: '', uncostedRows: 1 })), []).margin;
    expect(clean.costNote).toBeUndefined();
    expect(book.finish().totals.costNote).toBe('1 customer(s) have a cost the CUR cannot fully tell (see their costNote)');
  });

  it('does not flag a discount without a net cost when the account has its own discount rows (they are in the sum)', () => {
    const book = new MarginBook(settings());
    const m = book.customer(who(), cost(group({ unblendedUsd: '10', netMissingDiscountRows: 2 }), group({ lineItemType: 'EdpDiscount', unblendedUsd: '-0.5' })), []).margin;
    expect(m.costNote).toBeUndefined();
    expect(m.awsCostUsd).toBe('9.50');
  });
});

describe('plsDiscount() and the Partner-Led Support discount (MARGIN.md §3)', () => {
  it.each([
    [{ baseDiscount: '0.25' }, '0.25'],
    [{ baseDiscount: '0.25', caseQuality: true }, '0.3'],
    [{ baseDiscount: '0.25', caseQuality: true, caseOwnership: false, qualitySurvey: true }, '0.35'],
    [{ baseDiscount: '0.2', caseQuality: true, caseOwnership: true, qualitySurvey: true }, '0.35'],
    [{ baseDiscount: '0.30', caseQuality: true, caseOwnership: true, qualitySurvey: true }, '0.4'],
    [{ baseDiscount: '0.40', caseQuality: true }, '0.4'],
    [{ baseDiscount: '0' }, '0'],
  ])('%j gives %s (0 to 3 measures, never above 0.40)', (setting, expected) => {
    expect(plsDiscount(setting).toFixed()).toBe(expected);
  });

  it('is 0 without the setting', () => {
    expect(plsDiscount(undefined).toFixed()).toBe('0');
  });

  it('refuses a base discount outside [0, 0.40], naming it', () => {
    expect(() => plsDiscount({ baseDiscount: '0.41' })).toThrow(/partnerLedSupport.baseDiscount "0.41" is not in \[0, 0.40\]/);
  });

  it('lowers the distributor\'s support cost only: discount × the support rows\' cost; the billed side is what the records say', () => {
    const groups = [group({ unblendedUsd: '1000' }), group({ productCode: 'AWSSupportBusiness', lineItemType: 'Fee', unblendedUsd: '100' }), group({ productCode: 'AWSSupportBusiness', lineItemType: 'Tax', unblendedUsd: '10' })];
    const records = [rec('1100.00'), rec('110.00', { productCode: 'support', note: 'AWS Support (business)' })];
    const plain = new MarginBook(settings()).customer(who(), cost(...groups), records);
    const book = new MarginBook(settings({ discount: plsDiscount({ baseDiscount: '0.25', caseQuality: true, qualitySurvey: true }) }));
    const pls = book.customer(who(), cost(...groups), records);
    expect(plain.margin).toMatchObject({ awsCostUsd: '1100.00', taxUsd: '10.00', billed: '1210.00', marginUsd: '110.00' });
    // 0.35 × 100 (the support Tax row stays tax): cost 1,065.
    expect(pls.margin).toMatchObject({ awsCostUsd: '1065.00', taxUsd: '10.00', billed: '1210.00', billedUsd: '1210.00', marginUsd: '145.00', marginPercent: '12.0' });
    expect(pls.services.find((s) => s.productCode === 'support')).toMatchObject({ awsCostUsd: '65.00', billed: '110.00', marginUsd: '45.00' });
    expect(book.finish().partnerLedSupport).toEqual({ discount: '0.35' });
  });

  it('applies to the unassigned accounts\' support rows too', () => {
    const book = new MarginBook(settings({ discount: new Money('0.4') }));
    book.unassigned(cost(group({ accountId: '555555555555', productCode: 'AWSDeveloperSupport', lineItemType: 'Fee', unblendedUsd: '29' })));
    expect(book.finish().unassigned.awsCostUsd).toBe('17.40');
  });
});

describe('allocateCents()', () => {
  it.each([
    [['0.005', '0.005', '0.005'], '0.02', ['0.01', '0.01', '0']],
    [['-0.004', '1.236', '2.001'], '3.23', ['0', '1.23', '2']],
    [['10', '-10'], '0', ['10', '-10']],
    [[], '0', []],
  ])('splits %j into pieces that add back to %s', (parts, total, expected) => {
    const pieces = allocateCents(parts.map((p) => new Money(p)), new Money(total));
    expect(pieces.map((p) => p.toFixed())).toEqual(expected);
    expect(sum(pieces).equals(new Money(total))).toBe(true);
  });

  it('refuses a total that is not the parts\' sum rounded (a broken invariant)', () => {
    expect(() => allocateCents([new Money('1.00')], new Money('1.05'))).toThrow(/cannot split 1.05/);
  });
});
