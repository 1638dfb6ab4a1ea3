import nock from 'nock';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { payerCredentials } from '../../../src/adapters/aws/credentials.js';
import {
  FAKE_CREDENTIALS,
  PAYER_ID,
  STS_ENDPOINT,
  assumeRoleXml,
  expectAssumeRole,
  expectOperation,
  rejection,
  signal,
  stsErrorXml,
  testFactory,
  type SeenRequest,
} from './aws-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const ROLE_ARN = `arn:aws:iam::${PAYER_ID}:role/ResellerOrganizationsAccess`;
const EXTERNAL_ID = 'ext-7f3a9c-secret';
const payer = { accountId: PAYER_ID, roleArn: ROLE_ARN, externalId: EXTERNAL_ID };

function sts(): STSClient {
  return new STSClient({ region: 'us-east-1', endpoint: STS_ENDPOINT, credentials: FAKE_CREDENTIALS, maxAttempts: 1 });
}

describe('payerCredentials()', () => {
  it('is undefined without a role, so the default credential chain applies', () => {
    expect(payerCredentials({ accountId: PAYER_ID }, { sts: sts() })).toBeUndefined();
  });

  it('assumes the role with session name, external id and one hour', async () => {
    const seen: URLSearchParams[] = [];
    expectAssumeRole([[200, assumeRoleXml('ASIATEMPORARY1', 'token-1', '2030-01-01T01:00:00Z')]], seen);
    const provider = payerCredentials(payer, { sts: sts() });
    expect(await provider?.()).toEqual({
      accessKeyId: 'ASIATEMPORARY1',
      secretAccessKey: 'temporary-secret',
      sessionToken: 'token-1',
      expiration: new Date('2030-01-01T01:00:00Z'),
    });
    expect(Object.fromEntries(seen[0] ?? [])).toEqual({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: ROLE_ARN,
      RoleSessionName: 'native-rating',
      ExternalId: EXTERNAL_ID,
      DurationSeconds: '3600',
    });
  });

  it('omits ExternalId when none is given', async () => {
    const seen: URLSearchParams[] = [];
    expectAssumeRole([[200, assumeRoleXml('ASIATEMPORARY1', 'token-1', '2030-01-01T01:00:00Z')]], seen);
    await payerCredentials({ accountId: PAYER_ID, roleArn: ROLE_ARN }, { sts: sts() })?.();
    expect(seen[0]?.has('ExternalId')).toBe(false);
  });

  it('keeps the credentials until 5 minutes before Expiration, then assumes the role again', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const scope = expectAssumeRole([
      [200, assumeRoleXml('ASIATEMPORARY1', 'token-1', '2030-01-01T01:00:00Z')],
      [200, assumeRoleXml('ASIATEMPORARY2', 'token-2', '2030-01-01T01:55:00Z')],
    ]);
    const provider = payerCredentials(payer, { sts: sts(), now: () => now });
    const first = await provider?.();
    now = Date.parse('2030-01-01T00:54:59Z');
    expect((await provider?.())?.accessKeyId).toBe(first?.accessKeyId);
    expect(scope.pendingMocks()).toHaveLength(1);
    now = Date.parse('2030-01-01T00:55:01Z');
    expect((await provider?.())?.accessKeyId).toBe('ASIATEMPORARY2');
    expect(scope.isDone()).toBe(true);
  });

  it('shares one AssumeRole between concurrent callers', async () => {
    const scope = expectAssumeRole([[200, assumeRoleXml('ASIATEMPORARY1', 'token-1', '2030-01-01T01:00:00Z')]]);
    const provider = payerCredentials(payer, { sts: sts(), now: () => Date.parse('2030-01-01T00:00:00Z') });
    const keys = await Promise.all([provider?.(), provider?.(), provider?.()]);
    expect(keys.map((k) => k?.accessKeyId)).toEqual(['ASIATEMPORARY1', 'ASIATEMPORARY1', 'ASIATEMPORARY1']);
    expect(scope.isDone()).toBe(true);
  });
});

describe('a payer with a role, through the factory', () => {
  it('signs Organizations calls with the assumed credentials, assuming the role once', async () => {
    const factory = testFactory();
    const stsScope = expectAssumeRole([[200, assumeRoleXml('ASIATEMPORARY1', 'token-1', '2099-01-01T00:00:00Z')]]);
    const seen: SeenRequest[] = [];
    expectOperation('ListRoots', { Roots: [{ Id: 'r-ab12' }] }, { times: 2, seen });
    const orgs = factory.forPayer(payer);
    expect(await orgs.rootId(signal)).toBe('r-ab12');
    expect(await factory.forPayer(payer).rootId(signal)).toBe('r-ab12');
    expect(stsScope.isDone()).toBe(true);
    for (const request of seen) {
      expect(String(request.headers.authorization)).toContain('Credential=ASIATEMPORARY1/');
      expect(request.headers['x-amz-security-token']).toBe('token-1');
    }
  });

  it('reports a refused AssumeRole as AWS_ACCESS_DENIED without the external id', async () => {
    const factory = testFactory();
    expectAssumeRole([
      [403, stsErrorXml('AccessDenied', `User is not authorized to perform: sts:AssumeRole (external id ${EXTERNAL_ID})`)],
    ]);
    const error = await rejection(factory.forPayer(payer).rootId(signal));
    expect(error.code).toBe('AWS_ACCESS_DENIED');
    expect(error.message).toBe(
      `AWS refused AssumeRole for payer ${PAYER_ID}: User is not authorized to perform: sts:AssumeRole (external id [redacted])`,
    );
    const everything = [error.message, error.stack, String(error.cause), (error.cause as Error).stack, JSON.stringify(error)].join('\n');
    expect(everything).not.toContain(EXTERNAL_ID);
  });

  it('builds one client per payer and role', () => {
    const factory = testFactory();
    expect(factory.forPayer(payer)).toBe(factory.forPayer({ ...payer }));
    expect(factory.forPayer(payer)).not.toBe(factory.forPayer({ accountId: PAYER_ID }));
    expect(factory.forPayer(payer)).not.toBe(factory.forPayer({ ...payer, accountId: '999999999999' }));
  });
});
