import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCurQuery } from '../../../src/app/cur-query.js';
import { AthenaQueryRunner, athenaRequestToken, type AthenaQueryRunnerOptions } from '../../../src/adapters/aws/athena-query.js';
import type { CurAggregateRequest, Progress } from '../../../src/app/ports.js';
import { PAYER_ID, rejection } from './aws-fixtures.js';
import { CLOCK_START, FakeAthena, HEADER, readAll, resultRow, source, world, type QueryScript, type ScriptedStatus } from './athena-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const request: CurAggregateRequest = { period: '2026-10', listPrice: 'unblended', granularity: 'service' };
const isMain = (q: string): boolean => q.includes('GROUP BY');
const mainScript = (extra: Partial<QueryScript> = {}): QueryScript => ({ match: isMain, rows: [HEADER, resultRow()], ...extra });
const cur2 = { layout: 'cur2' as const };

describe('athenaRequestToken()', () => {
  const key = { payerAccountId: PAYER_ID, period: '2026-10', runVersion: 3, query: 'SELECT 1' };

  it('is 32 to 128 characters and the same for the same payer, period, version and query', () => {
    const token = athenaRequestToken(key);
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(token.length).toBeLessThanOrEqual(128);
    expect(athenaRequestToken({ ...key })).toBe(token);
  });

  it.each([
    ['version', { runVersion: 4 }],
    ['query', { query: 'SELECT 2' }],
    ['period', { period: '2026-11' }],
    ['payer', { payerAccountId: '999999999999' }],
  ])('differs for another %s', (_name, change) => {
    expect(athenaRequestToken({ ...key, ...change })).not.toBe(athenaRequestToken(key));
  });
});

describe('AthenaCurSource polling', () => {
  it('waits through QUEUED, RUNNING and back to QUEUED with growing delays until SUCCEEDED', async () => {
    const w = world({ ...cur2, pollBaseDelayMs: 100, pollMaxDelayMs: 1000 });
    const athena = new FakeAthena([mainScript({ states: ['QUEUED', 'RUNNING', 'QUEUED', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED'] })], w.clock);
    const progress: Progress[] = [];
    const result = await source(w).aggregate({ ...request, onProgress: (p) => progress.push(p) });
    expect(await readAll(result)).toHaveLength(1);
    expect(w.delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(athena.calls.filter((c) => c.operation === 'GetQueryExecution' && c.body.QueryExecutionId === 'q-1')).toHaveLength(7);
    const waits = progress.filter((p) => p.phase === 'athena');
    expect(waits.every((p) => p.unit === 's')).toBe(true);
    expect(waits.map((p) => p.done)).toEqual([0, 0, 0, 0, 1, 2, 3]);
  });

  it('reports a FAILED query as CUR_INPUT naming Athena’s reason and error category', async () => {
    const w = world(cur2);
    new FakeAthena(
      [
        mainScript({
          states: ['RUNNING', { State: 'FAILED', StateChangeReason: "COLUMN_NOT_FOUND: line 4:3: Column 'line_item_usage_type' cannot be resolved", AthenaError: { ErrorCategory: 2, ErrorType: 1006, Retryable: false } }],
        }),
      ],
      w.clock,
    );
    const error = await rejection(source(w).aggregate(request));
    expect(error.code).toBe('CUR_INPUT');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(`Athena query failed for payer ${PAYER_ID}: COLUMN_NOT_FOUND: line 4:3: Column 'line_item_usage_type' cannot be resolved (user)`);
    expect(error.where).toMatchObject({ payer: PAYER_ID, setting: 'athena', value: 'q-1' });
  });

  it('marks a failure retryable when Athena says so', async () => {
    const w = world(cur2);
    new FakeAthena([mainScript({ states: [{ State: 'FAILED', StateChangeReason: 'Query exhausted resources', AthenaError: { ErrorCategory: 1, Retryable: true } }] })], w.clock);
    const error = await rejection(source(w).aggregate(request));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('Query exhausted resources (system)');
  });

  it('reports a CANCELLED query', async () => {
    const w = world(cur2);
    new FakeAthena([mainScript({ states: ['RUNNING', { State: 'CANCELLED', StateChangeReason: 'Query was cancelled by user', AthenaError: { ErrorCategory: 3 } }] })], w.clock);
    const error = await rejection(source(w).aggregate(request));
    expect(error.code).toBe('CUR_INPUT');
    expect(error.message).toBe(`Athena query cancelled for payer ${PAYER_ID}: Query was cancelled by user (other)`);
  });

  it('gives up after maxWaitMs with a retryable error, leaving the query to a later try', async () => {
    const w = world({ ...cur2, pollBaseDelayMs: 1000, pollMaxDelayMs: 4000, maxWaitMs: 10_000 });
    const athena = new FakeAthena([mainScript({ states: ['RUNNING'] })], w.clock);
    const error = await rejection(source(w).aggregate(request));
    expect(error.code).toBe('AWS_CALL');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('is still RUNNING after 10 s');
    expect(w.delays.reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(athena.calls.some((c) => c.operation === 'StopQueryExecution')).toBe(false);
  });

  it('stops waiting when the signal fires', async () => {
    const w = world(cur2);
    const controller = new AbortController();
    let polls = 0;
    w.options.sleep = async (_ms, signal) => {
      polls += 1;
      if (polls === 2) controller.abort();
      signal?.throwIfAborted();
    };
    new FakeAthena([mainScript({ states: ['RUNNING'] })], w.clock);
    const error = await rejection(source(w).aggregate({ ...request, signal: controller.signal }));
    expect(error.code).toBe('ABORTED');
  });
});

describe('AthenaCurSource resubmission of an old failure', () => {
  /** The token of the main query of `world(cur2)` (run version 1). */
  const mainToken = athenaRequestToken({
    payerAccountId: PAYER_ID,
    period: '2026-10',
    runVersion: 1,
    query: buildCurQuery({ relation: 'cid_data_export.cur2', listPrice: 'unblended', granularity: 'service', partition: { kind: 'cur2', period: '2026-10' }, productMap: true }),
  });
  /** Plants an execution that an earlier try of the same run left under `mainToken`. */
  const plantOld = (athena: FakeAthena, status: ScriptedStatus): void => {
    const old = { id: 'q-old', query: '', polls: 0, submittedAt: CLOCK_START - 3_600_000, script: mainScript({ states: [status] }) };
    athena.executions.push(old);
    athena.byToken.set(mainToken, old);
  };

  it('starts a fresh query when the token names an execution that failed retryably before this run', async () => {
    const w = world(cur2);
    const athena = new FakeAthena([mainScript()], w.clock);
    plantOld(athena, { State: 'FAILED', StateChangeReason: 'Internal error', AthenaError: { ErrorCategory: 1, Retryable: true } });
    const result = await source(w).aggregate(request);
    expect(result.source).toContain('query q-2');
    const sent = athena.calls.filter((c) => c.operation === 'StartQueryExecution').map((c) => String(c.body.ClientRequestToken));
    expect(sent.slice(0, 2)).toEqual([mainToken, `${mainToken}-r1`]);
  });

  it('reports an old failure that Athena says is not retryable, without a new query', async () => {
    const w = world(cur2);
    const athena = new FakeAthena([mainScript()], w.clock);
    plantOld(athena, { State: 'FAILED', StateChangeReason: 'SYNTAX_ERROR', AthenaError: { ErrorCategory: 2, Retryable: false } });
    const error = await rejection(source(w).aggregate(request));
    expect(error.message).toContain('SYNTAX_ERROR (user)');
    expect(athena.executions).toHaveLength(1);
  });
});

describe('AthenaCurSource throttling', () => {
  it('rides out TooManyRequestsException on StartQueryExecution with the SDK’s retries', async () => {
    const w = world(cur2);
    const athena = new FakeAthena([mainScript()], w.clock);
    athena.throttle('StartQueryExecution', 1);
    const result = await source(w).aggregate(request);
    expect(await readAll(result)).toHaveLength(1);
    expect(athena.executions).toHaveLength(1);
    expect(w.delays).toEqual([]);
  });

  it('backs off on its own when throttling outlives the SDK’s retries, then succeeds', async () => {
    const w = world({ ...cur2, maxAttempts: 1, pollBaseDelayMs: 100, pollMaxDelayMs: 10_000 });
    const athena = new FakeAthena([mainScript()], w.clock);
    athena.throttle('GetQueryExecution', 3);
    const result = await source(w).aggregate(request);
    expect(await readAll(result)).toHaveLength(1);
    expect(w.delays).toHaveLength(3);
    // Jittered between half and all of 200, 400, 800 ms.
    [200, 400, 800].forEach((step, i) => {
      expect(w.delays[i]).toBeGreaterThanOrEqual(step / 2);
      expect(w.delays[i]).toBeLessThanOrEqual(step);
    });
  });

  it('reports AWS_THROTTLED, retryable, when throttling never ends', async () => {
    const w = world({ ...cur2, maxAttempts: 2, throttleRetries: 2 });
    const athena = new FakeAthena([mainScript()], w.clock);
    athena.throttle('StartQueryExecution', 100);
    const error = await rejection(source(w).aggregate(request));
    expect(error.code).toBe('AWS_THROTTLED');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('StartQueryExecution');
    expect(athena.calls.filter((c) => c.operation === 'StartQueryExecution')).toHaveLength(6);
    expect(athena.executions).toHaveLength(0);
  });
});

describe('AthenaQueryRunner.run() scan progress', () => {
  /** A runner over a stand-in `send` that answers GetQueryExecution from `polls` in turn (the last repeats). */
  function runner(polls: Array<{ State: string; DataScannedInBytes?: number }>): AthenaQueryRunner {
    let poll = 0;
    let now = 0;
    const send = async (command: { constructor: { name: string } }): Promise<unknown> => {
      if (command.constructor.name === 'StartQueryExecutionCommand') return { QueryExecutionId: 'q-1', $metadata: {} };
      const answer = polls[Math.min(poll, polls.length - 1)]!;
      poll += 1;
      const { State, DataScannedInBytes } = answer;
      return { QueryExecution: { QueryExecutionId: 'q-1', Status: { State }, ...(DataScannedInBytes === undefined ? {} : { Statistics: { DataScannedInBytes } }) }, $metadata: {} };
    };
    const options: AthenaQueryRunnerOptions = {
      athena: { send } as unknown as AthenaQueryRunnerOptions['athena'],
      payerAccountId: PAYER_ID,
      database: 'cid_data_export',
      catalog: 'AwsDataCatalog',
      sleep: async (ms) => void (now += ms),
      now: () => now,
      pollBaseDelayMs: 100,
      pollMaxDelayMs: 1000,
      maxWaitMs: 60_000,
      throttleRetries: 0,
      secrets: [],
    };
    return new AthenaQueryRunner(options);
  }

  it('tells the bytes Athena has scanned each time a poll shows more, the finished query’s figure last', async () => {
    const scanned: number[] = [];
    const r = runner([
      { State: 'QUEUED' },
      { State: 'RUNNING', DataScannedInBytes: 0 },
      { State: 'RUNNING', DataScannedInBytes: 52_428_800 },
      { State: 'RUNNING', DataScannedInBytes: 52_428_800 },
      { State: 'RUNNING', DataScannedInBytes: 157_286_400 },
      { State: 'SUCCEEDED', DataScannedInBytes: 209_715_200 },
    ]);
    await expect(r.run('SELECT 1', { onScanned: (b) => scanned.push(b) })).resolves.toMatchObject({ id: 'q-1' });
    expect(scanned).toEqual([0, 52_428_800, 157_286_400, 209_715_200]);
  });

  it('tells nothing when Athena gives no statistics', async () => {
    const scanned: number[] = [];
    await runner([{ State: 'RUNNING' }, { State: 'SUCCEEDED' }]).run('SELECT 1', { onScanned: (b) => scanned.push(b) });
    expect(scanned).toEqual([]);
  });
});
