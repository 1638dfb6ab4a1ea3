/** MARGIN.md §4: custom lines and credits, checked and worked out for one customer and period. */
import { describe, expect, it } from 'vitest';
import { accountLines, appliesTo, balanceKey, parseLine, type AccountLinesInput, type CustomLine, type LineInput, type LineRules } from '../../src/domain/custom-lines.js';
import { Money } from '../../src/domain/money.js';

const PAYER = '111111111111';
const ACCOUNT = '222222222222';
const ASSET = 'AS-0001-0001';
const RULES: LineRules = { amountDecimals: 2 };

const line = (fields: Partial<CustomLine> & Pick<CustomLine, 'id' | 'kind'>): CustomLine => ({ from: '2026-01', description: `line ${fields.id}`, assetId: ASSET, ...fields });

/** The customer's lines for a month whose rounded records are `aws` (usage + support) and `marketplace`. */
function run(lines: CustomLine[], aws: string, marketplace = '0', extra: Partial<AccountLinesInput> = {}) {
  return accountLines({
    payerAccountId: PAYER,
    period: '2026-03',
    accountId: ACCOUNT,
    assetId: ASSET,
    lines,
    openings: new Map(),
    amountDecimals: 2,
    base: { aws: new Money(aws), marketplace: new Money(marketplace) },
    ...extra,
  });
}

const amounts = (result: ReturnType<typeof run>): Record<string, string> => Object.fromEntries(result.records.map((r) => [r.lineId, r.billed]));

describe('accountLines(): fees', () => {
  it('bills a flat fee as its amount, one record in category custom_lines with the stable id', () => {
    const result = run([line({ id: 'mgmt', kind: 'fee', amount: '50', description: 'Management fee' })], '1000');
    expect(result.records).toEqual([
      expect.objectContaining({ recordId: `${PAYER}-2026-03-${ACCOUNT}-line-mgmt`, kind: 'fee', billed: '50.00', billedExact: '50.00', note: 'Management fee', accountId: ACCOUNT, assetId: ASSET, lineId: 'mgmt' }),
    ]);
    expect(result.fees.toFixed()).toBe('50');
    expect(result.applied).toEqual([{ id: 'mgmt', kind: 'fee', accountId: ACCOUNT, amount: '50.00' }]);
  });

  it.each([
    ['aws', '10.00'], // 5 % of 200 (usage and support)
    ['marketplace', '4.00'], // 5 % of 80
    ['total', '14.00'], // 5 % of 280
  ] as const)('bills a percent fee of %s as percent ÷ 100 × that base', (of, expected) => {
    expect(amounts(run([line({ id: 'p', kind: 'fee', percent: '5', of })], '200', '80'))).toEqual({ p: expected });
  });

  it('rounds a percent fee once, half up, to amountDecimals', () => {
    // 2.5 % of 100.10 = 2.5025 → 2.50; 2.5 % of 100.20 = 2.505 → 2.51
    expect(amounts(run([line({ id: 'p', kind: 'fee', percent: '2.5', of: 'aws' })], '100.10'))).toEqual({ p: '2.50' });
    expect(amounts(run([line({ id: 'p', kind: 'fee', percent: '2.5', of: 'aws' })], '100.20'))).toEqual({ p: '2.51' });
  });

  it('gives no record for a line that comes to 0 (a percent of an empty or negative base)', () => {
    expect(run([line({ id: 'p', kind: 'fee', percent: '10', of: 'marketplace' })], '500', '0').records).toEqual([]);
    expect(run([line({ id: 'p', kind: 'fee', percent: '10', of: 'aws' })], '-20').records).toEqual([]);
    expect(run([line({ id: 'p', kind: 'fee', percent: '1', of: 'aws' })], '0.40').records).toEqual([]); // 0.004 → 0.00
  });
});

describe('accountLines(): credits', () => {
  it('takes a flat credit as a negative record in category credits and carries nothing when it is used up', () => {
    const result = run([line({ id: 'welcome', kind: 'credit', amount: '30' })], '100');
    expect(result.records).toEqual([expect.objectContaining({ kind: 'credit', billed: '-30.00', recordId: `${PAYER}-2026-03-${ACCOUNT}-line-welcome` })]);
    expect(result.applied).toEqual([{ id: 'welcome', kind: 'credit', accountId: ACCOUNT, amount: '-30.00', opening: '30.00', remainingAfter: '0.00' }]);
    expect(result.credits.toFixed()).toBe('-30');
  });

  it('never takes the month below 0: a flat credit above the bill takes the bill and carries the rest', () => {
    const result = run([line({ id: 'big', kind: 'credit', amount: '500' })], '120.55', '9.45');
    expect(amounts(result)).toEqual({ big: '-130.00' });
    expect(result.applied[0]).toMatchObject({ opening: '500.00', remainingAfter: '370.00' });
  });

  it('starts a flat credit from the balance carried in, not from its amount', () => {
    const openings = new Map([[balanceKey('big', ACCOUNT), '370.00']]);
    const result = run([line({ id: 'big', kind: 'credit', amount: '500' })], '1000', '0', { openings });
    expect(amounts(result)).toEqual({ big: '-370.00' });
    expect(result.applied[0]).toMatchObject({ opening: '370.00', remainingAfter: '0.00' });
  });

  it("starts from a lines file's remaining when no balance is carried in", () => {
    const result = run([line({ id: 'big', kind: 'credit', amount: '500', remaining: '12.5' })], '1000');
    expect(amounts(result)).toEqual({ big: '-12.50' });
  });

  it('reports a flat credit the month could not use at all, with its balance, but gives it no record', () => {
    const result = run([line({ id: 'big', kind: 'credit', amount: '40' })], '0');
    expect(result.records).toEqual([]);
    expect(result.applied).toEqual([{ id: 'big', kind: 'credit', accountId: ACCOUNT, amount: '0.00', opening: '40.00', remainingAfter: '40.00' }]);
  });

  it('leaves an exhausted flat credit out of the report', () => {
    const openings = new Map([[balanceKey('big', ACCOUNT), '0']]);
    expect(run([line({ id: 'big', kind: 'credit', amount: '40' })], '100', '0', { openings }).applied).toEqual([]);
  });

  it('computes a percent credit like a percent fee and does not carry what it could not use', () => {
    expect(amounts(run([line({ id: 'pc', kind: 'credit', percent: '10', of: 'total' })], '200', '50'))).toEqual({ pc: '-25.00' });
    const capped = run([line({ id: 'flat', kind: 'credit', amount: '95', from: '2025-01' }), line({ id: 'pc', kind: 'credit', percent: '10', of: 'aws' })], '100');
    expect(amounts(capped)).toEqual({ flat: '-95.00', pc: '-5.00' }); // 10 would go below 0: 5 is left
    expect(capped.applied.find((a) => a.id === 'pc')).toEqual({ id: 'pc', kind: 'credit', accountId: ACCOUNT, amount: '-5.00' });
  });

  it('takes credits in order of from, then id, after every fee', () => {
    const lines = [
      line({ id: 'b', kind: 'credit', amount: '60', from: '2026-02' }),
      line({ id: 'a', kind: 'credit', amount: '60', from: '2026-02' }),
      line({ id: 'z', kind: 'credit', amount: '60', from: '2026-01' }),
      line({ id: 'fee', kind: 'fee', amount: '20', from: '2026-03' }),
    ];
    const result = run(lines, '100');
    // base 100 + fee 20 = 120: z (from 2026-01) takes 60, a takes 60, b finds nothing left.
    expect(result.records.map((r) => [r.lineId, r.billed])).toEqual([
      ['fee', '20.00'],
      ['z', '-60.00'],
      ['a', '-60.00'],
    ]);
    expect(result.applied.find((a) => a.id === 'b')).toMatchObject({ amount: '0.00', remainingAfter: '60.00' });
    expect(result.fees.plus(result.credits).plus(100).toFixed()).toBe('0');
  });

  it('takes nothing from a month whose records sum below 0 (a refund month)', () => {
    const result = run([line({ id: 'c', kind: 'credit', amount: '10' }), line({ id: 'pc', kind: 'credit', percent: '5', of: 'total' })], '-15');
    expect(result.records).toEqual([]);
    expect(result.applied).toEqual([{ id: 'c', kind: 'credit', accountId: ACCOUNT, amount: '0.00', opening: '10.00', remainingAfter: '10.00' }]);
  });
});

describe('accountLines(): which lines apply', () => {
  it('applies a payer-wide line to the customer of that payer, and an asset line only to its asset', () => {
    const lines = [
      line({ id: 'payer-wide', kind: 'fee', amount: '5', assetId: undefined, payerAccountId: PAYER }),
      line({ id: 'other-payer', kind: 'fee', amount: '5', assetId: undefined, payerAccountId: '999999999999' }),
      line({ id: 'mine', kind: 'fee', amount: '7' }),
      line({ id: 'other-asset', kind: 'fee', amount: '9', assetId: 'AS-9999' }),
    ];
    expect(amounts(run(lines, '100'))).toEqual({ 'payer-wide': '5.00', mine: '7.00' });
    // Billed without a subscription (--bill-all-accounts): only payer-wide lines reach it.
    expect(amounts(run(lines, '100', '0', { assetId: null }))).toEqual({ 'payer-wide': '5.00' });
  });

  it('applies a line from its first period to its last, both included; open-ended without to', () => {
    expect(appliesTo({ from: '2026-03', to: '2026-05' }, '2026-02')).toBe(false);
    expect(appliesTo({ from: '2026-03', to: '2026-05' }, '2026-03')).toBe(true);
    expect(appliesTo({ from: '2026-03', to: '2026-05' }, '2026-05')).toBe(true);
    expect(appliesTo({ from: '2026-03', to: '2026-05' }, '2026-06')).toBe(false);
    expect(appliesTo({ from: '2026-03' }, '2031-12')).toBe(true);
    expect(amounts(run([line({ id: 'later', kind: 'fee', amount: '5', from: '2026-04' }), line({ id: 'ended', kind: 'fee', amount: '5', to: '2026-02' })], '100'))).toEqual({});
  });
});

describe('parseLine()', () => {
  const valid: LineInput = { id: 'welcome-1', kind: 'credit', assetId: ASSET, amount: '100.50', from: '2026-01', to: '2026-06', description: 'Welcome credit' };

  it('returns a valid line typed, amounts as exact text', () => {
    expect(parseLine({ ...valid, amount: ' 100.50 ' }, RULES)).toEqual({ ok: true, line: { id: 'welcome-1', kind: 'credit', assetId: ASSET, amount: '100.5', from: '2026-01', to: '2026-06', description: 'Welcome credit' } });
    expect(parseLine({ id: 'p', kind: 'fee', payerAccountId: PAYER, percent: '2.5', of: 'total', from: '2026-01', description: 'Service fee' }, RULES)).toMatchObject({ ok: true, line: { percent: '2.5', of: 'total', payerAccountId: PAYER } });
  });

  it.each<[string, LineInput, LineRules, string]>([
    ['a percent over 100', { ...valid, amount: undefined, percent: '120', of: 'aws' }, RULES, 'percent "120" is over 100'],
    ['a percent of 0', { ...valid, amount: undefined, percent: '0', of: 'aws' }, RULES, 'percent "0" must be above 0'],
    ['a negative percent', { ...valid, amount: undefined, percent: '-5', of: 'aws' }, RULES, 'percent "-5" must be above 0'],
    ['a percent that is not a number', { ...valid, amount: undefined, percent: '5%', of: 'aws' }, RULES, 'percent "5%" is not a decimal number'],
    ['an unknown asset', valid, { ...RULES, knownAssets: new Set(['AS-2']), assetsOrigin: 'the assets file a.json' }, 'assetId "AS-0001-0001" is not a known subscription (the assets file a.json)'],
    ['an unknown payer', { ...valid, assetId: undefined, payerAccountId: '333333333333' }, { ...RULES, knownPayers: new Set([PAYER]) }, 'payerAccountId "333333333333" is not a configured payer'],
    ['a payer that is not an account id', { ...valid, assetId: undefined, payerAccountId: '12345' }, RULES, 'payerAccountId "12345" is not a 12-digit account id'],
    ['a range that ends before it starts', { ...valid, from: '2026-05', to: '2026-02' }, RULES, 'the range ends before it starts: to "2026-02" is before from "2026-05"'],
    ['more decimals than the currency', { ...valid, amount: '10.005' }, RULES, 'amount "10.005" has 3 decimals; the billing currency has 2 (rating.amountDecimals)'],
    ['decimals for a currency without any', { ...valid, amount: '10.5' }, { amountDecimals: 0 }, 'amount "10.5" has 1 decimals; the billing currency has 0'],
    ['both amount and percent', { ...valid, percent: '5', of: 'aws' }, RULES, 'give amount or percent, not both (amount "100.50", percent "5")'],
    ['neither amount nor percent', { ...valid, amount: undefined }, RULES, 'give amount (flat) or percent (with of)'],
    ['a negative amount', { ...valid, amount: '-10' }, RULES, 'amount "-10" must be positive (above 0)'],
    ['an amount of 0', { ...valid, amount: '0.00' }, RULES, 'amount "0.00" must be positive (above 0)'],
    ['an amount in exponent notation', { ...valid, amount: '1e3' }, RULES, 'amount "1e3" is not a decimal number'],
    ['a bad from period', { ...valid, from: '2026-13' }, RULES, 'from "2026-13" is not a period YYYY-MM'],
    ['a bad to period', { ...valid, to: '26-01' }, RULES, 'to "26-01" is not a period YYYY-MM'],
    ['a missing from', { ...valid, from: undefined }, RULES, 'from is missing'],
    ['an unknown kind', { ...valid, kind: 'discount' }, RULES, 'kind "discount" is not fee or credit'],
    ['of missing for a percent', { ...valid, amount: undefined, percent: '5' }, RULES, 'of is missing: percent "5" of what (aws, marketplace or total)?'],
    ['an unknown of', { ...valid, amount: undefined, percent: '5', of: 'usage' }, RULES, 'of "usage" is not aws, marketplace or total'],
    ['of with a flat amount', { ...valid, of: 'aws' }, RULES, 'of "aws" is only for a percent line'],
    ['both scopes', { ...valid, payerAccountId: PAYER }, RULES, 'give assetId or payerAccountId, not both'],
    ['no scope', { ...valid, assetId: undefined }, RULES, 'give assetId (one customer) or payerAccountId'],
    ['an id that would break the record id', { ...valid, id: 'a b/c' }, RULES, 'id "a b/c" must be letters, digits, - and _'],
    ['a missing description', { ...valid, description: ' ' }, RULES, 'description is missing'],
    ['remaining outside a lines file', { ...valid, remaining: '5' }, RULES, 'remaining "5" is only for a lines file'],
    ['remaining above the amount', { ...valid, remaining: '200' }, { ...RULES, allowRemaining: true }, 'remaining "200" is more than the credit\'s amount "100.50"'],
    ['remaining on a fee', { ...valid, kind: 'fee', remaining: '5' }, { ...RULES, allowRemaining: true }, 'remaining "5" is only for a flat credit'],
  ])('refuses %s, naming the value', (_name, input, rules, message) => {
    const parsed = parseLine(input, rules);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.problems.map((p) => p.message)).toEqual([expect.stringContaining(message)]);
  });

  it('lists every problem of a line at once', () => {
    const parsed = parseLine({ id: 'x', kind: 'gift', percent: '150', from: 'March', description: 'x' }, RULES);
    expect(parsed.ok ? [] : parsed.problems.map((p) => p.field)).toEqual(['kind', 'line', 'percent', 'of', 'from']);
  });
});
