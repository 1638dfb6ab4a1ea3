import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCurQuery, type ListPriceMode } from '../../../src/app/cur-query.js';
import { curTableOf, planCurTable } from '../../../src/adapters/aws/athena-table.js';
import type { CurAggregateRequest } from '../../../src/app/ports.js';
import { PAYER_ID, rejection } from './aws-fixtures.js';
import { engineWith, type Engine } from './athena-engine.js';
import { FakeAthena, HEADER, LEGACY_CUR_COLUMNS, legacyTable, readAll, resultRow, source, statusScript, world, type GlueTable, type QueryScript } from './athena-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const RELATION = 'athenacurcfn_reseller.reseller';
const PARTITION = { kind: 'legacy', period: '2026-10' } as const;
const isMain = (q: string): boolean => q.includes('GROUP BY');
const without = (...names: string[]): Record<string, string> => Object.fromEntries(Object.entries(LEGACY_CUR_COLUMNS).filter(([n]) => !names.includes(n)));
const row = (values: Record<string, string | null>): Record<string, string | null> => ({
  bill_payer_account_id: PAYER_ID,
  bill_billing_period_start_date: '2026-10-01 00:00:00',
  bill_billing_entity: 'AWS',
  bill_invoice_id: '',
  line_item_usage_account_id: '222222222222',
  line_item_line_item_type: 'Usage',
  line_item_product_code: 'AmazonEC2',
  line_item_currency_code: 'USD',
  year: '2026',
  month: '10',
  ...values,
});

/** The text the adapter will send for `table` (the plan it derives from the same metadata), answered by the engine. */
async function scripted(table: GlueTable, listPrice: ListPriceMode, engine: Engine): Promise<{ sql: string; script: QueryScript }> {
  const plan = planCurTable(curTableOf(RELATION, table), { layout: 'legacy', listPrice, partition: PARTITION, payerAccountId: PAYER_ID });
  const sql = buildCurQuery({ relation: RELATION, listPrice, granularity: 'service', partition: PARTITION, presentColumns: plan.presentColumns, stringAmountColumns: plan.stringAmountColumns });
  return { sql, script: { match: isMain, rows: await engine.query(sql) } };
}

const onDemand: CurAggregateRequest = { period: '2026-10', listPrice: 'on-demand', granularity: 'service' };
const unblended: CurAggregateRequest = { ...onDemand, listPrice: 'unblended' };

describe('AthenaCurSource and the table’s columns', () => {
  it('rates a legacy CUR without reservation columns in on-demand mode, naming none of the absent columns', async () => {
    const table = legacyTable(without('reservation_reservation_a_r_n', 'product_product_name', 'line_item_resource_id'));
    const engine = await engineWith(RELATION, table, [
      row({ line_item_line_item_type: 'Fee', line_item_unblended_cost: '10', pricing_public_on_demand_cost: '0' }),
      row({ line_item_unblended_cost: '2.5', pricing_public_on_demand_cost: '4' }),
    ]);
    try {
      const { sql, script } = await scripted(table, 'on-demand', engine);
      const w = world();
      const athena = new FakeAthena([statusScript('READY'), script], w.clock, { [RELATION]: table });
      const groups = await readAll(await source(w).aggregate(onDemand));
      expect(athena.queries()[1]).toBe(sql);
      for (const absent of ['reservation_reservation_a_r_n', 'product_product_name', 'line_item_resource_id']) expect(sql).not.toContain(absent);
      const seen = groups.map((g) => [g.lineItemType, g.reservationFee, g.unblendedUsd, g.onDemandListUsd, g.productName]);
      expect(seen.sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
        ['Fee', false, '10.000000000000', '10.000000000000', ''],
        ['Usage', false, '2.500000000000', '4.000000000000', ''],
      ]);
    } finally {
      engine.close();
    }
  });

  it.each(['line_item_product_code', 'bill_billing_period_start_date'])('refuses a table without the required column %s, naming it and the table', async (column) => {
    const w = world();
    const athena = new FakeAthena([statusScript('READY')], w.clock, { [RELATION]: legacyTable(without(column)) });
    const error = await rejection(source(w).aggregate(unblended));
    expect(error.code).toBe('CUR_INPUT');
    expect(error.message).toBe(`CUR table ${RELATION} of payer ${PAYER_ID} has no column ${column} (required)`);
    expect(error.where).toEqual({ payer: PAYER_ID, setting: 'athena', file: RELATION, column });
    expect(athena.queries().filter(isMain)).toEqual([]);
  });

  it('refuses on-demand mode on a table without pricing_public_on_demand_cost, and rates it in unblended mode', async () => {
    const w = world();
    const tables = { [RELATION]: legacyTable(without('pricing_public_on_demand_cost')) };
    new FakeAthena([statusScript('READY')], w.clock, tables);
    const error = await rejection(source(w).aggregate(onDemand));
    expect(error.code).toBe('CUR_INPUT');
    expect(error.message).toContain(`has no column pricing_public_on_demand_cost (required for list price mode on-demand)`);
    nock.cleanAll();
    const athena = new FakeAthena([statusScript('READY'), { match: isMain, rows: [HEADER, resultRow()] }], w.clock, tables);
    expect(await readAll(await source(w).aggregate(unblended))).toHaveLength(1);
    expect(athena.queries().filter(isMain)[0]).not.toContain('pricing_public_on_demand_cost');
  });

  it('refuses a legacy table without its year and month partitions', async () => {
    const w = world();
    new FakeAthena([statusScript('READY')], w.clock, { [RELATION]: { ...legacyTable(), PartitionKeys: [] } });
    const error = await rejection(source(w).aggregate(unblended));
    expect(error).toMatchObject({ code: 'CUR_INPUT', where: { column: 'year', file: RELATION } });
  });

  it('reports a table Athena does not know as AWS_CALL naming GetTableMetadata', async () => {
    const w = world();
    const athena = new FakeAthena([statusScript('READY')], w.clock, {});
    const error = await rejection(source(w).aggregate(unblended));
    expect(error.code).toBe('AWS_CALL');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(`AWS GetTableMetadata failed for payer ${PAYER_ID}: MetadataException: EntityNotFoundException: Table reseller not found (Database: athenacurcfn_reseller)`);
    expect(athena.queries().filter(isMain)).toEqual([]);
  });

  it('rides out throttled GetTableMetadata calls, and reports AWS_THROTTLED (retryable) when they never end', async () => {
    const w = world({ maxAttempts: 1, throttleRetries: 2 });
    const athena = new FakeAthena([statusScript('READY'), { match: isMain, rows: [HEADER, resultRow()] }], w.clock);
    athena.throttle('GetTableMetadata', 2);
    expect(await readAll(await source(w).aggregate(unblended))).toHaveLength(1);
    expect(athena.calls.filter((c) => c.operation === 'GetTableMetadata')).toHaveLength(3);
    athena.throttle('GetTableMetadata', 3);
    const error = await rejection(source(w).aggregate(unblended));
    expect(error).toMatchObject({ code: 'AWS_THROTTLED', retryable: true });
    expect(error.message).toContain('GetTableMetadata');
  });
});
