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

/**
 * How a run stands. `running`: a live process holds its lease. `abandoned`:
 * stored as running, but its lease ran out (the process died): the next claim
 * resumes it at once. `interrupted`: stopped by a signal, resumable.
 * `succeeded` and `failed` are final (a failed month is retried as a new version).
 */
export type RunOutcome = 'running' | 'abandoned' | 'interrupted' | 'succeeded' | 'failed';

/** One run of one payer, period and version. */
export interface RunRecord {
  payerAccountId: string;
  /** `YYYY-MM`. */
  period: string;
  /** 1 for the first run of a period; a reprocess adds one. Dry runs count their own versions. */
  version: number;
  /** A dry run (local adapters, nothing uploaded): never the month's run. */
  dryRun: boolean;
  step: RunStep;
  outcome: RunOutcome;
  /** What started it: `schedule`, `cli`, `admin`, `catch-up`, `resume`. */
  trigger: string;
  /** The process holding (or that last held) the lease, for a person: `pid 1234 on host-a`. */
  holder?: string;
  /** ISO time the lease runs out unless renewed. */
  leaseExpiresAt?: string;
  usageFileId?: string;
  /** The status the platform last gave the file. */
  usageFileStatus?: string;
  /** Where the workbook of this version is (for a person). */
  workbookPath?: string;
  /** Where the report of this version is (for a person). */
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

/** The process claiming a run: a token unique to this process, and how a person recognises it. */
export interface RunLease {
  /** Unique per process (e.g. a random UUID made at start-up). */
  owner: string;
  /** `pid 1234 on host-a`. */
  holder: string;
  /** How long a claim or renewal holds without another renewal, in ms. */
  ttlMs: number;
}

export type RunClaim =
  /** The run is this process's: a new version, or (`resumed`) an abandoned, interrupted or own running one at its last step. */
  | { kind: 'claimed'; run: RunRecord; resumed: boolean }
  /** The month already succeeded (live runs without `reprocess`). */
  | { kind: 'already-done'; run: RunRecord }
  /** Another live process holds the lease (`run.holder` says which). */
  | { kind: 'held'; run: RunRecord };

/** The run ledger (SQLite): each payer, period and version through every step. */
export interface RunLedger {
  /** The latest version of a payer and period (live runs, or dry runs with `dryRun`), if any. */
  latest(payerAccountId: string, period: string, options?: { dryRun?: boolean }): RunRecord | undefined;
  get(payerAccountId: string, period: string, version: number, options?: { dryRun?: boolean }): RunRecord | undefined;
  /**
   * Atomically (one IMMEDIATE transaction, safe across processes) decides and
   * claims the run of a payer and period:
   * - a run held by a live lease of another owner → `held`;
   * - a running run whose lease expired (abandoned), an interrupted run, or a
   *   running run of this same owner → resumed under `lease` (`claimed`, `resumed`);
   * - a succeeded latest run without `reprocess` → `already-done` (live runs);
   *   a dry run without `reprocess` starts over in its latest version
   *   (step `started`, fields cleared), or v1;
   * - otherwise (none, failed, reprocess) → a new version, latest + 1.
   * Live and dry runs are separate: a dry run never makes a live month look done
   * or held, and neither blocks the other.
   */
  claim(input: { payerAccountId: string; period: string; trigger: string; reprocess: boolean; dryRun: boolean }, lease: RunLease, now: Date): RunClaim;
  /** Extends the lease to now + ttlMs. False when this owner no longer holds the run (another took it over, or it ended). */
  renew(run: Pick<RunRecord, 'payerAccountId' | 'period' | 'version' | 'dryRun'>, lease: RunLease, now: Date): boolean;
  /** Records a step and any fields learnt with it (the lease is renewed too). */
  advance(run: Pick<RunRecord, 'payerAccountId' | 'period' | 'version' | 'dryRun'>, step: RunStep, fields: RunFields, now: Date): RunRecord;
  /** Ends a run: `succeeded` (step done, error cleared) or `failed` with the error; the lease is released. */
  finish(run: Pick<RunRecord, 'payerAccountId' | 'period' | 'version' | 'dryRun'>, outcome: 'succeeded' | 'failed', error: string | undefined, now: Date): RunRecord;
  /** Marks a run stopped by a signal: `interrupted`, the step kept, the lease released, `reason` stored as the error. */
  interrupt(run: Pick<RunRecord, 'payerAccountId' | 'period' | 'version' | 'dryRun'>, reason: string, now: Date): RunRecord;
  /** Runs, latest first, optionally of one payer or period; live runs unless `dryRun` (true: dry only; 'all': both). */
  list(filter?: { payerAccountId?: string; period?: string; limit?: number; dryRun?: boolean | 'all' }, now?: Date): RunRecord[];
  /** Live runs to resume: abandoned (lease expired at `now`) or interrupted. Oldest first. */
  resumable(now: Date): RunRecord[];
}

/** The fields a step may record. */
export type RunFields = Partial<Pick<RunRecord, 'trigger' | 'usageFileId' | 'usageFileStatus' | 'workbookPath' | 'reportPath' | 'billedTotal' | 'currency' | 'records' | 'error'>>;
