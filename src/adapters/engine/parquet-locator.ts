/**
 * Finds "the first row at fault" in Parquet files with DuckDB's `filename` and
 * `file_row_number` columns. Values are bound as statement parameters, never
 * spliced. Row numbers follow the row locator: 1-based data rows.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { CurColumn } from '../../domain/cur.js';
import type { CurRowLocation, RowTest } from '../../app/ports.js';
import type { CurFile, FileGroup } from './cur-files.js';
import { PERIOD_COLUMN, groupSource, rawText, sqlString, typedExpr } from './cur-view-sql.js';

/** A condition over one group's rows, the column it blames, and its parameters. */
interface Probe {
  group: FileGroup;
  column: CurColumn;
  where: string;
  params: Record<string, string>;
}

/** Runs the probes and returns the hit in the earliest file (by `files` order), earliest row. */
async function firstHit(connection: DuckDBConnection, files: readonly CurFile[], probes: Probe[]): Promise<CurRowLocation | undefined> {
  const order = new Map(files.map((f, i) => [f.path, i]));
  let best: (CurRowLocation & { rank: number }) | undefined;
  for (const probe of probes) {
    const { group, column } = probe;
    const name = group.columns[group.index.get(column)!]!.name;
    const sql =
      `SELECT f, CAST(min(r) AS VARCHAR) AS r, arg_min(v, r) AS v FROM (\n` +
      `  SELECT filename AS f, file_row_number AS r, ${rawText(group, column)} AS v\n` +
      `  FROM ${groupSource(group, true)}\n  WHERE ${probe.where}\n) GROUP BY f`;
    const reader = await connection.runAndReadAll(sql, probe.params);
    for (const row of reader.getRowObjectsJson()) {
      const file = String(row['f']);
      const rank = order.get(file) ?? files.length;
      const dataRow = Number(row['r']) + 1;
      if (best === undefined || rank < best.rank || (rank === best.rank && dataRow < best.row)) {
        best = { file, row: dataRow, column: name, value: typeof row['v'] === 'string' ? row['v'] : '', rank };
      }
    }
  }
  if (best === undefined) return undefined;
  const { rank: _rank, ...hit } = best;
  return hit;
}

/**
 * The first Parquet row whose amount (among `amountColumns`) or billing period start
 * the view cannot cast: a value that is present but TRY_CAST gives NULL.
 */
export function findBadParquetValue(
  connection: DuckDBConnection,
  files: readonly CurFile[],
  groups: readonly FileGroup[],
  amountColumns: readonly CurColumn[],
): Promise<CurRowLocation | undefined> {
  const probes: Probe[] = [];
  for (const group of groups) {
    for (const column of [...amountColumns, PERIOD_COLUMN]) {
      if (!group.index.has(column)) continue;
      const where = `NULLIF(trim(${rawText(group, column)}), '') IS NOT NULL AND ${typedExpr(group, column, 'TRY_CAST')} IS NULL`;
      probes.push({ group, column, where, params: {} });
    }
  }
  return firstHit(connection, files, probes);
}

/** `CurSource.locate` over Parquet groups (see `RowTest`). */
export function locateParquetRow(
  connection: DuckDBConnection,
  files: readonly CurFile[],
  groups: readonly FileGroup[],
  payer: string,
  test: RowTest,
): Promise<CurRowLocation | undefined> {
  const probes: Probe[] = [];
  for (const group of groups) {
    const ofPayer = `${typedExpr(group, 'bill_payer_account_id')} = CAST($payer AS VARCHAR)`;
    if (test.kind === 'period-not') {
      const period = `strftime(${typedExpr(group, PERIOD_COLUMN)}, '%Y-%m')`;
      probes.push({
        group,
        column: PERIOD_COLUMN,
        where: `${ofPayer} AND ${period} IS DISTINCT FROM CAST($period AS VARCHAR)`,
        params: { payer, period: test.period },
      });
    } else if (group.index.has('line_item_currency_code')) {
      const currency = `COALESCE(${typedExpr(group, 'line_item_currency_code')}, '')`;
      probes.push({
        group,
        column: 'line_item_currency_code',
        where: `${ofPayer} AND ${currency} NOT IN ('', ${sqlString('USD')})`,
        params: { payer },
      });
    }
  }
  return firstHit(connection, files, probes);
}
