import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectPlatform } from '../../src/adapters/connect/connect-platform.js';
import { ConnectMonthPlatform } from '../../src/adapters/connect/month-platform.js';
import { assetsToSubscriptions } from '../../src/app/usage/platform-assets.js';
import { parseSeed, type SeedInput } from '../../src/sandbox/seed.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';

const NOW = new Date('2026-11-26T10:00:00Z');
const PRODUCT = 'PRD-411-678-887';
const TEMPLATE = 'TL-111-111-111';

const SEED: SeedInput = {
  apiKey: 'SU-1:secret',
  products: [{ id: PRODUCT, templates: [{ id: TEMPLATE, name: 'Ready', scope: 'asset' }], configuration: { customMarkup: '1.1', fxRate: '1' } }],
  requests: [
    { id: 'PR-0001-0001-0001-001', type: 'purchase', productId: PRODUCT, customer: 'Acme Corp', params: { account_type: 'new', account_email: 'a@acme.example', support_level: 'developer' } },
    {
      id: 'PR-0001-0002-0001-001',
      type: 'purchase',
      productId: PRODUCT,
      customer: 'Beta Ltd',
      marketplaceId: 'MP-10001',
      configuration: { customMarkup: '1.3' },
      params: { account_type: 'import', aws_account_id: '222222222222' },
    },
    { id: 'PR-0001-0002-0001-002', type: 'cancel', productId: PRODUCT, customer: 'Beta Ltd', marketplaceId: 'MP-10001', configuration: { customMarkup: '1.3' }, params: { aws_account_id: '222222222222' } },
  ],
  assets: [{ id: 'AS-0009-0009-0009', productId: PRODUCT, customer: 'Old Customer', params: { aws_account_id: '999999999999', support_level: 'business' } }],
  marketplaces: [{ id: 'MP-10001', currency: 'USD' }],
};

let sandbox: Sandbox;
let orders: ConnectPlatform;
let month: ConnectMonthPlatform;
const signal = new AbortController().signal;

beforeEach(async () => {
  sandbox = await startSandbox({ seed: SEED, now: () => NOW });
  const options = { apiUrl: sandbox.platformUrl, apiKey: sandbox.apiKey, pageSize: 2 };
  orders = new ConnectPlatform(options);
  month = new ConnectMonthPlatform(options);
});
afterEach(async () => {
  await sandbox.close();
});

/** Fills the fulfillment parameters and approves, as the order flow does. */
async function approve(requestId: string, params: Array<{ id: string; value: string }>): Promise<void> {
  await orders.updateRequestParams(requestId, params, signal);
  await orders.approveRequest(requestId, TEMPLATE, signal);
}

describe('sandbox GET /assets', () => {
  it('lists a purchase as active with its aws_account_id once it is approved through the API', async () => {
    const before = await month.listAssets([PRODUCT], signal);
    expect(before.map((a) => a.id)).not.toContain('AS-0001-0001-0001');

    await approve('PR-0001-0001-0001-001', [{ id: 'aws_account_id', value: '111111111111' }]);

    const assets = await month.listAssets([PRODUCT], signal);
    const acme = assets.find((a) => a.id === 'AS-0001-0001-0001');
    expect(acme).toMatchObject({ status: 'active', productId: PRODUCT, marketplaceId: 'MP-48301', customer: { name: 'Acme Corp' } });
    expect(acme?.params.find((p) => p.id === 'aws_account_id')?.value).toBe('111111111111');
    expect(assetsToSubscriptions(assets, NOW).assets).toContainEqual({ assetId: 'AS-0001-0001-0001', accountId: '111111111111', supportLevel: 'developer', status: 'active', customer: 'Acme Corp' });
  });

  it('turns an asset terminated once its cancel is approved, with the closure date saved on the cancel', async () => {
    await approve('PR-0001-0002-0001-001', []);
    expect((await month.listAssets([PRODUCT], signal)).find((a) => a.id === 'AS-0001-0002-0001')?.status).toBe('active');

    await approve('PR-0001-0002-0001-002', [{ id: 'account_closed_at', value: '2026-09-20' }]);

    const assets = await month.listAssets([PRODUCT], signal);
    const beta = assets.find((a) => a.id === 'AS-0001-0002-0001');
    expect(beta).toMatchObject({ status: 'terminated', marketplaceId: 'MP-10001' });
    expect(assetsToSubscriptions(assets, NOW).assets).toContainEqual(expect.objectContaining({ assetId: 'AS-0001-0002-0001', accountId: '222222222222', billUntil: '2026-11-19' }));
  });

  it('lists the seeded assets that have no request', async () => {
    const assets = await month.listAssets([PRODUCT], signal);
    expect(assets.find((a) => a.id === 'AS-0009-0009-0009')).toMatchObject({ status: 'active', customer: { name: 'Old Customer' }, marketplaceId: 'MP-48301' });
  });

  it('leaves out assets still processing and assets of other products', async () => {
    expect((await month.listAssets([PRODUCT], signal)).map((a) => a.id)).toEqual(['AS-0009-0009-0009']);
    expect(await month.listAssets(['PRD-000-000-001'], signal)).toEqual([]);
  });
});

describe('sandbox GET /assets/{id} and the description\'s asset shape', () => {
  const get = async (path: string): Promise<{ status: number; json: any }> => {
    const response = await fetch(`${sandbox.platformUrl}${path}`, { headers: { authorization: `ApiKey ${sandbox.apiKey}` } });
    return { status: response.status, json: await response.json() };
  };

  it('answers one asset as GET /assets lists it, and 404 for an unknown one', async () => {
    await approve('PR-0001-0002-0001-001', []);
    const listed = (await get('/assets?eq(id,AS-0001-0002-0001)')).json;
    const one = await get('/assets/AS-0001-0002-0001');
    expect(one).toEqual({ status: 200, json: listed[0] });
    expect(one.json).toMatchObject({ status: 'active', connection: { provider: { id: 'PA-000-001' }, vendor: { id: 'VA-000-001' }, hub: { id: 'HB-0000-0000' } } });
    expect(one.json.items.map((i: { quantity: unknown }) => i.quantity)).toEqual([0]);
    expect((await get('/assets/AS-0009-0009-0009')).json).toMatchObject({ id: 'AS-0009-0009-0009', external_uid: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(await get('/assets/AS-1234-1234-1234')).toEqual({ status: 404, json: { error_code: 'NTF_001', errors: ['Asset AS-1234-1234-1234 not found.'] } });
  });

  it('leaves the asset of a failed purchase terminated (the description has no rejected asset)', async () => {
    await orders.failRequest('PR-0001-0001-0001-001', 'no', signal);
    expect((await get('/assets/AS-0001-0001-0001')).json.status).toBe('terminated');
    expect((await month.listAssets([PRODUCT], signal)).find((a) => a.id === 'AS-0001-0001-0001')?.status).toBe('terminated');
  });

  it('answers configuration rows with the structured_value the description requires', async () => {
    const rows = (await get(`/products/${PRODUCT}/configurations?marketplace.id=MP-10001`)).json;
    expect(rows[0]).toEqual({
      id: 'PCV-411-678-887-10001-customMarkup',
      value: '1.3',
      structured_value: {},
      parameter: { id: 'customMarkup', name: 'customMarkup', title: 'customMarkup', scope: 'marketplace', phase: 'configuration', type: 'text' },
      marketplace: { id: 'MP-10001' },
    });
  });
});

describe('sandbox configurations and marketplaces', () => {
  it("answers a marketplace's configuration values from its requests over the product's", async () => {
    await expect(month.marketplaceConfiguration(PRODUCT, 'MP-48301', signal)).resolves.toEqual({ customMarkup: '1.1', fxRate: '1' });
    await expect(month.marketplaceConfiguration(PRODUCT, 'MP-10001', signal)).resolves.toEqual({ customMarkup: '1.3', fxRate: '1' });
  });

  it('refuses an unknown product with a 404', async () => {
    await expect(month.marketplaceConfiguration('PRD-999-999-999', 'MP-48301', signal)).rejects.toMatchObject({ code: 'PLATFORM_HTTP' });
  });

  it('answers the currency of a seeded marketplace and of the default one', async () => {
    await expect(month.marketplaceCurrency('MP-10001', signal)).resolves.toBe('USD');
    await expect(month.marketplaceCurrency('MP-48301', signal)).resolves.toBe('EUR');
    await expect(month.marketplaceCurrency('MP-77777', signal)).rejects.toMatchObject({ code: 'PLATFORM_HTTP' });
  });
});

describe('seed assets and marketplaces', () => {
  it('names a seed asset of an unknown product, one that has requests, and a bad currency', () => {
    const seed = {
      products: [{ id: PRODUCT }],
      requests: [{ id: 'PR-0001-0001-0001-001', type: 'purchase', productId: PRODUCT, customer: 'Acme' }],
      assets: [
        { id: 'AS-0001-0001-0001', productId: PRODUCT, customer: 'Acme' },
        { id: 'AS-0002-0002-0002', productId: 'PRD-999', customer: 'Acme' },
      ],
    };
    expect(() => parseSeed(seed)).toThrow(/assets\.0\.id: asset AS-0001-0001-0001 has requests[\s\S]*assets\.1\.productId: product PRD-999 is not in the seed's products/);
    expect(() => parseSeed({ ...seed, assets: [], marketplaces: [{ id: 'MP-1', currency: 'euro' }] })).toThrow(/marketplaces\.0\.currency: must be an ISO 4217 code/);
  });

  it('keeps seed assets and marketplaces when a parsed seed is parsed again', () => {
    const seed = parseSeed(SEED);
    expect(parseSeed(seed)).toMatchObject({ assets: [{ id: 'AS-0009-0009-0009', status: 'active' }], marketplaces: [{ id: 'MP-10001', currency: 'USD' }] });
  });
});
