/**
 * `CurSource` over a payer's CUR in Athena (AWS.md "The CUR in Athena"): the shared
 * query of `app/cur-query.ts` runs in Athena, one query per payer and month, started
 * with an idempotency token so a restarted run re-attaches to it; its result CSV is
 * streamed from S3 (or paged through GetQueryResults) and mapped to groups exactly as
 * the local engine's result is.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { AthenaClient, type AthenaClientConfig } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { CurGroup } from '../../domain/cur.js';
import { ConnectorError } from '../../domain/errors.js';
import { buildCurQuery, buildFinalityQuery, type PartitionFilter } from '../../app/cur-query.js';
import { assertResultColumns, toCurGroup } from '../../app/cur-result.js';
import type { CurAggregate, CurAggregateRequest, CurSource } from '../../app/ports.js';
import { AthenaQueryRunner, athenaRequestToken, type FinishedQuery } from './athena-query.js';
import { parseS3Url, s3CsvRecords } from './athena-results.js';
import { payerCredentials } from './credentials.js';
import { sdkRetryConfig } from './sdk-retry.js';

/** The legacy CUR's status table, next to the CUR table (AWS.md). */
export const LEGACY_STATUS_TABLE = 'cost_and_usage_data_status';
/** Result rows between two progress reports. */
const PROGRESS_EVERY_ROWS = 10_000;
const IDENTIFIER = /^[A-Za-z0-9_]+$/;

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
  /** Athena endpoint, only when given; otherwise the SDK's (`AWS_ENDPOINT_URL_ATHENA` applies). */
  endpoint?: string;
  /** S3 endpoint, only when given; otherwise the SDK's (`AWS_ENDPOINT_URL_S3` applies). */
  s3Endpoint?: string;
  /** STS endpoint, only when given; otherwise the SDK's (`AWS_ENDPOINT_URL_STS` applies). */
  stsEndpoint?: string;
  /** Path-style S3 URLs (`/<bucket>/<key>`). Default: true when `s3Endpoint` is given, else false. */
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
  /** Epoch ms (wait accounting, credential cache). Default `Date.now`. */
  now?: () => number;
}

/**
 * The adapter, one per payer. `aggregate` reads (legacy layout) the status table and
 * refuses while AWS is updating the CUR, runs the aggregation query, reads its result,
 * then asks whether the month is final (`final`: every row has an invoice id).
 */
export class AthenaCurSource implements CurSource {
  private readonly runner: AthenaQueryRunner;
  private readonly s3: S3Client;
  private readonly payer: string;

  constructor(private readonly options: AthenaCurSourceOptions) {
    validate(options);
    this.payer = options.payerAccountId;
    const now = options.now ?? Date.now;
    const retry = sdkRetryConfig(options.maxAttempts ?? 3, options.retryBaseDelayMs);
    const sts = options.roleArn
      ? new STSClient({
          region: options.region,
          ...(options.stsEndpoint ? { endpoint: options.stsEndpoint } : {}),
          ...(options.credentials ? { credentials: options.credentials } : {}),
          ...retry,
        })
      : undefined;
    const assumed = sts ? payerCredentials({ accountId: this.payer, roleArn: options.roleArn, externalId: options.externalId }, { sts, now }) : undefined;
    const credentials = assumed ?? options.credentials;
    const common = { region: options.region, ...(credentials ? { credentials } : {}), ...retry };
    const athena = new AthenaClient({ ...common, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
    this.s3 = new S3Client({
      ...common,
      ...(options.s3Endpoint ? { endpoint: options.s3Endpoint } : {}),
      forcePathStyle: options.s3ForcePathStyle ?? options.s3Endpoint !== undefined,
      followRegionRedirects: true,
    });
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

  /** See `CurSource.aggregate`; `final` says whether AWS has invoiced every row of the month. */
  async aggregate(request: CurAggregateRequest): Promise<CurAggregate> {
    const { database, table, layout, runVersion } = this.options;
    const { period, signal } = request;
    const relation = `${database}.${table}`;
    const partition: PartitionFilter = { kind: layout, period };
    const query = buildCurQuery({ relation, listPrice: request.listPrice, granularity: request.granularity, partition, ...(layout === 'cur2' ? { productMap: true } : {}) });
    const finalityQuery = buildFinalityQuery({ relation, partition });
    const onWait = (ms: number): void => request.onProgress?.({ phase: 'athena', done: Math.floor(ms / 1000), unit: 's' });

    if (layout === 'legacy') await this.refuseWhileUpdating(signal);
    const token = (text: string): string => athenaRequestToken({ payerAccountId: this.payer, period, runVersion, query: text });
    onWait(0);
    const main = await this.runner.run(query, { token: token(query), ...(signal ? { signal } : {}), onWait });
    const groups = await this.readGroups(main, request);
    const rowsRead = groups.reduce((n, g) => n + g.rows, 0);
    const source = `athena://${relation} (${layout}, workgroup ${main.workgroup ?? this.options.workgroup ?? 'primary'}, query ${main.id})`;
    if (rowsRead === 0) {
      throw new ConnectorError('CUR_EMPTY', `no CUR rows for period ${period} in ${source}`, { where: { payer: this.payer, setting: 'athena', value: relation } });
    }
    const finality = await this.runner.run(finalityQuery, { token: token(finalityQuery), ...(signal ? { signal } : {}), onWait });
    const final = await this.readFinality(finality.id, signal);
    return { groups, rowsRead, source, final };
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

  /** The result from S3 when it went there, else through GetQueryResults. */
  private async readGroups(query: FinishedQuery, request: CurAggregateRequest): Promise<CurGroup[]> {
    const { signal, onProgress } = request;
    const location = query.outputLocation;
    const records =
      location !== undefined && parseS3Url(location)
        ? s3CsvRecords(this.s3, location, { payerAccountId: this.payer, ...(signal ? { signal } : {}), secrets: [this.options.externalId] })
        : this.runner.rows(query.id, signal);
    const groups: CurGroup[] = [];
    let header: string[] | undefined;
    for await (const record of records) {
      if (header === undefined) {
        header = record;
        assertResultColumns(header);
        continue;
      }
      groups.push(toCurGroup(record));
      if (groups.length % PROGRESS_EVERY_ROWS === 0) onProgress?.({ phase: 'athena results', done: groups.length, unit: 'rows' });
    }
    if (header === undefined) throw new ConnectorError('INTERNAL', `Athena query ${query.id} of payer ${this.payer} returned no header row`);
    onProgress?.({ phase: 'athena results', done: groups.length, unit: 'rows' });
    return groups;
  }

  /** True when every row of the period has an invoice id (`buildFinalityQuery`'s one row). */
  private async readFinality(id: string, signal: AbortSignal | undefined): Promise<boolean> {
    const rows: string[][] = [];
    for await (const row of this.runner.rows(id, signal)) rows.push(row);
    const [total, invoiced] = rows[1] ?? [];
    return total !== undefined && total !== '' && total !== '0' && total === invoiced;
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
  if (o.outputLocation !== undefined && !/^s3:\/\/[^/]+\//.test(o.outputLocation)) refuse('athena.outputLocation', o.outputLocation, 's3://bucket/prefix/');
}

