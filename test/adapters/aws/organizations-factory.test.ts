import nock from 'nock';
import { setMaxListeners } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AwsOrganizationsFactory, CallLimiter } from '../../../src/adapters/aws/organizations-factory.js';
import { FAKE_CREDENTIALS, JSON_HEADERS, ORG_ENDPOINT, PAYER_ID, expectOperation, rejection, signal, testFactory } from './aws-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  vi.useRealTimers();
});
afterAll(() => nock.enableNetConnect());

/** A promise the test resolves when it chooses (`open`). */
function latch(): { promise: Promise<void>; open: () => void } {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('the shared call limiter', () => {
  it('keeps 20 parallel calls of two payers to 2 in flight and counts them', async () => {
    let inFlight = 0;
    let maxSeen = 0;
    // AWS holds each answer until two calls are in flight, then lets them go: calls overlap whatever
    // the machine's speed (a limiter allowing only one would never finish). That no more than 2 were
    // ever in flight is the limiter's maxInFlight below: a call on the wire always holds a slot.
    let held: Array<() => void> = [];
    nock(ORG_ENDPOINT)
      .post('/')
      .times(20)
      .reply(async () => {
        inFlight += 1;
        maxSeen = Math.max(maxSeen, inFlight);
        await new Promise<void>((resolve) => {
          held.push(resolve);
          if (inFlight < 2) return;
          for (const go of held) go();
          held = [];
        });
        inFlight -= 1;
        return [200, { Parents: [{ Id: 'r-ab12', Type: 'ROOT' }] }, JSON_HEADERS];
      });
    const factory = testFactory({ maxConcurrent: 2 });
    const payers = [factory.forPayer({ accountId: PAYER_ID }), factory.forPayer({ accountId: '222222222222' })];
    // The SDK adds an abort listener per call in flight in its retry middleware: 20 at once on one signal.
    const cycle = new AbortController();
    setMaxListeners(50, cycle.signal);
    const roots = await Promise.all(Array.from({ length: 20 }, (_, i) => payers[i % 2]?.parentOf('333333333333', cycle.signal)));
    expect(roots).toEqual(Array(20).fill('r-ab12'));
    expect(maxSeen).toBe(2);
    expect(factory.stats()).toEqual({ calls: 20, byOperation: { ListParents: 20 }, maxInFlight: 2 });
  });

  it('starts at most maxCallsPerSecond calls in any second, spread evenly', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = new CallLimiter(10, 2);
    const startedAt: number[] = [];
    const calls = Array.from({ length: 5 }, () =>
      limiter.acquire('ListAccounts').then((release) => {
        startedAt.push(Date.now());
        release();
      }),
    );
    await vi.advanceTimersByTimeAsync(3_000);
    await Promise.all(calls);
    expect(startedAt).toEqual([0, 550, 1100, 1650, 2200]);
    expect(limiter.stats()).toEqual({ calls: 5, byOperation: { ListAccounts: 5 }, maxInFlight: 1 });
  });

  it('lets a waiting call go when its signal fires', async () => {
    const limiter = new CallLimiter(1, 100);
    const release = await limiter.acquire('ListRoots');
    const controller = new AbortController();
    const waiting = limiter.acquire('ListRoots', controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    release();
    const next = await limiter.acquire('ListRoots');
    next();
    expect(limiter.stats().calls).toBe(2);
  });

  it('reports ABORTED for an Organizations call aborted while it waits for a slot', async () => {
    const factory = testFactory({ maxConcurrent: 1 });
    // The first call holds the one slot: AWS keeps its answer until the second call is aborted.
    const firstArrived = latch();
    const firstAnswer = latch();
    nock(ORG_ENDPOINT)
      .post('/')
      .reply(async () => {
        firstArrived.open();
        await firstAnswer.promise;
        return [200, { Parents: [{ Id: 'r-ab12', Type: 'ROOT' }] }, JSON_HEADERS];
      });
    const orgs = factory.forPayer({ accountId: PAYER_ID });
    const first = orgs.parentOf('333333333333', signal);
    await firstArrived.promise;
    // The abort comes once the second call has asked the limiter for a slot (and been queued).
    const controller = new AbortController();
    const secondQueued = latch();
    const acquire = CallLimiter.prototype.acquire;
    const spy = vi.spyOn(CallLimiter.prototype, 'acquire').mockImplementation(function (this: CallLimiter, operation, callSignal) {
      const slot = acquire.call(this, operation, callSignal);
      if (callSignal === controller.signal) secondQueued.open();
      return slot;
    });
    try {
      const second = orgs.parentOf('333333333333', controller.signal);
      await secondQueued.promise;
      controller.abort();
      // The slot frees at once: a limiter that ignored the abort would grant it to the second call (2 calls).
      firstAnswer.open();
      expect((await rejection(second)).code).toBe('ABORTED');
    } finally {
      spy.mockRestore();
      firstAnswer.open();
    }
    expect(await first).toBe('r-ab12');
    expect(factory.stats().calls).toBe(1);
  });
});

describe('endpoints', () => {
  it('honours AWS_ENDPOINT_URL_ORGANIZATIONS when no endpoint option is given', async () => {
    const before = process.env.AWS_ENDPOINT_URL_ORGANIZATIONS;
    process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = 'http://127.0.0.1:4577';
    try {
      expectOperation('ListRoots', { Roots: [{ Id: 'r-env1' }] }, { endpoint: 'http://127.0.0.1:4577' });
      const factory = new AwsOrganizationsFactory({ credentials: FAKE_CREDENTIALS, retryBaseDelayMs: 1 });
      expect(await factory.forPayer({ accountId: PAYER_ID }).rootId(signal)).toBe('r-env1');
    } finally {
      if (before === undefined) delete process.env.AWS_ENDPOINT_URL_ORGANIZATIONS;
      else process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = before;
    }
  });

  it('uses the endpoint option when given', async () => {
    expectOperation('ListRoots', { Roots: [{ Id: 'r-opt1' }] }, { endpoint: 'http://127.0.0.1:4588' });
    const factory = testFactory({ endpoint: 'http://127.0.0.1:4588' });
    expect(await factory.forPayer({ accountId: PAYER_ID }).rootId(signal)).toBe('r-opt1');
  });
});
