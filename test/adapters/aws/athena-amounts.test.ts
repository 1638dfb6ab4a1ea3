import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildBadAmountQuery, buildCurQuery, type ListPriceMode } from '../../../src/app/cur-query.js';
import { curTableOf, planCurTable } from '../../../src/adapters/aws/athena-table.js';
import type { CurAggregateRequest } from '../../../src/app/ports.js';
import { PAYER_ID, rejection } from './aws-fixtures.js';
import { engineWith } from './athena-engine.js';
import { FakeAthena, LEGACY_CUR_COLUMNS, legacyTable, readAll, source, statusScript, world, type ScriptedStatus } from './athena-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const RELATION = 'athenacurcfn_reseller.reseller';
const PARTITION = { kind: 'legacy', period: '2026-10' } as const;
const isMain = (q: string): boolean => q.includes('GROUP BY');
const isProbe = (q: string): boolean => q.includes('TRY_CAST');
/** The table a Glue crawler makes over CSV: amounts typed `string`. */
const crawledCsv = legacyTable({ ...LEGACY_CUR_COLUMNS, line_item_unblended_cost: 'string', pricing_public_on_demand_cost: 'string' });
const row = (unblended: string | null, onDemand: string | null, account = '222222222222'): Record<string, string | null> => ({
  bill_payer_account_id: PAYER_ID,
  bill_billing_period_start_date: '2026-10-01 00:00:00',
  bill_billing_entity: 'AWS',
  bill_invoice_id: 'INV-1',
  line_item_usage_account_id: account,
  line_item_line_item_type: 'Usage',
  line_item_product_code: 'AmazonEC2',
  line_item_currency_code: 'USD',
  line_item_unblended_cost: unblended,
  pricing_public_on_demand_cost: onDemand,
  year: '2026',
  month: '10',
});
const request = (listPrice: ListPriceMode): CurAggregateRequest => ({ period: '2026-10', listPrice, granularity: 'service' });
/** Athena's reason for a failed cast (Trino's DecimalCasts message). */
const castFailure = (value: string): ScriptedStatus => ({
  State: 'FAILED',
  StateChangeReason: `INVALID_CAST_ARGUMENT: Cannot cast VARCHAR '${value}' to DECIMAL(38, 12). Value is not a number.`,
  AthenaError: { ErrorCategory: 2, ErrorType: 1002, Retryable: false },
});

function sqlFor(listPrice: ListPriceMode): string {
  const plan = planCurTable(curTableOf(RELATION, crawledCsv), { layout: 'legacy', listPrice, partition: PARTITION, payerAccountId: PAYER_ID });
  return buildCurQuery({ relation: RELATION, listPrice, granularity: 'service', partition: PARTITION, presentColumns: plan.presentColumns, stringAmountColumns: plan.stringAmountColumns });
}

describe('AthenaCurSource with amount columns typed as text', () => {
  it('sums blank amounts as zero (the query run on a real engine over text columns)', async () => {
    const engine = await engineWith(RELATION, crawledCsv, [row('1.5', ''), row('', '  '), row('  2.25 ', '3'), row(null, null), row('1E-6', '1')]);
    try {
      const sql = sqlFor('on-demand');
      const w = world();
      const athena = new FakeAthena([statusScript('READY'), { match: isMain, rows: await engine.query(sql) }], w.clock, { [RELATION]: crawledCsv });
      const groups = await readAll(await source(w).aggregate(request('on-demand')));
      expect(athena.queries()[1]).toBe(sql);
      expect(sql).toContain(`CAST(NULLIF(TRIM(line_item_unblended_cost), '') AS DECIMAL(38, 12))`);
      expect(sql).toContain(`CAST(NULLIF(TRIM(pricing_public_on_demand_cost), '') AS DECIMAL(38, 12))`);
      // on-demand list per row: 1.5 (no on-demand cost), 0, 3, 0, 1.
      expect(groups.map((g) => [g.rows, g.invoicedRows, g.unblendedUsd, g.onDemandListUsd])).toEqual([[5, 5, '3.750001000000', '5.500000000000']]);
    } finally {
      engine.close();
    }
  });

  it('names the one text amount column the query casts, with the value and the table, when Athena cannot cast it', async () => {
    const w = world();
    const athena = new FakeAthena([statusScript('READY'), { match: isMain, states: ['RUNNING', castFailure('abc')] }], w.clock, { [RELATION]: crawledCsv });
    const error = await rejection(source(w).aggregate(request('unblended')));
    expect(error.code).toBe('CUR_INPUT');
    expect(error.message).toBe(`CUR table ${RELATION} of payer ${PAYER_ID}, period 2026-10, column line_item_unblended_cost: "abc" is not a decimal number`);
    expect(error.where).toEqual({ payer: PAYER_ID, setting: 'athena', file: RELATION, column: 'line_item_unblended_cost', value: 'abc' });
    expect(error.retryable).toBe(false);
    expect(athena.queries().filter(isProbe)).toEqual([]);
  });

  it('finds which of two text amount columns holds the bad value with a LIMIT 1 probe', async () => {
    const engine = await engineWith(RELATION, crawledCsv, [row('1', '2'), row('', 'n/a', '333333333333'), row('4', '')]);
    try {
      const probe = buildBadAmountQuery({ relation: RELATION, partition: PARTITION, columns: ['line_item_unblended_cost', 'pricing_public_on_demand_cost'] });
      const found = await engine.query(probe);
      expect(found).toEqual([['column_name', 'value'], ['pricing_public_on_demand_cost', 'n/a']]);
      const w = world();
      const athena = new FakeAthena(
        [statusScript('READY'), { match: isMain, states: [castFailure('n/a')] }, { match: isProbe, rows: found }],
        w.clock,
        { [RELATION]: crawledCsv },
      );
      const error = await rejection(source(w).aggregate(request('on-demand')));
      expect(athena.queries().filter(isProbe)).toEqual([probe]);
      expect(error.code).toBe('CUR_INPUT');
      expect(error.message).toContain(`column pricing_public_on_demand_cost: "n/a" is not a decimal number`);
      expect(error.where).toMatchObject({ column: 'pricing_public_on_demand_cost', value: 'n/a', file: RELATION });
    } finally {
      engine.close();
    }
  });

  it('leaves a cast failure as Athena reported it when the amount columns are DOUBLE', async () => {
    const w = world();
    new FakeAthena([statusScript('READY'), { match: isMain, states: [castFailure('abc')] }], w.clock);
    const error = await rejection(source(w).aggregate(request('on-demand')));
    expect(error.code).toBe('CUR_INPUT');
    expect(error.message).toBe(`Athena query failed for payer ${PAYER_ID}: INVALID_CAST_ARGUMENT: Cannot cast VARCHAR 'abc' to DECIMAL(38, 12). Value is not a number. (user)`);
  });
});
