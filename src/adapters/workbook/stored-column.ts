/**
 * A lean reader for one column of one sheet of an .xlsx, read from the file on
 * disk: the workbook writer's proof that the amount column it wrote sums to the
 * report's total. It reads what any spreadsheet program reads — the zip's central
 * directory, `xl/workbook.xml` (sheet found by name), its relationships, the shared
 * strings and the sheet's `<sheetData>` — but builds no cell objects, so proving a
 * 15,000-row file costs a few tens of milliseconds instead of a second.
 *
 * It is deliberately strict: anything it does not understand (zip64, encryption,
 * an unknown compression method, an unknown XML entity) is an error, never a guess.
 * Use `readUsageWorkbook` to inspect a whole workbook.
 */
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import { ConnectorError } from '../../domain/errors.js';

const inflateRawAsync = promisify(inflateRaw);

/** What a cell holds, as far as the proof cares. */
export type StoredCellKind = 'empty' | 'number' | 'text' | 'boolean' | 'error' | 'formula';

/** One cell of the column, as stored. */
export interface StoredCell {
  /** 1-based sheet row. */
  row: number;
  kind: StoredCellKind;
  /**
   * The value as text: a number via `String(n)` of the double the file stores
   * (as `readUsageWorkbook` does), text as written, `true`/`false`, `""` when empty,
   * a formula's cached result. Styles are not read: a date-formatted number reads
   * as its number.
   */
  text: string;
}

export interface StoredColumn {
  /** Row 1 of the sheet as text, in column order (a missing cell is `""`). */
  header: string[];
  /**
   * The cell under `column` in every non-empty row after row 1, in row order;
   * `empty` in every row when the header has no such column (compare `header`).
   */
  cells: StoredCell[];
}

/**
 * Reads the column headed `column` of the sheet named `sheetName` in the .xlsx at
 * `path`. A row is non-empty when any of its cells holds a value (as in
 * `readUsageWorkbook`). Throws `ConnectorError` `IO` naming the file when it cannot
 * be read, is not an xlsx this reader understands, or has no such sheet.
 */
export async function readStoredColumn(path: string, sheetName: string, column: string): Promise<StoredColumn> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw ioError(path, `cannot read workbook ${path}`, cause);
  }
  try {
    const zip = new ZipReader(bytes);
    const sheetPath = await findSheetPath(zip, sheetName, path);
    const sheetXml = await zip.text(sheetPath);
    const sharedStrings = new SharedStrings(zip.has(SHARED_STRINGS) ? await zip.text(SHARED_STRINGS) : '');
    return readColumn(sheetXml, sharedStrings, column, sheetName);
  } catch (error) {
    if (error instanceof ConnectorError) throw error;
    throw ioError(path, `cannot read workbook ${path}: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

function ioError(path: string, message: string, cause?: unknown, value?: string): ConnectorError {
  return new ConnectorError('IO', message, {
    where: value === undefined ? { file: path } : { file: path, value },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** A problem with the bytes: becomes an `IO` error naming the file. */
class FormatError extends Error {}

// ---------------------------------------------------------------------------
// zip (PKWARE APPNOTE 4.3.x): central directory, stored and deflated entries only

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;

interface ZipEntry {
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

class ZipReader {
  private readonly entries = new Map<string, ZipEntry>();

  constructor(private readonly bytes: Buffer) {
    const eocd = this.findEndOfCentralDirectory();
    const count = bytes.readUInt16LE(eocd + 10);
    const directoryOffset = bytes.readUInt32LE(eocd + 16);
    if (count === 0xffff || directoryOffset === 0xffffffff) throw new FormatError('zip64 archives are not supported');
    let at = directoryOffset;
    for (let i = 0; i < count; i++) {
      if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== CENTRAL_SIGNATURE) {
        throw new FormatError('corrupt zip central directory');
      }
      const flags = bytes.readUInt16LE(at + 8);
      const method = bytes.readUInt16LE(at + 10);
      const compressedSize = bytes.readUInt32LE(at + 20);
      const size = bytes.readUInt32LE(at + 24);
      const nameLength = bytes.readUInt16LE(at + 28);
      const extraLength = bytes.readUInt16LE(at + 30);
      const commentLength = bytes.readUInt16LE(at + 32);
      const localOffset = bytes.readUInt32LE(at + 42);
      const name = bytes.toString('utf8', at + 46, at + 46 + nameLength).replace(/^\/+/, '');
      if ((flags & 1) !== 0) throw new FormatError(`zip entry ${name} is encrypted`);
      if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) {
        throw new FormatError('zip64 archives are not supported');
      }
      this.entries.set(name, { method, compressedSize, size, localOffset });
      at += 46 + nameLength + extraLength + commentLength;
    }
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  async text(name: string): Promise<string> {
    const entry = this.entries.get(name);
    if (entry === undefined) throw new FormatError(`the archive has no ${name}`);
    const { bytes } = this;
    const at = entry.localOffset;
    if (at + 30 > bytes.length || bytes.readUInt32LE(at) !== LOCAL_SIGNATURE) {
      throw new FormatError(`corrupt zip entry ${name}`);
    }
    const start = at + 30 + bytes.readUInt16LE(at + 26) + bytes.readUInt16LE(at + 28);
    const end = start + entry.compressedSize;
    if (end > bytes.length) throw new FormatError(`zip entry ${name} is truncated`);
    const raw = bytes.subarray(start, end);
    let data: Buffer;
    if (entry.method === 0) data = raw;
    else if (entry.method === 8) data = await inflateRawAsync(raw);
    else throw new FormatError(`zip entry ${name} uses unsupported compression method ${entry.method}`);
    if (data.length !== entry.size) throw new FormatError(`zip entry ${name} is corrupt (size mismatch)`);
    return data.toString('utf8');
  }

  private findEndOfCentralDirectory(): number {
    const { bytes } = this;
    const lowest = Math.max(0, bytes.length - EOCD_SIZE - 0xffff);
    for (let at = bytes.length - EOCD_SIZE; at >= lowest; at--) {
      if (bytes.readUInt32LE(at) === EOCD_SIGNATURE) return at;
    }
    throw new FormatError('not a zip archive');
  }
}

// ---------------------------------------------------------------------------
// workbook parts

const WORKBOOK = 'xl/workbook.xml';
const WORKBOOK_RELS = 'xl/_rels/workbook.xml.rels';
const SHARED_STRINGS = 'xl/sharedStrings.xml';

/** Attributes of one start tag, values unescaped. */
function attributes(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of text.matchAll(/([^\s=/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    found.set(m[1] ?? '', decodeXml(m[2] ?? m[3] ?? ''));
  }
  return found;
}

/** The zip path of the sheet named `sheetName`, via workbook.xml and its relationships. */
async function findSheetPath(zip: ZipReader, sheetName: string, path: string): Promise<string> {
  const sheets: { name: string; rId: string }[] = [];
  for (const m of (await zip.text(WORKBOOK)).matchAll(/<(?:\w+:)?sheet\s([^>]*?)\/?>/g)) {
    const attrs = attributes(m[1] ?? '');
    sheets.push({ name: attrs.get('name') ?? '', rId: attrs.get('r:id') ?? '' });
  }
  const sheet = sheets.find((s) => s.name === sheetName);
  if (sheet === undefined) {
    const present = sheets.map((s) => s.name).join(', ');
    throw ioError(path, `workbook ${path} has no sheet "${sheetName}" (sheets: ${present})`, undefined, sheetName);
  }
  for (const m of (await zip.text(WORKBOOK_RELS)).matchAll(/<(?:\w+:)?Relationship\s([^>]*?)\/?>/g)) {
    const attrs = attributes(m[1] ?? '');
    if (attrs.get('Id') !== sheet.rId) continue;
    const target = attrs.get('Target') ?? '';
    return target.startsWith('/') ? target.slice(1) : `xl/${target}`;
  }
  throw new FormatError(`sheet "${sheetName}" has no relationship ${sheet.rId}`);
}

/**
 * The shared string table, parsed only as far as a cell needs: the header's strings
 * come first, so proving a numeric column decodes a handful of the table's items.
 */
class SharedStrings {
  private readonly items: string[] = [];
  private readonly pattern = /<si(?:\s[^>]*)?>([\s\S]*?)<\/si>|<si\/>/g;
  private done = false;

  constructor(private readonly xml: string) {}

  get(index: number): string | undefined {
    while (!this.done && this.items.length <= index) {
      const m = this.pattern.exec(this.xml);
      if (m === null) this.done = true;
      else this.items.push(textRuns(m[1] ?? ''));
    }
    return this.items[index];
  }
}

/** Concatenated `<t>` text of a string item (`<si>` or `<is>`), without phonetic runs. */
function textRuns(xml: string): string {
  const plain = /^<t(?:\s[^>]*)?>([^<]*)<\/t>$/.exec(xml); // the usual item: one run
  if (plain !== null) return decodeEscapes(decodeXml(plain[1] ?? ''));
  let text = '';
  for (const m of xml.replace(/<rPh\b[\s\S]*?<\/rPh>/g, '').matchAll(/<t(?:\s[^>]*)?>([^<]*)<\/t>/g)) {
    text += decodeXml(m[1] ?? '');
  }
  return decodeEscapes(text);
}

/** OOXML `_xHHHH_` escapes (ST_Xstring) to the characters they stand for. */
function decodeEscapes(text: string): string {
  if (!text.includes('_x')) return text;
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** XML character data to text: line ends normalised, the five entities and character references. */
function decodeXml(text: string): string {
  const normalised = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  if (!normalised.includes('&')) return normalised;
  return normalised.replace(/&([^;&]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw new FormatError(`bad XML entity ${whole}`);
    const named = NAMED_ENTITIES[ref];
    if (named !== undefined) return named;
    const code = /^#x[0-9A-Fa-f]+$/.test(ref) ? parseInt(ref.slice(2), 16) : /^#\d+$/.test(ref) ? parseInt(ref.slice(1), 10) : NaN;
    if (!Number.isInteger(code) || code > 0x10ffff) throw new FormatError(`bad XML entity ${whole}`);
    return String.fromCodePoint(code);
  });
}

// ---------------------------------------------------------------------------
// sheet data

/** A number as an xlsx `<v>` holds it (xsd:double lexical form). */
const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const ROW = /<row\b([^>]*?)\/>|<row\b([^>]*)>([\s\S]*?)<\/row>/g;
const CELL = /<c\b([^>]*?)\/>|<c\b([^>]*)>([\s\S]*?)<\/c>/g; // only through matchAll (its lastIndex stays 0)
const CELL_AT = /<c\b([^>]*?)\/>|<c\b([^>]*)>([\s\S]*?)<\/c>/y; // sticky: set lastIndex before each exec
const HAS_VALUE = /<(?:v|is)\b/;
const VALUE = /<v(?:\s[^>]*)?>([^<]*)<\/v>/;
const INLINE = /<is>([\s\S]*?)<\/is>/;

function rowNumberOf(attrs: string, previous: number): number {
  const m = /(?:^|\s)r\s*=\s*["'](\d+)["']/.exec(attrs);
  if (m === null) return previous + 1;
  const r = Number(m[1]);
  if (r <= previous) throw new FormatError(`row ${r} is out of order`);
  return r;
}

/** 1-based column of a cell, from its `r` reference, or the one after the previous cell. */
function columnOf(attrs: string, previous: number): number {
  const m = /(?:^|\s)r\s*=\s*["']([A-Za-z]+)\d*["']/.exec(attrs);
  if (m === null) return previous + 1;
  let col = 0;
  for (const ch of (m[1] ?? '').toUpperCase()) col = col * 26 + (ch.charCodeAt(0) - 64);
  return col;
}

function cellOf(row: number, attrs: string, body: string, sharedStrings: SharedStrings): StoredCell {
  if (/<f\b/.test(body)) return { row, kind: 'formula', text: decodeXml(VALUE.exec(body)?.[1] ?? '') };
  const type = /(?:^|\s)t\s*=\s*["']([^"']*)["']/.exec(attrs)?.[1] ?? 'n';
  if (type === 'inlineStr') {
    const inline = INLINE.exec(body);
    return inline === null ? { row, kind: 'empty', text: '' } : { row, kind: 'text', text: textRuns(inline[1] ?? '') };
  }
  const value = VALUE.exec(body);
  if (value === null) return { row, kind: 'empty', text: '' };
  const raw = value[1] ?? '';
  switch (type) {
    case 'n': {
      const trimmed = raw.trim();
      if (!NUMBER_TEXT.test(trimmed)) throw new FormatError(`cell in row ${row} has a bad number ${JSON.stringify(raw)}`);
      const n = Number(trimmed);
      return { row, kind: 'number', text: String(n === 0 ? 0 : n) };
    }
    case 's': {
      const text = sharedStrings.get(Number(raw.trim()));
      if (text === undefined) throw new FormatError(`cell in row ${row} points at a missing shared string ${raw}`);
      return { row, kind: 'text', text };
    }
    case 'str':
      return { row, kind: 'text', text: decodeXml(raw) };
    case 'b':
      return { row, kind: 'boolean', text: raw.trim() === '1' ? 'true' : 'false' };
    case 'e':
      return { row, kind: 'error', text: decodeXml(raw) };
    default:
      return { row, kind: 'text', text: decodeXml(raw) }; // 'd' (ISO date text) and anything newer
  }
}

/** `A`, `B`, … `Z`, `AA`, … for a 1-based column; `""` for 0. */
function columnLetters(col: number): string {
  let letters = '';
  for (let n = col; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

/**
 * The cell of `row` in column `target` (`letters`): found directly by its reference
 * as writers put it (`<c r="E12"`), else by walking the row's cells in order.
 */
function targetCell(row: number, body: string, target: number, letters: string, sharedStrings: SharedStrings): StoredCell {
  if (target > 0) {
    const at = body.indexOf(`<c r="${letters}${row}"`);
    if (at >= 0) {
      CELL_AT.lastIndex = at;
      const m = CELL_AT.exec(body);
      if (m !== null) return cellOf(row, m[1] ?? m[2] ?? '', m[3] ?? '', sharedStrings);
    }
    for (const cell of cellsOf(body)) {
      if (cell.col === target) return cellOf(row, cell.attrs, cell.body, sharedStrings);
    }
  }
  return { row, kind: 'empty', text: '' };
}

/** Every cell of a row, by 1-based column (only cells the XML names). */
function* cellsOf(body: string): Generator<{ col: number; attrs: string; body: string }> {
  let col = 0;
  for (const m of body.matchAll(CELL)) {
    const attrs = m[1] ?? m[2] ?? '';
    col = columnOf(attrs, col);
    yield { col, attrs, body: m[3] ?? '' };
  }
}

function readColumn(xml: string, sharedStrings: SharedStrings, column: string, sheetName: string): StoredColumn {
  const open = xml.search(/<sheetData\b/);
  if (open < 0) throw new FormatError(`sheet "${sheetName}" has no sheetData`);
  const close = xml.indexOf('</sheetData>', open);
  const data = xml.slice(open, close < 0 ? undefined : close);

  let header: string[] = [];
  let target = 0; // 1-based column of `column`, known once row 1 is read
  let targetLetters = '';
  const cells: StoredCell[] = [];
  let previousRow = 0;
  for (const m of data.matchAll(ROW)) {
    const row = rowNumberOf(m[1] ?? m[2] ?? '', previousRow);
    previousRow = row;
    const body = m[3] ?? '';
    if (row === 1) {
      header = [];
      for (const cell of cellsOf(body)) {
        while (header.length < cell.col - 1) header.push('');
        header[cell.col - 1] = cellOf(row, cell.attrs, cell.body, sharedStrings).text;
      }
      target = header.indexOf(column) + 1;
      targetLetters = columnLetters(target);
      continue;
    }
    if (!HAS_VALUE.test(body)) continue;
    cells.push(targetCell(row, body, target, targetLetters, sharedStrings));
  }
  return { header, cells };
}
