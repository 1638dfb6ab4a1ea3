import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, HOST, type Received, answer, failure, requestBody, signal, tcrBody, testPlatform } from './connect-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

const V1 = '/public/v1';

describe('ConnectPlatform lists', () => {
  it('lists pending requests of the products with an RQL filter, oldest first, across pages', async () => {
    const log: Received[] = [];
    const scope = nock(HOST)
      .get((uri) => uri.startsWith(`${V1}/requests?`))
      .reply(answer(log, 200, [requestBody('PR-1000-0001-001')], { 'Content-Range': 'items 0-0/2' }))
      .get((uri) => uri.startsWith(`${V1}/requests?`))
      .reply(answer(log, 200, [requestBody('PR-1000-0002-001')], { 'Content-Range': 'items 1-1/2' }));
    const { platform } = testPlatform({ pageSize: 1 });

    const requests = await platform.listPendingRequests({ productIds: ['PRD-1', 'PRD-2'], signal: signal() });

    scope.done();
    expect(requests.map((r) => r.id)).toEqual(['PR-1000-0001-001', 'PR-1000-0002-001']);
    expect(log.map((r) => r.path)).toEqual([
      `${V1}/requests?and(eq(status,pending),in(asset.product.id,(PRD-1,PRD-2)))&ordering(created)&limit=1&offset=0`,
      `${V1}/requests?and(eq(status,pending),in(asset.product.id,(PRD-1,PRD-2)))&ordering(created)&limit=1&offset=1`,
    ]);
  });

  it('lists pending tier configuration requests of the products', async () => {
    const log: Received[] = [];
    nock(HOST)
      .get((uri) => uri.startsWith(`${V1}/tier/config-requests?`))
      .reply(answer(log, 200, [tcrBody('TCR-1')], { 'Content-Range': 'items 0-0/1' }));
    const { platform } = testPlatform();

    const tcrs = await platform.listPendingTierConfigRequests({ productIds: ['PRD-1'], signal: signal() });

    expect(tcrs).toMatchObject([{ id: 'TCR-1', productId: 'PRD-411-678-887', accountId: 'TA-2', tierLevel: 1 }]);
    expect(log[0]?.path).toBe(`${V1}/tier/config-requests?and(eq(status,pending),in(configuration.product.id,(PRD-1)))&ordering(created)&limit=100&offset=0`);
  });

  it('asks nothing when there are no products', async () => {
    const { platform } = testPlatform();
    await expect(platform.listPendingRequests({ productIds: [], signal: signal() })).resolves.toEqual([]);
    await expect(platform.listPendingTierConfigRequests({ productIds: [], signal: signal() })).resolves.toEqual([]);
  });

  it('lists the templates of a product for a scope', async () => {
    const log: Received[] = [];
    nock(HOST)
      .get(`${V1}/products/PRD-1/templates`).query(true)
      .reply(answer(log, 200, [{ id: 'TL-1', name: 'Activated', body: '...' }, { id: 'TL-2', name: 'Other' }]));
    const { platform } = testPlatform();

    await expect(platform.listTemplates('PRD-1', 'asset', signal())).resolves.toEqual([
      { id: 'TL-1', name: 'Activated' },
      { id: 'TL-2', name: 'Other' },
    ]);
    expect(log[0]?.path).toBe(`${V1}/products/PRD-1/templates?scope=asset&type=fulfillment&limit=100&offset=0`);
  });
});

describe('ConnectPlatform request actions', () => {
  it('reads one request, URL-encoding its id', async () => {
    nock(HOST).get(`${V1}/requests/PR%201%2F2`).reply(200, requestBody('PR 1/2'));
    const { platform } = testPlatform();
    await expect(platform.getRequest('PR 1/2', signal())).resolves.toMatchObject({ id: 'PR 1/2', asset: { productId: 'PRD-411-678-887' } });
  });

  it('PUTs only the given parameter fields under asset.params', async () => {
    const log: Received[] = [];
    nock(HOST).put(`${V1}/requests/PR-1`).reply(answer(log, 200, requestBody('PR-1')));
    const { platform } = testPlatform();

    await platform.updateRequestParams('PR-1', [{ id: 'aws_account_id', value: '123456789012' }, { id: 'account_email', valueError: 'Already used' }, { id: 'x', value: '', valueError: '' }], signal());

    expect(log[0]?.headers['content-type']).toMatch(/^application\/json/);
    expect(log[0]?.body).toEqual({
      asset: {
        params: [
          { id: 'aws_account_id', value: '123456789012' },
          { id: 'account_email', value_error: 'Already used' },
          { id: 'x', value: '', value_error: '' },
        ],
      },
    });
  });

  it.each([
    ['approve', (p: ReturnType<typeof testPlatform>['platform']) => p.approveRequest('PR-1', 'TL-9', signal()), { template_id: 'TL-9' }],
    ['fail', (p: ReturnType<typeof testPlatform>['platform']) => p.failRequest('PR-1', 'The e-mail is in use', signal()), { reason: 'The e-mail is in use' }],
    ['inquire', (p: ReturnType<typeof testPlatform>['platform']) => p.inquireRequest('PR-1', signal()), {}],
  ])('POSTs /requests/{id}/%s with the exact body', async (action, call, expected) => {
    const log: Received[] = [];
    const scope = nock(HOST).post(`${V1}/requests/PR-1/${action}`).reply(answer(log, 200, { id: 'PR-1' }));
    const { platform } = testPlatform();

    await call(platform);

    scope.done();
    expect(log[0]?.body).toEqual(expected);
  });
});

describe('ConnectPlatform tier configuration actions', () => {
  it('PUTs params at the top level', async () => {
    const log: Received[] = [];
    nock(HOST).put(`${V1}/tier/config-requests/TCR-1`).reply(answer(log, 200, tcrBody('TCR-1')));
    const { platform } = testPlatform();
    await platform.updateTierConfigParams('TCR-1', [{ id: 'resellerMarkup', valueError: 'Not a number' }], signal());
    expect(log[0]?.body).toEqual({ params: [{ id: 'resellerMarkup', value_error: 'Not a number' }] });
  });

  it.each([
    ['approve', (p: ReturnType<typeof testPlatform>['platform']) => p.approveTierConfig('TCR-1', 'TL-5', signal()), { template: { id: 'TL-5' } }],
    ['fail', (p: ReturnType<typeof testPlatform>['platform']) => p.failTierConfig('TCR-1', 'No such reseller', signal()), { reason: 'No such reseller' }],
    ['inquire', (p: ReturnType<typeof testPlatform>['platform']) => p.inquireTierConfig('TCR-1', signal()), undefined],
  ])('POSTs /tier/config-requests/{id}/%s with the exact body (inquire: none, as the description takes none)', async (action, call, expected) => {
    const log: Received[] = [];
    // The description's answers: approve 200 with the request, fail and inquire 204 with no body.
    const scope = nock(HOST).post(`${V1}/tier/config-requests/TCR-1/${action}`).reply(answer(log, action === 'approve' ? 200 : 204, action === 'approve' ? tcrBody('TCR-1') : ''));
    const { platform } = testPlatform();

    await call(platform);

    scope.done();
    expect(log[0]?.body).toEqual(expected);
  });
});

describe('ConnectPlatform notes', () => {
  it('finds the conversation once, lists its messages and adds a note', async () => {
    const log: Received[] = [];
    const scope = nock(HOST)
      .get(`${V1}/conversations`).query({ instance_id: 'PR-1' })
      .reply(answer(log, 200, [{ id: 'CO-7', instance_id: 'PR-1' }]))
      .get(`${V1}/conversations/CO-7/messages`).query(true)
      .reply(answer(log, 200, [{ id: 'ME-1', text: 'Close account 1 in the console' }, { id: 'ME-2', type: 'event' }]))
      .post(`${V1}/conversations/CO-7/messages`)
      .reply(answer(log, 201, { id: 'ME-3' }));
    const { platform } = testPlatform();

    await expect(platform.listRequestNotes('PR-1', signal())).resolves.toEqual(['Close account 1 in the console', '']);
    await platform.addRequestNote('PR-1', 'Set the support plan by hand', signal());

    scope.done(); // one conversation lookup for both calls
    expect(log.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${V1}/conversations?instance_id=PR-1`,
      `GET ${V1}/conversations/CO-7/messages?limit=100&offset=0`,
      `POST ${V1}/conversations/CO-7/messages`,
    ]);
    expect(log[2]?.body).toEqual({ text: 'Set the support plan by hand' });
  });

  it('says so, naming the request, when the request has no conversation', async () => {
    nock(HOST).get(`${V1}/conversations`).query({ instance_id: 'PR-404' }).reply(200, []);
    const { platform } = testPlatform();
    const error = await failure(platform.addRequestNote('PR-404', 'hello', signal()));
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE', message: 'GET /conversations: no conversation for request PR-404' });
  });
});

describe('ConnectPlatform reseller settings', () => {
  it("reads a reseller's approved settings with GET /tier/configs filtered by account and product", async () => {
    const log: Received[] = [];
    nock(HOST)
      .get((uri) => uri.startsWith(`${V1}/tier/configs?`))
      .reply(answer(log, 200, [{ id: 'TC-1', account: { id: 'TA-9' }, product: { id: 'PRD-1' }, params: [{ id: 'payerAccountId', value: '222222222222' }], extra: true }]));
    const { platform } = testPlatform();
    const params = await platform.getTierConfigParams('TA-9', 'PRD-1', signal());
    expect(params).toEqual([{ id: 'payerAccountId', value: '222222222222', valueError: '' }]);
    expect(log[0]?.path).toBe(`${V1}/tier/configs?and(eq(account.id,TA-9),eq(product.id,PRD-1))&limit=1`);
  });

  it('gives undefined when the reseller has no settings', async () => {
    nock(HOST)
      .get((uri) => uri.startsWith(`${V1}/tier/configs?`))
      .reply(200, []);
    const { platform } = testPlatform();
    expect(await platform.getTierConfigParams('TA-9', 'PRD-1', signal())).toBeUndefined();
  });
});

describe('ConnectPlatform actions are never carried out twice', () => {
  const ONE = `${V1}/requests/PR-1000-0001-001`;

  it('after a 502 on approve, finds the request approved and does not approve again', async () => {
    const log: Received[] = [];
    // One approve interceptor only: a second approve would find no match and fail.
    const scope = nock(HOST)
      .post(`${ONE}/approve`).reply(answer(log, 502, 'bad gateway'))
      .get(ONE).reply(200, { ...requestBody(), status: 'approved' });
    const { platform, retries } = testPlatform();

    await platform.approveRequest('PR-1000-0001-001', 'TL-9', signal());

    scope.done();
    expect(log).toHaveLength(1);
    expect(retries.map((r) => r.reason)).toEqual(['POST /requests/PR-1000-0001-001/approve: HTTP 502']);
  });

  it('after a 503 on fail, finds the request still pending and sends the same fail again', async () => {
    const log: Received[] = [];
    const scope = nock(HOST)
      .post(`${ONE}/fail`).reply(answer(log, 503, 'busy'))
      .get(ONE).reply(200, requestBody())
      .post(`${ONE}/fail`).reply(answer(log, 200, { ...requestBody(), status: 'failed' }));
    const { platform } = testPlatform();

    await platform.failRequest('PR-1000-0001-001', 'The e-mail is in use', signal());

    scope.done();
    expect(log.map((l) => l.body)).toEqual([{ reason: 'The e-mail is in use' }, { reason: 'The e-mail is in use' }]);
  });

  it('when the resent inquire is refused because the first one was carried out late, looks again and takes it as done', async () => {
    const scope = nock(HOST)
      .post(`${ONE}/inquire`).reply(500, { error_code: 'SYS_001', errors: ['boom'] })
      .get(ONE).reply(200, requestBody())
      .post(`${ONE}/inquire`).reply(400, { error_code: 'REQ_001', errors: ['Request is inquiring.'] })
      .get(ONE).reply(200, { ...requestBody(), status: 'inquiring' });
    const { platform } = testPlatform();

    await platform.inquireRequest('PR-1000-0001-001', signal());

    scope.done();
  });

  it('a resent call refused for another reason is still an error', async () => {
    nock(HOST)
      .post(`${ONE}/approve`).reply(500, 'boom')
      .get(ONE).reply(200, requestBody())
      .post(`${ONE}/approve`).reply(400, { error_code: 'REQ_005', errors: ['Parameter aws_account_id is required.'] })
      .get(ONE).reply(200, requestBody());
    const error = await failure(testPlatform().platform.approveRequest('PR-1000-0001-001', 'TL-9', signal()));
    expect(error).toMatchObject({ code: 'PLATFORM_HTTP', message: 'POST /requests/PR-1000-0001-001/approve: HTTP 400 REQ_005: Parameter aws_account_id is required.' });
  });

  it('resends after a 429 without looking (the platform refused before doing anything)', async () => {
    const scope = nock(HOST)
      .post(`${ONE}/approve`).reply(429, '', { 'Retry-After': '1' })
      .post(`${ONE}/approve`).reply(200, { ...requestBody(), status: 'approved' });
    await testPlatform().platform.approveRequest('PR-1000-0001-001', 'TL-9', signal());
    scope.done();
  });
});

describe('the API key as operators paste it', () => {
  it.each([
    ['without a prefix', API_KEY],
    ['with the ApiKey prefix the portal shows', `ApiKey ${API_KEY}`],
    ['with the prefix in other case and spaces around', `  apikey   ${API_KEY} `],
  ])('sends Authorization: ApiKey <key> exactly once (%s)', async (_what, given) => {
    const log: Received[] = [];
    nock(HOST).get(`${V1}/requests/PR-1000-0001-001`).reply(answer(log, 200, requestBody()));
    await testPlatform({ apiKey: given }).platform.getRequest('PR-1000-0001-001', signal());
    expect(log[0]?.headers.authorization).toBe(`ApiKey ${API_KEY}`);
  });
});
