/**
 * Every AWS client has connection and request timeouts: against a loopback
 * endpoint that accepts the request and never answers, each adapter's call
 * fails with the SDK's timeout instead of hanging. The request timeout is a
 * timer the test moves (fake timers), once the endpoint has the request: no
 * test waits on the wall clock.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AthenaCurSource } from '../../../src/adapters/aws/athena-cur-source.js';
import { AWS_CONNECT_TIMEOUT_MS, AWS_REQUEST_TIMEOUT_MS, awsClientOptions, awsRequestHandler, awsTimeouts } from '../../../src/adapters/aws/client-options.js';
import { configSchema } from '../../../src/config/schema.js';
import { AwsOrganizationsFactory } from '../../../src/adapters/aws/organizations-factory.js';
import { SupportPlanDetector } from '../../../src/adapters/aws/support-plans.adapter.js';
import { ConnectorError } from '../../../src/domain/errors.js';
import { assumeRoleXml, FAKE_CREDENTIALS, PAYER_ID } from './aws-fixtures.js';

/** Long enough that the socket's own idle timer (registered 3 s in, by a fake timer too) is not the one that fires. */
const TIMEOUT_MS = 10_000;
const timeouts = { connectTimeoutMs: 1_000, requestTimeoutMs: TIMEOUT_MS };
const signal = new AbortController().signal;

interface Endpoint {
  url: string;
  /** Resolves when the endpoint has received its next request. */
  nextRequest(): Promise<IncomingMessage>;
}

const servers: Server[] = [];

/** A loopback endpoint: `answer` replies, or leaves the request hanging when it returns false. */
async function endpoint(answer: (req: IncomingMessage, res: ServerResponse) => boolean = () => false): Promise<Endpoint> {
  const waiting: Array<(req: IncomingMessage) => void> = [];
  const server = createServer((req, res) => {
    req.resume();
    if (!answer(req, res)) waiting.shift()?.(req);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, nextRequest: () => new Promise((resolve) => waiting.push(resolve)) };
}

afterEach(async () => {
  vi.useRealTimers();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * Starts `call` under fake timers, lets the hung endpoint receive it, then moves
 * the clock past the request timeout: what the call settled with (its rejection,
 * or its value when `resolves`).
 */
async function timedOut(hung: Endpoint, call: () => Promise<unknown>, resolves = false): Promise<unknown> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const received = hung.nextRequest();
  const outcome = call().then(
    (value: unknown) => (resolves ? value : new Error('the call resolved')),
    (error: unknown) => error,
  );
  await received;
  await vi.advanceTimersByTimeAsync(TIMEOUT_MS);
  return outcome;
}

describe('awsRequestHandler()', () => {
  it('takes aws.connectTimeoutMs and aws.requestTimeoutMs from the configuration, the defaults when absent', () => {
    const set = configSchema.parse({ payers: [{ accountId: PAYER_ID }], aws: { connectTimeoutMs: 1500, requestTimeoutMs: 45000 } });
    expect(awsRequestHandler(awsTimeouts(set))).toMatchObject({ connectionTimeout: 1500, requestTimeout: 45000, socketTimeout: 45000 });
    const defaults = configSchema.parse({ payers: [{ accountId: PAYER_ID }] });
    expect(awsRequestHandler(awsTimeouts(defaults))).toMatchObject({ connectionTimeout: AWS_CONNECT_TIMEOUT_MS, requestTimeout: AWS_REQUEST_TIMEOUT_MS });
    expect(configSchema.safeParse({ payers: [{ accountId: PAYER_ID }], aws: { requestTimeoutMs: 0 } }).success).toBe(false);
  });

  it('sets the connection, request and socket timeouts, and makes the request timeout an error', () => {
    expect(awsRequestHandler()).toEqual({ connectionTimeout: AWS_CONNECT_TIMEOUT_MS, requestTimeout: AWS_REQUEST_TIMEOUT_MS, socketTimeout: AWS_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true });
    expect(awsRequestHandler({ connectTimeoutMs: 50, requestTimeoutMs: 70 })).toEqual({ connectionTimeout: 50, requestTimeout: 70, socketTimeout: 70, throwOnRequestTimeout: true });
  });

  it('refuses a timeout that is not a whole positive number of ms', () => {
    expect(() => awsRequestHandler({ requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs must be a whole positive number of ms, got 0/);
    expect(() => awsRequestHandler({ connectTimeoutMs: 1.5 })).toThrow(/connectTimeoutMs/);
  });
});

describe('an AWS endpoint that accepts and never answers', () => {
  it('fails an Organizations call with a retryable timeout', async () => {
    const hung = await endpoint();
    const orgs = new AwsOrganizationsFactory({ endpoint: hung.url, credentials: FAKE_CREDENTIALS, maxAttempts: 1, maxCallsPerSecond: 1000, timeouts }).forPayer({ accountId: PAYER_ID });
    const error = await timedOut(hung, () => orgs.listAccounts(signal));
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ code: 'AWS_CALL', retryable: true, message: expect.stringMatching(/ListAccounts failed for payer 111111111111: TimeoutError: .*10000 ms requestTimeout/) });
  });

  it('fails the STS AssumeRole of a payer with a role', async () => {
    const hung = await endpoint();
    const orgsEndpoint = await endpoint();
    const orgs = new AwsOrganizationsFactory({ endpoint: orgsEndpoint.url, stsEndpoint: hung.url, credentials: FAKE_CREDENTIALS, maxAttempts: 1, maxCallsPerSecond: 1000, timeouts }).forPayer({
      accountId: PAYER_ID,
      roleArn: `arn:aws:iam::${PAYER_ID}:role/Reseller`,
    });
    const error = await timedOut(hung, () => orgs.listAccounts(signal));
    expect(error).toMatchObject({ code: 'AWS_CALL', retryable: true, message: expect.stringMatching(/AssumeRole.*TimeoutError/) });
  });

  it('gives up on a Support call: the plan is unknown, the reason names the timeout', async () => {
    const sts = await endpoint((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' }).end(assumeRoleXml('ASIAMEMBER', 'member-token', '2099-01-01T00:00:00Z'));
      return true;
    });
    const hung = await endpoint();
    const detector = new SupportPlanDetector({ stsEndpoint: sts.url, supportEndpoint: hung.url, credentials: FAKE_CREDENTIALS, maxAttempts: 1, maxCallsPerSecond: 1000, timeouts });
    const detection = await timedOut(hung, () => detector.detect('222222222222', '2026-10', signal), true);
    expect(detection).toMatchObject({ accountId: '222222222222', plan: 'unknown', error: expect.stringMatching(/^TimeoutError: .*requestTimeout/) });
  });

  it('fails an Athena query', async () => {
    const hung = await endpoint();
    const source = new AthenaCurSource({
      payerAccountId: PAYER_ID,
      database: 'cur',
      table: 'cur_table',
      layout: 'legacy',
      region: 'us-east-1',
      runVersion: 1,
      endpoint: hung.url,
      s3Endpoint: hung.url,
      credentials: FAKE_CREDENTIALS,
      maxAttempts: 1,
      throttleRetries: 0,
      sleep: async () => undefined,
      timeouts,
    });
    const error = await timedOut(hung, () => source.aggregate({ period: '2026-10', listPrice: 'unblended', granularity: 'usage-type', signal }));
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).message).toMatch(/TimeoutError/);
  });

  it('fails an S3 read of a result file', async () => {
    const hung = await endpoint();
    const s3 = new S3Client({ ...awsClientOptions(timeouts), region: 'us-east-1', endpoint: hung.url, forcePathStyle: true, credentials: FAKE_CREDENTIALS, maxAttempts: 1 });
    const error = await timedOut(hung, () => s3.send(new GetObjectCommand({ Bucket: 'cur-results', Key: 'q.csv' })));
    expect(error).toMatchObject({ name: 'TimeoutError', message: expect.stringContaining('10000 ms requestTimeout') });
    s3.destroy();
  });
});
