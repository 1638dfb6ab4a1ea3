/**
 * Writes the price-rated (`PR`) usage workbook that is uploaded to Connect
 * (CONNECT.md "The workbook", RATING.md §9) as a stream, record by record, in
 * bounded memory: the records sheet, then `categories`. The proof of what was
 * written is made in the same pass: the exact decimal sum of the amount cells'
 * text as serialised into the sheet, and the count of record rows.
 */
import { Readable } from 'node:stream';
import ZipStream from 'zip-stream';
import type { WorkbookDraft, WorkbookRecord, WorkbookShape, WorkbookWriter, WrittenWorkbook } from '../../app/ports.js';
import { ConnectorError, coerceError } from '../../domain/errors.js';
import { isDecimalText, Money, MoneySum, toExactText } from '../../domain/money.js';
import { neutralise } from './neutralise.js';
import { columnName, inlineStringTail, numberTail, packageParts, SHEET_END, SHEET_START, sheetPath, textRow } from './sheet-xml.js';

/** Name of the sheet the connector writes records to unless configured otherwise. */
export const DEFAULT_RECORDS_SHEET = 'usage_records';
/** Name of the categories sheet (fixed by the platform). */
export const CATEGORIES_SHEET = 'categories';
/** Rows of one sheet in the xlsx format (header included). */
export const XLSX_MAX_ROWS = 1_048_576;
/** Records one records sheet holds: every row but the header. */
export const MAX_RECORDS = XLSX_MAX_ROWS - 1;

/** Header of the records sheet, in the order the platform expects, then the custom column. */
export const RECORD_HEADER = [
  'record_id',
  'record_note',
  'item_search_criteria',
  'item_search_value',
  'amount',
  'quantity',
  'start_time_utc',
  'end_time_utc',
  'asset_search_criteria',
  'asset_search_value',
  'item_name',
  'item_mpn',
  'item_precision',
  'item_unit',
  'category_id',
  'asset_recon_id',
  'tier',
  'v.marketplace_service',
] as const;

/** Columns of the built-in header the connector always leaves empty (they describe an item to create; PR files have no tier). */
const EMPTY_COLUMNS: ReadonlySet<string> = new Set(['item_name', 'item_mpn', 'item_precision', 'item_unit', 'asset_recon_id', 'tier']);
/** The columns the connector fills for every record: kept even when a product's template lacks them. */
const FILLED_COLUMNS = RECORD_HEADER.filter((c) => !EMPTY_COLUMNS.has(c));

/**
 * The records header to write: the built-in `RECORD_HEADER`, or a product
 * template's columns in the template's order followed by the columns the
 * connector fills that the template lacks (the platform reads columns by
 * name). A template column the connector does not know stays empty.
 */
export function recordHeader(columns?: readonly string[]): readonly string[] {
  if (columns === undefined || columns.length === 0) return RECORD_HEADER;
  return [...columns, ...FILLED_COLUMNS.filter((c) => !columns.includes(c))];
}

/** Header of the `categories` sheet. */
export const CATEGORY_HEADER = ['category_id', 'category_name', 'category_description'] as const;

/** Items are looked up by MPN (`item_search_value` carries `WorkbookRecord.itemMpn`). */
const ITEM_SEARCH_CRITERIA = 'item.mpn';
/** Price-rated records always carry quantity 1 (an empty numeric cell fails the upload). */
const PRICE_RATED_QUANTITY = '1';

/** Plain fixed-point text (what rounding produces), the common case of `toCellNumber`; short, so far from a double's limits. */
const SHORT_DECIMAL = /^-?\d{1,17}(?:\.\d{1,17})?$/;
/** Any decimal of at most this many significant digits survives a round trip through a double (DBL_DIG). */
const DOUBLE_EXACT_DIGITS = 15;

/** Digits of fixed-point `text` without its sign, point and leading zeros (an upper bound of its significant digits). */
function significantDigits(text: string): number {
  let digits = 0;
  let leading = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57 || (leading && c === 48)) continue;
    leading = false;
    digits++;
  }
  return digits;
}

/**
 * The one place where a money amount becomes a JavaScript `number`: an xlsx
 * numeric cell holds an IEEE double. Converts the decimal string and proves the
 * conversion lossless (`String(n)` parses back to the same decimal); throws
 * `ConnectorError` `INTERNAL` naming the amount when `amount` is not decimal text
 * or has more significant digits than a double keeps (about 15–17).
 */
export function toCellNumber(amount: string): number {
  if (SHORT_DECIMAL.test(amount) && significantDigits(amount) <= DOUBLE_EXACT_DIGITS) {
    const n = Number(amount); // 15 digits or fewer: the double's shortest text is this decimal
    return n === 0 ? 0 : n;
  }
  if (!isDecimalText(amount) || amount.trim() !== amount) {
    throw new ConnectorError('INTERNAL', `amount ${JSON.stringify(amount)} is not decimal text`, {
      where: { column: 'amount', value: amount },
    });
  }
  const n = Number(amount);
  const back = String(n);
  // Same text back is trivially the same decimal; otherwise compare exactly.
  if (!Number.isFinite(n) || (back !== amount && !new Money(back).equals(new Money(amount)))) {
    throw new ConnectorError(
      'INTERNAL',
      `amount ${amount} cannot be stored exactly in a spreadsheet number cell (it would read back as ${String(n)})`,
      { where: { column: 'amount', value: amount } },
    );
  }
  return n === 0 ? 0 : n; // never write -0
}

/**
 * One column of the records sheet: what follows the row number of its cell
 * (`" t="inlineStr">…</c>`), or `''` for no cell. `amount` is the amount cell's
 * text, computed once per record.
 */
type CellTail = (record: WorkbookRecord, amount: string) => string;

/** A text column, neutralised and escaped; the last value's XML is kept (most columns repeat). */
function textColumn(pick: (record: WorkbookRecord) => string): CellTail {
  let last: string | undefined;
  let tail = '';
  return (record) => {
    const value = pick(record);
    if (value !== last) {
      last = value;
      tail = value === '' ? '' : inlineStringTail(neutralise(value));
    }
    return tail;
  };
}

function fixedColumn(tail: string): CellTail {
  return () => tail;
}

/** The cell of every column the connector knows, for one draft (text columns keep a little state). */
function knownColumns(): Record<string, CellTail> {
  const marketplace = inlineStringTail('true');
  const other = inlineStringTail('false');
  return {
    record_id: textColumn((r) => r.recordId),
    record_note: textColumn((r) => r.note),
    item_search_criteria: fixedColumn(inlineStringTail(ITEM_SEARCH_CRITERIA)),
    item_search_value: textColumn((r) => r.itemMpn),
    amount: (_, amount) => numberTail(amount),
    quantity: fixedColumn(numberTail(PRICE_RATED_QUANTITY)),
    start_time_utc: textColumn((r) => r.startTimeUtc),
    end_time_utc: textColumn((r) => r.endTimeUtc),
    asset_search_criteria: textColumn((r) => r.assetSearchCriteria),
    asset_search_value: textColumn((r) => r.assetSearchValue),
    category_id: textColumn((r) => r.categoryId),
    'v.marketplace_service': (r) => (r.marketplaceService ? marketplace : other),
    // item_name / item_mpn / item_precision / item_unit describe an item to create;
    // the item is found by item_search_criteria = item.mpn, so they stay empty, as
    // do asset_recon_id, tier (empty for PR) and a template's unknown columns.
  };
}

/**
 * Why a spreadsheet would refuse `name` for the records sheet, or undefined:
 * 1–31 characters, none of `* ? : \\ / [ ]`, no leading or trailing `'`, not
 * `History`, and not `categories` (sheet names compare regardless of letter case).
 */
function sheetNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 31) return 'a sheet name has 1 to 31 characters';
  if (/[*?:/\\[\]]/.test(name)) return 'a sheet name cannot contain * ? : \\ / [ or ]';
  if (name.startsWith("'") || name.endsWith("'")) return "a sheet name cannot begin or end with '";
  if (name.toLowerCase() === 'history') return '"History" is reserved';
  if (name.toLowerCase() === CATEGORIES_SHEET) return `that is the name of the ${CATEGORIES_SHEET} sheet`;
  return undefined;
}

/** Broken invariants of the shape: a bug in the caller, not an operator problem. */
function checkShape(shape: WorkbookShape, sheetName: string): void {
  if (shape.categories.length === 0) {
    throw new ConnectorError('INTERNAL', 'usage workbook needs at least one category row');
  }
  const problem = sheetNameProblem(sheetName);
  if (problem !== undefined) {
    throw new ConnectorError('INTERNAL', `records sheet cannot be named ${JSON.stringify(sheetName)}: ${problem}`, {
      where: { setting: 'recordsSheetName', value: sheetName },
    });
  }
}

/** Options of `StreamingWorkbookWriter`. */
export interface StreamingWorkbookWriterOptions {
  /**
   * zlib level of the zip entries, 1 (fastest) to 9 (smallest). Default 1: the
   * sheet XML is so repetitive that level 1 already shrinks it about tenfold, and
   * level 6 takes six times as long.
   */
  compressionLevel?: number;
  /** Records a workbook may hold: at most (and by default) `MAX_RECORDS`, what an xlsx sheet holds. */
  maxRecords?: number;
}

/**
 * `WorkbookWriter` that streams: sheet XML written here, the zip container by
 * zip-stream (entries deflated by node:zlib as they come, sizes in data descriptors). Stateless; one instance
 * may write many workbooks, each draft independent.
 */
export class StreamingWorkbookWriter implements WorkbookWriter {
  private readonly compressionLevel: number;
  private readonly maxRecords: number;

  constructor(options: StreamingWorkbookWriterOptions = {}) {
    this.compressionLevel = options.compressionLevel ?? 1;
    this.maxRecords = Math.min(options.maxRecords ?? MAX_RECORDS, MAX_RECORDS);
  }

  /**
   * Starts a workbook of `shape` (an empty `recordsSheetName` means
   * `usage_records`). Throws `ConnectorError` `INTERNAL` for a sheet name a
   * spreadsheet would refuse or no category.
   */
  open(shape: WorkbookShape): WorkbookDraft {
    const sheetName = shape.recordsSheetName === '' ? DEFAULT_RECORDS_SHEET : shape.recordsSheetName;
    checkShape(shape, sheetName);
    return new StreamingDraft(shape, sheetName, this.compressionLevel, this.maxRecords);
  }
}

/** Characters of sheet XML gathered before they are handed to the zip as one chunk. */
const CHUNK_CHARS = 64 * 1024;
/** Bytes the records sheet may buffer before `add` waits for the zip (and its consumer). */
const SHEET_BUFFER_BYTES = 256 * 1024;
/** The largest entry a zip without zip64 holds. */
const ZIP_ENTRY_MAX_BYTES = 0xffff_ffff;
/** A fixed date for every entry: the same records give the same bytes. */
const ENTRY_DATE = new Date(Date.UTC(2000, 0, 1));

type DraftState = 'open' | 'finishing' | 'done' | 'failed';

class StreamingDraft implements WorkbookDraft {
  readonly content: Readable;
  private readonly sheet: Readable;
  private readonly header: readonly string[];
  private readonly cells: Array<{ ref: string; tail: CellTail }>;
  private readonly categories: ReadonlySet<string>;
  private readonly total = new MoneySum();
  private readonly produced: Promise<number>;
  private resolveProduced!: (bytes: number) => void;
  private rejectProduced!: (error: Error) => void;
  private state: DraftState = 'open';
  private failure: Error | undefined;
  private rows = 0;
  private sheetBytes = 0;
  private pending = '';
  private waiting: { resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor(
    shape: WorkbookShape,
    private readonly sheetName: string,
    compressionLevel: number,
    private readonly maxRecords: number,
  ) {
    this.header = recordHeader(shape.columns);
    const known = knownColumns();
    this.cells = this.header.flatMap((column, i) => {
      const tail = Object.hasOwn(known, column) ? known[column] : undefined;
      return tail === undefined ? [] : [{ ref: `<c r="${columnName(i)}`, tail }];
    });
    this.categories = new Set(shape.categories.map((c) => c.id));
    this.produced = new Promise<number>((resolve, reject) => {
      this.resolveProduced = resolve;
      this.rejectProduced = reject;
    });
    this.produced.catch(() => undefined); // observed by finish(); an abort before it is not unhandled

    this.sheet = new Readable({ highWaterMark: SHEET_BUFFER_BYTES, read: () => this.wake() });
    this.sheet.on('error', () => undefined); // the zip sees it; the draft reports through `content`
    this.pending = SHEET_START + textRow(1, this.header);

    const archive = new ZipStream({ zlib: { level: compressionLevel, chunkSize: 256 * 1024 } });
    const entries: Array<[path: string, source: string | Readable]> = [
      ...packageParts([sheetName, CATEGORIES_SHEET]),
      [sheetPath(1), this.sheet],
      [sheetPath(2), categoriesSheet(shape)],
    ];
    const next = (error: Error | null): void => {
      if (error !== null) return this.abort(coerceError(error));
      const entry = entries.shift();
      if (entry === undefined) return archive.finalize();
      archive.entry(entry[1], { name: entry[0], date: ENTRY_DATE }, next);
    };
    next(null);

    let bytes = 0;
    let ended = false;
    this.content = new Readable({ read: () => void archive.resume() });
    this.content.on('error', () => undefined); // a consumer sees it by reading; none may be listening yet
    archive.on('data', (chunk: Buffer) => {
      bytes += chunk.byteLength;
      if (!this.content.push(chunk)) archive.pause();
    });
    archive.on('end', () => {
      ended = true;
      this.content.push(null);
      this.resolveProduced(bytes);
    });
    archive.on('error', (error: unknown) => this.abort(coerceError(error)));
    this.content.on('close', () => {
      if (!ended) this.abort(new ConnectorError('INTERNAL', `the workbook's content was not read to its end`));
    });
  }

  /**
   * Adds one record row. Throws `ConnectorError` `INTERNAL` (and aborts the
   * draft: no workbook can be made of it) for an amount a number cell cannot
   * hold exactly, a category not in the categories sheet, a record beyond
   * `maxRecords` (1,048,575: an xlsx sheet's 1,048,576 rows less the header), or
   * after `finish`/`abort`.
   */
  add(record: WorkbookRecord): void | Promise<void> {
    if (this.state !== 'open') throw this.closed('add a record to');
    const row = this.rows + 2;
    let xml: string;
    let amount: string;
    try {
      if (this.rows >= this.maxRecords) {
        throw new ConnectorError(
          'INTERNAL',
          `the ${this.sheetName} sheet holds at most ${this.maxRecords} records (an xlsx sheet has ${XLSX_MAX_ROWS} rows, header included); record ${record.recordId} is one too many`,
          { where: { value: this.sheetName, row } },
        );
      }
      if (!this.categories.has(record.categoryId)) {
        throw new ConnectorError('INTERNAL', `record ${record.recordId} has category ${record.categoryId}, which is not in the categories sheet`, {
          where: { value: record.categoryId },
        });
      }
      amount = String(toCellNumber(record.amount));
      const r = String(row);
      xml = `<row r="${r}">`;
      for (const cell of this.cells) {
        const tail = cell.tail(record, amount);
        if (tail !== '') xml += cell.ref + r + tail;
      }
      xml += '</row>';
    } catch (error) {
      const failure = coerceError(error);
      this.abort(failure);
      throw failure;
    }
    this.total.add(amount);
    this.rows++;
    this.pending += xml;
    return this.pending.length >= CHUNK_CHARS ? this.flush() : undefined;
  }

  /** Ends the workbook; resolves once the zip has produced its last byte (its consumer must keep reading). */
  async finish(): Promise<WrittenWorkbook> {
    if (this.state !== 'open') throw this.closed('finish');
    this.state = 'finishing';
    this.pending += SHEET_END;
    await this.flush();
    this.sheet.push(null);
    const bytes = await this.produced;
    this.state = 'done';
    return { total: toExactText(this.total.value()), rows: this.rows, bytes };
  }

  /** Stops without a workbook: `content` fails with `reason`, a waiting `add` or `finish` rejects with it. No effect once finished. */
  abort(reason: Error): void {
    if (this.state === 'done' || this.state === 'failed') return;
    this.state = 'failed';
    this.failure = reason;
    this.pending = '';
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(reason);
    this.rejectProduced(reason);
    this.sheet.destroy(reason);
    this.content.destroy(reason);
  }

  /** Hands the gathered XML to the zip; resolves when the zip wants more (at once unless its buffer is full). */
  private flush(): void | Promise<void> {
    const chunk = Buffer.from(this.pending, 'utf8');
    this.pending = '';
    this.sheetBytes += chunk.byteLength;
    if (this.sheetBytes > ZIP_ENTRY_MAX_BYTES) {
      const failure = new ConnectorError('INTERNAL', `the ${this.sheetName} sheet is larger than 4 GiB, more than a zip entry holds`, {
        where: { value: this.sheetName },
      });
      this.abort(failure);
      throw failure;
    }
    if (this.sheet.push(chunk)) return undefined;
    return new Promise<void>((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve();
  }

  private closed(action: string): Error {
    if (this.failure !== undefined) return this.failure;
    return new ConnectorError('INTERNAL', `cannot ${action} a workbook that is ${this.state === 'done' ? 'finished' : 'finishing'}`);
  }
}

/** The whole `categories` sheet: its header and one row per category, text neutralised. */
function categoriesSheet(shape: WorkbookShape): string {
  const rows = shape.categories.map((c, i) => textRow(i + 2, [neutralise(c.id), neutralise(c.name), neutralise(c.description)]));
  return SHEET_START + textRow(1, CATEGORY_HEADER) + rows.join('') + SHEET_END;
}
