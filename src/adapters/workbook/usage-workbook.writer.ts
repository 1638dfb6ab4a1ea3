/**
 * Writes the price-rated (`PR`) usage workbook that is uploaded to Connect
 * (CONNECT.md "The workbook", RATING.md §9), then reads it back and returns the
 * total of the amount column as stored, so the caller can prove the file total
 * equals the report's billed total before uploading anything.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { UsageWorkbook, WorkbookRecord, WorkbookWriter } from '../../app/ports.js';
import { ConnectorError } from '../../domain/errors.js';
import { isDecimalText, Money, parseDecimal, sum, toExactText } from '../../domain/money.js';
import { neutralise } from './neutralise.js';
import { readStoredColumn } from './stored-column.js';
import { CATEGORIES_SHEET, DEFAULT_RECORDS_SHEET } from './usage-workbook.reader.js';

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
const PRICE_RATED_QUANTITY = 1;

/**
 * The one place where a money amount becomes a JavaScript `number`: an xlsx
 * numeric cell holds an IEEE double. Converts the decimal string and proves the
 * conversion lossless (`String(n)` parses back to the same decimal); throws
 * `ConnectorError` `INTERNAL` naming the amount when `amount` is not decimal text
 * or has more significant digits than a double keeps (about 15–17).
 */
export function toCellNumber(amount: string): number {
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

/** The cells of one records row, in `header` order (unknown columns empty). Text is neutralised. */
function recordRow(record: WorkbookRecord, header: readonly string[]): (string | number)[] {
  const cells: Record<(typeof RECORD_HEADER)[number], string | number> = {
    record_id: neutralise(record.recordId),
    record_note: neutralise(record.note),
    item_search_criteria: ITEM_SEARCH_CRITERIA,
    item_search_value: neutralise(record.itemMpn),
    amount: toCellNumber(record.amount),
    quantity: PRICE_RATED_QUANTITY,
    start_time_utc: neutralise(record.startTimeUtc),
    end_time_utc: neutralise(record.endTimeUtc),
    asset_search_criteria: neutralise(record.assetSearchCriteria),
    asset_search_value: neutralise(record.assetSearchValue),
    // item_name / item_mpn / item_precision / item_unit describe an item to create;
    // the item is found by item_search_criteria = item.mpn, so they stay empty.
    item_name: '',
    item_mpn: '',
    item_precision: '',
    item_unit: '',
    category_id: neutralise(record.categoryId),
    asset_recon_id: '',
    tier: '', // empty for PR
    'v.marketplace_service': record.marketplaceService ? 'true' : 'false',
  };
  return header.map((key) => (Object.hasOwn(cells, key) ? cells[key as keyof typeof cells] : ''));
}

/** Broken invariants of the input: a bug in the caller, not an operator problem. */
function checkInput(workbook: UsageWorkbook, sheetName: string): void {
  if (workbook.categories.length === 0) {
    throw new ConnectorError('INTERNAL', 'usage workbook needs at least one category row');
  }
  const problem = sheetNameProblem(sheetName);
  if (problem !== undefined) {
    throw new ConnectorError('INTERNAL', `records sheet cannot be named ${JSON.stringify(sheetName)}: ${problem}`, {
      where: { setting: 'recordsSheetName', value: sheetName },
    });
  }
  const known = new Set(workbook.categories.map((c) => c.id));
  for (const record of workbook.records) {
    if (!known.has(record.categoryId)) {
      throw new ConnectorError(
        'INTERNAL',
        `record ${record.recordId} has category ${record.categoryId}, which is not in the categories sheet`,
        { where: { value: record.categoryId } },
      );
    }
  }
}

/**
 * Why a spreadsheet would refuse `name` for the records sheet, or undefined. The
 * rules exceljs's in-memory workbook enforced (its streaming writer does not):
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

/** `WorkbookWriter` on exceljs. Stateless; one instance may write many files. */
export class ExcelWorkbookWriter implements WorkbookWriter {
  /**
   * Writes `workbook` to `path` (parent directories are created; an existing file
   * is replaced), reads it back by sheet name and returns `total`, the exact
   * decimal sum of the amount column as stored (canonical text without trailing
   * zeros, e.g. "12.3"; compare with `Money.equals`), and `rows`, the number of
   * record rows. Throws `ConnectorError` `IO` when the file cannot be written or
   * read, `INTERNAL` for bad input or a file that does not read back as written.
   */
  async write(path: string, workbook: UsageWorkbook): Promise<{ total: string; rows: number }> {
    const sheetName = workbook.recordsSheetName === '' ? DEFAULT_RECORDS_SHEET : workbook.recordsSheetName;
    checkInput(workbook, sheetName);

    // Every row is converted (and every amount proven storable) before anything is written.
    const header = recordHeader(workbook.columns);
    const recordRows = workbook.records.map((record) => recordRow(record, header));
    const categoryRows = workbook.categories.map((c) => [neutralise(c.id), neutralise(c.name), neutralise(c.description)]);
    const bytes = await renderXlsx([
      { name: sheetName, header, rows: recordRows },
      { name: CATEGORIES_SHEET, header: CATEGORY_HEADER, rows: categoryRows },
    ]);

    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, bytes);
    } catch (cause) {
      throw new ConnectorError('IO', `cannot write workbook ${path}`, { where: { file: path }, cause });
    }

    await verifyCategories(path, workbook.categories.length);
    return verify(path, sheetName, header, workbook.records.length);
  }
}

interface SheetContent {
  name: string;
  header: readonly string[];
  rows: (string | number)[][];
}

/**
 * The .xlsx bytes of `sheets`, in order, from exceljs's streaming writer: rows are
 * serialised as they are added instead of being kept as a cell model. Text goes to
 * the shared strings table, as exceljs's in-memory writer does: its streaming
 * alternative, `t="str"` cells, reads back through exceljs with XML entities
 * decoded twice (`&amp;lt;` as `<`). No styles: every cell is General.
 */
async function renderXlsx(sheets: SheetContent[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  try {
    const book = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useStyles: false, useSharedStrings: true });
    for (const sheet of sheets) {
      const ws = book.addWorksheet(sheet.name);
      ws.addRow([...sheet.header]).commit();
      for (const row of sheet.rows) ws.addRow(row).commit();
      ws.commit();
    }
    await book.commit();
  } catch (cause) {
    throw new ConnectorError('INTERNAL', 'cannot build the usage workbook', { cause });
  }
  return Buffer.concat(chunks);
}

/** Reads the categories sheet back from the file on disk: its header and its row count. */
async function verifyCategories(path: string, expectedRows: number): Promise<void> {
  const back = await readStoredColumn(path, CATEGORIES_SHEET, 'category_id');
  if (back.header.join(',') !== CATEGORY_HEADER.join(',') || back.cells.length !== expectedRows) {
    throw new ConnectorError(
      'INTERNAL',
      `workbook ${path} reads back ${back.cells.length} categories under header ${back.header.join(',')}, ` +
        `${expectedRows} were written`,
      { where: { file: path } },
    );
  }
}

/**
 * Reads the amount column back from the file on disk (records sheet found by name)
 * and sums what is actually stored in it.
 */
async function verify(path: string, sheetName: string, header: readonly string[], expectedRows: number): Promise<{ total: string; rows: number }> {
  const back = await readStoredColumn(path, sheetName, 'amount');
  if (back.header.join(',') !== header.join(',')) {
    throw new ConnectorError('INTERNAL', `workbook ${path} reads back with header ${back.header.join(',')}`, {
      where: { file: path },
    });
  }
  if (back.cells.length !== expectedRows) {
    throw new ConnectorError(
      'INTERNAL',
      `workbook ${path} reads back ${back.cells.length} records, ${expectedRows} were written`,
      { where: { file: path } },
    );
  }
  const amounts = back.cells.map((cell) => {
    const amount = cell.kind === 'number' ? parseDecimal(cell.text) : undefined;
    if (amount === undefined) {
      throw new ConnectorError(
        'INTERNAL',
        `workbook ${path} has a non-numeric amount ${JSON.stringify(cell.text)} (${cell.kind}) in row ${cell.row}`,
        { where: { file: path, row: cell.row, column: 'amount', value: cell.text } },
      );
    }
    return amount;
  });
  return { total: toExactText(sum(amounts)), rows: back.cells.length };
}
