import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectHttpClient } from '../../../src/adapters/connect/http-client.js';
import { ConnectUsageFiles, XLSX_CONTENT_TYPE } from '../../../src/adapters/connect/usage-files.js';
import type { NewUsageFile } from '../../../src/app/usage/ports.js';
import { API_KEY, HOST, type Received, answer, failure, signal, testOptions } from './connect-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

const V1 = '/public/v1';
const FILE_ID = 'UF-2026-11-0000-0001';

function usageFiles(overrides: Parameters<typeof testOptions>[0] = {}) {
  const made = testOptions(overrides);
  return { ...made, files: new ConnectUsageFiles(made.options) };
}

/** A usage file as the platform answers it, with fields the connector does not read. */
function fileBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: FILE_ID,
    name: 'AWS usage 2026-10 payer 111111111111',
    description: 'AWS usage',
    external_id: '111111111111-2026-10-v1',
    status: 'draft',
    schema: 'pr',
    currency: 'USD',
    period: { from: '2026-10-01', to: '2026-10-31' },
    product: { id: 'PRD-411-678-887', name: 'AWS' },
    contract: { id: 'CRD-00000-00000-00000' },
    marketplace: { id: 'MP-48301' },
    error_detail: null,
    stats: { uploaded: 0 },
    events: { created: { at: '2026-11-02T10:00:00+00:00' } },
    ...overrides,
  };
}

const NEW_FILE: NewUsageFile = {
  name: 'AWS usage 2026-10 payer 111111111111',
  description: 'AWS usage',
  note: 'version 1',
  periodFrom: '2026-10-01',
  periodTo: '2026-10-31',
  currency: 'USD',
  productId: 'PRD-411-678-887',
  contractId: 'CRD-00000-00000-00000',
  externalId: '111111111111-2026-10-v1',
};

/** What an upload sent: headers and the raw body bytes (nock hands binary bodies over as hex). */
interface Upload {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function recordUpload(log: Upload[], status: number, body: unknown) {
  return function (this: nock.ReplyFnContext, _uri: string, requestBody: nock.Body): nock.ReplyFnResult {
    const raw = typeof requestBody === 'string' ? requestBody : JSON.stringify(requestBody);
    log.push({ path: this.req.path, headers: this.req.headers, body: /^[0-9a-f]*$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'utf8') });
    return [status, typeof body === 'string' ? body : JSON.stringify(body), { 'Content-Type': 'application/json' }];
  };
}

/** Bytes that are not UTF-8 and hold a CRLF and dashes, as a zip may. */
const WORKBOOK = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0xff, 0xfe, 0x00, 0x0d, 0x0a, 0x2d, 0x2d, 0x41, 0x80]);

describe('ConnectUsageFiles.productUsageSchema()', () => {
  it('reads capabilities.ppu.schema from GET /products/{id}', async () => {
    nock(HOST).get(`${V1}/products/PRD-411-678-887`).reply(200, { id: 'PRD-411-678-887', name: 'AWS', capabilities: { ppu: { schema: 'PR', dynamic: false } } });
    await expect(usageFiles().files.productUsageSchema('PRD-411-678-887', signal())).resolves.toBe('PR');
  });

  it('answers undefined for a product without the pay-per-use capability', async () => {
    nock(HOST).get(`${V1}/products/PRD-1`).reply(200, { id: 'PRD-1', capabilities: { ppu: null } });
    await expect(usageFiles().files.productUsageSchema('PRD-1', signal())).resolves.toBeUndefined();
  });
});

describe('ConnectUsageFiles reads', () => {
  it('finds files by product and external id with an RQL filter, across pages', async () => {
    const log: Received[] = [];
    nock(HOST)
      .get((uri) => uri.startsWith(`${V1}/usage/files?`))
      .reply(answer(log, 200, [fileBody({ status: 'invalid', error_detail: 'bad amount' })], { 'Content-Range': 'items 0-0/2' }))
      .get((uri) => uri.startsWith(`${V1}/usage/files?`))
      .reply(answer(log, 200, [fileBody({ id: 'UF-2', status: 'draft' })], { 'Content-Range': 'items 1-1/2' }));
    const { files } = usageFiles({ pageSize: 1 });

    const found = await files.findByExternalId('PRD-411-678-887', '111111111111-2026-10-v1', signal());

    expect(log.map((r) => r.path)).toEqual([
      `${V1}/usage/files?and(eq(product.id,PRD-411-678-887),eq(external_id,111111111111-2026-10-v1))&limit=1&offset=0`,
      `${V1}/usage/files?and(eq(product.id,PRD-411-678-887),eq(external_id,111111111111-2026-10-v1))&limit=1&offset=1`,
    ]);
    expect(found.map((f) => [f.id, f.status, f.errorDetail])).toEqual([
      [FILE_ID, 'invalid', 'bad amount'],
      ['UF-2', 'draft', undefined],
    ]);
  });

  it('maps a usage file to the port type, upper-casing the schema and ignoring unknown fields', async () => {
    nock(HOST).get(`${V1}/usage/files/${FILE_ID}`).reply(200, fileBody());
    await expect(usageFiles().files.get(FILE_ID, signal())).resolves.toEqual({
      id: FILE_ID,
      name: 'AWS usage 2026-10 payer 111111111111',
      externalId: '111111111111-2026-10-v1',
      status: 'draft',
      schema: 'PR',
      currency: 'USD',
      periodFrom: '2026-10-01',
      periodTo: '2026-10-31',
      productId: 'PRD-411-678-887',
      contractId: 'CRD-00000-00000-00000',
    });
  });

  it('reports a malformed usage file as PLATFORM_RESPONSE naming the field', async () => {
    nock(HOST).get(`${V1}/usage/files/${FILE_ID}`).reply(200, fileBody({ product: { name: 'AWS' } }));
    const error = await failure(usageFiles().files.get(FILE_ID, signal()));
    expect(error.code).toBe('PLATFORM_RESPONSE');
    expect(error.message).toBe(`GET /usage/files/${FILE_ID}: product.id is missing`);
  });
});

/** The answer to a create, in the description's `usage.UsageFileCreate` shape: plain ids, no status, no product object. */
function createdBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: FILE_ID,
    name: 'AWS usage 2026-10 payer 111111111111',
    external_id: '111111111111-2026-10-v1',
    product_id: 'PRD-411-678-887',
    product_name: 'AWS',
    marketplace: 'MP-48301',
    distribution_contract: 'CRD-00000-00000-00000',
    schema: 'pr',
    currency: 'USD',
    ...overrides,
  };
}

const FIND = `${V1}/usage/files`;
const byExternalId = (query: Record<string, unknown>): boolean => Object.keys(query).some((k) => k.includes('external_id,111111111111-2026-10-v1'));

describe('ConnectUsageFiles.create()', () => {
  it('POSTs the file with period, product, contract and external id, reads the id of the 201 answer and GETs the file', async () => {
    const log: Received[] = [];
    const scope = nock(HOST)
      .post(`${V1}/usage/files`).reply(answer(log, 201, createdBody()))
      .get(`${V1}/usage/files/${FILE_ID}`).reply(200, fileBody());

    const created = await usageFiles().files.create(NEW_FILE, signal());

    scope.done();
    expect(created).toMatchObject({ id: FILE_ID, status: 'draft', productId: 'PRD-411-678-887', externalId: '111111111111-2026-10-v1' });
    expect(log[0]?.headers.authorization).toBe(`ApiKey ${API_KEY}`);
    expect(log[0]?.headers['content-type']).toMatch(/^application\/json/);
    expect(log[0]?.body).toEqual({
      name: 'AWS usage 2026-10 payer 111111111111',
      description: 'AWS usage',
      note: 'version 1',
      period: { from: '2026-10-01', to: '2026-10-31' },
      currency: 'USD',
      product: { id: 'PRD-411-678-887' },
      contract: { id: 'CRD-00000-00000-00000' },
      external_id: '111111111111-2026-10-v1',
    });
  });

  it('after a 500, looks for the file by external id, finds none and sends the same body again', async () => {
    const log: Received[] = [];
    const scope = nock(HOST)
      .post(`${V1}/usage/files`).reply(answer(log, 500, { error_code: 'SYS_001', errors: ['boom'] }))
      .get(FIND).query(byExternalId).reply(200, [], { 'Content-Range': 'items 0-0/0' })
      .post(`${V1}/usage/files`).reply(answer(log, 201, createdBody()))
      .get(`${V1}/usage/files/${FILE_ID}`).reply(200, fileBody());
    const { files, retries } = usageFiles();

    await expect(files.create(NEW_FILE, signal())).resolves.toMatchObject({ id: FILE_ID });

    scope.done();
    expect(log).toHaveLength(2);
    expect(log[1]?.body).toEqual(log[0]?.body);
    expect(retries.map((r) => r.reason)).toEqual(['POST /usage/files: HTTP 500 SYS_001: boom']);
  });

  it('when the answer is lost (a gateway timeout after the platform created the file), finds it by external id and never creates a second one', async () => {
    // One POST interceptor only: a second create would find no match and fail the test.
    const scope = nock(HOST)
      .post(`${V1}/usage/files`).reply(504, 'gateway timeout')
      .get(FIND).query(byExternalId).reply(200, [fileBody()], { 'Content-Range': 'items 0-0/1' });
    const { files, retries } = usageFiles();

    await expect(files.create(NEW_FILE, signal())).resolves.toMatchObject({ id: FILE_ID, status: 'draft' });

    scope.done();
    expect(retries.map((r) => r.reason)).toEqual(['POST /usage/files: HTTP 504']);
  });

  it('reports an empty answer to a create as PLATFORM_RESPONSE', async () => {
    nock(HOST).post(`${V1}/usage/files`).reply(201, '');
    const error = await failure(usageFiles().files.create(NEW_FILE, signal()));
    expect(error.code).toBe('PLATFORM_RESPONSE');
    expect(error.message).toBe('POST /usage/files: the body is empty');
  });
});

describe('ConnectUsageFiles.upload()', () => {
  it('sends one multipart part: field usage_file, the file name, the xlsx content type and the bytes', async () => {
    const log: Upload[] = [];
    nock(HOST).post(`${V1}/usage/files/${FILE_ID}/upload`).reply(recordUpload(log, 201, fileBody({ status: 'uploading' })));

    const file = await usageFiles().files.upload(FILE_ID, WORKBOOK, '111111111111-2026-10-v1.xlsx', signal());

    expect(file.status).toBe('uploading');
    const sent = log[0];
    expect(sent?.headers.authorization).toBe(`ApiKey ${API_KEY}`);
    const boundary = /^multipart\/form-data; boundary=(.+)$/.exec(String(sent?.headers['content-type']))?.[1];
    expect(boundary).toBeDefined();
    const expected = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="usage_file"; filename="111111111111-2026-10-v1.xlsx"\r\n`),
      Buffer.from(`Content-Type: ${XLSX_CONTENT_TYPE}\r\n\r\n`),
      WORKBOOK,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    expect(sent?.body.equals(expected)).toBe(true);
    expect(XLSX_CONTENT_TYPE).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  });

  it('accepts a 200 as well as a 201', async () => {
    nock(HOST).post(`${V1}/usage/files/${FILE_ID}/upload`).reply(200, fileBody({ status: 'processing' }));
    await expect(usageFiles().files.upload(FILE_ID, WORKBOOK, 'f.xlsx', signal())).resolves.toMatchObject({ status: 'processing' });
  });

  it('reads the file back with a GET when the upload answer has no body', async () => {
    nock(HOST).post(`${V1}/usage/files/${FILE_ID}/upload`).reply(201, '').get(`${V1}/usage/files/${FILE_ID}`).reply(200, fileBody({ status: 'processing' }));
    await expect(usageFiles().files.upload(FILE_ID, WORKBOOK, 'f.xlsx', signal())).resolves.toMatchObject({ status: 'processing' });
  });

  it('does not retry an upload refused with a 400', async () => {
    const log: Upload[] = [];
    nock(HOST)
      .post(`${V1}/usage/files/${FILE_ID}/upload`).reply(recordUpload(log, 400, { error_code: 'UF_002', errors: ['Usage file is ready.'] }))
      .post(`${V1}/usage/files/${FILE_ID}/upload`).reply(recordUpload(log, 201, fileBody()));
    const { files, retries } = usageFiles();

    const error = await failure(files.upload(FILE_ID, WORKBOOK, 'f.xlsx', signal()));

    expect(error.code).toBe('PLATFORM_HTTP');
    expect(error.message).toBe(`POST /usage/files/${FILE_ID}/upload: HTTP 400 UF_002: Usage file is ready.`);
    expect(log).toHaveLength(1);
    expect(retries).toEqual([]);
  });

  it('after a 503, finds the file still draft and resends the same bytes', async () => {
    const log: Upload[] = [];
    const scope = nock(HOST)
      .post(`${V1}/usage/files/${FILE_ID}/upload`).reply(recordUpload(log, 503, 'busy'))
      .get(`${V1}/usage/files/${FILE_ID}`).reply(200, fileBody({ status: 'draft' }))
      .post(`${V1}/usage/files/${FILE_ID}/upload`).reply(recordUpload(log, 200, fileBody({ status: 'uploaded' })));

    await expect(usageFiles().files.upload(FILE_ID, WORKBOOK, 'f.xlsx', signal())).resolves.toMatchObject({ status: 'uploaded' });

    scope.done();
    expect(log).toHaveLength(2);
    const payload = (u: Upload | undefined) => u?.body.subarray(u.body.indexOf('\r\n\r\n') + 4, u.body.lastIndexOf('\r\n--'));
    expect(payload(log[0])?.equals(Buffer.from(WORKBOOK))).toBe(true);
    expect(payload(log[1])?.equals(Buffer.from(WORKBOOK))).toBe(true);
  });
});

describe('ConnectUsageFiles actions', () => {
  it('submits with POST /usage/files/{id}/submit and no body (the description gives none)', async () => {
    const log: Received[] = [];
    nock(HOST).post(`${V1}/usage/files/${FILE_ID}/submit`).reply(answer(log, 200, fileBody({ status: 'pending' })));
    await expect(usageFiles().files.submit(FILE_ID, signal())).resolves.toMatchObject({ status: 'pending' });
    expect(log[0]?.body).toBeUndefined();
  });

  it('after a lost submit answer, finds the file pending and does not submit again', async () => {
    const log: Received[] = [];
    const scope = nock(HOST)
      .post(`${V1}/usage/files/${FILE_ID}/submit`).reply(answer(log, 502, 'bad gateway'))
      .get(`${V1}/usage/files/${FILE_ID}`).reply(200, fileBody({ status: 'pending' }));
    await expect(usageFiles().files.submit(FILE_ID, signal())).resolves.toMatchObject({ status: 'pending' });
    scope.done();
    expect(log).toHaveLength(1);
  });

  it('when the upload answer is lost (a gateway timeout after the platform took it), finds the file uploaded and does not upload again', async () => {
    // One POST interceptor only: a second upload would find no match and fail the test.
    const scope = nock(HOST)
      .post(`${V1}/usage/files/${FILE_ID}/upload`).reply(504, 'gateway timeout')
      .get(`${V1}/usage/files/${FILE_ID}`).reply(200, fileBody({ status: 'uploaded' }));
    await expect(usageFiles().files.upload(FILE_ID, WORKBOOK, 'f.xlsx', signal())).resolves.toMatchObject({ status: 'uploaded' });
    scope.done();
  });

  it('deletes with POST /usage/files/{id}/delete, not HTTP DELETE', async () => {
    const log: Received[] = [];
    const scope = nock(HOST).post(`${V1}/usage/files/${FILE_ID}/delete`).reply(answer(log, 200, fileBody({ status: 'deleted' })));
    await usageFiles().files.delete(FILE_ID, signal());
    scope.done();
    expect(log[0]?.method).toBe('POST');
    expect(log[0]?.body).toBeUndefined();
  });

  it('works over a shared ConnectHttpClient and URL-encodes ids', async () => {
    nock(HOST).get(`${V1}/usage/files/UF%201%2F2`).reply(200, fileBody({ id: 'UF 1/2' }));
    const files = new ConnectUsageFiles(new ConnectHttpClient(testOptions().options));
    await expect(files.get('UF 1/2', signal())).resolves.toMatchObject({ id: 'UF 1/2' });
  });
});
