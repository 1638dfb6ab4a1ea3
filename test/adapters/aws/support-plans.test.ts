import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SupportPlanDetector, type SupportPlanDetectorOptions } from '../../../src/adapters/aws/support-plans.adapter.js';
import { detectWithCache } from '../../../src/app/support/detect-plans.js';
import { ConnectorError } from '../../../src/domain/errors.js';
import { openStateDatabase } from '../../../src/store/database.js';
import { SqliteSupportPlanStore } from '../../../src/store/support-plans.store.js';
import { FAKE_CREDENTIALS, JSON_HEADERS, STS_ENDPOINT, assumeRoleXml, signal, stsErrorXml } from './aws-fixtures.js';

const SUPPORT_ENDPOINT = 'http://127.0.0.1:4612';
const MEMBER = '222222222222';
const EXTERNAL_ID = 'ext-secret-42';
const NOW = new Date('2026-11-05T10:00:00.000Z');
const PERIOD = '2026-10';
const ROLE_ARN = `arn:aws:iam::${MEMBER}:role/PartnerReadOnlySupportRole`;

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

function detector(options: SupportPlanDetectorOptions = {}): SupportPlanDetector {
  return new SupportPlanDetector({
    stsEndpoint: STS_ENDPOINT,
    supportEndpoint: SUPPORT_ENDPOINT,
    credentials: FAKE_CREDENTIALS,
    externalId: EXTERNAL_ID,
    retryBaseDelayMs: 1,
    maxCallsPerSecond: 1000,
    now: () => NOW,
    ...options,
  });
}

/** The access key STS hands out for a member account: the account can be read back from the Support call's signature. */
const memberKey = (account: string): string => `ASIAMEMBER${account}`;

/**
 * Answers AssumeRole at the STS stand-in: success with credentials named after
 * the role's account, or the `[status, xml]` given. Records the form parameters.
 */
function expectAssumeRoles(times: number, seen: URLSearchParams[] = [], answer?: (n: number) => [number, string] | undefined): nock.Scope {
  let n = 0;
  return nock(STS_ENDPOINT)
    .post('/')
    .times(times)
    .reply((_uri, body) => {
      const params = new URLSearchParams(String(body));
      seen.push(params);
      const custom = answer?.(n++);
      if (custom) return [custom[0], custom[1], { 'content-type': 'text/xml' }];
      const account = /::(\d{12}):/.exec(params.get('RoleArn') ?? '')?.[1] ?? '000000000000';
      return [200, assumeRoleXml(memberKey(account), `token-${account}`, '2026-11-05T10:15:00Z'), { 'content-type': 'text/xml' }];
    });
}

interface SupportCall {
  accountKey: string | undefined;
  authorization: string;
}

/** Answers DescribeSeverityLevels at the Support stand-in with what `reply` gives for the calling member's key. */
function expectSeverityLevels(times: number, reply: (accountKey: string | undefined, n: number) => [number, object], seen: SupportCall[] = []): nock.Scope {
  let n = 0;
  return nock(SUPPORT_ENDPOINT)
    .post('/')
    .matchHeader('x-amz-target', 'AWSSupport_20130415.DescribeSeverityLevels')
    .times(times)
    .reply(function (this: nock.ReplyFnContext) {
      const authorization = String(this.req.headers['authorization'] ?? '');
      const accountKey = /Credential=([A-Z0-9]+)\//.exec(authorization)?.[1];
      seen.push({ accountKey, authorization });
      const [status, body] = reply(accountKey, n++);
      return [status, body, JSON_HEADERS];
    });
}

const levels = (...codes: string[]): [number, object] => [200, { severityLevels: codes.map((code) => ({ code, name: code })) }];
const supportError = (type: string, message: string, status = 400): [number, object] => [status, { __type: type, message }];

describe('SupportPlanDetector.detect()', () => {
  it.each([
    [['low', 'normal', 'high', 'urgent', 'critical'], 'enterprise-class'],
    [['low', 'normal', 'high', 'urgent'], 'business'],
    [['low', 'normal'], 'developer'],
  ])('reads severity codes %j as %s, asking Support in us-east-1 with the member’s credentials', async (codes, plan) => {
    expectAssumeRoles(1);
    const seen: SupportCall[] = [];
    expectSeverityLevels(1, () => levels(...codes), seen);
    const detection = await detector({ region: 'eu-west-1' }).detect(MEMBER, PERIOD, signal);
    expect(detection).toMatchObject({ accountId: MEMBER, period: PERIOD, plan, codes, checkedAt: NOW.toISOString() });
    expect(detection.error).toBeUndefined();
    expect(detection.cause).toBeUndefined();
    expect(seen[0]?.accountKey).toBe(memberKey(MEMBER));
    expect(seen[0]?.authorization).toContain('/us-east-1/support/aws4_request');
  });

  it('assumes the member role with the session name, 900 s and the external id', async () => {
    const sent: URLSearchParams[] = [];
    expectAssumeRoles(1, sent);
    expectSeverityLevels(1, () => levels('low', 'normal'));
    await detector().detect(MEMBER, PERIOD, signal);
    expect(sent[0]?.get('Action')).toBe('AssumeRole');
    expect(sent[0]?.get('RoleArn')).toBe(ROLE_ARN);
    expect(sent[0]?.get('RoleSessionName')).toBe('native-rating-support');
    expect(sent[0]?.get('DurationSeconds')).toBe('900');
    expect(sent[0]?.get('ExternalId')).toBe(EXTERNAL_ID);
  });

  it('sends no ExternalId when none is configured, and uses the configured role name', async () => {
    const sent: URLSearchParams[] = [];
    expectAssumeRoles(1, sent);
    expectSeverityLevels(1, () => levels('low'));
    await detector({ externalId: undefined, roleName: 'OrganizationAccountAccessRole' }).detect(MEMBER, PERIOD, signal);
    expect(sent[0]?.has('ExternalId')).toBe(false);
    expect(sent[0]?.get('RoleArn')).toBe(`arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`);
  });

  it('reads SubscriptionRequiredException as basic-or-developer, keeping AWS’s answer', async () => {
    expectAssumeRoles(1);
    expectSeverityLevels(1, () => supportError('SubscriptionRequiredException', 'AWS Premium Support Subscription is required to use this service.'));
    const detection = await detector().detect(MEMBER, PERIOD, signal);
    expect(detection).toMatchObject({ plan: 'basic-or-developer', cause: 'subscription-required' });
    expect(detection.error).toBe('SubscriptionRequiredException: AWS Premium Support Subscription is required to use this service.');
    expect(detection.reason).toContain('Developer');
    expect(detection.codes).toBeUndefined();
  });

  it('reads UnrecognizedClientException as unknown, saying why', async () => {
    expectAssumeRoles(1);
    expectSeverityLevels(1, () => supportError('UnrecognizedClientException', 'The security token included in the request is invalid.'));
    const detection = await detector().detect(MEMBER, PERIOD, signal);
    expect(detection.plan).toBe('unknown');
    expect(detection.reason).toContain('UnrecognizedClientException');
    expect(detection.error).toContain('security token');
  });

  it('reads a refused AssumeRole as unknown naming the role, asks Support nothing and never shows the external id', async () => {
    expectAssumeRoles(1, [], () => [403, stsErrorXml('AccessDenied', `User is not authorized to perform sts:AssumeRole on ${ROLE_ARN} with ${EXTERNAL_ID}`)]);
    const support = expectSeverityLevels(1, () => levels('critical'));
    const detection = await detector().detect(MEMBER, PERIOD, signal);
    expect(detection).toMatchObject({ plan: 'unknown', cause: 'role-not-assumable' });
    expect(detection.reason).toMatch(/^the payer may not assume PartnerReadOnlySupportRole \(AccessDenied\): the role /);
    expect(detection.reason).toContain(ROLE_ARN);
    expect(detection.error).toContain('AccessDenied');
    expect(detection.error).toContain('[redacted]');
    expect(JSON.stringify(detection)).not.toContain(EXTERNAL_ID);
    expect(support.isDone()).toBe(false);
  });

  it('reads access denied on DescribeSeverityLevels as unknown, the Support API denied, keeping AWS’s answer', async () => {
    expectAssumeRoles(1);
    expectSeverityLevels(1, () => supportError('AccessDeniedException', 'User is not authorized to perform: support:DescribeSeverityLevels'));
    const detection = await detector().detect(MEMBER, PERIOD, signal);
    expect(detection).toMatchObject({ plan: 'unknown', cause: 'support-api-denied', error: 'AccessDeniedException: User is not authorized to perform: support:DescribeSeverityLevels' });
    expect(detection.reason).toContain('attach the SupportUser policy');
  });

  it('names a network error by its code: the payer’s credentials unreachable is unknown, to ask again later', async () => {
    const sts = expectAssumeRoles(1);
    const unreachable = async (): Promise<never> => {
      throw Object.assign(new Error('connect ECONNREFUSED 169.254.169.254:80'), { code: 'ECONNREFUSED' });
    };
    const detection = await detector({ maxAttempts: 1, credentials: unreachable }).detect(MEMBER, PERIOD, signal);
    expect(detection).toMatchObject({ plan: 'unknown', cause: 'throttled-or-unavailable', error: 'ECONNREFUSED: connect ECONNREFUSED 169.254.169.254:80' });
    expect(detection.reason).toBe(`STS did not answer AssumeRole of ${ROLE_ARN} (ECONNREFUSED); try again later`);
    expect(sts.isDone()).toBe(false);
  });

  it('rides out ThrottlingException from Support with the SDK’s retries', async () => {
    expectAssumeRoles(1);
    expectSeverityLevels(3, (_key, n) => (n < 2 ? supportError('ThrottlingException', 'Rate exceeded') : levels('low', 'normal', 'high', 'urgent')));
    const d = detector();
    expect((await d.detect(MEMBER, PERIOD, signal)).plan).toBe('business');
    expect(d.stats().byOperation).toEqual({ AssumeRole: 1, DescribeSeverityLevels: 3 });
  });

  it('rides out 429 TooManyRequestsException from Support and Throttling from STS', async () => {
    expectAssumeRoles(2, [], (n) => (n === 0 ? [400, stsErrorXml('Throttling', 'Rate exceeded')] : undefined));
    expectSeverityLevels(2, (_key, n) => (n === 0 ? supportError('TooManyRequestsException', 'Too many requests', 429) : levels('critical')));
    const d = detector();
    expect((await d.detect(MEMBER, PERIOD, signal)).plan).toBe('enterprise-class');
    expect(d.stats().byOperation).toEqual({ AssumeRole: 2, DescribeSeverityLevels: 2 });
  });

  it('gives unknown naming the throttling when it outlasts the retries', async () => {
    expectAssumeRoles(1);
    expectSeverityLevels(3, () => supportError('ThrottlingException', 'Rate exceeded'));
    const detection = await detector({ maxAttempts: 3 }).detect(MEMBER, PERIOD, signal);
    expect(detection).toMatchObject({ plan: 'unknown', cause: 'throttled-or-unavailable', error: 'ThrottlingException: Rate exceeded' });
    expect(detection.reason).toContain('try again later');
  });

  it('reuses the member’s credentials until shortly before they expire', async () => {
    expectAssumeRoles(1);
    expectSeverityLevels(2, () => levels('low'));
    const d = detector();
    await d.detect(MEMBER, PERIOD, signal);
    await d.detect(MEMBER, PERIOD, signal);
    expect(d.stats().byOperation).toEqual({ AssumeRole: 1, DescribeSeverityLevels: 2 });
  });

  it('gives unknown for a malformed account id without calling AWS', async () => {
    const detection = await detector().detect('12345', PERIOD, signal);
    expect(detection).toMatchObject({ plan: 'unknown', cause: 'other', reason: expect.stringContaining('12 digits') });
  });

  it('throws ABORTED when the signal has fired', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await detector().detect(MEMBER, PERIOD, controller.signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).code).toBe('ABORTED');
  });
});

describe('new SupportPlanDetector()', () => {
  it('rejects a bad role name before any call', () => {
    expect(() => detector({ roleName: 'no spaces allowed' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('role name') }));
  });

  it('rejects a bad external id before any call, without repeating it', () => {
    const bad = 'secret with spaces';
    let caught: unknown;
    try {
      detector({ externalId: bad });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConnectorError);
    expect((caught as ConnectorError).code).toBe('CONFIG_INVALID');
    expect((caught as ConnectorError).message).toContain('external id');
    expect((caught as ConnectorError).message).not.toContain(bad);
  });
});

describe('SupportPlanDetector.detectAll()', () => {
  it('detects every account once, in order, at most maxConcurrent at a time', async () => {
    const accounts = ['333333333333', '444444444444', '555555555555', '333333333333'];
    const plans: Record<string, [number, object]> = {
      [memberKey('333333333333')]: levels('critical'),
      [memberKey('444444444444')]: supportError('SubscriptionRequiredException', 'subscription required'),
      [memberKey('555555555555')]: levels('low', 'normal'),
    };
    expectAssumeRoles(3);
    expectSeverityLevels(3, (key) => plans[key ?? ''] ?? [500, {}]);
    const d = detector({ maxConcurrent: 2 });
    const detections = await d.detectAll(accounts, PERIOD, signal);
    expect(detections.map((x) => [x.accountId, x.plan])).toEqual([
      ['333333333333', 'enterprise-class'],
      ['444444444444', 'basic-or-developer'],
      ['555555555555', 'developer'],
    ]);
    expect(d.stats().maxInFlight).toBeLessThanOrEqual(2);
  });
});

describe('detectWithCache()', () => {
  it('serves a second detection of the same account and month from the store, asking AWS once', async () => {
    const state = openStateDatabase(':memory:');
    try {
      const store = new SqliteSupportPlanStore(state.db);
      const d = detector();
      expectAssumeRoles(1);
      expectSeverityLevels(1, () => levels('low', 'normal', 'high', 'urgent'));
      const first = await detectWithCache(store, d, [MEMBER], PERIOD, signal);
      expect(first.map((x) => x.plan)).toEqual(['business']);
      expect(store.get(MEMBER, PERIOD)).toEqual(first[0]);

      const later = detector({ now: () => new Date('2026-11-06T00:00:00.000Z') });
      const second = await detectWithCache(store, later, [MEMBER], PERIOD, signal);
      expect(second).toEqual(first);
      expect(later.stats().calls).toBe(0);
    } finally {
      state.close();
    }
  });

  it('asks again for an account whose stored plan is unknown, and stores the new answer', async () => {
    const state = openStateDatabase(':memory:');
    try {
      const store = new SqliteSupportPlanStore(state.db);
      store.put({ accountId: MEMBER, period: PERIOD, plan: 'unknown', error: 'AccessDenied: no', reason: 'refused', checkedAt: '2026-11-01T00:00:00.000Z' });
      expectAssumeRoles(1);
      expectSeverityLevels(1, () => levels('critical'));
      const [detection] = await detectWithCache(store, detector(), [MEMBER], PERIOD, signal);
      expect(detection?.plan).toBe('enterprise-class');
      expect(store.get(MEMBER, PERIOD)).toMatchObject({ plan: 'enterprise-class', checkedAt: NOW.toISOString() });
      expect(store.get(MEMBER, PERIOD)?.error).toBeUndefined();
    } finally {
      state.close();
    }
  });
});
