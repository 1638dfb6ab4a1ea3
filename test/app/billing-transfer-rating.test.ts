/**
 * Billing transfer (issue 13, docs/billing-transfer.md): every account of a transferred
 * organization bills to that organization's subscription (`account_type` =
 * `billing-transfer`, `aws_account_id` = the source management account), found by the
 * rows' `bill_payer_account_id`, with the subscription's support level and the payer's
 * markups and fx; no account listed by hand. A CUR written as CSV, read by the embedded
 * engine, rated.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { subscriptionsFor, type AssetLike } from '../../src/app/subscriptions.js';
import { assetsToSubscriptions } from '../../src/app/usage/platform-assets.js';
import type { PlatformAsset } from '../../src/app/usage/month-platform.js';
import { ratePayer, type RatingOutcome } from '../../src/domain/rating.js';
import { closingSources, readAll, row, tempDir, writeCsv, type CurRow } from '../adapters/engine/cur-fixtures.js';
import { catalog, defaultSettings } from '../support/groups.js';

const source = closingSources();
const PAYER = '111122223333'; // the reseller's payer: the bill-transfer account
const ORDINARY = '444455556666'; // a member of the payer's own organization
const SOURCE = '777788889999'; // the transferred organization's management account
const MEMBER = '777700001111'; // a member of the transferred organization
const PERIOD = '2026-10';

const rows: CurRow[] = [
  row({ account: ORDINARY, cost: '200' }),
  row({ account: ORDINARY, product: 'AmazonS3', cost: '10' }),
  row({ payer: SOURCE, account: SOURCE, cost: '300' }),
  row({ payer: SOURCE, account: MEMBER, cost: '1500' }),
  row({ payer: SOURCE, account: MEMBER, type: 'SppDiscount', cost: '-45' }),
  row({ payer: SOURCE, account: MEMBER, entity: 'AWS Marketplace', product: 'prod-abc', cost: '50' }),
];

const assets: AssetLike[] = [
  { assetId: 'AS-ORD', accountId: ORDINARY, supportLevel: 'developer', status: 'active', payerAccountId: PAYER },
  { assetId: 'AS-BT', accountId: SOURCE, supportLevel: 'business', status: 'active', payerAccountId: PAYER, accountType: 'billing-transfer', customer: 'Transferred Co' },
];

async function rate(list: AssetLike[]): Promise<RatingOutcome> {
  const path = await writeCsv(join(await tempDir(), 'cur2.csv'), rows, { style: 'snake' });
  const { groups } = await readAll(source(path).aggregate({ period: PERIOD, listPrice: 'unblended', granularity: 'service' }));
  return ratePayer({
    payer: { accountId: PAYER, customMarkup: '1.1', customMarkupMarketplace: '1.2', marketplaceCurrency: 'EUR', fxRate: '0.9' },
    period: PERIOD,
    settings: defaultSettings,
    groups,
    subscriptions: subscriptionsFor(list, PAYER, PERIOD),
    catalog,
    knownCurrencies: new Set(['USD', 'EUR']),
  });
}

describe('billing transfer: an organization billed to one subscription', () => {
  it("bills both accounts of the transferred organization to the transfer's subscription, with its support level, markups and fx", async () => {
    const outcome = await rate(assets);
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems));
    const byAccount = new Map(outcome.payer.accounts.map((a) => [a.accountId, a]));
    expect([...byAccount.keys()].sort()).toEqual([ORDINARY, MEMBER, SOURCE].sort());
    expect(byAccount.get(SOURCE)?.assetId).toBe('AS-BT');
    expect(byAccount.get(MEMBER)?.assetId).toBe('AS-BT');
    expect(byAccount.get(MEMBER)?.customerName).toBe('Transferred Co');
    expect(byAccount.get(ORDINARY)?.assetId).toBe('AS-ORD');
    // Business support on each transferred account's own base (legacy table): max(100, 10%).
    expect(byAccount.get(SOURCE)?.support.billed).toBe('business');
    expect(byAccount.get(MEMBER)?.support.billed).toBe('business');
    expect(byAccount.get(ORDINARY)?.support.billed).toBe('developer');
    const billed = (account: string, kind: string) => outcome.payer.records.filter((r) => r.accountId === account && r.kind === kind).map((r) => r.billed);
    // 1500 × 1.1 × 0.9; the SppDiscount is excluded; Marketplace 50 × 1.2 × 0.9; support 150 × 1.1 × 0.9.
    expect(billed(MEMBER, 'aws')).toEqual(['1485.00']);
    expect(billed(MEMBER, 'marketplace')).toEqual(['54.00']);
    expect(billed(MEMBER, 'support')).toEqual(['148.50']);
    // 300 × 1.1 × 0.9; support max(100, 30) × 1.1 × 0.9.
    expect(billed(SOURCE, 'aws')).toEqual(['297.00']);
    expect(billed(SOURCE, 'support')).toEqual(['99.00']);
    expect(outcome.payer.unassigned).toEqual([]);
  });

  it('reconciles: every dollar of both organizations is rated or excluded', async () => {
    const outcome = await rate(assets);
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems));
    const r = outcome.payer.reconciliation;
    expect(r.holds).toBe(true);
    expect(r.curTotalUsd).toBe('2015');
    expect(r.ratedUnblendedUsd).toBe('2060');
    expect(r.unassignedUsd).toBe('0');
  });

  it('leaves the transferred accounts unassigned without the billing-transfer subscription (the figures of a payer without one are unchanged)', async () => {
    const outcome = await rate(assets.filter((a) => a.accountType === undefined));
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems));
    expect(outcome.payer.accounts.map((a) => a.accountId)).toEqual([ORDINARY]);
    expect(outcome.payer.unassigned.map((u) => u.accountId).sort()).toEqual([MEMBER, SOURCE].sort());
    expect(outcome.payer.reconciliation.holds).toBe(true);
  });

  it('a plain subscription of the source management account covers that account only', async () => {
    const plain = assets.map((a) => (a.accountType === undefined ? a : { ...a, accountType: 'existing' }));
    const outcome = await rate(plain);
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems));
    expect(outcome.payer.accounts.map((a) => a.accountId).sort()).toEqual([ORDINARY, SOURCE].sort());
    expect(outcome.payer.unassigned.map((u) => u.accountId)).toEqual([MEMBER]);
  });
});

describe('assetsToSubscriptions(): account_type billing-transfer', () => {
  const asset = (id: string, params: Record<string, string>): PlatformAsset =>
    ({ id, status: 'active', params: Object.entries(params).map(([pid, value]) => ({ id: pid, value })), customer: { name: '' } }) as unknown as PlatformAsset;

  it('marks a billing-transfer asset as covering its organization, and no other', () => {
    const { assets: mapped } = assetsToSubscriptions(
      [asset('AS-1', { aws_account_id: SOURCE, account_type: 'billing-transfer' }), asset('AS-2', { aws_account_id: ORDINARY, account_type: 'new' })],
      new Date('2026-11-05T00:00:00Z'),
    );
    expect(mapped.map((a) => [a.assetId, a.accountType])).toEqual([
      ['AS-1', 'billing-transfer'],
      ['AS-2', undefined],
    ]);
    const map = subscriptionsFor(mapped, PAYER, PERIOD);
    expect(map.get(SOURCE)?.coversOrganization).toBe(true);
    expect(map.get(ORDINARY)?.coversOrganization).toBeUndefined();
  });

  it('leaves out a terminated billing transfer without a problem (no close countdown), unlike a terminated account without account_closed_at', () => {
    const terminated = (id: string, params: Record<string, string>): PlatformAsset => ({ ...asset(id, params), status: 'terminated' }) as PlatformAsset;
    const found = assetsToSubscriptions(
      [terminated('AS-1', { aws_account_id: SOURCE, account_type: 'billing-transfer' }), terminated('AS-2', { aws_account_id: ORDINARY, account_type: 'new' })],
      new Date('2026-11-05T00:00:00Z'),
    );
    expect(found.assets).toEqual([]);
    expect(found.problems.map((p) => p.assetId)).toEqual(['AS-2']);
  });
});
