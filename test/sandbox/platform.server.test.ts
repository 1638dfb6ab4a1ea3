import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import type { SeedInput } from '../../src/sandbox/seed.js';

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
    sandbox.platform.addFault({ pathPrefix: '/requests', delayMs: 50, times: 3 });
    await Promise.all([1, 2, 3].map(() => call('GET', '/requests?limit=1')));
    expect(sandbox.platform.stats().maxInFlight).toBe(3);
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
