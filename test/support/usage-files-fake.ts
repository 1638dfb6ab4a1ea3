/**
 * An in-memory platform for usage files: keeps every file with its status and
 * uploaded bytes, moves an uploaded file through `processing` to a chosen
 * verdict after a few polls, counts calls, and fails any call on demand (before
 * its effect, or after it as a lost response).
 */
import { ConnectorError } from '../../src/domain/errors.js';
import type { NewUsageFile, UsageFile, UsageFilesPort } from '../../src/app/usage/ports.js';

export type UsageOp = 'productUsageSchema' | 'usageTemplateColumns' | 'findByExternalId' | 'get' | 'create' | 'upload' | 'submit' | 'delete';

interface Fault {
  error: Error;
  /** The call takes effect, then throws (the response was lost). */
  after: boolean;
}

interface StoredFile extends UsageFile {
  pollsLeft: number;
}

/** The usage file API per CONNECT.md, with stand-in rules a test can tune. */
export class FakeUsageFiles implements UsageFilesPort {
  /** Every file ever created or seeded, by id (deleted ones keep status `deleted`). */
  readonly files = new Map<string, StoredFile>();
  /** Bytes and file name of the last upload, by file id. */
  readonly uploads = new Map<string, { bytes: Uint8Array; fileName: string }>();
  /** Usage schema by product id; products not listed are `PR`. */
  readonly schemas = new Map<string, string | undefined>();
  /** The usage template header by product id; products not listed have no template. */
  readonly templates = new Map<string, string[]>();
  readonly calls: Array<{ op: UsageOp; args: unknown[] }> = [];
  /** Gets of a `processing` file before it reaches its verdict. */
  pollsToVerdict = 2;
  /** What the platform decides after processing. */
  verdict: { status: 'ready' } | { status: 'invalid'; errorDetail: string } = { status: 'ready' };
  /** What a submit leads to (`pending`, or `accepted` when usage rules accept at once). */
  submittedStatus: 'pending' | 'accepted' = 'pending';
  private readonly faults = new Map<UsageOp, Fault[]>();
  private sequence = 0;

  /** Makes the next call of `op` throw; with `after`, once the call has taken effect. */
  failNext(op: UsageOp, options: { error?: Error; after?: boolean } = {}): void {
    const error = options.error ?? new ConnectorError('PLATFORM_UNREACHABLE', `${op} failed`, { retryable: true });
    this.faults.set(op, [...(this.faults.get(op) ?? []), { error, after: options.after ?? false }]);
  }

  /** How many times `op` was called. */
  count(op: UsageOp): number {
    return this.calls.filter((call) => call.op === op).length;
  }

  /** Files not deleted. */
  live(): UsageFile[] {
    return [...this.files.values()].filter((file) => file.status !== 'deleted').map((file) => this.view(file));
  }

  /** Adds a file as if created earlier (e.g. a previous version's). */
  seed(file: Partial<UsageFile> & Pick<UsageFile, 'externalId' | 'status' | 'productId'>): UsageFile {
    const stored: StoredFile = { id: this.nextId(), name: file.externalId, schema: 'pr', ...file, pollsLeft: 0 };
    this.files.set(stored.id, stored);
    return this.view(stored);
  }

  setStatus(id: string, status: string): void {
    this.stored(id).status = status;
  }

  async productUsageSchema(productId: string, signal: AbortSignal): Promise<string | undefined> {
    return this.call('productUsageSchema', [productId, signal], () => (this.schemas.has(productId) ? this.schemas.get(productId) : 'PR'));
  }

  async usageTemplateColumns(productId: string, signal: AbortSignal): Promise<string[] | undefined> {
    return this.call('usageTemplateColumns', [productId, signal], () => this.templates.get(productId));
  }

  async findByExternalId(productId: string, externalId: string, signal: AbortSignal): Promise<UsageFile[]> {
    return this.call('findByExternalId', [productId, externalId, signal], () =>
      [...this.files.values()].filter((file) => file.productId === productId && file.externalId === externalId).map((file) => this.view(file)),
    );
  }

  async get(fileId: string, signal: AbortSignal): Promise<UsageFile> {
    return this.call('get', [fileId, signal], () => {
      const file = this.stored(fileId);
      if (file.status === 'uploaded') file.status = 'processing';
      if (file.status === 'processing' && --file.pollsLeft <= 0) Object.assign(file, this.verdict);
      return this.view(file);
    });
  }

  async create(input: NewUsageFile, signal: AbortSignal): Promise<UsageFile> {
    return this.call('create', [input, signal], () => {
      const { name, periodFrom, periodTo, currency, productId, contractId, externalId } = input;
      const file: StoredFile = { id: this.nextId(), name, externalId, status: 'draft', schema: 'pr', currency, periodFrom, periodTo, productId, contractId, pollsLeft: 0 };
      this.files.set(file.id, file);
      return this.view(file);
    });
  }

  async upload(fileId: string, workbook: Uint8Array, fileName: string, signal: AbortSignal): Promise<UsageFile> {
    return this.call('upload', [fileId, workbook, fileName, signal], () => {
      const file = this.stored(fileId);
      if (file.status !== 'draft') throw this.refused(`upload to a ${file.status} file ${fileId}`);
      this.uploads.set(fileId, { bytes: Uint8Array.from(workbook), fileName });
      // The API's lifecycle: the upload is `uploaded`, then checked (`processing`) until a verdict.
      file.status = 'uploaded';
      file.pollsLeft = this.pollsToVerdict;
      if (file.pollsLeft <= 0) Object.assign(file, this.verdict);
      return this.view(file);
    });
  }

  async submit(fileId: string, signal: AbortSignal): Promise<UsageFile> {
    return this.call('submit', [fileId, signal], () => {
      const file = this.stored(fileId);
      if (file.status !== 'ready') throw this.refused(`submit a ${file.status} file ${fileId}`);
      file.status = this.submittedStatus;
      return this.view(file);
    });
  }

  async delete(fileId: string, signal: AbortSignal): Promise<void> {
    return this.call('delete', [fileId, signal], () => {
      const file = this.stored(fileId);
      if (['accepted', 'closed', 'deleted'].includes(file.status)) throw this.refused(`delete a ${file.status} file ${fileId}`);
      file.status = 'deleted';
    });
  }

  private call<T>(op: UsageOp, args: unknown[], effect: () => T): T {
    this.calls.push({ op, args });
    const fault = this.faults.get(op)?.shift();
    if (fault && !fault.after) throw fault.error;
    const result = effect();
    if (fault) throw fault.error;
    return result;
  }

  private stored(id: string): StoredFile {
    const file = this.files.get(id);
    if (!file) throw new ConnectorError('PLATFORM_HTTP', `404: no usage file ${id}`);
    return file;
  }

  private view(file: StoredFile): UsageFile {
    const { pollsLeft: _pollsLeft, ...visible } = file;
    return structuredClone(visible);
  }

  private refused(what: string): ConnectorError {
    return new ConnectorError('PLATFORM_HTTP', `400: cannot ${what}`);
  }

  private nextId(): string {
    this.sequence += 1;
    return `UF-2026-10-${String(this.sequence).padStart(4, '0')}`;
  }
}
