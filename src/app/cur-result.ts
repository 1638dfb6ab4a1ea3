/**
 * The shared query's result rows (`RESULT_COLUMNS`, all text) as `CurGroup`s. Every
 * engine that runs `buildCurQuery` (DuckDB locally, Athena) maps its rows here, so
 * the groups do not depend on where the query ran. No I/O.
 */
import { periodStartOf, type CurGroup } from '../domain/cur.js';
import { ConnectorError } from '../domain/errors.js';
import { RESULT_COLUMNS } from './cur-query.js';

/** Throws `INTERNAL` unless `columns` are exactly `RESULT_COLUMNS`, in order (a bug, not bad input). */
export function assertResultColumns(columns: readonly string[]): void {
  if (columns.join(',') !== RESULT_COLUMNS.join(',')) {
    throw new ConnectorError('INTERNAL', `CUR query returned columns ${columns.join(',')}, expected ${RESULT_COLUMNS.join(',')}`);
  }
}

/**
 * One result row, values in `RESULT_COLUMNS` order, as a group. A value that is not
 * a string (NULL) reads as ''. Amounts stay the engine's exact decimal text.
 */
export function toCurGroup(row: readonly unknown[]): CurGroup {
  const at = (i: number): string => (typeof row[i] === 'string' ? (row[i] as string) : '');
  return {
    payerAccountId: at(0),
    periodStart: periodStartOf(at(1)),
    accountId: at(2),
    lineItemType: at(3),
    productCode: at(4),
    billingEntity: at(5),
    currencyCode: at(6),
    reservationFee: at(7) === 'Y',
    usageType: at(8),
    productName: at(9),
    rows: count(at(10)),
    invoicedRows: count(at(11)),
    unblendedUsd: at(12),
    onDemandListUsd: at(13),
    maxUnblendedUsd: at(14),
    costUsd: at(15),
    uncostedRows: count(at(16)),
    netMissingDiscountRows: count(at(17)),
  };
}

/** A row count as the engine writes it (digits); '' (NULL) is 0; anything else is a bug. */
function count(text: string): number {
  if (text === '') return 0;
  if (!/^\d+$/.test(text)) throw new ConnectorError('INTERNAL', `CUR query returned the count ${JSON.stringify(text)}, expected digits`);
  return Number(text);
}

/** A whole result (column names and rows) as groups; see `assertResultColumns` and `toCurGroup`. */
export function toCurGroups(result: { columns: readonly string[]; rows: readonly (readonly unknown[])[] }): CurGroup[] {
  assertResultColumns(result.columns);
  return result.rows.map(toCurGroup);
}
