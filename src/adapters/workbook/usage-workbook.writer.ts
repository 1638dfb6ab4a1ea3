/**
 * Writes the price-rated (`PR`) usage workbook that is uploaded to Connect
 * (CONNECT.md "The workbook", RATING.md §9) as a stream, record by record, in
 * bounded memory: the records sheet, then `categories`, then the shared strings
 * table of the records' repeating text (bounded too: `SHARED_STRINGS_MAX`). The proof of what was
 * written is made in the same pass: the exact decimal sum of the amount cells'
 * text as serialised into the sheet, and the count of record rows.
 */
import { Readable } from 'node:stream';
import ZipStream from 'zip-stream';
import type { WorkbookDraft, WorkbookRecord, WorkbookShape, WorkbookWriter, WrittenWorkbook } from '../../app/ports.js';
import { ConnectorError, coerceError } from '../../domain/errors.js';
import { MoneySum, toExactText } from '../../domain/money.js';
import { neutralise } from '../../domain/neutralise.js';
import { CATEGORY_HEADER, type CellTail, knownColumns, recordHeader, toCellNumber } from './record-cells.js';
import { SHARED_STRINGS_MAX, SharedStrings } from './shared-strings.js';
import { columnName, packageParts, SHARED_STRINGS_PATH, SHEET_END, SHEET_START, sheetPath, textRow } from './sheet-xml.js';

export { CATEGORY_HEADER, RECORD_HEADER, recordHeader, toCellNumber } from './record-cells.js';
export { SHARED_STRINGS_MAX } from './shared-strings.js';

/** Name of the sheet the connector writes records to unless configured otherwise. */
export const DEFAULT_RECORDS_SHEET = 'usage_records';
/** Name of the categories sheet (fixed by the platform). */
export const CATEGORIES_SHEET = 'categories';
/** Rows of one sheet in the xlsx format (header included). */
export const XLSX_MAX_ROWS = 1_048_576;
/** Records one records sheet holds: every row but the header. */
export const MAX_RECORDS = XLSX_MAX_ROWS - 1;

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
  /**
   * Distinct texts the shared strings table of a workbook holds (default
   * `SHARED_STRINGS_MAX`); a text first seen once it is full is written inline.
   */
  sharedStringsMax?: number;
}

/**
 * `WorkbookWriter` that streams: sheet XML written here, the zip container by
 * zip-stream (entries deflated by node:zlib as they come, sizes in data descriptors). Stateless; one instance
 * may write many workbooks, each draft independent.
 */
export class StreamingWorkbookWriter implements WorkbookWriter {
  private readonly compressionLevel: number;
  private readonly maxRecords: number;
  private readonly sharedStringsMax: number;

  constructor(options: StreamingWorkbookWriterOptions = {}) {
    this.compressionLevel = options.compressionLevel ?? 1;
    this.maxRecords = Math.min(options.maxRecords ?? MAX_RECORDS, MAX_RECORDS);
    this.sharedStringsMax = Math.max(0, options.sharedStringsMax ?? SHARED_STRINGS_MAX);
  }

  /**
   * Starts a workbook of `shape` (an empty `recordsSheetName` means
   * `usage_records`). Throws `ConnectorError` `INTERNAL` for a sheet name a
   * spreadsheet would refuse or no category.
   */
  open(shape: WorkbookShape): WorkbookDraft {
    const sheetName = shape.recordsSheetName === '' ? DEFAULT_RECORDS_SHEET : shape.recordsSheetName;
    checkShape(shape, sheetName);
    return new StreamingDraft(shape, sheetName, this.compressionLevel, this.maxRecords, new SharedStrings(this.sharedStringsMax));
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
    strings: SharedStrings,
  ) {
    this.header = recordHeader(shape.columns);
    const known = knownColumns(strings);
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
    // The header and the categories, written once, stay inline: in the table they would
    // only push the records' repeating texts to longer indices.
    this.pending = SHEET_START + textRow(1, this.header);

    const archive = new ZipStream({ zlib: { level: compressionLevel, chunkSize: 256 * 1024 } });
    const categoriesSheet = categoriesSheetXml(shape);
    // The table last: it is complete only once both sheets are (the zip reaches it after them).
    const entries: Array<[path: string, source: () => string | Readable]> = [
      ...packageParts([sheetName, CATEGORIES_SHEET]).map(([path, xml]): [string, () => string] => [path, () => xml]),
      [sheetPath(1), () => this.sheet],
      [sheetPath(2), () => categoriesSheet],
      [SHARED_STRINGS_PATH, () => strings.content()],
    ];
    const next = (error: Error | null): void => {
      if (error !== null) return this.abort(coerceError(error));
      const entry = entries.shift();
      if (entry === undefined) return archive.finalize();
      archive.entry(entry[1](), { name: entry[0], date: ENTRY_DATE }, next);
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
function categoriesSheetXml(shape: WorkbookShape): string {
  const rows = shape.categories.map((c, i) => textRow(i + 2, [neutralise(c.id), neutralise(c.name), neutralise(c.description)]));
  return SHEET_START + textRow(1, CATEGORY_HEADER) + rows.join('') + SHEET_END;
}
