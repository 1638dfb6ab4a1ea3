/**
 * The engine's limit for the benchmark: the fastest the embedded engine does the
 * rating query's work on the same files. DuckDB reads only the columns the rules
 * need, the CSV reader types the amounts itself as exact 64-bit decimals
 * (`DECIMAL(18, 12)`; `DECIMAL(38, 12)` when a value does not fit), and the query
 * groups and orders on the same keys as `buildCurQuery` for the same settings, with
 * the same aggregates; no view, no checks, no rows turned into JS values. Not for
 * rating: it neither refuses bad values nor names them.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { CurColumn, ListPriceMode, RecordGranularity } from '../../domain/cur.js';
import { discoverCurFiles, groupSchemas, mapColumns, readCsvHeader, type FileGroup } from './cur-files.js';
import { createEngine, describeParquet, type DuckDbCurSourceOptions } from './duckdb-cur-source.js';
import { columnRef, pathLiteral, sqlString } from './cur-view-sql.js';

export interface EngineLimitRequest {
  listPrice: ListPriceMode;
  granularity: RecordGranularity;
}

export interface EngineLimitResult {
  /** Result groups. */
  groups: number;
  /** Σ of the groups' row counts: the CUR rows read. */
  rows: number;
}

type AmountType = 'DECIMAL(18, 12)' | 'DECIMAL(38, 12)';

/** Runs the limit query over the files at `path` (file or folder, as `DuckDbCurSource`). */
export async function runEngineLimit(path: string, request: EngineLimitRequest, options: DuckDbCurSourceOptions = {}): Promise<EngineLimitResult> {
  const files = await discoverCurFiles(path);
  const instance = await createEngine(options);
  const connection = await instance.connect();
  try {
    const schemas = [];
    for (const file of files) schemas.push(mapColumns(file, file.format === 'csv' ? await readCsvHeader(file) : await describeParquet(connection, file)));
    const groups = groupSchemas(schemas);
    try {
      return await count(connection, buildEngineLimitQuery(groups, request, 'DECIMAL(18, 12)'));
    } catch {
      // A value the 64-bit type cannot hold (|x| ≥ 10^6): the reader types it 128-bit.
      return await count(connection, buildEngineLimitQuery(groups, request, 'DECIMAL(38, 12)'));
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Streams the result, reading only the row count column of each chunk. */
async function count(connection: DuckDBConnection, sql: string): Promise<EngineLimitResult> {
  const result = await connection.stream(sql);
  const rowCount = result.columnNames().indexOf('row_count');
  let groups = 0;
  let rows = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    groups += chunk.rowCount;
    const vector = chunk.getColumnVector(rowCount);
    for (let i = 0; i < chunk.rowCount; i += 1) rows += Number(vector.getItem(i));
  }
  return { groups, rows };
}

/** The limit query (see the module comment); `amountType` is the reader's type of CSV amounts. */
export function buildEngineLimitQuery(groups: readonly FileGroup[], request: EngineLimitRequest, amountType: AmountType): string {
  const onDemandMode = request.listPrice === 'on-demand';
  const byUsageType = request.granularity === 'usage-type';
  const amounts: CurColumn[] = ['line_item_unblended_cost', ...(onDemandMode ? (['pricing_public_on_demand_cost'] as const) : [])];
  const wanted: CurColumn[] = [
    'bill_payer_account_id',
    'bill_billing_period_start_date',
    'line_item_usage_account_id',
    'line_item_line_item_type',
    'line_item_product_code',
    'bill_billing_entity',
    'line_item_currency_code',
    'product_product_name',
    ...amounts,
    ...(onDemandMode ? (['reservation_reservation_a_r_n'] as const) : []),
    ...(byUsageType ? (['line_item_usage_type'] as const) : []),
  ];
  const selects = groups.map((group) => {
    const typed = new Set(amounts.map((c) => group.index.get(c)).filter((i) => i !== undefined));
    const expr = (column: CurColumn): string => {
      const index = group.index.get(column);
      if (index === undefined) return amounts.includes(column) ? 'CAST(NULL AS DECIMAL(38, 12))' : 'CAST(NULL AS VARCHAR)';
      const ref = columnRef(group, index);
      if (group.format === 'parquet') {
        const type = group.columns[index]!.type;
        if (amounts.includes(column)) return `CAST(${ref} AS DECIMAL(38, 12))`;
        return type.startsWith('MAP(') ? `CAST(${ref}['product_name'] AS VARCHAR)` : type === 'VARCHAR' ? ref : `CAST(${ref} AS VARCHAR)`;
      }
      return ref;
    };
    const source =
      group.format === 'parquet'
        ? `read_parquet([${group.files.map((f) => pathLiteral(f.path)).join(', ')}])`
        : `read_csv([${group.files.map((f) => pathLiteral(f.path)).join(', ')}], header = true, auto_detect = false, ` +
          `columns = {${group.columns.map((_, i) => `${sqlString(`c${i}`)}: '${typed.has(i) ? amountType : 'VARCHAR'}'`).join(', ')}}, ` +
          `delim = ',', quote = '"', escape = '"', compression = ${group.gzip ? "'gzip'" : "'none'"})`;
    return `SELECT ${wanted.map((c) => `${expr(c)} AS ${c}`).join(', ')} FROM ${source}`;
  });
  const keys = [
    'bill_payer_account_id',
    'CAST(bill_billing_period_start_date AS VARCHAR)',
    'line_item_usage_account_id',
    'line_item_line_item_type',
    'line_item_product_code',
    'bill_billing_entity',
    `COALESCE(line_item_currency_code, '')`,
    ...(onDemandMode ? [`CASE WHEN line_item_line_item_type = 'Fee' AND COALESCE(reservation_reservation_a_r_n, '') <> '' THEN 'Y' ELSE 'N' END`] : []),
    ...(byUsageType ? [`COALESCE(line_item_usage_type, '')`] : []),
  ];
  const u = 'line_item_unblended_cost';
  const od = 'pricing_public_on_demand_cost';
  const aggregates = [
    `MAX(COALESCE(product_product_name, '')) AS product_name`,
    `CAST(COUNT(*) AS VARCHAR) AS row_count`,
    `CAST(COALESCE(SUM(${u}), 0) AS VARCHAR) AS unblended_usd`,
    ...(onDemandMode ? [`CAST(COALESCE(SUM(CASE WHEN COALESCE(${od}, 0) <> 0 THEN ${od} ELSE COALESCE(${u}, 0) END), 0) AS VARCHAR) AS on_demand_list_usd`] : []),
    `CAST(COALESCE(MAX(${u}), 0) AS VARCHAR) AS max_unblended_usd`,
  ];
  const ordinals = keys.map((_, i) => String(i + 1)).join(', ');
  return `SELECT ${[...keys, ...aggregates].join(', ')}\nFROM (\n${selects.join('\nUNION ALL\n')}\n)\nGROUP BY ${ordinals}\nORDER BY 3, 1`;
}
