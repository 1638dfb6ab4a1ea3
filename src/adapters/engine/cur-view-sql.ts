/**
 * SQL text for the typed view `cur_input` that presents local CUR files with
 * Athena's column semantics (AWS.md "The CUR in Athena"), so the one query of
 * `app/cur-query.ts` runs on it unchanged. Pure text builders, no I/O.
 *
 * Nothing read from a file is spliced in as a value: file paths go in as escaped
 * string literals (glob characters neutralised), CSV columns are renamed to `c0..cN`
 * by position, Parquet column names go in as quoted identifiers.
 */
import { AMOUNT_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, type CurColumn } from '../../domain/cur.js';
import type { FileColumn, FileGroup } from './cur-files.js';

/** The relation the aggregation query reads. */
export const VIEW_NAME = 'cur_input';

/** The date column presented as DATE. */
export const PERIOD_COLUMN: CurColumn = 'bill_billing_period_start_date';

/** A SQL string literal: single quotes doubled. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A SQL identifier: double quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A file path as a literal for read_csv / read_parquet, which treat `*`, `?` and `[`
 * as glob patterns: each is wrapped in a one-character class (`[[]`) so it matches itself.
 */
export function pathLiteral(path: string): string {
  return sqlString(path.replace(/[*?[]/g, (c) => `[${c}]`));
}

function fileList(group: FileGroup): string {
  return `[${group.files.map((f) => pathLiteral(f.path)).join(', ')}]`;
}

/**
 * The table function reading a group. CSV: every column VARCHAR under the names
 * `c0..cN`, no sniffing (a sniffed multi-file read was seen to skip a malformed
 * file silently; explicit options make it fail instead). `locate` adds DuckDB's
 * `filename` / `file_row_number` columns (Parquet only).
 */
export function groupSource(group: FileGroup, locate = false): string {
  if (group.format === 'parquet') {
    return `read_parquet(${fileList(group)}${locate ? ', filename = true, file_row_number = true' : ''})`;
  }
  const columns = group.columns.map((_, i) => `${sqlString(`c${i}`)}: 'VARCHAR'`).join(', ');
  return (
    `read_csv(${fileList(group)}, header = true, auto_detect = false, columns = {${columns}}, ` +
    `delim = ',', quote = '"', escape = '"', compression = ${group.gzip ? "'gzip'" : "'none'"})`
  );
}

/** How the source refers to a file column: `c3` for CSV, the quoted name for Parquet. */
export function columnRef(group: FileGroup, index: number): string {
  return group.format === 'csv' ? `c${index}` : quoteIdent(group.columns[index]!.name);
}

const isText = (c: FileColumn): boolean => c.type === 'VARCHAR';
const isFloat = (c: FileColumn): boolean => /^(DOUBLE|FLOAT|REAL)$/.test(c.type);
const isDateLike = (c: FileColumn): boolean => /^(DATE|TIMESTAMP)/.test(c.type);
const isAmount = (column: CurColumn): boolean => AMOUNT_COLUMNS.includes(column);

/**
 * A number's text → DECIMAL(38, 12), exactly and fast. DuckDB parses text into a
 * 64-bit DECIMAL(18, 12) about four times faster than into the 128-bit DECIMAL(38, 12);
 * values that do not fit (|x| ≥ 10^6) come back NULL from that TRY_CAST and take the
 * full cast, which is also the one that fails on text that is not a number. Both casts
 * round alike beyond 12 decimals, so the value is the same either way.
 */
function exactDecimal(text: string, cast: 'CAST' | 'TRY_CAST'): string {
  return `COALESCE(TRY_CAST(${text} AS DECIMAL(18, 12)), ${cast}(${text} AS DECIMAL(38, 12)))`;
}

/**
 * A text amount column → DECIMAL(38, 12) with no string built on the usual path: the
 * value goes straight into the 64-bit cast (which itself skips surrounding blanks),
 * and only what that cast refuses is trimmed ('' and blanks are NULL, summed as
 * zero) and cast to DECIMAL(38, 12). DuckDB's casts accept digit separators ("1_000");
 * RATING.md does not: such a value has its "_" turned into "!" so that its cast fails
 * (`TRY_CAST`: is NULL) and the row locator names it. `contains` reads the bytes
 * without copying them, so the check costs little per row, unlike the `trim` and
 * `replace` of every value it spares.
 *
 * Typing the column in the CSV reader itself (`read_csv(columns = {..: 'DECIMAL(18, 12)'})`,
 * falling back to this for a file it cannot read) was measured no faster than this
 * expression (rating query at 1M rows: 0.68 s both at `service`, 0.83 s against 0.76 s
 * at `usage-type`), needs a second scan for a value ≥ 10^6 or a blank, and cannot
 * refuse "1_000", which the reader's cast accepts; `bench:rating`'s limit is that reader.
 */
function exactDecimalFromText(ref: string, cast: 'CAST' | 'TRY_CAST'): string {
  return (
    `CASE WHEN contains(${ref}, '_') THEN ${cast}(replace(${ref}, '_', '!') AS DECIMAL(38, 12)) ` +
    `ELSE COALESCE(TRY_CAST(${ref} AS DECIMAL(18, 12)), ${cast}(NULLIF(trim(${ref}), '') AS DECIMAL(38, 12))) END`
  );
}

/**
 * The typed expression of one CUR column of a group, with `cast` = `CAST` (strict:
 * the view) or `TRY_CAST` (NULL on a bad value: finding the bad row).
 * - amounts: DECIMAL(38, 12); text: see `exactDecimalFromText` ('' and blanks are
 *   NULL, digit separators refused); a DOUBLE goes through its shortest text first,
 *   because DuckDB's DOUBLE → DECIMAL cast is inexact;
 * - the billing period start: DATE, from the first 10 characters of the text
 *   (`2023-11-01T00:00:00.000Z`, `2026-10-01`) or from a Parquet date/timestamp;
 * - text: VARCHAR, '' is NULL (the CSV reader's own reading of an empty cell).
 */
export function typedExpr(group: FileGroup, column: CurColumn, cast: 'CAST' | 'TRY_CAST' = 'CAST'): string {
  const index = group.index.get(column);
  if (index === undefined) return nullOf(column);
  const ref = columnRef(group, index);
  const source = group.columns[index]!;
  if (isAmount(column)) {
    if (isText(source)) return exactDecimalFromText(ref, cast);
    if (isFloat(source)) return exactDecimal(`CAST(${ref} AS VARCHAR)`, cast);
    return `${cast}(${ref} AS DECIMAL(38, 12))`;
  }
  if (column === PERIOD_COLUMN) {
    if (isDateLike(source)) return `CAST(${ref} AS DATE)`;
    // CSV text stays text: the query groups on it and the use case checks the month
    // (a bad date is a row of another month, located and named), which spares a
    // date parse per row.
    if (group.format === 'csv' && isText(source)) return `NULLIF(trim(${ref}), '')`;
    return `${cast}(left(NULLIF(trim(CAST(${ref} AS VARCHAR)), ''), 10) AS DATE)`;
  }
  if (source.type.startsWith('MAP(')) return `NULLIF(CAST(${ref}['${column === 'product_product_name' ? 'product_name' : column}'] AS VARCHAR), '')`;
  // The CSV reader already reads an empty cell (quoted or not) as NULL: no per-row NULLIF.
  if (group.format === 'csv' && isText(source)) return ref;
  return isText(source) ? `NULLIF(${ref}, '')` : `NULLIF(CAST(${ref} AS VARCHAR), '')`;
}

function nullOf(column: CurColumn): string {
  if (isAmount(column)) return 'CAST(NULL AS DECIMAL(38, 12))';
  if (column === PERIOD_COLUMN) return 'CAST(NULL AS VARCHAR)';
  return 'CAST(NULL AS VARCHAR)';
}

/** The raw value of a column as text (for error messages), NULL when the column is absent. */
export function rawText(group: FileGroup, column: CurColumn): string {
  const index = group.index.get(column);
  return index === undefined ? 'CAST(NULL AS VARCHAR)' : `CAST(${columnRef(group, index)} AS VARCHAR)`;
}

/** The view's columns: every required column, and each optional one some file has. */
export function viewColumns(groups: FileGroup[]): CurColumn[] {
  const optional = OPTIONAL_COLUMNS.filter((c) => groups.some((g) => g.index.has(c)));
  return [...REQUIRED_COLUMNS, ...optional];
}

/** `CREATE OR REPLACE VIEW cur_input AS ...`: one SELECT per group, UNION ALL; not TEMP, so every connection of the engine (the streams) sees it. */
export function buildViewSql(groups: FileGroup[]): string {
  const columns = viewColumns(groups);
  const selects = groups.map(
    (g) => `SELECT ${columns.map((c) => `${typedExpr(g, c)} AS ${c}`).join(', ')}\nFROM ${groupSource(g)}`,
  );
  return `CREATE OR REPLACE VIEW ${VIEW_NAME} AS\n${selects.join('\nUNION ALL\n')}`;
}
