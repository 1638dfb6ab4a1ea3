import { afterAll, describe, expect, it } from 'vitest';
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { DuckDbCurSource } from '../../../src/adapters/engine/duckdb-cur-source.js';
import { Money, ZERO, money, type Money as MoneyValue } from '../../../src/domain/money.js';
import { readAll } from './cur-fixtures.js';

/** The FinOps Foundation's anonymised legacy CUR (shared/data/README.md). */
const SAMPLE = '/work/shared/data/aws-cur-legacy-sample-2023-11.csv';

/** An independent exact sum of a column, read with csv-parse and summed with decimal.js. */
async function columnSum(column: string): Promise<{ rows: number; total: MoneyValue }> {
  let total = ZERO;
  let rows = 0;
  const parser = createReadStream(SAMPLE).pipe(parse({ bom: true, columns: true }));
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    rows += 1;
    total = total.plus(money(record[column]));
  }
  return { rows, total };
}

describe('the public legacy CUR sample (2023-11)', () => {
  const source = new DuckDbCurSource(SAMPLE);
  afterAll(() => source.close());

  it('aggregates every row, and Σ unblended equals an exact sum computed apart', async () => {
    const result = await readAll(source.aggregate({ period: '2023-11', listPrice: 'unblended', granularity: 'service' }));
    const expected = await columnSum('lineItem/UnblendedCost');
    expect(expected.rows).toBe(1281);
    expect(result.rowsRead).toBe(1281);
    expect(result.groups.reduce((n, g) => n + g.rows, 0)).toBe(1281);
    expect(new Set(result.groups.map((g) => `${g.payerAccountId} ${g.periodStart} ${g.currencyCode}`))).toEqual(new Set(['123412340534 2023-11-01 USD']));
    const total = result.groups.reduce((s, g) => s.plus(new Money(g.unblendedUsd)), ZERO);
    expect(total.isZero()).toBe(false);
    expect(total.equals(expected.total)).toBe(true);
    expect(total.toFixed()).toBe(expected.total.toFixed());
  });

  it('finds no row of another month and no non-USD currency', async () => {
    expect(await source.locate('123412340534', { kind: 'period-not', period: '2023-11' })).toBeUndefined();
    expect(await source.locate('123412340534', { kind: 'currency-not-usd' })).toBeUndefined();
  });
});
