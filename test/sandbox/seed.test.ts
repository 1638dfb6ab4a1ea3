import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRequests, GENERATED_KINDS } from '../../src/sandbox/seed.generate.js';
import { loadSeed, parseSeed } from '../../src/sandbox/seed.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'orders');

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'nr-seed-'));
}

const product = { id: 'PRD-411-678-887', templates: [{ id: 'TL-111-111-111', name: 'Ready' }] };

describe('loadSeed()', () => {
  it('loads the demo fixtures folder: 12 requests, one tier configuration request, the demo payer', async () => {
    const seed = await loadSeed(FIXTURES);
    expect(seed.apiKey).toBe('SU-000-000-000:demo-secret');
    expect(seed.requests.map((r) => r.id)).toEqual([
      'PR-1001-0001-0001-001',
      'PR-1001-0002-0001-001',
      'PR-1001-0003-0001-001',
      'PR-1001-0004-0001-001',
      'PR-1001-0005-0001-001',
      'PR-1001-0006-0001-001',
      'PR-1001-0007-0001-001',
      'PR-1001-0008-0001-002',
      'PR-1001-0009-0001-002',
      'PR-1001-0010-0001-003',
      'PR-1001-0011-0001-002',
      'PR-1001-0012-0001-002',
    ]);
    expect(seed.requests.every((r) => r.status === 'pending')).toBe(true);
    expect(seed.tierConfigRequests.map((t) => [t.id, t.status])).toEqual([['TCR-111-111-111-001', 'pending']]);
    expect(seed.organizations[0]).toMatchObject({ payerAccountId: '111111111111', name: 'Demo distributor payer' });
  });

  it('expands a compact request to the platform shape with every product parameter', async () => {
    const seed = await loadSeed(FIXTURES);
    const cancel = seed.requests.find((r) => r.id === 'PR-1001-0012-0001-002');
    expect(cancel).toMatchObject({
      type: 'cancel',
      asset: { id: 'AS-1001-0012-0001', product: { id: 'PRD-411-678-887' }, connection: { type: 'production' }, tiers: { customer: { name: 'Tyrell Corporation' } } },
      marketplace: { id: 'MP-48301' },
    });
    const params = Object.fromEntries(cancel?.asset.params.map((p) => [p.id, [p.phase, p.value, p.constraints?.required]]) ?? []);
    expect(params).toMatchObject({
      account_type: ['ordering', 'new', false],
      aws_account_id: ['fulfillment', '222222222208', true],
      account_closed_at: ['fulfillment', '2026-09-26', false],
      handshake_id: ['fulfillment', '', false],
    });
    expect(cancel?.asset.configuration?.params.map((p) => [p.id, p.value])).toContainEqual(['payerAccountId', '111111111111']);
  });

  it('names the file and the field of every problem', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.json'), JSON.stringify({ products: [product], requests: [{ id: 'PR-1-001', type: 'purchase', productId: 'PRD-411-678-887', customer: 'X', params: { acount_email: 'x' } }] }));
    await writeFile(join(dir, 'b.json'), JSON.stringify({ organizations: [{ payerAccountId: '12', accounts: [] }], requests: [{ id: 'PR-2-001', type: 'buy', productId: 'PRD-9', customer: 'Y' }] }));
    const load = loadSeed(dir);
    await expect(load).rejects.toThrow(/a\.json: requests\.0\.params: parameter acount_email is not a parameter of product PRD-411-678-887/);
    await expect(load).rejects.toThrow(/b\.json: organizations\.0\.payerAccountId: must be 12 digits/);
    expect(() => parseSeed({ products: [product], requests: [{ id: 'PR-2-001', type: 'buy', productId: 'PRD-411-678-887', customer: 'Y' }] }, 'inline.json')).toThrow(
      /inline\.json: requests\.0\.type: Invalid option/,
    );
  });

  it('refuses a request of an unknown product, an OU parent that does not exist and an unreadable file', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'seed'));
    await writeFile(join(dir, 'seed', 'x.json'), '{"requests": [');
    await expect(loadSeed(join(dir, 'seed'))).rejects.toThrow(/x\.json is not valid JSON/);
    expect(() =>
      parseSeed({
        requests: [{ id: 'PR-1-001', type: 'purchase', productId: 'PRD-1', customer: 'X' }],
        organizations: [{ payerAccountId: '111111111111', accounts: [{ id: '222222222222', email: 'a@b.c', name: 'A', parent: 'ou-1111-00000009' }] }],
      }),
    ).toThrow(/requests\.0\.productId: product PRD-1 is not in the seed's products[\s\S]*accounts\.0\.parent: ou-1111-00000009 is neither the root/);
    await expect(loadSeed(join(dir, 'missing.json'))).rejects.toThrow(/cannot read seed .*missing\.json/);
  });
});

describe('compact forms expanded to the shapes the OpenAPI description requires', () => {
  it('gives a request customer a full contact_info and its connection a provider, vendor and hub', () => {
    const seed = parseSeed({ products: [product], requests: [{ id: 'PR-1-001', type: 'purchase', productId: product.id, customer: 'Acme' }] });
    const asset = seed.requests[0]?.asset as Record<string, any>;
    expect(asset.tiers.customer.contact_info).toMatchObject({ address_line1: expect.any(String), city: expect.any(String), postal_code: expect.any(String), country: 'US', contact: { first_name: 'Sandbox', last_name: 'Buyer', email: 'buyer@example.com', phone_number: expect.any(Object) } });
    expect(asset.connection).toEqual({ id: 'CT-0000-0000-0001', type: 'production', provider: { id: 'PA-000-001', name: 'Sandbox distributor' }, vendor: { id: 'VA-000-001', name: 'Amazon Web Services' }, hub: { id: 'HB-0000-0000', name: 'Sandbox hub' } });
  });

  it('gives a tier configuration request its parent configuration, assignee, template, sli, level as text and tier-scoped params', () => {
    const account = { id: 'TA-9', name: 'Reseller 9' };
    const seed = parseSeed({
      products: [product],
      tierConfigRequests: [
        { id: 'TCR-000-000-001-001', productId: product.id, account, params: { payerAccountId: '1' } },
        { id: 'TCR-000-000-002-001', productId: product.id, account, tierLevel: 2 },
      ],
    });
    const [tier1, tier2] = seed.tierConfigRequests as Array<Record<string, any>>;
    expect(tier1).toMatchObject({ assignee: {}, template: { name: '' }, sli: { zone: 0, days: 0 }, configuration: { id: 'TC-000-000-001', tier_level: '1', connection: { hub: { id: 'HB-0000-0000' } } }, parent_configuration: { tier_level: '1', product: { id: product.id } } });
    expect(tier1?.params).toEqual([expect.objectContaining({ id: 'payerAccountId', value: '1', scope: 'tier1', phase: 'ordering' })]);
    expect(tier2).toMatchObject({ configuration: { tier_level: '2' }, parent_configuration: { id: 'TC-000-000-002-T1', tier_level: '1', account: { id: 'TA-0000-0000-0001' } }, tiers: { tier2: account } });
  });
});

describe('generateRequests()', () => {
  it('gives the same valid seed for the same count', () => {
    const a = generateRequests(1000);
    expect(JSON.stringify(generateRequests(1000))).toBe(JSON.stringify(a));
    const seed = parseSeed(a, 'generated');
    expect(seed.requests).toHaveLength(1000);
    expect(new Set(seed.requests.map((r) => r.id)).size).toBe(1000);
    expect(seed.requests.every((r) => r.status === 'pending')).toBe(true);
  });

  it('mixes every kind and seeds the accounts the requests name', () => {
    const seed = parseSeed(generateRequests(14), 'generated');
    const value = (i: number, id: string): string => seed.requests[i]?.asset.params.find((p) => p.id === id)?.value ?? '';
    expect(GENERATED_KINDS).toHaveLength(7);
    expect(seed.requests.slice(0, 7).map((r) => `${r.type}/${value(seed.requests.indexOf(r), 'account_type')}`)).toEqual([
      'purchase/new',
      'purchase/transfer',
      'purchase/import',
      'change/import',
      'suspend/import',
      'cancel/import',
      'purchase/new',
    ]);
    expect(value(6, 'account_email')).toMatch(/^not-an-email/);
    const org = seed.organizations[0];
    expect(org?.outsideAccounts.map((a) => a.id)).toContain(value(1, 'aws_account_id'));
    expect(org?.accounts.map((a) => a.id)).toEqual(expect.arrayContaining([value(2, 'aws_account_id'), value(5, 'aws_account_id'), value(12, 'aws_account_id')]));
    expect(org?.accounts.find((a) => a.id === value(12, 'aws_account_id'))?.state).toBe('CLOSED');
  });
});
