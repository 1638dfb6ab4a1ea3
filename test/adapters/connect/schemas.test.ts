import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, parseResponse, requestSchema, tierConfigRequestSchema } from '../../../src/adapters/connect/schemas.js';
import { ConnectorError } from '../../../src/domain/errors.js';
import { HOST, failure, requestBody, signal, tcrBody, testPlatform } from './connect-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

function problem(run: () => unknown): ConnectorError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectorError);
    return error as ConnectorError;
  }
  throw new Error('expected a ConnectorError');
}

describe('requestSchema', () => {
  it('maps a fulfillment request to FulfillmentRequest', () => {
    expect(parseResponse(requestSchema, requestBody('PR-1000-0001-001'), 'GET /requests/PR-1')).toEqual({
      id: 'PR-1000-0001-001',
      type: 'purchase',
      status: 'pending',
      created: '2026-10-01T10:00:00+00:00',
      updated: '2026-10-01T10:05:00+00:00',
      marketplaceId: 'MP-48301',
      asset: {
        id: 'AS-1000-0001-001',
        productId: 'PRD-411-678-887',
        connectionType: 'production',
        params: [
          { id: 'account_email', phase: 'ordering', value: 'ops@example.com', valueError: '' },
          { id: 'aws_account_id', phase: 'fulfillment', value: '', valueError: '' },
        ],
        configuration: [{ id: 'customMarkup', phase: 'configuration', value: '1.1', valueError: '' }],
        customer: { id: 'TA-1', name: 'Customer Ltd' },
        tier1: { id: 'TA-2', name: 'Reseller' },
      },
    });
  });

  it('tolerates unknown fields', () => {
    const body: Record<string, unknown> = { ...requestBody(), brand_new_field: { x: 1 } };
    (body.asset as Record<string, unknown>).another = [1, 2];
    expect(parseResponse(requestSchema, body, 'GET /requests/PR-1').id).toBe('PR-1000-0001-001');
  });

  it('reads absent configuration as no parameters, and absent or empty tier1 as none', () => {
    const body = requestBody('PR-1', { configuration: undefined, tiers: { customer: { id: 'TA-1', name: 'C' }, tier1: {} } });
    const request = parseResponse(requestSchema, body, 'GET /requests/PR-1');
    expect(request.asset.configuration).toEqual([]);
    expect(request.asset.tier1).toBeUndefined();
  });

  it('turns non-string parameter values into text and absent ones into empty text', () => {
    const body = requestBody('PR-1', {
      params: [
        { id: 'n', value: 12.5 },
        { id: 'b', value: true, value_error: null },
        { id: 'none' },
        { id: 'obj', value: { a: 1 } },
      ],
    });
    expect(parseResponse(requestSchema, body, 'x').asset.params).toEqual([
      { id: 'n', value: '12.5', valueError: '' },
      { id: 'b', value: 'true', valueError: '' },
      { id: 'none', value: '', valueError: '' },
      { id: 'obj', value: '{"a":1}', valueError: '' },
    ]);
  });

  it('names the call and the field path of a missing field', () => {
    const body = requestBody('PR-1', { id: undefined });
    const error = problem(() => parseResponse(requestSchema, body, 'GET /requests/PR-1'));
    expect(error.code).toBe('PLATFORM_RESPONSE');
    expect(error.message).toBe('GET /requests/PR-1: asset.id is missing');
  });

  it('names a field of the wrong type and a parameter inside a list', () => {
    const body = requestBody('PR-1', { product: { id: 7 }, params: [{ value: 'x' }] });
    const error = problem(() => parseResponse(requestSchema, body, 'GET /requests/PR-1'));
    expect(error.message).toBe('GET /requests/PR-1: asset.product.id is not a string; asset.params.0.id is missing');
  });
});

describe('tierConfigRequestSchema', () => {
  it('maps a TCR to TierConfigRequest', () => {
    expect(parseResponse(tierConfigRequestSchema, tcrBody('TCR-1'), 'x')).toEqual({
      id: 'TCR-1',
      type: 'setup',
      status: 'pending',
      productId: 'PRD-411-678-887',
      accountId: 'TA-2',
      marketplaceId: 'MP-48301',
      tierLevel: 1,
      params: [{ id: 'resellerMarkup', phase: 'ordering', value: '1.05', valueError: '' }],
    });
  });

  it('names a missing configuration.account.id', () => {
    const body = tcrBody();
    (body.configuration as Record<string, unknown>).account = {};
    expect(problem(() => parseResponse(tierConfigRequestSchema, body, 'GET /tier/config-requests: item 0')).message).toBe(
      'GET /tier/config-requests: item 0: configuration.account.id is missing',
    );
  });
});

describe('parseJson()', () => {
  it('says a body is not JSON, naming the call', () => {
    const error = problem(() => parseJson('<html>Gateway</html>', 'GET /requests'));
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE', message: 'GET /requests: the body is not JSON (starts with "<html>Gateway</html>")' });
  });

  it('reads an empty body as undefined, and parseResponse then says it is empty', () => {
    expect(parseJson('  ', 'x')).toBeUndefined();
    expect(problem(() => parseResponse(requestSchema, undefined, 'GET /requests/PR-1')).message).toBe('GET /requests/PR-1: the body is empty');
  });
});

describe('malformed answers through the platform client', () => {
  it('names item 3 of a list when its asset.id is missing', async () => {
    const page = [requestBody('PR-0'), requestBody('PR-1'), requestBody('PR-2'), requestBody('PR-3', { id: undefined })];
    nock(HOST).get('/public/v1/requests').query(true).reply(200, page, { 'Content-Range': 'items 0-3/4' });
    const { platform } = testPlatform();

    const error = await failure(platform.listPendingRequests({ productIds: ['PRD-1'], signal: signal() }));

    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE', retryable: false, message: 'GET /requests: item 3: asset.id is missing' });
  });

  it('counts items across pages', async () => {
    nock(HOST)
      .get('/public/v1/requests').query(true).reply(200, [requestBody('PR-0'), requestBody('PR-1')], { 'Content-Range': 'items 0-1/3' })
      .get('/public/v1/requests').query(true).reply(200, [{ id: 'PR-2' }], { 'Content-Range': 'items 2-2/3' });
    const { platform } = testPlatform({ pageSize: 2 });
    const error = await failure(platform.listPendingRequests({ productIds: ['PRD-1'], signal: signal() }));
    expect(error.message).toBe('GET /requests: item 2: type is missing; status is missing; asset is missing');
  });

  it('says a body that is not JSON is not JSON', async () => {
    nock(HOST).get('/public/v1/requests/PR-1').reply(200, 'Service temporarily moved', { 'Content-Type': 'text/plain' });
    const { platform } = testPlatform();
    const error = await failure(platform.getRequest('PR-1', signal()));
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE', message: 'GET /requests/PR-1: the body is not JSON (starts with "Service temporarily moved")' });
  });
});
