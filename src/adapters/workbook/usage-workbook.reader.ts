/**
 * Reads a usage workbook back (CONNECT.md "The workbook"): the writer uses it to
 * prove what it wrote, tests and the CLI use it to inspect a file. Sheets are
 * found by name, never by position; every value comes back as a string.
 */
import ExcelJS from 'exceljs';
import { ConnectorError } from '../../domain/errors.js';

/** Name of the sheet the connector writes records to unless configured otherwise. */
export const DEFAULT_RECORDS_SHEET = 'usage_records';
/** Name of the categories sheet (fixed by the platform). */
export const CATEGORIES_SHEET = 'categories';

/** A usage workbook as text: header of the records sheet, its rows and the categories rows. */
export interface UsageWorkbookContent {
  /** Header row of the records sheet, in sheet order. */
  header: string[];
  /** One object per non-empty data row, keyed by header; every header key present. */
  records: Record<string, string>[];
  /** Rows of the `categories` sheet, keyed by that sheet's header. */
  categories: Record<string, string>[];
}

/**
 * Reads the .xlsx at `path`. Numbers come back as `String(n)` (the shortest text
 * that round-trips the stored double), booleans as `true`/`false`, empty cells as
 * `""`. Throws `ConnectorError` `IO` naming the file when it cannot be read or a
 * sheet (`recordsSheetName`, default `usage_records`, or `categories`) is missing.
 */
export async function readUsageWorkbook(
  path: string,
  recordsSheetName: string = DEFAULT_RECORDS_SHEET,
): Promise<UsageWorkbookContent> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.readFile(path);
  } catch (cause) {
    throw new ConnectorError('IO', `cannot read workbook ${path}`, { where: { file: path }, cause });
  }
  const records = readSheet(workbook, path, recordsSheetName);
  const categories = readSheet(workbook, path, CATEGORIES_SHEET);
  return { header: records.header, records: records.rows, categories: categories.rows };
}

function readSheet(
  workbook: ExcelJS.Workbook,
  path: string,
  name: string,
): { header: string[]; rows: Record<string, string>[] } {
  const sheet = workbook.worksheets.find((ws) => ws.name === name);
  if (sheet === undefined) {
    const present = workbook.worksheets.map((ws) => ws.name).join(', ');
    throw new ConnectorError('IO', `workbook ${path} has no sheet "${name}" (sheets: ${present})`, {
      where: { file: path, value: name },
    });
  }
  const headerRow = sheet.getRow(1);
  const header: string[] = [];
  for (let col = 1; col <= headerRow.cellCount; col++) header.push(cellText(headerRow.getCell(col)));

  const rows: Record<string, string>[] = [];
  for (let r = 2; r <= sheet.rowCount; r++) {
    const row = sheet.getRow(r);
    if (!row.hasValues) continue;
    const values: Record<string, string> = {};
    header.forEach((key, i) => {
      values[key] = cellText(row.getCell(i + 1));
    });
    rows.push(values);
  }
  return { header, rows };
}

/** Text of one cell; numbers via `String(n)` so no digits are invented or dropped. */
function cellText(cell: ExcelJS.Cell): string {
  const value = cell.value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  return cell.text; // rich text, hyperlink, formula result, error
}
