/**
 * The cost side on Athena (MARGIN.md §1): the optional `line_item_net_unblended_cost`
 * (legacy `lineItem/NetUnblendedCost` and CUR 2.0 share the Athena name) and
 * `discount_total_discount` are read when the table has them, never named when it
 * does not. The query the adapter sends runs on a real engine behind the stand-in.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCurQuery } from '../../../src/app/cur-query.js';
import { curTableOf, planCurTable } from '../../../src/adapters/aws/athena-table.js';
import type { CurAggregateRequest } from '../../../src/app/ports.js';
import { PAYER_ID, rejection } from './aws-fixtures.js';
import { engineWith } from './athena-engine.js';
import { FakeAthena, LEGACY_CUR_COLUMNS, legacyTable, readAll, source, statusScript, world, type GlueTable } from './athena-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const RELATION = 'athenacurcfn_reseller.reseller';
const PARTITION = { kind: 'legacy', period: '2026-10' } as const;
const request: CurAggregateRequest = { period: '2026-10', listPrice: 'unblended', granularity: 'service' };
const isMain = (q: string): boolean => q.includes('GROUP BY');
const { line_item_net_unblended_cost: _net, discount_total_discount: _discount, ...WITHOUT_NET } = LEGACY_CUR_COLUMNS;

const row = (type: string, unblended: string | null, net: string | null, over: Record<string, string | null> = {}): Record<string, string | null> => ({
  bill_payer_account_id: PAYER_ID,
  bill_billing_period_start_date: '2026-10-01 00:00:00',
  bill_billing_entity: 'AWS',
  bill_invoice_id: 'INV-1',
  line_item_usage_account_id: '222222222222',
  line_item_line_item_type: type,
  line_item_product_code: 'AmazonEC2',
  line_item_currency_code: 'USD',
  line_item_unblended_cost: unblended,
  line_item_net_unblended_cost: net,
  year: '2026',
  month: '10',
  ...over,
});
const ROWS = [
  row('Usage', '100', '95', { discount_total_discount: '-5' }),
  row('EdpDiscount', '-5', '0'),
  row('Usage', '10', null, { line_item_product_code: 'AmazonS3', discount_total_discount: '-0.5' }),
  row('Usage', null, null, { bill_billing_entity: 'AWS Marketplace', line_item_product_code: 'prod-abc' }),
];

function sqlFor(table: GlueTable): string {
  const plan = planCurTable(curTableOf(RELATION, table), { layout: 'legacy', listPrice: 'unblended', partition: PARTITION, payerAccountId: PAYER_ID });
  return buildCurQuery({ relation: RELATION, listPrice: 'unblended', granularity: 'service', partition: PARTITION, presentColumns: plan.presentColumns, stringAmountColumns: plan.stringAmountColumns });
}

async function groupsOf(table: GlueTable) {
  const engine = await engineWith(RELATION, table, ROWS);
  try {
    const sql = sqlFor(table);
    const w = world();
    const athena = new FakeAthena([statusScript('READY'), { match: isMain, rows: await engine.query(sql) }], w.clock, { [RELATION]: table });
    const groups = await readAll(await source(w).aggregate(request));
    expect(athena.queries()[1]).toBe(sql);
    return { sql, groups: Object.fromEntries(groups.map((g) => [`${g.lineItemType}/${g.productCode}`, [g.unblendedUsd, g.costUsd, g.uncostedRows, g.netMissingDiscountRows]])) };
  } finally {
    engine.close();
  }
}

describe('AthenaCurSource and the net cost column', () => {
  it('reads line_item_net_unblended_cost when the table has it: the net cost, 0 for a discount row that has one', async () => {
    const { sql, groups } = await groupsOf(legacyTable());
    expect(sql).toContain('CAST(line_item_net_unblended_cost AS DECIMAL(38, 12))');
    expect(groups).toEqual({
      'Usage/AmazonEC2': ['100.000000000000', '95.000000000000', 0, 0],
      'EdpDiscount/AmazonEC2': ['-5.000000000000', '0.000000000000', 0, 0],
      'Usage/AmazonS3': ['10.000000000000', '10.000000000000', 0, 1],
      'Usage/prod-abc': ['0.000000000000', '0.000000000000', 1, 0],
    });
  });

  it('never names the net and discount columns of a table without them: the cost is the unblended cost', async () => {
    const { sql, groups } = await groupsOf(legacyTable(WITHOUT_NET));
    expect(sql).not.toContain('line_item_net_unblended_cost');
    expect(sql).not.toContain('discount_total_discount');
    expect(groups['EdpDiscount/AmazonEC2']).toEqual(['-5.000000000000', '-5.000000000000', 0, 0]);
    expect(groups['Usage/AmazonEC2']).toEqual(['100.000000000000', '100.000000000000', 0, 0]);
  });

  it('reads the CUR 2.0 table\'s net column by the same name', async () => {
    const w = world({ layout: 'cur2' });
    const athena = new FakeAthena([{ match: isMain, rows: [] }], w.clock);
    await source(w).aggregate(request).catch(() => undefined);
    expect(athena.queries()[0]).toContain('CAST(line_item_net_unblended_cost AS DECIMAL(38, 12))');
  });

  it('names a net cost typed as text that Athena cannot cast, with the value and the table', async () => {
    const crawled = legacyTable({ ...LEGACY_CUR_COLUMNS, line_item_net_unblended_cost: 'string' });
    const w = world();
    new FakeAthena(
      [
        statusScript('READY'),
        { match: isMain, states: [{ State: 'FAILED', StateChangeReason: `INVALID_CAST_ARGUMENT: Cannot cast VARCHAR 'n/a' to DECIMAL(38, 12). Value is not a number.`, AthenaError: { ErrorCategory: 2, ErrorType: 1002, Retryable: false } }] },
      ],
      w.clock,
      { [RELATION]: crawled },
    );
    const error = await rejection(source(w).aggregate(request));
    expect(error.code).toBe('CUR_INPUT');
    expect(error.where).toMatchObject({ column: 'line_item_net_unblended_cost', value: 'n/a', file: RELATION });
  });
});
