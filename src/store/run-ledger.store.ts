/**
 * The run ledger in the state database: one row per payer, period, sequence
 * (live or dry) and version, moved through `RUN_STEPS` so a stopped run resumes
 * at the next step. A run is held by a lease (owner token, holder, expiry) that
 * `renew` and `advance` extend; a running row whose lease ran out reads back as
 * `abandoned`. Money (`billed_total`) stays exact decimal TEXT.
 */
import type Database from 'better-sqlite3';
import type { RunClaim, RunFields, RunLease, RunLedger, RunRecord, RunStep } from '../app/usage/ports.js';
import { ConnectorError } from '../domain/errors.js';
import { inState } from './database.js';

interface RunRow {
  payer_account_id: string;
  period: string;
  dry_run: 0 | 1;
  version: number;
  step: string;
  outcome: 'running' | 'interrupted' | 'succeeded' | 'failed';
  trigger: string;
  lease_owner: string | null;
  holder: string | null;
  lease_expires_at: string | null;
  lease_ttl_ms: number | null;
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

/** Which run: the primary key. */
type RunRef = Pick<RunRecord, 'payerAccountId' | 'period' | 'version' | 'dryRun'>;
interface SequenceParams {
  payer: string;
  period: string;
  dry: 0 | 1;
}
interface KeyParams extends SequenceParams {
  version: number;
}
/** A lease taken or extended at `now`. */
interface LeaseParams extends KeyParams {
  owner: string;
  holder: string;
  expiresAt: string;
  ttlMs: number;
  now: string;
}
type ClaimInput = Parameters<RunLedger['claim']>[0];

const FIELD_COLUMNS = {
  trigger: '"trigger"',
  usageFileId: 'usage_file_id',
  usageFileStatus: 'usage_file_status',
  workbookPath: 'workbook_path',
  reportPath: 'report_path',
  billedTotal: 'billed_total',
  currency: 'currency',
  records: 'records',
  error: 'error',
} as const satisfies Record<keyof Required<RunFields>, string>;
type FieldParams = { [K in keyof typeof FIELD_COLUMNS]: Required<RunFields>[K] | null };

/** A lease is live while its expiry is after `now`; a released or migrated lease (null) is not. */
const leaseLive = (row: RunRow, now: Date): boolean => row.lease_expires_at !== null && row.lease_expires_at > now.toISOString();

function recordOf(row: RunRow, now: Date): RunRecord {
  const run: RunRecord = {
    payerAccountId: row.payer_account_id,
    period: row.period,
    version: row.version,
    dryRun: row.dry_run === 1,
    step: row.step as RunStep,
    outcome: row.outcome === 'running' && !leaseLive(row, now) ? 'abandoned' : row.outcome,
    trigger: row.trigger,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
  };
  if (row.holder !== null) run.holder = row.holder;
  if (row.lease_expires_at !== null) run.leaseExpiresAt = row.lease_expires_at;
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

const sequenceOf = (payer: string, period: string, dryRun: boolean | undefined): SequenceParams => ({ payer, period, dry: dryRun === true ? 1 : 0 });
const keyOf = (run: RunRef): KeyParams => ({ ...sequenceOf(run.payerAccountId, run.period, run.dryRun), version: run.version });
const label = (key: KeyParams): string => `${key.dry === 1 ? 'dry run' : 'run'} v${key.version} of payer ${key.payer} for ${key.period}`;
const expiry = (now: Date, ttlMs: number): string => new Date(now.getTime() + ttlMs).toISOString();

function leaseParams(key: KeyParams, lease: RunLease, now: Date): LeaseParams {
  if (!Number.isSafeInteger(lease.ttlMs) || lease.ttlMs <= 0) {
    throw new ConnectorError('INTERNAL', `a run lease needs a whole positive ttlMs, got ${String(lease.ttlMs)}`);
  }
  return { ...key, owner: lease.owner, holder: lease.holder, expiresAt: expiry(now, lease.ttlMs), ttlMs: lease.ttlMs, now: now.toISOString() };
}

function fieldParams(fields: RunFields): FieldParams {
  return {
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

const KEY = 'payer_account_id = @payer AND period = @period AND dry_run = @dry';
const ROW = `${KEY} AND version = @version`;
const RELEASE = 'lease_owner = NULL, lease_expires_at = NULL, lease_ttl_ms = NULL';
const TAKE = 'lease_owner = @owner, holder = @holder, lease_expires_at = @expiresAt, lease_ttl_ms = @ttlMs';

/**
 * `RunLedger` on the `runs` table. `claim` decides and writes in one IMMEDIATE
 * transaction, and a partial unique index allows one `running` row per payer,
 * period and sequence, so two triggers (even two processes) never hold the
 * same month. Times come from the `now` given; `get`, `latest` and a `list`
 * without `now` judge leases by `now()` (default: the system clock).
 */
export class SqliteRunLedger implements RunLedger {
  private readonly selectOne: Database.Statement<KeyParams, RunRow>;
  private readonly selectLatest: Database.Statement<SequenceParams, RunRow>;
  private readonly selectRunning: Database.Statement<SequenceParams, RunRow>;
  private readonly selectList: Database.Statement<{ payer: string | null; period: string | null; dry: number | null; limit: number }, RunRow>;
  private readonly selectResumable: Database.Statement<{ now: string }, RunRow>;
  private readonly insertRow: Database.Statement<LeaseParams & { trigger: string }>;
  private readonly takeRow: Database.Statement<LeaseParams, RunRow>;
  private readonly restartRow: Database.Statement<LeaseParams & { trigger: string }, RunRow>;
  private readonly renewRow: Database.Statement<LeaseParams>;
  private readonly advanceRow: Database.Statement<KeyParams & FieldParams & { step: string; expiresAt: string | null; now: string }, RunRow>;
  private readonly finishRow: Database.Statement<KeyParams & { outcome: string; error: string | null; now: string }, RunRow>;
  private readonly interruptRow: Database.Statement<KeyParams & { reason: string; now: string }, RunRow>;
  private readonly claimOnce: { immediate: (input: ClaimInput, lease: RunLease, now: Date) => RunClaim };
  private readonly advanceOnce: { immediate: (key: KeyParams, step: RunStep, fields: RunFields, now: Date) => RunRow | undefined };

  /** `db` is `StateDatabase.db`, already migrated; `now` is the clock `get`, `latest` and `list` read leases by. */
  constructor(
    db: Database.Database,
    private readonly now: () => Date = () => new Date(),
  ) {
    const prepare = <P extends object, R = unknown>(sql: string): Database.Statement<P, R> => inState('prepare the run ledger', () => db.prepare<P, R>(sql));
    this.selectOne = prepare(`SELECT * FROM runs WHERE ${ROW}`);
    this.selectLatest = prepare(`SELECT * FROM runs WHERE ${KEY} ORDER BY version DESC LIMIT 1`);
    this.selectRunning = prepare(`SELECT * FROM runs WHERE ${KEY} AND outcome = 'running'`);
    this.selectList = prepare(
      `SELECT * FROM runs
       WHERE (@payer IS NULL OR payer_account_id = @payer) AND (@period IS NULL OR period = @period) AND (@dry IS NULL OR dry_run = @dry)
       ORDER BY started_at DESC, version DESC, payer_account_id, period, dry_run
       LIMIT @limit`,
    );
    this.selectResumable = prepare(
      `SELECT * FROM runs
       WHERE dry_run = 0 AND (outcome = 'interrupted' OR (outcome = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= @now)))
       ORDER BY started_at, payer_account_id, period, version`,
    );
    this.insertRow = prepare(
      `INSERT INTO runs (payer_account_id, period, dry_run, version, step, outcome, "trigger", lease_owner, holder, lease_expires_at, lease_ttl_ms, started_at, updated_at)
       VALUES (@payer, @period, @dry, @version, 'started', 'running', @trigger, @owner, @holder, @expiresAt, @ttlMs, @now, @now)`,
    );
    this.takeRow = prepare(`UPDATE runs SET outcome = 'running', ${TAKE}, error = NULL, updated_at = @now WHERE ${ROW} RETURNING *`);
    const cleared = Object.values(FIELD_COLUMNS)
      .filter((column) => column !== '"trigger"')
      .map((column) => `${column} = NULL`)
      .join(', ');
    this.restartRow = prepare(
      `UPDATE runs SET step = 'started', outcome = 'running', "trigger" = @trigger, ${TAKE}, ${cleared}, started_at = @now, updated_at = @now WHERE ${ROW} RETURNING *`,
    );
    this.renewRow = prepare(`UPDATE runs SET ${TAKE} WHERE ${ROW} AND outcome = 'running' AND lease_owner = @owner`);
    const kept = Object.entries(FIELD_COLUMNS)
      .map(([name, column]) => `${column} = COALESCE(@${name}, ${column})`)
      .join(', ');
    this.advanceRow = prepare(
      `UPDATE runs SET step = @step, ${kept}, lease_expires_at = COALESCE(@expiresAt, lease_expires_at), updated_at = @now WHERE ${ROW} RETURNING *`,
    );
    this.finishRow = prepare(
      `UPDATE runs SET outcome = @outcome, step = CASE WHEN @outcome = 'succeeded' THEN 'done' ELSE step END, error = @error, ${RELEASE}, updated_at = @now
       WHERE ${ROW} RETURNING *`,
    );
    this.interruptRow = prepare(
      `UPDATE runs SET outcome = 'interrupted', error = @reason, ${RELEASE}, updated_at = @now WHERE ${ROW} AND outcome IN ('running', 'interrupted') RETURNING *`,
    );
    this.claimOnce = db.transaction((input: ClaimInput, lease: RunLease, now: Date) => this.decide(input, lease, now));
    this.advanceOnce = db.transaction((key: KeyParams, step: RunStep, fields: RunFields, now: Date) => {
      const row = this.selectOne.get(key);
      if (row === undefined) return undefined;
      const expiresAt = row.outcome === 'running' && row.lease_ttl_ms !== null ? expiry(now, row.lease_ttl_ms) : null;
      return this.advanceRow.get({ ...key, ...fieldParams(fields), step, expiresAt, now: now.toISOString() });
    });
  }

  latest(payerAccountId: string, period: string, options: { dryRun?: boolean } = {}): RunRecord | undefined {
    const sequence = sequenceOf(payerAccountId, period, options.dryRun);
    const row = inState(`read the latest run of payer ${payerAccountId} for ${period}`, () => this.selectLatest.get(sequence));
    return row === undefined ? undefined : recordOf(row, this.now());
  }

  get(payerAccountId: string, period: string, version: number, options: { dryRun?: boolean } = {}): RunRecord | undefined {
    const key = { ...sequenceOf(payerAccountId, period, options.dryRun), version };
    const row = inState(`read ${label(key)}`, () => this.selectOne.get(key));
    return row === undefined ? undefined : recordOf(row, this.now());
  }

  /**
   * See `RunLedger.claim`. A resumed run keeps its step, fields and trigger (what
   * first started it) and loses the error of its interruption; a resumable run
   * is resumed even with `reprocess`. A new version or a dry restart is at step
   * `started` with `input.trigger`. The lease runs to `now + lease.ttlMs`.
   */
  claim(input: ClaimInput, lease: RunLease, now: Date): RunClaim {
    return inState(`claim the ${input.dryRun ? 'dry run' : 'run'} of payer ${input.payerAccountId} for ${input.period}`, () => this.claimOnce.immediate(input, lease, now));
  }

  /** Also true when the lease ran out but nobody took the run over; the holder text is refreshed. */
  renew(run: RunRef, lease: RunLease, now: Date): boolean {
    const key = keyOf(run);
    return inState(`renew the lease of ${label(key)}`, () => this.renewRow.run(leaseParams(key, lease, now)).changes === 1);
  }

  /** Fields left undefined keep their stored value; a running run's lease moves to `now` + its ttl. An unknown run throws `STATE`. */
  advance(run: RunRef, step: RunStep, fields: RunFields, now: Date): RunRecord {
    const key = keyOf(run);
    const row = inState(`record step ${step} of ${label(key)}`, () => this.advanceOnce.immediate(key, step, fields, now));
    if (row === undefined) throw new ConnectorError('STATE', `cannot record step ${step}: there is no ${label(key)}`);
    return recordOf(row, now);
  }

  /** `succeeded` moves the step to `done` and clears the error; `failed` keeps the step reached. The holder stays, for a person. */
  finish(run: RunRef, outcome: 'succeeded' | 'failed', error: string | undefined, now: Date): RunRecord {
    const key = keyOf(run);
    const row = inState(`finish ${label(key)}`, () => this.finishRow.get({ ...key, outcome, error: outcome === 'failed' ? (error ?? null) : null, now: now.toISOString() }));
    if (row === undefined) throw new ConnectorError('STATE', `cannot finish: there is no ${label(key)}`);
    return recordOf(row, now);
  }

  /** A run that already ended (succeeded or failed) is returned unchanged: a stop after the end changes nothing. An unknown run throws `STATE`. */
  interrupt(run: RunRef, reason: string, now: Date): RunRecord {
    const key = keyOf(run);
    const row = inState(`interrupt ${label(key)}`, () => this.interruptRow.get({ ...key, reason, now: now.toISOString() }) ?? this.selectOne.get(key));
    if (row === undefined) throw new ConnectorError('STATE', `cannot interrupt: there is no ${label(key)}`);
    return recordOf(row, now);
  }

  /** Latest started first; `limit` defaults to all; `now` (default `now()`) decides which running runs are abandoned. */
  list(filter: { payerAccountId?: string; period?: string; limit?: number; dryRun?: boolean | 'all' } = {}, now: Date = this.now()): RunRecord[] {
    const dry = filter.dryRun === 'all' ? null : filter.dryRun === true ? 1 : 0;
    const params = { payer: filter.payerAccountId ?? null, period: filter.period ?? null, dry, limit: filter.limit ?? -1 };
    return inState('list the runs', () => this.selectList.all(params)).map((row) => recordOf(row, now));
  }

  resumable(now: Date): RunRecord[] {
    return inState('list the resumable runs', () => this.selectResumable.all({ now: now.toISOString() })).map((row) => recordOf(row, now));
  }

  /** The body of `claim`, inside its transaction. */
  private decide(input: ClaimInput, lease: RunLease, now: Date): RunClaim {
    const sequence = sequenceOf(input.payerAccountId, input.period, input.dryRun);
    const at = (version: number): LeaseParams => leaseParams({ ...sequence, version }, lease, now);
    const claimed = (row: RunRow | undefined, resumed: boolean): RunClaim => {
      if (row === undefined) throw new ConnectorError('INTERNAL', `the run of payer ${input.payerAccountId} for ${input.period} is missing right after it was claimed`);
      return { kind: 'claimed', run: recordOf(row, now), resumed };
    };

    const running = this.selectRunning.get(sequence);
    if (running !== undefined) {
      if (running.lease_owner !== lease.owner && leaseLive(running, now)) return { kind: 'held', run: recordOf(running, now) };
      return claimed(this.takeRow.get(at(running.version)), true);
    }
    const latest = this.selectLatest.get(sequence);
    if (latest?.outcome === 'interrupted') return claimed(this.takeRow.get(at(latest.version)), true);
    if (latest !== undefined && !input.reprocess) {
      if (!input.dryRun && latest.outcome === 'succeeded') return { kind: 'already-done', run: recordOf(latest, now) };
      if (input.dryRun) return claimed(this.restartRow.get({ ...at(latest.version), trigger: input.trigger }), false);
    }
    const params = { ...at((latest?.version ?? 0) + 1), trigger: input.trigger };
    this.insertRow.run(params);
    return claimed(this.selectOne.get(params), false);
  }
}
