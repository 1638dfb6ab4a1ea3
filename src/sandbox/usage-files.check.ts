/**
 * How the sandbox platform judges an uploaded usage workbook (CONNECT.md "The
 * workbook"), read with an independent reader (SheetJS, not the connector's
 * exceljs-based reader, so a fault of our writer cannot hide behind our own
 * reader). The `usage_records` and `categories` sheets are found by name, and
 * columns by their header name, never by position: the python SDK writes 16
 * columns, the PHP SDK 17 (with `tier`), a product's template may order them
 * otherwise, and custom columns (`v.*`) may follow. A file is invalid when a
 * column its schema needs is missing, a record is malformed (amount not a
 * number, quantity empty, times not `YYYY-MM-DD hh:mm:ss` or outside the file's
 * period, a record id repeated, ...), a cell holds a formula, or there is no
 * category. The verdict is the file's `error_detail`, at most 200 characters
 * (the API's limit), naming the sheet, the record and the column.
 */
import * as XLSX from 'xlsx';

/** The records sheet the sandbox reads (`records` is *unverified* on the real platform, so not accepted here). */
export const USAGE_RECORDS_SHEET = 'usage_records';
/** The categories sheet. */
export const CATEGORIES_SHEET = 'categories';

/** Every usage record column the platform knows (any order); custom columns start with `v.`. */
export const USAGE_RECORD_COLUMNS = [
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
] as const;

/** The columns every usage file needs, whatever its schema. */
const BASE_COLUMNS = ['record_id', 'item_search_criteria', 'item_search_value', 'quantity', 'start_time_utc', 'end_time_utc', 'asset_search_criteria', 'asset_search_value'];

/** The columns a file of each schema (lower case, as the file's `schema`) must have. */
export const REQUIRED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  qt: BASE_COLUMNS,
  pr: [...BASE_COLUMNS, 'amount'],
  cr: [...BASE_COLUMNS, 'amount'],
  tr: [...BASE_COLUMNS, 'tier'],
};

/** The columns of the categories sheet the platform needs. */
export const REQUIRED_CATEGORY_COLUMNS = ['category_id', 'category_name'] as const;

/** The longest `error_detail` the API gives (`usage.UsageFileDetail`). */
export const ERROR_DETAIL_MAX = 200;

/** A usage workbook as text, as the sandbox read it: the records header, the records and the categories. */
export interface WorkbookContent {
  /** The header row of `usage_records`, in sheet order. */
  header: string[];
  /** One object per non-empty data row, keyed by header name; every header key present ('' when empty). */
  records: Array<Record<string, string>>;
  /** The rows of `categories`, keyed by that sheet's header. */
  categories: Array<Record<string, string>>;
}

/** What the file is judged against: its schema (`pr`) and period (`YYYY-MM-DD` days). */
export interface WorkbookRules {
  schema: string;
  period: { from: string; to: string };
}

/** What an upload was found to be: its content when readable, and why it is invalid (undefined: valid). */
export interface WorkbookVerdict {
  content?: WorkbookContent;
  errorDetail?: string;
}

/** A cell holding a formula: its sheet, sheet row (1-based), column name and formula. */
export interface FormulaCell {
  sheet: string;
  row: number;
  column: string;
  formula: string;
}

/** A workbook as read: its content, the sheet row of each record, and its formula cells. */
export interface ReadWorkbook {
  content: WorkbookContent;
  /** The sheet row (1-based) of each record, in `content.records` order. */
  recordRows: number[];
  /** The header row of `categories`. */
  categoriesHeader: string[];
  formulas: FormulaCell[];
}

interface SheetText {
  header: string[];
  rows: Array<{ row: number; values: Record<string, string> }>;
  formulas: FormulaCell[];
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];
/** Days from 1899-12-30 (Excel's serial 0) to 1970-01-01. */
const EXCEL_EPOCH_DAYS = 25569;

/** `YYYY-MM-DD hh:mm:ss` of an epoch time, in UTC. */
function utcText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Whether a number format shows a date or time (`yyyy-mm-dd`, `h:mm`), ignoring quoted text and `[...]` codes. */
function isDateFormat(format: string | undefined): boolean {
  if (format === undefined || format === 'General') return false;
  return /[ymdhs]/i.test(format.replace(/"[^"]*"|\[[^\]]*\]|\\./g, ''));
}

/** A cell's text: strings as they are, numbers as `String(n)`, date cells as `YYYY-MM-DD hh:mm:ss`, booleans `true`/`false`. */
function cellText(cell: XLSX.CellObject | undefined, date1904: boolean): string {
  if (cell === undefined || cell.v === undefined || cell.v === null) return '';
  switch (cell.t) {
    case 'n': {
      const value = Number(cell.v);
      if (!isDateFormat(typeof cell.z === 'string' ? cell.z : undefined)) return String(value);
      return utcText(Math.round((value + (date1904 ? 1462 : 0) - EXCEL_EPOCH_DAYS) * 86_400) * 1000);
    }
    case 'b':
      return cell.v ? 'true' : 'false';
    case 'd':
      return cell.v instanceof Date ? utcText(cell.v.getTime()) : String(cell.v);
    case 'e':
      return cell.w ?? '#ERROR';
    default:
      return String(cell.v);
  }
}

/** A sheet as text: row 1 is the header; rows with no value are left out; formula cells are listed. */
function sheetText(sheet: XLSX.WorkSheet, name: string, date1904: boolean): SheetText {
  const range = XLSX.utils.decode_range(sheet['!ref'] ?? 'A1:A1');
  // Dense sheets (read with `dense: true`): rows of cells, `!data` in newer SheetJS, the sheet itself as an array in 0.18.
  const dense = ((sheet as { '!data'?: unknown })['!data'] ?? (Array.isArray(sheet) ? sheet : undefined)) as Array<Array<XLSX.CellObject | undefined> | undefined> | undefined;
  const at = (r: number, c: number): XLSX.CellObject | undefined =>
    dense ? dense[r]?.[c] : (sheet[XLSX.utils.encode_cell({ r, c })] as XLSX.CellObject | undefined);
  const header: string[] = [];
  for (let c = 0; c <= range.e.c; c++) header.push(cellText(at(0, c), date1904).trim());
  while (header.length > 0 && header[header.length - 1] === '') header.pop();
  const rows: SheetText['rows'] = [];
  const formulas: FormulaCell[] = [];
  for (let r = 0; r <= range.e.r; r++) {
    for (let c = 0; c <= range.e.c; c++) {
      const formula = at(r, c)?.f;
      if (formula !== undefined) formulas.push({ sheet: name, row: r + 1, column: header[c] || XLSX.utils.encode_col(c), formula });
    }
    if (r === 0) continue;
    const values: Record<string, string> = {};
    let filled = false;
    header.forEach((key, c) => {
      if (key === '') return;
      const text = cellText(at(r, c), date1904);
      if (text !== '') filled = true;
      if (!(key in values)) values[key] = text;
    });
    if (filled) rows.push({ row: r + 1, values });
  }
  return { header, rows, formulas };
}

/** Whether `bytes` start like a zip archive (an .xlsx is one). */
function looksLikeZip(bytes: Uint8Array): boolean {
  return ZIP_SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * Reads uploaded bytes with SheetJS: the `usage_records` and `categories`
 * sheets by name. Failures are values: `{ error }` names `fileName` (not an
 * .xlsx, unreadable, or a sheet missing with the sheets it has).
 */
export function readWorkbook(bytes: Uint8Array, fileName: string): { ok: true; value: ReadWorkbook } | { ok: false; error: string } {
  if (!looksLikeZip(bytes)) return { ok: false, error: `cannot read workbook ${fileName}: it is not an .xlsx file (no zip signature)` };
  let book: XLSX.WorkBook;
  try {
    // Dense: a million-record sheet as rows of cells, not a million × 18 keyed cells (which SheetJS builds far more slowly).
    book = XLSX.read(Buffer.from(bytes), { type: 'buffer', dense: true, cellNF: true, cellFormula: true, cellDates: false });
  } catch (error) {
    return { ok: false, error: `cannot read workbook ${fileName}: ${error instanceof Error ? error.message : String(error)}` };
  }
  const date1904 = Boolean(book.Workbook?.WBProps?.date1904);
  const sheets: SheetText[] = [];
  for (const name of [USAGE_RECORDS_SHEET, CATEGORIES_SHEET]) {
    const sheet = book.Sheets[name];
    if (!book.SheetNames.includes(name) || sheet === undefined) {
      return { ok: false, error: `workbook ${fileName} has no sheet "${name}" (sheets: ${book.SheetNames.join(', ')})` };
    }
    sheets.push(sheetText(sheet, name, date1904));
  }
  const [records, categories] = sheets as [SheetText, SheetText];
  return {
    ok: true,
    value: {
      content: { header: records.header, records: records.rows.map((r) => r.values), categories: categories.rows.map((r) => r.values) },
      recordRows: records.rows.map((r) => r.row),
      categoriesHeader: categories.header,
      formulas: [...records.formulas, ...categories.formulas],
    },
  };
}

/** Problems of the records header: duplicate names, missing required columns, unknown columns. */
function headerProblems(header: readonly string[], schema: string): { problems: string[]; fatal: boolean } {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === '') return;
    const first = seen.get(name);
    if (first !== undefined) problems.push(`${USAGE_RECORDS_SHEET}: column "${name}" appears twice (columns ${first + 1} and ${i + 1})`);
    else seen.set(name, i);
  });
  const required = REQUIRED_COLUMNS[schema] ?? REQUIRED_COLUMNS.pr ?? [];
  const order = (name: string): number => (USAGE_RECORD_COLUMNS as readonly string[]).indexOf(name);
  const missing = required.filter((name) => !seen.has(name)).sort((a, b) => order(a) - order(b));
  if (missing.length > 0) problems.unshift(`${USAGE_RECORDS_SHEET}: the header lacks ${missing.join(', ')} (required for schema ${schema})`);
  const fatal = problems.length > 0;
  const known = new Set<string>(USAGE_RECORD_COLUMNS);
  header.forEach((name, i) => {
    if (name !== '' && !known.has(name) && !name.startsWith('v.')) problems.push(`${USAGE_RECORDS_SHEET}: column ${i + 1} "${name}" is not a usage record column (custom columns start with v.)`);
  });
  return { problems, fatal };
}

/** Why a time cell is wrong for the period (undefined: it is fine). */
function timeProblem(value: string, column: string, rules: WorkbookRules): string | undefined {
  const match = TIME.exec(value);
  if (!match) return `${column} "${value}" is not YYYY-MM-DD hh:mm:ss`;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (utcText(ms) !== value) return `${column} "${value}" is not a real time`;
  const from = `${rules.period.from} 00:00:00`;
  const to = `${rules.period.to} 23:59:59`;
  if (value < from || value > to) return `${column} ${value} is outside the file's period ${from} .. ${to}`;
  return undefined;
}

/** The problems of one record (its columns by name). */
function recordProblems(record: Record<string, string>, rules: WorkbookRules, categories: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const value = (column: string): string => record[column] ?? '';
  const requiresAmount = rules.schema === 'pr' || rules.schema === 'cr';
  if ((requiresAmount || value('amount') !== '') && 'amount' in record && !NUMBER.test(value('amount'))) problems.push(`amount "${value('amount')}" is not a number`);
  if (value('quantity') === '') problems.push('quantity is empty');
  else if (!NUMBER.test(value('quantity'))) problems.push(`quantity "${value('quantity')}" is not a number`);
  for (const column of ['start_time_utc', 'end_time_utc']) {
    const problem = value(column) === '' ? `${column} is empty` : timeProblem(value(column), column, rules);
    if (problem !== undefined) problems.push(problem);
  }
  if (TIME.test(value('start_time_utc')) && TIME.test(value('end_time_utc')) && value('start_time_utc') > value('end_time_utc')) {
    problems.push(`start_time_utc ${value('start_time_utc')} is after end_time_utc ${value('end_time_utc')}`);
  }
  for (const column of ['item_search_criteria', 'item_search_value', 'asset_search_criteria', 'asset_search_value']) {
    if (value(column) === '') problems.push(`${column} is empty`);
  }
  if (value('category_id') !== '' && !categories.has(value('category_id'))) problems.push(`category_id "${value('category_id')}" is not in the ${CATEGORIES_SHEET} sheet`);
  if (rules.schema === 'tr' && value('tier') === '') problems.push('tier is empty');
  return problems;
}

/** The problems of the categories sheet: its header, its rows. */
function categoryProblems(content: WorkbookContent, header: readonly string[]): string[] {
  const missing = REQUIRED_CATEGORY_COLUMNS.filter((name) => !header.includes(name));
  if (missing.length > 0) return [`${CATEGORIES_SHEET}: the header lacks ${missing.join(', ')}`];
  if (content.categories.length === 0) return [`${CATEGORIES_SHEET}: the sheet has no category rows`];
  return content.categories.flatMap((c, i) => ((c.category_id ?? '') === '' ? [`${CATEGORIES_SHEET}: row ${i + 2} has no category_id`] : []));
}

/** How a record is named in a problem: `usage_records: record 2 (r-2)`. */
function recordName(index: number, record: Record<string, string> | undefined): string {
  const id = record?.record_id ?? '';
  return `${USAGE_RECORDS_SHEET}: record ${index + 1} (${id === '' ? 'no record_id' : id})`;
}

/**
 * Why a read workbook is not a valid usage file for `rules`, in order: header,
 * formulas, records (each naming sheet, record and column), categories. Empty:
 * valid. Records are not judged when a required column is missing or repeated. Pure.
 */
export function workbookProblems(read: ReadWorkbook, rules: WorkbookRules): string[] {
  const { content } = read;
  const header = headerProblems(content.header, rules.schema);
  const problems = [...header.problems];
  for (const f of read.formulas) {
    const index = f.sheet === USAGE_RECORDS_SHEET ? read.recordRows.indexOf(f.row) : -1;
    const where = index >= 0 ? recordName(index, content.records[index]) : `${f.sheet}: row ${f.row}`;
    problems.push(`${where}: ${f.column} is a formula (=${f.formula}); the platform takes values only`);
  }
  if (!header.fatal) {
    const categories = new Set(content.categories.map((c) => c.category_id ?? '').filter((id) => id !== ''));
    const firstSeen = new Map<string, number>();
    content.records.forEach((record, i) => {
      const which = recordName(i, record);
      const id = record.record_id ?? '';
      const own = id === '' ? ['record_id is empty'] : [];
      const earlier = firstSeen.get(id);
      if (id !== '' && earlier !== undefined) own.push(`record_id repeats record ${earlier + 1}`);
      else if (id !== '') firstSeen.set(id, i);
      own.push(...recordProblems(record, rules, categories));
      problems.push(...own.map((p) => `${which}: ${p}`));
    });
  }
  problems.push(...categoryProblems(content, read.categoriesHeader));
  return problems;
}

/**
 * `problems` as one `error_detail` of at most `ERROR_DETAIL_MAX` characters:
 * as many whole problems as fit, joined by `; `, then `(and N more)`; a first
 * problem too long on its own is cut with `…`. Undefined when there is none.
 */
export function errorDetail(problems: readonly string[], max = ERROR_DETAIL_MAX): string | undefined {
  if (problems.length === 0) return undefined;
  const more = (n: number): string => (n > 0 ? ` (and ${n} more)` : '');
  let text = '';
  let used = 0;
  for (const p of problems) {
    const next = used === 0 ? p : `${text}; ${p}`;
    if (next.length + more(problems.length - used - 1).length > max) break;
    text = next;
    used += 1;
  }
  if (used === 0) {
    const tail = more(problems.length - 1);
    return `${(problems[0] ?? '').slice(0, max - tail.length - 1)}…${tail}`;
  }
  return `${text}${more(problems.length - used)}`;
}

/**
 * Reads uploaded bytes with SheetJS and judges them against `rules`. A file
 * that is not an .xlsx, or lacks a sheet, is invalid with the reason (naming
 * `fileName`) and has no content. Synchronous and pure apart from parsing.
 */
export function checkWorkbook(bytes: Uint8Array, fileName: string, rules: WorkbookRules): WorkbookVerdict {
  const read = readWorkbook(bytes, fileName);
  if (!read.ok) return { errorDetail: errorDetail([read.error]) ?? read.error };
  const detail = errorDetail(workbookProblems(read.value, rules));
  const content = read.value.content;
  return detail === undefined ? { content } : { content, errorDetail: detail };
}
