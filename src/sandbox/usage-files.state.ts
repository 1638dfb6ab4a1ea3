/**
 * The sandbox platform's usage files (CONNECT.md "Usage files"): products'
 * usage schema and contract, and each file through its lifecycle:
 *
 * create → `draft`; upload (draft only) → answers `uploading`, then the file is
 * `processing` until the `processingPolls`-th `GET /usage/files/{id}`, which
 * finds it `ready` (valid workbook) or `invalid` with `error_detail`; submit:
 * `ready` → `pending`, or `accepted` at once when the product's seed says
 * `autoAccept`; the provider accepts or rejects `pending` and closes `accepted`;
 * delete: draft, invalid, ready, pending or rejected → `deleted` (accepted and
 * closed files are refused). Failures are values (`Outcome`), never exceptions.
 */
import type { UsageWorkbookContent } from '../adapters/workbook/usage-workbook.reader.js';
import type { MultipartPart } from './multipart.util.js';
import { ok, problem, type Outcome } from './platform.lifecycle.js';
import type { ProductSeed } from './seed.schema.js';
import { checkWorkbook, type WorkbookVerdict } from './usage-files.check.js';

/** A usage file as the API gives it (trimmed to what the sandbox tracks; unknown to clients beyond CONNECT.md). */
export interface ConnectUsageFile {
  id: string;
  name: string;
  description: string;
  note: string;
  external_id: string;
  status: string;
  /** Lower case, as the platform writes it (`pr`). */
  schema: string;
  currency: string;
  period: { from: string; to: string };
  product: { id: string; name: string };
  contract: { id: string };
  marketplace: { id: string };
  error_detail: string;
  acceptance_note: string;
  rejection_note: string;
  stats: { records: number };
  events: Record<string, { at: string }>;
}

/** A usage file as tests see it: the API object's key fields and what was uploaded. */
export interface UsageFileView {
  id: string;
  status: string;
  externalId: string;
  productId: string;
  name: string;
  errorDetail: string;
  /** The uploaded part's file name, content type and bytes (a copy), once uploaded. */
  fileName?: string;
  contentType?: string;
  bytes?: Uint8Array;
}

/** Sandbox knobs of the usage file lifecycle. */
export interface UsageFilesOptions {
  /** `GET /usage/files/{id}` calls until processing ends: the N-th sees `ready`/`invalid` (default 1; 0: the upload answers it). */
  processingPolls?: number;
}

interface Stored {
  file: ConnectUsageFile;
  upload?: { fileName: string; contentType: string; bytes: Buffer };
  verdict?: WorkbookVerdict;
  pollsLeft: number;
}

type Body = Record<string, unknown>;

/** The statuses each action may start from. */
const ALLOWED_FROM: Record<string, readonly string[]> = {
  upload: ['draft'],
  submit: ['ready'],
  accept: ['pending'],
  reject: ['pending'],
  close: ['accepted'],
  delete: ['draft', 'invalid', 'ready', 'pending', 'rejected'],
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function text(body: Body, key: string, required: boolean): Outcome<string> {
  const value = body[key];
  if (value === undefined || value === null) return required ? problem(400, 'VAL_001', `${key}: This field is required.`) : ok('');
  if (typeof value !== 'string' || (required && value.trim() === '')) return problem(400, 'VAL_001', `${key}: must be ${required ? 'a non-empty' : 'a'} string.`);
  return ok(value);
}

function idOf(body: Body, key: string): string | undefined {
  const value = body[key];
  const id = value !== null && typeof value === 'object' ? (value as Body).id : undefined;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** Usage files and the products they belong to. `stamp` gives the platform's current time text. */
export class UsageFilesState {
  private readonly products = new Map<string, ProductSeed>();
  private readonly files = new Map<string, Stored>();
  private readonly processingPolls: number;

  constructor(
    products: readonly ProductSeed[],
    private readonly stamp: () => string,
    options: UsageFilesOptions = {},
  ) {
    for (const p of products) this.products.set(p.id, p);
    this.processingPolls = Math.max(0, options.processingPolls ?? 1);
  }

  /** `GET /products/{id}`: the product with `capabilities.ppu.schema` (no `ppu` when the seed's `usageSchema` is null). */
  product(id: string): Outcome<Record<string, unknown>> {
    const p = this.products.get(id);
    if (!p) return problem(404, 'NTF_001', `Product ${id} not found.`);
    const ppu = p.usageSchema === null ? null : { schema: p.usageSchema, dynamic: false, future: false };
    return ok({ id: p.id, name: p.name, status: 'published', capabilities: { ppu, cart: { single: false } } });
  }

  /** Every usage file, in creation order (the objects themselves: the list helper copies). */
  all(): ConnectUsageFile[] {
    return [...this.files.values()].map((s) => s.file);
  }

  /** `GET /usage/files/{id}`: counts a poll of a `processing` file and ends processing on the last one. */
  get(id: string): Outcome<ConnectUsageFile> {
    const stored = this.files.get(id);
    if (!stored) return problem(404, 'NTF_001', `Usage file ${id} not found.`);
    if (stored.file.status === 'processing') {
      stored.pollsLeft -= 1;
      if (stored.pollsLeft <= 0) this.finishProcessing(stored);
    }
    return ok(structuredClone(stored.file));
  }

  /** `POST /usage/files`: `{name, description?, note?, period:{from,to}, currency, product:{id}, contract:{id}, external_id?}` → `draft`. */
  create(body: Body): Outcome<ConnectUsageFile> {
    const name = text(body, 'name', true);
    if (!name.ok) return name;
    const fields: Record<string, string> = {};
    for (const key of ['description', 'note', 'external_id'] as const) {
      const value = text(body, key, false);
      if (!value.ok) return value;
      fields[key] = value.value;
    }
    const currency = text(body, 'currency', true);
    if (!currency.ok) return currency;
    const period = (body.period ?? {}) as Body;
    const from = period.from;
    const to = period.to;
    if (typeof from !== 'string' || !DAY.test(from) || typeof to !== 'string' || !DAY.test(to) || from > to) {
      return problem(400, 'VAL_001', 'period: must be {"from":"YYYY-MM-DD","to":"YYYY-MM-DD"} with from not after to.');
    }
    const productId = idOf(body, 'product');
    const product = productId === undefined ? undefined : this.products.get(productId);
    if (!product) return problem(400, 'VAL_001', `product.id: ${productId === undefined ? 'This field is required.' : `product ${productId} not found.`}`);
    if (product.usageSchema === null) return problem(400, 'UF_001', `Product ${product.id} is not a pay-per-use product.`);
    const contractId = idOf(body, 'contract');
    if (contractId !== product.contractId) return problem(400, 'VAL_001', `contract.id: ${contractId ?? '(missing)'} is not the contract of product ${product.id}.`);
    const id = this.nextId();
    const at = this.stamp();
    const file: ConnectUsageFile = {
      id,
      name: name.value,
      description: fields.description ?? '',
      note: fields.note ?? '',
      external_id: fields.external_id ?? '',
      status: 'draft',
      schema: product.usageSchema.toLowerCase(),
      currency: currency.value,
      period: { from, to },
      product: { id: product.id, name: product.name },
      contract: { id: contractId },
      marketplace: { id: 'MP-48301' },
      error_detail: '',
      acceptance_note: '',
      rejection_note: '',
      stats: { records: 0 },
      events: { created: { at } },
    };
    this.files.set(id, { file, pollsLeft: 0 });
    return ok(structuredClone(file));
  }

  /** `POST /usage/files/{id}/upload`: the multipart field `usage_file`; answers `uploading` (see `processingPolls`). */
  async upload(id: string, parts: readonly MultipartPart[]): Promise<Outcome<ConnectUsageFile>> {
    const found = this.check(id, 'upload');
    if (!found.ok) return found;
    const part = parts.find((p) => p.name === 'usage_file');
    if (!part || part.fileName === undefined) return problem(400, 'VAL_001', 'usage_file: This field is required (a multipart file part).');
    const stored = found.value;
    stored.upload = { fileName: part.fileName, contentType: part.contentType ?? '', bytes: Buffer.from(part.data) };
    stored.file.status = 'uploading';
    stored.file.events.uploaded = { at: this.stamp() };
    stored.verdict = await checkWorkbook(part.data, part.fileName);
    stored.file.stats.records = stored.verdict.content?.records.length ?? 0;
    const answer = structuredClone(stored.file);
    stored.file.status = 'processing';
    stored.pollsLeft = this.processingPolls;
    if (this.processingPolls === 0) {
      this.finishProcessing(stored);
      return ok(structuredClone(stored.file));
    }
    return ok(answer);
  }

  /** `POST /usage/files/{id}/submit`: `ready` → `pending`, or `accepted` when the product auto-accepts. */
  submit(id: string): Outcome<ConnectUsageFile> {
    return this.act(id, 'submit', (s) => (this.products.get(s.file.product.id)?.autoAccept ? 'accepted' : 'pending'));
  }

  /** The provider accepts a `pending` file (`{acceptance_note?}`). */
  accept(id: string, body: Body): Outcome<ConnectUsageFile> {
    return this.act(id, 'accept', (s) => ((s.file.acceptance_note = typeof body.acceptance_note === 'string' ? body.acceptance_note : ''), 'accepted'));
  }

  /** The provider rejects a `pending` file (`{rejection_note?}`). */
  reject(id: string, body: Body): Outcome<ConnectUsageFile> {
    return this.act(id, 'reject', (s) => ((s.file.rejection_note = typeof body.rejection_note === 'string' ? body.rejection_note : ''), 'rejected'));
  }

  /** The provider closes an `accepted` file after billing. */
  close(id: string): Outcome<ConnectUsageFile> {
    return this.act(id, 'close', () => 'closed');
  }

  /** `POST /usage/files/{id}/delete`: → `deleted`; refused for accepted and closed files. */
  delete(id: string): Outcome<ConnectUsageFile> {
    return this.act(id, 'delete', () => 'deleted');
  }

  /** For tests: every file with its status, external id and uploaded bytes (copies). */
  views(): UsageFileView[] {
    return [...this.files.values()].map(({ file, upload }) => ({
      id: file.id,
      status: file.status,
      externalId: file.external_id,
      productId: file.product.id,
      name: file.name,
      errorDetail: file.error_detail,
      ...(upload ? { fileName: upload.fileName, contentType: upload.contentType, bytes: new Uint8Array(upload.bytes) } : {}),
    }));
  }

  /** For tests: the uploaded workbook as read by the sandbox, or undefined (no upload, or unreadable). */
  records(id: string): UsageWorkbookContent | undefined {
    const content = this.files.get(id)?.verdict?.content;
    return content && structuredClone(content);
  }

  private finishProcessing(stored: Stored): void {
    const detail = stored.verdict?.errorDetail;
    stored.file.status = detail === undefined ? 'ready' : 'invalid';
    stored.file.error_detail = detail ?? '';
    stored.file.events[stored.file.status] = { at: this.stamp() };
  }

  private check(id: string, action: string): Outcome<Stored> {
    const stored = this.files.get(id);
    if (!stored) return problem(404, 'NTF_001', `Usage file ${id} not found.`);
    const allowed = ALLOWED_FROM[action] ?? [];
    if (!allowed.includes(stored.file.status)) {
      return problem(400, 'UF_002', `Usage file ${id} is ${stored.file.status}: ${action} is allowed only when it is ${allowed.join(', ')}.`);
    }
    return ok(stored);
  }

  private act(id: string, action: string, change: (s: Stored) => string): Outcome<ConnectUsageFile> {
    const found = this.check(id, action);
    if (!found.ok) return found;
    const status = change(found.value);
    found.value.file.status = status;
    found.value.file.events[status] = { at: this.stamp() };
    return ok(structuredClone(found.value.file));
  }

  /** `UF-<year>-<month>-<nnnn>-<nnnn>` from the platform clock and a counter. */
  private nextId(): string {
    const digits = String(this.files.size + 1).padStart(8, '0');
    return `UF-${this.stamp().slice(0, 7)}-${digits.slice(0, 4)}-${digits.slice(4)}`;
  }
}
