import ExcelJS from 'exceljs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectUsageFiles } from '../../src/adapters/connect/usage-files.js';
import { ExcelWorkbookWriter, RECORD_HEADER } from '../../src/adapters/workbook/usage-workbook.writer.js';
import type { NewUsageFile } from '../../src/app/usage/ports.js';
import type { UsageWorkbook } from '../../src/app/ports.js';
import { ConnectorError } from '../../src/domain/errors.js';
import { startPlatformServer, type PlatformServer } from '../../src/sandbox/platform.server.js';
import { PlatformState } from '../../src/sandbox/platform.state.js';
import { parseSeed, type SeedInput } from '../../src/sandbox/seed.js';

const NOW = new Date('2026-11-02T10:00:00Z');
const PRODUCT = 'PRD-411-678-887';
const AUTO = 'PRD-000-000-002';
const SEED: SeedInput = {
  apiKey: 'SU-1:secret',
  products: [
    { id: PRODUCT },
    { id: AUTO, autoAccept: true, contractId: 'CRD-00000-00000-00002' },
    { id: 'PRD-000-000-003', usageSchema: 'QT' },
    { id: 'PRD-000-000-004', usageSchema: null },
  ],
};

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

const newFile = (externalId: string, productId = PRODUCT, contractId = 'CRD-00000-00000-00000'): NewUsageFile => ({
  name: `AWS usage ${externalId}`,
  description: 'AWS usage',
  periodFrom: '2026-10-01',
  periodTo: '2026-10-31',
  currency: 'USD',
  productId,
  contractId,
  externalId,
});

const signal = (): AbortSignal => new AbortController().signal;
let dir: string;
let validBytes: Uint8Array;
let server: PlatformServer;
let client: ConnectUsageFiles;

/** A workbook made with exceljs directly: `sheets` by name, each a list of rows. */
async function customWorkbook(sheets: Record<string, (string | number | null)[][]>): Promise<Uint8Array> {
  const book = new ExcelJS.Workbook();
  for (const [name, rows] of Object.entries(sheets)) book.addWorksheet(name).addRows(rows);
  return new Uint8Array(await book.xlsx.writeBuffer());
}

async function start(processingPolls?: number): Promise<void> {
  const state = new PlatformState(parseSeed(SEED), () => NOW, processingPolls === undefined ? {} : { processingPolls });
  server = await startPlatformServer(state);
  client = new ConnectUsageFiles({ apiUrl: server.url, apiKey: 'SU-1:secret', sleep: async () => undefined, random: () => 0 });
}

async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

async function admin(path: string, body: unknown = {}): Promise<{ status: number; json: any }> {
  const response = await fetch(`${new URL(server.url).origin}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

/** Creates and uploads `bytes`, then polls once: the file as the client then sees it. */
async function uploaded(externalId: string, bytes: Uint8Array, productId = PRODUCT, contractId?: string) {
  const created = await client.create(newFile(externalId, productId, contractId), signal());
  await client.upload(created.id, bytes, `${externalId}.xlsx`, signal());
  return client.get(created.id, signal());
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'usage-files-test-'));
  await new ExcelWorkbookWriter().write(join(dir, 'valid.xlsx'), WORKBOOK);
  validBytes = new Uint8Array(await readFile(join(dir, 'valid.xlsx')));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await server.close();
});

describe('sandbox usage files: the lifecycle through the real client', () => {
  it('gives each product its usage schema (PR by default, none when the seed says null)', async () => {
    await start();
    await expect(client.productUsageSchema(PRODUCT, signal())).resolves.toBe('PR');
    await expect(client.productUsageSchema('PRD-000-000-003', signal())).resolves.toBe('QT');
    await expect(client.productUsageSchema('PRD-000-000-004', signal())).resolves.toBeUndefined();
  });

  it('takes a file from draft through upload to ready, then submit makes it pending', async () => {
    await start();
    const created = await client.create(newFile('111111111111-2026-10-v1'), signal());
    expect(created).toMatchObject({ status: 'draft', schema: 'PR', externalId: '111111111111-2026-10-v1', contractId: 'CRD-00000-00000-00000', periodFrom: '2026-10-01' });

    const upload = await client.upload(created.id, validBytes, '111111111111-2026-10-v1.xlsx', signal());
    expect(upload.status).toBe('uploading');
    const ready = await client.get(created.id, signal());
    expect(ready.status).toBe('ready');
    expect(ready).not.toHaveProperty('errorDetail');
    await expect(client.submit(created.id, signal())).resolves.toMatchObject({ status: 'pending' });

    const [stored] = server.state.usageFiles();
    expect(stored).toMatchObject({ id: created.id, status: 'pending', externalId: '111111111111-2026-10-v1', fileName: '111111111111-2026-10-v1.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
    expect(Buffer.from(stored?.bytes ?? []).equals(Buffer.from(validBytes))).toBe(true);
    const content = server.state.usageFileRecords(created.id);
    expect(content?.header).toEqual([...RECORD_HEADER]);
    expect(content?.records.map((r) => [r.record_id, r.amount, r.quantity])).toEqual([
      ['r-1', '12.34', '1'],
      ['r-2', '100', '1'],
    ]);
  });

  it('keeps the file processing until the processingPolls-th GET', async () => {
    await start(2);
    const created = await client.create(newFile('p-1'), signal());
    await client.upload(created.id, validBytes, 'p-1.xlsx', signal());
    await expect(client.get(created.id, signal())).resolves.toMatchObject({ status: 'processing' });
    await expect(client.get(created.id, signal())).resolves.toMatchObject({ status: 'ready' });
  });

  it('accepts a submitted file at once when the product auto-accepts', async () => {
    await start();
    const ready = await uploaded('auto-1', validBytes, AUTO, 'CRD-00000-00000-00002');
    expect(ready.status).toBe('ready');
    await expect(client.submit(ready.id, signal())).resolves.toMatchObject({ status: 'accepted' });
  });

  it('finds files by product and external id only', async () => {
    await start();
    const wanted = await client.create(newFile('111111111111-2026-10-v1'), signal());
    await client.create(newFile('111111111111-2026-10-v2'), signal());
    await client.create(newFile('111111111111-2026-10-v1', AUTO, 'CRD-00000-00000-00002'), signal());
    const found = await client.findByExternalId(PRODUCT, '111111111111-2026-10-v1', signal());
    expect(found.map((f) => f.id)).toEqual([wanted.id]);
  });
});

describe('sandbox usage files: invalid workbooks', () => {
  it('finds a workbook without a categories sheet invalid and says why', async () => {
    await start();
    const bytes = await customWorkbook({ usage_records: [[...RECORD_HEADER], ['r-1', 'EC2', 'item.mpn', 'AWS_USAGE', 1.5, 1]] });
    const file = await uploaded('no-categories', bytes);
    expect(file.status).toBe('invalid');
    expect(file.errorDetail).toBe('workbook no-categories.xlsx has no sheet "categories" (sheets: usage_records)');
  });

  it('names a record whose amount is not a number or whose quantity is empty', async () => {
    await start();
    const bytes = await customWorkbook({
      usage_records: [[...RECORD_HEADER], ['r-1', 'EC2', 'item.mpn', 'AWS_USAGE', 'twelve', 1], ['r-2', 'S3', 'item.mpn', 'AWS_USAGE', 3, null, '2026-10-01 00:00:00']],
      categories: [['category_id', 'category_name', 'category_description'], ['aws_services', 'AWS', '']],
    });
    const file = await uploaded('bad-amount', bytes);
    expect(file.status).toBe('invalid');
    expect(file.errorDetail).toBe('usage_records: record 1 (r-1): amount "twelve" is not a number; usage_records: record 2 (r-2): quantity is empty');
  });

  it('finds a header out of order invalid', async () => {
    await start();
    const header: string[] = [...RECORD_HEADER];
    header.splice(4, 2, 'quantity', 'amount');
    const bytes = await customWorkbook({ usage_records: [header], categories: [['category_id', 'category_name', 'category_description'], ['c', 'C', '']] });
    const file = await uploaded('bad-header', bytes);
    expect(file.errorDetail).toMatch(/^usage_records: column 5 is "quantity", expected "amount"/);
  });

  it('finds bytes that are not an xlsx invalid', async () => {
    await start();
    const file = await uploaded('not-xlsx', new TextEncoder().encode('record_id,amount\nr-1,1\n'));
    expect(file.status).toBe('invalid');
    expect(file.errorDetail).toBe('cannot read workbook not-xlsx.xlsx');
  });
});

describe('sandbox usage files: refusals, provider actions and faults', () => {
  it('refuses to delete an accepted file and deletes a draft one', async () => {
    await start();
    const ready = await uploaded('accepted-1', validBytes);
    await client.submit(ready.id, signal());
    expect((await admin(`/__sandbox/usage-files/${ready.id}/accept`, { acceptance_note: 'ok' })).json).toMatchObject({ status: 'accepted', acceptance_note: 'ok' });

    const error = await failure(client.delete(ready.id, signal()));
    expect(error.code).toBe('PLATFORM_HTTP');
    expect(error.message).toMatch(new RegExp(`^POST /usage/files/${ready.id}/delete: HTTP 400 UF_002: Usage file ${ready.id} is accepted`));

    const draft = await client.create(newFile('draft-1'), signal());
    await client.delete(draft.id, signal());
    await expect(client.get(draft.id, signal())).resolves.toMatchObject({ status: 'deleted' });
  });

  it('lets the provider reject a pending file and close an accepted one', async () => {
    await start();
    const first = await uploaded('r-1', validBytes);
    await client.submit(first.id, signal());
    expect((await admin(`/__sandbox/usage-files/${first.id}/reject`, { rejection_note: 'wrong period' })).json).toMatchObject({ status: 'rejected', rejection_note: 'wrong period' });
    const second = await uploaded('c-1', validBytes);
    await client.submit(second.id, signal());
    await admin(`/__sandbox/usage-files/${second.id}/accept`);
    expect((await admin(`/__sandbox/usage-files/${second.id}/close`)).json).toMatchObject({ status: 'closed' });
    expect((await admin(`/__sandbox/usage-files/${second.id}/close`)).status).toBe(400);
    const listed = (await (await fetch(`${new URL(server.url).origin}/__sandbox/usage-files`)).json()) as Array<{ id: string; status: string }>;
    expect(listed.map((f) => [f.id, f.status])).toEqual([
      [first.id, 'rejected'],
      [second.id, 'closed'],
    ]);
  });

  it('refuses a second upload once the file left draft, without a retry', async () => {
    await start();
    const ready = await uploaded('twice', validBytes);
    server.resetStats();
    const error = await failure(client.upload(ready.id, validBytes, 'twice.xlsx', signal()));
    expect(error.message).toMatch(/HTTP 400 UF_002: .* is ready: upload is allowed only when it is draft/);
    expect(server.stats().calls['POST /usage/files/{id}/upload']).toBe(1);
  });

  it('refuses a file naming another contract than the product', async () => {
    await start();
    const error = await failure(client.create(newFile('x', PRODUCT, 'CRD-99999-99999-99999'), signal()));
    expect(error.message).toBe('POST /usage/files: HTTP 400 VAL_001: contract.id: CRD-99999-99999-99999 is not the contract of product PRD-411-678-887.');
  });

  it('answers an injected fault on the usage file routes, which the client retries', async () => {
    await start();
    server.addFault({ method: 'POST', pathPrefix: '/usage/files', status: 503, times: 1 });
    await expect(client.create(newFile('fault-1'), signal())).resolves.toMatchObject({ status: 'draft' });
    expect(server.stats().calls['POST /usage/files']).toBe(2);
    expect(server.state.usageFiles()).toHaveLength(1);
  });

  it('answers 400 to a malformed multipart body', async () => {
    await start();
    const draft = await client.create(newFile('broken'), signal());
    const response = await fetch(`${server.url}/usage/files/${draft.id}/upload`, {
      method: 'POST',
      headers: { authorization: 'ApiKey SU-1:secret', 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="usage_file"; filename="a.xlsx"\r\n\r\nno closing boundary',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error_code: 'VAL_001', errors: ['multipart part 1 has no closing boundary'] });
  });
});
