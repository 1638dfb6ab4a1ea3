import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { awsEndpoints } from '../../../src/config/env.js';
import type { CurAggregateRequest } from '../../../src/app/ports.js';
import { ATHENA_ENDPOINT, FakeAthena, HEADER, csvLine, readAll, resultRow, source, world } from './athena-fixtures.js';

describe('awsEndpoints()', () => {
  it.each([
    ['nothing set', {}, {}],
    ['one service', { AWS_ENDPOINT_URL_S3: 'http://localhost:4569' }, { s3: 'http://localhost:4569' }],
    ['the shared variable for every service', { AWS_ENDPOINT_URL: 'http://localhost:4566' }, { athena: 'http://localhost:4566', s3: 'http://localhost:4566', sts: 'http://localhost:4566' }],
    [
      'a service variable before the shared one',
      { AWS_ENDPOINT_URL: 'http://localhost:4566', AWS_ENDPOINT_URL_ATHENA: 'http://127.0.0.1:4610', AWS_ENDPOINT_URL_STS: ' ' },
      { athena: 'http://127.0.0.1:4610', s3: 'http://localhost:4566', sts: 'http://localhost:4566' },
    ],
    ['blank values as unset', { AWS_ENDPOINT_URL_S3: '', AWS_ENDPOINT_URL: '  ' }, {}],
  ])('%s', (_name, env, expected) => {
    expect(awsEndpoints(env)).toEqual(expected);
  });
});

describe('AthenaCurSource with an S3 endpoint named by host', () => {
  const request: CurAggregateRequest = { period: '2026-10', listPrice: 'unblended', granularity: 'service' };
  let server: Server;
  let port: number;
  const seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];

  beforeAll(async () => {
    // A loopback stand-in for S3 that answers every GET with a result CSV.
    server = createServer((req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.end(csvLine(HEADER) + csvLine(resultRow()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    nock.disableNetConnect();
    nock.enableNetConnect(`localhost:${port}`);
  });
  afterEach(() => {
    nock.cleanAll();
    seen.length = 0;
  });
  afterAll(async () => {
    nock.enableNetConnect();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reads the result path-style (/<bucket>/<key>) from http://localhost:<port>, the endpoint taken from the environment', async () => {
    const endpoints = awsEndpoints({ AWS_ENDPOINT_URL_ATHENA: ATHENA_ENDPOINT, AWS_ENDPOINT_URL_S3: `http://localhost:${port}` });
    const w = world({ layout: 'cur2', endpoints });
    new FakeAthena([{ match: (q) => q.includes('GROUP BY'), outputKey: 'athena/q-1.csv' }], w.clock);
    const groups = await readAll(await source(w).aggregate(request));
    expect(groups.map((g) => g.productCode)).toEqual(['AmazonEC2']);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe('GET');
    expect(seen[0]?.url.split('?')[0]).toBe('/cur-results/athena/q-1.csv');
    expect(seen[0]?.headers.host).toBe(`localhost:${port}`);
  });

  it('reads path-style from an S3 endpoint given on its own (s3Endpoint)', async () => {
    const w = world({ layout: 'cur2', endpoints: { athena: ATHENA_ENDPOINT }, s3Endpoint: `http://localhost:${port}` });
    new FakeAthena([{ match: (q) => q.includes('GROUP BY'), outputKey: 'athena/q-1.csv' }], w.clock);
    expect(await readAll(await source(w).aggregate(request))).toHaveLength(1);
    expect(seen.map((r) => [r.url.split('?')[0], r.headers.host])).toEqual([['/cur-results/athena/q-1.csv', `localhost:${port}`]]);
  });

  it('keeps virtual-hosted addressing when asked to, even with an endpoint set', async () => {
    const w = world({ layout: 'cur2', endpoints: { athena: ATHENA_ENDPOINT, s3: `http://localhost:${port}` }, s3ForcePathStyle: false, maxAttempts: 1 });
    new FakeAthena([{ match: (q) => q.includes('GROUP BY'), outputKey: 'athena/q-1.csv' }], w.clock);
    // cur-results.localhost is not a host the stand-in answers: the call fails before it.
    await expect(source(w).aggregate(request)).rejects.toMatchObject({ code: 'AWS_CALL' });
    expect(seen).toEqual([]);
  });
});
