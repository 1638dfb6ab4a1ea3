/**
 * What the monthly upload needs from the platform (CONNECT.md "Usage files") and
 * from the local run ledger. Adapters implement these; tests plug in stand-ins.
 * Every I/O method takes the run's AbortSignal and throws `ConnectorError`.
 */

/**
 * Usage file statuses (the API's enum, CONNECT.md): draft → uploading → uploaded
 * → processing → ready | invalid → pending → accepted | rejected → closed; deleted.
 */
export type UsageFileStatus = 'draft' | 'uploading' | 'uploaded' | 'processing' | 'ready' | 'invalid' | 'pending' | 'accepted' | 'rejected' | 'closed' | 'deleted' | (string & {});

export interface UsageFile {
  /** `UF-...` */
  id: string;
  name: string;
  externalId: string;
  status: UsageFileStatus;
  /** `PR`, `QT`, `CR`, `TR`. */
  schema?: string;
  currency?: string;
  /** `YYYY-MM-DD`. */
  periodFrom?: string;
  periodTo?: string;
  productId: string;
  contractId?: string;
  /** Why the platform found the file invalid (status `invalid`). */
  errorDetail?: string;
}

export interface NewUsageFile {
  name: string;
  description: string;
  note?: string;
  /** `YYYY-MM-DD`, first day of the period. */
  periodFrom: string;
  /** `YYYY-MM-DD`, last day of the period. */
  periodTo: string;
  currency: string;
  productId: string;
  contractId: string;
  /** `<payer>-<period>-v<version>` */
  externalId: string;
}

/** The platform's usage file API, per CONNECT.md. */
export interface UsageFilesPort {
  /** `GET /products/{id}`: `capabilities.ppu.schema` (undefined when the product has none). */
  productUsageSchema(productId: string, signal: AbortSignal): Promise<string | undefined>;
  /**
   * The records header of the product's own usage template (`GET
   * /usage/products/{id}/template` and the workbook behind its link), in order;
   * undefined when the product has none.
   */
  usageTemplateColumns(productId: string, signal: AbortSignal): Promise<string[] | undefined>;
  /** `GET /usage/files?product.id=...&external_id=...` (all pages). */
  findByExternalId(productId: string, externalId: string, signal: AbortSignal): Promise<UsageFile[]>;
  /** `GET /usage/files/{id}`. */
  get(fileId: string, signal: AbortSignal): Promise<UsageFile>;
  /** `POST /usage/files` → 201 (id only), then the file, status `draft`. Never creates a second file with the same external id. */
  create(file: NewUsageFile, signal: AbortSignal): Promise<UsageFile>;
  /** `POST /usage/files/{id}/upload`, multipart field `usage_file` (200, 201 also seen): → `uploading`/`uploaded`. */
  upload(fileId: string, workbook: Uint8Array, fileName: string, signal: AbortSignal): Promise<UsageFile>;
  /** `POST /usage/files/{id}/submit`: `ready` → `pending`. */
  submit(fileId: string, signal: AbortSignal): Promise<UsageFile>;
  /** `POST /usage/files/{id}/delete` (a POST action, not HTTP DELETE). */
  delete(fileId: string, signal: AbortSignal): Promise<void>;
}

/** Steps of one payer's run, in order. A run resumes at the step after the last one recorded. */
export const RUN_STEPS = ['started', 'rated', 'file-created', 'uploaded', 'ready', 'submitted', 'done'] as const;
export type RunStep = (typeof RUN_STEPS)[number];

/** One run of one payer, period and version. */
export interface RunRecord {
  payerAccountId: string;
  /** `YYYY-MM`. */
  period: string;
  /** 1 for the first run of a period; a reprocess adds one. */
  version: number;
  step: RunStep;
  /** `running`, `succeeded`, `failed`. */
  outcome: 'running' | 'succeeded' | 'failed';
  /** What started it: `schedule`, `cli`, `admin`, `catch-up`. */
  trigger: string;
  usageFileId?: string;
  /** The status the platform last gave the file. */
  usageFileStatus?: string;
  /** Path of the workbook written for this version. */
  workbookPath?: string;
  /** Path of the report written for this version. */
  reportPath?: string;
  /** Billed total of the workbook, exact decimal text. */
  billedTotal?: string;
  currency?: string;
  records?: number;
  error?: string;
  /** ISO timestamps. */
  startedAt: string;
  updatedAt: string;
}

/** The run ledger (SQLite): each payer, period and version through every step. */
export interface RunLedger {
  /** The latest version of a payer and period, if any. */
  latest(payerAccountId: string, period: string): RunRecord | undefined;
  get(payerAccountId: string, period: string, version: number): RunRecord | undefined;
  /**
   * Starts version `version` unless a run of this payer and period is `running`:
   * then returns `{ started: false, running }`. Atomic (one transaction), so two
   * triggers never start two runs.
   */
  start(input: { payerAccountId: string; period: string; version: number; trigger: string }, now: Date): { started: true; run: RunRecord } | { started: false; running: RunRecord };
  /** Records a step and any fields learnt with it. */
  advance(payerAccountId: string, period: string, version: number, step: RunStep, fields: Partial<Omit<RunRecord, 'payerAccountId' | 'period' | 'version' | 'step' | 'startedAt' | 'updatedAt'>>, now: Date): RunRecord;
  /** Ends a run: `succeeded` (step done) or `failed` with the error. */
  finish(payerAccountId: string, period: string, version: number, outcome: 'succeeded' | 'failed', error: string | undefined, now: Date): RunRecord;
  /** Runs, latest first, optionally of one payer or period. */
  list(filter?: { payerAccountId?: string; period?: string; limit?: number }): RunRecord[];
  /** Runs left `running` (by a crash): resumed on start. */
  unfinished(): RunRecord[];
}
