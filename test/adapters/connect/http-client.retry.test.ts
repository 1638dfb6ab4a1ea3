import nock from 'nock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { abortableSleep } from '../../../src/adapters/connect/http-client.js';
import { PlatformCallError } from '../../../src/adapters/connect/http-client.js';
import { HOST, type Received, answer, failure, signal, silentPeer, testClient } from './connect-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.abortPendingRequests();
  nock.cleanAll();
});

const ONE = '/public/v1/requests/PR-1';

describe('ConnectHttpClient retries', () => {
  it('retries a 500 and a 502, then returns the answer, backing off with full jitter', async () => {
    const log: Received[] = [];
    const scope = nock(HOST)
      .get(ONE).reply(answer(log, 500, { error_code: 'SYS_001', errors: ['boom'] }))
      .get(ONE).reply(answer(log, 502, 'Bad gateway'))
      .get(ONE).reply(answer(log, 200, { id: 'PR-1' }));
    const { client, sleeps, retries } = testClient({ baseDelayMs: 500 });

    await expect(client.getJson('/requests/PR-1', signal())).resolves.toEqual({ id: 'PR-1' });

    scope.done();
    expect(log).toHaveLength(3);
    expect(sleeps).toEqual([250, 500]); // random 0.5 × 500 × 2^(n-1)
    expect(retries).toEqual([
      { attempt: 1, reason: 'GET /requests/PR-1: HTTP 500 SYS_001: boom', delayMs: 250 },
      { attempt: 2, reason: 'GET /requests/PR-1: HTTP 502', delayMs: 500 },
    ]);
  });

  it('caps the backoff at maxDelayMs', async () => {
    const scope = nock(HOST).get(ONE).times(5).reply(503).get(ONE).reply(200, '{}');
    const { client, sleeps } = testClient({ retries: 5, baseDelayMs: 500, maxDelayMs: 2_000, random: () => 0.999 });
    await client.getJson('/requests/PR-1', signal());
    scope.done();
    expect(sleeps).toEqual([499, 999, 1998, 1998, 1998]);
  });

  it('honours 429 with Retry-After in seconds', async () => {
    const log: Received[] = [];
    const scope = nock(HOST)
      .get(ONE).reply(answer(log, 429, { error_code: 'RATE' }, { 'Retry-After': '2' }))
      .get(ONE).reply(answer(log, 200, { id: 'PR-1' }));
    const { client, sleeps, retries } = testClient();

    await expect(client.getJson('/requests/PR-1', signal())).resolves.toEqual({ id: 'PR-1' });

    scope.done();
    expect(sleeps).toEqual([2_000]);
    expect(retries[0]?.reason).toBe('GET /requests/PR-1: HTTP 429 RATE');
  });

  it('honours 429 with Retry-After as an HTTP-date', async () => {
    const now = Date.UTC(2026, 9, 1, 12, 0, 0);
    const scope = nock(HOST)
      .get(ONE).reply(429, '', { 'Retry-After': new Date(now + 7_000).toUTCString() })
      .get(ONE).reply(200, '{}');
    const { client, sleeps } = testClient({ now: () => now });
    await client.getJson('/requests/PR-1', signal());
    scope.done();
    expect(sleeps).toEqual([7_000]);
  });

  it('caps Retry-After at maxRetryAfterMs', async () => {
    const scope = nock(HOST).get(ONE).reply(429, '', { 'Retry-After': '3600' }).get(ONE).reply(200, '{}');
    const { client, sleeps } = testClient({ maxRetryAfterMs: 60_000 });
    await client.getJson('/requests/PR-1', signal());
    scope.done();
    expect(sleeps).toEqual([60_000]);
  });

  it('gives up on a 503 after 3 retries with a retryable PLATFORM_HTTP', async () => {
    const scope = nock(HOST).get(ONE).times(4).reply(503, { error_code: 'SYS_503', errors: ['maintenance'] });
    const { client, sleeps } = testClient();

    const error = await failure(client.getJson('/requests/PR-1', signal()));

    scope.done();
    expect(sleeps).toHaveLength(3);
    expect(error.code).toBe('PLATFORM_HTTP');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('GET /requests/PR-1: HTTP 503 SYS_503: maintenance (after 4 attempts)');
    expect(error.cause).toBeInstanceOf(PlatformCallError);
    expect(error.cause).toMatchObject({ method: 'GET', path: '/requests/PR-1', status: 503, errorCode: 'SYS_503' });
  });

  it('does not retry a 400 and reports the platform error code and sentences', async () => {
    const scope = nock(HOST)
      .post('/public/v1/requests/PR-1/approve')
      .reply(400, { error_code: 'REQ_003', errors: ['Parameter aws_account_id is required.'] });
    const { client, sleeps } = testClient();

    const error = await failure(client.postOnce('/requests/PR-1/approve', { template_id: 'TL-1' }, signal(), async () => undefined));

    scope.done();
    expect(sleeps).toEqual([]);
    expect(error.code).toBe('PLATFORM_HTTP');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('POST /requests/PR-1/approve: HTTP 400 REQ_003: Parameter aws_account_id is required.');
    expect(error.cause).toMatchObject({ status: 400, errorCode: 'REQ_003', errors: ['Parameter aws_account_id is required.'] });
  });

  it('does not retry a 404 without a JSON body', async () => {
    const scope = nock(HOST).get(ONE).reply(404, '<html>not found</html>');
    const { client } = testClient();
    const error = await failure(client.getJson('/requests/PR-1', signal()));
    scope.done();
    expect(error).toMatchObject({ code: 'PLATFORM_HTTP', retryable: false, message: 'GET /requests/PR-1: HTTP 404' });
  });


  it('does not follow a redirect (the key would go with it)', async () => {
    const scope = nock(HOST).get(ONE).reply(302, '', { Location: 'https://elsewhere.test/steal' });
    const { client } = testClient();
    const error = await failure(client.getJson('/requests/PR-1', signal()));
    scope.done();
    expect(error).toMatchObject({ code: 'PLATFORM_HTTP', retryable: false, message: 'GET /requests/PR-1: HTTP 302' });
  });
});

describe('ConnectHttpClient timeouts and network errors', () => {
  // The per-attempt timeout and the default sleep run on a fake clock that only the test moves.
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => vi.useRealTimers());

  it('retries an attempt that takes longer than timeoutMs', async () => {
    const peer = silentPeer();
    const scope = nock(HOST).get(ONE).reply(peer.reply).get(ONE).reply(200, '{"id":"PR-1"}');
    const { client, retries } = testClient({ timeoutMs: 50 });

    const call = client.getJson('/requests/PR-1', signal());
    await peer.arrived(1);
    await vi.advanceTimersByTimeAsync(49);
    expect(retries).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);

    await expect(call).resolves.toEqual({ id: 'PR-1' });
    scope.done();
    expect(retries.map((r) => r.reason)).toEqual(['GET /requests/PR-1: no answer within 50 ms']);
  });

  it('reports PLATFORM_UNREACHABLE when every attempt times out', async () => {
    const peer = silentPeer();
    const scope = nock(HOST).get(ONE).times(3).reply(peer.reply);
    const { client, sleeps } = testClient({ timeoutMs: 30, retries: 2 });

    const outcome = failure(client.getJson('/requests/PR-1', signal()));
    for (const n of [1, 2, 3]) {
      await peer.arrived(n);
      await vi.advanceTimersByTimeAsync(30);
    }
    const error = await outcome;

    scope.done();
    expect(sleeps).toHaveLength(2);
    expect(error).toMatchObject({ code: 'PLATFORM_UNREACHABLE', retryable: true });
    expect(error.message).toBe('GET /requests/PR-1: no answer within 30 ms (after 3 attempts)');
  });

  it('with the default sleep, waits the backoff on the clock before the next attempt', async () => {
    const log: Received[] = [];
    const scope = nock(HOST).get(ONE).reply(answer(log, 503)).get(ONE).reply(answer(log, 200, { id: 'PR-1' }));
    let retried: () => void = () => undefined;
    const retry = new Promise<void>((resolve) => (retried = resolve));
    const { client } = testClient({ sleep: undefined, baseDelayMs: 500, onRetry: () => retried() });

    const call = client.getJson('/requests/PR-1', signal());
    await retry;
    await vi.advanceTimersByTimeAsync(249); // random 0.5 × 500
    expect(log).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);

    await expect(call).resolves.toEqual({ id: 'PR-1' });
    scope.done();
    expect(log).toHaveLength(2);
  });

  it('reports PLATFORM_UNREACHABLE after retrying a network error', async () => {
    const scope = nock(HOST).get(ONE).times(4).replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const { client, retries } = testClient();

    const error = await failure(client.getJson('/requests/PR-1', signal()));

    scope.done();
    expect(retries).toHaveLength(3);
    expect(error).toMatchObject({ code: 'PLATFORM_UNREACHABLE', retryable: true });
    expect(error.message).toContain('GET /requests/PR-1: network error ECONNRESET');
    expect(error.cause).toMatchObject({ method: 'GET', path: '/requests/PR-1', code: 'ECONNRESET' });
  });
});

describe('ConnectHttpClient and the abort signal', () => {
  afterEach(() => vi.useRealTimers());

  it('makes no call at all when the signal is already aborted', async () => {
    const scope = nock(HOST).get(ONE).reply(200, '{}');
    const { client } = testClient();
    const error = await failure(client.getJson('/requests/PR-1', AbortSignal.abort()));
    expect(error.code).toBe('ABORTED');
    expect(scope.isDone()).toBe(false);
  });

  it('stops while waiting to retry and makes no further call', async () => {
    const controller = new AbortController();
    const scope = nock(HOST).get(ONE).reply(503).get(ONE).reply(200, '{}');
    const { client, sleeps } = testClient({
      sleep: async (ms) => {
        sleeps.push(ms);
        controller.abort();
      },
    });

    const error = await failure(client.getJson('/requests/PR-1', controller.signal));

    expect(error).toMatchObject({ code: 'ABORTED', retryable: false });
    expect(sleeps).toHaveLength(1);
    expect(scope.pendingMocks()).toHaveLength(1); // the second answer was never asked for
  });

  it('stops a call in flight at once, without waiting for its timeout or retrying', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const controller = new AbortController();
    const peer = silentPeer();
    const scope = nock(HOST).get(ONE).reply(peer.reply).get(ONE).reply(200, '{}');
    const { client, sleeps, retries } = testClient({ timeoutMs: 10_000 });

    const outcome = failure(client.getJson('/requests/PR-1', controller.signal));
    await peer.arrived(1);
    controller.abort();
    const error = await outcome; // the clock never moved: only the abort can have ended the call

    expect(error).toMatchObject({ code: 'ABORTED', retryable: false });
    expect(sleeps).toEqual([]);
    expect(retries).toEqual([]);
    expect(scope.pendingMocks()).toHaveLength(1);
  });

  it('the default sleep waits the time given, on the clock', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let done = false;
    const waiting = abortableSleep(60_000, signal()).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(59_999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
  });

  it('the default sleep ends with ABORTED as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const waiting = abortableSleep(60_000, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
