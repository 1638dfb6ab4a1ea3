import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATED_CUR_HEADER, GENERATED_LINE_ITEM_TYPES, generateCur } from '../../bench/generate-cur.js';

/** Plain decimal or CUR's E-notation; at most 10 decimals once expanded. */
const DECIMAL = /^-?(\d+)(\.(\d+))?(E-(\d+))?$/;

function decimalsOf(text: string): number {
  const m = DECIMAL.exec(text);
  if (m === null) return Number.NaN;
  return (m[3]?.length ?? 0) + Number(m[5] ?? 0);
}

type Row = Record<(typeof GENERATED_CUR_HEADER)[number], string>;

describe('generateCur()', () => {
  let dir: string;
  let path: string;
  let rows: Row[];
  let header: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'generate-cur-'));
    path = join(dir, 'cur.csv');
    const result = await generateCur({ rows: 2000, path, seed: 42 });
    expect(result).toMatchObject({ path, rows: 2000 });
    const text = await readFile(path);
    expect(result.bytes).toBe(text.length);
    header = (parse(text, { to_line: 1 }) as string[][])[0]!;
    rows = parse(text, { columns: true }) as Row[];
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the legacy CUR header and exactly the rows asked for', () => {
    expect(header).toEqual([...GENERATED_CUR_HEADER]);
    expect(rows).toHaveLength(2000);
  });

  it('writes every line item type', () => {
    const types = new Set(rows.map((r) => r['lineItem/LineItemType']));
    for (const type of GENERATED_LINE_ITEM_TYPES) expect(types, type).toContain(type);
  });

  it('writes mostly Usage rows', () => {
    const usage = rows.filter((r) => r['lineItem/LineItemType'] === 'Usage').length;
    expect(usage / rows.length).toBeGreaterThan(0.7);
  });

  it('writes Marketplace rows with product ids and a formula-like product name', () => {
    const mp = rows.filter((r) => r['bill/BillingEntity'] === 'AWS Marketplace');
    expect(mp.length).toBeGreaterThanOrEqual(8);
    expect(mp.length / rows.length).toBeLessThan(0.08);
    for (const r of mp) expect(r['lineItem/ProductCode']).toMatch(/^prod-[a-z0-9]+$/);
    expect(mp.map((r) => r['product/ProductName'])).toContain('=HYPERLINK("x")  Analytics');
    expect(new Set(rows.map((r) => r['bill/BillingEntity']))).toEqual(new Set(['AWS', 'AWS Marketplace']));
  });

  it('writes support fee rows and RI purchase fees', () => {
    const support = rows.filter((r) => /^AWS(Support|DeveloperSupport)/.test(r['lineItem/ProductCode']));
    expect(support.length).toBeGreaterThan(0);
    for (const r of support) expect(r['lineItem/LineItemType']).toBe('Fee');
    expect(rows.some((r) => r['lineItem/LineItemType'] === 'Fee' && r['reservation/ReservationARN'] !== '')).toBe(true);
  });

  it('writes every amount as empty or a decimal with at most 10 decimals', () => {
    let scientific = 0;
    let empty = 0;
    for (const r of rows) {
      for (const column of ['lineItem/UnblendedCost', 'pricing/publicOnDemandCost'] as const) {
        const value = r[column];
        if (value === '') {
          empty++;
          continue;
        }
        expect(value, `${column} ${value}`).toMatch(DECIMAL);
        expect(decimalsOf(value), `${column} ${value}`).toBeLessThanOrEqual(10);
        if (value.includes('E-')) scientific++;
      }
    }
    expect(scientific).toBeGreaterThan(0);
    expect(empty).toBeGreaterThan(0);
  });

  it('fills public on-demand cost and reservation ARN only on the types that carry them', () => {
    const onDemandTypes = new Set(['Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage']);
    const reservationTypes = new Set(['DiscountedUsage', 'RIFee', 'Fee']);
    for (const r of rows) {
      const type = r['lineItem/LineItemType'];
      if (r['pricing/publicOnDemandCost'] !== '') expect(onDemandTypes, type).toContain(type);
      if (r['reservation/ReservationARN'] !== '') {
        expect(reservationTypes, type).toContain(type);
        expect(r['reservation/ReservationARN']).toMatch(/^arn:aws:ec2:[a-z0-9-]+:\d{12}:reserved-instances\//);
      }
      expect(r['lineItem/UsageStartDate'] < r['lineItem/UsageEndDate']).toBe(true);
    }
  });

  it('keeps one payer, one period and USD', () => {
    expect(new Set(rows.map((r) => r['bill/PayerAccountId']))).toEqual(new Set(['111111111111']));
    expect(new Set(rows.map((r) => r['bill/BillingPeriodStartDate']))).toEqual(new Set(['2026-10-01T00:00:00Z']));
    expect(new Set(rows.map((r) => r['lineItem/CurrencyCode']))).toEqual(new Set(['USD']));
    const accounts = new Set(rows.map((r) => r['lineItem/UsageAccountId']));
    expect(accounts.size).toBeGreaterThan(30);
    expect(accounts.size).toBeLessThanOrEqual(40);
    for (const a of accounts) expect(a).toMatch(/^\d{12}$/);
  });

  it('negates each SavingsPlanCoveredUsage row in the next row', () => {
    rows.forEach((r, i) => {
      if (r['lineItem/LineItemType'] !== 'SavingsPlanCoveredUsage' || i + 1 >= rows.length) return;
      const next = rows[i + 1]!;
      expect(next['lineItem/LineItemType']).toBe('SavingsPlanNegation');
      expect(next['lineItem/UnblendedCost']).toBe(`-${r['lineItem/UnblendedCost']}`);
      expect(next['lineItem/UsageAccountId']).toBe(r['lineItem/UsageAccountId']);
      expect(next['lineItem/UsageStartDate']).toBe(r['lineItem/UsageStartDate']);
    });
  });

  it('writes identical bytes for the same seed and different bytes for another', async () => {
    const again = join(dir, 'again.csv');
    const other = join(dir, 'other.csv');
    await generateCur({ rows: 2000, path: again, seed: 42 });
    await generateCur({ rows: 2000, path: other, seed: 43 });
    const [a, b, c] = await Promise.all([readFile(path), readFile(again), readFile(other)]);
    expect(b.equals(a)).toBe(true);
    expect(c.equals(a)).toBe(false);
  });

  it('writes the same CSV gzip-compressed when asked', async () => {
    const gz = join(dir, 'cur.csv.gz');
    const result = await generateCur({ rows: 2000, path: gz, seed: 42, gzip: true });
    const plain = await readFile(path);
    expect(gunzipSync(await readFile(gz)).equals(plain)).toBe(true);
    expect(result.bytes).toBeLessThan(plain.length);
  });

  it('writes only the prelude rows that fit when asked for very few rows', async () => {
    const small = join(dir, 'small.csv');
    const result = await generateCur({ rows: 3, path: small, seed: 1, accounts: 2, services: 5 });
    expect(result.rows).toBe(3);
    expect(parse(await readFile(small), { columns: true })).toHaveLength(3);
  });

  it('rejects a malformed period', async () => {
    await expect(generateCur({ rows: 1, path: join(dir, 'x.csv'), period: '2026-13' })).rejects.toThrow(/YYYY-MM/);
  });
});
