import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readStoredColumn } from '../../../src/adapters/workbook/stored-column.js';
import { readUsageWorkbook } from '../../../src/adapters/workbook/usage-workbook.reader.js';
import { ConnectorError } from '../../../src/domain/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stored-column-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

/** An .xlsx written by exceljs's in-memory writer (shared strings). */
async function saveWithExcelJs(name: string, sheets: [string, unknown[][]][]): Promise<string> {
  const book = new ExcelJS.Workbook();
  for (const [sheetName, rows] of sheets) {
    const sheet = book.addWorksheet(sheetName);
    for (const row of rows) sheet.addRow(row);
  }
  const path = join(dir, name);
  await book.xlsx.writeFile(path);
  return path;
}

// --- a hand-made zip, so the reader meets XML that exceljs would not write ---------

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A zip of `files`: [name, text, method] with method 0 (stored) or 8 (deflated). */
function zip(files: [string, string, number][]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text, method] of files) {
    const data = Buffer.from(text, 'utf8');
    const stored = method === 8 ? deflateRawSync(data) : data;
    const nameBytes = Buffer.from(name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, stored);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
const R_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const WORKSHEET_TYPE = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet';

/** A workbook whose records sheet `A & B` is the second sheet, stored at an absolute target. */
function handMade(sheetData: string, sharedStrings: string[], method = 8): Buffer {
  return zip([
    [
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '<Override PartName="/xl/worksheets/other.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
        '<Override PartName="/xl/worksheets/data.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>' +
        '</Types>',
      method,
    ],
    [
      '_rels/.rels',
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>' +
        '</Relationships>',
      method,
    ],
    [
      'xl/workbook.xml',
      `<?xml version="1.0" encoding="UTF-8"?><workbook ${NS} ${R_NS}><sheets>` +
        `<sheet name="other" sheetId="1" r:id="rId1"/><sheet r:id="rId2" sheetId="2" name='A &amp; B'/>` +
        '</sheets></workbook>',
      method,
    ],
    [
      'xl/_rels/workbook.xml.rels',
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        `<Relationship Id="rId1" Type="${WORKSHEET_TYPE}" Target="worksheets/other.xml"/>` +
        `<Relationship Target="/xl/worksheets/data.xml" Id="rId2" Type="${WORKSHEET_TYPE}"/>` +
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>' +
        '</Relationships>',
      method,
    ],
    [
      'xl/worksheets/other.xml',
      `<?xml version="1.0" encoding="UTF-8"?><worksheet ${NS}><sheetData><row r="1"><c r="A1"><v>99</v></c></row></sheetData></worksheet>`,
      method,
    ],
    ['xl/worksheets/data.xml', `<?xml version="1.0" encoding="UTF-8"?><worksheet ${NS}><sheetData>${sheetData}</sheetData></worksheet>`, method],
    [
      'xl/sharedStrings.xml',
      `<?xml version="1.0" encoding="UTF-8"?><sst ${NS} count="${sharedStrings.length}" uniqueCount="${sharedStrings.length}">` +
        sharedStrings.join('') +
        '</sst>',
      method,
    ],
  ]);
}

const HAND_MADE_STRINGS = [
  '<si><r><t>re</t></r><r><rPr><b/></rPr><t>cord</t></r><rPh sb="0" eb="1"><t>phonetic</t></rPh></si>',
  '<si><t xml:space="preserve"> r1 &amp; &#x41;&#66;_x000D_</t></si>',
  '<si><t>12.5</t></si>',
];

const HAND_MADE_ROWS =
  // header: cells without r, an inline string, a str cell
  '<row r="1"><c t="s"><v>0</v></c><c t="inlineStr"><is><t>amount</t></is></c><c t="str"><v>note</v></c></row>' +
  // a row without r (row 2), its amount with trailing zeros
  '<row><c r="A2" t="s"><v>1</v></c><c r="B2"><v>1.50</v></c><c r="C2" t="str"><v>a &amp;amp; b</v></c></row>' +
  '<row r="3"/>' +
  '<row r="4"><c r="A4" s="1"/></row>' +
  '<row r="5" spans="1:3"><c r="A5" t="str"><v>r5</v></c><c s="0" r="B5" ><v>-2E-3</v></c></row>' +
  '<row r="6"><c r="A6" t="str"><v>r6, no amount</v></c></row>' +
  '<row r="7"><c r="A7" t="str"><v>r7</v></c><c r="B7" t="s"><v>2</v></c></row>' +
  '<row r="8"><c r="A8" t="str"><v>r8</v></c><c r="B8"><f>1+1</f><v>2</v></c></row>' +
  '<row r="9"><c r="A9" t="str"><v>r9</v></c><c r="B9" t="b"><v>1</v></c></row>' +
  '<row r="10"><c r="A10" t="str"><v>r10</v></c><c r="B10" t="e"><v>#DIV/0!</v></c></row>' +
  '<row r="12"><c r="A12" t="str"><v>r12</v></c><c r="B12"><v>0</v></c></row>';

describe('readStoredColumn()', () => {
  it('reads the column by header name from the sheet found by name, numbers via String(n)', async () => {
    const path = await saveWithExcelJs('swapped.xlsx', [
      ['categories', [['category_id'], ['x']]],
      ['usage_records', [['record_id', 'amount'], ['r1', 12.34], ['r2', -0.5], ['r3', 1234567.89], ['r4', 0.1 + 0.2], ['r5', 1e-7]]],
    ]);
    const column = await readStoredColumn(path, 'usage_records', 'amount');
    expect(column.header).toEqual(['record_id', 'amount']);
    expect(column.cells).toEqual([
      { row: 2, kind: 'number', text: '12.34' },
      { row: 3, kind: 'number', text: '-0.5' },
      { row: 4, kind: 'number', text: '1234567.89' },
      { row: 5, kind: 'number', text: '0.30000000000000004' },
      { row: 6, kind: 'number', text: '1e-7' },
    ]);
  });

  it('agrees with readUsageWorkbook on every column, call after call', async () => {
    const rows: unknown[][] = [['id', 'text', 'amount', 'flag', 'empty', 'last']];
    const texts = ['plain', "'=quoted", 'a & b <c> "d"', ' lead', 'trail ', 'multi\nline', 'ünï €', '😀', ''];
    for (let i = 0; i < 200; i++) {
      rows.push([`r${i}`, texts[i % texts.length], (i * 7919) / 100 - 50, i % 2 === 0, null, 'x']);
      if (i % 50 === 0) rows.push([]);
    }
    const path = await saveWithExcelJs('many.xlsx', [['usage_records', rows], ['categories', [['category_id'], ['x']]]]);
    const full = await readUsageWorkbook(path);
    for (const name of full.header) {
      const column = await readStoredColumn(path, 'usage_records', name);
      expect(column.header).toEqual(full.header);
      expect(column.cells.map((c) => c.text)).toEqual(full.records.map((r) => r[name]));
    }
  });

  it('reads cells without references, inline and rich strings, entities, escapes and every cell type', async () => {
    for (const method of [0, 8]) {
      const path = join(dir, `hand-made-${method}.xlsx`);
      await writeFile(path, handMade(HAND_MADE_ROWS, HAND_MADE_STRINGS, method));
      const amounts = await readStoredColumn(path, 'A & B', 'amount');
      expect(amounts.header).toEqual(['record', 'amount', 'note']);
      expect(amounts.cells).toEqual([
        { row: 2, kind: 'number', text: '1.5' },
        { row: 5, kind: 'number', text: '-0.002' },
        { row: 6, kind: 'empty', text: '' },
        { row: 7, kind: 'text', text: '12.5' },
        { row: 8, kind: 'formula', text: '2' },
        { row: 9, kind: 'boolean', text: 'true' },
        { row: 10, kind: 'error', text: '#DIV/0!' },
        { row: 12, kind: 'number', text: '0' },
      ]);
      const records = await readStoredColumn(path, 'A & B', 'record');
      expect(records.cells.map((c) => c.text)).toEqual([' r1 & AB\r', 'r5', 'r6, no amount', 'r7', 'r8', 'r9', 'r10', 'r12']);
      const notes = await readStoredColumn(path, 'A & B', 'note');
      expect(notes.cells[0]).toEqual({ row: 2, kind: 'text', text: 'a &amp; b' }); // decoded once, as XML says
    }
  });

  it('reads a column the header does not have as empty cells, for the caller to compare headers', async () => {
    const path = await saveWithExcelJs('no-amount.xlsx', [['usage_records', [['record_id'], ['r1']]]]);
    expect(await readStoredColumn(path, 'usage_records', 'amount')).toEqual({
      header: ['record_id'],
      cells: [{ row: 2, kind: 'empty', text: '' }],
    });
  });

  it('fails with IO naming the file and the missing sheet', async () => {
    const path = await saveWithExcelJs('no-records.xlsx', [['categories', [['category_id'], ['x']]]]);
    const error = await failure(readStoredColumn(path, 'usage_records', 'amount'));
    expect(error.code).toBe('IO');
    expect(error.message).toContain(path);
    expect(error.message).toContain('usage_records');
    expect(error.where).toMatchObject({ file: path, value: 'usage_records' });
  });

  it('fails with IO naming the file when it is missing, not a zip, or not understood', async () => {
    const missing = join(dir, 'missing.xlsx');
    const error = await failure(readStoredColumn(missing, 'usage_records', 'amount'));
    expect(error.code).toBe('IO');
    expect(error.where.file).toBe(missing);

    const garbage = join(dir, 'garbage.xlsx');
    await writeFile(garbage, 'not a zip');
    expect(await failure(readStoredColumn(garbage, 'usage_records', 'amount'))).toMatchObject({
      code: 'IO',
      where: { file: garbage },
    });

    const badEntity = join(dir, 'bad-entity.xlsx');
    await writeFile(badEntity, handMade('<row r="1"><c t="str"><v>&nbsp;</v></c></row>', HAND_MADE_STRINGS));
    const entityError = await failure(readStoredColumn(badEntity, 'A & B', 'amount'));
    expect(entityError.code).toBe('IO');
    expect(entityError.message).toContain('&nbsp;');

    const badNumber = join(dir, 'bad-number.xlsx');
    const header = '<row r="1"><c r="A1" t="str"><v>record</v></c><c r="B1" t="str"><v>amount</v></c></row>';
    await writeFile(badNumber, handMade(`${header}<row r="2"><c r="B2"><v>0x10</v></c></row>`, HAND_MADE_STRINGS));
    expect((await failure(readStoredColumn(badNumber, 'A & B', 'amount'))).code).toBe('IO');

    const unknownMethod = join(dir, 'method.xlsx');
    const bytes = handMade(HAND_MADE_ROWS, HAND_MADE_STRINGS, 0);
    const directory = bytes.readUInt32LE(bytes.length - 22 + 16);
    for (let at = directory; at < bytes.length - 22; at += 46 + bytes.readUInt16LE(at + 28)) bytes.writeUInt16LE(12, at + 10);
    await writeFile(unknownMethod, bytes);
    const methodError = await failure(readStoredColumn(unknownMethod, 'A & B', 'amount'));
    expect(methodError).toMatchObject({ code: 'IO', where: { file: unknownMethod } });
    expect(methodError.message).toContain('compression'); // JSZip's words: "compression \x0C\x00 unknown"
  });
});
