/**
 * An independent reader of usage workbooks for tests: SheetJS, not the code that
 * wrote them, so a fault of the writer cannot hide behind a reader of its own.
 * Sheets are found by name; every value comes back as text.
 */
import type { UsageWorkbook } from '../../src/app/ports.js';
import { StreamingWorkbookWriter } from '../../src/adapters/workbook/usage-workbook.writer.js';
import * as XLSX from 'xlsx';

/** A usage workbook as text. */
export interface WorkbookText {
  /** Sheet names in workbook order. */
  sheetNames: string[];
  /** Row 1 of the records sheet, in sheet order. */
  header: string[];
  /** One object per non-empty row after the header, keyed by header; every header key present ('' when empty). */
  records: Record<string, string>[];
  /** Row 1 of `categories`. */
  categoriesHeader: string[];
  /** Rows of `categories`, keyed by that sheet's header. */
  categories: Record<string, string>[];
}

/**
 * Reads .xlsx `bytes`: the records sheet (`recordsSheetName`, default
 * `usage_records`) and `categories`. Numbers come back as `String(n)`, booleans
 * as `true`/`false`, empty cells as `""`. Throws when a sheet is missing.
 */
export function readWorkbookText(bytes: Uint8Array, recordsSheetName = 'usage_records'): WorkbookText {
  const book = readBook(bytes);
  const records = sheetRows(sheetOf(book, recordsSheetName));
  const categories = sheetRows(sheetOf(book, 'categories'));
  return {
    sheetNames: book.SheetNames,
    header: records.header,
    records: records.rows,
    categoriesHeader: categories.header,
    categories: categories.rows,
  };
}

/** The workbook as SheetJS reads it (formulas kept), for tests that look at cell types. */
export function readBook(bytes: Uint8Array): XLSX.WorkBook {
  return XLSX.read(Buffer.from(bytes), { type: 'buffer', cellFormula: true, cellDates: false });
}

/** The sheet named `name`; throws naming the sheets there are. */
export function sheetOf(book: XLSX.WorkBook, name: string): XLSX.WorkSheet {
  const sheet = book.SheetNames.includes(name) ? book.Sheets[name] : undefined;
  if (sheet === undefined) throw new Error(`no sheet ${name} (sheets: ${book.SheetNames.join(', ')})`);
  return sheet;
}

/** All bytes of `content`, read to its end. */
export async function readAll(content: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of content) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function sheetRows(sheet: XLSX.WorkSheet): { header: string[]; rows: Record<string, string>[] } {
  const range = XLSX.utils.decode_range(sheet['!ref'] ?? 'A1:A1');
  const at = (r: number, c: number): string => cellText(sheet[XLSX.utils.encode_cell({ r, c })] as XLSX.CellObject | undefined);
  const header: string[] = [];
  for (let c = range.s.c; c <= range.e.c; c++) header.push(at(range.s.r, c));
  while (header.length > 0 && header[header.length - 1] === '') header.pop();
  const rows: Record<string, string>[] = [];
  for (let r = range.s.r + 1; r <= range.e.r; r++) {
    const values = Object.fromEntries(header.map((key, i) => [key, at(r, range.s.c + i)]));
    if (Object.values(values).some((v) => v !== '')) rows.push(values);
  }
  return { header, rows };
}

function cellText(cell: XLSX.CellObject | undefined): string {
  if (cell === undefined || cell.v === undefined || cell.v === null) return '';
  if (cell.t === 'b') return cell.v ? 'true' : 'false';
  if (cell.t === 'n') return String(cell.v);
  return String(cell.v);
}

/** The bytes of `workbook` as the connector's writer makes them (for tests that need a real file). */
export async function writeWorkbookBytes(workbook: UsageWorkbook): Promise<Uint8Array> {
  const { records, ...shape } = workbook;
  const draft = new StreamingWorkbookWriter().open(shape);
  const bytes = readAll(draft.content);
  for (const record of records) await draft.add(record);
  await draft.finish();
  return bytes;
}
