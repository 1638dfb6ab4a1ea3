import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UsageWorkbook, WorkbookRecord } from '../../../src/app/ports.js';
import {
  ExcelWorkbookWriter,
  RECORD_HEADER,
  toCellNumber,
} from '../../../src/adapters/workbook/usage-workbook.writer.js';
import { readUsageWorkbook } from '../../../src/adapters/workbook/usage-workbook.reader.js';
import { ConnectorError } from '../../../src/domain/errors.js';
import { Money } from '../../../src/domain/money.js';

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
  record({ recordId: 'r-cr', note: '\rCR service', amount: '0.00', itemMpn: 'AWS-SUPPORT', categoryId: 'aws_support' }),
];

const WORKBOOK: UsageWorkbook = {
  recordsSheetName: 'usage_records',
  records: RECORDS,
  categories: [
    { id: 'aws_services', name: 'AWS services', description: 'Usage of AWS services' },
    { id: 'aws_marketplace', name: '=Marketplace', description: '-third party software' },
    { id: 'aws_support', name: 'AWS support', description: '@support plans' },
  ],
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'workbook-writer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(path: string): Promise<ExcelJS.Workbook> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(path);
  return book;
}

function sheet(book: ExcelJS.Workbook, name: string): ExcelJS.Worksheet {
  const ws = book.getWorksheet(name);
  if (ws === undefined) throw new Error(`no sheet ${name}`);
  return ws;
}

function rowValues(ws: ExcelJS.Worksheet, r: number, columns: number): unknown[] {
  const row = ws.getRow(r);
  return Array.from({ length: columns }, (_, i) => row.getCell(i + 1).value);
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
  ])('converts %j to the double %d losslessly', (text, n) => {
    expect(Object.is(toCellNumber(text), n)).toBe(true);
  });

  it.each([['abc'], [''], ['1,5'], [' 1.5'], ['NaN'], ['Infinity'], ['0x10']])(
    'rejects non-decimal text %j with INTERNAL',
    (text) => {
      const error = thrown(() => toCellNumber(text));
      expect(error.code).toBe('INTERNAL');
      expect(error.where.value).toBe(text);
    },
  );

  it('rejects an amount with 20 significant digits, naming it', () => {
    const error = thrown(() => toCellNumber('12345678901234567.891'));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toContain('12345678901234567.891');
  });

  it('rejects an amount beyond the range of a double', () => {
    expect(thrown(() => toCellNumber('1e400')).code).toBe('INTERNAL');
  });
});

describe('ExcelWorkbookWriter.write()', () => {
  it('writes the usage_records sheet and the categories sheet, found by name', async () => {
    const path = join(dir, 'nested', 'deeper', 'usage.xlsx');
    await new ExcelWorkbookWriter().write(path, WORKBOOK);
    const book = await load(path);
    expect(book.worksheets.map((ws) => ws.name)).toEqual(['usage_records', 'categories']);
  });

  it('writes the header row exactly in the platform order', async () => {
    const path = join(dir, 'usage.xlsx');
    await new ExcelWorkbookWriter().write(path, WORKBOOK);
    const ws = sheet(await load(path), 'usage_records');
    expect(rowValues(ws, 1, ws.getRow(1).cellCount)).toEqual(HEADER);
    expect([...RECORD_HEADER]).toEqual(HEADER);
  });

  it('writes every column of a record', async () => {
    const path = join(dir, 'usage.xlsx');
    await new ExcelWorkbookWriter().write(path, WORKBOOK);
    const ws = sheet(await load(path), 'usage_records');
    const values = rowValues(ws, 2, HEADER.length).map((v) => v ?? '');
    expect(Object.fromEntries(HEADER.map((h, i) => [h, values[i]]))).toEqual({
      record_id: 'PAYER1-2026-10-123456789012-AmazonEC2',
      record_note: 'Amazon Elastic Compute Cloud',
      item_search_criteria: 'item.mpn',
      item_search_value: 'AWS-USAGE',
      amount: 12.34,
      quantity: 1,
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

  it("keeps a product template's columns and order, fills the known ones, leaves unknown ones empty and adds only the filled columns it lacks", async () => {
    const path = join(dir, 'usage.xlsx');
    const template = ['record_id', 'amount', 'quantity', 'item_search_criteria', 'item_search_value', 'vendor_comment', 'start_time_utc', 'end_time_utc', 'asset_search_criteria', 'asset_search_value', 'item_unit', 'item_precision'];
    const result = await new ExcelWorkbookWriter().write(path, { ...WORKBOOK, columns: template });
    const ws = sheet(await load(path), 'usage_records');
    const header = rowValues(ws, 1, ws.getRow(1).cellCount);
    expect(header).toEqual([...template, 'record_note', 'category_id', 'v.marketplace_service']);
    const values = rowValues(ws, 2, header.length).map((v) => v ?? '');
    expect(Object.fromEntries(header.map((h, i) => [String(h), values[i]]))).toMatchObject({
      record_id: 'PAYER1-2026-10-123456789012-AmazonEC2',
      amount: 12.34,
      quantity: 1,
      vendor_comment: '',
      item_unit: '',
      end_time_utc: '2026-10-31 23:59:59',
      record_note: 'Amazon Elastic Compute Cloud',
      'v.marketplace_service': 'false',
    });
    expect(new Money(result.total).equals(new Money('1234580.03'))).toBe(true);
  });

  it('writes amounts as numeric cells, including negative and large ones, and quantity 1', async () => {
    const path = join(dir, 'usage.xlsx');
    await new ExcelWorkbookWriter().write(path, WORKBOOK);
    const ws = sheet(await load(path), 'usage_records');
    const amounts = RECORDS.map((_, i) => ws.getRow(i + 2).getCell(5));
    const quantities = RECORDS.map((_, i) => ws.getRow(i + 2).getCell(6));
    expect(amounts.map((c) => c.type)).toEqual(RECORDS.map(() => ExcelJS.ValueType.Number));
    expect(amounts.map((c) => c.value)).toEqual([12.34, -0.5, 1234567.89, 0.1, 0.2, 0]);
    expect(quantities.map((c) => [c.type, c.value])).toEqual(RECORDS.map(() => [ExcelJS.ValueType.Number, 1]));
  });

  it('writes v.marketplace_service as the text true or false', async () => {
    const path = join(dir, 'usage.xlsx');
    await new ExcelWorkbookWriter().write(path, WORKBOOK);
    const ws = sheet(await load(path), 'usage_records');
    const cells = RECORDS.map((_, i) => ws.getRow(i + 2).getCell(18));
    expect(cells.map((c) => c.value)).toEqual(['false', 'false', 'true', 'false', 'false', 'false']);
    expect(cells.every((c) => c.type === ExcelJS.ValueType.String)).toBe(true);
  });

  it('writes the categories sheet with its header and one row per category', async () => {
    const path = join(dir, 'usage.xlsx');
    await new ExcelWorkbookWriter().write(path, WORKBOOK);
    const ws = sheet(await load(path), 'categories');
    expect(rowValues(ws, 1, 3)).toEqual(['category_id', 'category_name', 'category_description']);
    expect([2, 3, 4].map((r) => rowValues(ws, r, 3))).toEqual([
      ['aws_services', 'AWS services', 'Usage of AWS services'],
      ['aws_marketplace', "'=Marketplace", "'-third party software"],
      ['aws_support', 'AWS support', "'@support plans"],
    ]);
    expect(ws.getRow(5).hasValues).toBe(false);
  });

  it('returns the exact decimal sum of the amount column as read back, and the row count', async () => {
    const result = await new ExcelWorkbookWriter().write(join(dir, 'usage.xlsx'), WORKBOOK);
    const expected = RECORDS.reduce((t, r) => t.plus(new Money(r.amount)), new Money(0));
    expect(result.rows).toBe(RECORDS.length);
    expect(result.total).toBe('1234580.03'); // 12.34 - 0.50 + 1234567.89 + 0.10 + 0.20 + 0.00
    expect(new Money(result.total).equals(expected)).toBe(true);
  });

  it('neutralises text that begins with = + - @ tab or CR, and writes no formula anywhere', async () => {
    const path = join(dir, 'usage.xlsx');
    await new ExcelWorkbookWriter().write(path, WORKBOOK);
    const book = await load(path);
    const ws = sheet(book, 'usage_records');
    const column = (c: number) => RECORDS.map((_, i) => ws.getRow(i + 2).getCell(c).value);
    expect(column(2)).toEqual([
      'Amazon Elastic Compute Cloud',
      `'=HYPERLINK("http://evil","x")`,
      "'+Marketplace product",
      "'@SUM(A1:A9)",
      "'\tTabbed service",
      "'\nCR service", // XML parsers normalise a raw CR to LF; the quote still leads
    ]);
    expect(column(1)[3]).toBe("'-starts-with-minus");
    expect(column(10)[3]).toBe("'@AS-1234");

    let cells = 0;
    for (const each of book.worksheets) {
      each.eachRow({ includeEmpty: true }, (row) => {
        row.eachCell({ includeEmpty: true }, (cell) => {
          cells++;
          expect(cell.type).not.toBe(ExcelJS.ValueType.Formula);
          expect(cell.formula).toBeUndefined();
        });
      });
    }
    expect(cells).toBe(HEADER.length * (RECORDS.length + 1) + 3 * 4);
  });

  it('uses the configured records sheet name', async () => {
    const path = join(dir, 'usage.xlsx');
    await new ExcelWorkbookWriter().write(path, { ...WORKBOOK, recordsSheetName: 'records' });
    const content = await readUsageWorkbook(path, 'records');
    expect(content.header).toEqual(HEADER);
    expect(content.records.map((r) => r['amount'])).toEqual(['12.34', '-0.5', '1234567.89', '0.1', '0.2', '0']);
  });

  it('writes a workbook with no records: header only, total 0', async () => {
    const path = join(dir, 'empty.xlsx');
    const result = await new ExcelWorkbookWriter().write(path, { ...WORKBOOK, records: [] });
    expect(result).toEqual({ total: '0', rows: 0 });
    expect((await readUsageWorkbook(path)).header).toEqual(HEADER);
  });

  it('refuses a workbook without categories', async () => {
    const write = new ExcelWorkbookWriter().write(join(dir, 'x.xlsx'), { ...WORKBOOK, categories: [] });
    await expect(write).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('category') });
  });

  it('refuses a record whose category is not in the categories sheet', async () => {
    const records = [record({ categoryId: 'unknown_category' })];
    const write = new ExcelWorkbookWriter().write(join(dir, 'x.xlsx'), { ...WORKBOOK, records });
    await expect(write).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('unknown_category') });
  });

  it('refuses an amount a number cell cannot hold exactly, and writes no file', async () => {
    const path = join(dir, 'x.xlsx');
    const records = [record({ amount: '12345678901234567.891' })];
    await expect(new ExcelWorkbookWriter().write(path, { ...WORKBOOK, records })).rejects.toMatchObject({
      code: 'INTERNAL',
    });
    await expect(readUsageWorkbook(path)).rejects.toMatchObject({ code: 'IO' });
  });

  it('fails with IO naming the path when the file cannot be written', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'x');
    const path = join(blocker, 'usage.xlsx');
    await expect(new ExcelWorkbookWriter().write(path, WORKBOOK)).rejects.toMatchObject({
      code: 'IO',
      where: { file: path },
    });
  });
});

describe('ExcelWorkbookWriter.write() at scale and at the edges', () => {
  it('round-trips 15,000 records with the exact total and every amount as stored', async () => {
    const records = Array.from({ length: 15_000 }, (_, i) =>
      record({
        recordId: `PAYER1-2026-10-${String(100000000000 + (i % 700))}-svc${i}`,
        note: i % 9 === 0 ? '=SUM(A1)' : 'Amazon Elastic Compute Cloud',
        amount: (((i * 7919) % 2_000_003) / 100 - 5_000).toFixed(2),
        marketplaceService: i % 10 === 0,
      }),
    );
    const path = join(dir, 'big.xlsx');
    const result = await new ExcelWorkbookWriter().write(path, { ...WORKBOOK, records });
    const expected = records.reduce((t, r) => t.plus(new Money(r.amount)), new Money(0));
    expect(result.rows).toBe(15_000);
    expect(new Money(result.total).equals(expected)).toBe(true);

    const content = await readUsageWorkbook(path);
    expect(content.header).toEqual(HEADER);
    expect(content.records).toHaveLength(15_000);
    expect(content.records.map((r) => r['amount'])).toEqual(records.map((r) => String(Number(r.amount))));
    expect(content.records[9]).toMatchObject({ record_id: records[9]?.recordId, record_note: "'=SUM(A1)", quantity: '1' });
    expect(content.records[14_999]?.['v.marketplace_service']).toBe('false');
    expect(content.categories).toHaveLength(3);
  });

  it('writes text with XML special characters that reads back unchanged', async () => {
    const notes = ['AT&amp;T &lt;x&gt;', 'a & b <c> "d" \'e\'', ' leading and trailing ', 'line\nbreak', 'ünïcödé € 😀', ']]>'];
    const records = notes.map((note, i) => record({ recordId: `r${i}`, note }));
    const path = join(dir, 'xml.xlsx');
    await new ExcelWorkbookWriter().write(path, { ...WORKBOOK, records });
    expect((await readUsageWorkbook(path)).records.map((r) => r['record_note'])).toEqual(notes);
  });

  it('writes the same workbook twice in a row with the same result', async () => {
    const writer = new ExcelWorkbookWriter();
    const first = await writer.write(join(dir, 'a.xlsx'), WORKBOOK);
    const second = await writer.write(join(dir, 'a.xlsx'), { ...WORKBOOK, recordsSheetName: 'other' });
    expect(second).toEqual(first);
    expect((await readUsageWorkbook(join(dir, 'a.xlsx'), 'other')).records).toHaveLength(RECORDS.length);
  });

  it.each([['Categories'], ['usage/records'], ['a[1]'], ["'quoted'"], ['x'.repeat(32)], ['history']])(
    'refuses the records sheet name %j with INTERNAL, and writes no file',
    async (name) => {
      const path = join(dir, 'x.xlsx');
      await expect(new ExcelWorkbookWriter().write(path, { ...WORKBOOK, recordsSheetName: name })).rejects.toMatchObject({
        code: 'INTERNAL',
        where: { setting: 'recordsSheetName', value: name },
      });
      await expect(readUsageWorkbook(path)).rejects.toMatchObject({ code: 'IO' });
    },
  );

  it('accepts a records sheet name of 31 characters with spaces and &', async () => {
    const name = 'Usage & records 2026-10 (PAYER)'; // 31 characters
    expect(name).toHaveLength(31);
    const path = join(dir, 'named.xlsx');
    const result = await new ExcelWorkbookWriter().write(path, { ...WORKBOOK, recordsSheetName: name });
    expect(result.rows).toBe(RECORDS.length);
    expect((await load(path)).worksheets.map((ws) => ws.name)).toEqual([name, 'categories']);
  });
});
