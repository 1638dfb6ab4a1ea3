/**
 * CloudBlue's official JavaScript SDK (@cloudblueconnect/connect-javascript-sdk
 * v22) as a client of the sandbox's fulfillment side, every exchange judged by
 * Connect's OpenAPI description (test/support/connect-contract.ts). The SDK
 * builds its own URLs and RQL (`Query` objects: `$in`, `$like`, `$ordering`,
 * `$select`), sends its own `Authorization` header and throws its own
 * `APIError`; the calls are its resources (`requests`, `conversations`,
 * `tierConfigRequests`, `tierConfigs`, `products`, `assets`) and its
 * `Fulfillment` operations. v22 has no marketplace resource: that call goes
 * through the SDK's generic facility, `GenericResource` (lib/connect/api).
 * Loopback only: the SDK's node-fetch talks to 127.0.0.1.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import type { SeedInput } from '../../src/sandbox/seed.js';
import { ConnectContract, ContractRecorder } from '../support/connect-contract.js';
import { SdkTally, type SdkApiError } from '../support/sdk-tally.js';

/** The parts of the SDK this test uses (it ships no types). */
interface SdkResource {
  get(id: string): Promise<any>;
  search(filters: object): Promise<any[]>;
  update(id: string, body: object): Promise<any>;
}
interface SdkClient {
  requests: SdkResource & {
    approve(id: string, body: object): Promise<any>;
    inquire(id: string, body: object): Promise<any>;
    fail(id: string, reason: string): Promise<any>;
    pending(id: string): Promise<any>;
  };
  conversations: SdkResource & {
    getConversationsByObjectId(id: string): Promise<any[]>;
    messages(id: string): SdkResource;
    createMessage(id: string, text: string): Promise<any>;
  };
  tierConfigRequests: SdkResource & {
    approve(id: string, body: object): Promise<any>;
    fail(id: string, reason: string): Promise<void>;
    inquire(id: string): Promise<void>;
  };
  tierConfigs: SdkResource;
  products: SdkResource & {
    getTemplates(id: string): Promise<any[]>;
    getParameters(id: string): Promise<any[]>;
    getItems(id: string): Promise<any[]>;
    parameters(id: string): SdkResource;
    configurations(id: string): SdkResource;
  };
  assets: SdkResource;
}
interface SdkFulfillment {
  updateRequestParameters(id: string, params: object[], note?: string): Promise<any>;
  approveRequestWithTemplate(id: string, templateId: string): Promise<any>;
  updateTierConfigRequestParameters(id: string, params: object[]): Promise<any>;
  approveTierConfigRequestWithTemplate(id: string, templateId: string): Promise<any>;
}

const require = createRequire(import.meta.url);
const sdk = require('@cloudblueconnect/connect-javascript-sdk') as {
  ConnectClient: new (endpoint: string, apiKey: string) => SdkClient;
  Fulfillment: new (client: SdkClient) => SdkFulfillment;
};
const { GenericResource } = require('@cloudblueconnect/connect-javascript-sdk/lib/connect/api') as {
  GenericResource: new (client: SdkClient, baseUri: string) => SdkResource;
};

const NOW = new Date('2026-11-26T10:00:00Z');
const PRODUCT = 'PRD-411-678-887';
const OTHER_PRODUCT = 'PRD-000-000-001';
const READY = 'TL-111-111-111';
const CHECK = 'TL-111-111-112';
const TIER_OK = 'TL-222-222-222';
const RESELLER = { id: 'TA-0000-0000-0009', name: 'Reseller 9' };
/** Requests: [id, product, customer, created], all pending unless said. */
const purchase = (id: string, productId: string, customer: string, created: string, params: Record<string, string> = {}) => ({ id, type: 'purchase', productId, customer, created, params: { account_type: 'new', ...params } });
const R_APPROVE = 'PR-0001-0001-0001-001';
const R_CYCLE = 'PR-0001-0002-0001-001';
const R_TILE = 'PR-0001-0003-0001-001';
const R_OTHER = 'PR-0002-0001-0001-001';
const R_DONE = 'PR-0001-0004-0001-001';

const SEED: SeedInput = {
  apiKey: 'SU-1:secret',
  products: [
    {
      id: PRODUCT,
      templates: [
        { id: READY, name: 'Your AWS account is ready', scope: 'asset' },
        { id: CHECK, name: 'Please check your order', scope: 'asset', type: 'inquire' },
        { id: TIER_OK, name: 'Reseller settings accepted', scope: 'tier1' },
      ],
      configuration: { customMarkup: '1.1', fxRate: '1' },
    },
    { id: OTHER_PRODUCT, name: 'Other', templates: [] },
  ],
  requests: [
    purchase(R_APPROVE, PRODUCT, 'Acme Corp', '2026-11-01T08:00:00+00:00', { account_email: 'a@acme.example' }),
    purchase(R_CYCLE, PRODUCT, 'Beta Ltd', '2026-11-02T08:00:00+00:00'),
    purchase(R_TILE, PRODUCT, 'Gamma GmbH', '2026-11-03T08:00:00+00:00', { aws_account_id: '333333333333' }),
    purchase(R_OTHER, OTHER_PRODUCT, 'Acme Corp', '2026-11-04T08:00:00+00:00'),
    { ...purchase(R_DONE, PRODUCT, 'Delta Inc', '2026-10-01T08:00:00+00:00', { aws_account_id: '444444444444' }), status: 'approved' },
    { ...purchase('PR-0001-0005-0001-001', PRODUCT, 'Epsilon', '2026-11-05T08:00:00+00:00'), status: 'tiers_setup', tier1: RESELLER },
  ],
  tierConfigRequests: [
    { id: 'TCR-000-000-001-001', productId: PRODUCT, account: RESELLER, params: { payerAccountId: '' }, created: '2026-11-01T09:00:00+00:00' },
    { id: 'TCR-000-000-002-001', productId: PRODUCT, account: { id: 'TA-0000-0000-0008', name: 'Reseller 8' }, created: '2026-11-02T09:00:00+00:00' },
    { id: 'TCR-000-000-003-001', productId: PRODUCT, account: { id: 'TA-0000-0000-0007', name: 'Reseller 7' }, created: '2026-11-03T09:00:00+00:00' },
  ],
  assets: [{ id: 'AS-0009-0009-0009', productId: PRODUCT, customer: 'Old Customer', params: { aws_account_id: '999999999999' } }],
  marketplaces: [{ id: 'MP-10001', name: 'US marketplace', currency: 'USD' }],
};

let sandbox: Sandbox;
let recorder: ContractRecorder;
let client: SdkClient;
let fulfillment: SdkFulfillment;
const tally = new SdkTally();

const call = <T>(name: string, run: () => Promise<T>): Promise<T> => tally.call(name, run);
const refused = (name: string, run: () => Promise<unknown>): Promise<SdkApiError> => tally.refused(name, run);

const ids = (items: Array<{ id: string }>): string[] => items.map((i) => i.id);

beforeAll(async () => {
  const contract = await ConnectContract.load();
  recorder = new ContractRecorder(contract);
  sandbox = await startSandbox({ seed: SEED, now: () => NOW, onExchange: recorder.onExchange });
  // The SDK sends its key as the whole Authorization header.
  client = new sdk.ConnectClient(sandbox.platformUrl, `ApiKey ${sandbox.apiKey}`);
  fulfillment = new sdk.Fulfillment(client);
});
afterAll(async () => {
  await sandbox.close();
});

describe('official SDK: fulfillment requests', () => {
  it('searches the pending requests of the products with in(), ordering(-created) and select(-activation_key)', async () => {
    const found = await call('requests.search', () =>
      client.requests.search({ status: 'pending', 'asset.product.id': { $in: [PRODUCT, OTHER_PRODUCT] }, $ordering: ['-created'], $select: ['-activation_key'] }),
    );
    expect(ids(found)).toEqual([R_OTHER, R_TILE, R_CYCLE, R_APPROVE]);
    expect(found.every((r) => !('activation_key' in r) && 'note' in r)).toBe(true);
  });

  it('searches by the documented product_id filter and a quoted like() value with a space', async () => {
    const byProduct = await call('requests.search product_id', () => client.requests.search({ product_id: OTHER_PRODUCT }));
    expect(ids(byProduct)).toEqual([R_OTHER]);
    const byName = await call('requests.search $like', () => client.requests.search({ 'asset.tiers.customer.name': { $like: 'Acme Corp' }, $ordering: ['created'] }));
    expect(ids(byName)).toEqual([R_APPROVE, R_OTHER]);
  });

  it('gets one request, updates its parameters (Fulfillment.updateRequestParameters) and approves it with a template', async () => {
    const request = await call('requests.get', () => client.requests.get(R_APPROVE));
    expect(request).toMatchObject({ id: R_APPROVE, status: 'pending', asset: { product: { id: PRODUCT }, tiers: { customer: { name: 'Acme Corp' } } } });

    const updated = await call('Fulfillment.updateRequestParameters', () => fulfillment.updateRequestParameters(R_APPROVE, [{ id: 'aws_account_id', value: '111111111111' }]));
    expect(updated.asset.params.find((p: { id: string }) => p.id === 'aws_account_id').value).toBe('111111111111');
    expect(sandbox.platform.state.param(R_APPROVE, 'aws_account_id')?.value).toBe('111111111111');

    const approved = await call('requests.approve template_id', () => client.requests.approve(R_APPROVE, { template_id: READY }));
    expect(approved).toMatchObject({ id: R_APPROVE, status: 'approved', template: { id: READY } });
    expect(sandbox.platform.state.request(R_APPROVE)).toMatchObject({ status: 'approved', activation_key: `Your AWS account is ready (sandbox rendering of ${READY})` });
  });

  it('approves another with an activation_tile', async () => {
    const approved = await call('requests.approve activation_tile', () => client.requests.approve(R_TILE, { activation_tile: 'Sign in at https://console.aws.amazon.com/' }));
    expect(approved.status).toBe('approved');
    expect(sandbox.platform.state.request(R_TILE)).toMatchObject({ status: 'approved', activation_key: 'Sign in at https://console.aws.amazon.com/' });
  });

  it('inquires with an inquire template, pends it back, then fails it', async () => {
    const inquired = await call('requests.inquire', () => client.requests.inquire(R_CYCLE, { template_id: CHECK }));
    expect(inquired.status).toBe('inquiring');
    const pended = await call('requests.pending', () => client.requests.pending(R_CYCLE));
    expect(pended.status).toBe('pending');
    expect(sandbox.platform.state.request(R_CYCLE)?.status).toBe('pending');
    const failed = await call('requests.fail', () => client.requests.fail(R_CYCLE, 'an AWS account already uses this e-mail'));
    expect(failed).toMatchObject({ status: 'failed', reason: 'an AWS account already uses this e-mail' });
    expect(sandbox.platform.state.history(R_CYCLE).map((h) => [h.action, h.from, h.to])).toEqual([
      ['inquire', 'pending', 'inquiring'],
      ['pend', 'inquiring', 'pending'],
      ['fail', 'pending', 'failed'],
    ]);
  });

  it('is refused pending a request that is not inquiring, with the SDK APIError', async () => {
    const error = await refused('requests.pending (approved)', () => client.requests.pending(R_APPROVE));
    expect([error.status, error.errorCode]).toEqual([400, 'REQ_001']);
    expect(sandbox.platform.state.request(R_APPROVE)?.status).toBe('approved');
  });
});

describe('official SDK: conversations', () => {
  it('finds the conversation of a request, posts a message and lists it', async () => {
    const conversations = await call('conversations.getConversationsByObjectId', () => client.conversations.getConversationsByObjectId(R_APPROVE));
    expect(conversations).toEqual([expect.objectContaining({ instance_id: R_APPROVE, accounts: expect.any(Array) })]);
    const conversationId = conversations[0].id as string;
    const searched = await call('conversations.search', () => client.conversations.search({ instance_id: R_APPROVE }));
    expect(ids(searched)).toEqual([conversationId]);

    expect(await call('conversations.messages.search (empty)', () => client.conversations.messages(conversationId).search({}))).toEqual([]);
    const posted = await call('conversations.createMessage', () => client.conversations.createMessage(conversationId, 'AWS account 111111111111 created'));
    expect(posted).toMatchObject({ conversation: conversationId, text: 'AWS account 111111111111 created', type: 'message' });
    const messages = await call('conversations.messages.search', () => client.conversations.messages(conversationId).search({ $ordering: ['-created'] }));
    expect(messages.map((m) => m.text)).toEqual(['AWS account 111111111111 created']);
    expect(sandbox.platform.state.notes(R_APPROVE)).toEqual(['AWS account 111111111111 created']);
  });
});

describe('official SDK: tier configuration', () => {
  it('searches the pending tier configuration requests of the product', async () => {
    const pending = await call('tierConfigRequests.search', () => client.tierConfigRequests.search({ status: 'pending', 'configuration.product.id': { $in: [PRODUCT] }, $ordering: ['created'] }));
    expect(ids(pending)).toEqual(['TCR-000-000-001-001', 'TCR-000-000-002-001', 'TCR-000-000-003-001']);
    expect(pending[0]).toMatchObject({ configuration: { account: RESELLER, product: { id: PRODUCT } }, params: [{ id: 'payerAccountId', value: '' }] });
  });

  it('updates one (Fulfillment.updateTierConfigRequestParameters) and approves it: the reseller\'s tiers_setup request becomes pending', async () => {
    const updated = await call('Fulfillment.updateTierConfigRequestParameters', () => fulfillment.updateTierConfigRequestParameters('TCR-000-000-001-001', [{ id: 'payerAccountId', value: '555555555555' }]));
    expect(updated).toMatchObject({ configuration: { id: 'TC-000-000-001' }, status: 'pending', params: [{ id: 'payerAccountId', value: '555555555555' }] });
    const approval = await call('Fulfillment.approveTierConfigRequestWithTemplate', () => fulfillment.approveTierConfigRequestWithTemplate('TCR-000-000-001-001', TIER_OK));
    expect(approval).toEqual({ template: { id: TIER_OK, representation: `Reseller settings accepted (sandbox rendering of ${TIER_OK})` }, effective_date: '2026-11-26T10:00:00+00:00' });
    expect(sandbox.platform.state.tierConfigRequest('TCR-000-000-001-001')?.status).toBe('approved');
    expect(sandbox.platform.state.request('PR-0001-0005-0001-001')?.status).toBe('pending');
  });

  it('fails one and inquires another (both answered 204, so the SDK resolves with nothing)', async () => {
    expect(await call('tierConfigRequests.fail', () => client.tierConfigRequests.fail('TCR-000-000-002-001', 'no payer account for this reseller'))).toBeUndefined();
    expect(sandbox.platform.state.tierConfigRequest('TCR-000-000-002-001')).toMatchObject({ status: 'failed', reason: 'no payer account for this reseller' });
    expect(await call('tierConfigRequests.inquire', () => client.tierConfigRequests.inquire('TCR-000-000-003-001'))).toBeUndefined();
    const inquired = await call('tierConfigRequests.get', () => client.tierConfigRequests.get('TCR-000-000-003-001'));
    expect(inquired.status).toBe('inquiring');
  });

  it("searches the tier configs: the reseller's approved settings", async () => {
    const configs = await call('tierConfigs.search', () => client.tierConfigs.search({ 'account.id': RESELLER.id, 'product.id': PRODUCT }));
    expect(configs).toEqual([expect.objectContaining({ id: 'TC-000-000-001', account: RESELLER, status: 'active', params: [expect.objectContaining({ id: 'payerAccountId', value: '555555555555' })] })]);
  });
});

describe('official SDK: product and marketplace', () => {
  it('gets the product, its templates, parameters and items', async () => {
    expect(await call('products.get', () => client.products.get(PRODUCT))).toMatchObject({ id: PRODUCT });
    const templates = await call('products.getTemplates', () => client.products.getTemplates(PRODUCT));
    expect(ids(templates)).toEqual([READY, CHECK, TIER_OK]);
    const parameters = await call('products.getParameters', () => client.products.getParameters(PRODUCT));
    expect(parameters.find((p) => p.id === 'aws_account_id')).toMatchObject({ name: 'aws_account_id', title: 'AWS account id', phase: 'fulfillment', scope: 'asset', type: 'text', constraints: { required: true } });
    expect(parameters.filter((p) => p.phase === 'configuration').map((p) => p.id)).toEqual(['customMarkup', 'fxRate']);
    const fulfillmentOnly = await call('products.parameters.search', () => client.products.parameters(PRODUCT).search({ phase: 'fulfillment', 'constraints.required': 'true' }));
    expect(ids(fulfillmentOnly)).toEqual(['aws_account_id']);
    const items = await call('products.getItems', () => client.products.getItems(PRODUCT));
    expect(items.map((i) => [i.id, i.mpn, i.type])).toEqual([
      [`${PRODUCT}-0001`, 'AWS_USAGE', 'PPU'],
      [`${PRODUCT}-0002`, 'AWS_MARKETPLACE_USAGE', 'PPU'],
      [`${PRODUCT}-0003`, 'AWS_SUPPORT', 'PPU'],
    ]);
  });

  it('lists the configuration values for a marketplace and gets the marketplace (GenericResource: v22 has no marketplace resource)', async () => {
    const rows = await call('products.configurations.search', () => client.products.configurations(PRODUCT).search({ 'marketplace.id': 'MP-10001' }));
    expect(rows.map((r) => [r.parameter.id, r.value, r.marketplace.id])).toEqual([
      ['customMarkup', '1.1', 'MP-10001'],
      ['fxRate', '1', 'MP-10001'],
    ]);
    const marketplaces = new GenericResource(client, '/marketplaces');
    expect(await call('GenericResource(/marketplaces).get', () => marketplaces.get('MP-10001'))).toMatchObject({ id: 'MP-10001', currency: 'USD' });
  });
});

describe('official SDK: assets', () => {
  it('searches the active and terminated assets of the product and gets one', async () => {
    const found = await call('assets.search', () => client.assets.search({ 'product.id': PRODUCT, status: { $in: ['active', 'terminated'] }, $ordering: ['-created'] }));
    // approved: R_APPROVE and R_TILE (active), R_DONE (active); failed purchase R_CYCLE: terminated; seeded AS-0009.
    expect(found.map((a) => [a.id, a.status])).toEqual([
      ['AS-0001-0003-0001', 'active'],
      ['AS-0001-0002-0001', 'terminated'],
      ['AS-0001-0001-0001', 'active'],
      ['AS-0001-0004-0001', 'active'],
      ['AS-0009-0009-0009', 'active'],
    ]);
    const one = await call('assets.get', () => client.assets.get('AS-0001-0001-0001'));
    expect(one).toEqual(found.find((a) => a.id === 'AS-0001-0001-0001'));
    expect(one.params.find((p: { id: string }) => p.id === 'aws_account_id').value).toBe('111111111111');
    const missing = await refused('assets.get (unknown)', () => client.assets.get('AS-9999-9999-9999'));
    expect([missing.status, missing.errorCode]).toEqual([404, 'NTF_001']);
  });
});

describe('official SDK: the contract', () => {
  it('ran every call, each passed, and every exchange is what the description allows', () => {
    expect({ run: tally.run, passed: tally.passed }).toEqual({ run: 33, passed: 33 });
    expect(recorder.violations()).toEqual([]);
    expect(recorder.operations()).toEqual(
      expect.arrayContaining([
        'GET dp_request_list_listRequests',
        'POST dp_request_pend_postPendRequest',
        'POST dp_tier_config_request_fail_postFailTierConfigRequest',
        'GET dp_product_items_list_listUiItems',
        'GET dp_asset_detail_retrieveSubscription',
      ]),
    );
  });
});
