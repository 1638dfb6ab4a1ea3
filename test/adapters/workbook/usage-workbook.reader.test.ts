import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readUsageWorkbook } from '../../../src/adapters/workbook/usage-workbook.reader.js';
import { ConnectorError } from '../../../src/domain/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'workbook-reader-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function save(name: string, sheets: [string, unknown[][]][]): Promise<string> {
  const book = new ExcelJS.Workbook();
  for (const [sheetName, rows] of sheets) {
    const sheet = book.addWorksheet(sheetName);
    for (const row of rows) sheet.addRow(row);
  }
  const path = join(dir, name);
  await book.xlsx.writeFile(path);
  return path;
}

async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

describe('readUsageWorkbook()', () => {
  it('finds sheets by name, not by position', async () => {
    const path = await save('swapped.xlsx', [
      ['categories', [['category_id', 'category_name', 'category_description'], ['aws_services', 'AWS', 'AWS usage']]],
      ['notes', [['ignore me']]],
      ['usage_records', [['record_id', 'amount'], ['r1', 12.34]]],
    ]);
    const content = await readUsageWorkbook(path);
    expect(content.header).toEqual(['record_id', 'amount']);
    expect(content.records).toEqual([{ record_id: 'r1', amount: '12.34' }]);
    expect(content.categories).toEqual([
      { category_id: 'aws_services', category_name: 'AWS', category_description: 'AWS usage' },
    ]);
  });

  it('returns every value as a string: numbers via String(n), booleans, empty cells as ""', async () => {
    const path = await save('types.xlsx', [
      ['records', [['a', 'b', 'c', 'd'], [-0.5, true, null, 'text']]],
      ['categories', [['category_id'], ['x']]],
    ]);
    const content = await readUsageWorkbook(path, 'records');
    expect(content.records).toEqual([{ a: '-0.5', b: 'true', c: '', d: 'text' }]);
  });

  it('skips empty rows between data rows', async () => {
    const path = await save('gaps.xlsx', [
      ['usage_records', [['record_id'], ['r1'], [], ['r2']]],
      ['categories', [['category_id'], ['x']]],
    ]);
    const content = await readUsageWorkbook(path);
    expect(content.records.map((r) => r['record_id'])).toEqual(['r1', 'r2']);
  });

  it('fails with IO naming the file and the missing records sheet', async () => {
    const path = await save('no-records.xlsx', [['categories', [['category_id'], ['x']]]]);
    const error = await failure(readUsageWorkbook(path, 'usage_records'));
    expect(error.code).toBe('IO');
    expect(error.message).toContain(path);
    expect(error.message).toContain('usage_records');
    expect(error.where).toMatchObject({ file: path, value: 'usage_records' });
  });

  it('fails with IO naming the file and the missing categories sheet', async () => {
    const path = await save('no-categories.xlsx', [['usage_records', [['record_id']]]]);
    const error = await failure(readUsageWorkbook(path));
    expect(error.code).toBe('IO');
    expect(error.message).toContain(path);
    expect(error.message).toContain('categories');
  });

  it('fails with IO naming the file when it is missing or not an xlsx', async () => {
    const missing = join(dir, 'missing.xlsx');
    expect((await failure(readUsageWorkbook(missing))).where.file).toBe(missing);

    const garbage = join(dir, 'garbage.xlsx');
    await writeFile(garbage, 'not a zip');
    const error = await failure(readUsageWorkbook(garbage));
    expect(error.code).toBe('IO');
    expect(error.message).toContain(garbage);
  });
});
