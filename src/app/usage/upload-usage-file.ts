/**
 * Takes one payer's rated month to a submitted usage file (CONNECT.md "Usage
 * files"), resuming from the run ledger. Each step is recorded before the next
 * one starts, and the file is looked up by its `external_id` before one is
 * created, so a crash at any point resumes without a second file or upload.
 */
import { ConnectorError } from '../../domain/errors.js';
import type { Progress } from '../ports.js';
import { RUN_STEPS, type RunLedger, type RunRecord, type RunStep, type UsageFile, type UsageFilesPort } from './ports.js';

/** What the upload needs: the platform, the ledger, a clock, a timer and the workbook on disk. */
export interface UploadUsageFileDeps {
  files: UsageFilesPort;
  ledger: RunLedger;
  clock: { now(): Date };
  /** Waits `ms` milliseconds; may resolve early or reject once `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** The bytes of the .xlsx written for this version (undefined: it is gone, the month must be rated again). */
  workbook(): Promise<Uint8Array | undefined>;
  /** Called on each poll of the platform (the caller renews its lease on the run). */
  onActivity?: () => void;
  /** Told each time the platform shows the file in a new status (progress for an operator). */
  onFileStatus?: (file: UsageFile) => void;
  /**
   * Told each step of the upload as the ledger records it (`UPLOAD_STEPS`:
   * phase `upload payer <id> (<step>)`, unit `steps`, n of 4), and, on a
   * resume, the step it resumes from.
   */
  onProgress?: (progress: Progress) => void;
}

/** The steps of an upload, in order: what its progress counts. */
export const UPLOAD_STEPS = ['file-created', 'uploaded', 'ready', 'submitted'] as const satisfies readonly RunStep[];

/** One payer's month. The run (payer, period, version) must already be started in the ledger. */
export interface UploadUsageFileInput {
  payerAccountId: string;
  /** `YYYY-MM`. */
  period: string;
  version: number;
  productId: string;
  contractId: string;
  currency: string;
  /** The file name the platform is given. */
  fileName: string;
  /** Defaults to `AWS usage <payer> <period> v<version>`. */
  name?: string;
  /** A reprocess: the files of earlier versions are deleted before this one is submitted. */
  replace?: boolean;
  /** First wait between polls of a processing file, in ms (1000); doubles each poll. */
  pollBaseDelayMs?: number;
  /** Longest wait between polls, in ms (30000). */
  pollMaxDelayMs?: number;
  /** Polls before giving up for now (60); the run stays `running` and resumes later. */
  maxPolls?: number;
  signal: AbortSignal;
}

/** The finished run and the file as the platform last showed it. */
export interface UploadUsageFileResult {
  run: RunRecord;
  file: UsageFile;
  /** The platform's `error_detail` when it found the file `invalid` (the run is then `failed`). */
  invalidDetail?: string;
}

/** The file's `external_id`: one per payer, period and version. */
export function usageFileExternalId(payerAccountId: string, period: string, version: number): string {
  return `${payerAccountId}-${period}-v${version}`;
}

/** First and last day (`YYYY-MM-DD`) of a `YYYY-MM` period; `CONFIG_INVALID` for anything else. */
export function periodBounds(period: string): { from: string; to: string } {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(period);
  if (!match) throw new ConnectorError('CONFIG_INVALID', `period ${period} is not YYYY-MM`, { where: { value: period } });
  const lastDay = new Date(Date.UTC(Number(match[1]), Number(match[2]), 0)).getUTCDate();
  return { from: `${period}-01`, to: `${period}-${String(lastDay).padStart(2, '0')}` };
}

/** Statuses while the platform has not yet judged the upload (the API's enum: `uploaded` is one of them). */
export const WAITING_STATUSES: ReadonlySet<string> = new Set(['draft', 'uploading', 'uploaded', 'processing']);
/** Statuses of a file already submitted. */
const SUBMITTED = new Set(['pending', 'accepted', 'closed']);
/** Statuses of an earlier version's file that a reprocess may delete; `accepted` and `closed` are never touched. */
const REPLACEABLE = new Set(['draft', 'uploading', 'uploaded', 'processing', 'invalid', 'ready', 'pending']);
/** Which of several files with one external id to carry on with: the furthest along. */
const PREFERENCE = ['closed', 'accepted', 'pending', 'ready', 'processing', 'uploaded', 'uploading', 'draft', 'invalid', 'rejected'];

const reached = (run: RunRecord, step: RunStep): boolean => RUN_STEPS.indexOf(run.step) >= RUN_STEPS.indexOf(step);
const rank = (file: UsageFile): number => {
  const index = PREFERENCE.indexOf(file.status);
  return index < 0 ? PREFERENCE.length : index;
};

/** Why the product cannot take our files, if it cannot. */
async function schemaRefusal(files: UsageFilesPort, input: UploadUsageFileInput): Promise<string | undefined> {
  const schema = await files.productUsageSchema(input.productId, input.signal);
  if (schema?.toUpperCase() === 'PR') return undefined;
  return `product ${input.productId} has usage schema ${schema ?? '(none)'}; the connector writes price-rated usage files (schema PR): set the product's pay-per-use schema to PR`;
}

/** The files of versions 1 .. version-1 of this payer and period (by ledger id and by external id), not deleted. */
async function previousFiles(deps: UploadUsageFileDeps, input: UploadUsageFileInput): Promise<UsageFile[]> {
  const found = new Map<string, UsageFile>();
  for (let version = 1; version < input.version; version += 1) {
    const id = deps.ledger.get(input.payerAccountId, input.period, version)?.usageFileId;
    if (id !== undefined) found.set(id, await deps.files.get(id, input.signal));
    const externalId = usageFileExternalId(input.payerAccountId, input.period, version);
    for (const file of await deps.files.findByExternalId(input.productId, externalId, input.signal)) found.set(file.id, file);
  }
  return [...found.values()].filter((file) => file.status !== 'deleted');
}

function finalRefusal(previous: UsageFile[], input: UploadUsageFileInput): string | undefined {
  const closed = previous.find((file) => file.status === 'accepted' || file.status === 'closed');
  if (closed === undefined) return undefined;
  return (
    `the platform already ${closed.status} usage file ${closed.id} (${closed.externalId}) of payer ${input.payerAccountId} for ${input.period}; ` +
    `it is never replaced: a correction must go through the platform's own adjustment process`
  );
}

/** Our live file with this external id (after a crash before the ledger saw it), else a new one. */
async function findOrCreate(files: UsageFilesPort, input: UploadUsageFileInput, externalId: string): Promise<UsageFile> {
  const existing = (await files.findByExternalId(input.productId, externalId, input.signal))
    .filter((file) => file.externalId === externalId && file.status !== 'deleted')
    .sort((a, b) => rank(a) - rank(b));
  if (existing[0] !== undefined) return existing[0];
  const { from, to } = periodBounds(input.period);
  return files.create(
    {
      name: input.name ?? `AWS usage ${input.payerAccountId} ${input.period} v${input.version}`,
      description: `Price-rated AWS usage of payer account ${input.payerAccountId} for ${input.period}, version ${input.version}`,
      periodFrom: from,
      periodTo: to,
      currency: input.currency,
      productId: input.productId,
      contractId: input.contractId,
      externalId,
    },
    input.signal,
  );
}

/** Polls with exponential backoff until the platform has judged the file (`ready`, `invalid`, ...). */
async function awaitVerdict(deps: UploadUsageFileDeps, input: UploadUsageFileInput, file: UsageFile, seen: (file: UsageFile) => UsageFile): Promise<UsageFile> {
  const base = input.pollBaseDelayMs ?? 1000;
  const max = input.pollMaxDelayMs ?? 30000;
  const maxPolls = input.maxPolls ?? 60;
  let current = file;
  for (let poll = 0; WAITING_STATUSES.has(current.status); poll += 1) {
    if (poll >= maxPolls) {
      throw new ConnectorError('PLATFORM_RESPONSE', `usage file ${current.id} is still ${current.status} after ${maxPolls} polls; the run resumes from this step next time`, {
        retryable: true,
        where: { payer: input.payerAccountId },
      });
    }
    deps.onActivity?.();
    await deps.sleep(Math.min(base * 2 ** poll, max), input.signal);
    if (input.signal.aborted) throw new ConnectorError('ABORTED', `waiting for usage file ${current.id}: stopped by the abort signal`);
    current = seen(await deps.files.get(current.id, input.signal));
  }
  return current;
}

/**
 * Runs (or resumes) the upload of one payer's month: refuse a non-PR product →
 * find or create the file (`file-created`) → upload the workbook (`uploaded`) →
 * poll until checked (`ready`) → delete earlier versions' files when replacing →
 * submit (`submitted`) → `done`. A file already submitted is recorded as such.
 *
 * Returns a `failed` run when the platform finds the file invalid (with
 * `invalidDetail`), rejected or deleted. Throws `CONFIG_INVALID` (after failing
 * the run) for a product not on schema PR, or when replacing an earlier version
 * the platform already accepted or closed. Any other error leaves the run
 * `running` at its last recorded step, to be resumed by the next call.
 */
export async function uploadUsageFile(deps: UploadUsageFileDeps, input: UploadUsageFileInput): Promise<UploadUsageFileResult> {
  const { files, ledger, clock } = deps;
  const { payerAccountId: payer, period, version, signal } = input;
  const label = `run v${version} of payer ${payer} for ${period}`;
  const externalId = usageFileExternalId(payer, period, version);
  periodBounds(period);

  const key = { payerAccountId: payer, period, version, dryRun: false };
  const found = ledger.get(payer, period, version);
  if (found === undefined) throw new ConnectorError('STATE', `${label} is not in the run ledger; start it before uploading`);
  let lastStatus: string | undefined;
  const seen = (file: UsageFile): UsageFile => {
    if (file.status !== lastStatus) deps.onFileStatus?.(file);
    lastStatus = file.status;
    return file;
  };
  let run: RunRecord = found;
  const fileId = (): string => {
    if (run.usageFileId === undefined) throw new ConnectorError('STATE', `${label} is at step ${run.step} but records no usage file id`);
    return run.usageFileId;
  };
  if (run.outcome === 'succeeded') return { run, file: await files.get(fileId(), signal) };
  if (run.outcome === 'failed') throw new ConnectorError('STATE', `${label} failed (${run.error ?? 'no error recorded'}); start a new version to try again`);

  const told = (step: RunStep): void => {
    const index = (UPLOAD_STEPS as readonly RunStep[]).indexOf(step);
    if (index >= 0) deps.onProgress?.({ phase: `upload payer ${payer} (${step})`, done: index + 1, total: UPLOAD_STEPS.length, unit: 'steps' });
  };
  const record = (step: RunStep, fields: Parameters<RunLedger['advance']>[2]): void => {
    const before = run.step;
    run = ledger.advance(key, step, fields, clock.now());
    if (run.step !== before) told(run.step);
  };
  const advance = (step: RunStep, status: string): void => record(step, { usageFileStatus: status });
  told(run.step);
  const fail = (message: string): void => {
    run = ledger.finish(key, 'failed', message, clock.now());
  };
  const refuse = (message: string): never => {
    fail(message);
    throw new ConnectorError('CONFIG_INVALID', message, { where: { payer } });
  };

  let file: UsageFile;
  if (reached(run, 'file-created')) {
    file = seen(await files.get(fileId(), signal));
  } else {
    const refusal = (await schemaRefusal(files, input)) ?? (input.replace ? finalRefusal(await previousFiles(deps, input), input) : undefined);
    if (refusal !== undefined) refuse(refusal);
    file = seen(await findOrCreate(files, input, externalId));
    record('file-created', { usageFileId: file.id, usageFileStatus: file.status, currency: input.currency });
  }

  if (file.status === 'draft' && !reached(run, 'uploaded')) {
    const workbook = await deps.workbook();
    if (workbook === undefined) throw new ConnectorError('STATE', `${label}: the workbook to upload is gone from the workbook store; rate the month again (reprocess)`, { where: { payer } });
    file = seen(await files.upload(file.id, workbook, input.fileName, signal));
  }
  if (!reached(run, 'uploaded')) advance('uploaded', file.status);
  file = await awaitVerdict(deps, input, file, seen);

  if (file.status === 'invalid') {
    const detail = file.errorDetail ?? 'the platform gave no error detail';
    advance(run.step, file.status);
    fail(`usage file ${file.id} is invalid: ${detail}`);
    return { run, file, invalidDetail: detail };
  }
  if (file.status === 'ready') {
    if (!reached(run, 'ready')) advance('ready', file.status);
    if (input.replace) {
      const previous = await previousFiles(deps, input);
      const refusal = finalRefusal(previous, input);
      if (refusal !== undefined) refuse(refusal);
      for (const old of previous) if (REPLACEABLE.has(old.status)) await files.delete(old.id, signal);
    }
    file = seen(await files.submit(file.id, signal));
    advance('submitted', file.status);
  } else if (SUBMITTED.has(file.status)) {
    advance('submitted', file.status);
  } else {
    advance(run.step, file.status);
    fail(`usage file ${file.id} is ${file.status} on the platform; start a new version to upload the month again`);
    return { run, file };
  }
  run = ledger.finish(key, 'succeeded', undefined, clock.now());
  return { run, file };
}
