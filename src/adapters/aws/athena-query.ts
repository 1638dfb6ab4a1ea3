/**
 * One Athena query from start to a finished execution: StartQueryExecution with an
 * idempotency token, GetQueryExecution polled with exponential back-off, throttling
 * retried on top of the SDK's own retries, and GetQueryResults paged. Every failure
 * leaves as a `ConnectorError`.
 */
import { createHash } from 'node:crypto';
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  GetTableMetadataCommand,
  StartQueryExecutionCommand,
  type AthenaClient,
  type QueryExecution,
  type TableMetadata,
} from '@aws-sdk/client-athena';
import { ConnectorError } from '../../domain/errors.js';
import { translateAwsError } from './aws-errors.js';

/** `AthenaError.ErrorCategory` names (AWS.md "Athena API"). */
const ERROR_CATEGORIES: Readonly<Record<number, string>> = { 1: 'system', 2: 'user', 3: 'other' };
const THROTTLED = new Set(['TooManyRequestsException', 'ThrottlingException', 'Throttling']);
/** Rows per GetQueryResults page (Athena's maximum). */
export const RESULTS_PAGE_SIZE = 1000;
/** How many times an old failed execution found under a token is replaced by a new one. */
const MAX_RESUBMISSIONS = 5;

/**
 * The `ClientRequestToken` of a run's query: `nr-<payer>-<period>-v<runVersion>-<40 hex of
 * sha256(query)>`, 32 to 128 characters as Athena requires. The same payer, period, run
 * version and query text give the same token, so a restarted run re-attaches to the
 * execution it started instead of starting a second one.
 */
export function athenaRequestToken(key: { payerAccountId: string; period: string; runVersion: number; query: string }): string {
  const hash = createHash('sha256').update(key.query, 'utf8').digest('hex').slice(0, 40);
  return `nr-${key.payerAccountId}-${key.period}-v${key.runVersion}-${hash}`;
}

/** Where and how queries run; all delays in ms. */
export interface AthenaQueryRunnerOptions {
  athena: Pick<AthenaClient, 'send'>;
  payerAccountId: string;
  database: string;
  catalog: string;
  workgroup?: string;
  /** `s3://bucket/prefix/`; absent: the workgroup's setting (or managed query results). */
  outputLocation?: string;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Epoch ms. */
  now: () => number;
  pollBaseDelayMs: number;
  pollMaxDelayMs: number;
  maxWaitMs: number;
  /** Own retries of a throttled call after the SDK's have run out. */
  throttleRetries: number;
  /** Values never to show in a message (the external id). */
  secrets: ReadonlyArray<string | undefined>;
}

/** A SUCCEEDED execution. */
export interface FinishedQuery {
  id: string;
  /** `s3://bucket/key.csv` of the result, when the results went to S3. */
  outputLocation: string | undefined;
  workgroup: string | undefined;
}

export interface RunOptions {
  /** Idempotency token (`athenaRequestToken`); absent: the SDK makes a fresh one (a new query each call). */
  token?: string;
  signal?: AbortSignal;
  /** Called after each wait with the ms since the query was started. */
  onWait?: (waitedMs: number) => void;
  /**
   * Called each time a poll shows more bytes scanned (GetQueryExecution
   * `Statistics.DataScannedInBytes`), the finished query's figure included:
   * the scan's real progress, in bytes (Athena gives no total).
   */
  onScanned?: (bytes: number) => void;
}

/** The `cause` of a FAILED or CANCELLED query's error: Athena's reason (`INVALID_CAST_ARGUMENT: ...`). */
export class AthenaQueryFailure extends Error {
  constructor(
    readonly reason: string,
    readonly cancelled: boolean,
  ) {
    super(reason);
    this.name = 'AthenaQueryFailure';
  }
}

export class AthenaQueryRunner {
  constructor(private readonly o: AthenaQueryRunnerOptions) {}

  /**
   * Starts `query` (or re-attaches to the execution its token names) and waits until it
   * SUCCEEDED. FAILED and CANCELLED throw `CUR_INPUT` naming Athena's reason and error
   * category (retryable as Athena says); still QUEUED/RUNNING after `maxWaitMs` throws a
   * retryable `AWS_CALL` and leaves the query running, so a retry re-attaches to it.
   * A token that names an execution which failed retryably (or was cancelled) before this
   * call began is followed by `<token>-r1`, `-r2`, ...: a retry gets a fresh query.
   */
  async run(query: string, options: RunOptions = {}): Promise<FinishedQuery> {
    const begun = this.o.now();
    for (let resubmission = 0; ; resubmission += 1) {
      const token = options.token === undefined || resubmission === 0 ? options.token : `${options.token}-r${resubmission}`;
      const id = await this.start(query, token, options.signal);
      const execution = await this.waitFor(id, options);
      const state = execution.Status?.State;
      if (state === 'SUCCEEDED') {
        return { id, outputLocation: execution.ResultConfiguration?.OutputLocation, workgroup: execution.WorkGroup };
      }
      const submitted = execution.Status?.SubmissionDateTime?.getTime();
      const stale = token !== undefined && submitted !== undefined && submitted < begun;
      const worthAnother = state === 'CANCELLED' || execution.Status?.AthenaError?.Retryable === true;
      if (!(stale && worthAnother && resubmission < MAX_RESUBMISSIONS)) throw this.failure(id, execution);
    }
  }

  /**
   * The table's metadata (GetTableMetadata in the runner's catalog and database): its
   * `Columns` and `PartitionKeys` with their types. SDK errors leave translated
   * (`translateAwsError`; throttling retried as for every call).
   */
  async tableMetadata(table: string, signal?: AbortSignal): Promise<TableMetadata> {
    const { catalog, database, workgroup } = this.o;
    const out = await this.call(
      'GetTableMetadata',
      () =>
        this.o.athena.send(
          new GetTableMetadataCommand({ CatalogName: catalog, DatabaseName: database, TableName: table, ...(workgroup === undefined ? {} : { WorkGroup: workgroup }) }),
          { abortSignal: signal },
        ),
      signal,
    );
    if (!out.TableMetadata) throw new ConnectorError('AWS_CALL', `AWS GetTableMetadata of ${database}.${table} for payer ${this.o.payerAccountId} returned no TableMetadata`, { where: this.where() });
    return out.TableMetadata;
  }

  /** The rows of a finished query through GetQueryResults, header row first; NULL reads as ''. */
  async *rows(id: string, signal?: AbortSignal): AsyncGenerator<string[]> {
    let nextToken: string | undefined;
    do {
      const page = await this.call(
        'GetQueryResults',
        () => this.o.athena.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: RESULTS_PAGE_SIZE, NextToken: nextToken }), { abortSignal: signal }),
        signal,
      );
      for (const row of page.ResultSet?.Rows ?? []) yield (row.Data ?? []).map((d) => d.VarCharValue ?? '');
      nextToken = page.NextToken;
    } while (nextToken !== undefined && nextToken !== '');
  }

  private async start(query: string, token: string | undefined, signal?: AbortSignal): Promise<string> {
    const { database, catalog, workgroup, outputLocation } = this.o;
    const out = await this.call(
      'StartQueryExecution',
      () =>
        this.o.athena.send(
          new StartQueryExecutionCommand({
            QueryString: query,
            QueryExecutionContext: { Database: database, Catalog: catalog },
            ...(token === undefined ? {} : { ClientRequestToken: token }),
            ...(workgroup === undefined ? {} : { WorkGroup: workgroup }),
            ...(outputLocation === undefined ? {} : { ResultConfiguration: { OutputLocation: outputLocation } }),
          }),
          { abortSignal: signal },
        ),
      signal,
    );
    if (!out.QueryExecutionId) throw new ConnectorError('AWS_CALL', `AWS StartQueryExecution for payer ${this.o.payerAccountId} returned no QueryExecutionId`, { where: this.where() });
    return out.QueryExecutionId;
  }

  /** Polls until the execution leaves QUEUED/RUNNING (it may go from RUNNING back to QUEUED). */
  private async waitFor(id: string, options: RunOptions): Promise<QueryExecution> {
    const { signal } = options;
    const started = this.o.now();
    let scanned = -1;
    for (let poll = 0; ; poll += 1) {
      const out = await this.call('GetQueryExecution', () => this.o.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }), { abortSignal: signal }), signal);
      const execution = out.QueryExecution ?? {};
      const bytes = execution.Statistics?.DataScannedInBytes;
      if (bytes !== undefined && bytes > scanned) {
        scanned = bytes;
        options.onScanned?.(bytes);
      }
      const state = execution.Status?.State;
      if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') return execution;
      const waited = this.o.now() - started;
      if (waited >= this.o.maxWaitMs) {
        throw new ConnectorError(
          'AWS_CALL',
          `Athena query ${id} for payer ${this.o.payerAccountId} is still ${state ?? 'pending'} after ${Math.round(waited / 1000)} s; rate later (the query keeps running and the next try picks it up)`,
          { where: { ...this.where(), value: id }, retryable: true },
        );
      }
      await this.pause(Math.min(this.delay(poll), this.o.maxWaitMs - waited), signal);
      options.onWait?.(this.o.now() - started);
    }
  }

  private failure(id: string, execution: QueryExecution): ConnectorError {
    const status = execution.Status ?? {};
    const error = status.AthenaError;
    const reason = status.StateChangeReason ?? error?.ErrorMessage ?? 'no reason given';
    const category = error?.ErrorCategory === undefined ? undefined : (ERROR_CATEGORIES[error.ErrorCategory] ?? `category ${error.ErrorCategory}`);
    const verb = status.State === 'CANCELLED' ? 'cancelled' : 'failed';
    return new ConnectorError('CUR_INPUT', `Athena query ${verb} for payer ${this.o.payerAccountId}: ${reason}${category === undefined ? '' : ` (${category})`}`, {
      where: { ...this.where(), value: id },
      retryable: error?.Retryable === true,
      cause: new AthenaQueryFailure(reason, status.State === 'CANCELLED'),
    });
  }

  /** An AWS call: throttling that outlives the SDK's retries is retried here with back-off, then reported. */
  private async call<T>(operation: string, send: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let retry = 0; ; retry += 1) {
      if (signal?.aborted) throw this.aborted(operation);
      try {
        return await send();
      } catch (error) {
        if (!isThrottled(error) || retry >= this.o.throttleRetries || signal?.aborted) {
          throw translateAwsError(error, { operation, payerAccountId: this.o.payerAccountId, signal, secrets: this.o.secrets });
        }
      }
      // Jitter (half to all of the step) keeps payers that were throttled together apart.
      await this.pause(Math.round(this.delay(retry + 1) * (0.5 + Math.random() / 2)), signal);
    }
  }

  /** `pollBaseDelayMs · 2^n`, capped at `pollMaxDelayMs`. */
  private delay(n: number): number {
    return Math.min(this.o.pollMaxDelayMs, this.o.pollBaseDelayMs * 2 ** Math.min(n, 30));
  }

  private async pause(ms: number, signal?: AbortSignal): Promise<void> {
    try {
      await this.o.sleep(ms, signal);
    } catch (error) {
      if (signal?.aborted) throw this.aborted('waiting for Athena', error);
      throw error;
    }
    if (signal?.aborted) throw this.aborted('waiting for Athena');
  }

  private aborted(operation: string, cause?: unknown): ConnectorError {
    return new ConnectorError('ABORTED', `${operation} for payer ${this.o.payerAccountId} was aborted`, { where: this.where(), ...(cause === undefined ? {} : { cause }) });
  }

  private where(): { payer: string; setting: string } {
    return { payer: this.o.payerAccountId, setting: 'athena' };
  }
}

function isThrottled(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const shape = error as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  return (typeof shape.name === 'string' && THROTTLED.has(shape.name)) || shape.$metadata?.httpStatusCode === 429;
}
