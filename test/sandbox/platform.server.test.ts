import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import type { SeedInput } from '../../src/sandbox/seed.js';
import { ConnectContract, ContractRecorder } from '../support/connect-contract.js';
import { untilInFlight } from '../support/in-flight.js';

const NOW = new Date('2026-11-26T10:00:00Z');
const PRODUCT = 'PRD-411-678-887';

const newPurchase = (id: string, email: string, customer = 'Acme Corp') => ({ id, type: 'purchase', productId: PRODUCT, customer, params: { account_type: 'new', account_email: email } });

const SEED: SeedInput = {
  apiKey: 'SU-1:secret',
  products: [
    {
      id: PRODUCT,
      templates: [
        { id: 'TL-111-111-111', name: 'Ready', scope: 'asset' },
        { id: 'TL-111-111-112', name: 'Check', scope: 'asset', type: 'inquire' },
        { id: 'TL-222-222-222', name: 'Tier ok', scope: 'tier1' },
      ],
    },
    { id: 'PRD-000-000-001', templates: [] },
  ],
  requests: [
    newPurchase('PR-0001-0001-0001-001', 'a@acme.example'),
    newPurchase('PR-0001-0002-0001-001', 'b@acme.example'),
    { id: 'PR-0001-0003-0001-002', type: 'cancel', productId: PRODUCT, customer: 'Acme Corp', params: { aws_account_id: '222222222222' } },
    newPurchase('PR-0001-0004-0001-001', 'c@acme.example'),
    { ...newPurchase('PR-0001-0005-0001-001', 'd@acme.example'), status: 'approved' },
    { id: 'PR-0002-0001-0001-001', type: 'purchase', productId: 'PRD-000-000-001', customer: 'Other', params: {} },
    { ...newPurchase('PR-0001-0006-0001-001', 'e@acme.example'), status: 'tiers_setup', tier1: { id: 'TA-9', name: 'Reseller 9' } },
  ],
  tierConfigRequests: [{ id: 'TCR-000-000-001-001', productId: PRODUCT, account: { id: 'TA-9', name: 'Reseller 9' }, params: { payerAccountId: '111111111111' } }],
};

let sandbox: Sandbox;

beforeEach(async () => {
  sandbox = await startSandbox({ seed: SEED, now: () => NOW });
});
afterEach(async () => {
  vi.useRealTimers();
  await sandbox.close();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers; text: string }> {
  const response = await fetch(`${sandbox.platformUrl}${path}`, {
    method,
    headers: { authorization: `ApiKey ${sandbox.apiKey}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, headers: response.headers, text };
}

async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${new URL(sandbox.platformUrl).origin}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return response.status === 204 ? undefined : response.json();
}

describe('platform sandbox: listing requests', () => {
  it('listens on loopback under /public/v1 and refuses a missing or wrong API key', async () => {
    expect(sandbox.platformUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/public\/v1$/);
    const wrong = await call('GET', '/requests', undefined, { authorization: 'ApiKey nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ error_code: 'AUTH_001', errors: [expect.any(String)] });
  });

  it('filters with RQL over dotted fields and pages with Content-Range', async () => {
    const rql = `and(eq(status,pending),in(asset.product.id,(${PRODUCT})),eq(type,purchase))`;
    const first = await call('GET', `/requests?${rql}&order_by=created&limit=2&offset=0`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-range')).toBe('items 0-1/3');
    expect(first.json.map((r: { id: string }) => r.id)).toEqual(['PR-0001-0001-0001-001', 'PR-0001-0002-0001-001']);
    const second = await call('GET', `/requests?${rql}&order_by=created&limit=2&offset=2`);
    expect(second.headers.get('content-range')).toBe('items 2-2/3');
    expect(second.json.map((r: { id: string }) => r.id)).toEqual(['PR-0001-0004-0001-001']);
  });

  it('takes plain field=value filters, a percent-encoded RQL term and answers an empty page with items 0-0/0', async () => {
    const plain = await call('GET', '/requests?status=pending&type=cancel');
    expect(plain.json.map((r: { id: string }) => r.id)).toEqual(['PR-0001-0003-0001-002']);
    const encoded = await call('GET', `/requests?${encodeURIComponent('eq(id,PR-0001-0002-0001-001)')}`);
    expect(encoded.json).toHaveLength(1);
    const none = await call('GET', '/requests?eq(status,revoked)');
    expect(none.headers.get('content-range')).toBe('items 0-0/0');
    expect(none.json).toEqual([]);
    const bad = await call('GET', '/requests?eq(status');
    expect(bad.status).toBe(400);
  });

  it('answers the CONNECT.md request shape with extra fields clients must tolerate', async () => {
    const { json } = await call('GET', '/requests/PR-0001-0001-0001-001');
    expect(json).toMatchObject({
      id: 'PR-0001-0001-0001-001',
      status: 'pending',
      marketplace: { id: 'MP-48301' },
      contract: { id: expect.any(String) },
      asset: { id: 'AS-0001-0001-0001', product: { id: PRODUCT }, connection: { type: 'production' }, tiers: { customer: { name: 'Acme Corp' } } },
    });
    expect(json.asset.params.find((p: { id: string }) => p.id === 'account_email')).toMatchObject({ phase: 'ordering', value: 'a@acme.example', value_error: '' });
    expect((await call('GET', '/requests/PR-9')).status).toBe(404);
  });
});

describe('platform sandbox: request lifecycle', () => {
  const id = 'PR-0001-0001-0001-001';

  it('refuses an approval while a required fulfillment parameter is empty, approves after a PUT', async () => {
    const early = await call('POST', `/requests/${id}/approve`, { template_id: 'TL-111-111-111' });
    expect(early.status).toBe(400);
    expect(early.json.error_code).toBe('REQ_005');
    expect(early.json.errors.join(' ')).toMatch(/aws_account_id/);

    const put = await call('PUT', `/requests/${id}`, { asset: { params: [{ id: 'aws_account_id', value: '900000000001' }] } });
    expect(put.status).toBe(200);
    expect(sandbox.platform.state.param(id, 'aws_account_id')?.value).toBe('900000000001');

    const approved = await call('POST', `/requests/${id}/approve`, { template_id: 'TL-111-111-111' });
    expect(approved.status).toBe(200);
    expect(approved.json.status).toBe('approved');
    expect(sandbox.platform.state.history(id).map((h) => [h.action, h.from, h.to])).toEqual([
      ['update', 'pending', 'pending'],
      ['approve', 'pending', 'approved'],
    ]);
    expect(sandbox.platform.state.history(id)[1]?.body).toEqual({ template_id: 'TL-111-111-111' });
  });

  it('refuses an unknown parameter id and an unknown template, changing nothing', async () => {
    const put = await call('PUT', `/requests/${id}`, { asset: { params: [{ id: 'aws_account_id', value: '1' }, { id: 'nope', value: 'x' }] } });
    expect(put.status).toBe(400);
    expect(put.json.error_code).toBe('REQ_003');
    expect(sandbox.platform.state.param(id, 'aws_account_id')?.value).toBe('');
    await call('PUT', `/requests/${id}`, { asset: { params: [{ id: 'aws_account_id', value: '900000000001' }] } });
    const wrong = await call('POST', `/requests/${id}/approve`, { template_id: 'TL-222-222-222' });
    expect(wrong.json.error_code).toBe('REQ_002');
  });

  it('inquires after a value_error, the customer fixes it, then it fails with a reason', async () => {
    await call('PUT', `/requests/${id}`, { asset: { params: [{ id: 'account_email', value_error: 'not an e-mail address' }] } });
    const inquired = await call('POST', `/requests/${id}/inquire`, {});
    expect(inquired.json.status).toBe('inquiring');
    expect((await call('POST', `/requests/${id}/inquire`, {})).status).toBe(400);
    const fixed = await admin('POST', `/__sandbox/requests/${id}/customer-fix`, { params: [{ id: 'account_email', value: 'ok@acme.example' }] });
    expect(fixed.status).toBe('pending');
    expect(sandbox.platform.state.param(id, 'account_email')).toMatchObject({ value: 'ok@acme.example', value_error: '' });
    expect((await call('POST', `/requests/${id}/fail`, {})).json.error_code).toBe('VAL_001');
    const failed = await call('POST', `/requests/${id}/fail`, { reason: 'an AWS account already uses this e-mail' });
    expect(failed.json).toMatchObject({ status: 'failed', reason: 'an AWS account already uses this e-mail' });
  });

  it('refuses illegal transitions', async () => {
    const approved = await call('POST', '/requests/PR-0001-0005-0001-001/fail', { reason: 'late' });
    expect(approved.status).toBe(400);
    expect(approved.json).toEqual({ error_code: 'REQ_001', errors: [expect.stringMatching(/is approved: fail is allowed only when it is pending or inquiring/)] });
    expect((await call('PUT', '/requests/PR-0001-0005-0001-001', { asset: { params: [] } })).status).toBe(400);
  });
});

describe('platform sandbox: conversations, templates, tier configuration', () => {
  it('has one conversation per request and keeps its messages', async () => {
    const conversations = await call('GET', '/conversations?instance_id=PR-0001-0003-0001-002');
    expect(conversations.json).toEqual([expect.objectContaining({ id: expect.stringMatching(/^CO-/), instance_id: 'PR-0001-0003-0001-002' })]);
    const conversationId = conversations.json[0].id as string;
    const posted = await call('POST', `/conversations/${conversationId}/messages`, { text: 'close account 222222222222 in the AWS console' });
    expect(posted.status).toBe(201);
    const messages = await call('GET', `/conversations/${conversationId}/messages`);
    expect(messages.json.map((m: { text: string }) => m.text)).toEqual(['close account 222222222222 in the AWS console']);
    expect(sandbox.platform.state.notes('PR-0001-0003-0001-002')).toHaveLength(1);
  });

  it('lists templates by scope and type', async () => {
    const asset = await call('GET', `/products/${PRODUCT}/templates?scope=asset&type=fulfillment`);
    expect(asset.json).toEqual([{ id: 'TL-111-111-111', name: 'Ready', scope: 'asset', type: 'fulfillment' }]);
    const tier = await call('GET', `/products/${PRODUCT}/templates?scope=tier1&type=fulfillment`);
    expect(tier.json.map((t: { id: string }) => t.id)).toEqual(['TL-222-222-222']);
  });

  it('approves a tier configuration request with {template:{id}} only, then releases the reseller\'s tiers_setup requests', async () => {
    const pending = await call('GET', `/tier/config-requests?and(eq(status,pending),eq(configuration.product.id,${PRODUCT}))`);
    expect(pending.json.map((t: { id: string }) => t.id)).toEqual(['TCR-000-000-001-001']);
    const put = await call('PUT', '/tier/config-requests/TCR-000-000-001-001', { params: [{ id: 'payerAccountId', value_error: '' }] });
    expect(put.status).toBe(200);
    const wrongBody = await call('POST', '/tier/config-requests/TCR-000-000-001-001/approve', { template_id: 'TL-222-222-222' });
    expect(wrongBody.status).toBe(400);
    const approved = await call('POST', '/tier/config-requests/TCR-000-000-001-001/approve', { template: { id: 'TL-222-222-222' } });
    expect(approved.json).toEqual({ template: { id: 'TL-222-222-222', representation: 'Tier ok (sandbox rendering of TL-222-222-222)' }, effective_date: '2026-11-26T10:00:00+00:00' });
    expect(sandbox.platform.state.tierConfigRequest('TCR-000-000-001-001')).toMatchObject({ status: 'approved', template: { id: 'TL-222-222-222', name: 'Tier ok' } });
    expect(sandbox.platform.state.request('PR-0001-0006-0001-001')?.status).toBe('pending');
  });
});

describe('platform sandbox: faults and stats', () => {
  it('answers an injected 500 once, then normally', async () => {
    await admin('POST', '/__sandbox/faults', { method: 'GET', pathPrefix: '/requests', status: 500, times: 1 });
    expect((await call('GET', '/requests')).status).toBe(500);
    expect((await call('GET', '/requests')).status).toBe(200);
  });

  it('answers 429 with Retry-After, a malformed body and a delay', async () => {
    sandbox.platform.addFault({ pathPrefix: '/public/v1/requests/PR-0001-0001-0001-001', status: 429, retryAfter: 2 });
    const limited = await call('GET', '/requests/PR-0001-0001-0001-001');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    sandbox.platform.addFault({ pathPrefix: '/requests', body: '{"id": "PR-' });
    const malformed = await call('GET', '/requests');
    expect([malformed.status, malformed.json, malformed.text]).toEqual([200, undefined, '{"id": "PR-']);
    // The delay runs on a fake clock: the three calls are held together until the test moves it.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    sandbox.platform.addFault({ pathPrefix: '/requests', delayMs: 50, times: 3 });
    const delayed = Promise.all([1, 2, 3].map(() => call('GET', '/requests?limit=1')));
    await untilInFlight(() => sandbox.platform.stats(), 3);
    await vi.advanceTimersByTimeAsync(49);
    expect(sandbox.platform.stats().inFlight).toBe(3);
    await vi.advanceTimersByTimeAsync(1);
    expect((await delayed).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(sandbox.platform.stats()).toMatchObject({ inFlight: 0, maxInFlight: 3 });
  });

  it('counts calls by method and route, and dumps the state', async () => {
    await call('GET', '/requests');
    await call('GET', '/requests/PR-0001-0001-0001-001');
    await call('GET', '/requests/PR-0001-0002-0001-001');
    await call('POST', '/requests/PR-0001-0001-0001-001/inquire', {});
    const stats = await admin('GET', '/__sandbox/stats');
    expect(stats).toMatchObject({ calls: { 'GET /requests': 1, 'GET /requests/{id}': 2, 'POST /requests/{id}/inquire': 1 }, total: 4, inFlight: 0 });
    const state = await admin('GET', '/__sandbox/state');
    expect(Object.keys(state)).toEqual(['requests', 'tierConfigRequests', 'histories', 'conversations']);
    expect(state.histories['PR-0001-0001-0001-001']).toHaveLength(1);
  });
});

describe('platform sandbox: what the OpenAPI description documents', () => {
  const ids = (json: Array<{ id: string }>): string[] => json.map((r) => r.id);

  it('reads quoted RQL values, raw or percent-encoded as node-fetch sends them', async () => {
    expect(ids((await call('GET', '/requests?and(eq(status,"pending"),eq(type,\'cancel\'))')).json)).toEqual(['PR-0001-0003-0001-002']);
    const quotedList = await call('GET', `/requests?in(asset.product.id,(%22PRD-000-000-001%22,%22PRD-9%22))`);
    expect(ids(quotedList.json)).toEqual(['PR-0002-0001-0001-001']);
    const spaced = await call('GET', '/requests?like(asset.tiers.customer.name,%22*Acme%20Corp*%22)&eq(status,approved)');
    expect(ids(spaced.json)).toEqual(['PR-0001-0005-0001-001']);
  });

  it('takes the product_id filter and the double-underscore spellings of GET /requests', async () => {
    expect(ids((await call('GET', '/requests?product_id=PRD-000-000-001')).json)).toEqual(['PR-0002-0001-0001-001']);
    expect(ids((await call('GET', '/requests?in(product_id,(PRD-000-000-001))')).json)).toEqual(['PR-0002-0001-0001-001']);
    expect(ids((await call('GET', '/requests?asset__product__id=PRD-000-000-001')).json)).toEqual(['PR-0002-0001-0001-001']);
    expect(ids((await call('GET', '/requests?asset_id=AS-0001-0003-0001')).json)).toEqual(['PR-0001-0003-0001-002']);
    expect(ids((await call('GET', '/requests?eq(asset.tier1_id,TA-9)')).json)).toEqual(['PR-0001-0006-0001-001']);
  });

  it('orders descending with ordering(-field) and with order_by=-field alike', async () => {
    const seeded = SEED.requests?.map((r) => r.id as string) ?? [];
    const rql = await call('GET', '/requests?ordering(-created)');
    const plain = await call('GET', '/requests?order_by=-created');
    expect(ids(rql.json)).toEqual([...seeded].reverse());
    expect(ids(plain.json)).toEqual(ids(rql.json));
    expect(ids((await call('GET', '/requests?ordering(type,-created)&limit=2')).json)).toEqual(['PR-0001-0003-0001-002', 'PR-0001-0006-0001-001']);
  });

  it('approves with an activation_tile: its text is the activation key; refuses both or neither of template_id and activation_tile', async () => {
    const id = 'PR-0001-0001-0001-001';
    await call('PUT', `/requests/${id}`, { asset: { params: [{ id: 'aws_account_id', value: '900000000001' }] } });
    const both = await call('POST', `/requests/${id}/approve`, { template_id: 'TL-111-111-111', activation_tile: 'x' });
    expect([both.status, both.json.errors[0]]).toEqual([400, 'Give template_id or activation_tile, not both (template_id "TL-111-111-111").']);
    const neither = await call('POST', `/requests/${id}/approve`, {});
    expect([neither.status, neither.json.errors]).toEqual([400, ['template_id or activation_tile: This field is required.']]);
    const approved = await call('POST', `/requests/${id}/approve`, { activation_tile: 'Your account: 900000000001', effective_date: '2026-11-20T00:00:00+00:00' });
    expect(approved.status).toBe(200);
    expect(sandbox.platform.state.request(id)).toMatchObject({ status: 'approved', activation_key: 'Your account: 900000000001', effective_date: '2026-11-20T00:00:00+00:00', asset: { status: 'active' } });
    expect(sandbox.platform.state.request(id)?.template).toBeUndefined();
  });

  it('pends an inquiring request back to pending (POST /requests/{id}/pend, no body) and refuses a pending one', async () => {
    const id = 'PR-0001-0002-0001-001';
    const early = await call('POST', `/requests/${id}/pend`);
    expect([early.status, early.json.error_code]).toEqual([400, 'REQ_001']);
    await call('POST', `/requests/${id}/inquire`, { activation_tile: 'Please check the e-mail address' });
    const pended = await call('POST', `/requests/${id}/pend`);
    expect([pended.status, pended.json.status]).toEqual([200, 'pending']);
    expect(sandbox.platform.state.history(id).map((h) => [h.action, h.from, h.to])).toEqual([
      ['inquire', 'pending', 'inquiring'],
      ['pend', 'inquiring', 'pending'],
    ]);
  });

  it("lists a product's parameter definitions and items", async () => {
    const parameters = await call('GET', `/products/${PRODUCT}/parameters`);
    expect(parameters.json.map((p: { id: string; phase: string }) => [p.id, p.phase])).toEqual([
      ['account_type', 'ordering'],
      ['account_email', 'ordering'],
      ['account_name', 'ordering'],
      ['support_level', 'ordering'],
      ['aws_account_id', 'fulfillment'],
      ['create_account_status_id', 'fulfillment'],
      ['handshake_id', 'fulfillment'],
      ['account_closed_at', 'fulfillment'],
      ['payer_account_id', 'fulfillment'],
      ['transfer_start', 'ordering'],
      ['transfer_id', 'fulfillment'],
    ]);
    expect(parameters.json[4]).toEqual({
      id: 'aws_account_id',
      name: 'aws_account_id',
      title: 'AWS account id',
      description: '',
      type: 'text',
      scope: 'asset',
      phase: 'fulfillment',
      position: 50_000,
      constraints: { required: true, hidden: false, unique: false, reconciliation: false },
    });
    expect(ids((await call('GET', `/products/${PRODUCT}/parameters?and(eq(phase,fulfillment),eq(constraints.required,true))`)).json)).toEqual(['aws_account_id']);
    const items = await call('GET', `/products/${PRODUCT}/items?eq(mpn,AWS_SUPPORT)`);
    expect(items.json).toEqual([expect.objectContaining({ id: `${PRODUCT}-0003`, mpn: 'AWS_SUPPORT', display_name: 'AWS support plan', type: 'PPU', precision: 'decimal(2)', unit: { id: 'unit', name: 'unit', title: 'unit', unit: 'unit' } })]);
    expect((await call('GET', '/products/PRD-404-404-404/items')).status).toBe(404);
  });

  it('answers tier fail, inquire and pend with 204 and no body, and PUT with the dp.TierConfigRequestCreate shape', async () => {
    const tcr = 'TCR-000-000-001-001';
    const put = await call('PUT', `/tier/config-requests/${tcr}`, { configuration: { id: 'TC-000-000-001' }, params: [{ id: 'payerAccountId', value: '111111111112' }], notes: 'checked' });
    expect(put.json).toEqual({ configuration: { id: 'TC-000-000-001' }, status: 'pending', type: 'setup', params: [{ id: 'payerAccountId', value: '111111111112', value_error: '' }], notes: 'checked' });
    const other = await call('PUT', `/tier/config-requests/${tcr}`, { configuration: { id: 'TC-9' }, params: [] });
    expect([other.status, other.json.errors]).toEqual([400, [`configuration.id: TC-9 is not the configuration of ${tcr} (TC-000-000-001).`]]);
    const inquired = await call('POST', `/tier/config-requests/${tcr}/inquire`);
    expect([inquired.status, inquired.text]).toEqual([204, '']);
    expect(sandbox.platform.state.tierConfigRequest(tcr)?.status).toBe('inquiring');
    const pended = await call('POST', `/tier/config-requests/${tcr}/pend`);
    expect([pended.status, pended.text, sandbox.platform.state.tierConfigRequest(tcr)?.status]).toEqual([204, '', 'pending']);
    const failed = await call('POST', `/tier/config-requests/${tcr}/fail`, { reason: 'no payer' });
    expect([failed.status, failed.text]).toEqual([204, '']);
    expect(sandbox.platform.state.tierConfigRequest(tcr)).toMatchObject({ status: 'failed', reason: 'no payer' });
    expect((await call('POST', `/tier/config-requests/${tcr}/inquire`)).status).toBe(400);
  });
});

describe('platform sandbox: every answer judged by the OpenAPI description', () => {
  it('lists, reads and acts on requests, conversations, products, tier configuration, assets and marketplaces as the description allows', async () => {
    const contract = await ConnectContract.load();
    const recorder = new ContractRecorder(contract);
    const judged = await startSandbox({ seed: { ...SEED, products: SEED.products?.map((p) => ({ ...p, configuration: { customMarkup: '1.1' } })) }, now: () => NOW, onExchange: recorder.onExchange });
    const send = async (method: string, path: string, body?: unknown): Promise<number> => {
      const response = await fetch(`${judged.platformUrl}${path}`, { method, headers: { authorization: `ApiKey ${judged.apiKey}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      await response.arrayBuffer();
      return response.status;
    };
    try {
      const statuses = [
        await send('GET', `/requests?and(eq(status,pending),in(asset.product.id,(${PRODUCT})))&ordering(-created)&select(-activation_key)&limit=3`),
        await send('GET', '/requests/PR-0001-0001-0001-001'),
        await send('PUT', '/requests/PR-0001-0001-0001-001', { asset: { params: [{ id: 'aws_account_id', value: '900000000001' }] } }),
        await send('POST', '/requests/PR-0001-0001-0001-001/approve', { template_id: 'TL-111-111-111' }),
        await send('POST', '/requests/PR-0001-0002-0001-001/inquire', { template_id: 'TL-111-111-112' }),
        await send('POST', '/requests/PR-0001-0002-0001-001/pend'),
        await send('POST', '/requests/PR-0001-0002-0001-001/fail', { reason: 'no' }),
        await send('GET', '/conversations?instance_id=PR-0001-0001-0001-001'),
        await send('POST', '/conversations/CO-000-000-001/messages', { text: 'hello' }),
        await send('GET', '/conversations/CO-000-000-001/messages'),
        await send('GET', `/products/${PRODUCT}/templates?scope=asset&type=fulfillment`),
        await send('GET', `/products/${PRODUCT}/parameters`),
        await send('GET', `/products/${PRODUCT}/items`),
        await send('GET', `/products/${PRODUCT}/configurations?marketplace.id=MP-48301`),
        await send('GET', '/tier/config-requests?and(eq(status,pending),eq(configuration.product.id,PRD-411-678-887))&ordering(created)'),
        await send('GET', '/tier/config-requests/TCR-000-000-001-001'),
        await send('PUT', '/tier/config-requests/TCR-000-000-001-001', { params: [{ id: 'payerAccountId', value: '111111111111' }] }),
        await send('POST', '/tier/config-requests/TCR-000-000-001-001/approve', { template: { id: 'TL-222-222-222' } }),
        await send('GET', '/tier/configs?and(eq(account.id,TA-9),eq(product.id,PRD-411-678-887))&limit=1'),
        await send('GET', `/assets?and(eq(product.id,${PRODUCT}),in(status,(active,terminated)))`),
        await send('GET', '/assets/AS-0001-0001-0001'),
        await send('GET', '/marketplaces/MP-48301'),
      ];
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 201, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]);
      expect(recorder.violations()).toEqual([]);
    } finally {
      await judged.close();
    }
  });

  it('answers a tier fail, inquire and pend with no body, as the description documents 204', async () => {
    const contract = await ConnectContract.load();
    const recorder = new ContractRecorder(contract);
    const judged = await startSandbox({ seed: { ...SEED, tierConfigRequests: [...(SEED.tierConfigRequests ?? []), { id: 'TCR-000-000-002-001', productId: PRODUCT, account: { id: 'TA-8', name: 'Reseller 8' } }] }, now: () => NOW, onExchange: recorder.onExchange });
    try {
      const post = (path: string, body?: unknown) => fetch(`${judged.platformUrl}${path}`, { method: 'POST', headers: { authorization: `ApiKey ${judged.apiKey}` }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      expect((await post('/tier/config-requests/TCR-000-000-001-001/fail', { reason: 'no payer' })).status).toBe(204);
      expect((await post('/tier/config-requests/TCR-000-000-002-001/inquire')).status).toBe(204);
      expect((await post('/tier/config-requests/TCR-000-000-002-001/pend')).status).toBe(204);
      expect(recorder.violations()).toEqual([]);
      expect(recorder.exchanges.map((x) => [x.status, x.response])).toEqual([
        [204, undefined],
        [204, undefined],
        [204, undefined],
      ]);
    } finally {
      await judged.close();
    }
  });
});
