/**
 * A lean reader for one column of one sheet of an .xlsx, read from the file on
 * disk: the workbook writer's proof that the amount column it wrote sums to the
 * report's total. It reads what any spreadsheet program reads — `xl/workbook.xml`
 * (sheet found by name), its relationships, the shared strings and the sheet's
 * `<sheetData>`, unzipped by JSZip and read in one pass of saxes (a strict, streaming
 * XML parser) — but builds no cell objects, so proving a 15,000-row file costs about
 * a quarter of a second instead of a second or more.
 *
 * It is deliberately strict: what the libraries refuse (a corrupt or encrypted zip,
 * an unknown compression method, XML that is not well formed or uses an undefined
 * entity) and what it does not understand (a bad number, rows out of order) is an
 * error, never a guess. Use `readUsageWorkbook` to inspect a whole workbook.
 */
import { readFile } from 'node:fs/promises';
import JSZip from 'jszip';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { ConnectorError } from '../../domain/errors.js';

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
    const zip = await JSZip.loadAsync(bytes);
    const sheetPath = await findSheetPath(zip, sheetName, path);
    const sheetXml = await text(zip, sheetPath);
    const sharedStrings = new SharedStrings(zip.file(SHARED_STRINGS) === null ? '' : await text(zip, SHARED_STRINGS));
    return readColumn(sheetPath, sheetXml, sharedStrings, column, sheetName);
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
// parts and their XML

const WORKBOOK = 'xl/workbook.xml';
const WORKBOOK_RELS = 'xl/_rels/workbook.xml.rels';
const SHARED_STRINGS = 'xl/sharedStrings.xml';

/** The text of the zip entry `name` (JSZip checks its uncompressed size). */
async function text(zip: JSZip, name: string): Promise<string> {
  const entry = zip.file(name);
  if (entry === null) throw new FormatError(`the archive has no ${name}`);
  return entry.async('string');
}

/** Plain names (no namespace processing), no line/column tracking. */
type XmlOptions = { xmlns: false; position: false };

/**
 * A strict, non-namespace-aware saxes parser for the part `part` whose text is
 * `xml`: a well-formedness error names the part and quotes the text before it.
 */
function xmlParser(part: string, xml: string): SaxesParser<XmlOptions> {
  const parser = new SaxesParser<XmlOptions>({ xmlns: false, position: false });
  parser.on('error', (error) => {
    const at = parser.position;
    const before = xml.slice(Math.max(0, at - 40), at);
    throw new FormatError(`${part}: ${error.message} (at character ${at}, after ${JSON.stringify(before)})`);
  });
  // saxes keeps its handlers as properties added by `on`: giving every parser the
  // same ones in the same order keeps its hot code on one object shape.
  const ignore = (): void => {};
  parser.on('opentag', ignore);
  parser.on('closetag', ignore);
  parser.on('text', ignore);
  parser.off('text'); // no text handler: saxes does not even slice the text out
  parser.on('cdata', ignore);
  return parser;
}

/** An element's name without its namespace prefix (`x:row` → `row`). */
function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

/** Calls `visit` with the local name and attributes of every element of the part. */
async function eachElement(zip: JSZip, part: string, visit: (name: string, tag: SaxesTagPlain) => void): Promise<void> {
  const xml = await text(zip, part);
  const parser = xmlParser(part, xml);
  parser.on('opentag', (tag) => visit(localName(tag.name), tag));
  parser.write(xml).close();
}

/** The zip path of the sheet named `sheetName`, via workbook.xml and its relationships. */
async function findSheetPath(zip: JSZip, sheetName: string, path: string): Promise<string> {
  const sheets: { name: string; rId: string }[] = [];
  await eachElement(zip, WORKBOOK, (name, tag) => {
    if (name === 'sheet') sheets.push({ name: tag.attributes.name ?? '', rId: relationshipId(tag) });
  });
  const sheet = sheets.find((s) => s.name === sheetName);
  if (sheet === undefined) {
    const present = sheets.map((s) => s.name).join(', ');
    throw ioError(path, `workbook ${path} has no sheet "${sheetName}" (sheets: ${present})`, undefined, sheetName);
  }
  let target: string | undefined;
  await eachElement(zip, WORKBOOK_RELS, (name, tag) => {
    if (name === 'Relationship' && tag.attributes.Id === sheet.rId) target ??= tag.attributes.Target ?? '';
  });
  if (target === undefined) throw new FormatError(`sheet "${sheetName}" has no relationship ${sheet.rId}`);
  return target.startsWith('/') ? target.slice(1) : `xl/${target}`;
}

/** A `<sheet>`'s relationship id: its `r:id` (whatever the relationships prefix). */
function relationshipId(tag: SaxesTagPlain): string {
  for (const [name, value] of Object.entries(tag.attributes)) {
    if (name.endsWith(':id')) return value;
  }
  return '';
}

/**
 * Collects the text of a string item (`<si>` or `<is>`): its `<t>` runs, rich or
 * plain, concatenated, without phonetic runs (`<rPh>`).
 */
class StringItem {
  private text = '';
  private phonetic = 0; // depth inside <rPh>
  private inRun = false;

  open(name: string): void {
    if (name === 't') this.inRun = this.phonetic === 0;
    else if (name === 'rPh') this.phonetic++;
  }

  close(name: string): void {
    if (name === 't') this.inRun = false;
    else if (name === 'rPh') this.phonetic--;
  }

  add(text: string): void {
    if (this.inRun) this.text += text;
  }

  /** The item's text, OOXML `_xHHHH_` escapes decoded. */
  value(): string {
    return decodeEscapes(this.text);
  }
}

/** OOXML `_xHHHH_` escapes (ST_Xstring) to the characters they stand for. */
function decodeEscapes(text: string): string {
  if (!text.includes('_x')) return text;
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * The shared string table, parsed only as far as a cell needs (saxes is fed the
 * part a slice at a time): the header's strings come first, so proving a numeric
 * column parses a few slices of the table.
 */
class SharedStrings {
  private static readonly SLICE = 32 * 1024;
  private readonly items: string[] = [];
  private readonly parser: SaxesParser<XmlOptions>;
  private item: StringItem | undefined;
  private fed = 0;

  constructor(private readonly xml: string) {
    this.parser = xmlParser(SHARED_STRINGS, xml);
    this.parser.on('opentag', (tag) => {
      const name = localName(tag.name);
      if (name === 'si') this.item = new StringItem();
      else this.item?.open(name);
    });
    this.parser.on('closetag', (tag) => {
      const name = localName(tag.name);
      if (name === 'si' && this.item !== undefined) {
        this.items.push(this.item.value());
        this.item = undefined;
      } else this.item?.close(name);
    });
    this.parser.on('text', (text) => this.item?.add(text));
    this.parser.on('cdata', (text) => this.item?.add(text));
  }

  get(index: number): string | undefined {
    const { xml } = this;
    while (this.items.length <= index && this.fed < xml.length) {
      const end = Math.min(xml.length, this.fed + SharedStrings.SLICE);
      this.parser.write(xml.slice(this.fed, end));
      this.fed = end;
      if (end === xml.length) this.parser.close();
    }
    return this.items[index];
  }
}

// ---------------------------------------------------------------------------
// sheet data

/** A number as an xlsx `<v>` holds it (xsd:double lexical form). */
const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const ROW_NUMBER = /^\d+$/;

/** One `<c>` as read: what `cellOf` needs. */
interface OpenCell {
  col: number;
  type: string;
  formula: boolean;
  /** Text of the first `<v>`, once seen. */
  value: string | undefined;
  /** The `<is>` inline string, once seen. */
  inline: StringItem | undefined;
}

/** 1-based row of a `<row>`, from its `r`, or the one after the previous row. */
function rowNumberOf(r: string | undefined, previous: number): number {
  if (r === undefined || !ROW_NUMBER.test(r)) return previous + 1;
  const row = Number(r);
  if (row <= previous) throw new FormatError(`row ${row} is out of order`);
  return row;
}

/** 1-based column of a cell, from the letters of its `r` reference (`AB12`), or the one after the previous cell. */
function columnOf(r: string | undefined, previous: number): number {
  let col = 0;
  for (let i = 0; r !== undefined && i < r.length; i++) {
    const code = r.charCodeAt(i) | 0x20; // lower case
    if (code < 0x61 || code > 0x7a) break;
    col = col * 26 + (code - 0x60);
  }
  return col === 0 ? previous + 1 : col;
}

function cellOf(row: number, cell: OpenCell, sharedStrings: SharedStrings): StoredCell {
  if (cell.formula) return { row, kind: 'formula', text: cell.value ?? '' };
  if (cell.type === 'inlineStr') {
    return cell.inline === undefined ? { row, kind: 'empty', text: '' } : { row, kind: 'text', text: cell.inline.value() };
  }
  const raw = cell.value;
  if (raw === undefined) return { row, kind: 'empty', text: '' };
  switch (cell.type) {
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
    case 'b':
      return { row, kind: 'boolean', text: raw.trim() === '1' ? 'true' : 'false' };
    case 'e':
      return { row, kind: 'error', text: raw };
    default:
      return { row, kind: 'text', text: raw }; // 'str', 'd' (ISO date text) and anything newer
  }
}

/**
 * One pass of saxes over the sheet: row 1 becomes the header (and tells which
 * column is `column`); in every later row, only the cell in that column is read.
 */
function readColumn(part: string, xml: string, sharedStrings: SharedStrings, column: string, sheetName: string): StoredColumn {
  let header: string[] = [];
  const cells: StoredCell[] = [];
  let target = 0; // 1-based column of `column`, known once row 1 is read

  let sawSheetData = false;
  let inSheetData = false;
  let row = 0; // the row being read, 0 outside <row>
  let previousRow = 0;
  let rowHasValue = false;
  let rowCell: StoredCell | undefined; // the cell under `column` in this row
  let col = 0; // the last cell's column in this row
  let cell: OpenCell | undefined; // the cell being read, when it is one we want
  // Text is only wanted inside the first <v> or the <is> of a wanted cell: saxes
  // is given a text handler there only, so it skips every other cell's text.
  let capture: 'v' | 'is' | undefined;
  const onText = (text: string): void => {
    if (cell === undefined) return;
    if (capture === 'v') cell.value += text;
    else cell.inline?.add(text);
  };

  // Hot path: names are compared as the document writes them, its root's prefix
  // (if any, `x:` of `<x:worksheet>`) taken off, instead of each name's own prefix.
  let prefix = '';
  const nameOf = (tag: SaxesTagPlain): string =>
    prefix === '' || !tag.name.startsWith(prefix) ? tag.name : tag.name.slice(prefix.length);

  const parser = xmlParser(part, xml);
  const onRoot = (tag: SaxesTagPlain): void => {
    prefix = tag.name.slice(0, tag.name.indexOf(':') + 1);
    parser.on('opentag', onOpen);
  };
  const onOpen = (tag: SaxesTagPlain): void => {
    const name = nameOf(tag);
    if (row === 0) {
      if (name === 'sheetData') {
        sawSheetData = inSheetData = true;
      } else if (name === 'row' && inSheetData) {
        row = rowNumberOf(tag.attributes.r, previousRow);
        previousRow = row;
        rowHasValue = false;
        rowCell = undefined;
        col = 0;
        if (row === 1) header = [];
      }
      return;
    }
    switch (name) {
      case 'c': {
        col = columnOf(tag.attributes.r, col);
        const wanted = row === 1 || (col === target && rowCell === undefined);
        cell = wanted ? { col, type: tag.attributes.t ?? 'n', formula: false, value: undefined, inline: undefined } : undefined;
        break;
      }
      case 'v':
        rowHasValue = true;
        if (cell !== undefined && cell.value === undefined) {
          cell.value = '';
          capture = 'v';
          parser.on('text', onText);
        }
        break;
      case 'is':
        rowHasValue = true;
        if (cell !== undefined && cell.inline === undefined) {
          cell.inline = new StringItem();
          capture = 'is';
          parser.on('text', onText);
        }
        break;
      case 'f':
        if (cell !== undefined) cell.formula = true;
        break;
      default:
        cell?.inline?.open(name);
    }
  };
  parser.on('opentag', onRoot);
  parser.on('closetag', (tag) => {
    const name = nameOf(tag);
    if (row === 0) {
      if (name === 'sheetData') inSheetData = false;
      return;
    }
    switch (name) {
      case 'v':
      case 'is':
        if (capture === name) {
          capture = undefined;
          parser.off('text');
        }
        break;
      case 'c':
        if (cell !== undefined) {
          const read = cellOf(row, cell, sharedStrings);
          if (row === 1) {
            while (header.length < cell.col - 1) header.push('');
            header[cell.col - 1] = read.text;
          } else rowCell = read;
          cell = undefined;
        }
        break;
      case 'row':
        if (row === 1) target = header.indexOf(column) + 1;
        else if (rowHasValue) cells.push(rowCell ?? { row, kind: 'empty', text: '' });
        row = 0;
        break;
      default:
        cell?.inline?.close(name);
    }
  });
  parser.on('cdata', onText);
  parser.write(xml).close();

  if (!sawSheetData) throw new FormatError(`sheet "${sheetName}" has no sheetData`);
  return { header, cells };
}
