import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { translateAwsError } from '../../../src/adapters/aws/aws-errors.js';
import { ConnectorError } from '../../../src/domain/errors.js';
import { JSON_HEADERS, ORG_ENDPOINT, PAYER_ID, awsError, expectOperation, rejection, signal, testFactory } from './aws-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** A promise the test resolves when it chooses (`open`). */
function latch(): { promise: Promise<void>; open: () => void } {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('AWS errors through the Organizations adapter', () => {
  it('returns the result after TooManyRequestsException twice (3 calls made)', async () => {
    const factory = testFactory();
    const scope = expectOperation('ListRoots', awsError('TooManyRequestsException', 'AWS Organizations can\u2019t complete your request because of too many requests.'), { times: 2 });
    expectOperation('ListRoots', { Roots: [{ Id: 'r-ab12' }] });
    expect(await factory.forPayer({ accountId: PAYER_ID }).rootId(signal)).toBe('r-ab12');
    expect(scope.isDone()).toBe(true);
    expect(factory.stats()).toMatchObject({ calls: 3, byOperation: { ListRoots: 3 } });
  });

  it('gives AWS_THROTTLED (retryable) when throttling outlasts the SDK retries', async () => {
    const factory = testFactory({ maxAttempts: 5 });
    expectOperation('ListRoots', awsError('TooManyRequestsException', 'Rate exceeded'), { times: 5 });
    const error = await rejection(factory.forPayer({ accountId: PAYER_ID }).rootId(signal));
    expect(error.code).toBe('AWS_THROTTLED');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(`AWS throttled ListRoots for payer ${PAYER_ID} after 5 attempts: Rate exceeded`);
    expect(factory.stats().calls).toBe(5);
  });

  it('gives AWS_ACCESS_DENIED with a clear message, calls once and nothing else', async () => {
    const factory = testFactory();
    expectOperation('CreateOrganizationalUnit', awsError('AccessDeniedException', 'You don\u2019t have permissions to access this resource.'));
    const error = await rejection(factory.forPayer({ accountId: PAYER_ID }).createOrganizationalUnit('r-ab12', 'Acme', signal));
    expect(error.code).toBe('AWS_ACCESS_DENIED');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      `AWS refused CreateOrganizationalUnit for payer ${PAYER_ID}: You don\u2019t have permissions to access this resource.`,
    );
    expect(error.where).toEqual({ payer: PAYER_ID });
    expect(factory.stats().byOperation).toEqual({ CreateOrganizationalUnit: 1 });
  });

  it('gives AWS_CONCURRENT_MODIFICATION (retryable) without SDK retries', async () => {
    const factory = testFactory();
    expectOperation('MoveAccount', awsError('ConcurrentModificationException', 'The target of the operation is currently being modified by a different request.'));
    const error = await rejection(factory.forPayer({ accountId: PAYER_ID }).moveAccount('555555555555', 'r-ab12', 'ou-ab12-x', signal));
    expect(error.code).toBe('AWS_CONCURRENT_MODIFICATION');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('MoveAccount');
    expect(factory.stats().calls).toBe(1);
  });

  it('gives AWS_CONSTRAINT naming the operation for a business rule, with the error name when AWS gives no Reason', async () => {
    expectOperation('CreateAccount', awsError('ConstraintViolationException', 'You have reached the limit on the number of accounts.'));
    const error = await rejection(testFactory().forPayer({ accountId: PAYER_ID }).createAccount({ email: 'a@b.example', name: 'A' }, signal));
    expect(error.code).toBe('AWS_CONSTRAINT');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      `AWS refused CreateAccount for payer ${PAYER_ID} (ConstraintViolationException): You have reached the limit on the number of accounts.`,
    );
  });

  it('gives AWS_CALL naming the operation and AWS error name for other errors', async () => {
    expectOperation('CreateAccount', awsError('FinalizingOrganizationException', 'The organization is being finalized.'));
    const error = await rejection(testFactory().forPayer({ accountId: PAYER_ID }).createAccount({ email: 'a@b.example', name: 'A' }, signal));
    expect(error.code).toBe('AWS_CALL');
    expect(error.message).toBe(`AWS CreateAccount failed for payer ${PAYER_ID}: FinalizingOrganizationException: The organization is being finalized.`);
  });

  it('retries a 5xx and reports it as a retryable AWS_CALL when it persists', async () => {
    const factory = testFactory({ maxAttempts: 2 });
    expectOperation('ListRoots', awsError('ServiceException', 'internal', 500), { times: 2 });
    const error = await rejection(factory.forPayer({ accountId: PAYER_ID }).rootId(signal));
    expect(error.code).toBe('AWS_CALL');
    expect(error.retryable).toBe(true);
    expect(factory.stats().calls).toBe(2);
  });

  it('gives ABORTED when the signal fires during the call', async () => {
    const controller = new AbortController();
    // AWS holds its answer until the test lets it go: the abort always comes first, however slow the machine.
    const arrived = latch();
    const answer = latch();
    nock(ORG_ENDPOINT)
      .post('/')
      .reply(async () => {
        arrived.open();
        await answer.promise;
        return [200, { Roots: [{ Id: 'r-late' }] }, JSON_HEADERS];
      });
    const pending = testFactory().forPayer({ accountId: PAYER_ID }).rootId(controller.signal);
    await arrived.promise;
    controller.abort();
    // The answer is let go at once: a call that ignored the abort would resolve with it and fail here.
    answer.open();
    const error = await rejection(pending);
    expect(error.code).toBe('ABORTED');
    expect(error.message).toBe(`ListRoots for payer ${PAYER_ID} was aborted`);
  });
});

describe('translateAwsError()', () => {
  const context = { operation: 'ListAccounts', payerAccountId: PAYER_ID };
  const sdkError = (name: string, message: string, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 }, ...extra });

  it.each([
    ['AccessDeniedException', 'AWS_ACCESS_DENIED', false],
    ['AccessDenied', 'AWS_ACCESS_DENIED', false],
    ['UnrecognizedClientException', 'AWS_ACCESS_DENIED', false],
    ['AWSOrganizationsNotInUseException', 'AWS_ACCESS_DENIED', false],
    ['TooManyRequestsException', 'AWS_THROTTLED', true],
    ['Throttling', 'AWS_THROTTLED', true],
    ['ConcurrentModificationException', 'AWS_CONCURRENT_MODIFICATION', true],
    ['AccountNotFoundException', 'AWS_NOT_FOUND', false],
    ['HandshakeNotFoundException', 'AWS_NOT_FOUND', false],
    ['CreateAccountStatusNotFoundException', 'AWS_NOT_FOUND', false],
    ['ParentNotFoundException', 'AWS_NOT_FOUND', false],
    ['OrganizationalUnitNotFoundException', 'AWS_NOT_FOUND', false],
    ['AbortError', 'ABORTED', false],
    ['InvalidInputException', 'AWS_CONSTRAINT', false],
  ] as const)('%s → %s (retryable %s)', (name, code, retryable) => {
    const error = translateAwsError(sdkError(name, 'why'), context);
    expect([error.code, error.retryable]).toEqual([code, retryable]);
  });

  it('marks errors the SDK flags $retryable, and network errors, as retryable AWS_CALL', () => {
    expect(translateAwsError(sdkError('SomethingTransient', 'x', { $retryable: {} }), context).retryable).toBe(true);
    const network = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' });
    expect(translateAwsError(network, context)).toMatchObject({ code: 'AWS_CALL', retryable: true });
  });

  it('reports ABORTED whenever the caller signal has fired', () => {
    const controller = new AbortController();
    controller.abort();
    expect(translateAwsError(sdkError('InternalFailure', 'x'), { ...context, signal: controller.signal }).code).toBe('ABORTED');
  });

  it('passes a ConnectorError through unchanged', () => {
    const original = new ConnectorError('AWS_THROTTLED', 'already translated', { retryable: true });
    expect(translateAwsError(original, context)).toBe(original);
  });

  it('keeps only name and message as the cause, with secrets and access key ids blanked', () => {
    const raw = sdkError('AccessDenied', 'role trust for ext-id-secret-42 refused key AKIAIOSFODNN7EXAMPLE', {
      $response: { headers: { authorization: 'AWS4-HMAC-SHA256 Signature=abc' } },
    });
    const error = translateAwsError(raw, { ...context, secrets: ['ext-id-secret-42'] });
    expect(error.message).toBe(`AWS refused ListAccounts for payer ${PAYER_ID}: role trust for [redacted] refused key [redacted]`);
    const cause = error.cause as Error;
    expect(Object.getPrototypeOf(cause)).toBe(Error.prototype);
    expect(Object.keys(cause)).toEqual(['name']);
    expect(`${cause.name}: ${cause.message}`).toBe('AccessDenied: role trust for [redacted] refused key [redacted]');
  });
});
