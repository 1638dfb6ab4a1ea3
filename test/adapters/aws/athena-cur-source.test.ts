import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCurQuery } from '../../../src/app/cur-query.js';
import { AthenaCurSource } from '../../../src/adapters/aws/athena-cur-source.js';
import { athenaRequestToken } from '../../../src/adapters/aws/athena-query.js';
import type { CurAggregateRequest, Progress } from '../../../src/app/ports.js';
import { PAYER_ID, assumeRoleXml, expectAssumeRole, rejection } from './aws-fixtures.js';
import {
  FakeAthena,
  HEADER,
  chunkedStream,
  csvLine,
  expectResultObject,
  legacyTable,
  LEGACY_CUR_COLUMNS,
  readAll,
  readBatches,
  resultRow,
  source,
  statusScript,
  world,
  type QueryScript,
} from './athena-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const request: CurAggregateRequest = { period: '2026-10', listPrice: 'unblended', granularity: 'service' };
const isMain = (q: string): boolean => q.includes('GROUP BY');
const LEGACY_STATUS = 'cost_and_usage_data_status';
const mainScript = (extra: Partial<QueryScript> = {}): QueryScript => ({ match: isMain, rows: [HEADER, resultRow()], ...extra });

describe('AthenaCurSource.aggregate() query text', () => {
  it('runs the shared query on the legacy table, filtered on the year and unpadded month partitions', async () => {
    const w = world();
    const athena = new FakeAthena([statusScript('READY'), mainScript()], w.clock);
    await source(w).aggregate(request);
    // A table with every column the rating reads: the text is the shared query's own.
    const expected = buildCurQuery({ relation: 'athenacurcfn_reseller.reseller', listPrice: 'unblended', granularity: 'service', partition: { kind: 'legacy', period: '2026-10' } });
    expect(athena.queries()).toEqual(['SELECT status FROM "athenacurcfn_reseller"."cost_and_usage_data_status"', expected]);
    expect(expected).toContain(`WHERE year = '2026' AND month = '10'`);
    expect(expected).toMatch(/\nORDER BY 3, 1$/);
  });

  it('reads the table’s columns first with GetTableMetadata in the catalog and database', async () => {
    const w = world();
    const athena = new FakeAthena([statusScript('READY'), mainScript()], w.clock);
    await source(w).aggregate(request);
    const metadata = athena.calls.filter((c) => c.operation === 'GetTableMetadata');
    expect(metadata.map((c) => c.body)).toEqual([{ CatalogName: 'AwsDataCatalog', DatabaseName: 'athenacurcfn_reseller', TableName: 'reseller', WorkGroup: 'cur-rating' }]);
    const order = athena.calls.map((c) => c.operation).filter((o) => o !== 'GetQueryExecution' && o !== 'GetQueryResults');
    expect(order).toEqual(['StartQueryExecution', 'GetTableMetadata', 'StartQueryExecution']);
  });

  it('reads CUR 2.0 by billing_period and the product map, without a status table', async () => {
    const w = world({ database: 'cid_data_export', table: 'cur2', layout: 'cur2' });
    const athena = new FakeAthena([mainScript()], w.clock);
    await source(w).aggregate(request);
    const [main] = athena.queries();
    expect(main).toContain(`FROM "cid_data_export"."cur2"\nWHERE billing_period = '2026-10'`);
    expect(main).toContain(`MAX(COALESCE(element_at(product, 'product_name'), '')) AS product_name`);
    expect(athena.queries()).toHaveLength(1);
  });

  it('sends the database, catalog, workgroup, result location and a 32-128 character token', async () => {
    const w = world();
    const athena = new FakeAthena([statusScript('READY'), mainScript()], w.clock);
    await source(w).aggregate(request);
    const start = athena.calls.filter((c) => c.operation === 'StartQueryExecution')[1]!.body;
    expect(start).toMatchObject({
      QueryExecutionContext: { Database: 'athenacurcfn_reseller', Catalog: 'AwsDataCatalog' },
      WorkGroup: 'cur-rating',
      ResultConfiguration: { OutputLocation: 's3://cur-results/athena/' },
    });
    const token = String(start.ClientRequestToken);
    expect(token).toBe(athenaRequestToken({ payerAccountId: PAYER_ID, period: '2026-10', runVersion: 1, query: String(start.QueryString) }));
    expect(token).toMatch(new RegExp(`^nr-${PAYER_ID}-2026-10-v1-[0-9a-f]{40}$`));
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(token.length).toBeLessThanOrEqual(128);
  });
});

describe('AthenaCurSource.aggregate() idempotency', () => {
  it('re-attaches to the execution of the same run version after a restart: no second query', async () => {
    const w = world({ layout: 'cur2' });
    const athena = new FakeAthena([mainScript()], w.clock);
    const first = await source(w).aggregate(request);
    const again = await source(w).aggregate(request);
    expect(athena.executions).toHaveLength(1);
    expect(again.source).toBe(first.source);
    expect(await readAll(again)).toEqual(await readAll(first));
  });

  it('starts a new query for another run version', async () => {
    const w = world({ layout: 'cur2' });
    const athena = new FakeAthena([mainScript()], w.clock);
    const first = await source(w).aggregate(request);
    const second = await new AthenaCurSource({ ...w.options, runVersion: 2 }).aggregate(request);
    expect(athena.executions).toHaveLength(2);
    expect(second.source).not.toBe(first.source);
    const tokens = athena.calls.filter((c) => c.operation === 'StartQueryExecution').map((c) => String(c.body.ClientRequestToken));
    expect(tokens[0]).toContain('-v1-');
    expect(tokens[1]).toContain('-v2-');
  });
});

describe('AthenaCurSource.aggregate() results', () => {
  const rows = [
    resultRow({ unblended_usd: '1234.567890123456', max_unblended_usd: '1000.000000000001', row_count: '3', invoiced_rows: '3', cost_usd: '1200.000000000001', uncosted_rows: '1' }),
    resultRow({ account_id: '333333333333', product_code: 'AmazonS3', product_name: 'Amazon Simple Storage Service', line_item_type: 'Tax', unblended_usd: '-0.000000000001', row_count: '2', invoiced_rows: '1' }),
  ];

  it('streams the result CSV from S3 in chunks (rows split across them) into exact groups', async () => {
    const w = world();
    new FakeAthena([statusScript('READY'), mainScript({ rows: [], outputKey: 'athena/main.csv' })], w.clock);
    const csv = csvLine(HEADER) + csvLine(rows[0]!) + csvLine(rows[1]!);
    const chunks = csv.match(/[\s\S]{1,97}/g)!;
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.slice(0, -1).every((c) => !c.endsWith('\n'))).toBe(true); // every boundary splits a row
    const s3 = expectResultObject('athena/main.csv', () => chunkedStream(chunks));
    const progress: Progress[] = [];
    const result = await source(w).aggregate({ ...request, onProgress: (p) => progress.push(p) });
    const groups = await readAll(result);
    expect(s3.isDone()).toBe(true);
    expect(groups).toEqual([
      {
        payerAccountId: PAYER_ID,
        periodStart: '2026-10-01',
        accountId: '222222222222',
        lineItemType: 'Usage',
        productCode: 'AmazonEC2',
        billingEntity: 'AWS',
        currencyCode: 'USD',
        reservationFee: false,
        usageType: '',
        productName: 'Amazon Elastic Compute Cloud',
        rows: 3,
        invoicedRows: 3,
        unblendedUsd: '1234.567890123456',
        onDemandListUsd: '',
        maxUnblendedUsd: '1000.000000000001',
        costUsd: '1200.000000000001',
        uncostedRows: 1,
        netMissingDiscountRows: 0,
      },
      expect.objectContaining({ accountId: '333333333333', productCode: 'AmazonS3', lineItemType: 'Tax', rows: 2, invoicedRows: 1, unblendedUsd: '-0.000000000001' }),
    ]);
    expect(result.tellsFinality).toBe(true);
    expect(result.source).toBe('athena://athenacurcfn_reseller.reseller (legacy, workgroup cur-rating, query q-2)');
    expect(progress.at(-1)).toEqual({ phase: 'athena results', done: 2, unit: 'rows' });
  });

  it('reads an unquoted empty CSV field (Athena NULL) as an empty string', async () => {
    const w = world({ layout: 'cur2' });
    new FakeAthena([mainScript({ rows: [], outputKey: 'athena/main.csv' })], w.clock);
    const line = csvLine(resultRow()).replace('"USD"', '');
    expectResultObject('athena/main.csv', () => chunkedStream([csvLine(HEADER), line]));
    const groups = await readAll(await source(w).aggregate(request));
    expect(groups.map((g) => g.currencyCode)).toEqual(['']);
  });

  it('pages GetQueryResults 1000 rows at a time when the result has no S3 location, a page only when the batches need it', async () => {
    const w = world({ layout: 'cur2', outputLocation: undefined, resultBatchSize: 400 });
    const many = Array.from({ length: 1500 }, (_, i) => resultRow({ account_id: String(100000000000 + i), row_count: '1' }));
    const athena = new FakeAthena([mainScript({ rows: [HEADER, ...many] })], w.clock);
    const pagesOf = () => athena.calls.filter((c) => c.operation === 'GetQueryResults' && c.body.QueryExecutionId === 'q-1');
    const result = await source(w).aggregate(request);
    expect(pagesOf()).toHaveLength(1); // the first batch is read, the rest waits for the consumer
    const batches = await readBatches(result);
    expect(batches.map((b) => b.length)).toEqual([400, 400, 400, 300]);
    const groups = batches.flat();
    expect(groups[1499]?.accountId).toBe('100000001499');
    expect(groups.reduce((n, g) => n + g.rows, 0)).toBe(1500);
    const pages = pagesOf();
    expect(pages.map((p) => [p.body.MaxResults, p.body.NextToken])).toEqual([
      [1000, undefined],
      [1000, '1000'],
    ]);
    expect(athena.calls.find((c) => c.operation === 'StartQueryExecution')?.body.ResultConfiguration).toBeUndefined();
  });

  it('reports an empty month as CUR_EMPTY', async () => {
    const w = world({ layout: 'cur2' });
    new FakeAthena([mainScript({ rows: [HEADER] })], w.clock);
    const error = await rejection(source(w).aggregate(request));
    expect(error.code).toBe('CUR_EMPTY');
    expect(error.message).toContain('no CUR rows for period 2026-10 in athena://cid_data_export.cur2 (cur2');
  });

  it('refuses a result whose columns are not the shared query’s', async () => {
    const w = world({ layout: 'cur2' });
    new FakeAthena([mainScript({ rows: [['payer_account_id', 'other'], ['1', '2']] })], w.clock);
    expect((await rejection(source(w).aggregate(request))).code).toBe('INTERNAL');
  });
});

describe('AthenaCurSource.aggregate() finality in the one scan', () => {
  it('starts exactly one aggregation query and counts invoiced rows per group', async () => {
    const w = world();
    const rows = [resultRow({ row_count: '3', invoiced_rows: '3' }), resultRow({ account_id: '333333333333', row_count: '2', invoiced_rows: '0' })];
    const athena = new FakeAthena([statusScript('READY'), mainScript({ rows: [HEADER, ...rows] })], w.clock);
    const result = await source(w).aggregate(request);
    const groups = await readAll(result);
    expect(athena.queries().filter((q) => !q.includes(LEGACY_STATUS))).toHaveLength(1);
    expect(athena.queries()[1]).toContain(`CAST(COUNT(CASE WHEN COALESCE(bill_invoice_id, '') <> '' THEN 1 END) AS VARCHAR) AS invoiced_rows`);
    expect(result.tellsFinality).toBe(true);
    expect([groups.reduce((n, g) => n + g.rows, 0), groups.reduce((n, g) => n + g.invoicedRows, 0)]).toEqual([5, 3]);
  });

  it('cannot tell finality from a table without bill_invoice_id, and does not name it', async () => {
    const w = world();
    const { bill_invoice_id: _id, ...columns } = LEGACY_CUR_COLUMNS;
    const athena = new FakeAthena([statusScript('READY'), mainScript({ rows: [HEADER, resultRow({ invoiced_rows: '0' })] })], w.clock, { 'athenacurcfn_reseller.reseller': legacyTable(columns) });
    const result = await source(w).aggregate(request);
    expect(result.tellsFinality).toBe(false);
    expect(athena.queries()[1]).toContain(`CAST('0' AS VARCHAR) AS invoiced_rows`);
    expect(athena.queries()[1]).not.toContain('bill_invoice_id');
    expect((await readAll(result))[0]?.invoicedRows).toBe(0);
  });
});

describe('AthenaCurSource.aggregate() status table (legacy)', () => {
  it('refuses while AWS is updating the CUR, before the aggregation query', async () => {
    const w = world();
    const athena = new FakeAthena([statusScript('UPDATING'), mainScript()], w.clock);
    const error = await rejection(source(w).aggregate(request));
    expect(error.code).toBe('CUR_INPUT');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(`the CUR of payer ${PAYER_ID} is being updated by AWS (status UPDATING); rate later`);
    expect(error.where).toEqual({ payer: PAYER_ID, setting: 'athena' });
    expect(athena.queries()).toEqual(['SELECT status FROM "athenacurcfn_reseller"."cost_and_usage_data_status"']);
  });

  it('reads the status afresh on every run (no idempotency token)', async () => {
    const w = world();
    const athena = new FakeAthena([statusScript('READY'), mainScript()], w.clock);
    await source(w).aggregate(request);
    const status = athena.calls.find((c) => c.operation === 'StartQueryExecution')!.body;
    expect(String(status.ClientRequestToken)).not.toMatch(/^nr-/);
  });
});

describe('AthenaCurSource settings and credentials', () => {
  it.each([
    ['table', 'cur; DROP TABLE x'],
    ['table', 'cur-2'],
    ['database', 'db"x'],
    ['database', ''],
  ] as const)('refuses the %s %j before any AWS call', (setting, value) => {
    const w = world({ [setting]: value });
    new FakeAthena([], w.clock);
    let thrown: unknown;
    try {
      new AthenaCurSource(w.options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'CONFIG_INVALID', where: { setting: `athena.${setting}`, value } });
    expect((thrown as Error).message).toContain(JSON.stringify(value));
    expect(nock.pendingMocks()).toHaveLength(1); // the Athena stand-in, never called
  });

  it('assumes the payer role with the external id and signs Athena and S3 calls with it', async () => {
    const w = world({ layout: 'cur2', roleArn: `arn:aws:iam::${PAYER_ID}:role/Reseller`, externalId: 'ext-secret-42' });
    const seen: URLSearchParams[] = [];
    expectAssumeRole([[200, assumeRoleXml('ASIAASSUMEDKEY123456', 'session-token', '2026-11-05T09:00:00Z')]], seen);
    const athena = new FakeAthena([mainScript({ rows: [], outputKey: 'athena/main.csv' })], w.clock);
    let s3Authorization = '';
    nock('http://127.0.0.1:4611')
      .get('/cur-results/athena/main.csv')
      .query(true)
      .reply(function () {
        s3Authorization = String(this.req.headers.authorization);
        return [200, csvLine(HEADER) + csvLine(resultRow())];
      });
    await readAll(await source(w).aggregate(request));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.get('RoleArn')).toBe(`arn:aws:iam::${PAYER_ID}:role/Reseller`);
    expect(seen[0]?.get('ExternalId')).toBe('ext-secret-42');
    expect(String(athena.calls[0]?.headers.authorization)).toContain('Credential=ASIAASSUMEDKEY123456/');
    expect(s3Authorization).toContain('Credential=ASIAASSUMEDKEY123456/');
  });

  it('never shows the external id when AssumeRole is refused', async () => {
    const w = world({ layout: 'cur2', roleArn: `arn:aws:iam::${PAYER_ID}:role/Reseller`, externalId: 'ext-secret-42' });
    expectAssumeRole([[403, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed with ext-secret-42</Message></Error></ErrorResponse>`]]);
    const athena = new FakeAthena([mainScript()], w.clock);
    const error = await rejection(source(w).aggregate(request));
    expect(error.code).toBe('AWS_ACCESS_DENIED');
    expect(error.message).not.toContain('ext-secret-42');
    expect(athena.executions).toHaveLength(0);
  });
});
