/**
 * Stand-ins for the AWS adapter tests: a loopback endpoint that nock answers
 * in the AWS JSON 1.1 protocol (Organizations) and the query protocol (STS),
 * static fake credentials, and a factory wired to both.
 */
import nock from 'nock';
import { expect } from 'vitest';
import {
  AwsOrganizationsFactory,
  type AwsOrganizationsFactoryOptions,
} from '../../../src/adapters/aws/organizations-factory.js';
import { ConnectorError } from '../../../src/domain/errors.js';

export const ORG_ENDPOINT = 'http://127.0.0.1:4566';
export const STS_ENDPOINT = 'http://127.0.0.1:4599';
export const PAYER_ID = '111111111111';
export const FAKE_CREDENTIALS = { accessKeyId: 'AKIDEXAMPLEFORTESTS', secretAccessKey: 'fake-secret-for-tests' };
export const JSON_HEADERS = { 'content-type': 'application/x-amz-json-1.1' };

/** A signal that never fires. */
export const signal = new AbortController().signal;

/** A factory at the loopback endpoints, with fast retries and a generous rate. */
export function testFactory(options: AwsOrganizationsFactoryOptions = {}): AwsOrganizationsFactory {
  return new AwsOrganizationsFactory({
    endpoint: ORG_ENDPOINT,
    stsEndpoint: STS_ENDPOINT,
    credentials: FAKE_CREDENTIALS,
    retryBaseDelayMs: 1,
    maxCallsPerSecond: 1000,
    ...options,
  });
}

/** What one Organizations request carried. */
export interface SeenRequest {
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Expects one Organizations operation (`times` times) and answers `reply`
 * (a JSON body for 200, or `[status, body]`), recording each request in `seen`.
 */
export function expectOperation(
  operation: string,
  reply: object | [number, object] | ((body: Record<string, unknown>) => object),
  options: { times?: number; seen?: SeenRequest[]; endpoint?: string } = {},
): nock.Scope {
  return nock(options.endpoint ?? ORG_ENDPOINT)
    .post('/')
    .matchHeader('x-amz-target', `AWSOrganizationsV20161128.${operation}`)
    .times(options.times ?? 1)
    .reply(function (this: nock.ReplyFnContext, _uri: string, requestBody: nock.Body) {
      const body = (typeof requestBody === 'string' ? JSON.parse(requestBody || '{}') : requestBody) as Record<string, unknown>;
      options.seen?.push({ body, headers: { ...this.req.headers } });
      const answer = typeof reply === 'function' ? reply(body) : reply;
      return Array.isArray(answer) ? [answer[0], answer[1], JSON_HEADERS] : [200, answer, JSON_HEADERS];
    });
}

/** An AWS JSON 1.1 error answer. */
export function awsError(type: string, message: string, status = 400): [number, object] {
  return [status, { __type: type, Message: message }];
}

/** The `ConnectorError` a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

/** An STS AssumeRole answer in the query protocol's XML. */
export function assumeRoleXml(accessKeyId: string, sessionToken: string, expiration: string): string {
  return `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>${accessKeyId}</AccessKeyId>
      <SecretAccessKey>temporary-secret</SecretAccessKey>
      <SessionToken>${sessionToken}</SessionToken>
      <Expiration>${expiration}</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::${PAYER_ID}:assumed-role/Reseller/native-rating</Arn>
      <AssumedRoleId>AROAEXAMPLE:native-rating</AssumedRoleId>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>`;
}

/** An STS error answer in the query protocol's XML. */
export function stsErrorXml(code: string, message: string): string {
  return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error>
  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ErrorResponse>`;
}

/** Expects AssumeRole calls at the STS endpoint, recording their form parameters. */
export function expectAssumeRole(
  answers: Array<[number, string]>,
  seen: URLSearchParams[] = [],
): nock.Scope {
  let next = 0;
  return nock(STS_ENDPOINT)
    .post('/')
    .times(answers.length)
    .reply((_uri, requestBody) => {
      seen.push(new URLSearchParams(String(requestBody)));
      const answer = answers[Math.min(next++, answers.length - 1)] ?? [500, ''];
      return [answer[0], answer[1], { 'content-type': 'text/xml' }];
    });
}
