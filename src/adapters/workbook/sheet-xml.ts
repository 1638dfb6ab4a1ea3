/**
 * The SpreadsheetML the usage workbook is made of, written by hand because it is
 * tiny: the fixed parts of an .xlsx package (content types, relationships, the
 * workbook, one default style, the shared strings table) and the rows of a
 * worksheet, text either as a reference to the shared strings table
 * (`t="s"`) or as an inline string (`t="inlineStr"`). Pure: strings in,
 * strings out.
 */

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

/**
 * Characters text cannot carry as they are: XML markup (`& < >`), a carriage
 * return (an XML parser reads a raw CR as LF), the control characters XML 1.0
 * forbids, and an `_xHHHH_` sequence (which spreadsheet readers decode as an
 * escaped character).
 */
const NEEDS_ESCAPE = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const ESCAPED_CHARACTER = /_x[0-9A-Fa-f]{4}_/;
const ESCAPED = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|_(?=x[0-9A-Fa-f]{4}_)/g;

function escapeChar(c: string): string {
  switch (c) {
    case '&':
      return '&amp;';
    case '<':
      return '&lt;';
    case '>':
      return '&gt;';
    case '\r':
      return '&#13;';
    default:
      // What XML cannot hold, as OOXML escapes it (ST_Xstring): `_x0001_`; `_` itself as `_x005F_`.
      return `_x${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}_`;
  }
}

/** `text` as the content of an XML element; unchanged (no allocation) when nothing needs escaping. */
export function escapeText(text: string): string {
  const escape = NEEDS_ESCAPE.test(text) || (text.includes('_x') && ESCAPED_CHARACTER.test(text));
  return escape ? text.replace(ESCAPED, escapeChar) : text;
}

/** `text` as an XML attribute value in double quotes. */
export function escapeAttribute(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;');
}

/** The spreadsheet column name of a 0-based index: 0 → `A`, 25 → `Z`, 26 → `AA`. */
export function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  }
  return name;
}

/**
 * The `<t>` element of a string holding `text`, escaped; leading or trailing
 * whitespace is kept with `xml:space="preserve"`. The same for an inline string
 * and an item of the shared strings table.
 */
function textElement(text: string): string {
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  const open = first <= 32 || last <= 32 ? '<t xml:space="preserve">' : '<t>';
  return `${open}${escapeText(text)}</t>`;
}

/**
 * What follows a cell's row number for an inline string cell holding `text`:
 * `" t="inlineStr"><is><t>text</t></is></c>`.
 */
export function inlineStringTail(text: string): string {
  return `" t="inlineStr"><is>${textElement(text)}</is></c>`;
}

/** What follows a cell's row number for a cell holding the shared string `index` (0-based): `" t="s"><v>index</v></c>`. */
export function sharedStringTail(index: number): string {
  return `" t="s"><v>${index}</v></c>`;
}

/** Path of the shared strings table inside the package. */
export const SHARED_STRINGS_PATH = 'xl/sharedStrings.xml';

/** Start of the shared strings table: `count` cells refer to its `uniqueCount` items. */
export function sharedStringsStart(count: number, uniqueCount: number): string {
  return `${XML_DECL}<sst xmlns="${MAIN_NS}" count="${count}" uniqueCount="${uniqueCount}">`;
}

/** One item of the shared strings table holding `text`. */
export function sharedStringItem(text: string): string {
  return `<si>${textElement(text)}</si>`;
}

/** End of the shared strings table. */
export const SHARED_STRINGS_END = '</sst>';

/** What follows a cell's row number for a number cell; `number` is the text of the value (`String(n)`). */
export function numberTail(number: string): string {
  return `"><v>${number}</v></c>`;
}

/** Start of a worksheet, up to the first row. */
export const SHEET_START = `${XML_DECL}<worksheet xmlns="${MAIN_NS}"><sheetData>`;
/** End of a worksheet, after the last row. */
export const SHEET_END = '</sheetData></worksheet>';

/**
 * One whole row of inline text cells (a header, a category): empty text leaves
 * its cell out. `row` is 1-based.
 */
export function textRow(row: number, texts: readonly string[]): string {
  let xml = `<row r="${row}">`;
  texts.forEach((text, i) => {
    if (text !== '') xml += `<c r="${columnName(i)}${row}${inlineStringTail(text)}`;
  });
  return `${xml}</row>`;
}

/** Path of the n-th (1-based) worksheet inside the package. */
export function sheetPath(n: number): string {
  return `xl/worksheets/sheet${n}.xml`;
}

/**
 * The fixed parts of a package whose worksheets are `sheetNames`, in order, by
 * path. The package also has a shared strings table (`SHARED_STRINGS_PATH`),
 * named here in the content types and the workbook's relationships and written
 * by the caller (after the sheets: readers find parts by these, not by order).
 */
export function packageParts(sheetNames: readonly string[]): Array<[path: string, xml: string]> {
  const sheets = sheetNames.map((_, i) => i + 1);
  const contentTypes =
    `${XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
    '<Default Extension="xml" ContentType="application/xml"/>' +
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
    sheets
      .map((n) => `<Override PartName="/${sheetPath(n)}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`)
      .join('') +
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
    `<Override PartName="/${SHARED_STRINGS_PATH}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>` +
    '</Types>';
  const rootRels =
    `${XML_DECL}<Relationships xmlns="${PKG_REL_NS}">` +
    `<Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`;
  const workbook =
    `${XML_DECL}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets>` +
    sheetNames.map((name, i) => `<sheet name="${escapeAttribute(name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('') +
    '</sheets></workbook>';
  const workbookRels =
    `${XML_DECL}<Relationships xmlns="${PKG_REL_NS}">` +
    sheets.map((n) => `<Relationship Id="rId${n}" Type="${REL_NS}/worksheet" Target="worksheets/sheet${n}.xml"/>`).join('') +
    `<Relationship Id="rId${sheets.length + 1}" Type="${REL_NS}/styles" Target="styles.xml"/>` +
    `<Relationship Id="rId${sheets.length + 2}" Type="${REL_NS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`;
  const styles =
    `${XML_DECL}<styleSheet xmlns="${MAIN_NS}">` +
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>' +
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
    '</styleSheet>';
  return [
    ['[Content_Types].xml', contentTypes],
    ['_rels/.rels', rootRels],
    ['xl/workbook.xml', workbook],
    ['xl/_rels/workbook.xml.rels', workbookRels],
    ['xl/styles.xml', styles],
  ];
}
