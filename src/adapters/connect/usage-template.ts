/**
 * A product's own usage template (CONNECT.md "The workbook": prefer it when the
 * product has one): the header names, in order, of its `usage_records` sheet.
 * The sheet is found by name, never by position.
 */
import { ConnectorError } from '../../domain/errors.js';

/** The records sheet of a template. */
const TEMPLATE_RECORDS_SHEET = 'usage_records';
/** A header name: what the platform's columns look like (`record_id`, `v.marketplace_service`). */
const HEADER_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/**
 * The first row of the template's `usage_records` sheet: its non-empty cells up
 * to the last one, trimmed. Throws PLATFORM_RESPONSE naming `what` when the
 * bytes are not an .xlsx, the sheet is missing, the header is empty, has a gap,
 * a duplicate, or a cell that is not a plain column name (a formula, a number).
 */
export async function templateHeader(bytes: Uint8Array, what: string): Promise<string[]> {
  // Loaded on first use: only a product with a template needs a workbook reader (about 0.5 s of start-up otherwise).
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  } catch (cause) {
    throw new ConnectorError('PLATFORM_RESPONSE', `${what} is not an .xlsx workbook`, { cause });
  }
  const sheet = workbook.worksheets.find((ws) => ws.name.toLowerCase() === TEMPLATE_RECORDS_SHEET);
  if (sheet === undefined) {
    throw new ConnectorError('PLATFORM_RESPONSE', `${what} has no ${TEMPLATE_RECORDS_SHEET} sheet (sheets: ${workbook.worksheets.map((ws) => ws.name).join(', ') || 'none'})`);
  }
  const cells: string[] = [];
  sheet.getRow(1).eachCell({ includeEmpty: true }, (cell, column) => {
    cells[column - 1] = typeof cell.value === 'string' ? cell.value.trim() : cell.value === null || cell.value === undefined ? '' : `\u0000${cell.type}`;
  });
  while (cells.length > 0 && cells[cells.length - 1] === '') cells.pop();
  if (cells.length === 0) throw new ConnectorError('PLATFORM_RESPONSE', `${what}: the ${TEMPLATE_RECORDS_SHEET} sheet has no header row`);
  const seen = new Set<string>();
  cells.forEach((name = '', i) => {
    const where = `${what}: ${TEMPLATE_RECORDS_SHEET} header column ${i + 1}`;
    if (name === '') throw new ConnectorError('PLATFORM_RESPONSE', `${where} is empty`);
    if (!HEADER_NAME.test(name)) throw new ConnectorError('PLATFORM_RESPONSE', `${where} is not a column name (${name.startsWith('\u0000') ? 'not a text cell' : JSON.stringify(name.slice(0, 40))})`);
    if (seen.has(name)) throw new ConnectorError('PLATFORM_RESPONSE', `${where} repeats ${name}`);
    seen.add(name);
  });
  return cells;
}
