/**
 * The run ledger in the state database: one row per payer, period and version,
 * moved through `RUN_STEPS` so a crashed run resumes at the next step. Money
 * (`billed_total`) stays exact decimal TEXT.
 */
import type Database from 'better-sqlite3';
import type { RunLedger, RunRecord, RunStep } from '../app/usage/ports.js';
import { ConnectorError } from '../domain/errors.js';
import { inState } from './database.js';

interface RunRow {
  payer_account_id: string;
  period: string;
  version: number;
  step: string;
  outcome: string;
  trigger: string;
  usage_file_id: string | null;
  usage_file_status: string | null;
  workbook_path: string | null;
  report_path: string | null;
  billed_total: string | null;
  currency: string | null;
  records: number | null;
  error: string | null;
  started_at: string;
  updated_at: string;
}

type RunKey = [payer: string, period: string, version: number];
type RunFields = Parameters<RunLedger['advance']>[4];

/** Every optional column, null when not given (so `COALESCE` keeps the stored value). */
interface FieldParams {
  outcome: string | null;
  trigger: string | null;
  usageFileId: string | null;
  usageFileStatus: string | null;
  workbookPath: string | null;
  reportPath: string | null;
  billedTotal: string | null;
  currency: string | null;
  records: number | null;
  error: string | null;
}

interface AdvanceParams extends FieldParams {
  payer: string;
  period: string;
  version: number;
  step: string;
  updatedAt: string;
}

interface FinishParams {
  payer: string;
  period: string;
  version: number;
  outcome: string;
  error: string | null;
  updatedAt: string;
}

interface StartParams {
  payer: string;
  period: string;
  version: number;
  trigger: string;
  now: string;
}

type StartResult = { started: true; run: RunRecord } | { started: false; running: RunRecord };

function recordOf(row: RunRow): RunRecord {
  const run: RunRecord = {
    payerAccountId: row.payer_account_id,
    period: row.period,
    version: row.version,
    step: row.step as RunStep,
    outcome: row.outcome as RunRecord['outcome'],
    trigger: row.trigger,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
  };
  if (row.usage_file_id !== null) run.usageFileId = row.usage_file_id;
  if (row.usage_file_status !== null) run.usageFileStatus = row.usage_file_status;
  if (row.workbook_path !== null) run.workbookPath = row.workbook_path;
  if (row.report_path !== null) run.reportPath = row.report_path;
  if (row.billed_total !== null) run.billedTotal = row.billed_total;
  if (row.currency !== null) run.currency = row.currency;
  if (row.records !== null) run.records = row.records;
  if (row.error !== null) run.error = row.error;
  return run;
}

function fieldParams(fields: RunFields): FieldParams {
  return {
    outcome: fields.outcome ?? null,
    trigger: fields.trigger ?? null,
    usageFileId: fields.usageFileId ?? null,
    usageFileStatus: fields.usageFileStatus ?? null,
    workbookPath: fields.workbookPath ?? null,
    reportPath: fields.reportPath ?? null,
    billedTotal: fields.billedTotal ?? null,
    currency: fields.currency ?? null,
    records: fields.records ?? null,
    error: fields.error ?? null,
  };
}

const label = (payer: string, period: string, version: number): string => `run v${version} of payer ${payer} for ${period}`;

/**
 * `RunLedger` on the `runs` table; times come from the `now` given. `start` runs
 * in an IMMEDIATE transaction and a partial unique index allows one `running`
 * row per payer and period, so two triggers (even two processes) start one run.
 */
export class SqliteRunLedger implements RunLedger {
  private readonly selectOne: Database.Statement<RunKey, RunRow>;
  private readonly selectLatest: Database.Statement<[string, string], RunRow>;
  private readonly selectRunning: Database.Statement<[string, string], RunRow>;
  private readonly selectUnfinished: Database.Statement<[], RunRow>;
  private readonly selectList: Database.Statement<{ payer: string | null; period: string | null; limit: number }, RunRow>;
  private readonly insertRow: Database.Statement<StartParams>;
  private readonly advanceRow: Database.Statement<AdvanceParams, RunRow>;
  private readonly finishRow: Database.Statement<FinishParams, RunRow>;
  private readonly startOnce: { immediate: (params: StartParams) => StartResult };

  /** `db` is `StateDatabase.db`, already migrated. */
  constructor(db: Database.Database) {
    const what = 'prepare the run ledger';
    const key = 'payer_account_id = ? AND period = ?';
    this.selectOne = inState(what, () => db.prepare<RunKey, RunRow>(`SELECT * FROM runs WHERE ${key} AND version = ?`));
    this.selectLatest = inState(what, () => db.prepare<[string, string], RunRow>(`SELECT * FROM runs WHERE ${key} ORDER BY version DESC LIMIT 1`));
    this.selectRunning = inState(what, () => db.prepare<[string, string], RunRow>(`SELECT * FROM runs WHERE ${key} AND outcome = 'running'`));
    this.selectUnfinished = inState(what, () =>
      db.prepare<[], RunRow>("SELECT * FROM runs WHERE outcome = 'running' ORDER BY started_at, payer_account_id, period, version"),
    );
    this.selectList = inState(what, () =>
      db.prepare<{ payer: string | null; period: string | null; limit: number }, RunRow>(
        `SELECT * FROM runs
         WHERE (@payer IS NULL OR payer_account_id = @payer) AND (@period IS NULL OR period = @period)
         ORDER BY started_at DESC, version DESC, payer_account_id, period
         LIMIT @limit`,
      ),
    );
    this.insertRow = inState(what, () =>
      db.prepare<StartParams>(
        `INSERT INTO runs (payer_account_id, period, version, step, outcome, "trigger", started_at, updated_at)
         VALUES (@payer, @period, @version, 'started', 'running', @trigger, @now, @now)`,
      ),
    );
    this.advanceRow = inState(what, () =>
      db.prepare<AdvanceParams, RunRow>(
        `UPDATE runs SET
           step = @step,
           outcome = COALESCE(@outcome, outcome),
           "trigger" = COALESCE(@trigger, "trigger"),
           usage_file_id = COALESCE(@usageFileId, usage_file_id),
           usage_file_status = COALESCE(@usageFileStatus, usage_file_status),
           workbook_path = COALESCE(@workbookPath, workbook_path),
           report_path = COALESCE(@reportPath, report_path),
           billed_total = COALESCE(@billedTotal, billed_total),
           currency = COALESCE(@currency, currency),
           records = COALESCE(@records, records),
           error = COALESCE(@error, error),
           updated_at = @updatedAt
         WHERE payer_account_id = @payer AND period = @period AND version = @version
         RETURNING *`,
      ),
    );
    this.finishRow = inState(what, () =>
      db.prepare<FinishParams, RunRow>(
        `UPDATE runs SET
           outcome = @outcome,
           step = CASE WHEN @outcome = 'succeeded' THEN 'done' ELSE step END,
           error = @error,
           updated_at = @updatedAt
         WHERE payer_account_id = @payer AND period = @period AND version = @version
         RETURNING *`,
      ),
    );
    this.startOnce = db.transaction((params: StartParams): StartResult => {
      const running = this.selectRunning.get(params.payer, params.period);
      if (running !== undefined) return { started: false, running: recordOf(running) };
      if (this.selectOne.get(params.payer, params.period, params.version) !== undefined) {
        throw new ConnectorError('STATE', `${label(params.payer, params.period, params.version)} already exists; a new run needs a new version`);
      }
      this.insertRow.run(params);
      const row = this.selectOne.get(params.payer, params.period, params.version);
      if (row === undefined) throw new ConnectorError('INTERNAL', `${label(params.payer, params.period, params.version)} is missing right after it was started`);
      return { started: true, run: recordOf(row) };
    });
  }

  latest(payerAccountId: string, period: string): RunRecord | undefined {
    const row = inState(`read the latest run of payer ${payerAccountId} for ${period}`, () => this.selectLatest.get(payerAccountId, period));
    return row === undefined ? undefined : recordOf(row);
  }

  get(payerAccountId: string, period: string, version: number): RunRecord | undefined {
    const row = inState(`read ${label(payerAccountId, period, version)}`, () => this.selectOne.get(payerAccountId, period, version));
    return row === undefined ? undefined : recordOf(row);
  }

  /** New runs are at step `started`, outcome `running`. An existing version throws `STATE`. */
  start(input: { payerAccountId: string; period: string; version: number; trigger: string }, now: Date): StartResult {
    const { payerAccountId: payer, period, version, trigger } = input;
    return inState(`start ${label(payer, period, version)}`, () => this.startOnce.immediate({ payer, period, version, trigger, now: now.toISOString() }));
  }

  /** Fields left undefined keep their stored value. An unknown run throws `STATE`. */
  advance(payerAccountId: string, period: string, version: number, step: RunStep, fields: RunFields, now: Date): RunRecord {
    const name = label(payerAccountId, period, version);
    const row = inState(`record step ${step} of ${name}`, () =>
      this.advanceRow.get({ payer: payerAccountId, period, version, step, updatedAt: now.toISOString(), ...fieldParams(fields) }),
    );
    if (row === undefined) throw new ConnectorError('STATE', `cannot record step ${step}: there is no ${name}`);
    return recordOf(row);
  }

  /** `succeeded` moves the step to `done` and clears the error; `failed` keeps the step reached. */
  finish(payerAccountId: string, period: string, version: number, outcome: 'succeeded' | 'failed', error: string | undefined, now: Date): RunRecord {
    const name = label(payerAccountId, period, version);
    const row = inState(`finish ${name}`, () =>
      this.finishRow.get({ payer: payerAccountId, period, version, outcome, error: outcome === 'failed' ? (error ?? null) : null, updatedAt: now.toISOString() }),
    );
    if (row === undefined) throw new ConnectorError('STATE', `cannot finish: there is no ${name}`);
    return recordOf(row);
  }

  /** Latest started first; `limit` defaults to all. */
  list(filter: { payerAccountId?: string; period?: string; limit?: number } = {}): RunRecord[] {
    const params = { payer: filter.payerAccountId ?? null, period: filter.period ?? null, limit: filter.limit ?? -1 };
    return inState('list the runs', () => this.selectList.all(params)).map(recordOf);
  }

  /** Oldest started first. */
  unfinished(): RunRecord[] {
    return inState('list the unfinished runs', () => this.selectUnfinished.all()).map(recordOf);
  }
}
