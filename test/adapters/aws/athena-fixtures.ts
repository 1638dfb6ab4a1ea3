/**
 * A scripted stand-in for Athena (AWS JSON 1.1 on a loopback endpoint, answered by
 * nock: StartQueryExecution, GetQueryExecution, GetQueryResults and GetTableMetadata
 * over a Glue catalog of tables) and for the S3 object holding a result CSV, plus an
 * `AthenaCurSource` wired to them with a fake clock and a sleep that records its delays.
 */
import { Readable } from 'node:stream';
import nock from 'nock';
import { RESULT_COLUMNS } from '../../../src/app/cur-query.js';
import { AthenaCurSource, type AthenaCurSourceOptions } from '../../../src/adapters/aws/athena-cur-source.js';
import type { CurAggregate } from '../../../src/app/ports.js';
import type { CurGroup } from '../../../src/domain/cur.js';
import { FAKE_CREDENTIALS, JSON_HEADERS, PAYER_ID, STS_ENDPOINT } from './aws-fixtures.js';

export const ATHENA_ENDPOINT = 'http://127.0.0.1:4610';
export const S3_ENDPOINT = 'http://127.0.0.1:4611';
export const RESULTS_BUCKET = 'cur-results';
/** Epoch ms at which every test's fake clock starts. */
export const CLOCK_START = Date.UTC(2026, 10, 5, 8, 0, 0);

export type AthenaState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** What GetQueryExecution answers, one status per poll (the last one repeats). */
export interface ScriptedStatus {
  State: AthenaState;
  StateChangeReason?: string;
  AthenaError?: { ErrorCategory?: number; ErrorType?: number; Retryable?: boolean; ErrorMessage?: string };
}

/** How the stand-in answers a query whose text `match`es. */
export interface QueryScript {
  match: (query: string) => boolean;
  states?: Array<AthenaState | ScriptedStatus>;
  /** Result rows, header first (GetQueryResults), when the query SUCCEEDED. */
  rows?: string[][];
  /** Result object key in RESULTS_BUCKET; absent: no OutputLocation (managed results). */
  outputKey?: string;
  /** Epoch ms of submission; default: the fake clock at start. */
  submittedAt?: number;
}

interface Execution {
  id: string;
  query: string;
  script: QueryScript;
  polls: number;
  submittedAt: number;
}

/** What Athena received. */
export interface AthenaCall {
  operation: string;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

/** A Glue column as GetTableMetadata gives it (Hive type names: `string`, `double`, `map<string,string>`). */
export interface GlueColumn {
  Name: string;
  Type: string;
  Comment?: string;
}

/** A table of the stand-in's catalog (`AwsDataCatalog`). */
export interface GlueTable {
  Columns: GlueColumn[];
  PartitionKeys: GlueColumn[];
}

const columns = (spec: Record<string, string>): GlueColumn[] => Object.entries(spec).map(([Name, Type]) => ({ Name, Type }));

/** The columns of a legacy CUR as AWS's Athena integration (crawler over Parquet) types them, `year`/`month` partitions. */
export const LEGACY_CUR_COLUMNS: Record<string, string> = {
  identity_line_item_id: 'string',
  bill_invoice_id: 'string',
  bill_billing_entity: 'string',
  bill_payer_account_id: 'string',
  bill_billing_period_start_date: 'timestamp',
  line_item_usage_account_id: 'string',
  line_item_line_item_type: 'string',
  line_item_usage_start_date: 'timestamp',
  line_item_product_code: 'string',
  line_item_usage_type: 'string',
  line_item_unblended_cost: 'double',
  line_item_net_unblended_cost: 'double',
  discount_total_discount: 'double',
  line_item_currency_code: 'string',
  line_item_resource_id: 'string',
  pricing_public_on_demand_cost: 'double',
  product_product_name: 'string',
  reservation_reservation_a_r_n: 'string',
};

/** A legacy CUR table with `columns` (default: all of LEGACY_CUR_COLUMNS). */
export function legacyTable(spec: Record<string, string> = LEGACY_CUR_COLUMNS): GlueTable {
  return { Columns: columns(spec), PartitionKeys: columns({ year: 'string', month: 'string' }) };
}

/** CUR 2.0 (Data Exports) as cid_data_export.cur2: product attributes in a map, partitions source_account_id and billing_period. */
export function cur2Table(): GlueTable {
  const { product_product_name: _name, ...rest } = LEGACY_CUR_COLUMNS;
  return { Columns: columns({ ...rest, product: 'map<string,string>' }), PartitionKeys: columns({ source_account_id: 'string', billing_period: 'string' }) };
}

/** The stand-in's default catalog: the legacy table and CUR 2.0 the tests' settings name. */
export function defaultTables(): Record<string, GlueTable> {
  return { 'athenacurcfn_reseller.reseller': legacyTable(), 'cid_data_export.cur2': cur2Table() };
}

/**
 * The stand-in. `scripts` are tried in order for each StartQueryExecution; a known
 * ClientRequestToken returns the execution it started (Athena's idempotency).
 * `throttle` answers TooManyRequestsException to the next n calls of an operation.
 * `tables` (`database.table` → columns) answer GetTableMetadata in `AwsDataCatalog`.
 */
export class FakeAthena {
  readonly calls: AthenaCall[] = [];
  readonly executions: Execution[] = [];
  readonly byToken = new Map<string, Execution>();
  private readonly throttled = new Map<string, number>();

  constructor(
    private readonly scripts: QueryScript[],
    private readonly clock: { now: number },
    readonly tables: Record<string, GlueTable> = defaultTables(),
  ) {
    const answer = (operation: string, body: Record<string, unknown>, headers: AthenaCall['headers']) => this.answer(operation, body, headers);
    nock(ATHENA_ENDPOINT)
      .persist()
      .post('/')
      .reply(function (this: nock.ReplyFnContext, _uri: string, requestBody: nock.Body) {
        const operation = String(this.req.headers['x-amz-target'] ?? '').replace(/^AmazonAthena\./, '');
        const body = (typeof requestBody === 'string' ? JSON.parse(requestBody || '{}') : requestBody) as Record<string, unknown>;
        return answer(operation, body, { ...this.req.headers });
      });
  }

  throttle(operation: string, times: number): void {
    this.throttled.set(operation, times);
  }

  /** The query texts Athena was asked to start, in order. */
  queries(): string[] {
    return this.calls.filter((c) => c.operation === 'StartQueryExecution').map((c) => String(c.body.QueryString));
  }

  answer(operation: string, body: Record<string, unknown>, headers: AthenaCall['headers'] = {}): [number, object, Record<string, string>] {
    this.calls.push({ operation, body, headers });
    const left = this.throttled.get(operation) ?? 0;
    if (left > 0) {
      this.throttled.set(operation, left - 1);
      return [400, { __type: 'TooManyRequestsException', Message: 'Rate exceeded', Reason: 'CONCURRENT_QUERY_LIMIT_EXCEEDED' }, JSON_HEADERS];
    }
    if (operation === 'StartQueryExecution') return [200, { QueryExecutionId: this.start(body).id }, JSON_HEADERS];
    if (operation === 'GetTableMetadata') return this.tableMetadata(body);
    const execution = this.executions.find((e) => e.id === body.QueryExecutionId);
    if (!execution) return [400, { __type: 'InvalidRequestException', Message: `QueryExecution ${String(body.QueryExecutionId)} was not found` }, JSON_HEADERS];
    if (operation === 'GetQueryExecution') return [200, { QueryExecution: this.describe(execution) }, JSON_HEADERS];
    if (operation === 'GetQueryResults') return [200, this.page(execution, body), JSON_HEADERS];
    return [400, { __type: 'InvalidRequestException', Message: `unexpected ${operation}` }, JSON_HEADERS];
  }

  /** GetTableMetadata: CatalogName, DatabaseName and TableName are required; an unknown table is a MetadataException as Athena answers over Glue. */
  private tableMetadata(body: Record<string, unknown>): [number, object, Record<string, string>] {
    const { CatalogName, DatabaseName, TableName } = body;
    if (typeof CatalogName !== 'string' || typeof DatabaseName !== 'string' || typeof TableName !== 'string') {
      return [400, { __type: 'InvalidRequestException', Message: 'CatalogName, DatabaseName and TableName are required' }, JSON_HEADERS];
    }
    const table = CatalogName === 'AwsDataCatalog' ? this.tables[`${DatabaseName}.${TableName}`] : undefined;
    if (!table) return [400, { __type: 'MetadataException', Message: `EntityNotFoundException: Table ${TableName} not found (Database: ${DatabaseName})` }, JSON_HEADERS];
    const metadata = { Name: TableName, CreateTime: 1767225600, LastAccessTime: 0, TableType: 'EXTERNAL_TABLE', Columns: table.Columns, PartitionKeys: table.PartitionKeys, Parameters: { classification: 'parquet' } };
    return [200, { TableMetadata: metadata }, JSON_HEADERS];
  }

  private start(body: Record<string, unknown>): Execution {
    const token = typeof body.ClientRequestToken === 'string' ? body.ClientRequestToken : undefined;
    const known = token === undefined ? undefined : this.byToken.get(token);
    if (known) return known;
    const query = String(body.QueryString);
    const script = this.scripts.find((s) => s.match(query));
    if (!script) throw new Error(`the stand-in has no script for the query:\n${query}`);
    const execution = { id: `q-${this.executions.length + 1}`, query, script, polls: 0, submittedAt: script.submittedAt ?? this.clock.now };
    this.executions.push(execution);
    if (token !== undefined) this.byToken.set(token, execution);
    return execution;
  }

  private describe(e: Execution): object {
    const states = e.script.states ?? ['SUCCEEDED'];
    const step = states[Math.min(e.polls, states.length - 1)] ?? 'SUCCEEDED';
    e.polls += 1;
    const status = typeof step === 'string' ? { State: step } : step;
    return {
      QueryExecutionId: e.id,
      Query: e.query,
      WorkGroup: 'cur-rating',
      Status: { ...status, SubmissionDateTime: e.submittedAt / 1000 },
      ...(e.script.outputKey === undefined ? {} : { ResultConfiguration: { OutputLocation: `s3://${RESULTS_BUCKET}/${e.script.outputKey}` } }),
    };
  }

  private page(e: Execution, body: Record<string, unknown>): object {
    const rows = e.script.rows ?? [];
    const start = typeof body.NextToken === 'string' ? Number(body.NextToken) : 0;
    const size = typeof body.MaxResults === 'number' ? body.MaxResults : 1000;
    const slice = rows.slice(start, start + size);
    const next = start + size < rows.length ? { NextToken: String(start + size) } : {};
    return { ResultSet: { Rows: slice.map((r) => ({ Data: r.map((v) => (v === '\u0000NULL' ? {} : { VarCharValue: v })) })), ResultSetMetadata: { ColumnInfo: [] } }, UpdateCount: 0, ...next };
  }
}

/** The header of the aggregation's result. */
export const HEADER = [...RESULT_COLUMNS];

/** A result row: defaults for a one-row EC2 group; override by column name. */
export function resultRow(values: Partial<Record<(typeof RESULT_COLUMNS)[number], string>> = {}): string[] {
  const defaults: Record<(typeof RESULT_COLUMNS)[number], string> = {
    payer_account_id: PAYER_ID,
    period_start: '2026-10-01 00:00:00.000',
    account_id: '222222222222',
    line_item_type: 'Usage',
    product_code: 'AmazonEC2',
    billing_entity: 'AWS',
    currency_code: 'USD',
    reservation_fee: 'N',
    usage_type: '',
    product_name: 'Amazon Elastic Compute Cloud',
    row_count: '10',
    invoiced_rows: '10',
    unblended_usd: '12.500000000000',
    on_demand_list_usd: '',
    max_unblended_usd: '2.000000000000',
    cost_usd: '12.500000000000',
    uncosted_rows: '0',
    net_missing_discount_rows: '0',
  };
  return RESULT_COLUMNS.map((c) => values[c] ?? defaults[c]);
}

/** A script for the status table (legacy), answered at once. */
export function statusScript(status: string): QueryScript {
  return { match: (q) => q.includes('cost_and_usage_data_status'), rows: [['status'], [status]] };
}

/** The batches of an aggregate, read to the end. */
export async function readBatches(aggregate: CurAggregate): Promise<(readonly CurGroup[])[]> {
  const batches: (readonly CurGroup[])[] = [];
  for await (const batch of aggregate.groups) batches.push(batch);
  return batches;
}

/** Every group of an aggregate, batches read to the end. */
export async function readAll(aggregate: CurAggregate): Promise<CurGroup[]> {
  return (await readBatches(aggregate)).flat();
}

/** A fake clock moved by the recorded sleep. */
export interface TestWorld {
  clock: { now: number };
  delays: number[];
  options: AthenaCurSourceOptions;
}

/** Settings at the stand-ins; `layout: 'cur2'` defaults to the table cid_data_export.cur2. */
export function world(overrides: Partial<AthenaCurSourceOptions> = {}): TestWorld {
  const clock = { now: CLOCK_START };
  const delays: number[] = [];
  const cur2 = overrides.layout === 'cur2';
  const options: AthenaCurSourceOptions = {
    payerAccountId: PAYER_ID,
    database: cur2 ? 'cid_data_export' : 'athenacurcfn_reseller',
    table: cur2 ? 'cur2' : 'reseller',
    layout: 'legacy',
    region: 'us-east-1',
    runVersion: 1,
    workgroup: 'cur-rating',
    outputLocation: `s3://${RESULTS_BUCKET}/athena/`,
    endpoints: { athena: ATHENA_ENDPOINT, s3: S3_ENDPOINT, sts: STS_ENDPOINT },
    credentials: FAKE_CREDENTIALS,
    retryBaseDelayMs: 1,
    now: () => clock.now,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      delays.push(ms);
      clock.now += ms;
    },
    ...overrides,
  };
  return { clock, delays, options };
}

export function source(w: TestWorld): AthenaCurSource {
  return new AthenaCurSource(w.options);
}

/** A stream that hands out `chunks` one at a time, each on a later turn of the event loop. */
export function chunkedStream(chunks: string[]): Readable {
  let next = 0;
  return new Readable({
    read() {
      setImmediate(() => {
        const chunk = chunks[next++];
        this.push(chunk === undefined ? null : Buffer.from(chunk, 'utf8'));
      });
    },
  });
}

/** Expects one GetObject of `key` in RESULTS_BUCKET (path-style), answering `body`. */
export function expectResultObject(key: string, body: () => Readable): nock.Scope {
  return nock(S3_ENDPOINT)
    .get(`/${RESULTS_BUCKET}/${key}`)
    .query(true)
    .reply(200, body, { 'content-type': 'text/csv' });
}

/** A CSV line as Athena writes it: every value quoted. */
export function csvLine(values: string[]): string {
  return `${values.map((v) => `"${v.replace(/"/g, '""')}"`).join(',')}\n`;
}
