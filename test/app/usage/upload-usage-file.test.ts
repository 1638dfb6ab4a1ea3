import { afterEach, describe, expect, it } from 'vitest';
import type { Progress } from '../../../src/app/ports.js';
import type { RunLedger, RunStep } from '../../../src/app/usage/ports.js';
import { uploadUsageFile, type UploadUsageFileDeps, type UploadUsageFileInput } from '../../../src/app/usage/upload-usage-file.js';
import { ConnectorError } from '../../../src/domain/errors.js';
import { openStateDatabase, type StateDatabase } from '../../../src/store/database.js';
import { SqliteRunLedger } from '../../../src/store/run-ledger.store.js';
import { FakeUsageFiles } from '../../support/usage-files-fake.js';

const NOW = new Date('2026-11-03T06:00:00.000Z');
const PAYER = '111111111111';
const PERIOD = '2026-10';
const PRODUCT = 'PRD-411-678-887';
const WORKBOOK_PATH = 'out/2026-10/111111111111-2026-10-v1.xlsx';
const WORKBOOK = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 7, 7, 7]);
const LEASE = { owner: 'test', holder: 'pid 1 on test-host', ttlMs: 60_000 };

/** The real ledger, noting each step stored and able to fail one `advance` once. */
class WatchedLedger implements RunLedger {
  readonly steps: string[] = [];
  failAdvanceAt: RunStep | undefined;
  constructor(private readonly inner: SqliteRunLedger) {}
  latest: RunLedger['latest'] = (...args) => this.inner.latest(...args);
  get: RunLedger['get'] = (...args) => this.inner.get(...args);
  claim: RunLedger['claim'] = (...args) => this.inner.claim(...args);
  renew: RunLedger['renew'] = (...args) => this.inner.renew(...args);
  finish: RunLedger['finish'] = (...args) => this.inner.finish(...args);
  interrupt: RunLedger['interrupt'] = (...args) => this.inner.interrupt(...args);
  list: RunLedger['list'] = (...args) => this.inner.list(...args);
  resumable: RunLedger['resumable'] = (...args) => this.inner.resumable(...args);
  advance: RunLedger['advance'] = (run, step, fields, now) => {
    if (this.failAdvanceAt === step) {
      this.failAdvanceAt = undefined;
      throw new ConnectorError('STATE', 'the process died here');
    }
    this.steps.push(step);
    return this.inner.advance(run, step, fields, now);
  };
}

const databases: StateDatabase[] = [];
afterEach(() => {
  for (const state of databases.splice(0)) state.close();
});

function setup() {
  const state = openStateDatabase(':memory:');
  databases.push(state);
  const ledger = new WatchedLedger(new SqliteRunLedger(state.db, () => NOW));
  const files = new FakeUsageFiles();
  const sleeps: number[] = [];
  const deps: UploadUsageFileDeps = {
    files,
    ledger,
    clock: { now: () => NOW },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    workbook: async () => WORKBOOK,
  };
  return { ledger, files, sleeps, deps };
}

/** Starts and rates version `version`, as the monthly run does before the upload. */
function rated(ledger: RunLedger, version = 1): void {
  const claimed = ledger.claim({ payerAccountId: PAYER, period: PERIOD, trigger: 'schedule', reprocess: version > 1, dryRun: false }, LEASE, NOW);
  expect(claimed).toMatchObject({ kind: 'claimed', run: { version } });
  ledger.advance({ payerAccountId: PAYER, period: PERIOD, version, dryRun: false }, 'rated', { workbookPath: WORKBOOK_PATH, billedTotal: '1234.5600', records: 12 }, NOW);
  (ledger as WatchedLedger).steps.length = 0;
}

function input(version = 1, extra: Partial<UploadUsageFileInput> = {}): UploadUsageFileInput {
  return { payerAccountId: PAYER, period: PERIOD, version, productId: PRODUCT, contractId: 'CRD-1', currency: 'USD', fileName: '111111111111-2026-10-v1.xlsx', signal: new AbortController().signal, ...extra };
}

describe('uploadUsageFile()', () => {
  it('creates one file, uploads the workbook, submits it and records every step', async () => {
    const { ledger, files, deps } = setup();
    rated(ledger);
    const { run, file } = await uploadUsageFile(deps, input());

    expect(ledger.steps).toEqual(['file-created', 'uploaded', 'ready', 'submitted']);
    expect(run).toMatchObject({ step: 'done', outcome: 'succeeded', usageFileId: file.id, usageFileStatus: 'pending', billedTotal: '1234.5600' });
    expect(ledger.get(PAYER, PERIOD, 1)).toEqual(run);
    expect(files.live()).toEqual([file]);
    expect(file).toMatchObject({
      status: 'pending',
      externalId: '111111111111-2026-10-v1',
      name: 'AWS usage 111111111111 2026-10 v1',
      periodFrom: '2026-10-01',
      periodTo: '2026-10-31',
      currency: 'USD',
      contractId: 'CRD-1',
    });
    expect(files.uploads.get(file.id)).toEqual({ bytes: WORKBOOK, fileName: '111111111111-2026-10-v1.xlsx' });
  });

  it("waits while the platform shows the file uploaded, then processing, and tells each status once", async () => {
    const { ledger, files, deps } = setup();
    files.pollsToVerdict = 2;
    rated(ledger);
    const statuses: string[] = [];
    const { run } = await uploadUsageFile({ ...deps, onFileStatus: (f) => statuses.push(f.status) }, input());
    expect(statuses).toEqual(['draft', 'uploaded', 'processing', 'ready', 'pending']);
    expect(run.outcome).toBe('succeeded');
  });

  it('treats uploaded as a waiting status, not a final one, when a run resumes on it', async () => {
    const { ledger, files, deps } = setup();
    rated(ledger);
    files.failNext('get');
    await expect(uploadUsageFile(deps, input())).rejects.toMatchObject({ code: 'PLATFORM_UNREACHABLE' });
    expect(ledger.get(PAYER, PERIOD, 1)).toMatchObject({ step: 'uploaded', usageFileStatus: 'uploaded', outcome: 'running' });
    const { run, file } = await uploadUsageFile(deps, input());
    expect(run).toMatchObject({ outcome: 'succeeded', usageFileStatus: 'pending' });
    expect(file.status).toBe('pending');
    expect(files.count('upload')).toBe(1);
  });

  it('resumes after a crash between create and upload, uploading to the same file', async () => {
    const { ledger, files, deps } = setup();
    rated(ledger);
    files.failNext('upload');
    await expect(uploadUsageFile(deps, input())).rejects.toMatchObject({ code: 'PLATFORM_UNREACHABLE' });
    const created = ledger.get(PAYER, PERIOD, 1);
    expect(created).toMatchObject({ step: 'file-created', outcome: 'running' });

    const { run, file } = await uploadUsageFile(deps, input());
    expect(run.outcome).toBe('succeeded');
    expect(file.id).toBe(created?.usageFileId);
    expect(files.files.size).toBe(1);
    expect(files.uploads.get(file.id)?.bytes).toEqual(WORKBOOK);
  });

  it('finds the file by external id after a crash before the ledger recorded its id', async () => {
    const { ledger, files, deps } = setup();
    rated(ledger);
    ledger.failAdvanceAt = 'file-created';
    await expect(uploadUsageFile(deps, input())).rejects.toMatchObject({ code: 'STATE' });
    expect(ledger.get(PAYER, PERIOD, 1)).toMatchObject({ step: 'rated', outcome: 'running' });
    expect(ledger.get(PAYER, PERIOD, 1)?.usageFileId).toBeUndefined();

    const { run, file } = await uploadUsageFile(deps, input());
    expect(run).toMatchObject({ outcome: 'succeeded', usageFileId: file.id });
    expect(files.files.size).toBe(1);
  });

  it('finds the file by external id when the create response was lost', async () => {
    const { ledger, files, deps } = setup();
    rated(ledger);
    files.failNext('create', { after: true });
    await expect(uploadUsageFile(deps, input())).rejects.toBeInstanceOf(ConnectorError);

    const { run } = await uploadUsageFile(deps, input());
    expect(run.outcome).toBe('succeeded');
    expect([...files.files.values()].map((f) => f.status)).toEqual(['pending']);
  });

  it('resumes after a crash between upload and submit with the submit only', async () => {
    const { ledger, files, deps } = setup();
    rated(ledger);
    files.failNext('submit');
    await expect(uploadUsageFile(deps, input())).rejects.toBeInstanceOf(ConnectorError);
    expect(ledger.get(PAYER, PERIOD, 1)).toMatchObject({ step: 'ready', usageFileStatus: 'ready' });

    const { run, file } = await uploadUsageFile(deps, input());
    expect(run.outcome).toBe('succeeded');
    expect(file.status).toBe('pending');
    expect(files.count('upload')).toBe(1);
  });

  it('records a file the platform already took as submitted when the submit response was lost', async () => {
    const { ledger, files, deps } = setup();
    rated(ledger);
    files.failNext('submit', { after: true });
    await expect(uploadUsageFile(deps, input())).rejects.toBeInstanceOf(ConnectorError);

    const { run, file } = await uploadUsageFile(deps, input());
    expect(run).toMatchObject({ step: 'done', outcome: 'succeeded', usageFileStatus: 'pending' });
    expect(file.status).toBe('pending');
    expect(files.count('submit')).toBe(1);
  });

  it('fails the run with the platform error detail when the file is invalid', async () => {
    const { ledger, files, deps } = setup();
    rated(ledger);
    files.verdict = { status: 'invalid', errorDetail: 'Row 4: column usage_record_id is empty' };
    const result = await uploadUsageFile(deps, input());

    expect(result.invalidDetail).toBe('Row 4: column usage_record_id is empty');
    expect(result.run).toMatchObject({ outcome: 'failed', usageFileStatus: 'invalid' });
    expect(result.run.error).toContain('Row 4: column usage_record_id is empty');
    expect(files.count('submit')).toBe(0);
    expect(ledger.resumable(NOW)).toEqual([]);
  });

  it.each([['QT'], [undefined]])('refuses a product with usage schema %s before creating any file', async (schema) => {
    const { ledger, files, deps } = setup();
    rated(ledger);
    files.schemas.set(PRODUCT, schema);
    const error = await uploadUsageFile(deps, input()).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((error as Error).message).toContain(`usage schema ${schema ?? '(none)'}`);
    expect((error as Error).message).toContain('price-rated usage files (schema PR)');
    expect(files.count('create')).toBe(0);
    expect(ledger.get(PAYER, PERIOD, 1)).toMatchObject({ outcome: 'failed', error: (error as Error).message });
  });

  it('starts one run when the same trigger comes twice while it runs', async () => {
    const { ledger, files, deps } = setup();
    rated(ledger);
    expect(ledger.claim({ payerAccountId: PAYER, period: PERIOD, trigger: 'schedule', reprocess: false, dryRun: false }, { ...LEASE, owner: 'other' }, NOW)).toMatchObject({ kind: 'held', run: { version: 1 } });
    await uploadUsageFile(deps, input());
    expect(ledger.list({ payerAccountId: PAYER, period: PERIOD })).toHaveLength(1);
    expect(files.files.size).toBe(1);
  });

  it('leaves a finished run as it is when called again', async () => {
    const { ledger, files, deps } = setup();
    rated(ledger);
    const first = await uploadUsageFile(deps, input());
    const again = await uploadUsageFile(deps, input());
    expect(again).toEqual(first);
    expect(files.count('create') + files.count('upload') + files.count('submit')).toBe(3);
  });
});

describe('uploadUsageFile() polling', () => {
  it('waits longer between polls, up to the maximum delay', async () => {
    const { ledger, files, sleeps, deps } = setup();
    rated(ledger);
    files.pollsToVerdict = 8;
    await uploadUsageFile(deps, input(1, { pollBaseDelayMs: 1000, pollMaxDelayMs: 30000 }));
    expect(sleeps).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('stops after maxPolls with a retryable error, then resumes polling without a second upload', async () => {
    const { ledger, files, sleeps, deps } = setup();
    rated(ledger);
    files.pollsToVerdict = 5;
    const error = await uploadUsageFile(deps, input(1, { maxPolls: 3 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE', retryable: true });
    expect(sleeps).toHaveLength(3);
    expect(ledger.get(PAYER, PERIOD, 1)).toMatchObject({ step: 'uploaded', outcome: 'running' });

    const { run } = await uploadUsageFile(deps, input(1, { maxPolls: 3 }));
    expect(run.outcome).toBe('succeeded');
    expect(files.count('upload')).toBe(1);
  });

  it('stops with ABORTED when the signal aborts during a wait, leaving the run to resume', async () => {
    const { ledger, deps } = setup();
    rated(ledger);
    const controller = new AbortController();
    deps.sleep = async () => controller.abort();
    await expect(uploadUsageFile(deps, input(1, { signal: controller.signal }))).rejects.toMatchObject({ code: 'ABORTED' });
    expect(ledger.get(PAYER, PERIOD, 1)?.outcome).toBe('running');
  });
});

describe('uploadUsageFile() reprocess', () => {
  it('deletes the pending file of v1 and submits v2 in its place', async () => {
    const { ledger, files, deps } = setup();
    rated(ledger);
    const v1 = (await uploadUsageFile(deps, input())).file;
    rated(ledger, 2);
    const { run, file } = await uploadUsageFile(deps, input(2, { replace: true }));

    expect(run).toMatchObject({ version: 2, outcome: 'succeeded' });
    expect(file.externalId).toBe('111111111111-2026-10-v2');
    expect(files.files.get(v1.id)?.status).toBe('deleted');
    expect(files.live()).toEqual([file]);
  });

  it('keeps the pending v1 while v2 turns out invalid', async () => {
    const { ledger, files, deps } = setup();
    rated(ledger);
    const v1 = (await uploadUsageFile(deps, input())).file;
    rated(ledger, 2);
    files.verdict = { status: 'invalid', errorDetail: 'bad' };
    await uploadUsageFile(deps, input(2, { replace: true }));
    expect(files.files.get(v1.id)?.status).toBe('pending');
  });

  it('refuses before creating anything when v1 was already accepted', async () => {
    const { ledger, files, deps } = setup();
    rated(ledger);
    files.submittedStatus = 'accepted';
    const v1 = (await uploadUsageFile(deps, input())).file;
    rated(ledger, 2);
    const error = await uploadUsageFile(deps, input(2, { replace: true })).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((error as Error).message).toContain(`the platform already accepted usage file ${v1.id}`);
    expect((error as Error).message).toContain("the platform's own adjustment process");
    expect(files.count('create')).toBe(1);
    expect(files.live()).toEqual([{ ...v1, status: 'accepted' }]);
    expect(ledger.get(PAYER, PERIOD, 2)?.outcome).toBe('failed');
  });

  it('finds a closed v1 by its external id when the ledger has no file for it', async () => {
    const { ledger, files, deps } = setup();
    const v1 = files.seed({ externalId: '111111111111-2026-10-v1', status: 'closed', productId: PRODUCT });
    // v1 of the ledger ended without recording its file (e.g. it was uploaded by hand).
    rated(ledger, 1);
    ledger.finish({ payerAccountId: PAYER, period: PERIOD, version: 1, dryRun: false }, 'succeeded', undefined, NOW);
    rated(ledger, 2);
    await expect(uploadUsageFile(deps, input(2, { replace: true }))).rejects.toThrow(`the platform already closed usage file ${v1.id}`);
    expect(files.count('create')).toBe(0);
  });
});

describe('uploadUsageFile() progress', () => {
  const steps = (events: Progress[]): string[] => events.map((p) => `${p.phase} ${p.done}/${p.total ?? '?'} ${p.unit}`);

  it('tells each step as the ledger records it: created, uploaded, ready, submitted', async () => {
    const { ledger, deps } = setup();
    rated(ledger);
    const events: Progress[] = [];
    await uploadUsageFile({ ...deps, onProgress: (p) => events.push(p) }, input());
    expect(steps(events)).toEqual([
      `upload payer ${PAYER} (file-created) 1/4 steps`,
      `upload payer ${PAYER} (uploaded) 2/4 steps`,
      `upload payer ${PAYER} (ready) 3/4 steps`,
      `upload payer ${PAYER} (submitted) 4/4 steps`,
    ]);
  });

  it('on a resume tells the step it resumes from first, then the ones left', async () => {
    const { ledger, deps } = setup();
    rated(ledger);
    ledger.failAdvanceAt = 'uploaded';
    const first: Progress[] = [];
    await expect(uploadUsageFile({ ...deps, onProgress: (p) => first.push(p) }, input())).rejects.toThrow('the process died here');
    expect(steps(first)).toEqual([`upload payer ${PAYER} (file-created) 1/4 steps`]);

    const second: Progress[] = [];
    await uploadUsageFile({ ...deps, onProgress: (p) => second.push(p) }, input());
    expect(steps(second)).toEqual([
      `upload payer ${PAYER} (file-created) 1/4 steps`,
      `upload payer ${PAYER} (uploaded) 2/4 steps`,
      `upload payer ${PAYER} (ready) 3/4 steps`,
      `upload payer ${PAYER} (submitted) 4/4 steps`,
    ]);
  });
});
