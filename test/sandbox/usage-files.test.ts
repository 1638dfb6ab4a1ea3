import ExcelJS from 'exceljs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as XLSX from 'xlsx';
import { RECORD_HEADER } from '../../src/adapters/workbook/usage-workbook.writer.js';
import { writeWorkbookBytes } from '../support/read-workbook.js';
import type { UsageWorkbook } from '../../src/app/ports.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js';
import { DEFAULT_TEMPLATE_USAGE_COLUMNS, type SeedInput } from '../../src/sandbox/seed.js';
import { errorDetail, ERROR_DETAIL_MAX } from '../../src/sandbox/usage-files.check.js';
import { ConnectContract, ContractRecorder } from '../support/connect-contract.js';

const NOW = new Date('2026-11-02T10:00:00Z');
const PRODUCT = 'PRD-411-678-887';
const AUTO = 'PRD-000-000-002';
const QT = 'PRD-000-000-003';
const NO_PPU = 'PRD-000-000-004';
const NO_TEMPLATE = 'PRD-000-000-005';
const CONTRACT = 'CRD-00000-00000-00000';
const SEED: SeedInput = {
  apiKey: 'SU-1:secret',
  products: [
    { id: PRODUCT },
    { id: AUTO, autoAccept: true, contractId: 'CRD-00000-00000-00002' },
    { id: QT, usageSchema: 'QT' },
    { id: NO_PPU, usageSchema: null },
    { id: NO_TEMPLATE, usageTemplate: null },
  ],
};

/** The connector's 18 columns, as our own writer writes them. */
const WORKBOOK: UsageWorkbook = {
  recordsSheetName: 'usage_records',
  records: [
    { recordId: 'r-1', note: 'Amazon EC2', itemMpn: 'AWS_USAGE', amount: '12.34', startTimeUtc: '2026-10-01 00:00:00', endTimeUtc: '2026-10-31 23:59:59', assetSearchCriteria: 'parameter.aws_account_id', assetSearchValue: '222222222222', categoryId: 'aws_services', marketplaceService: false },
    { recordId: 'r-2', note: 'Support', itemMpn: 'AWS_SUPPORT', amount: '100', startTimeUtc: '2026-10-01 00:00:00', endTimeUtc: '2026-10-31 23:59:59', assetSearchCriteria: 'parameter.aws_account_id', assetSearchValue: '222222222222', categoryId: 'aws_support', marketplaceService: false },
  ],
  categories: [
    { id: 'aws_services', name: 'AWS services', description: 'Usage' },
    { id: 'aws_support', name: 'AWS support', description: 'Support plan' },
  ],
};

const CATEGORY_HEADER = ['category_id', 'category_name', 'category_description'];
const CATEGORIES = [CATEGORY_HEADER, ['aws_services', 'AWS services', '']];

/** A valid record by column name; `over` replaces some values. */
const record = (over: Record<string, string | number | null> = {}): Record<string, string | number | null> => ({
  record_id: 'r-1',
  record_note: 'Amazon EC2',
  item_search_criteria: 'item.mpn',
  item_search_value: 'AWS_USAGE',
  amount: 12.5,
  quantity: 1,
  start_time_utc: '2026-10-01 00:00:00',
  end_time_utc: '2026-10-31 23:59:59',
  asset_search_criteria: 'parameter.aws_account_id',
  asset_search_value: '222222222222',
  item_name: 'AWS usage',
  item_mpn: 'AWS_USAGE',
  item_unit: 'unit',
  item_precision: 'decimal(2)',
  category_id: 'aws_services',
  asset_recon_id: '',
  ...over,
});

/** A workbook made with SheetJS: `sheets` by name, each a list of rows. */
function sheetJsBook(sheets: Record<string, unknown[][]>, edit?: (book: XLSX.WorkBook) => void): Uint8Array {
  const book = XLSX.utils.book_new();
  for (const [name, rows] of Object.entries(sheets)) XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet(rows), name);
  edit?.(book);
  return new Uint8Array(XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer);
}

/** A records sheet in `header` order from records by column name, with the categories sheet. */
function recordsBook(header: readonly string[], records: Array<Record<string, unknown>>, categories: unknown[][] = CATEGORIES): Uint8Array {
  return sheetJsBook({ usage_records: [[...header], ...records.map((r) => header.map((h) => r[h] ?? null))], categories });
}

async function exceljsBook(sheets: Record<string, unknown[][]>): Promise<Uint8Array> {
  const book = new ExcelJS.Workbook();
  for (const [name, rows] of Object.entries(sheets)) book.addWorksheet(name).addRows(rows);
  return new Uint8Array(await book.xlsx.writeBuffer());
}

type Json = Record<string, any>;
let contract: ConnectContract;
let recorder: ContractRecorder;
let sandbox: Sandbox;
let dir: string;
let writerBytes: Uint8Array;

async function start(options: Partial<SandboxOptions> = {}): Promise<void> {
  recorder = new ContractRecorder(contract);
  sandbox = await startSandbox({ seed: SEED, now: () => NOW, onExchange: recorder.onExchange, ...options });
}

/** One API call with the key; the JSON answer and status. */
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; headers: Headers }> {
  const response = await fetch(`${sandbox.platformUrl}${path}`, {
    method,
    headers: { authorization: `ApiKey ${sandbox.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text), headers: response.headers };
}

const createBody = (externalId: string, over: Json = {}): Json => ({
  name: `AWS usage ${externalId}`,
  description: 'AWS usage',
  note: 'internal',
  period: { from: '2026-10-01', to: '2026-10-31' },
  product: { id: PRODUCT },
  contract: { id: CONTRACT },
  external_id: externalId,
  ...over,
});

async function create(externalId: string, over: Json = {}): Promise<string> {
  const created = await api('POST', '/usage/files', createBody(externalId, over));
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  return created.json.id as string;
}

async function upload(id: string, bytes: Uint8Array, fileName = 'usage.xlsx'): Promise<{ status: number; json: any }> {
  const form = new FormData();
  form.append('usage_file', new Blob([Uint8Array.from(bytes)], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }), fileName);
  const response = await fetch(`${sandbox.platformUrl}/usage/files/${id}/upload`, { method: 'POST', headers: { authorization: `ApiKey ${sandbox.apiKey}` }, body: form });
  return { status: response.status, json: await response.json() };
}

/** GETs the file until it leaves the waiting statuses; the statuses seen on the way and the last answer. */
async function verdict(id: string): Promise<{ seen: string[]; file: Json }> {
  const seen: string[] = [];
  for (let i = 0; i < 10; i++) {
    const { json } = await api('GET', `/usage/files/${id}`);
    seen.push(json.status);
    if (!['uploading', 'uploaded', 'processing'].includes(json.status)) return { seen, file: json };
  }
  throw new Error(`file ${id} still ${seen.at(-1)}`);
}

/** Creates, uploads `bytes` and polls to the verdict (`{uploadedPolls:0, processingPolls:0}` sandboxes answer it at once). */
async function judged(externalId: string, bytes: Uint8Array, over: Json = {}): Promise<Json> {
  const id = await create(externalId, over);
  const answer = await upload(id, bytes, `${externalId}.xlsx`);
  expect(answer.status).toBe(200);
  return ['uploading', 'uploaded', 'processing'].includes(answer.json.status) ? (await verdict(id)).file : answer.json;
}

beforeAll(async () => {
  contract = await ConnectContract.load();
  dir = await mkdtemp(join(tmpdir(), 'usage-files-test-'));
  writerBytes = await writeWorkbookBytes(WORKBOOK);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await sandbox.close();
});

describe('sandbox usage files: the answers of the description', () => {
  it('creates a file without a currency in the marketplace currency, answering 201 in the UsageFileCreate shape', async () => {
    await start();
    const created = await api('POST', '/usage/files', createBody('111111111111-2026-10-v1'));
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      id: 'UF-2026-11-0000-0001',
      name: 'AWS usage 111111111111-2026-10-v1',
      external_id: '111111111111-2026-10-v1',
      vendor: 'VA-000-000',
      provider: 'PA-000-000',
      environment: 'production',
      marketplace: 'MP-48301',
      distribution_contract: CONTRACT,
      product_id: PRODUCT,
      product_name: 'AWS',
      description: 'AWS usage',
      schema: 'pr',
      currency: 'EUR',
      start_datetime_utc: '2026-10-01T00:00:00+00:00',
      end_datetime_utc: '2026-10-31T23:59:59+00:00',
    });
    expect(created.json).not.toHaveProperty('status');
    expect(created.json).not.toHaveProperty('product');
    expect(recorder.violations()).toEqual([]);
  });

  it("takes the seeded marketplace's currency, and keeps a currency the body gives", async () => {
    recorder = new ContractRecorder(contract);
    sandbox = await startSandbox({ seed: { ...SEED, marketplaces: [{ id: 'MP-77001', name: 'US', currency: 'USD' }] }, now: () => NOW, onExchange: recorder.onExchange });
    const defaulted = await api('POST', '/usage/files', createBody('a'));
    expect([defaulted.json.marketplace, defaulted.json.currency]).toEqual(['MP-77001', 'USD']);
    const given = await api('POST', '/usage/files', createBody('b', { currency: 'GBP' }));
    expect(given.json.currency).toBe('GBP');
    expect(sandbox.platform.state.usage.views().map((v) => [v.externalId, v.currency, v.marketplaceId, v.note])).toEqual([
      ['a', 'USD', 'MP-77001', 'internal'],
      ['b', 'GBP', 'MP-77001', 'internal'],
    ]);
  });

  it('gives the file in the UsageFileDetail shape and lists it in the UsageFileList shape', async () => {
    await start();
    const id = await create('x-1');
    const detail = await api('GET', `/usage/files/${id}`);
    expect(detail.json).toMatchObject({
      id,
      status: 'draft',
      schema: 'pr',
      currency: 'EUR',
      product: { id: PRODUCT, name: 'AWS' },
      contract: { id: CONTRACT },
      marketplace: { id: 'MP-48301', name: 'Sandbox marketplace' },
      vendor: { id: 'VA-000-000' },
      provider: { id: 'PA-000-000' },
      period: { from: '2026-10-01', to: '2026-10-31' },
      events: { created: { at: '2026-11-02T10:00:00+00:00' } },
      stats: { uploaded: 0, validated: 0 },
      records: { valid: 0, invalid: 0, closed: 0 },
    });
    const listed = await api('GET', '/usage/files');
    expect(listed.headers.get('content-range')).toBe('items 0-0/1');
    expect(listed.json).toHaveLength(1);
    expect(listed.json[0]).toMatchObject({ id, status: 'draft', product: { id: PRODUCT } });
    expect(listed.json[0]).not.toHaveProperty('records');
    expect(recorder.violations()).toEqual([]);
  });

  it('refuses a create without name, period, known product or its contract, naming the field', async () => {
    await start();
    const errors = async (body: Json) => (await api('POST', '/usage/files', body)).json.errors[0];
    expect(await errors(createBody('x', { name: undefined }))).toBe('name: This field is required.');
    expect(await errors(createBody('x', { name: 'n'.repeat(101) }))).toBe('name: at most 100 characters (got 101).');
    expect(await errors(createBody('x', { period: { from: '2026-10-01', to: '2026-09-31' } }))).toMatch(/^period: must be/);
    expect(await errors(createBody('x', { product: { id: 'PRD-9' } }))).toBe('product.id: product PRD-9 not found.');
    expect(await errors(createBody('x', { product: { id: NO_PPU } }))).toBe(`Product ${NO_PPU} is not a pay-per-use product.`);
    expect(await errors(createBody('x', { contract: { id: 'CRD-9' } }))).toBe(`contract.id: CRD-9 is not the contract of product ${PRODUCT}.`);
    expect(sandbox.platform.state.usage.views()).toEqual([]);
  });
});

describe('sandbox usage files: the lifecycle', () => {
  it('answers the upload 200 with uploading, then GETs see uploaded, processing, ready; the list does not count', async () => {
    await start();
    const id = await create('p-1');
    const answer = await upload(id, writerBytes);
    expect([answer.status, answer.json.status]).toEqual([200, 'uploading']);
    expect((await api('GET', '/usage/files')).json[0].status).toBe('uploading');
    const { seen, file } = await verdict(id);
    expect(seen).toEqual(['uploaded', 'processing', 'ready']);
    expect(file).toMatchObject({ error_detail: '', events: { uploaded: { at: '2026-11-02T10:00:00+00:00' } }, stats: { uploaded: 2, validated: 2 }, records: { valid: 2 } });
    expect(recorder.violations()).toEqual([]);
  });

  it('counts uploadedPolls and processingPolls as given; 0 and 0 answer the verdict with the upload', async () => {
    await start({ usageFiles: { uploadedPolls: 2, processingPolls: 0 } });
    const id = await create('p-2');
    await upload(id, writerBytes);
    expect((await verdict(id)).seen).toEqual(['uploaded', 'uploaded', 'ready']);
    await sandbox.close();

    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 3 } });
    const other = await create('p-3');
    await upload(other, writerBytes);
    expect((await verdict(other)).seen).toEqual(['processing', 'processing', 'processing', 'ready']);
    await sandbox.close();

    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    const atOnce = await create('p-4');
    expect((await upload(atOnce, writerBytes)).json.status).toBe('ready');
  });

  it('submits a ready file to pending; the provider accepts it (with its note) and closes it, over the API', async () => {
    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    const file = await judged('a-1', writerBytes);
    expect((await api('POST', `/usage/files/${file.id}/submit`)).json).toMatchObject({ status: 'pending', events: { submitted: {} }, stats: { pending: 2 } });
    expect((await api('POST', `/usage/files/${file.id}/accept`, { acceptance_note: 'fine' })).json).toMatchObject({ status: 'accepted', acceptance_note: 'fine', events: { accepted: {} } });
    expect((await api('POST', `/usage/files/${file.id}/close`)).json).toMatchObject({ status: 'closed', events: { closed: {} }, records: { closed: 2 } });
    const again = await api('POST', `/usage/files/${file.id}/close`);
    expect([again.status, again.json.errors]).toEqual([400, [`Usage file ${file.id} is closed: close is allowed only when it is accepted.`]]);
    expect(sandbox.platform.state.usage.views().map((v) => [v.status, v.acceptanceNote])).toEqual([['closed', 'fine']]);
    expect(recorder.violations()).toEqual([]);
  });

  it('lets the provider reject a pending file; the vendor uploads it again, which is judged anew', async () => {
    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    const file = await judged('r-1', writerBytes);
    await api('POST', `/usage/files/${file.id}/submit`);
    expect((await api('POST', `/usage/files/${file.id}/reject`, { rejection_note: 'wrong period' })).json).toMatchObject({ status: 'rejected', rejection_note: 'wrong period', events: { rejected: {} } });
    const bad = recordsBook(DEFAULT_TEMPLATE_USAGE_COLUMNS, [record({ amount: 'lots' })]);
    expect((await upload(file.id, bad)).json).toMatchObject({ status: 'invalid', error_detail: 'usage_records: record 1 (r-1): amount "lots" is not a number' });
    expect((await upload(file.id, writerBytes)).json).toMatchObject({ status: 'ready', error_detail: '' });
    expect(recorder.violations()).toEqual([]);
  });

  it('accepts at once on submit when the product auto-accepts', async () => {
    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    const file = await judged('auto-1', writerBytes, { product: { id: AUTO }, contract: { id: 'CRD-00000-00000-00002' } });
    expect((await api('POST', `/usage/files/${file.id}/submit`)).json).toMatchObject({ status: 'accepted', events: { submitted: {}, accepted: {} } });
  });

  it('reprocesses a processed file: processing, then the stored workbook judged again; refuses other statuses', async () => {
    await start();
    const id = await create('re-1');
    await upload(id, writerBytes);
    await verdict(id);
    expect((await api('POST', `/usage/files/${id}/reprocess`)).json.status).toBe('processing');
    expect((await verdict(id)).seen).toEqual(['processing', 'ready']);
    await api('POST', `/usage/files/${id}/submit`);
    const refused = await api('POST', `/usage/files/${id}/reprocess`);
    expect([refused.status, refused.json.error_code]).toEqual([400, 'UF_002']);
    expect(refused.json.errors[0]).toBe(`Usage file ${id} is pending: reprocess is allowed only when it is ready, invalid.`);
    expect(recorder.violations()).toEqual([]);
  });

  it('refuses an upload while the file is submitted, without a field or to an unknown file', async () => {
    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    const file = await judged('u-1', writerBytes);
    await api('POST', `/usage/files/${file.id}/submit`);
    const refused = await upload(file.id, writerBytes);
    expect([refused.status, refused.json.errors[0]]).toEqual([400, `Usage file ${file.id} is pending: upload is allowed only when it is draft, invalid, ready, rejected.`]);
    const draft = await create('u-2');
    const form = new FormData();
    form.append('file', new Blob([Uint8Array.from(writerBytes)]), 'x.xlsx');
    const noField = await fetch(`${sandbox.platformUrl}/usage/files/${draft}/upload`, { method: 'POST', headers: { authorization: `ApiKey ${sandbox.apiKey}` }, body: form });
    expect([noField.status, ((await noField.json()) as Json).errors]).toEqual([400, ['usage_file: This field is required (a multipart file part).']]);
    expect((await upload('UF-9', writerBytes)).status).toBe(404);
  });

  it('deletes a draft (a POST action) and refuses to delete an accepted file', async () => {
    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    const draft = await create('d-1');
    expect((await api('POST', `/usage/files/${draft}/delete`)).json).toMatchObject({ status: 'deleted', events: { deleted: {} } });
    const file = await judged('d-2', writerBytes, { product: { id: AUTO }, contract: { id: 'CRD-00000-00000-00002' } });
    await api('POST', `/usage/files/${file.id}/submit`);
    const refused = await api('POST', `/usage/files/${file.id}/delete`);
    expect([refused.status, refused.json.errors[0]]).toEqual([400, `Usage file ${file.id} is accepted: delete is allowed only when it is draft, invalid, ready, pending, rejected.`]);
    expect(sandbox.platform.state.usage.views().map((v) => v.status)).toEqual(['deleted', 'accepted']);
  });

  it('updates description, note and external id, and period and currency only while draft (PUT answers UsageFileUpdate)', async () => {
    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    const id = await create('e-1');
    const put = await api('PUT', `/usage/files/${id}`, { description: 'new', note: 'n2', external_id: 'e-1b', period: { from: '2026-09-01', to: '2026-09-30' }, currency: 'USD' });
    expect([put.status, put.json]).toEqual([200, { description: 'new', note: 'n2', external_id: 'e-1b' }]);
    expect(sandbox.platform.state.usage.views()[0]).toMatchObject({ description: 'new', note: 'n2', externalId: 'e-1b', periodFrom: '2026-09-01', periodTo: '2026-09-30', currency: 'USD' });
    const sept = recordsBook(DEFAULT_TEMPLATE_USAGE_COLUMNS, [record({ start_time_utc: '2026-09-01 00:00:00', end_time_utc: '2026-09-30 23:59:59' })]);
    expect((await upload(id, sept)).json.status).toBe('ready');
    const period = await api('PUT', `/usage/files/${id}`, { period: { from: '2026-10-01', to: '2026-10-31' } });
    expect([period.status, period.json.errors[0]]).toEqual([400, `Usage file ${id} is ready: period can change only while it is draft (the uploaded workbook was judged against it).`]);
    expect((await api('PUT', `/usage/files/${id}`, { description: 'ready now' })).json.description).toBe('ready now');
    await api('POST', `/usage/files/${id}/submit`);
    expect((await api('PUT', `/usage/files/${id}`, { description: 'late' })).status).toBe(400);
    expect(recorder.violations()).toEqual([]);
  });

  it('keeps the admin routes for the provider actions and the list of every file', async () => {
    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    const file = await judged('adm-1', writerBytes);
    await api('POST', `/usage/files/${file.id}/submit`);
    const origin = new URL(sandbox.platformUrl).origin;
    const accepted = await fetch(`${origin}/__sandbox/usage-files/${file.id}/accept`, { method: 'POST', body: JSON.stringify({ acceptance_note: 'ok' }) });
    expect(await accepted.json()).toMatchObject({ status: 'accepted', acceptance_note: 'ok' });
    const all = (await (await fetch(`${origin}/__sandbox/usage-files`)).json()) as Json[];
    expect(all.map((f) => [f.id, f.status])).toEqual([[file.id, 'accepted']]);
  });

  it('answers an injected fault, judged on the request only', async () => {
    await start();
    sandbox.platform.addFault({ method: 'POST', pathPrefix: '/usage/files', status: 503, times: 1 });
    expect((await api('POST', '/usage/files', createBody('f-1'))).status).toBe(503);
    expect((await api('POST', '/usage/files', createBody('f-1'))).status).toBe(201);
    expect(sandbox.platform.state.usage.views()).toHaveLength(1);
    expect(recorder.violations()).toEqual([]);
  });

  it('answers 400 to a malformed multipart body', async () => {
    await start();
    const id = await create('broken');
    const response = await fetch(`${sandbox.platformUrl}/usage/files/${id}/upload`, {
      method: 'POST',
      headers: { authorization: `ApiKey ${sandbox.apiKey}`, 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="usage_file"; filename="a.xlsx"\r\n\r\nno closing boundary',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error_code: 'VAL_001', errors: ['multipart part 1 has no closing boundary'] });
  });
});

describe('sandbox usage files: the list', () => {
  it('filters on product_id, product.id, product__id, external_id, status and name (quoted values too)', async () => {
    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    const v1 = await create('111111111111-2026-10-v1');
    const v2 = await create('111111111111-2026-10-v2', { name: 'AWS usage, October (v2)' });
    const other = await create('111111111111-2026-10-v1', { product: { id: AUTO }, contract: { id: 'CRD-00000-00000-00002' } });
    await upload(v2, writerBytes);
    const ids = async (query: string) => ((await api('GET', `/usage/files?${query}`)).json as Json[]).map((f) => f.id);
    expect(await ids(`product_id=${PRODUCT}`)).toEqual([v1, v2]);
    expect(await ids(`product.id=${PRODUCT}&external_id=111111111111-2026-10-v1`)).toEqual([v1]);
    expect(await ids(`eq(product__id,${AUTO})`)).toEqual([other]);
    expect(await ids(`and(eq(product_id,${PRODUCT}),eq(status,ready))`)).toEqual([v2]);
    expect(await ids('in(status,(draft,pending))&ordering(-created.at)')).toEqual([v1, other]);
    expect(await ids(`eq(name,${encodeURIComponent('"AWS usage, October (v2)"')})`)).toEqual([v2]);
    expect(await ids(`name=${encodeURIComponent('"AWS usage, October (v2)"')}`)).toEqual([v2]);
    expect(await ids('marketplace_id=MP-48301&limit=1&offset=2')).toEqual([other]);
    // The sandbox reads product__id as product.id, as it does on every list; the description documents only product.id and product_id.
    expect(recorder.violations()).toEqual(['GET /usage/files: query eq(product__id,...): product__id is not a filter of this list']);
  });
});

describe('sandbox usage files: the product usage template', () => {
  it('links the template outside the API path; the link serves an .xlsx with the seeded header, without the key', async () => {
    recorder = new ContractRecorder(contract);
    const columns = ['record_id', 'item_search_criteria', 'item_search_value', 'amount', 'quantity', 'start_time_utc', 'end_time_utc', 'asset_search_criteria', 'asset_search_value'];
    sandbox = await startSandbox({ seed: { ...SEED, products: [...(SEED.products ?? []), { id: 'PRD-000-000-006', usageTemplate: columns }] }, now: () => NOW, onExchange: recorder.onExchange });
    const answer = await api('GET', `/usage/products/${PRODUCT}/template`);
    const origin = new URL(sandbox.platformUrl).origin;
    expect(answer).toMatchObject({ status: 200, json: { template_link: `${origin}/media/usage-templates/${PRODUCT}.xlsx` } });
    const download = await fetch(answer.json.template_link);
    expect([download.status, download.headers.get('content-type')]).toEqual([200, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']);
    const book = XLSX.read(Buffer.from(await download.arrayBuffer()), { type: 'buffer' });
    expect(book.SheetNames).toEqual(['usage_records', 'categories']);
    const rows = (name: string) => XLSX.utils.sheet_to_json<string[]>(book.Sheets[name] as XLSX.WorkSheet, { header: 1 });
    expect(rows('usage_records')).toEqual([[...DEFAULT_TEMPLATE_USAGE_COLUMNS]]);
    expect(rows('categories')).toEqual([CATEGORY_HEADER]);

    const custom = await fetch((await api('GET', '/usage/products/PRD-000-000-006/template')).json.template_link);
    expect(XLSX.utils.sheet_to_json(XLSX.read(Buffer.from(await custom.arrayBuffer()), { type: 'buffer' }).Sheets.usage_records as XLSX.WorkSheet, { header: 1 })).toEqual([columns]);
    expect(recorder.violations()).toEqual([]);
  });

  it('answers 404 for a product without a template, not pay-per-use or unknown, and for a link of none', async () => {
    await start();
    expect((await api('GET', `/usage/products/${NO_TEMPLATE}/template`)).json).toEqual({ error_code: 'NTF_001', errors: [`Product ${NO_TEMPLATE} has no usage template.`] });
    expect((await api('GET', `/usage/products/${NO_PPU}/template`)).json.errors).toEqual([`Product ${NO_PPU} is not a pay-per-use product.`]);
    expect((await api('GET', '/usage/products/PRD-9/template')).status).toBe(404);
    const origin = new URL(sandbox.platformUrl).origin;
    expect((await fetch(`${origin}/media/usage-templates/${NO_TEMPLATE}.xlsx`)).status).toBe(404);
    expect((await fetch(`${origin}/media/usage-templates/${PRODUCT}.xlsx`, { method: 'POST' })).status).toBe(405);
  });
});

describe('sandbox usage files: the independent workbook reader', () => {
  const invalid = async (bytes: Uint8Array, over: Json = {}): Promise<string> => {
    const file = await judged(`w-${Math.random().toString(36).slice(2, 8)}`, bytes, over);
    expect(file.status).toBe('invalid');
    expect(file.error_detail.length).toBeLessThanOrEqual(ERROR_DETAIL_MAX);
    return file.error_detail as string;
  };

  it("reads our own writer's 18 columns and keeps them for tests (records by name, header, categories)", async () => {
    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    const file = await judged('own', writerBytes);
    expect(file.status).toBe('ready');
    const content = sandbox.platform.state.usageFileRecords(file.id);
    expect(content?.header).toEqual([...RECORD_HEADER]);
    expect(content?.records.map((r) => [r.record_id, r.amount, r.quantity, r.end_time_utc, r['v.marketplace_service']])).toEqual([
      ['r-1', '12.34', '1', '2026-10-31 23:59:59', 'false'],
      ['r-2', '100', '1', '2026-10-31 23:59:59', 'false'],
    ]);
    expect(content?.categories.map((c) => c.category_id)).toEqual(['aws_services', 'aws_support']);
    const [view] = sandbox.platform.state.usage.views();
    expect(Buffer.from(view?.bytes ?? []).equals(Buffer.from(writerBytes))).toBe(true);
  });

  it('finds columns by name: the template order (16 columns, no tier), a custom v.* column, a QT file without amount', async () => {
    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    expect((await judged('tpl', recordsBook(DEFAULT_TEMPLATE_USAGE_COLUMNS, [record()]))).status).toBe('ready');
    const shuffled = ['v.region', ...[...DEFAULT_TEMPLATE_USAGE_COLUMNS].reverse()];
    const file = await judged('shuffled', recordsBook(shuffled, [record({ 'v.region': 'eu-west-1' })]));
    expect(file.status).toBe('ready');
    expect(sandbox.platform.state.usageFileRecords(file.id)?.records[0]).toMatchObject({ amount: '12.5', 'v.region': 'eu-west-1', item_unit: 'unit' });
    const qtHeader = DEFAULT_TEMPLATE_USAGE_COLUMNS.filter((c) => c !== 'amount');
    expect((await judged('qt', recordsBook(qtHeader, [record()]), { product: { id: QT } })).status).toBe('ready');
  });

  it('names the required columns a PR file lacks, and a column that is not a usage record column', async () => {
    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    const header = DEFAULT_TEMPLATE_USAGE_COLUMNS.filter((c) => c !== 'amount' && c !== 'asset_search_value');
    expect(await invalid(recordsBook(header, [record()]))).toBe('usage_records: the header lacks amount, asset_search_value (required for schema pr)');
    expect(await invalid(recordsBook([...DEFAULT_TEMPLATE_USAGE_COLUMNS, 'colour'], [record({ colour: 'red' })]))).toBe(
      'usage_records: column 17 "colour" is not a usage record column (custom columns start with v.)',
    );
    expect(await invalid(recordsBook([...DEFAULT_TEMPLATE_USAGE_COLUMNS, 'amount'], [record()]))).toBe('usage_records: column "amount" appears twice (columns 5 and 17)');
  });

  it('judges each record: amount, quantity, times in the period, unique record ids, search values, categories', async () => {
    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    const h = DEFAULT_TEMPLATE_USAGE_COLUMNS;
    expect(await invalid(recordsBook(h, [record({ amount: 'twelve' }), record({ record_id: 'r-2', quantity: null })]))).toBe(
      'usage_records: record 1 (r-1): amount "twelve" is not a number; usage_records: record 2 (r-2): quantity is empty',
    );
    expect(await invalid(recordsBook(h, [record({ end_time_utc: '2026-11-01 00:00:00' })]))).toBe(
      "usage_records: record 1 (r-1): end_time_utc 2026-11-01 00:00:00 is outside the file's period 2026-10-01 00:00:00 .. 2026-10-31 23:59:59",
    );
    expect(await invalid(recordsBook(h, [record({ start_time_utc: '2026-10-01T00:00:00Z' })]))).toBe('usage_records: record 1 (r-1): start_time_utc "2026-10-01T00:00:00Z" is not YYYY-MM-DD hh:mm:ss');
    expect(await invalid(recordsBook(h, [record({ start_time_utc: '2026-10-20 00:00:00', end_time_utc: '2026-10-10 00:00:00' })]))).toBe(
      'usage_records: record 1 (r-1): start_time_utc 2026-10-20 00:00:00 is after end_time_utc 2026-10-10 00:00:00',
    );
    expect(await invalid(recordsBook(h, [record(), record({ record_id: 'r-1' })]))).toBe('usage_records: record 2 (r-1): record_id repeats record 1');
    expect(await invalid(recordsBook(h, [record({ asset_search_value: '' })]))).toBe('usage_records: record 1 (r-1): asset_search_value is empty');
    expect(await invalid(recordsBook(h, [record({ category_id: 'aws_other' })]))).toBe('usage_records: record 1 (r-1): category_id "aws_other" is not in the categories sheet');
  });

  it('refuses a formula cell, naming the record and column', async () => {
    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    const bytes = sheetJsBook({ usage_records: [[...DEFAULT_TEMPLATE_USAGE_COLUMNS], DEFAULT_TEMPLATE_USAGE_COLUMNS.map((c) => record()[c] ?? null)], categories: CATEGORIES }, (book) => {
      (book.Sheets.usage_records as XLSX.WorkSheet).E2 = { t: 'n', v: 25, f: 'F2*25' };
    });
    expect(await invalid(bytes)).toBe('usage_records: record 1 (r-1): amount is a formula (=F2*25); the platform takes values only');
    const exceljs = await exceljsBook({ usage_records: [[...RECORD_HEADER], ['r-1', 'EC2', 'item.mpn', 'AWS_USAGE', { formula: 'F2*2', result: 2 }, 1, '2026-10-01 00:00:00', '2026-10-31 23:59:59', 'parameter.aws_account_id', '2']], categories: CATEGORIES });
    expect(await invalid(exceljs)).toMatch(/^usage_records: record 1 \(r-1\): amount is a formula \(=F2\*2\)/);
  });

  it('reads date cells as YYYY-MM-DD hh:mm:ss', async () => {
    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    const row = [...RECORD_HEADER].map((c) => (c === 'start_time_utc' ? new Date(Date.UTC(2026, 9, 1)) : c === 'end_time_utc' ? new Date(Date.UTC(2026, 9, 31, 23, 59, 59)) : (record()[c] ?? '')));
    const file = await judged('dates', await exceljsBook({ usage_records: [[...RECORD_HEADER], row], categories: CATEGORIES }));
    expect(file.status).toBe('ready');
    expect(sandbox.platform.state.usageFileRecords(file.id)?.records[0]).toMatchObject({ start_time_utc: '2026-10-01 00:00:00', end_time_utc: '2026-10-31 23:59:59' });
  });

  it('needs both sheets by name, a category row, and an .xlsx', async () => {
    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    const rows = [[...DEFAULT_TEMPLATE_USAGE_COLUMNS], DEFAULT_TEMPLATE_USAGE_COLUMNS.map((c) => record()[c] ?? null)];
    expect(await invalid(sheetJsBook({ records: rows, categories: CATEGORIES }))).toMatch(/^workbook w-\w+\.xlsx has no sheet "usage_records" \(sheets: records, categories\)$/);
    expect(await invalid(sheetJsBook({ usage_records: rows }))).toMatch(/has no sheet "categories" \(sheets: usage_records\)$/);
    expect(await invalid(sheetJsBook({ usage_records: [rows[0] as unknown[]], categories: [CATEGORY_HEADER] }))).toBe('categories: the sheet has no category rows');
    expect(await invalid(new TextEncoder().encode('record_id,amount\nr-1,1\n'))).toMatch(/^cannot read workbook w-\w+\.xlsx: it is not an \.xlsx file \(no zip signature\)$/);
  });

  it('keeps error_detail within the 200 characters of the description, saying how many problems were left out', async () => {
    await start({ usageFiles: { uploadedPolls: 0, processingPolls: 0 } });
    const many = Array.from({ length: 12 }, (_, i) => record({ record_id: `r-${i + 1}`, amount: 'x' }));
    const detail = await invalid(recordsBook(DEFAULT_TEMPLATE_USAGE_COLUMNS, many));
    expect(detail).toBe('usage_records: record 1 (r-1): amount "x" is not a number; usage_records: record 2 (r-2): amount "x" is not a number; usage_records: record 3 (r-3): amount "x" is not a number (and 9 more)');
    expect(recorder.violations()).toEqual([]);
  });

  it('cuts a single problem longer than the limit (pure)', () => {
    expect(errorDetail([])).toBeUndefined();
    expect(errorDetail(['a'.repeat(300), 'b'], 50)).toBe(`${'a'.repeat(36)}… (and 1 more)`);
    expect(errorDetail(['a'.repeat(300)], 50)).toHaveLength(50);
  });
});

describe('sandbox usage files: the whole lifecycle against the description', () => {
  it('every answer of every usage route validates against the OpenAPI description', async () => {
    await start();
    const id = await create('c-1');
    await api('GET', `/usage/files/${id}`);
    await api('PUT', `/usage/files/${id}`, { description: 'd', note: 'n', external_id: 'c-1', period: { from: '2026-10-01', to: '2026-10-31' }, currency: 'EUR' });
    await upload(id, writerBytes);
    await verdict(id);
    await api('POST', `/usage/files/${id}/reprocess`);
    await verdict(id);
    await api('GET', `/usage/files?and(eq(product.id,${PRODUCT}),eq(external_id,c-1))`);
    await api('POST', `/usage/files/${id}/submit`);
    await api('POST', `/usage/files/${id}/reject`, { rejection_note: 'no' });
    await upload(id, recordsBook(DEFAULT_TEMPLATE_USAGE_COLUMNS, [record({ quantity: '' })]));
    const invalidFile = await verdict(id);
    expect(invalidFile.file.status).toBe('invalid');
    await upload(id, writerBytes);
    await verdict(id);
    await api('POST', `/usage/files/${id}/submit`);
    await api('POST', `/usage/files/${id}/accept`, { acceptance_note: 'yes' });
    await api('POST', `/usage/files/${id}/close`);
    const draft = await create('c-2', { currency: undefined });
    await api('POST', `/usage/files/${draft}/delete`);
    await api('GET', `/usage/products/${PRODUCT}/template`);
    await api('GET', `/products/${PRODUCT}`);
    await api('GET', '/usage/files?in(status,(closed,deleted))&ordering(created.at)&limit=10');

    // operations() names each call by the description's operation id.
    expect(recorder.operations().sort()).toEqual(
      [
        'GET dp_products_detail_retrieveProductVersion',
        'GET usage_products_get_product_template_file_getGet_product_template_fileProduct',
        'GET usage_usage_file_detail_retrieveUsageFile',
        'GET usage_usage_file_list_listUsageFiles',
        'POST usage_usage_file_accept_usage_file_postAccept_usage_fileUsageFile',
        'POST usage_usage_file_close_usage_file_postClose_usage_fileUsageFile',
        'POST usage_usage_file_delete_usage_file_postDelete_usage_fileUsageFile',
        'POST usage_usage_file_list_createUsageFile',
        'POST usage_usage_file_reject_usage_file_postReject_usage_fileUsageFile',
        'POST usage_usage_file_reprocess_processed_file_postReprocess_processed_fileUsageFile',
        'POST usage_usage_file_submit_usage_file_postSubmit_usage_fileUsageFile',
        'POST usage_usage_file_upload_usage_file_postUpload_usage_fileUsageFile',
        'PUT usage_usage_file_detail_updateUsageFile',
      ].sort(),
    );
    expect(recorder.exchanges.every((x) => x.status < 300)).toBe(true);
    expect(recorder.violations()).toEqual([]);
    expect(sandbox.platform.state.usage.views().map((v) => [v.externalId, v.status])).toEqual([
      ['c-1', 'closed'],
      ['c-2', 'deleted'],
    ]);
  });
});
