/**
 * `UsageFilesPort` over CloudBlue Connect's REST API (CONNECT.md "Usage files"):
 * the product's usage schema, finding, creating, uploading, submitting and
 * deleting usage files. Transport, retries and paging live in `ConnectHttpClient`
 * (a 4xx other than 429 is never retried, so neither is a refused upload);
 * answer shapes in usage-schemas.ts.
 */
import type { NewUsageFile, UsageFile, UsageFilesPort } from '../../app/usage/ports.js';
import { ConnectHttpClient, type HttpClientOptions, path, rqlValue } from './http-client.js';
import { parseJson, parseResponse } from './schemas.js';
import { productUsageSchemaSchema, usageFileSchema } from './usage-schemas.js';

/** The content type of the uploaded workbook part. */
export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The multipart field the platform reads the workbook from. */
export const USAGE_FILE_FIELD = 'usage_file';

/** The body of `POST /usage/files`. */
export interface UsageFileCreateBody {
  name: string;
  description: string;
  note: string;
  period: { from: string; to: string };
  currency: string;
  product: { id: string };
  contract: { id: string };
  external_id: string;
}

/** A `NewUsageFile` as the platform's create body; an absent `note` is sent as ''. */
export function createBody(file: NewUsageFile): UsageFileCreateBody {
  return {
    name: file.name,
    description: file.description,
    note: file.note ?? '',
    period: { from: file.periodFrom, to: file.periodTo },
    currency: file.currency,
    product: { id: file.productId },
    contract: { id: file.contractId },
    external_id: file.externalId,
  };
}

const parseFile = (item: unknown, what: string): UsageFile => parseResponse(usageFileSchema, item, what);

/**
 * The usage file client. Built from the same `HttpClientOptions` as
 * `ConnectPlatform` (`apiUrl`, `apiKey`, `timeoutMs` 30000 per attempt, which
 * also bounds an upload, `retries` 3, ...) or around an existing `ConnectHttpClient`.
 */
export class ConnectUsageFiles implements UsageFilesPort {
  private readonly http: ConnectHttpClient;

  constructor(options: HttpClientOptions | ConnectHttpClient) {
    this.http = options instanceof ConnectHttpClient ? options : new ConnectHttpClient(options);
  }

  /** `GET /products/{id}`: `capabilities.ppu.schema` upper-cased, undefined when the product has none. */
  async productUsageSchema(productId: string, signal: AbortSignal): Promise<string | undefined> {
    const url = path`/products/${productId}`;
    return parseResponse(productUsageSchemaSchema, await this.http.getJson(url, signal), `GET ${url}`);
  }

  /** `GET /usage/files?and(eq(product.id,...),eq(external_id,...))`, all pages, in the platform's order. */
  async findByExternalId(productId: string, externalId: string, signal: AbortSignal): Promise<UsageFile[]> {
    const filter = `and(eq(product.id,${rqlValue(productId)}),eq(external_id,${rqlValue(externalId)}))`;
    return this.http.listAll('/usage/files', [filter], parseFile, signal);
  }

  async get(fileId: string, signal: AbortSignal): Promise<UsageFile> {
    const url = path`/usage/files/${fileId}`;
    return parseFile(await this.http.getJson(url, signal), `GET ${url}`);
  }

  /** `POST /usage/files` with `createBody(file)`; the platform answers 201 with the file in `draft`. */
  async create(file: NewUsageFile, signal: AbortSignal): Promise<UsageFile> {
    return this.postForFile('/usage/files', createBody(file), signal);
  }

  /**
   * `POST /usage/files/{id}/upload`, multipart/form-data with one part: field
   * `usage_file`, filename `fileName` (the caller passes `<external_id>.xlsx`),
   * content type `XLSX_CONTENT_TYPE`, the workbook's bytes. Any 2xx (201, 200
   * also seen) is success; the file comes from the answer, or from a GET when
   * the answer has no body.
   */
  async upload(fileId: string, workbook: Uint8Array, fileName: string, signal: AbortSignal): Promise<UsageFile> {
    const url = path`/usage/files/${fileId}/upload`;
    const form = new FormData();
    // A copy: a Blob takes only ArrayBuffer-backed views, and retries resend the same bytes.
    form.append(USAGE_FILE_FIELD, new Blob([Uint8Array.from(workbook)], { type: XLSX_CONTENT_TYPE }), fileName);
    return this.postForFile(url, form, signal, fileId);
  }

  /** `POST /usage/files/{id}/submit` (body `{}`): `ready` → `pending` (or `accepted` by the provider's rules). */
  async submit(fileId: string, signal: AbortSignal): Promise<UsageFile> {
    return this.postForFile(path`/usage/files/${fileId}/submit`, {}, signal, fileId);
  }

  /** `POST /usage/files/{id}/delete` (body `{}`; a POST action, not HTTP DELETE). */
  async delete(fileId: string, signal: AbortSignal): Promise<void> {
    await this.http.send('POST', path`/usage/files/${fileId}/delete`, {}, signal);
  }

  /**
   * POSTs `body` (JSON, or FormData as multipart) and reads the usage file the
   * platform answers with; an empty answer about a known `fileId` is read back
   * with a GET (an empty answer to a create is a PLATFORM_RESPONSE).
   */
  private async postForFile(url: string, body: unknown, signal: AbortSignal, fileId?: string): Promise<UsageFile> {
    const response = await this.http.request('POST', url, signal, body);
    const parsed = parseJson(response.text, `POST ${url}`);
    if (parsed === undefined && fileId !== undefined) return this.get(fileId, signal);
    return parseFile(parsed, `POST ${url}`);
  }
}
