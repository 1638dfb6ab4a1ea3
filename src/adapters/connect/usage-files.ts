/**
 * `UsageFilesPort` over CloudBlue Connect's REST API (CONNECT.md "Usage files"):
 * the product's usage schema, finding, creating, uploading, submitting and
 * deleting usage files, the product's usage template. Transport, retries and paging live in `ConnectHttpClient`
 * (a 4xx other than 429 is never retried, so neither is a refused upload);
 * answer shapes in usage-schemas.ts.
 */
import type { NewUsageFile, UsageFile, UsageFilesPort } from '../../app/usage/ports.js';
import { ConnectorError } from '../../domain/errors.js';
import { ConnectHttpClient, type HttpClientOptions, path, PlatformCallError, rqlValue } from './http-client.js';
import { parseJson, parseResponse } from './schemas.js';
import { templateHeader } from './usage-template.js';
import { productUsageSchemaSchema, usageFileCreatedSchema, usageFileSchema, usageTemplateSchema } from './usage-schemas.js';

/** The content type of the uploaded workbook part. */
export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The multipart field the platform reads the workbook from. */
export const USAGE_FILE_FIELD = 'usage_file';

/** The body of `POST /usage/files` (the description's request body; `currency` is optional there and always sent here). */
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

/** Statuses a file reaches once its upload was taken. */
const UPLOAD_TAKEN = (status: string): boolean => status !== 'draft';
/** Statuses a file reaches once submitted. */
const SUBMIT_TAKEN = new Set(['pending', 'accepted', 'closed', 'rejected']);

/**
 * The usage file client. Built from the same `HttpClientOptions` as
 * `ConnectPlatform` (`apiUrl`, `apiKey`, `timeoutMs` 30000 per attempt, which
 * also bounds an upload, `retries` 3, ...) or around an existing `ConnectHttpClient`.
 * Creating, uploading, submitting and deleting are never sent twice: after a
 * timeout or a 5xx the platform is asked first (see `ConnectHttpClient.requestOnce`).
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

  /**
   * The records header of the product's own usage template: `GET
   * /usage/products/{id}/template` → `template_link`, the workbook behind it, the
   * first row of its `usage_records` sheet. Undefined when the product has no
   * template (404, or no link). A template that cannot be read is a
   * PLATFORM_RESPONSE naming the product, never silently replaced by the
   * built-in header.
   */
  async usageTemplateColumns(productId: string, signal: AbortSignal): Promise<string[] | undefined> {
    const url = path`/usage/products/${productId}/template`;
    let body: unknown;
    try {
      body = await this.http.getJson(url, signal);
    } catch (error) {
      if (error instanceof ConnectorError && error.cause instanceof PlatformCallError && error.cause.status === 404) return undefined;
      throw error;
    }
    const link = parseResponse(usageTemplateSchema, body, `GET ${url}`);
    if (link === undefined) return undefined;
    const bytes = await this.http.download(link, signal);
    return templateHeader(bytes, `the usage template of product ${productId}`);
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

  /**
   * `POST /usage/files` with `createBody(file)`. The platform answers 201 in the
   * `UsageFileCreate` shape (plain ids, no status): its id is read, then the
   * file is read with a GET. Never creates two files: before a resend, the file
   * is looked for by its `external_id`.
   */
  async create(file: NewUsageFile, signal: AbortSignal): Promise<UsageFile> {
    const made = async (s: AbortSignal): Promise<UsageFile | undefined> => (await this.findByExternalId(file.productId, file.externalId, s)).find((f) => f.externalId === file.externalId && f.status !== 'deleted');
    return this.http.requestOnce('POST', '/usage/files', signal, createBody(file), made, async (response) => {
      const created = parseResponse(usageFileCreatedSchema, parseJson(response.text, 'POST /usage/files'), 'POST /usage/files');
      return this.get(created.id, signal);
    });
  }

  /**
   * `POST /usage/files/{id}/upload`, multipart/form-data with one part: field
   * `usage_file`, filename `fileName` (the caller passes `<external_id>.xlsx`),
   * content type `XLSX_CONTENT_TYPE`, the workbook's bytes. Any 2xx (200 in the
   * description, 201 also seen) is success; the file comes from the answer, or
   * from a GET when the answer has no body. Not sent again once the file has
   * left `draft`.
   */
  async upload(fileId: string, workbook: Uint8Array, fileName: string, signal: AbortSignal): Promise<UsageFile> {
    const url = path`/usage/files/${fileId}/upload`;
    const form = new FormData();
    // A copy: a Blob takes only ArrayBuffer-backed views, and retries resend the same bytes.
    form.append(USAGE_FILE_FIELD, new Blob([Uint8Array.from(workbook)], { type: XLSX_CONTENT_TYPE }), fileName);
    return this.postForFile(url, form, signal, fileId, (f) => UPLOAD_TAKEN(f.status));
  }

  /** `POST /usage/files/{id}/submit` (no body): `ready` → `pending` (or `accepted` by the provider's rules). Not sent again once submitted. */
  async submit(fileId: string, signal: AbortSignal): Promise<UsageFile> {
    return this.postForFile(path`/usage/files/${fileId}/submit`, undefined, signal, fileId, (f) => SUBMIT_TAKEN.has(f.status));
  }

  /** `POST /usage/files/{id}/delete` (no body; a POST action, not HTTP DELETE). Not sent again once deleted. */
  async delete(fileId: string, signal: AbortSignal): Promise<void> {
    await this.postForFile(path`/usage/files/${fileId}/delete`, undefined, signal, fileId, (f) => f.status === 'deleted');
  }

  /**
   * POSTs `body` (JSON, FormData as multipart, or none) about a known file and
   * reads the usage file the platform answers with (a GET when the answer is
   * empty). `taken` tells from the file whether an earlier attempt already did it.
   */
  private async postForFile(url: string, body: unknown, signal: AbortSignal, fileId: string, taken: (file: UsageFile) => boolean): Promise<UsageFile> {
    const settled = async (s: AbortSignal): Promise<UsageFile | undefined> => {
      const file = await this.get(fileId, s);
      return taken(file) ? file : undefined;
    };
    return this.http.requestOnce('POST', url, signal, body, settled, async (response) => {
      const parsed = parseJson(response.text, `POST ${url}`);
      return parsed === undefined ? this.get(fileId, signal) : parseFile(parsed, `POST ${url}`);
    });
  }
}
