import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import type * as XLSX from 'xlsx';
import { describe, expect, it } from 'vitest';
import type { WorkbookDraft, WorkbookRecord, WorkbookShape, WrittenWorkbook } from '../../../src/app/ports.js';
import {
  MAX_RECORDS,
  RECORD_HEADER,
  StreamingWorkbookWriter,
  toCellNumber,
} from '../../../src/adapters/workbook/usage-workbook.writer.js';
import { neutralise } from '../../../src/domain/neutralise.js';
import { ConnectorError } from '../../../src/domain/errors.js';
import { Money } from '../../../src/domain/money.js';
import { checkWorkbook } from '../../../src/sandbox/usage-files.check.js';
import { readAll, readBook, readWorkbookText, sheetOf } from '../../support/read-workbook.js';

const HEADER = [
  'record_id', 'record_note', 'item_search_criteria', 'item_search_value', 'amount', 'quantity',
  'start_time_utc', 'end_time_utc', 'asset_search_criteria', 'asset_search_value', 'item_name',
  'item_mpn', 'item_precision', 'item_unit', 'category_id', 'asset_recon_id', 'tier',
  'v.marketplace_service',
];

function record(overrides: Partial<WorkbookRecord>): WorkbookRecord {
  return {
    recordId: 'PAYER1-2026-10-123456789012-AmazonEC2',
    note: 'Amazon Elastic Compute Cloud',
    itemMpn: 'AWS-USAGE',
    amount: '12.34',
    startTimeUtc: '2026-10-01 00:00:00',
    endTimeUtc: '2026-10-31 23:59:59',
    assetSearchCriteria: 'parameter.aws_account_id',
    assetSearchValue: '123456789012',
    categoryId: 'aws_services',
    marketplaceService: false,
    ...overrides,
  };
}

const RECORDS: WorkbookRecord[] = [
  record({}),
  record({ recordId: 'r-negative', note: '=HYPERLINK("http://evil","x")', amount: '-0.50' }),
  record({
    recordId: 'r-marketplace', note: '+Marketplace product', itemMpn: 'AWS-MP', amount: '1234567.89',
    categoryId: 'aws_marketplace', marketplaceService: true,
  }),
  record({ recordId: '-starts-with-minus', note: '@SUM(A1:A9)', amount: '0.10', assetSearchCriteria: 'asset.id', assetSearchValue: '@AS-1234' }),
  record({ recordId: 'r-tab', note: '\tTabbed service', amount: '0.20' }),
  record({ recordId: 'r-cr', note: '\rCR service', amount: '-0.00', itemMpn: 'AWS-SUPPORT', categoryId: 'aws_support' }),
];

const SHAPE: WorkbookShape = {
  recordsSheetName: 'usage_records',
  categories: [
    { id: 'aws_services', name: 'AWS services', description: 'Usage of AWS services' },
    { id: 'aws_marketplace', name: '=Marketplace', description: '-third party software' },
    { id: 'aws_support', name: 'AWS support', description: '@support plans' },
  ],
};

/** Writes `records` as a store would: `content` read while the records go in. */
async function write(
  records: readonly WorkbookRecord[],
  shape: WorkbookShape = SHAPE,
  writer = new StreamingWorkbookWriter(),
): Promise<{ bytes: Uint8Array; proof: WrittenWorkbook }> {
  const draft = writer.open(shape);
  const stored = readAll(draft.content);
  for (const each of records) await draft.add(each);
  const proof = await draft.finish();
  return { bytes: await stored, proof };
}

/** The raw XML of one part of the package, to look at what no reader shows (a `-0`, a formula tag). */
async function part(bytes: Uint8Array, path: string): Promise<string> {
  const file = (await JSZip.loadAsync(bytes)).file(path);
  if (file === null) throw new Error(`no part ${path}`);
  return file.async('string');
}

function cell(sheet: XLSX.WorkSheet, address: string): XLSX.CellObject | undefined {
  return sheet[address] as XLSX.CellObject | undefined;
}

/** The shared strings table as written: its attributes and its texts (read by SheetJS's XML decoding rules, through the sheet). */
async function sharedStrings(bytes: Uint8Array): Promise<{ count: number; uniqueCount: number; items: string[] }> {
  const xml = await part(bytes, 'xl/sharedStrings.xml');
  const attribute = (name: string): number => Number(new RegExp(`<sst [^>]*\\b${name}="(\\d+)"`).exec(xml)?.[1] ?? NaN);
  const items = [...xml.matchAll(/<si><t(?: xml:space="preserve")?>(.*?)<\/t><\/si>/gs)].map((m) =>
    (m[1] ?? '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#13;/g, '\r').replace(/&amp;/g, '&'),
  );
  return { count: attribute('count'), uniqueCount: attribute('uniqueCount'), items };
}

/** The records and categories as exceljs reads them: text as SheetJS gives it (numbers as `String(n)`) and each cell's value type. */
async function readWithExcelJs(bytes: Uint8Array): Promise<{
  header: string[];
  records: Array<{ text: Record<string, string>; types: Record<string, string> }>;
  categories: Record<string, string>[];
}> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  const rows = (name: string): { header: string[]; rows: Array<{ text: Record<string, string>; types: Record<string, string> }> } => {
    const ws = book.getWorksheet(name);
    if (ws === undefined) throw new Error(`no sheet ${name}`);
    const header = (ws.getRow(1).values as unknown[]).slice(1).map(String);
    const out: Array<{ text: Record<string, string>; types: Record<string, string> }> = [];
    for (let r = 2; r <= ws.rowCount; r++) {
      const row = ws.getRow(r);
      const text: Record<string, string> = {};
      const types: Record<string, string> = {};
      header.forEach((key, i) => {
        const value = row.getCell(i + 1).value;
        text[key] = value === null || value === undefined ? '' : String(value);
        types[key] = typeof value;
      });
      out.push({ text, types });
    }
    return { header, rows: out };
  };
  const records = rows('usage_records');
  return { header: records.header, records: records.rows, categories: rows('categories').rows.map((r) => r.text) };
}

function thrown(fn: () => unknown): ConnectorError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectorError);
    return e as ConnectorError;
  }
  throw new Error('expected a ConnectorError');
}

describe('toCellNumber()', () => {
  it.each([
    ['12.34', 12.34],
    ['-0.50', -0.5],
    ['1234567.89', 1234567.89],
    ['1.2E-5', 0.000012],
    ['-0', 0],
    ['-0.00', 0],
    ['123456789012345', 123456789012345],
    ['1234567890123.456', 1234567890123.456],
    [`0.${'0'.repeat(20)}1`, 1e-21],
  ])('converts %j to the double %d losslessly', (text, n) => {
    expect(Object.is(toCellNumber(text), n)).toBe(true);
  });

  it.each([['abc'], [''], ['1,5'], [' 1.5'], ['NaN'], ['Infinity'], ['0x10'], ['.5.'], ['1e']])(
    'rejects non-decimal text %j with INTERNAL',
    (text) => {
      const error = thrown(() => toCellNumber(text));
      expect(error.code).toBe('INTERNAL');
      expect(error.where.value).toBe(text);
    },
  );

  it.each([['12345678901234567.891'], ['0.10000000000000000555'], ['9007199254740993']])(
    'rejects %j, which a double cannot hold exactly, naming it',
    (text) => {
      const error = thrown(() => toCellNumber(text));
      expect(error.code).toBe('INTERNAL');
      expect(error.message).toContain(text);
    },
  );

  it('rejects an amount beyond the range of a double', () => {
    expect(thrown(() => toCellNumber('1e400')).code).toBe('INTERNAL');
  });
});

describe('StreamingWorkbookWriter: what the workbook holds', () => {
  it('writes the usage_records sheet and then the categories sheet, found by name', async () => {
    const { bytes } = await write(RECORDS);
    expect(readWorkbookText(bytes).sheetNames).toEqual(['usage_records', 'categories']);
  });

  it('writes the header row exactly in the platform order', async () => {
    const { bytes } = await write(RECORDS);
    expect(readWorkbookText(bytes).header).toEqual(HEADER);
    expect([...RECORD_HEADER]).toEqual(HEADER);
  });

  it('writes every column of a record', async () => {
    const { bytes } = await write(RECORDS);
    expect(readWorkbookText(bytes).records[0]).toEqual({
      record_id: 'PAYER1-2026-10-123456789012-AmazonEC2',
      record_note: 'Amazon Elastic Compute Cloud',
      item_search_criteria: 'item.mpn',
      item_search_value: 'AWS-USAGE',
      amount: '12.34',
      quantity: '1',
      start_time_utc: '2026-10-01 00:00:00',
      end_time_utc: '2026-10-31 23:59:59',
      asset_search_criteria: 'parameter.aws_account_id',
      asset_search_value: '123456789012',
      item_name: '',
      item_mpn: '',
      item_precision: '',
      item_unit: '',
      category_id: 'aws_services',
      asset_recon_id: '',
      tier: '',
      'v.marketplace_service': 'false',
    });
  });

  it('writes amount and quantity as number cells, negative and large amounts too, and never -0', async () => {
    const { bytes } = await write(RECORDS);
    const sheet = sheetOf(readBook(bytes), 'usage_records');
    const rows = RECORDS.map((_, i) => i + 2);
    expect(rows.map((r) => [cell(sheet, `E${r}`)?.t, cell(sheet, `E${r}`)?.v])).toEqual(
      [12.34, -0.5, 1234567.89, 0.1, 0.2, 0].map((v) => ['n', v]),
    );
    expect(rows.map((r) => [cell(sheet, `F${r}`)?.t, cell(sheet, `F${r}`)?.v])).toEqual(RECORDS.map(() => ['n', 1]));
    expect(await part(bytes, 'xl/worksheets/sheet1.xml')).not.toContain('<v>-0</v>');
  });

  it('writes v.marketplace_service as the text true or false', async () => {
    const { bytes } = await write(RECORDS);
    const sheet = sheetOf(readBook(bytes), 'usage_records');
    const flags = RECORDS.map((_, i) => cell(sheet, `R${i + 2}`));
    expect(flags.map((c) => [c?.t, c?.v])).toEqual(['false', 'false', 'true', 'false', 'false', 'false'].map((v) => ['s', v]));
  });

  it('writes record_id as an inline string and the other text of a record as shared strings', async () => {
    const { bytes } = await write(RECORDS);
    const row2 = /<row r="2">(.*?)<\/row>/.exec(await part(bytes, 'xl/worksheets/sheet1.xml'))?.[1] ?? '';
    const types = [...row2.matchAll(/<c r="([A-Z]+)2"( t="(\w+)")?/g)].map((m) => [m[1], m[3] ?? 'n']);
    expect(types).toEqual([
      ['A', 'inlineStr'], ['B', 's'], ['C', 's'], ['D', 's'], ['E', 'n'], ['F', 'n'], ['G', 's'], ['H', 's'],
      ['I', 's'], ['J', 's'], ['O', 's'], ['R', 's'],
    ]);
  });

  it("keeps a product template's columns and order, fills the known ones, leaves unknown ones empty and adds only the filled columns it lacks", async () => {
    const template = ['record_id', 'amount', 'quantity', 'item_search_criteria', 'item_search_value', 'vendor_comment', 'start_time_utc', 'end_time_utc', 'asset_search_criteria', 'asset_search_value', 'item_unit', 'item_precision'];
    const { bytes, proof } = await write(RECORDS, { ...SHAPE, columns: template });
    const content = readWorkbookText(bytes);
    expect(content.header).toEqual([...template, 'record_note', 'category_id', 'v.marketplace_service']);
    expect(content.records[0]).toEqual({
      record_id: 'PAYER1-2026-10-123456789012-AmazonEC2',
      amount: '12.34',
      quantity: '1',
      item_search_criteria: 'item.mpn',
      item_search_value: 'AWS-USAGE',
      vendor_comment: '',
      start_time_utc: '2026-10-01 00:00:00',
      end_time_utc: '2026-10-31 23:59:59',
      asset_search_criteria: 'parameter.aws_account_id',
      asset_search_value: '123456789012',
      item_unit: '',
      item_precision: '',
      record_note: 'Amazon Elastic Compute Cloud',
      category_id: 'aws_services',
      'v.marketplace_service': 'false',
    });
    expect(proof.total).toBe('1234580.03');
  });

  it('writes the categories sheet with its header and one row per category, neutralised', async () => {
    const { bytes } = await write(RECORDS);
    const content = readWorkbookText(bytes);
    expect(content.categoriesHeader).toEqual(['category_id', 'category_name', 'category_description']);
    expect(content.categories).toEqual([
      { category_id: 'aws_services', category_name: 'AWS services', category_description: 'Usage of AWS services' },
      { category_id: 'aws_marketplace', category_name: "'=Marketplace", category_description: "'-third party software" },
      { category_id: 'aws_support', category_name: 'AWS support', category_description: "'@support plans" },
    ]);
  });

  it('neutralises text that begins with = + - @ tab or CR, and writes no formula anywhere', async () => {
    const { bytes } = await write(RECORDS);
    const content = readWorkbookText(bytes);
    expect(content.records.map((r) => r['record_note'])).toEqual([
      'Amazon Elastic Compute Cloud',
      `'=HYPERLINK("http://evil","x")`,
      "'+Marketplace product",
      "'@SUM(A1:A9)",
      "'\tTabbed service",
      "'\rCR service",
    ]);
    expect(content.records[3]).toMatchObject({ record_id: "'-starts-with-minus", asset_search_value: "'@AS-1234" });

    const book = readBook(bytes);
    const cells = book.SheetNames.flatMap((name) => Object.entries(sheetOf(book, name)).filter(([key]) => !key.startsWith('!')));
    expect(cells.filter(([, c]) => (c as XLSX.CellObject).f !== undefined)).toEqual([]);
    for (const path of ['xl/worksheets/sheet1.xml', 'xl/worksheets/sheet2.xml']) expect(await part(bytes, path)).not.toContain('<f');
  });

  it('writes text with XML special characters, CR, control characters and _xHHHH_ that reads back unchanged', async () => {
    const notes = ['AT&amp;T &lt;x&gt;', 'a & b <c> "d" \'e\'', ' leading and trailing ', 'line\nbreak', 'carriage\rreturn', 'bell\u0007', '_x0041_ stays', 'ünïcödé € 😀', ']]>'];
    const records = notes.map((note, i) => record({ recordId: `r${i}`, note }));
    const { bytes } = await write(records);
    expect(readWorkbookText(bytes).records.map((r) => r['record_note'])).toEqual(notes);
  });

  it('uses the configured records sheet name, also one of 31 characters with & and spaces', async () => {
    const name = 'Usage & records 2026-10 (PAYER)';
    expect(name).toHaveLength(31);
    for (const sheetName of ['records', name]) {
      const { bytes, proof } = await write(RECORDS, { ...SHAPE, recordsSheetName: sheetName });
      const content = readWorkbookText(bytes, sheetName);
      expect(content.sheetNames).toEqual([sheetName, 'categories']);
      expect(content.records.map((r) => r['amount'])).toEqual(['12.34', '-0.5', '1234567.89', '0.1', '0.2', '0']);
      expect(proof.rows).toBe(RECORDS.length);
    }
  });

  it('names the records sheet usage_records when the setting is empty', async () => {
    const { bytes } = await write(RECORDS, { ...SHAPE, recordsSheetName: '' });
    expect(readWorkbookText(bytes).sheetNames).toEqual(['usage_records', 'categories']);
  });

  it('is read by exceljs with the same cells as SheetJS: text identical, numbers numeric', async () => {
    const records = [...RECORDS, record({ recordId: 'r-escapes', note: 'a & b <c> "d"', itemMpn: ' MPN ', assetSearchValue: '=1+2' })];
    const { bytes } = await write(records);
    const sheetjs = readWorkbookText(bytes);
    const exceljs = await readWithExcelJs(bytes);
    expect(exceljs.header).toEqual(sheetjs.header);
    expect(exceljs.records.map((r) => r.text)).toEqual(sheetjs.records);
    expect(exceljs.records.map((r) => [r.types['amount'], r.types['quantity']])).toEqual(records.map(() => ['number', 'number']));
    expect(exceljs.categories).toEqual(sheetjs.categories);
  });

  it('is read the same by exceljs: sheets, header, number amounts and text', async () => {
    const { bytes } = await write(RECORDS);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
    expect(book.worksheets.map((ws) => ws.name)).toEqual(['usage_records', 'categories']);
    const ws = book.getWorksheet('usage_records');
    expect(ws?.getRow(1).values).toEqual([undefined, ...HEADER]);
    const amounts = RECORDS.map((_, i) => ws?.getRow(i + 2).getCell(5));
    expect(amounts.map((c) => [c?.type, c?.value])).toEqual([12.34, -0.5, 1234567.89, 0.1, 0.2, 0].map((v) => [ExcelJS.ValueType.Number, v]));
    expect(ws?.getRow(3).getCell(2).value).toBe(`'=HYPERLINK("http://evil","x")`);
    expect(book.getWorksheet('categories')?.getRow(3).values).toEqual([undefined, 'aws_marketplace', "'=Marketplace", "'-third party software"]);
  });

  it("passes the sandbox platform's judgement of a price-rated file for its period", async () => {
    const { bytes } = await write(RECORDS);
    const verdict = checkWorkbook(bytes, 'usage.xlsx', { schema: 'pr', period: { from: '2026-10-01', to: '2026-10-31' } });
    expect(verdict.errorDetail).toBeUndefined();
    expect(verdict.content?.records).toHaveLength(RECORDS.length);
  });

  it('writes a workbook with no records: header only, total 0', async () => {
    const { bytes, proof } = await write([]);
    expect(proof).toEqual({ total: '0', rows: 0, bytes: bytes.byteLength });
    const content = readWorkbookText(bytes);
    expect(content.header).toEqual(HEADER);
    expect(content.records).toEqual([]);
  });

  it('writes the same bytes for the same records', async () => {
    const first = await write(RECORDS);
    const second = await write(RECORDS);
    expect(Buffer.from(second.bytes).equals(Buffer.from(first.bytes))).toBe(true);
  });
});

describe('StreamingWorkbookWriter: the shared strings table', () => {
  it('names the table in the content types and the workbook relationships', async () => {
    const { bytes } = await write(RECORDS);
    const types = await part(bytes, '[Content_Types].xml');
    expect(types).toContain(
      '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>',
    );
    const rels = await part(bytes, 'xl/_rels/workbook.xml.rels');
    const ids = [...rels.matchAll(/Id="(\w+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(rels).toMatch(
      /<Relationship Id="rId\d+" Type="http:\/\/schemas\.openxmlformats\.org\/officeDocument\/2006\/relationships\/sharedStrings" Target="sharedStrings\.xml"\/>/,
    );
    expect(Object.keys((await JSZip.loadAsync(bytes)).files)).toContain('xl/sharedStrings.xml');
  });

  it('counts every cell that refers to the table (count) and each distinct text once (uniqueCount)', async () => {
    const { bytes } = await write(RECORDS);
    const table = await sharedStrings(bytes);
    const references = [await part(bytes, 'xl/worksheets/sheet1.xml'), await part(bytes, 'xl/worksheets/sheet2.xml')]
      .flatMap((xml) => [...xml.matchAll(/t="s"><v>(\d+)<\/v>/g)].map((m) => Number(m[1])));
    expect(table.count).toBe(references.length);
    expect(table.uniqueCount).toBe(table.items.length);
    expect(new Set(table.items).size).toBe(table.items.length);
    expect(new Set(references).size).toBe(table.items.length); // every text is used
    expect(Math.max(...references)).toBe(table.items.length - 1);
    expect(table.items.slice(0, 3)).toEqual(['Amazon Elastic Compute Cloud', 'item.mpn', 'AWS-USAGE']); // the records' texts, in the order first seen
    expect(table.items).not.toContain('record_id'); // the header stays inline, as do the categories
  });

  it('shares text that needs escaping or neutralising, and it reads back right', async () => {
    const texts = ['a & b <c> "d"', ' leading and trailing ', 'carriage\rreturn', 'bell\u0007', '_x0041_ stays', 'ünïcödé € 😀'];
    const records = texts.map((text, i) => record({ recordId: `r${i}`, note: text, itemMpn: `=${text}`, assetSearchValue: `@${text}` }));
    const { bytes } = await write(records);
    const content = readWorkbookText(bytes);
    expect(content.records.map((r) => [r['record_note'], r['item_search_value'], r['asset_search_value']])).toEqual(
      texts.map((text) => [text, `'=${text}`, `'@${text}`]),
    );
    const table = await part(bytes, 'xl/sharedStrings.xml');
    expect(table).toContain('<si><t xml:space="preserve"> leading and trailing </t></si>');
    expect(table).toContain('<si><t>a &amp; b &lt;c&gt; "d"</t></si>');
    expect(table).toContain('<si><t>carriage&#13;return</t></si>');
    expect(table).toContain('<si><t>_x005F_x0041_ stays</t></si>');
    expect(table).not.toContain('<si><t>=');
    const book = readBook(bytes);
    const cells = Object.entries(sheetOf(book, 'usage_records')).filter(([key]) => !key.startsWith('!'));
    expect(cells.filter(([, c]) => (c as XLSX.CellObject).f !== undefined)).toEqual([]);
    const exceljs = await readWithExcelJs(bytes);
    expect(exceljs.records.map((r) => r.text)).toEqual(content.records);
  });

  it('stops growing at its cap and writes later texts inline, which still read back', async () => {
    const cap = 20;
    const records = Array.from({ length: 60 }, (_, i) =>
      record({ recordId: `r${i}`, assetSearchValue: i < 30 ? String(100000000000 + i) : ` @${i} & <odd> `, note: i % 2 === 0 ? 'Amazon S3' : '=SUM(A1)' }),
    );
    const { bytes, proof } = await write(records, SHAPE, new StreamingWorkbookWriter({ sharedStringsMax: cap }));
    const table = await sharedStrings(bytes);
    expect(table.uniqueCount).toBe(cap);
    expect(table.items).toHaveLength(cap);
    const sheet = await part(bytes, 'xl/worksheets/sheet1.xml');
    const accounts = records.map((_, i) => new RegExp(`<c r="J${i + 2}" t="(\\w+)">`).exec(sheet)?.[1]);
    const firstInline = accounts.indexOf('inlineStr');
    expect(firstInline).toBeGreaterThan(0);
    expect(accounts.slice(0, firstInline).every((t) => t === 's')).toBe(true);
    expect(accounts.slice(firstInline).every((t) => t === 'inlineStr')).toBe(true);
    expect(table.items).not.toContain(records[firstInline]?.assetSearchValue);
    // a text already in the table stays shared after the table is full
    expect(new RegExp(`<c r="C${records.length + 1}" t="s">`).test(sheet)).toBe(true);
    expect(table.count).toBe([...sheet.matchAll(/t="s">/g)].length + [...(await part(bytes, 'xl/worksheets/sheet2.xml')).matchAll(/t="s">/g)].length);

    const content = readWorkbookText(bytes);
    expect(content.records.map((r) => [r['asset_search_value'], r['record_note']])).toEqual(records.map((r) => [r.assetSearchValue, neutralise(r.note)]));
    expect(content.records.map((r) => r['record_id'])).toEqual(records.map((r) => r.recordId));
    expect(proof.rows).toBe(60);
    const exceljs = await readWithExcelJs(bytes);
    expect(exceljs.records.map((r) => r.text)).toEqual(content.records);
  });

  it('writes every text inline with a cap of 0, and the file reads the same', async () => {
    const shared = await write(RECORDS);
    const inline = await write(RECORDS, SHAPE, new StreamingWorkbookWriter({ sharedStringsMax: 0 }));
    expect(await part(inline.bytes, 'xl/worksheets/sheet1.xml')).not.toContain('t="s"');
    expect(await sharedStrings(inline.bytes)).toEqual({ count: 0, uniqueCount: 0, items: [] });
    expect(readWorkbookText(inline.bytes)).toEqual(readWorkbookText(shared.bytes));
    expect(inline.proof.total).toBe(shared.proof.total);
  });

  it('makes the records sheet far smaller than with every text inline', async () => {
    const records = Array.from({ length: 2_000 }, (_, i) =>
      record({ recordId: `PAYER1-2026-10-${String(100000000000 + (i % 300))}-svc${i}`, assetSearchValue: String(100000000000 + (i % 300)) }),
    );
    const shared = (await part((await write(records)).bytes, 'xl/worksheets/sheet1.xml')).length;
    const inline = (await part((await write(records, SHAPE, new StreamingWorkbookWriter({ sharedStringsMax: 0 }))).bytes, 'xl/worksheets/sheet1.xml')).length;
    expect(shared / inline).toBeLessThan(0.65);
  });
});

describe('StreamingWorkbookWriter: the proof', () => {
  it('returns the exact sum of the amount cells as written, the record rows and the bytes produced', async () => {
    const { bytes, proof } = await write(RECORDS);
    const cells = readWorkbookText(bytes).records.map((r) => new Money(r['amount'] ?? 'NaN'));
    const expected = RECORDS.reduce((t, r) => t.plus(new Money(r.amount)), new Money(0));
    expect(proof).toEqual({ total: '1234580.03', rows: RECORDS.length, bytes: bytes.byteLength });
    expect(new Money(proof.total).equals(cells.reduce((t, c) => t.plus(c), new Money(0)))).toBe(true);
    expect(new Money(proof.total).equals(expected)).toBe(true);
  });

  it('round-trips 15,000 records with the exact total and every amount as stored', async () => {
    const records = Array.from({ length: 15_000 }, (_, i) =>
      record({
        recordId: `PAYER1-2026-10-${String(100000000000 + (i % 700))}-svc${i}`,
        note: i % 9 === 0 ? '=SUM(A1)' : 'Amazon Elastic Compute Cloud',
        amount: (((i * 7919) % 2_000_003) / 100 - 5_000).toFixed(2),
        marketplaceService: i % 10 === 0,
      }),
    );
    const { bytes, proof } = await write(records);
    const expected = records.reduce((t, r) => t.plus(new Money(r.amount)), new Money(0));
    expect(proof.rows).toBe(15_000);
    expect(new Money(proof.total).equals(expected)).toBe(true);

    const content = readWorkbookText(bytes);
    expect(content.records).toHaveLength(15_000);
    expect(content.records.map((r) => r['amount'])).toEqual(records.map((r) => String(Number(r.amount))));
    expect(content.records[9]).toMatchObject({ record_id: records[9]?.recordId, record_note: "'=SUM(A1)", quantity: '1' });
    expect(content.records[14_999]?.['v.marketplace_service']).toBe('false');
    expect(content.categories).toHaveLength(3);
  });
});

describe('StreamingWorkbookWriter: refusals', () => {
  it('refuses a shape without categories', () => {
    const error = thrown(() => new StreamingWorkbookWriter().open({ ...SHAPE, categories: [] }));
    expect(error).toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('category') });
  });

  it.each([['Categories'], ['usage/records'], ['a[1]'], ["'quoted'"], ['x'.repeat(32)], ['history']])(
    'refuses the records sheet name %j with INTERNAL',
    (name) => {
      const error = thrown(() => new StreamingWorkbookWriter().open({ ...SHAPE, recordsSheetName: name }));
      expect(error).toMatchObject({ code: 'INTERNAL', where: { setting: 'recordsSheetName', value: name } });
    },
  );

  it('refuses a record whose category is not in the categories sheet, and the content fails with it', async () => {
    const draft = new StreamingWorkbookWriter().open(SHAPE);
    const stored = readAll(draft.content);
    await draft.add(RECORDS[0] as WorkbookRecord);
    const error = thrown(() => draft.add(record({ categoryId: 'unknown_category' })));
    expect(error).toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('unknown_category') });
    await expect(stored).rejects.toBe(error);
    await expect(draft.finish()).rejects.toBe(error);
  });

  it('refuses an amount a number cell cannot hold exactly, and the content fails with it', async () => {
    const draft = new StreamingWorkbookWriter().open(SHAPE);
    const stored = readAll(draft.content);
    const error = thrown(() => draft.add(record({ amount: '12345678901234567.891' })));
    expect(error).toMatchObject({ code: 'INTERNAL', where: { column: 'amount', value: '12345678901234567.891' } });
    await expect(stored).rejects.toBe(error);
  });

  it('refuses the record after the last one the sheet holds, naming the limit and the sheet', async () => {
    expect(MAX_RECORDS).toBe(1_048_575); // an xlsx sheet's 1,048,576 rows less the header; a smaller limit here
    const draft = new StreamingWorkbookWriter({ maxRecords: 3 }).open({ ...SHAPE, recordsSheetName: 'records' });
    const stored = readAll(draft.content);
    for (const each of RECORDS.slice(0, 3)) await draft.add(each);
    const error = thrown(() => draft.add(RECORDS[3] as WorkbookRecord));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toContain('records sheet holds at most 3 records');
    expect(error.message).toContain('1048576 rows');
    expect(error.where).toMatchObject({ value: 'records', row: 5 });
    await expect(stored).rejects.toBe(error);
  });

  it('refuses add and finish after finish', async () => {
    const draft = new StreamingWorkbookWriter().open(SHAPE);
    const stored = readAll(draft.content);
    await draft.finish();
    await stored;
    expect(thrown(() => draft.add(RECORDS[0] as WorkbookRecord)).code).toBe('INTERNAL');
    await expect(draft.finish()).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});

describe('StreamingWorkbookWriter: streaming', () => {
  /** Adds records until `add` asks to wait; returns how many went in and the wait. */
  function addUntilWait(draft: WorkbookDraft, limit: number): { added: number; wait: Promise<void> | undefined } {
    for (let i = 0; i < limit; i++) {
      const wait = draft.add(record({ recordId: `r${i}`, assetSearchValue: String(100000000000 + i) }));
      if (wait !== undefined) return { added: i + 1, wait };
    }
    return { added: limit, wait: undefined };
  }

  it('makes add wait while nobody reads the content, and completes once it is read', async () => {
    const draft = new StreamingWorkbookWriter().open(SHAPE);
    const { added, wait } = addUntilWait(draft, 200_000);
    expect(wait).toBeInstanceOf(Promise);
    expect(added).toBeLessThan(200_000);
    let resumed = false;
    void wait?.then(() => (resumed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(resumed).toBe(false);

    const stored = readAll(draft.content);
    await wait;
    const proof = await draft.finish();
    const content = readWorkbookText(await stored);
    expect(proof.rows).toBe(added);
    expect(content.records).toHaveLength(added);
    expect(content.records[added - 1]?.['record_id']).toBe(`r${added - 1}`);
  });

  it('writes a complete, correct file for a slow consumer', async () => {
    const records = Array.from({ length: 6_000 }, (_, i) => record({ recordId: `r${i}`, amount: `${i % 100}.${String(i % 97).padStart(2, '0')}` }));
    const draft = new StreamingWorkbookWriter().open(SHAPE);
    const slow = (async () => {
      const chunks: Uint8Array[] = [];
      for await (const chunk of draft.content) {
        await new Promise((resolve) => setImmediate(resolve)); // behind the writer: its buffers fill
        chunks.push(chunk);
      }
      return Buffer.concat(chunks);
    })();
    let waits = 0;
    for (const each of records) {
      const wait = draft.add(each);
      if (wait !== undefined) {
        waits++;
        await wait;
      }
    }
    const proof = await draft.finish();
    const bytes = await slow;
    expect(waits).toBeGreaterThan(0);
    expect(proof).toMatchObject({ rows: 6_000, bytes: bytes.byteLength });
    const content = readWorkbookText(bytes);
    expect(content.records.map((r) => r['record_id'])).toEqual(records.map((r) => r.recordId));
    const cells = content.records.reduce((t, r) => t.plus(new Money(r['amount'] ?? 'NaN')), new Money(0));
    expect(new Money(proof.total).equals(cells)).toBe(true);
  });

  it('ends the content with the reason of an abort, and rejects a waiting add and finish', async () => {
    const draft = new StreamingWorkbookWriter().open(SHAPE);
    const { wait } = addUntilWait(draft, 200_000);
    const reason = new ConnectorError('ABORTED', 'stopped');
    const stored = readAll(draft.content);
    draft.abort(reason);
    await expect(stored).rejects.toBe(reason);
    await expect(wait).rejects.toBe(reason);
    expect(thrown(() => draft.add(RECORDS[0] as WorkbookRecord))).toBe(reason);
    await expect(draft.finish()).rejects.toBe(reason);
  });

  it('fails the draft when its consumer stops reading before the end', async () => {
    const draft = new StreamingWorkbookWriter().open(SHAPE);
    const { wait } = addUntilWait(draft, 200_000);
    for await (const chunk of draft.content) {
      expect(chunk.byteLength).toBeGreaterThan(0);
      break;
    }
    await expect(wait).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('not read to its end') });
    await expect(draft.finish()).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('lets an abort after finish change nothing', async () => {
    const { proof } = await (async () => {
      const draft = new StreamingWorkbookWriter().open(SHAPE);
      const stored = readAll(draft.content);
      await draft.add(RECORDS[0] as WorkbookRecord);
      const written = await draft.finish();
      draft.abort(new Error('late'));
      await stored;
      return { proof: written };
    })();
    expect(proof).toMatchObject({ total: '12.34', rows: 1 });
  });
});
