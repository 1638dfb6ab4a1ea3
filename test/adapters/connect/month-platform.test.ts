import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectHttpClient } from '../../../src/adapters/connect/http-client.js';
import { ConnectMonthPlatform } from '../../../src/adapters/connect/month-platform.js';
import { HOST, type Received, answer, failure, signal, testOptions } from './connect-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

const V1 = '/public/v1';
const STATUSES = 'in(status,(active,suspended,terminating,terminated))';

function platform(pageSize?: number): ConnectMonthPlatform {
  return new ConnectMonthPlatform(testOptions(pageSize === undefined ? {} : { pageSize }).options);
}

/** An asset as the platform sends it (trimmed, with fields the client does not read). */
function assetBody(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    status: 'active',
    external_id: '',
    product: { id: 'PRD-411-678-887', name: 'AWS' },
    connection: { id: 'CT-1', type: 'production' },
    marketplace: { id: 'MP-48301', name: 'EU' },
    contract: { id: 'CRD-1' },
    items: [{ id: 'PRD_1', mpn: 'AWS_USAGE', quantity: '0' }],
    params: [
      { id: 'aws_account_id', phase: 'fulfillment', value: '111111111111', value_error: '' },
      { id: 'support_level', phase: 'ordering', value: 'developer' },
      { id: 'account_closed_at', phase: 'fulfillment', value: null },
    ],
    tiers: { customer: { id: 'TA-1', name: 'Acme', contact_info: {} }, tier1: { id: 'TA-2', name: 'Reseller' }, tier2: {} },
    ...overrides,
  };
}

describe('ConnectMonthPlatform.listAssets()', () => {
  it('asks for the billable assets of the products with one RQL filter, across pages', async () => {
    const log: Received[] = [];
    const scope = nock(HOST)
      .get((uri) => uri.startsWith(`${V1}/assets?`))
      .reply(answer(log, 200, [assetBody('AS-1')], { 'Content-Range': 'items 0-0/2' }))
      .get((uri) => uri.startsWith(`${V1}/assets?`))
      .reply(answer(log, 200, [assetBody('AS-2')], { 'Content-Range': 'items 1-1/2' }));

    const assets = await platform(1).listAssets(['PRD-1', 'PRD 2'], signal());

    scope.done();
    expect(assets.map((a) => a.id)).toEqual(['AS-1', 'AS-2']);
    expect(log.map((r) => r.path)).toEqual([
      `${V1}/assets?and(in(product.id,(PRD-1,PRD%202)),${STATUSES})&limit=1&offset=0`,
      `${V1}/assets?and(in(product.id,(PRD-1,PRD%202)),${STATUSES})&limit=1&offset=1`,
    ]);
  });

  it('maps an asset to the port shape, values as strings', async () => {
    nock(HOST)
      .get((uri) => uri.startsWith(`${V1}/assets?`))
      .reply(200, [assetBody('AS-1')], { 'Content-Range': 'items 0-0/1' });

    const [asset] = await platform().listAssets(['PRD-411-678-887'], signal());

    expect(asset).toEqual({
      id: 'AS-1',
      status: 'active',
      productId: 'PRD-411-678-887',
      marketplaceId: 'MP-48301',
      contractId: 'CRD-1',
      customer: { id: 'TA-1', name: 'Acme' },
      tier1: { id: 'TA-2', name: 'Reseller' },
      params: [
        { id: 'aws_account_id', phase: 'fulfillment', value: '111111111111', valueError: '' },
        { id: 'support_level', phase: 'ordering', value: 'developer', valueError: '' },
        { id: 'account_closed_at', phase: 'fulfillment', value: '', valueError: '' },
      ],
    });
  });

  it('leaves out an empty reseller, marketplace and contract', async () => {
    nock(HOST)
      .get((uri) => uri.startsWith(`${V1}/assets?`))
      .reply(200, [assetBody('AS-1', { marketplace: null, contract: {}, tiers: { customer: { id: 'TA-1' }, tier1: {} } })]);

    const [asset] = await platform().listAssets(['PRD-1'], signal());

    expect(asset).toEqual({ id: 'AS-1', status: 'active', productId: 'PRD-411-678-887', customer: { id: 'TA-1', name: '' }, params: expect.any(Array) });
  });

  it('keeps an asset seen on two pages once', async () => {
    nock(HOST)
      .get((uri) => uri.startsWith(`${V1}/assets?`))
      .reply(200, [assetBody('AS-1'), assetBody('AS-2')], { 'Content-Range': 'items 0-1/3' })
      .get((uri) => uri.startsWith(`${V1}/assets?`))
      .reply(200, [assetBody('AS-2', { status: 'terminated' })], { 'Content-Range': 'items 2-2/3' });

    const assets = await platform(2).listAssets(['PRD-1'], signal());

    expect(assets.map((a) => [a.id, a.status])).toEqual([
      ['AS-1', 'active'],
      ['AS-2', 'terminated'],
    ]);
  });

  it('asks nothing when there are no products', async () => {
    await expect(platform().listAssets([], signal())).resolves.toEqual([]);
  });

  it('names the call, the item and the field of a malformed asset', async () => {
    const broken = assetBody('AS-2');
    delete broken.tiers;
    nock(HOST)
      .get((uri) => uri.startsWith(`${V1}/assets?`))
      .reply(200, [assetBody('AS-1'), broken]);

    const error = await failure(platform().listAssets(['PRD-1'], signal()));

    expect(error.code).toBe('PLATFORM_RESPONSE');
    expect(error.message).toBe('GET /assets: item 1: tiers is missing');
  });
});

describe('ConnectMonthPlatform.marketplaceConfiguration()', () => {
  it('reads the configuration values of one marketplace by parameter id', async () => {
    const log: Received[] = [];
    nock(HOST)
      .get((uri) => uri.startsWith(`${V1}/products/PRD-411-678-887/configurations?`))
      .reply(
        answer(log, 200, [
          { value: '1.2', parameter: { id: 'customMarkup', scope: 'product', phase: 'configuration' } },
          { value: '1.1', parameter: { id: 'customMarkup', scope: 'marketplace', phase: 'configuration' }, marketplace: { id: 'MP-48301' }, item: null },
          { value: '0.92', parameter: { id: 'fxRate', phase: 'configuration' }, marketplace: { id: 'MP-48301' } },
          { value: 'Yes', parameter: { id: 'enableMultiplePayer' }, marketplace: { id: 'MP-48301' }, item: {} },
          { value: '', parameter: { id: 'payerAccountId', phase: 'configuration' }, marketplace: { id: 'MP-48301' } },
          { value: '9', parameter: { id: 'itemOnly', phase: 'configuration' }, marketplace: { id: 'MP-48301' }, item: { id: 'PRD_1' } },
          { value: 'x', parameter: { id: 'account_email', phase: 'ordering' }, marketplace: { id: 'MP-48301' } },
          { value: '2.0', parameter: { id: 'customMarkup', phase: 'configuration' }, marketplace: { id: 'MP-OTHER' } },
        ]),
      );

    const values = await platform().marketplaceConfiguration('PRD-411-678-887', 'MP-48301', signal());

    expect(values).toEqual({ customMarkup: '1.1', fxRate: '0.92', enableMultiplePayer: 'Yes' });
    expect(log[0]?.path).toBe(`${V1}/products/PRD-411-678-887/configurations?marketplace.id=MP-48301&limit=100&offset=0`);
  });

  it('pages through the rows and stringifies non-string values', async () => {
    nock(HOST)
      .get((uri) => uri.startsWith(`${V1}/products/PRD-1/configurations?`))
      .reply(200, [{ value: 1.1, parameter: { id: 'customMarkup' }, marketplace: { id: 'MP-1' } }], { 'Content-Range': 'items 0-0/2' })
      .get((uri) => uri.startsWith(`${V1}/products/PRD-1/configurations?`))
      .reply(200, [{ value: 'USD', parameter: { id: 'marketplaceCurrency' }, marketplace: { id: 'MP-1' } }], { 'Content-Range': 'items 1-1/2' });

    await expect(platform(1).marketplaceConfiguration('PRD-1', 'MP-1', signal())).resolves.toEqual({ customMarkup: '1.1', marketplaceCurrency: 'USD' });
  });

  it('names the missing parameter id of a malformed row', async () => {
    nock(HOST)
      .get((uri) => uri.startsWith(`${V1}/products/PRD-1/configurations?`))
      .reply(200, [{ value: '1.1', parameter: {} }]);

    const error = await failure(platform().marketplaceConfiguration('PRD-1', 'MP-1', signal()));

    expect(error.message).toBe('GET /products/PRD-1/configurations: item 0: parameter.id is missing');
  });
});

describe('ConnectMonthPlatform.marketplaceCurrency()', () => {
  it("reads the marketplace's currency, URL-encoding its id", async () => {
    nock(HOST).get(`${V1}/marketplaces/MP%2048301`).reply(200, { id: 'MP 48301', name: 'EU', currency: 'EUR', hubs: [] });
    await expect(platform().marketplaceCurrency('MP 48301', signal())).resolves.toBe('EUR');
  });

  it('is undefined when the marketplace names no currency', async () => {
    nock(HOST).get(`${V1}/marketplaces/MP-1`).reply(200, { id: 'MP-1', currency: null });
    await expect(platform().marketplaceCurrency('MP-1', signal())).resolves.toBeUndefined();
  });

  it('names a malformed body', async () => {
    nock(HOST).get(`${V1}/marketplaces/MP-1`).reply(200, { id: 'MP-1', currency: 978 });
    const error = await failure(platform().marketplaceCurrency('MP-1', signal()));
    expect(error.code).toBe('PLATFORM_RESPONSE');
    expect(error.message).toBe('GET /marketplaces/MP-1: currency is not a string');
  });

  it('says which marketplace is unknown (HTTP 404, not retried)', async () => {
    nock(HOST).get(`${V1}/marketplaces/MP-9`).reply(404, { error_code: 'NTF_001', errors: ['Marketplace MP-9 not found.'] });
    const error = await failure(platform().marketplaceCurrency('MP-9', signal()));
    expect(error.code).toBe('PLATFORM_HTTP');
    expect(error.message).toContain('GET /marketplaces/MP-9: HTTP 404 NTF_001');
  });
});

describe('ConnectMonthPlatform', () => {
  it('can share an existing HTTP client', async () => {
    nock(HOST).get(`${V1}/marketplaces/MP-1`).reply(200, { id: 'MP-1', currency: 'USD' });
    const shared = new ConnectMonthPlatform(new ConnectHttpClient(testOptions().options));
    await expect(shared.marketplaceCurrency('MP-1', signal())).resolves.toBe('USD');
  });
});
