/**
 * The one CUR aggregation query. The embedded engine (DuckDB, over a typed view of
 * local files) and Athena (Trino) run this text unchanged, so it keeps to SQL both
 * accept: SELECT, WHERE, GROUP BY and ORDER BY (ordinals), SUM, MAX, COUNT, CASE, CAST,
 * COALESCE (plus NULLIF and TRIM for amounts a source keeps as text).
 * Identifiers come only from validated settings; values are never spliced in.
 * Amounts are summed as DECIMAL(38, 12) and leave the engine as VARCHAR.
 */
import { ConnectorError } from '../domain/errors.js';
import { AMOUNT_COLUMNS, NET_CARRIED_DISCOUNT_TYPES, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, type CurColumn, type ListPriceMode, type RecordGranularity } from '../domain/cur.js';

export type { ListPriceMode, RecordGranularity };

/** How the source table is partitioned (Athena), or `none` for a local view. */
export type PartitionFilter =
  | { kind: 'none' }
  | { kind: 'legacy'; period: string } // partitions year='2026', month='10' -> month='10' (not zero-padded)
  | { kind: 'cur2'; period: string }; // partition billing_period='2026-10'

export interface CurQueryOptions {
  /** `table` or `database.table`; each part must match [A-Za-z0-9_]+. */
  relation: string;
  listPrice: ListPriceMode;
  granularity: RecordGranularity;
  /** Columns the source has; optional ones not listed read as NULL. Default: all. */
  presentColumns?: ReadonlySet<string>;
  partition?: PartitionFilter;
  /**
   * The source keeps product attributes in a map column `product` (CUR 2.0 in
   * Athena): `product_product_name` is read as `element_at(product, 'product_name')`,
   * which is NULL when a row's map lacks the key (Trino's `product['product_name']`
   * would fail the whole query). Default false: the column is read by name.
   */
  productMap?: boolean;
  /**
   * Amount columns the source types as text (a Glue crawler over CSV makes them
   * `string`): read as `CAST(NULLIF(TRIM(col), '') AS DECIMAL(38, 12))`, so a blank is
   * zero and anything else unparseable fails the query (Trino: INVALID_CAST_ARGUMENT;
   * `buildBadAmountQuery` then finds the row). Default: none (Athena's DOUBLE, or the
   * local view, which types its text itself).
   */
  stringAmountColumns?: ReadonlySet<string>;
}

/**
 * The column that tells whether AWS has invoiced a row (AWS.md: the month is final
 * when every row has one). `invoiced_rows` counts it when the source has it
 * (`presentColumns` undefined or listing it), else is '0'.
 */
export const INVOICE_COLUMN = 'bill_invoice_id';

/** The result columns, in order. Every value is VARCHAR. */
export const RESULT_COLUMNS = [
  'payer_account_id',
  'period_start',
  'account_id',
  'line_item_type',
  'product_code',
  'billing_entity',
  'currency_code',
  'reservation_fee',
  'usage_type',
  'product_name',
  'row_count',
  'invoiced_rows',
  'unblended_usd',
  'on_demand_list_usd',
  'max_unblended_usd',
  'cost_usd',
  'uncosted_rows',
  'net_missing_discount_rows',
] as const;
export type ResultColumn = (typeof RESULT_COLUMNS)[number];

const IDENTIFIER = /^[A-Za-z0-9_]+$/;
const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** Quotes a relation after checking every part; throws CONFIG_INVALID naming the bad value. */
export function quoteRelation(relation: string): string {
  const parts = relation.split('.');
  for (const part of parts) {
    if (!IDENTIFIER.test(part)) {
      throw new ConnectorError('CONFIG_INVALID', `CUR table name ${JSON.stringify(relation)} is not [A-Za-z0-9_]+ (optionally database.table)`, {
        where: { setting: 'athena.database/table', value: relation },
      });
    }
  }
  return parts.map((p) => `"${p}"`).join('.');
}

/** The partition condition, undefined for none. */
function partitionCondition(filter: PartitionFilter | undefined): string | undefined {
  if (filter === undefined || filter.kind === 'none') return undefined;
  const m = PERIOD.exec(filter.period);
  if (!m) throw new ConnectorError('CONFIG_INVALID', `period ${JSON.stringify(filter.period)} is not YYYY-MM`, { where: { setting: 'period', value: filter.period } });
  // Both values are digits checked by the regular expression above: safe literals.
  if (filter.kind === 'legacy') return `year = '${m[1]}' AND month = '${String(Number(m[2]))}'`;
  return `billing_period = '${m[1]}-${m[2]}'`;
}

function partitionWhere(filter: PartitionFilter | undefined): string {
  const condition = partitionCondition(filter);
  return condition === undefined ? '' : `\nWHERE ${condition}`;
}

/** The partition columns a filter reads (`year`, `month` / `billing_period`). */
export function partitionColumns(filter: PartitionFilter | undefined): string[] {
  if (filter === undefined || filter.kind === 'none') return [];
  return filter.kind === 'legacy' ? ['year', 'month'] : ['billing_period'];
}

/** An amount column as text with blanks as NULL (for a source that types it as text). */
const textAmount = (name: string): string => `NULLIF(TRIM(${name}), '')`;

/** Builds the aggregation query text. */
export function buildCurQuery(options: CurQueryOptions): string {
  const present = options.presentColumns;
  const col = (name: CurColumn): string => {
    if (options.productMap === true && name === 'product_product_name') return `element_at(product, 'product_name')`;
    const known = (REQUIRED_COLUMNS as readonly string[]).includes(name) || present === undefined || present.has(name);
    if (known) return name;
    return AMOUNT_COLUMNS.includes(name) ? 'CAST(NULL AS DECIMAL(38, 12))' : 'CAST(NULL AS VARCHAR)';
  };
  const textual = (name: CurColumn): boolean => options.stringAmountColumns?.has(name) === true && col(name) === name;
  const amount = (name: CurColumn): string => `CAST(${textual(name) ? textAmount(name) : col(name)} AS DECIMAL(38, 12))`;
  const invoiced = present === undefined || present.has(INVOICE_COLUMN)
    ? `CAST(COUNT(CASE WHEN COALESCE(${INVOICE_COLUMN}, '') <> '' THEN 1 END) AS VARCHAR)`
    : `CAST('0' AS VARCHAR)`;
  const unblended = amount('line_item_unblended_cost');
  const onDemand = amount('pricing_public_on_demand_cost');
  const has = (name: CurColumn): boolean => present === undefined || present.has(name);
  const net = amount('line_item_net_unblended_cost');
  const count = (condition: string): string => `CAST(COUNT(CASE WHEN ${condition} THEN 1 END) AS VARCHAR)`;
  // MARGIN.md §1, docs/rating.md "Margin": a row's net cost when it has one (a discount row's is
  // carried by the rows it discounts: 0), else its unblended cost. The type names are constants.
  const discountType = NET_CARRIED_DISCOUNT_TYPES.map((t) => `line_item_line_item_type = '${t}'`).join(' OR ');
  const cost = has('line_item_net_unblended_cost')
    ? `CAST(COALESCE(SUM(CASE WHEN ${net} IS NULL THEN COALESCE(${unblended}, 0) WHEN ${discountType} THEN 0 ELSE ${net} END), 0) AS VARCHAR)`
    : `CAST(COALESCE(SUM(${unblended}), 0) AS VARCHAR)`;
  // Rows minus rows with a cost: a count of non-NULLs costs next to nothing per row.
  const uncosted = `CAST(COUNT(*) - COUNT(${has('line_item_net_unblended_cost') ? `COALESCE(${net}, ${unblended})` : unblended}) AS VARCHAR)`;
  const netMissingDiscount = has('discount_total_discount')
    ? count(`COALESCE(${amount('discount_total_discount')}, 0) <> 0 AND ${net} IS NULL`)
    : `CAST('0' AS VARCHAR)`;

  const onDemandList =
    options.listPrice === 'on-demand'
      ? `CAST(COALESCE(SUM(CASE WHEN COALESCE(${onDemand}, 0) <> 0 THEN ${onDemand} ELSE COALESCE(${unblended}, 0) END), 0) AS VARCHAR)`
      : `CAST('' AS VARCHAR)`;
  const byUsageType = options.granularity === 'usage-type';
  const onDemandMode = options.listPrice === 'on-demand';

  // [expression, grouped]: a column that is constant for the chosen settings is
  // selected as a constant, not grouped on (each grouping key costs a hash per row).
  const keys: [string, boolean][] = [
    [`bill_payer_account_id AS payer_account_id`, true],
    // Grouped as text (a TIMESTAMP in Athena, text or a date locally); `periodStartOf` reads the day.
    [`CAST(bill_billing_period_start_date AS VARCHAR) AS period_start`, true],
    [`line_item_usage_account_id AS account_id`, true],
    [`line_item_line_item_type AS line_item_type`, true],
    [`line_item_product_code AS product_code`, true],
    [`bill_billing_entity AS billing_entity`, true],
    [`COALESCE(${col('line_item_currency_code')}, '') AS currency_code`, true],
    // Only on-demand mode treats RI purchase fees apart (RATING.md §2).
    onDemandMode
      ? [`CASE WHEN line_item_line_item_type = 'Fee' AND COALESCE(${col('reservation_reservation_a_r_n')}, '') <> '' THEN 'Y' ELSE 'N' END AS reservation_fee`, true]
      : [`CAST('N' AS VARCHAR) AS reservation_fee`, false],
    byUsageType ? [`COALESCE(${col('line_item_usage_type')}, '') AS usage_type`, true] : [`CAST('' AS VARCHAR) AS usage_type`, false],
  ];
  const aggregates = [
    `MAX(COALESCE(${col('product_product_name')}, '')) AS product_name`,
    `CAST(COUNT(*) AS VARCHAR) AS row_count`,
    `${invoiced} AS invoiced_rows`,
    `CAST(COALESCE(SUM(${unblended}), 0) AS VARCHAR) AS unblended_usd`,
    `${onDemandList} AS on_demand_list_usd`,
    `CAST(COALESCE(MAX(${unblended}), 0) AS VARCHAR) AS max_unblended_usd`,
    `${cost} AS cost_usd`,
    `${uncosted} AS uncosted_rows`,
    `${netMissingDiscount} AS net_missing_discount_rows`,
  ];
  const ordinals = keys.flatMap(([, grouped], i) => (grouped ? [String(i + 1)] : [])).join(', ');
  // Ordered by payer (1) and account (3): every group of one account arrives before the
  // next account's, so a consumer rates one account at a time (CurAggregate.groups).
  return (
    `SELECT\n  ${[...keys.map(([expression]) => expression), ...aggregates].join(',\n  ')}\nFROM ${quoteRelation(options.relation)}` +
    `${partitionWhere(options.partition)}\nGROUP BY ${ordinals}\nORDER BY 3, 1`
  );
}

/**
 * The first row whose text amount is not a decimal number, as one row `column_name`,
 * `value` (none when every value parses). Run only after `buildCurQuery` failed on
 * `columns` (amount columns typed as text): it scans again, stopping at the first hit.
 * TRY_CAST is in both Trino and DuckDB.
 */
export function buildBadAmountQuery(options: { relation: string; partition?: PartitionFilter; columns: readonly CurColumn[] }): string {
  const columns = options.columns.filter((c) => AMOUNT_COLUMNS.includes(c));
  if (columns.length === 0) throw new ConnectorError('INTERNAL', 'buildBadAmountQuery needs at least one amount column');
  const bad = (c: string): string => `(${textAmount(c)} IS NOT NULL AND TRY_CAST(${textAmount(c)} AS DECIMAL(38, 12)) IS NULL)`;
  const whichColumn = columns.map((c) => `WHEN ${bad(c)} THEN '${c}'`).join(' ');
  const whichValue = columns.map((c) => `WHEN ${bad(c)} THEN ${c}`).join(' ');
  const conditions = [partitionCondition(options.partition), `(${columns.map(bad).join(' OR ')})`].filter((c): c is string => c !== undefined);
  return (
    `SELECT CASE ${whichColumn} END AS column_name,\n  CASE ${whichValue} END AS value\n` +
    `FROM ${quoteRelation(options.relation)}\nWHERE ${conditions.join(' AND ')}\nLIMIT 1`
  );
}

/** The bare aggregation the benchmark compares against: the same scan, fewest keys. */
export function buildBareQuery(relation: string): string {
  return (
    `SELECT line_item_usage_account_id, line_item_product_code, line_item_line_item_type,\n` +
    `  CAST(SUM(CAST(line_item_unblended_cost AS DECIMAL(38, 12))) AS VARCHAR) AS unblended_usd\n` +
    `FROM ${quoteRelation(relation)}\nGROUP BY 1, 2, 3`
  );
}

export { OPTIONAL_COLUMNS };
