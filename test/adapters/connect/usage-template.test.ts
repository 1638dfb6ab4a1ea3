import ExcelJS from 'exceljs';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectUsageFiles } from '../../../src/adapters/connect/usage-files.js';
import { templateHeader } from '../../../src/adapters/connect/usage-template.js';
import { API_KEY, HOST, failure, signal, testOptions } from './connect-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

const V1 = '/public/v1';
const TEMPLATE = `${V1}/usage/products/PRD-1/template`;
const STORAGE = 'https://storage.test';
const COLUMNS = ['record_id', 'record_note', 'item_search_criteria', 'item_search_value', 'amount', 'quantity', 'start_time_utc', 'end_time_utc', 'asset_search_criteria', 'asset_search_value', 'item_name', 'item_mpn', 'item_unit', 'item_precision', 'category_id', 'asset_recon_id'];

async function xlsx(sheets: Record<string, unknown[][]>): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  for (const [name, rows] of Object.entries(sheets)) book.addWorksheet(name).addRows(rows);
  return Buffer.from(await book.xlsx.writeBuffer());
}

const files = () => new ConnectUsageFiles(testOptions().options);

describe('ConnectUsageFiles.usageTemplateColumns()', () => {
  it('downloads the template_link without the API key when it points elsewhere, and reads the usage_records header', async () => {
    const seen: Array<string | undefined> = [];
    const bytes = await xlsx({ categories: [['category_id', 'category_name', 'category_description']], usage_records: [COLUMNS] });
    const scope = nock(HOST).get(TEMPLATE).reply(200, { template_link: `${STORAGE}/media/PRD-1/usage_template.xlsx?sig=abc` });
    const storage = nock(STORAGE)
      .get('/media/PRD-1/usage_template.xlsx')
      .query({ sig: 'abc' })
      .reply(function () {
        seen.push(this.req.headers.authorization as string | undefined);
        return [200, bytes];
      });

    await expect(files().usageTemplateColumns('PRD-1', signal())).resolves.toEqual(COLUMNS);

    scope.done();
    storage.done();
    expect(seen).toEqual([undefined]);
  });

  it('sends the key to a link under the API URL', async () => {
    const seen: Array<string | undefined> = [];
    const bytes = await xlsx({ usage_records: [['record_id', 'amount']] });
    nock(HOST)
      .get(TEMPLATE).reply(200, { template_link: `${HOST}${V1}/media/usage_template.xlsx` })
      .get(`${V1}/media/usage_template.xlsx`).reply(function () {
        seen.push(this.req.headers.authorization as string | undefined);
        return [200, bytes];
      });
    await expect(files().usageTemplateColumns('PRD-1', signal())).resolves.toEqual(['record_id', 'amount']);
    expect(seen).toEqual([`ApiKey ${API_KEY}`]);
  });

  it.each([
    ['the platform answers 404', (s: nock.Scope) => s.get(TEMPLATE).reply(404, { error_code: 'NTF_001', errors: ['No template.'] })],
    ['the link is null', (s: nock.Scope) => s.get(TEMPLATE).reply(200, { template_link: null })],
    ['the link is empty', (s: nock.Scope) => s.get(TEMPLATE).reply(200, { template_link: '' })],
  ])('is undefined (the built-in header is used) when %s', async (_what, reply) => {
    reply(nock(HOST));
    await expect(files().usageTemplateColumns('PRD-1', signal())).resolves.toBeUndefined();
  });

  it('fails naming the product when the template has no usage_records sheet, never falling back silently', async () => {
    const bytes = await xlsx({ records: [['record_id']] });
    nock(HOST).get(TEMPLATE).reply(200, { template_link: `${STORAGE}/t.xlsx` });
    nock(STORAGE).get('/t.xlsx').reply(200, bytes);
    const error = await failure(files().usageTemplateColumns('PRD-1', signal()));
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE', message: 'the usage template of product PRD-1 has no usage_records sheet (sheets: records)' });
  });

  it('refuses a link that is not http(s)', async () => {
    nock(HOST).get(TEMPLATE).reply(200, { template_link: 'file:///etc/passwd' });
    const error = await failure(files().usageTemplateColumns('PRD-1', signal()));
    expect(error.code).toBe('PLATFORM_RESPONSE');
  });
});

describe('templateHeader()', () => {
  it('trims names and stops at the last filled cell', async () => {
    await expect(templateHeader(await xlsx({ usage_records: [[' record_id ', 'amount', '', '']] }), 'T')).resolves.toEqual(['record_id', 'amount']);
  });

  it.each([
    [[['record_id', '', 'amount']], 'T: usage_records header column 2 is empty'],
    [[['record_id', 'record_id']], 'T: usage_records header column 2 repeats record_id'],
    [[['record_id', { formula: 'HYPERLINK("x")' }]], 'T: usage_records header column 2 is not a column name (not a text cell)'],
    [[['record id']], 'T: usage_records header column 1 is not a column name ("record id")'],
    [[[]], 'T: the usage_records sheet has no header row'],
  ])('refuses a header %j', async (rows, message) => {
    await expect(templateHeader(await xlsx({ usage_records: rows }), 'T')).rejects.toThrow(message);
  });

  it('refuses bytes that are not a workbook', async () => {
    await expect(templateHeader(new TextEncoder().encode('<html>'), 'T')).rejects.toThrow('T is not an .xlsx workbook');
  });
});
