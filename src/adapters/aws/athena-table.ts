/**
 * What the CUR table in Athena holds, read before the query is built (GetTableMetadata):
 * which of the rating's columns it has and how they are typed, so the shared query names
 * only columns the table has. A legacy CUR without `reservation/*` columns still rates;
 * a missing required column is a `CUR_INPUT` naming the column and the table. No I/O
 * except `readCurTable`.
 */
import type { TableMetadata } from '@aws-sdk/client-athena';
import { AMOUNT_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, type CurColumn, type ListPriceMode } from '../../domain/cur.js';
import { ConnectorError } from '../../domain/errors.js';
import { INVOICE_COLUMN, partitionColumns, type PartitionFilter } from '../../app/cur-query.js';
import type { AthenaQueryRunner } from './athena-query.js';

/** A table's columns, partition keys included: lower-case name → lower-case Hive/Glue type (`string`, `double`, `map<string,string>`). */
export interface CurTable {
  /** `database.table`. */
  relation: string;
  columns: ReadonlyMap<string, string>;
}

/** How the shared query reads the table (see `CurQueryOptions`). */
export interface CurTablePlan {
  presentColumns: ReadonlySet<string>;
  /** Amount columns the table types as text (a Glue crawler over CSV). */
  stringAmountColumns: ReadonlySet<string>;
  /** The product name comes from the map column `product` (CUR 2.0). */
  productMap: boolean;
  /** The table has `bill_invoice_id`, so the month's finality is read in the scan. */
  tellsFinality: boolean;
}

/** Reads `database.table`'s Columns and PartitionKeys through the runner (its catalog and database). */
export async function readCurTable(runner: Pick<AthenaQueryRunner, 'tableMetadata'>, database: string, table: string, signal?: AbortSignal): Promise<CurTable> {
  return curTableOf(`${database}.${table}`, await runner.tableMetadata(table, signal));
}

/** The table from a GetTableMetadata answer. */
export function curTableOf(relation: string, metadata: Pick<TableMetadata, 'Columns' | 'PartitionKeys'>): CurTable {
  const columns = new Map<string, string>();
  for (const column of [...(metadata.Columns ?? []), ...(metadata.PartitionKeys ?? [])]) {
    if (column.Name) columns.set(column.Name.toLowerCase(), (column.Type ?? '').toLowerCase().replace(/\s+/g, ''));
  }
  return { relation, columns };
}

const TEXT_TYPE = /^(string|varchar(\(\d+\))?|char(\(\d+\))?)$/;

/**
 * What the query may name, for the layout and list-price mode. Throws `CUR_INPUT`
 * (naming column and table) when a required column, a partition column, or, in
 * `on-demand` mode, `pricing_public_on_demand_cost` is missing.
 */
export function planCurTable(table: CurTable, settings: { layout: 'legacy' | 'cur2'; listPrice: ListPriceMode; partition: PartitionFilter; payerAccountId: string }): CurTablePlan {
  const has = (name: string): boolean => table.columns.has(name);
  const missing = (column: string, why: string): never => {
    throw new ConnectorError('CUR_INPUT', `CUR table ${table.relation} of payer ${settings.payerAccountId} has no column ${column} (${why})`, {
      where: { payer: settings.payerAccountId, setting: 'athena', file: table.relation, column },
    });
  };
  for (const column of REQUIRED_COLUMNS) if (!has(column)) missing(column, 'required');
  for (const column of partitionColumns(settings.partition)) if (!has(column)) missing(column, `the ${settings.layout} layout's partition`);
  if (settings.listPrice === 'on-demand' && !has('pricing_public_on_demand_cost')) missing('pricing_public_on_demand_cost', 'required for list price mode on-demand');

  const productMap = settings.layout === 'cur2' && (table.columns.get('product') ?? '').startsWith('map<');
  const present = new Set<string>([...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS.filter(has)]);
  if (productMap) present.add('product_product_name');
  if (has(INVOICE_COLUMN)) present.add(INVOICE_COLUMN);
  const stringAmountColumns = new Set<CurColumn>(AMOUNT_COLUMNS.filter((c) => TEXT_TYPE.test(table.columns.get(c) ?? '')));
  return { presentColumns: present, stringAmountColumns, productMap, tellsFinality: has(INVOICE_COLUMN) };
}
