/**
 * The sandbox platform's usage files (CONNECT.md "Usage files"), answering in
 * the shapes of Connect's OpenAPI description (v37): `POST /usage/files` gives
 * `usage.UsageFileCreate` (plain ids, no status), `GET` gives
 * `usage.UsageFileDetail`, the list `usage.UsageFileList`, `PUT`
 * `usage.UsageFileUpdate`. The statuses are the description's enum.
 *
 * The description says nothing about transitions (every operation's text is
 * the same generic sentence), so they follow CloudBlue's own usage file
 * workflow (github.com/cloudblue/connect-workflows, usage-files) where it has
 * one, and a provider portal's habits where it has none:
 *
 * - create → `draft`;
 * - upload (from `draft`, and re-upload from `invalid`, `ready` or `rejected`,
 *   as the workflow allows) → the answer shows `uploading`; then the next
 *   `uploadedPolls` `GET /usage/files/{id}` see `uploaded`, the next
 *   `processingPolls` see `processing`, and the one after finds the verdict:
 *   `ready` (valid workbook) or `invalid` with `error_detail`. With both at 0
 *   the upload answers the verdict at once;
 * - reprocess (a *processed* file: `ready` or `invalid`, as the operation id
 *   `reprocess_processed_file` says) → `processing`, the stored workbook judged
 *   again, seen by `processingPolls` GETs (0: the answer has the verdict);
 * - submit: `ready` → `pending`, or `accepted` at once when the product's seed
 *   says `autoAccept` (the provider's usage rules);
 * - accept `{acceptance_note?}` / reject `{rejection_note?}`: `pending` →
 *   `accepted` / `rejected` (the notes are optional: the description requires neither);
 * - close: `accepted` → `closed` (the provider, after billing);
 * - delete (a POST action): `draft`, `invalid`, `ready`, `pending` or
 *   `rejected` → `deleted`; accepted and closed files are never deleted;
 * - update (`PUT`): while the vendor still holds the file (`draft`,
 *   `invalid`, `ready`, `rejected`): `description`, `note`, `external_id`;
 *   `period` and `currency` only while `draft`, since an uploaded workbook was
 *   judged against them.
 *
 * Failures are values (`Outcome`), never exceptions.
 */
import type { MultipartPart } from './multipart.util.js';
import { ok, problem, type Outcome } from './platform.lifecycle.js';
import type { MarketplaceSeed, ProductSeed } from './seed.schema.js';
import { checkWorkbook, type WorkbookContent, type WorkbookVerdict } from './usage-files.check.js';
import { templateLink } from './usage-template.js';

/** An account reference (`usage.ReferenceAccount`). */
export interface AccountRef {
  id: string;
  name: string;
}

/** The `events` the description names (`usage.UsageEvents` each). */
export type UsageFileEvent = 'created' | 'uploaded' | 'submitted' | 'accepted' | 'closed' | 'rejected' | 'deleted';

/** A usage file as `GET /usage/files/{id}` gives it (`usage.UsageFileDetail`). */
export interface ConnectUsageFile {
  id: string;
  name: string;
  external_id: string;
  status: string;
  vendor: AccountRef;
  provider: AccountRef;
  environment: 'production';
  marketplace: AccountRef;
  contract: { id: string };
  product: AccountRef;
  error_detail: string;
  description: string;
  acceptance_note: string;
  rejection_note: string;
  /** Lower case, as the platform writes it (`pr`). */
  schema: string;
  currency: string;
  period: { from: string; to: string };
  stats: { uploaded: number; validated: number; pending: number; accepted: number; closed: number; billed: number };
  events: Partial<Record<UsageFileEvent, { at: string }>>;
  records: { valid: number; invalid: number; closed: number };
}

/** A usage file as tests see it: the API object's key fields and what was uploaded. */
export interface UsageFileView {
  id: string;
  status: string;
  externalId: string;
  productId: string;
  name: string;
  errorDetail: string;
  description: string;
  note: string;
  currency: string;
  periodFrom: string;
  periodTo: string;
  marketplaceId: string;
  acceptanceNote: string;
  rejectionNote: string;
  /** The uploaded part's file name, content type and bytes (a copy), once uploaded. */
  fileName?: string;
  contentType?: string;
  bytes?: Uint8Array;
}

/** Sandbox knobs of the usage file lifecycle; 0 means "at once". */
export interface UsageFilesOptions {
  /** `GET /usage/files/{id}` calls after an upload that see `uploaded` (default 1). */
  uploadedPolls?: number;
  /** Then the `GET /usage/files/{id}` calls that see `processing` (default 1); the next one finds `ready`/`invalid`. */
  processingPolls?: number;
}

/** The vendor and provider of every sandbox usage file. */
export const SANDBOX_VENDOR: AccountRef = { id: 'VA-000-000', name: 'Sandbox vendor' };
export const SANDBOX_PROVIDER: AccountRef = { id: 'PA-000-000', name: 'Sandbox provider' };

interface Stored {
  file: ConnectUsageFile;
  /** The vendor's internal note (in create and update bodies, not in the detail shape). */
  note: string;
  upload?: { fileName: string; contentType: string; bytes: Buffer };
  verdict?: WorkbookVerdict;
  /** The statuses the next `GET`s show before the verdict. */
  waits: string[];
}

type Body = Record<string, unknown>;

/** The statuses each action may start from. */
const ALLOWED_FROM: Record<string, readonly string[]> = {
  upload: ['draft', 'invalid', 'ready', 'rejected'],
  reprocess: ['ready', 'invalid'],
  submit: ['ready'],
  accept: ['pending'],
  reject: ['pending'],
  close: ['accepted'],
  delete: ['draft', 'invalid', 'ready', 'pending', 'rejected'],
  update: ['draft', 'invalid', 'ready', 'rejected'],
};

/** Statuses while the platform has not judged the upload yet. */
const WAITING = new Set(['uploading', 'uploaded', 'processing']);
/** Statuses whose records count as validated. */
const VALIDATED = new Set(['ready', 'pending', 'accepted', 'closed', 'rejected']);

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** The description's `maxLength` of each text field. */
const MAX_LENGTH: Record<string, number> = { name: 100, description: 200, note: 200, external_id: 200, currency: 20, acceptance_note: 200, rejection_note: 200 };

/** A real calendar day `YYYY-MM-DD`. */
function isDay(value: unknown): value is string {
  return typeof value === 'string' && DAY.test(value) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);
}

/** A text field: absent or null → '' (or a 400 when required); else a string within the description's `maxLength`. */
function text(body: Body, key: string, required = false): Outcome<string> {
  const value = body[key];
  if (value === undefined || value === null) return required ? problem(400, 'VAL_001', `${key}: This field is required.`) : ok('');
  if (typeof value !== 'string' || (required && value.trim() === '')) return problem(400, 'VAL_001', `${key}: must be ${required ? 'a non-empty' : 'a'} string, not ${JSON.stringify(value)}.`);
  const max = MAX_LENGTH[key];
  if (max !== undefined && value.length > max) return problem(400, 'VAL_001', `${key}: at most ${max} characters (got ${value.length}).`);
  return ok(value);
}

function idOf(body: Body, key: string): string | undefined {
  const value = body[key];
  const id = value !== null && typeof value === 'object' ? (value as Body).id : undefined;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** `period: {from, to}` of a body: real days, from not after to. */
function periodOf(body: Body): Outcome<{ from: string; to: string }> {
  const period = body.period;
  const from = period !== null && typeof period === 'object' ? (period as Body).from : undefined;
  const to = period !== null && typeof period === 'object' ? (period as Body).to : undefined;
  if (!isDay(from) || !isDay(to) || from > to) {
    return problem(400, 'VAL_001', `period: must be {"from":"YYYY-MM-DD","to":"YYYY-MM-DD"} with from not after to, not ${JSON.stringify(period ?? null)}.`);
  }
  return ok({ from, to });
}

/** Reads `keys` of `body` as texts (see `text`), or the first problem. */
function texts<K extends string>(body: Body, keys: readonly K[]): Outcome<Record<K, string>> {
  const out = {} as Record<K, string>;
  for (const key of keys) {
    const value = text(body, key);
    if (!value.ok) return value;
    out[key] = value.value;
  }
  return ok(out);
}

/** Usage files and the products they belong to. `stamp` gives the platform's current time text. */
export class UsageFilesState {
  private readonly products = new Map<string, ProductSeed>();
  private readonly files = new Map<string, Stored>();
  private readonly uploadedPolls: number;
  private readonly processingPolls: number;
  private origin = 'http://127.0.0.1';

  constructor(
    products: readonly ProductSeed[],
    private readonly stamp: () => string,
    options: UsageFilesOptions = {},
  ) {
    for (const p of products) this.products.set(p.id, p);
    this.uploadedPolls = Math.max(0, options.uploadedPolls ?? 1);
    this.processingPolls = Math.max(0, options.processingPolls ?? 1);
  }

  /** Where the sandbox listens (`http://127.0.0.1:port`), for the template links; set by the server. */
  setOrigin(origin: string): void {
    this.origin = origin;
  }

  /**
   * `GET /products/{id}` (`dp.ProductVersion`): the product with
   * `capabilities.ppu.schema`; no `ppu` when the seed's `usageSchema` is null
   * (the description's `ppu` object is not nullable).
   */
  product(id: string): Outcome<Record<string, unknown>> {
    const p = this.products.get(id);
    if (!p) return problem(404, 'NTF_001', `Product ${id} not found.`);
    const ppu = p.usageSchema === null ? {} : { ppu: { schema: p.usageSchema, dynamic: false, future: false } };
    return ok({ id: p.id, name: p.name, external_id: '', status: 'published', purchase_model: 'subscription', capabilities: { ...ppu, cart: { validation: false } } });
  }

  /**
   * `GET /usage/products/{id}/template`: `{template_link}` to the product's
   * template workbook (served by the sandbox without the API key). 404 when
   * the product is unknown, is not pay-per-use, or its seed has no template
   * (`usageTemplate: null`): the description documents only the 200, so the
   * refusal is the sandbox's guess.
   */
  template(productId: string): Outcome<{ template_link: string }> {
    const header = this.templateHeader(productId);
    if (header === undefined) {
      const p = this.products.get(productId);
      const why = !p ? 'not found' : p.usageSchema === null ? 'is not a pay-per-use product' : 'has no usage template';
      return problem(404, 'NTF_001', `Product ${productId} ${why}.`);
    }
    return ok({ template_link: templateLink(this.origin, productId) });
  }

  /** The records header of a product's usage template, or undefined when it has none. */
  templateHeader(productId: string): readonly string[] | undefined {
    const p = this.products.get(productId);
    return p && p.usageSchema !== null && p.usageTemplate !== null ? [...p.usageTemplate] : undefined;
  }

  /** Every usage file as `GET /usage/files` lists it (`usage.UsageFileList`), in creation order; copies. */
  all(): Array<Record<string, unknown>> {
    return [...this.files.values()].map((s) => listItem(this.detail(s)));
  }

  /** Every usage file as `GET /usage/files/{id}` gives it, without counting a poll; copies. */
  details(): ConnectUsageFile[] {
    return [...this.files.values()].map((s) => this.detail(s));
  }

  /** `GET /usage/files/{id}`: a file waiting for its verdict moves one step on (see the lifecycle above). */
  get(id: string): Outcome<ConnectUsageFile> {
    const stored = this.files.get(id);
    if (!stored) return problem(404, 'NTF_001', `Usage file ${id} not found.`);
    const next = stored.waits.shift();
    if (next !== undefined) stored.file.status = next;
    else if (WAITING.has(stored.file.status)) this.finishProcessing(stored);
    return ok(this.detail(stored));
  }

  /**
   * `POST /usage/files`: `{name, description?, note?, period:{from,to},
   * currency?, product:{id}, contract:{id}, external_id?}` → `draft`, answered
   * in the `usage.UsageFileCreate` shape. Without `currency` the file takes
   * `marketplace`'s (the marketplace of the product's contract).
   */
  create(body: Body, marketplace: MarketplaceSeed): Outcome<Record<string, unknown>> {
    const name = text(body, 'name', true);
    if (!name.ok) return name;
    const fields = texts(body, ['description', 'note', 'external_id', 'currency'] as const);
    if (!fields.ok) return fields;
    const period = periodOf(body);
    if (!period.ok) return period;
    const productId = idOf(body, 'product');
    const product = productId === undefined ? undefined : this.products.get(productId);
    if (!product) return problem(400, 'VAL_001', `product.id: ${productId === undefined ? 'This field is required.' : `product ${productId} not found.`}`);
    if (product.usageSchema === null) return problem(400, 'UF_001', `Product ${product.id} is not a pay-per-use product.`);
    const contractId = idOf(body, 'contract');
    if (contractId !== product.contractId) return problem(400, 'VAL_001', `contract.id: ${contractId ?? '(missing)'} is not the contract of product ${product.id}.`);
    const id = this.nextId();
    const file: ConnectUsageFile = {
      id,
      name: name.value,
      external_id: fields.value.external_id,
      status: 'draft',
      vendor: { ...SANDBOX_VENDOR },
      provider: { ...SANDBOX_PROVIDER },
      environment: 'production',
      marketplace: { id: marketplace.id, name: marketplace.name },
      contract: { id: contractId },
      product: { id: product.id, name: product.name },
      error_detail: '',
      description: fields.value.description,
      acceptance_note: '',
      rejection_note: '',
      schema: product.usageSchema.toLowerCase(),
      currency: fields.value.currency === '' ? marketplace.currency : fields.value.currency,
      period: period.value,
      stats: { uploaded: 0, validated: 0, pending: 0, accepted: 0, closed: 0, billed: 0 },
      events: { created: { at: this.stamp() } },
      records: { valid: 0, invalid: 0, closed: 0 },
    };
    this.files.set(id, { file, note: fields.value.note, waits: [] });
    return ok(createdShape(file));
  }

  /**
   * `PUT /usage/files/{id}` `{description?, note?, external_id?, period?, currency?}`:
   * only the given fields change; answered in the `usage.UsageFileUpdate` shape.
   */
  update(id: string, body: Body): Outcome<Record<string, unknown>> {
    const found = this.check(id, 'update');
    if (!found.ok) return found;
    const stored = found.value;
    const given = (key: string): boolean => body[key] !== undefined;
    for (const key of ['period', 'currency']) {
      if (given(key) && stored.file.status !== 'draft') return problem(400, 'UF_002', `Usage file ${id} is ${stored.file.status}: ${key} can change only while it is draft (the uploaded workbook was judged against it).`);
    }
    const fields = texts(body, ['description', 'note', 'external_id', 'currency'] as const);
    if (!fields.ok) return fields;
    const period = given('period') ? periodOf(body) : ok(stored.file.period);
    if (!period.ok) return period;
    if (given('description')) stored.file.description = fields.value.description;
    if (given('external_id')) stored.file.external_id = fields.value.external_id;
    if (given('note')) stored.note = fields.value.note;
    if (given('currency') && fields.value.currency !== '') stored.file.currency = fields.value.currency;
    stored.file.period = period.value;
    return ok({ description: stored.file.description, note: stored.note, external_id: stored.file.external_id });
  }

  /** `POST /usage/files/{id}/upload`: the multipart field `usage_file`; answers `uploading` (see `UsageFilesOptions`). */
  upload(id: string, parts: readonly MultipartPart[]): Outcome<ConnectUsageFile> {
    const found = this.check(id, 'upload');
    if (!found.ok) return found;
    const part = parts.find((p) => p.name === 'usage_file');
    if (!part || part.fileName === undefined) return problem(400, 'VAL_001', 'usage_file: This field is required (a multipart file part).');
    const stored = found.value;
    stored.upload = { fileName: part.fileName, contentType: part.contentType ?? '', bytes: Buffer.from(part.data) };
    stored.file.events.uploaded = { at: this.stamp() };
    this.judge(stored, 'uploading', [...Array<string>(this.uploadedPolls).fill('uploaded'), ...Array<string>(this.processingPolls).fill('processing')]);
    return ok(this.detail(stored));
  }

  /** `POST /usage/files/{id}/reprocess`: a `ready` or `invalid` file is judged again (`processing`, then the verdict). */
  reprocess(id: string): Outcome<ConnectUsageFile> {
    const found = this.check(id, 'reprocess');
    if (!found.ok) return found;
    this.judge(found.value, 'processing', Array<string>(this.processingPolls).fill('processing'));
    return ok(this.detail(found.value));
  }

  /** `POST /usage/files/{id}/submit`: `ready` → `pending`, or `accepted` when the product auto-accepts. */
  submit(id: string): Outcome<ConnectUsageFile> {
    return this.act(id, 'submit', {}, (s) => {
      s.file.events.submitted = { at: this.stamp() };
      return this.products.get(s.file.product.id)?.autoAccept ? 'accepted' : 'pending';
    });
  }

  /** `POST /usage/files/{id}/accept` `{acceptance_note?}`: the provider accepts a `pending` file. */
  accept(id: string, body: Body): Outcome<ConnectUsageFile> {
    return this.act(id, 'accept', body, (s, note) => ((s.file.acceptance_note = note), 'accepted'), 'acceptance_note');
  }

  /** `POST /usage/files/{id}/reject` `{rejection_note?}`: the provider rejects a `pending` file. */
  reject(id: string, body: Body): Outcome<ConnectUsageFile> {
    return this.act(id, 'reject', body, (s, note) => ((s.file.rejection_note = note), 'rejected'), 'rejection_note');
  }

  /** `POST /usage/files/{id}/close`: the provider closes an `accepted` file after billing. */
  close(id: string): Outcome<ConnectUsageFile> {
    return this.act(id, 'close', {}, () => 'closed');
  }

  /** `POST /usage/files/{id}/delete`: → `deleted`; refused for accepted and closed files. */
  delete(id: string): Outcome<ConnectUsageFile> {
    return this.act(id, 'delete', {}, () => 'deleted');
  }

  /** For tests: every file with its status, external id and uploaded bytes (copies). */
  views(): UsageFileView[] {
    return [...this.files.values()].map(({ file, note, upload }) => ({
      id: file.id,
      status: file.status,
      externalId: file.external_id,
      productId: file.product.id,
      name: file.name,
      errorDetail: file.error_detail,
      description: file.description,
      note,
      currency: file.currency,
      periodFrom: file.period.from,
      periodTo: file.period.to,
      marketplaceId: file.marketplace.id,
      acceptanceNote: file.acceptance_note,
      rejectionNote: file.rejection_note,
      ...(upload ? { fileName: upload.fileName, contentType: upload.contentType, bytes: new Uint8Array(upload.bytes) } : {}),
    }));
  }

  /** For tests: the uploaded workbook as the sandbox's independent reader read it, or undefined (no upload, or unreadable). */
  records(id: string): WorkbookContent | undefined {
    const content = this.files.get(id)?.verdict?.content;
    return content && structuredClone(content);
  }

  /** Judges the stored upload; the file shows `status`, then `waits` one per GET, then the verdict (at once when `waits` is empty). */
  private judge(stored: Stored, status: string, waits: string[]): void {
    const upload = stored.upload;
    stored.verdict = upload ? checkWorkbook(upload.bytes, upload.fileName, { schema: stored.file.schema, period: stored.file.period }) : { errorDetail: 'no workbook was uploaded' };
    stored.file.status = status;
    stored.file.error_detail = '';
    stored.waits = waits;
    if (waits.length === 0) this.finishProcessing(stored);
  }

  private finishProcessing(stored: Stored): void {
    const detail = stored.verdict?.errorDetail;
    stored.file.status = detail === undefined ? 'ready' : 'invalid';
    stored.file.error_detail = detail ?? '';
    stored.waits = [];
  }

  /** The detail shape with `stats` and `records` counted from the uploaded records and the status (per file, not per record). */
  private detail(stored: Stored): ConnectUsageFile {
    const file = structuredClone(stored.file);
    const count = stored.verdict?.content?.records.length ?? 0;
    const when = (statuses: readonly string[]): number => (statuses.includes(file.status) ? count : 0);
    const validated = VALIDATED.has(file.status) ? count : 0;
    file.stats = { uploaded: stored.upload ? count : 0, validated, pending: when(['pending']), accepted: when(['accepted']), closed: when(['closed']), billed: 0 };
    file.records = { valid: validated, invalid: when(['invalid']), closed: when(['closed']) };
    return file;
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

  /** Runs an action: status check, the optional note field of `body`, the change, the event of the new status. */
  private act(id: string, action: string, body: Body, change: (s: Stored, note: string) => string, noteKey?: string): Outcome<ConnectUsageFile> {
    const found = this.check(id, action);
    if (!found.ok) return found;
    const note = noteKey === undefined ? ok('') : text(body, noteKey);
    if (!note.ok) return note;
    const status = change(found.value, note.value);
    found.value.file.status = status;
    if (isEvent(status)) found.value.file.events[status] = { at: this.stamp() };
    return ok(this.detail(found.value));
  }

  /** `UF-<year>-<month>-<nnnn>-<nnnn>` from the platform clock and a counter. */
  private nextId(): string {
    const digits = String(this.files.size + 1).padStart(8, '0');
    return `UF-${this.stamp().slice(0, 7)}-${digits.slice(0, 4)}-${digits.slice(4)}`;
  }
}

const EVENTS = new Set<string>(['created', 'uploaded', 'submitted', 'accepted', 'closed', 'rejected', 'deleted']);
function isEvent(status: string): status is UsageFileEvent {
  return EVENTS.has(status);
}

/** `usage.UsageFileCreate`: plain ids (`product_id`, `marketplace`, `distribution_contract`, ...), no status, no product object. */
function createdShape(file: ConnectUsageFile): Record<string, unknown> {
  return {
    id: file.id,
    name: file.name,
    external_id: file.external_id,
    vendor: file.vendor.id,
    provider: file.provider.id,
    environment: file.environment,
    marketplace: file.marketplace.id,
    distribution_contract: file.contract.id,
    product_id: file.product.id,
    product_name: file.product.name,
    description: file.description,
    schema: file.schema,
    currency: file.currency,
    start_datetime_utc: `${file.period.from}T00:00:00+00:00`,
    end_datetime_utc: `${file.period.to}T23:59:59+00:00`,
  };
}

/** `usage.UsageFileList`: the detail without `records`. */
function listItem(file: ConnectUsageFile): Record<string, unknown> {
  const { records: _records, ...item } = file;
  return item;
}
