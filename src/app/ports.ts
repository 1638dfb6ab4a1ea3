/**
 * What the use cases need from the outside world. The CLI dry run, the daemon and
 * the tests plug different adapters into the same use case.
 */
import type { CurGroup } from '../domain/cur.js';
import type { ListPriceMode, RecordGranularity } from './cur-query.js';

/** Progress of a long read, for a human on stderr. */
export interface Progress {
  phase: string;
  /** Work done so far, in `unit`s. */
  done: number;
  /** Total when known. */
  total?: number;
  unit: string;
}

export interface CurAggregateRequest {
  /** `YYYY-MM`. Rows of other periods are an error, not a filter. */
  period: string;
  listPrice: ListPriceMode;
  granularity: RecordGranularity;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

export interface CurAggregate {
  groups: CurGroup[];
  /** Total CUR rows read. */
  rowsRead: number;
  /** Human description of the source (files or table), for the report. */
  source: string;
  /**
   * Whether AWS has closed the month: true when every CUR row of the period has a
   * `bill_invoice_id` (a month is restated for about two weeks after it ends, so a run
   * on the 5th rates what is there and says so). Undefined when the source cannot tell
   * (local files).
   */
  final?: boolean;
}

/**
 * A month of CUR, aggregated in an engine. Throws `ConnectorError` with code
 * `CUR_INPUT` / `CUR_EMPTY` naming file, row and column when the input as a whole
 * is unusable. Rows of another period or currency are not filtered: they come back
 * as their own groups, the rating fails that payer, and `locate` names the row.
 */
export interface CurSource {
  aggregate(request: CurAggregateRequest): Promise<CurAggregate>;
  /**
   * The first CUR row of `payerAccountId` that fails `test`, so a per-payer problem
   * can name file, row, column and value. Optional: sources that cannot point at a
   * row (or have no rows at fault) return undefined.
   */
  locate?(payerAccountId: string, test: RowTest): Promise<CurRowLocation | undefined>;
}

/**
 * What `CurSource.locate` looks for: a row whose billing period start is not in
 * `period` (`YYYY-MM`), or whose `line_item_currency_code` is non-empty and not `USD`.
 */
export type RowTest = { kind: 'period-not'; period: string } | { kind: 'currency-not-usd' };

/** A row at fault. `row` is the 1-based data row (the first row after a CSV header is 1). */
export interface CurRowLocation {
  /** File path (or table name). */
  file: string;
  row: number;
  /** The column as the file names it (`lineItem/CurrencyCode`). */
  column: string;
  /** The raw value as written. */
  value: string;
}

/** One data row of the `usage_records` sheet (CONNECT.md "The workbook"). */
export interface WorkbookRecord {
  recordId: string;
  /** The service name. */
  note: string;
  /** MPN of the product item (AWS usage, Marketplace usage or support). */
  itemMpn: string;
  /** Rounded billed amount as a decimal string, e.g. "12.34". */
  amount: string;
  /** `YYYY-MM-DD hh:mm:ss`, UTC. */
  startTimeUtc: string;
  endTimeUtc: string;
  assetSearchCriteria: 'parameter.aws_account_id' | 'asset.id';
  assetSearchValue: string;
  categoryId: string;
  /** Goes to the custom column `v.marketplace_service` as `true` / `false`. */
  marketplaceService: boolean;
}

export interface WorkbookCategory {
  id: string;
  name: string;
  description: string;
}

export interface UsageWorkbook {
  /** Default `usage_records`. */
  recordsSheetName: string;
  /**
   * The records header of the product's own usage template, in its order (the
   * writer keeps it and adds only the columns the connector fills that it
   * lacks); absent: the built-in header.
   */
  columns?: readonly string[];
  records: WorkbookRecord[];
  categories: WorkbookCategory[];
}

export interface WorkbookWriter {
  /** Writes the .xlsx to `path` and returns the sum of the amount column as read back from the file. */
  write(path: string, workbook: UsageWorkbook): Promise<{ total: string; rows: number }>;
}
