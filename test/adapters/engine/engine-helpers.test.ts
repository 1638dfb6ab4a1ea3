import { describe, expect, it } from 'vitest';
import { fileKind, groupSchemas, mapColumns, type CurFile } from '../../../src/adapters/engine/cur-files.js';
import { buildViewSql, pathLiteral } from '../../../src/adapters/engine/cur-view-sql.js';
import { isAmountText, isDateText, periodOf } from '../../../src/adapters/engine/row-locator.js';
import { ConnectorError } from '../../../src/domain/errors.js';

const csvFile = (path: string): CurFile => ({ path, format: 'csv', gzip: false, bytes: 1 });
const legacy = [
  'bill/PayerAccountId',
  'bill/BillingPeriodStartDate',
  'lineItem/UsageAccountId',
  'lineItem/LineItemType',
  'lineItem/ProductCode',
  'bill/BillingEntity',
  'lineItem/UnblendedCost',
].map((name) => ({ name, type: 'VARCHAR' }));

describe('fileKind()', () => {
  it.each([
    ['a.csv', { format: 'csv', gzip: false }],
    ['a.CSV.GZ', { format: 'csv', gzip: true }],
    ['a-00001.gz', { format: 'csv', gzip: true }],
    ['a.snappy.parquet', { format: 'parquet', gzip: false }],
    ['Manifest.json', undefined],
  ])('%s', (name, kind) => {
    expect(fileKind(name)).toEqual(kind);
  });
});

describe('pathLiteral()', () => {
  it('doubles single quotes and makes glob characters match themselves', () => {
    expect(pathLiteral("/data/o'brien/cur[1]*?.csv")).toBe("'/data/o''brien/cur[[]1][*][?].csv'");
  });
});

describe('mapColumns()', () => {
  it('maps legacy headers to snake_case columns by position', () => {
    const schema = mapColumns(csvFile('a.csv'), [{ name: 'identity/LineItemId', type: 'VARCHAR' }, ...legacy]);
    expect(schema.index.get('line_item_unblended_cost')).toBe(7);
    expect(schema.index.has('line_item_currency_code')).toBe(false);
  });

  it('rejects two headers that map to the same column', () => {
    expect(() => mapColumns(csvFile('a.csv'), [...legacy, { name: 'line_item_unblended_cost', type: 'VARCHAR' }])).toThrow(ConnectorError);
  });
});

describe('buildViewSql()', () => {
  it('refers to CSV columns by position, never by header text', () => {
    const hostile = [...legacy.slice(0, 6), { name: `lineItem/UnblendedCost`, type: 'VARCHAR' }, { name: `x"); DROP TABLE t; --`, type: 'VARCHAR' }];
    const sql = buildViewSql(groupSchemas([mapColumns(csvFile('a.csv'), hostile)]));
    expect(sql).not.toContain('DROP');
    expect(sql).toContain(
      "CASE WHEN contains(c6, '_') THEN CAST(replace(c6, '_', '!') AS DECIMAL(38, 12)) " +
        "ELSE COALESCE(TRY_CAST(c6 AS DECIMAL(18, 12)), CAST(NULLIF(trim(c6), '') AS DECIMAL(38, 12))) END AS line_item_unblended_cost",
    );
  });

  it('unions groups with the same column list, NULL for a column a group lacks', () => {
    const a = mapColumns(csvFile('a.csv'), legacy);
    const b = mapColumns(csvFile('b.csv'), [...legacy, { name: 'lineItem/CurrencyCode', type: 'VARCHAR' }]);
    const sql = buildViewSql(groupSchemas([a, b]));
    expect(sql.split('UNION ALL')).toHaveLength(2);
    expect(sql).toContain('CAST(NULL AS VARCHAR) AS line_item_currency_code');
    expect(sql).toContain('c7 AS line_item_currency_code');
  });
});

describe('row locator value tests', () => {
  it.each([
    ['1.304297E-4', true],
    ['-0.5', true],
    ['1e25', true],
    ['1e26', false],
    ['1,5', false],
    ['NaN', false],
    ['1_000', false],
  ])('isAmountText(%s) = %s', (text, ok) => {
    expect(isAmountText(text)).toBe(ok);
  });

  it.each([
    ['2023-11-01T00:00:00.000Z', true],
    ['2026-10-01', true],
    ['2026-02-30', false],
    ['2026-13-01', false],
    ['soon', false],
  ])('isDateText(%s) = %s', (text, ok) => {
    expect(isDateText(text)).toBe(ok);
  });

  it('reads the month of a date text', () => {
    expect(periodOf('2023-11-01T00:00:00.000Z')).toBe('2023-11');
    expect(periodOf('2023-1-05')).toBe('2023-01');
    expect(periodOf('')).toBeUndefined();
  });
});
