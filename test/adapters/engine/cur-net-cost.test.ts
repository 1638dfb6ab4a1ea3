/**
 * The cost side of the one CUR query (MARGIN.md §1, docs/rating.md "Margin") on the
 * embedded engine: `costUsd` is each row's net cost when it has one (a discount row's
 * is carried by the rows it discounts: 0), else its unblended cost; rows without any
 * cost and discounts without a net cost are counted. CSV (legacy and CUR 2.0 names) and Parquet.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CurAggregateRequest } from '../../../src/app/ports.js';
import type { CurGroup } from '../../../src/domain/cur.js';
import { ALL_FIELDS, closingSources, duckdb, lit, readAll, row, tempDir, writeCsv, type CurRow } from './cur-fixtures.js';

const source = closingSources();
const request: CurAggregateRequest = { period: '2026-10', listPrice: 'unblended', granularity: 'service' };
const WITH_NET = [...ALL_FIELDS, 'net', 'totalDiscount'] as const;

/** An account's month with an EDP: usage net of its discount, the discount rows themselves, a credit, tax, a Marketplace row AWS gives no cost for. */
const rows: CurRow[] = [
  row({ cost: '100', net: '95', totalDiscount: '-5' }),
  row({ cost: '20.5', net: '19.475', totalDiscount: '-1.025' }),
  row({ type: 'EdpDiscount', cost: '-6.025', net: '0' }),
  row({ type: 'PrivateRateDiscount', cost: '-1', net: '-1' }),
  row({ type: 'SppDiscount', cost: '-2', net: '' }),
  row({ type: 'Credit', cost: '-10', net: '-10' }),
  row({ type: 'Tax', cost: '12', net: '12' }),
  row({ product: 'AmazonS3', cost: '3', net: '', totalDiscount: '-0.15' }),
  row({ entity: 'AWS Marketplace', product: 'prod-abc', cost: '', net: '' }),
  row({ entity: 'AWS Marketplace', product: 'prod-abc', cost: '40', net: '40' }),
];

const pick = (groups: CurGroup[], type: string, product = 'AmazonEC2'): CurGroup => {
  const found = groups.find((g) => g.lineItemType === type && g.productCode === product);
  if (found === undefined) throw new Error(`no ${type} ${product} group`);
  return found;
};
const costs = (groups: CurGroup[]) => Object.fromEntries(groups.map((g) => [`${g.lineItemType}/${g.productCode}`, [g.costUsd, g.uncostedRows, g.netMissingDiscountRows]]));

const expected = {
  'Usage/AmazonEC2': ['114.475000000000', 0, 0],
  // A discount row with a net cost counts 0 (its amount is already in the usage's net); one without counts its unblended.
  'EdpDiscount/AmazonEC2': ['0.000000000000', 0, 0],
  'PrivateRateDiscount/AmazonEC2': ['0.000000000000', 0, 0],
  'SppDiscount/AmazonEC2': ['-2.000000000000', 0, 0],
  'Credit/AmazonEC2': ['-10.000000000000', 0, 0],
  'Tax/AmazonEC2': ['12.000000000000', 0, 0],
  // No net value: the unblended cost, and a discount on the row the cost leaves out.
  'Usage/AmazonS3': ['3.000000000000', 0, 1],
  'Usage/prod-abc': ['40.000000000000', 1, 0],
};

describe('DuckDbCurSource: the cost side (costUsd)', () => {
  it('sums the net cost where a row has one (CUR 2.0 names), zero for a discount row that has one', async () => {
    const path = await writeCsv(join(await tempDir(), 'cur2.csv'), rows, { style: 'snake', columns: [...WITH_NET] });
    const { groups } = await readAll(source(path).aggregate(request));
    expect(costs(groups)).toEqual(expected);
    // The rating's side is unchanged: unblended as ever.
    expect(pick(groups, 'Usage').unblendedUsd).toBe('120.500000000000');
  });

  it('reads the legacy names lineItem/NetUnblendedCost and discount/TotalDiscount the same', async () => {
    const path = await writeCsv(join(await tempDir(), 'legacy.csv'), rows, { style: 'legacy', columns: [...WITH_NET] });
    const { groups } = await readAll(source(path).aggregate(request));
    expect(costs(groups)).toEqual(expected);
  });

  it('without the net column every row counts its unblended cost, discount rows included', async () => {
    const path = await writeCsv(join(await tempDir(), 'plain.csv'), rows, { style: 'legacy' });
    const { groups } = await readAll(source(path).aggregate(request));
    for (const g of groups) expect(g.costUsd).toBe(g.unblendedUsd);
    expect(pick(groups, 'EdpDiscount').costUsd).toBe('-6.025000000000');
    expect(pick(groups, 'Usage', 'prod-abc').uncostedRows).toBe(1);
    expect(groups.every((g) => g.netMissingDiscountRows === 0)).toBe(true);
  });

  it('gives the same costs from Parquet with DOUBLE amounts', async () => {
    const dir = await tempDir();
    const csv = await writeCsv(join(dir, 'cur2.csv'), rows, { style: 'snake', columns: [...WITH_NET] });
    const parquet = join(dir, 'cur2.parquet');
    const amount = (c: string) => `TRY_CAST(NULLIF(${c}, '') AS DOUBLE) AS ${c}`;
    await duckdb(
      `COPY (SELECT * REPLACE (${['line_item_unblended_cost', 'pricing_public_on_demand_cost', 'line_item_net_unblended_cost', 'discount_total_discount'].map(amount).join(', ')}) ` +
        `FROM read_csv(${lit(csv)}, header = true, all_varchar = true)) TO ${lit(parquet)} (FORMAT parquet)`,
    );
    const { groups } = await readAll(source(parquet).aggregate(request));
    expect(costs(groups)).toEqual(expected);
  });

  it('names a net cost that is not a number, with file, row and column', async () => {
    const path = await writeCsv(join(await tempDir(), 'bad.csv'), [row({ net: '1.5' }), row({ net: 'n/a' })], { style: 'snake', columns: [...WITH_NET] });
    await expect(readAll(source(path).aggregate(request))).rejects.toMatchObject({
      code: 'CUR_INPUT',
      message: expect.stringContaining('row 2 (data rows from 1, header not counted), column line_item_net_unblended_cost: "n/a" is not a decimal number'),
    });
  });
});
