import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DuckDbCurSource } from '../../../src/adapters/engine/duckdb-cur-source.js';
import { duckdb, lit, tempDir, readAll } from './cur-fixtures.js';

const open: DuckDbCurSource[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('DuckDbCurSource over CUR 2.0 Parquet with a product map', () => {
  it("reads the product name from product['product_name']", async () => {
    const path = join(await tempDir(), 'cur2.parquet');
    await duckdb(
      `COPY (SELECT '111122223333' AS bill_payer_account_id, CAST('2026-10-01 00:00:00' AS TIMESTAMP) AS bill_billing_period_start_date, ` +
        `'444455556666' AS line_item_usage_account_id, 'Usage' AS line_item_line_item_type, 'AmazonEC2' AS line_item_product_code, ` +
        `'AWS' AS bill_billing_entity, CAST(0.1 AS DOUBLE) AS line_item_unblended_cost, ` +
        `MAP {'product_name': 'Amazon Elastic Compute Cloud', 'region': 'us-east-1'} AS product) TO ${lit(path)} (FORMAT parquet)`,
    );
    const source = new DuckDbCurSource(path);
    open.push(source);
    const result = await readAll(source.aggregate({ period: '2026-10', listPrice: 'unblended', granularity: 'service' }));
    expect(result.groups.map((g) => [g.productName, g.periodStart, g.unblendedUsd])).toEqual([['Amazon Elastic Compute Cloud', '2026-10-01', '0.100000000000']]);
  });
});
