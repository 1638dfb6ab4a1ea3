import { describe, expect, it } from 'vitest';
import { RESULT_COLUMNS, buildBadAmountQuery, buildBareQuery, buildCurQuery, quoteRelation } from '../../src/app/cur-query.js';

const functionsOf = (sql: string): Set<string> => new Set([...sql.matchAll(/\b([A-Za-z_]+)\s*\(/g)].map((m) => (m[1] as string).toUpperCase()));

describe('buildCurQuery()', () => {
  it.each([
    ['unblended', 'service'],
    ['on-demand', 'usage-type'],
  ] as const)('keeps to SQL that Trino and DuckDB both accept (%s, %s)', (listPrice, granularity) => {
    const sql = buildCurQuery({ relation: 'cur_input', listPrice, granularity });
    expect([...functionsOf(sql)].every((f) => ['CAST', 'COALESCE', 'SUM', 'MAX', 'COUNT', 'DECIMAL'].includes(f))).toBe(true);
    for (const column of RESULT_COLUMNS) expect(sql).toContain(` AS ${column}`);
  });

  it('groups only on the columns the settings need', () => {
    expect(buildCurQuery({ relation: 't', listPrice: 'unblended', granularity: 'service' })).toMatch(/GROUP BY 1, 2, 3, 4, 5, 6, 7\n/);
    expect(buildCurQuery({ relation: 't', listPrice: 'on-demand', granularity: 'usage-type' })).toMatch(/GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9\n/);
  });

  it('orders the groups by payer and then account (select positions 1 and 3)', () => {
    const sql = buildCurQuery({ relation: 't', listPrice: 'unblended', granularity: 'service' });
    expect(sql).toMatch(/\nORDER BY 3, 1$/);
    const selected = sql.split('\n').filter((l) => l.startsWith('  ')).map((l) => /AS (\w+),?$/.exec(l)?.[1]);
    expect([selected[0], selected[2]]).toEqual(['payer_account_id', 'account_id']);
    expect(selected).toEqual([...RESULT_COLUMNS]);
  });

  it('counts invoiced rows right after row_count when the source has bill_invoice_id (or names every column)', () => {
    const counted = `CAST(COUNT(CASE WHEN COALESCE(bill_invoice_id, '') <> '' THEN 1 END) AS VARCHAR) AS invoiced_rows`;
    expect(buildCurQuery({ relation: 't', listPrice: 'unblended', granularity: 'service' })).toContain(`AS row_count,\n  ${counted},`);
    expect(buildCurQuery({ relation: 't', listPrice: 'unblended', granularity: 'service', presentColumns: new Set(['bill_invoice_id']) })).toContain(counted);
  });

  it('selects invoiced_rows as 0 from a source without bill_invoice_id (the local view)', () => {
    const sql = buildCurQuery({ relation: 't', listPrice: 'unblended', granularity: 'service', presentColumns: new Set(['line_item_unblended_cost']) });
    expect(sql).toContain(`CAST('0' AS VARCHAR) AS invoiced_rows`);
    expect(sql).not.toContain('bill_invoice_id');
  });

  it('reads amount columns typed as text with blanks as NULL, the others as they are', () => {
    const sql = buildCurQuery({ relation: 't', listPrice: 'on-demand', granularity: 'service', stringAmountColumns: new Set(['line_item_unblended_cost']) });
    expect(sql).toContain(`CAST(NULLIF(TRIM(line_item_unblended_cost), '') AS DECIMAL(38, 12))`);
    expect(sql).not.toMatch(/CAST\(line_item_unblended_cost AS/);
    expect(sql).toContain('CAST(pricing_public_on_demand_cost AS DECIMAL(38, 12))');
    expect([...functionsOf(sql)].every((f) => ['CAST', 'COALESCE', 'SUM', 'MAX', 'COUNT', 'DECIMAL', 'NULLIF', 'TRIM'].includes(f))).toBe(true);
  });

  it('reads an absent text amount column as a typed NULL, not trimmed', () => {
    const sql = buildCurQuery({ relation: 't', listPrice: 'on-demand', granularity: 'service', presentColumns: new Set(), stringAmountColumns: new Set(['pricing_public_on_demand_cost']) });
    expect(sql).not.toContain('pricing_public_on_demand_cost');
  });

  it('reads an optional column that the source lacks as a typed NULL', () => {
    const sql = buildCurQuery({ relation: 't', listPrice: 'on-demand', granularity: 'service', presentColumns: new Set(['line_item_unblended_cost']) });
    expect(sql).toContain('CAST(CAST(NULL AS DECIMAL(38, 12)) AS DECIMAL(38, 12))');
    expect(sql).not.toContain('pricing_public_on_demand_cost');
  });

  it('filters Athena partitions: legacy year and unpadded month, CUR 2.0 billing_period', () => {
    expect(buildCurQuery({ relation: 'athenacurcfn_x.x', listPrice: 'unblended', granularity: 'service', partition: { kind: 'legacy', period: '2026-06' } })).toContain(
      `FROM "athenacurcfn_x"."x"\nWHERE year = '2026' AND month = '6'`,
    );
    expect(buildCurQuery({ relation: 'cid_data_export.cur2', listPrice: 'unblended', granularity: 'service', partition: { kind: 'cur2', period: '2026-10' } })).toContain(
      `WHERE billing_period = '2026-10'`,
    );
  });

  it.each(['cur; DROP TABLE x', 'db.t"x', 'a.b.c-d', '', "x' OR '1'='1"])('refuses the relation %j, naming it', (relation) => {
    expect(() => quoteRelation(relation)).toThrow(/is not \[A-Za-z0-9_\]\+/);
  });

  it('refuses a period that is not YYYY-MM', () => {
    expect(() => buildCurQuery({ relation: 't', listPrice: 'unblended', granularity: 'service', partition: { kind: 'cur2', period: "2026-10' OR 1=1 --" } })).toThrow('is not YYYY-MM');
  });

  it('builds the benchmark’s bare aggregation over the same relation', () => {
    expect(buildBareQuery('cur_input')).toContain('FROM "cur_input"');
  });
});

describe('buildCurQuery() with productMap (CUR 2.0 in Athena)', () => {
  const base = { relation: 'cid_data_export.cur2', listPrice: 'on-demand', granularity: 'usage-type', partition: { kind: 'cur2', period: '2026-10' } } as const;

  it('reads the product name from the product map, NULL when a row lacks the key', () => {
    const sql = buildCurQuery({ ...base, productMap: true });
    expect(sql).toContain(`MAX(COALESCE(element_at(product, 'product_name'), '')) AS product_name`);
    expect(sql).not.toContain('product_product_name');
  });

  it('changes nothing else: the default text (the one DuckDB runs) stays byte for byte the same', () => {
    const mapped = buildCurQuery({ ...base, productMap: true });
    expect(mapped.replace(`element_at(product, 'product_name')`, 'product_product_name')).toBe(buildCurQuery(base));
    expect(buildCurQuery({ ...base, productMap: false })).toBe(buildCurQuery(base));
    expect(buildCurQuery(base)).toContain(`MAX(COALESCE(product_product_name, '')) AS product_name`);
  });
});

describe('buildBadAmountQuery()', () => {
  it('finds the first row of the partition whose text amount is not a number, naming the column', () => {
    const sql = buildBadAmountQuery({ relation: 'db.t', partition: { kind: 'legacy', period: '2026-06' }, columns: ['line_item_unblended_cost', 'pricing_public_on_demand_cost'] });
    expect(sql).toContain(`FROM "db"."t"\nWHERE year = '2026' AND month = '6' AND (`);
    expect(sql).toContain(`WHEN (NULLIF(TRIM(line_item_unblended_cost), '') IS NOT NULL AND TRY_CAST(NULLIF(TRIM(line_item_unblended_cost), '') AS DECIMAL(38, 12)) IS NULL) THEN 'line_item_unblended_cost'`);
    expect(sql).toMatch(/\nLIMIT 1$/);
  });

  it('refuses a column that is not an amount', () => {
    expect(() => buildBadAmountQuery({ relation: 't', columns: ['line_item_product_code'] })).toThrow('needs at least one amount column');
  });
});
