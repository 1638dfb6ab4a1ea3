import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildQuery, parseContentRange, parseRetryAfterMs, path, rqlValue } from '../../../src/adapters/connect/http-client.js';
import { API_KEY, HOST, SECRET, type Received, answer, everythingIn, failure, signal, silentPeer, testClient } from './connect-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  vi.useRealTimers();
  nock.abortPendingRequests();
  nock.cleanAll();
});

const identity = (item: unknown): unknown => item;
const items = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ id: `T-${from + i}` }));

describe('ConnectHttpClient.listAll()', () => {
  it('reads three pages until Content-Range says the total is reached', async () => {
    const log: Received[] = [];
    const scope = nock(HOST)
      .get((uri) => uri.startsWith('/public/v1/things?'))
      .reply(answer(log, 200, items(0, 2), { 'Content-Range': 'items 0-1/5' }))
      .get((uri) => uri.startsWith('/public/v1/things?'))
      .reply(answer(log, 200, items(2, 2), { 'Content-Range': 'items 2-3/5' }))
      .get((uri) => uri.startsWith('/public/v1/things?'))
      .reply(answer(log, 200, items(4, 1), { 'Content-Range': 'items 4-4/5' }));
    const { client } = testClient({ pageSize: 2 });

    const all = await client.listAll('/things', [['status', 'pending']], identity, signal());

    scope.done();
    expect(all).toEqual(items(0, 5));
    expect(log.map((r) => r.path)).toEqual([
      '/public/v1/things?status=pending&limit=2&offset=0',
      '/public/v1/things?status=pending&limit=2&offset=2',
      '/public/v1/things?status=pending&limit=2&offset=4',
    ]);
  });

  it('stops at a full last page when Content-Range gives the total', async () => {
    const scope = nock(HOST)
      .get('/public/v1/things').query(true).reply(200, items(0, 2), { 'Content-Range': 'items 0-1/4' })
      .get('/public/v1/things').query(true).reply(200, items(2, 2), { 'Content-Range': 'items 2-3/4' });
    const { client } = testClient({ pageSize: 2 });
    await expect(client.listAll('/things', [], identity, signal())).resolves.toHaveLength(4);
    scope.done();
  });

  it('without Content-Range, stops at the first page shorter than the limit', async () => {
    const log: Received[] = [];
    const scope = nock(HOST)
      .get('/public/v1/things').query(true).reply(answer(log, 200, items(0, 2)))
      .get('/public/v1/things').query(true).reply(answer(log, 200, items(2, 2)))
      .get('/public/v1/things').query(true).reply(answer(log, 200, items(4, 1)));
    const { client } = testClient({ pageSize: 2 });

    await expect(client.listAll('/things', [], identity, signal())).resolves.toEqual(items(0, 5));

    scope.done();
    expect(log.map((r) => r.path.split('?')[1])).toEqual(['limit=2&offset=0', 'limit=2&offset=2', 'limit=2&offset=4']);
  });

  it('without Content-Range, stops at an empty page', async () => {
    const scope = nock(HOST)
      .get('/public/v1/things').query(true).reply(200, items(0, 2))
      .get('/public/v1/things').query(true).reply(200, []);
    const { client } = testClient({ pageSize: 2 });
    await expect(client.listAll('/things', [], identity, signal())).resolves.toHaveLength(2);
    scope.done();
  });

  it('names the call and the offset when a page is not a list', async () => {
    nock(HOST).get('/public/v1/things').query(true).reply(200, { results: [] });
    const { client } = testClient();
    const error = await failure(client.listAll('/things', [], identity, signal()));
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE', message: 'GET /things: the body is not a list (offset 0)' });
  });

  it('sends the default page size of 100', async () => {
    const log: Received[] = [];
    nock(HOST).get('/public/v1/things').query(true).reply(answer(log, 200, []));
    const { client } = testClient();
    await client.listAll('/things', [], identity, signal());
    expect(log[0]?.path).toBe('/public/v1/things?limit=100&offset=0');
  });
});

describe('the API key', () => {
  it('is sent as "Authorization: ApiKey <key>"', async () => {
    const log: Received[] = [];
    nock(HOST).get('/public/v1/requests/PR-1').reply(answer(log, 200, {}));
    const { client } = testClient();
    await client.getJson('/requests/PR-1', signal());
    expect(log[0]?.headers.authorization).toBe(`ApiKey ${API_KEY}`);
  });

  it('appears in no error, cause or retry log, whatever goes wrong', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }); // the timeouts of /d run on a clock the test moves
    const silent = silentPeer();
    nock(HOST)
      .get('/public/v1/a').reply(400, { error_code: 'REQ_003', errors: [`bad key ${API_KEY}`] })
      .get('/public/v1/b').times(2).reply(503)
      .get('/public/v1/c').times(2).replyWithError(Object.assign(new Error(`reset ${SECRET}`), { code: 'ECONNRESET' }))
      .get('/public/v1/d').times(2).reply(silent.reply);
    const { client, retries } = testClient({ retries: 1, timeoutMs: 20 });

    const errors = [
      await failure(client.getJson('/a', signal())),
      await failure(client.getJson('/b', signal())),
      await failure(client.getJson('/c', signal())),
      await timedOut(client.getJson('/d', signal()), silent, 2, 20),
      await failure(client.getJson('/no-such-mock', signal())), // nock's "no match" message lists the request headers
    ];

    expect(errors.map((e) => e.code)).toEqual(['PLATFORM_HTTP', 'PLATFORM_HTTP', 'PLATFORM_UNREACHABLE', 'PLATFORM_UNREACHABLE', 'PLATFORM_UNREACHABLE']);
    expect(errors[3]?.message).toBe('GET /d: no answer within 20 ms (after 2 attempts)');
    for (const error of errors) expect(everythingIn(error)).not.toContain(SECRET);
    expect(JSON.stringify(retries)).not.toContain(SECRET);
    expect(retries).toHaveLength(4);
  });
});

/** The error of a call whose `attempts` all reach `peer` and get no answer, moving the fake clock `timeoutMs` after each arrives. */
async function timedOut(call: Promise<unknown>, peer: ReturnType<typeof silentPeer>, attempts: number, timeoutMs: number) {
  const outcome = failure(call);
  for (let n = 1; n <= attempts; n += 1) {
    await peer.arrived(n);
    await vi.advanceTimersByTimeAsync(timeoutMs);
  }
  return outcome;
}

describe('query and path helpers', () => {
  it('buildQuery() keeps RQL as is and encodes key/value pairs', () => {
    expect(buildQuery(['and(eq(status,pending),in(asset.product.id,(PRD-1,PRD-2)))', ['order_by', 'created'], ['q', 'a b&c']])).toBe(
      'and(eq(status,pending),in(asset.product.id,(PRD-1,PRD-2)))&order_by=created&q=a%20b%26c',
    );
  });

  it('rqlValue() escapes the RQL delimiters', () => {
    expect(rqlValue('PRD-1')).toBe('PRD-1');
    expect(rqlValue('a,b(c)')).toBe('a%2Cb%28c%29');
  });

  it('path`` encodes every id', () => {
    expect(path`/requests/${'PR-1/../x?y'}/approve`).toBe('/requests/PR-1%2F..%2Fx%3Fy/approve');
  });

  it.each([
    ['items 0-99/250', { first: 0, last: 99, total: 250 }],
    ['items 0-0/0', { first: 0, last: 0, total: 0 }],
    ['items */*', undefined],
    [undefined, undefined],
  ])('parseContentRange(%j)', (header, expected) => {
    expect(parseContentRange(header)).toEqual(expected);
  });

  it.each([
    ['2', 2_000],
    ['0', 0],
    ['Thu, 01 Oct 2026 12:00:05 GMT', 5_000],
    ['Thu, 01 Oct 2026 11:00:00 GMT', 0],
    ['soon', undefined],
    [undefined, undefined],
  ])('parseRetryAfterMs(%j)', (header, expected) => {
    expect(parseRetryAfterMs(header, Date.UTC(2026, 9, 1, 12, 0, 0))).toBe(expected);
  });
});
