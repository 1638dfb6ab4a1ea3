import { describe, expect, it } from 'vitest';
import { RESULT_COLUMNS, buildBareQuery, buildCurQuery, quoteRelation } from '../../src/app/cur-query.js';

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
