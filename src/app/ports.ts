/**
 * What the use cases need from the outside world. The CLI dry run, the daemon and
 * the tests plug different adapters into the same use case.
 */
import type { CurGroup } from '../domain/cur.js';
import type { ListPriceMode, RecordGranularity } from './cur-query.js';
import type { PayerReport } from './report.js';

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
  /**
   * The result groups in batches, ordered by account and then by payer: every
   * group of one account arrives before the first group of the next account (a
   * billing transfer's organizations share the payer's run), so
   * a consumer can rate one account at a time and hold no more than that. Read
   * once; the engine's errors surface while iterating.
   */
  groups: AsyncIterable<readonly CurGroup[]>;
  /** Human description of the source (files or table), for the report. */
  source: string;
  /**
   * Whether the source can tell AWS has closed the month (AWS.md: restated for
   * about two weeks after it ends): then `CurGroup.invoicedRows` counts the rows
   * with a `bill_invoice_id`, read in the same scan, and the month is final when
   * every row has one. False for local files (`invoicedRows` is then 0).
   */
  tellsFinality: boolean;
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

/** What is known of a workbook before its first record: the sheet, the header, the categories. */
export type WorkbookShape = Omit<UsageWorkbook, 'records'>;

/** What a finished workbook proved: the exact total and count of the amount cells as written. */
export interface WrittenWorkbook {
  /** Exact decimal sum of the amount cells as serialised into the file (canonical text, e.g. "12.3"). */
  total: string;
  /** Record rows written. */
  rows: number;
  /** Bytes of the .xlsx. */
  bytes: number;
}

/**
 * One workbook being written, record by record, in bounded memory. Its bytes
 * come out of `content` while records go in, so `content` must be consumed
 * (by a `WorkbookStore`) at the same time.
 */
export interface WorkbookDraft {
  /** The .xlsx bytes as they are produced; ends after `finish`, fails after `abort`. */
  readonly content: AsyncIterable<Uint8Array>;
  /** Adds one record row. When it returns a promise, await it (the consumer of `content` is behind). */
  add(record: WorkbookRecord): void | Promise<void>;
  /** Ends the workbook; resolves once the last byte is produced, with the proof. */
  finish(): Promise<WrittenWorkbook>;
  /** Stops without a workbook: `content` ends with `reason`. */
  abort(reason: Error): void;
}

export interface WorkbookWriter {
  /** Starts a workbook. Throws `ConnectorError` `INTERNAL` for a shape the platform would refuse (sheet name, no category). */
  open(shape: WorkbookShape): WorkbookDraft;
}

/** One version of one payer's month: the key of its stored outputs. */
export interface OutputKey {
  payerAccountId: string;
  /** `YYYY-MM`. */
  period: string;
  version: number;
}

/** Where workbooks are kept between rating and upload (a folder; the platform gets the bytes). */
export interface WorkbookStore {
  /** Stores `content` as the workbook of `key`, replacing any; visible only once complete. Resolves with the bytes stored. */
  put(key: OutputKey, content: AsyncIterable<Uint8Array>): Promise<{ bytes: number }>;
  /** The stored workbook, or undefined when there is none. */
  get(key: OutputKey): Promise<Uint8Array | undefined>;
  /** Whether a workbook of `key` is stored (without reading it). */
  has(key: OutputKey): Promise<boolean>;
  /** Removes the workbook of `key`; no error when absent. */
  discard(key: OutputKey): Promise<void>;
  /** Where the workbook of `key` is (a path), for a person. */
  locate(key: OutputKey): string;
  /** The file name the platform is given. */
  fileName(key: OutputKey): string;
}

/** One report being written, account by account (a big month never sits in memory as one text). */
export interface ReportDraft {
  /** Adds one account's entry (its records included), in order. */
  account(entry: Record<string, unknown>): Promise<void>;
  /** Writes the report: `report`'s fields with the accounts added so far as `accounts`. Returns where it is. */
  finish(report: PayerReport): Promise<string>;
  /** Drops what was added (the month failed: a failed report is written with `ReportStore.write`). */
  abandon(): Promise<void>;
}

/** Where each version's report.json is kept. */
export interface ReportStore {
  begin(key: OutputKey): ReportDraft;
  /** Writes a whole report (a failed one, or a small one); returns where it is. */
  write(key: OutputKey, report: PayerReport): Promise<string>;
  /** The stored report, or undefined. */
  read(key: OutputKey): Promise<PayerReport | undefined>;
  /** Adds top-level fields to a stored report (the invalid file's detail). */
  annotate(key: OutputKey, fields: Record<string, unknown>): Promise<void>;
  /** Stores the diff of this version against the previous one (`diff.json` beside the report); returns where it is. */
  writeDiff(key: OutputKey, diff: Record<string, unknown>): Promise<string>;
  /** Where the report of `key` is, for a person. */
  locate(key: OutputKey): string;
}
