/**
 * CloudBlue's official JavaScript SDK (@cloudblueconnect/connect-javascript-sdk
 * v22) as a client of the sandbox's usage file side, every exchange judged by
 * Connect's OpenAPI description. v22 has no usage file resource, so the calls
 * go through the SDK's generic facility: `GenericResource` (its
 * `create`/`get`/`update`/`search`, and its `fetch` for the POST actions and
 * the multipart upload, with the SDK's own API key header, endpoint prefix,
 * RQL builder and `APIError`). Loopback only.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as XLSX from 'xlsx';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { DEFAULT_TEMPLATE_USAGE_COLUMNS, type SeedInput } from '../../src/sandbox/seed.js';
import { ConnectContract, ContractRecorder } from '../support/connect-contract.js';
import { SdkTally, type SdkApiError } from '../support/sdk-tally.js';

/** The parts of the SDK this test uses (it ships no types). */
interface SdkResponse {
  ok: boolean;
  status: number;
  json(): Promise<any>;
}
interface SdkClient {
  products: { get(id: string): Promise<any> };
}
interface SdkGenericResource {
  get(id: string): Promise<any>;
  create(body: object): Promise<any>;
  update(id: string, body: object): Promise<any>;
  search(filters: object): Promise<any[]>;
  fetch(url: string, options?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<SdkResponse>;
}

const require = createRequire(import.meta.url);
const sdk = require('@cloudblueconnect/connect-javascript-sdk') as {
  ConnectClient: new (endpoint: string, apiKey: string) => SdkClient;
};
const { GenericResource } = require('@cloudblueconnect/connect-javascript-sdk/lib/connect/api') as {
  GenericResource: new (client: SdkClient, baseUri: string) => SdkGenericResource;
};

const NOW = new Date('2026-11-02T10:00:00Z');
const PRODUCT = 'PRD-411-678-887';
const CONTRACT = 'CRD-00000-00000-00000';
const SEED: SeedInput = { apiKey: 'SU-1:secret', products: [{ id: PRODUCT }] };
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

let sandbox: Sandbox;
let recorder: ContractRecorder;
let client: SdkClient;
let files: SdkGenericResource;
let usageProducts: SdkGenericResource;
/** The records header of the product's template, as downloaded. */
let templateHeader: string[] = [];
const tally = new SdkTally();

const call = <T>(name: string, run: () => Promise<T>): Promise<T> => tally.call(name, run);
const refused = (name: string, run: () => Promise<unknown>): Promise<SdkApiError> => tally.refused(name, run);

/** A POST action through the SDK (`GenericResource.fetch`): the JSON answer. */
async function action(id: string, verb: string, body?: object): Promise<any> {
  return call(`POST /usage/files/{id}/${verb}`, async () => (await files.fetch(`/usage/files/${id}/${verb}`, { method: 'POST', ...(body ? { body } : {}) })).json());
}

/** The upload: one multipart part `usage_file`, built by hand (the SDK's node-fetch v2 takes a Buffer body). */
async function upload(id: string, bytes: Uint8Array, fileName: string): Promise<any> {
  const boundary = `----sandbox${id}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="usage_file"; filename="${fileName}"\r\nContent-Type: ${XLSX_TYPE}\r\n\r\n`);
  const body = Buffer.concat([head, Buffer.from(bytes), Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return call('POST /usage/files/{id}/upload', async () => (await files.fetch(`/usage/files/${id}/upload`, { method: 'POST', body, headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } })).json());
}

/** GETs through the SDK until the file leaves the waiting statuses: the statuses seen. */
async function poll(id: string): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < 10 && !['ready', 'invalid'].includes(seen.at(-1) ?? ''); i++) seen.push((await call('GET /usage/files/{id}', () => files.get(id))).status);
  return seen;
}

/** A usage workbook built with SheetJS, the columns in the template's order, filled by header name. */
function workbook(records: Array<Record<string, string | number>>): Uint8Array {
  const book = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet([templateHeader, ...records.map((r) => templateHeader.map((h) => r[h] ?? ''))]), 'usage_records');
  XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet([['category_id', 'category_name', 'category_description'], ['aws_services', 'AWS services', 'Usage']]), 'categories');
  return new Uint8Array(XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer);
}

const usageRecord = (id: string, over: Record<string, string | number> = {}): Record<string, string | number> => ({
  record_id: id,
  record_note: 'Amazon EC2',
  item_search_criteria: 'item.mpn',
  item_search_value: 'AWS_USAGE',
  amount: 123.45,
  quantity: 1,
  start_time_utc: '2026-10-01 00:00:00',
  end_time_utc: '2026-10-31 23:59:59',
  asset_search_criteria: 'parameter.aws_account_id',
  asset_search_value: '222222222222',
  item_mpn: 'AWS_USAGE',
  category_id: 'aws_services',
  ...over,
});

const newFile = (externalId: string): object => ({
  name: `AWS usage ${externalId}`,
  description: 'AWS usage of one payer',
  note: 'sdk',
  period: { from: '2026-10-01', to: '2026-10-31' },
  product: { id: PRODUCT },
  contract: { id: CONTRACT },
  external_id: externalId,
});

/** Creates a file and uploads a valid workbook, polled to `ready`: its id. */
async function readyFile(externalId: string): Promise<string> {
  const { id } = await call('POST /usage/files', () => files.create(newFile(externalId)));
  await upload(id, workbook([usageRecord(`${externalId}-1`)]), `${externalId}.xlsx`);
  expect((await poll(id)).at(-1)).toBe('ready');
  return id as string;
}

const statusOf = (id: string): string | undefined => sandbox.platform.state.usage.views().find((v) => v.id === id)?.status;

beforeAll(async () => {
  recorder = new ContractRecorder(await ConnectContract.load());
  sandbox = await startSandbox({ seed: SEED, now: () => NOW, onExchange: recorder.onExchange });
  // The SDK sends its key as the whole Authorization header.
  client = new sdk.ConnectClient(sandbox.platformUrl, `ApiKey ${sandbox.apiKey}`);
  files = new GenericResource(client, '/usage/files');
  usageProducts = new GenericResource(client, '/usage/products');
});
afterAll(async () => {
  await sandbox.close();
});

describe('the official JavaScript SDK against the sandbox usage files', () => {
  it("gets the product and its usage template, whose link serves the template's header without the key", async () => {
    const product = await call('GET /products/{id}', () => client.products.get(PRODUCT));
    expect(product.capabilities.ppu.schema).toBe('PR');
    const template = await call('GET /usage/products/{id}/template', () => usageProducts.get(`${PRODUCT}/template`));
    expect(template.template_link).toBe(`${new URL(sandbox.platformUrl).origin}/media/usage-templates/${PRODUCT}.xlsx`);
    const download = await fetch(template.template_link);
    const book = XLSX.read(Buffer.from(await download.arrayBuffer()), { type: 'buffer' });
    templateHeader = (XLSX.utils.sheet_to_json<string[]>(book.Sheets.usage_records as XLSX.WorkSheet, { header: 1 })[0] ?? []).map(String);
    expect(templateHeader).toEqual([...DEFAULT_TEMPLATE_USAGE_COLUMNS]);
    expect(recorder.violations()).toEqual([]);
  });

  it('creates a file without a currency (UsageFileCreate: plain ids, no status) and gets it as a draft', async () => {
    const created = await call('POST /usage/files', () => files.create(newFile('sdk-create')));
    expect(created).toMatchObject({ product_id: PRODUCT, marketplace: 'MP-48301', distribution_contract: CONTRACT, currency: 'EUR', schema: 'pr', external_id: 'sdk-create' });
    expect(created).not.toHaveProperty('status');
    const detail = await call('GET /usage/files/{id}', () => files.get(created.id));
    expect(detail).toMatchObject({ id: created.id, status: 'draft', product: { id: PRODUCT }, contract: { id: CONTRACT }, marketplace: { id: 'MP-48301' } });
    expect(statusOf(created.id)).toBe('draft');
    expect(recorder.violations()).toEqual([]);
  });

  it('uploads a workbook in the template order, sees uploaded, processing, ready, and submits it to pending', async () => {
    const { id } = await call('POST /usage/files', () => files.create(newFile('sdk-upload')));
    const answer = await upload(id, workbook([usageRecord('u-1'), usageRecord('u-2', { amount: 10 })]), 'sdk-upload.xlsx');
    expect(answer.status).toBe('uploading');
    expect(await poll(id)).toEqual(['uploaded', 'processing', 'ready']);
    expect(sandbox.platform.state.usageFileRecords(id)?.records.map((r) => [r.record_id, r.amount])).toEqual([
      ['u-1', '123.45'],
      ['u-2', '10'],
    ]);
    expect((await action(id, 'submit')).status).toBe('pending');
    expect(statusOf(id)).toBe('pending');
    expect(recorder.violations()).toEqual([]);
  });

  it('searches by product and status, by product_id, by a status list and by a quoted name', async () => {
    const ready = await readyFile('sdk-search');
    const ids = (found: any[]) => found.map((f) => f.id);
    const byProductAndStatus = await call('GET /usage/files', () => files.search({ 'product.id': PRODUCT, status: 'ready' }));
    expect(ids(byProductAndStatus)).toEqual([ready]);
    const everyOfProduct = await call('GET /usage/files', () => files.search({ product_id: PRODUCT, $ordering: ['-id'], limit: 100 }));
    expect(ids(everyOfProduct)[0]).toBe(ready);
    expect(everyOfProduct.length).toBe(sandbox.platform.state.usage.views().length);
    const listed = await call('GET /usage/files', () => files.search({ status: { $in: ['ready', 'pending'] } }));
    expect(listed.map((f) => f.status).sort()).toEqual(['pending', 'ready']);
    const byName = await call('GET /usage/files', () => files.search({ name: 'AWS usage sdk-search', external_id: 'sdk-search' }));
    expect(ids(byName)).toEqual([ready]);
    expect(recorder.exchanges.at(-1)?.query).toMatch(/^name=(%22|")AWS(%20| )usage(%20| )sdk-search(%22|")&external_id=sdk-search$/);
    expect(recorder.violations()).toEqual([]);
  });

  it('lets the provider accept and close a submitted file', async () => {
    const id = await readyFile('sdk-accept');
    await action(id, 'submit');
    expect(await action(id, 'accept', { acceptance_note: 'billed next cycle' })).toMatchObject({ status: 'accepted', acceptance_note: 'billed next cycle' });
    expect((await action(id, 'close')).status).toBe('closed');
    expect(sandbox.platform.state.usage.views().find((v) => v.id === id)).toMatchObject({ status: 'closed', acceptanceNote: 'billed next cycle' });
    expect(recorder.violations()).toEqual([]);
  });

  it('lets the provider reject; the vendor re-uploads, is found invalid, fixes it, and reprocesses', async () => {
    const id = await readyFile('sdk-reject');
    await action(id, 'submit');
    expect(await action(id, 'reject', { rejection_note: 'November usage inside' })).toMatchObject({ status: 'rejected', rejection_note: 'November usage inside' });
    await upload(id, workbook([usageRecord('x-1', { end_time_utc: '2026-11-01 00:00:00' })]), 'sdk-reject.xlsx');
    expect((await poll(id)).at(-1)).toBe('invalid');
    expect((await call('GET /usage/files/{id}', () => files.get(id))).error_detail).toBe(
      "usage_records: record 1 (x-1): end_time_utc 2026-11-01 00:00:00 is outside the file's period 2026-10-01 00:00:00 .. 2026-10-31 23:59:59",
    );
    await upload(id, workbook([usageRecord('x-1')]), 'sdk-reject.xlsx');
    expect((await poll(id)).at(-1)).toBe('ready');
    expect((await action(id, 'reprocess')).status).toBe('processing');
    expect(await poll(id)).toEqual(['processing', 'ready']);
    expect(statusOf(id)).toBe('ready');
    expect(recorder.violations()).toEqual([]);
  });

  it('updates a draft (PUT) and deletes it with the POST action', async () => {
    const { id } = await call('POST /usage/files', () => files.create(newFile('sdk-delete')));
    expect(await call('PUT /usage/files/{id}', () => files.update(id, { description: 'replaced', note: 'n', external_id: 'sdk-delete-2', currency: 'USD' }))).toEqual({
      description: 'replaced',
      note: 'n',
      external_id: 'sdk-delete-2',
    });
    expect(sandbox.platform.state.usage.views().find((v) => v.id === id)).toMatchObject({ externalId: 'sdk-delete-2', currency: 'USD', description: 'replaced' });
    expect((await action(id, 'delete')).status).toBe('deleted');
    expect(statusOf(id)).toBe('deleted');
    expect(recorder.violations()).toEqual([]);
  });

  it("comes back as the SDK's APIError with the platform's code when an action does not fit the status", async () => {
    const { id } = await call('POST /usage/files', () => files.create(newFile('sdk-refused')));
    const error = await refused('POST /usage/files/{id}/accept (refused)', () => files.fetch(`/usage/files/${id}/accept`, { method: 'POST', body: {} }));
    expect([error.status, error.errorCode, error.errors]).toEqual([400, 'UF_002', [`Usage file ${id} is draft: accept is allowed only when it is pending.`]]);
    expect(statusOf(id)).toBe('draft');
    expect(recorder.violations()).toEqual([]);
  });

  it('ran every SDK call with the outcome expected', () => {
    expect(tally.passed).toBe(tally.run);
    expect(tally.run).toBeGreaterThanOrEqual(40);
    console.info(`official SDK usage calls: ${tally.passed}/${tally.run} passed (${new Set(tally.calls).size} kinds: ${[...new Set(tally.calls)].join(', ')})`);
    expect(recorder.exchanges.length).toBe(tally.run);
  });
});
