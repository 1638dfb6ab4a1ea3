import { describe, expect, it } from 'vitest';
import { RESULT_COLUMNS, buildBareQuery, buildCurQuery, buildFinalityQuery, quoteRelation } from '../../src/app/cur-query.js';

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
    expect(buildCurQuery({ relation: 't', listPrice: 'unblended', granularity: 'service' })).toMatch(/GROUP BY 1, 2, 3, 4, 5, 6, 7$/);
    expect(buildCurQuery({ relation: 't', listPrice: 'on-demand', granularity: 'usage-type' })).toMatch(/GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9$/);
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

describe('buildFinalityQuery()', () => {
  it('counts all rows and invoiced rows of the partition, as text', () => {
    expect(buildFinalityQuery({ relation: 'athenacurcfn_x.x', partition: { kind: 'legacy', period: '2026-06' } })).toBe(
      `SELECT CAST(COUNT(*) AS VARCHAR) AS row_count,\n` +
        `  CAST(COUNT(CASE WHEN COALESCE(bill_invoice_id, '') <> '' THEN 1 END) AS VARCHAR) AS invoiced_rows\n` +
        `FROM "athenacurcfn_x"."x"\nWHERE year = '2026' AND month = '6'`,
    );
  });

  it('keeps to the functions both engines accept and refuses a bad relation', () => {
    expect([...functionsOf(buildFinalityQuery({ relation: 't' }))].every((f) => ['CAST', 'COALESCE', 'COUNT'].includes(f))).toBe(true);
    expect(() => buildFinalityQuery({ relation: 'x; DROP' })).toThrow(/is not \[A-Za-z0-9_\]\+/);
  });
});
