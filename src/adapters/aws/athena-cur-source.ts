/**
 * `CurSource` over a payer's CUR in Athena (AWS.md "The CUR in Athena"): the table's
 * columns are read first (GetTableMetadata) so the shared query of `app/cur-query.ts`
 * names only columns the table has; it runs in Athena, one query per payer and month,
 * started with an idempotency token so a restarted run re-attaches to it; its result
 * CSV is streamed from S3 (or paged through GetQueryResults) in batches of groups,
 * mapped exactly as the local engine's result is. The month's finality is read in the
 * same scan (`invoiced_rows`).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { AthenaClient, type AthenaClientConfig } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { AMOUNT_COLUMNS, type CurColumn, type CurGroup } from '../../domain/cur.js';
import { ConnectorError } from '../../domain/errors.js';
import { buildBadAmountQuery, buildCurQuery, type PartitionFilter } from '../../app/cur-query.js';
import { assertResultColumns, toCurGroup } from '../../app/cur-result.js';
import type { CurAggregate, CurAggregateRequest, CurSource } from '../../app/ports.js';
import { AthenaQueryFailure, AthenaQueryRunner, athenaRequestToken, type FinishedQuery } from './athena-query.js';
import { parseS3Url, s3CsvRecords } from './athena-results.js';
import { planCurTable, readCurTable, type CurTablePlan } from './athena-table.js';
import { logAwsCalls, type CallLog } from './call-log.js';
import { awsClientOptions, type AwsTimeouts } from './client-options.js';
import { payerCredentials } from './credentials.js';
import { sdkRetryConfig } from './sdk-retry.js';

/** The legacy CUR's status table, next to the CUR table (AWS.md). */
export const LEGACY_STATUS_TABLE = 'cost_and_usage_data_status';
/** Result rows between two progress reports. */
const PROGRESS_EVERY_ROWS = 10_000;
/** Groups per batch of `CurAggregate.groups` by default. */
export const DEFAULT_RESULT_BATCH_SIZE = 2000;
const IDENTIFIER = /^[A-Za-z0-9_]+$/;

/**
 * Endpoints of the services the adapter calls (e.g. a local stand-in); a service left
 * out uses the SDK's own resolution. The shape of `config/env.ts`'s `awsEndpoints()`.
 */
export interface AthenaEndpoints {
  athena?: string;
  s3?: string;
  sts?: string;
}

export interface AthenaCurSourceOptions {
  /** The payer (management) account, 12 digits. */
  payerAccountId: string;
  /** Glue database, `[A-Za-z0-9_]+` (e.g. `athenacurcfn_<report>`, `cid_data_export`). */
  database: string;
  /** CUR table, `[A-Za-z0-9_]+` (e.g. `<report>`, `cur2`). */
  table: string;
  /** `legacy`: partitions year/month and a status table; `cur2`: partition billing_period, product map. */
  layout: 'legacy' | 'cur2';
  /** Region of Athena, S3 and STS. */
  region: string;
  /** The run's version: part of the query's idempotency token (a new version starts a new query). */
  runVersion: number;
  /** Athena workgroup; default: Athena's (`primary`). */
  workgroup?: string;
  /** Result location `s3://bucket/prefix/`; default: the workgroup's. */
  outputLocation?: string;
  /** Default `AwsDataCatalog`. */
  catalog?: string;
  /** Role in the payer to assume; absent: `credentials` (or the SDK's default chain) are the payer's. */
  roleArn?: string;
  /** The reseller's external id for AssumeRole; never shown in a message. */
  externalId?: string;
  /**
   * Athena, S3 and STS endpoints, only when set (the composition root passes
   * `awsEndpoints(process.env)`: `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`).
   * An S3 endpoint turns on path-style addressing (see `s3ForcePathStyle`).
   */
  endpoints?: AthenaEndpoints;
  /** Same as `endpoints.athena` (and taking precedence over it). */
  endpoint?: string;
  /** Same as `endpoints.s3` (and taking precedence over it); turns on path-style addressing. */
  s3Endpoint?: string;
  /** Same as `endpoints.sts` (and taking precedence over it). */
  stsEndpoint?: string;
  /** Path-style S3 URLs (`/<bucket>/<key>`). Default: true when an S3 endpoint (`endpoints.s3` or `s3Endpoint`) is set (a host name such as `localhost` has no bucket subdomains), else false. */
  s3ForcePathStyle?: boolean;
  /** The connector's own credentials (STS, or the payer's without `roleArn`). Default: the SDK's chain. */
  credentials?: AthenaClientConfig['credentials'];
  /** SDK attempts per call (standard retry mode), first included. Default 3. */
  maxAttempts?: number;
  /** Base of the SDK's retry back-off in ms (tests use 1). Default: the SDK's own. */
  retryBaseDelayMs?: number;
  /** Own retries of a call still throttled after the SDK's retries. Default 4. */
  throttleRetries?: number;
  /** Waits `ms`, rejecting when `signal` fires. Default: a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** First wait between two GetQueryExecution polls, in ms, doubled each time. Default 500. */
  pollBaseDelayMs?: number;
  /** Longest wait between two polls, in ms. Default 10 000. */
  pollMaxDelayMs?: number;
  /** How long one query may stay queued or running, in ms. Default 30 minutes. */
  maxWaitMs?: number;
  /** Groups per batch of `CurAggregate.groups` (bounds what is held at once). Default 2000. */
  resultBatchSize?: number;
  /** Epoch ms (wait accounting, credential cache). Default `Date.now`. */
  now?: () => number;
  /** Connection and request timeouts of the Athena, S3 and STS clients (defaults: client-options.ts). */
  timeouts?: AwsTimeouts;
  /** Told of every Athena, S3 and STS call at debug level (`LOG_LEVEL=debug`): names and numbers only. */
  callLog?: CallLog;
}

/**
 * The adapter, one per payer. `aggregate` reads (legacy layout) the status table and
 * refuses while AWS is updating the CUR, reads the table's columns, runs the
 * aggregation query and hands its result over as a stream of batches.
 */
export class AthenaCurSource implements CurSource {
  private readonly runner: AthenaQueryRunner;
  private readonly s3: S3Client;
  private readonly payer: string;
  private readonly batchSize: number;

  constructor(private readonly options: AthenaCurSourceOptions) {
    validate(options);
    this.payer = options.payerAccountId;
    this.batchSize = options.resultBatchSize ?? DEFAULT_RESULT_BATCH_SIZE;
    const now = options.now ?? Date.now;
    const endpoints: AthenaEndpoints = {
      ...options.endpoints,
      ...(options.endpoint ? { athena: options.endpoint } : {}),
      ...(options.s3Endpoint ? { s3: options.s3Endpoint } : {}),
      ...(options.stsEndpoint ? { sts: options.stsEndpoint } : {}),
    };
    const retry = { ...sdkRetryConfig(options.maxAttempts ?? 3, options.retryBaseDelayMs), ...awsClientOptions(options.timeouts) };
    const sts = options.roleArn
      ? new STSClient({
          region: options.region,
          ...(endpoints.sts ? { endpoint: endpoints.sts } : {}),
          ...(options.credentials ? { credentials: options.credentials } : {}),
          ...retry,
        })
      : undefined;
    const assumed = sts ? payerCredentials({ accountId: this.payer, roleArn: options.roleArn, externalId: options.externalId }, { sts, now }) : undefined;
    const credentials = assumed ?? options.credentials;
    const common = { region: options.region, ...(credentials ? { credentials } : {}), ...retry };
    const athena = new AthenaClient({ ...common, ...(endpoints.athena ? { endpoint: endpoints.athena } : {}) });
    this.s3 = new S3Client({
      ...common,
      ...(endpoints.s3 ? { endpoint: endpoints.s3 } : {}),
      forcePathStyle: options.s3ForcePathStyle ?? endpoints.s3 !== undefined,
      followRegionRedirects: true,
    });
    if (options.callLog) for (const client of [sts, athena, this.s3]) if (client) logAwsCalls(client, options.callLog);
    this.runner = new AthenaQueryRunner({
      athena,
      payerAccountId: this.payer,
      database: options.database,
      catalog: options.catalog ?? 'AwsDataCatalog',
      ...(options.workgroup === undefined ? {} : { workgroup: options.workgroup }),
      ...(options.outputLocation === undefined ? {} : { outputLocation: options.outputLocation }),
      sleep: options.sleep ?? ((ms, signal) => delay(ms, undefined, signal ? { signal } : {})),
      now,
      pollBaseDelayMs: options.pollBaseDelayMs ?? 500,
      pollMaxDelayMs: options.pollMaxDelayMs ?? 10_000,
      maxWaitMs: options.maxWaitMs ?? 30 * 60 * 1000,
      throttleRetries: options.throttleRetries ?? 4,
      secrets: [options.externalId],
    });
  }

  /**
   * See `CurSource.aggregate`. Returns once the query has succeeded and its first batch
   * is read (an empty month throws `CUR_EMPTY` here); the rest streams while iterating.
   * `tellsFinality` is true when the table has `bill_invoice_id`.
   */
  async aggregate(request: CurAggregateRequest): Promise<CurAggregate> {
    const { database, table, layout, runVersion } = this.options;
    const { period, signal } = request;
    const relation = `${database}.${table}`;
    const partition: PartitionFilter = { kind: layout, period };
    const onWait = (ms: number): void => request.onProgress?.({ phase: 'athena', done: Math.floor(ms / 1000), unit: 's' });

    if (layout === 'legacy') await this.refuseWhileUpdating(signal);
    const plan = planCurTable(await readCurTable(this.runner, database, table, signal), { layout, listPrice: request.listPrice, partition, payerAccountId: this.payer });
    const query = buildCurQuery({
      relation,
      listPrice: request.listPrice,
      granularity: request.granularity,
      partition,
      presentColumns: plan.presentColumns,
      stringAmountColumns: plan.stringAmountColumns,
      ...(plan.productMap ? { productMap: true } : {}),
    });
    const token = athenaRequestToken({ payerAccountId: this.payer, period, runVersion, query });
    onWait(0);
    let main: FinishedQuery;
    try {
      const onProgress = request.onProgress;
      main = await this.runner.run(query, {
        token,
        ...(signal ? { signal } : {}),
        onWait,
        ...(onProgress ? { onScanned: (bytes: number) => onProgress({ phase: `athena scan ${relation}`, done: bytes, unit: 'bytes' }) } : {}),
      });
    } catch (error) {
      throw await this.explainBadAmount(error, plan, request, partition);
    }
    const source = `athena://${relation} (${layout}, workgroup ${main.workgroup ?? this.options.workgroup ?? 'primary'}, query ${main.id})`;
    const batches = this.batches(main, request)[Symbol.asyncIterator]();
    const first = await batches.next();
    if (first.done === true) {
      throw new ConnectorError('CUR_EMPTY', `no CUR rows for period ${period} in ${source}`, { where: { payer: this.payer, setting: 'athena', value: relation } });
    }
    const rest = { [Symbol.asyncIterator]: () => batches };
    async function* groups(): AsyncGenerator<readonly CurGroup[]> {
      yield first.value;
      yield* rest;
    }
    return { groups: groups(), source, tellsFinality: plan.tellsFinality };
  }

  /** Legacy CUR: throws a retryable `CUR_INPUT` while the status table says `UPDATING`. */
  private async refuseWhileUpdating(signal: AbortSignal | undefined): Promise<void> {
    // No token: the status must be read afresh on every run.
    const query = `SELECT status FROM "${this.options.database}"."${LEGACY_STATUS_TABLE}"`;
    const status = await this.runner.run(query, signal ? { signal } : {});
    let header = true;
    for await (const row of this.runner.rows(status.id, signal)) {
      if (header) {
        header = false;
        continue;
      }
      if ((row[0] ?? '').trim().toUpperCase() === 'UPDATING') {
        throw new ConnectorError('CUR_INPUT', `the CUR of payer ${this.payer} is being updated by AWS (status UPDATING); rate later`, {
          retryable: true,
          where: { payer: this.payer, setting: 'athena' },
        });
      }
    }
  }

  /**
   * The query failed: when Athena could not cast a text amount (INVALID_CAST_ARGUMENT)
   * and the table types amount columns as text, a `CUR_INPUT` naming the column, the
   * value and the table. With two such columns a `LIMIT 1` probe finds which one.
   * Any other failure is returned unchanged.
   */
  private async explainBadAmount(error: unknown, plan: CurTablePlan, request: CurAggregateRequest, partition: PartitionFilter): Promise<unknown> {
    const failure = error instanceof ConnectorError && error.cause instanceof AthenaQueryFailure ? error.cause : undefined;
    if (failure === undefined || !/^INVALID_CAST_ARGUMENT\b/.test(failure.reason)) return error;
    // Every amount column the query reads: all but the on-demand cost outside on-demand mode.
    const used: CurColumn[] = AMOUNT_COLUMNS.filter((c) => c !== 'pricing_public_on_demand_cost' || request.listPrice === 'on-demand');
    const suspects = used.filter((c) => plan.stringAmountColumns.has(c));
    if (suspects.length === 0) return error;
    const relation = `${this.options.database}.${this.options.table}`;
    let column: string = suspects.join(' or ');
    let value = /Cannot cast VARCHAR '(.*)' to DECIMAL/s.exec(failure.reason)?.[1];
    if (suspects.length === 1) {
      column = suspects[0] as string;
    } else {
      try {
        const probe = await this.runner.run(buildBadAmountQuery({ relation, partition, columns: suspects }), request.signal ? { signal: request.signal } : {});
        let header = true;
        for await (const row of this.runner.rows(probe.id, request.signal)) {
          if (header) {
            header = false;
            continue;
          }
          if (row[0]) [column, value] = [row[0], row[1] ?? ''];
          break;
        }
      } catch (probeError) {
        if (request.signal?.aborted) return probeError;
        // The probe only sharpens the message: without it both columns stay named.
      }
    }
    const shown = value === undefined ? 'a value' : JSON.stringify(value);
    return new ConnectorError('CUR_INPUT', `CUR table ${relation} of payer ${this.payer}, period ${request.period}, column ${column}: ${shown} is not a decimal number`, {
      where: { payer: this.payer, setting: 'athena', file: relation, column, ...(value === undefined ? {} : { value }) },
      cause: error,
    });
  }

  /** The result in batches, from S3 when it went there, else through GetQueryResults. */
  private async *batches(query: FinishedQuery, request: CurAggregateRequest): AsyncGenerator<CurGroup[]> {
    const { signal, onProgress } = request;
    const location = query.outputLocation;
    const records =
      location !== undefined && parseS3Url(location)
        ? s3CsvRecords(this.s3, location, { payerAccountId: this.payer, ...(signal ? { signal } : {}), secrets: [this.options.externalId] })
        : this.runner.rows(query.id, signal);
    let header: string[] | undefined;
    let batch: CurGroup[] = [];
    let read = 0;
    for await (const record of records) {
      if (header === undefined) {
        header = record;
        assertResultColumns(header);
        continue;
      }
      batch.push(toCurGroup(record));
      read += 1;
      if (read % PROGRESS_EVERY_ROWS === 0) onProgress?.({ phase: 'athena results', done: read, unit: 'rows' });
      if (batch.length >= this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (header === undefined) throw new ConnectorError('INTERNAL', `Athena query ${query.id} of payer ${this.payer} returned no header row`);
    onProgress?.({ phase: 'athena results', done: read, unit: 'rows' });
    if (batch.length > 0) yield batch;
  }
}

function validate(o: AthenaCurSourceOptions): void {
  const refuse = (setting: string, value: unknown, rule: string): never => {
    throw new ConnectorError('CONFIG_INVALID', `Athena setting ${setting} ${JSON.stringify(value)} is not ${rule}`, {
      where: { setting, value: String(value), ...(setting === 'athena.payerAccountId' ? {} : { payer: o.payerAccountId }) },
    });
  };
  if (!/^\d{12}$/.test(o.payerAccountId)) refuse('athena.payerAccountId', o.payerAccountId, 'a 12-digit AWS account id');
  if (!IDENTIFIER.test(o.database)) refuse('athena.database', o.database, '[A-Za-z0-9_]+');
  if (!IDENTIFIER.test(o.table)) refuse('athena.table', o.table, '[A-Za-z0-9_]+');
  if (o.layout !== 'legacy' && o.layout !== 'cur2') refuse('athena.layout', o.layout, 'legacy or cur2');
  if (!Number.isSafeInteger(o.runVersion) || o.runVersion < 0) refuse('athena.runVersion', o.runVersion, 'a whole number ≥ 0');
  if (o.resultBatchSize !== undefined && (!Number.isSafeInteger(o.resultBatchSize) || o.resultBatchSize < 1)) refuse('athena.resultBatchSize', o.resultBatchSize, 'a whole number ≥ 1');
  if (o.outputLocation !== undefined && !/^s3:\/\/[^/]+\//.test(o.outputLocation)) refuse('athena.outputLocation', o.outputLocation, 's3://bucket/prefix/');
}

