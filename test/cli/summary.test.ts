/** What `rate` prints of a big payer: the first accounts and items, and how many more report.json holds. */
import { describe, expect, it } from 'vitest';
import { marginText, payerDetails } from '../../src/cli/summary.js';
import type { MonthPayerResult } from '../../src/app/usage/run-month.js';
import type { PayerConfig } from '../../src/config/schema.js';
import type { RatedPayerSummary } from '../../src/domain/rating.js';

const account = (i: number) => ({
  accountId: String(200000000000 + i),
  assetId: null,
  support: { ordered: 'business', detected: 'basic', billed: 'business', table: 'business-2024', baseUsd: '1', feeUsd: '100', curSupportUsd: '0' },
  ratedListUsd: '10',
  markedUsd: '11',
  billedTotal: '11.00',
  roundingResidual: '0',
  droppedZeroRecords: 0,
});

function bigPayer(accounts: number, mismatches: number): MonthPayerResult<PayerConfig> {
  const rated = {
    payerAccountId: '111111111111',
    period: '2026-10',
    currency: { currency: 'EUR', fxRate: undefined, fxRateText: '0.9' },
    listPrice: 'unblended',
    markups: { customMarkup: { applied: '1.1' }, customMarkupMarketplace: { applied: '1' } },
    reconciliation: { curTotalUsd: '1', ratedUnblendedUsd: '1', ratedListUsd: '1', excludedUsd: {}, unassignedUsd: '0', onDemandUpliftUsd: '0', holds: true },
    accounts: Array.from({ length: accounts }, (_, i) => account(i)),
    unassigned: Array.from({ length: 12 }, (_, i) => ({ accountId: String(300000000000 + i), unblendedUsd: '1' })),
    billedTotal: '1.00',
    droppedZeroRecords: 0,
    supportPlanMismatches: Array.from({ length: mismatches }, (_, i) => ({ accountId: String(200000000000 + i), ordered: 'business', detected: 'basic' })),
    warnings: [],
    rowsRated: 1,
    recordCount: 1,
  } as unknown as RatedPayerSummary;
  const run = { payerAccountId: '111111111111', period: '2026-10', version: 1, dryRun: true, step: 'done', outcome: 'succeeded', trigger: 'cli', startedAt: '', updatedAt: '' } as const;
  return { payer: { accountId: '111111111111' } as PayerConfig, result: { kind: 'done', run, rating: { rated, records: 1, rowsRead: 1, source: 'memory', errors: [], otherPayers: [] } } };
}

describe('payerDetails()', () => {
  it('shows the first 50 accounts, 10 mismatches and 10 unassigned accounts, and counts the rest', () => {
    const text = payerDetails(bigPayer(60, 15), '2026-10', 2);
    expect(text).toContain('… 10 more accounts');
    expect(text.match(/support plan mismatch: /g)).toHaveLength(10);
    expect(text).toContain('support plan mismatches: … and 5 more (report.json has them all)');
    expect(text).toContain('… and 2 more (report.json has them all)');
    expect(text).toContain('200000000049');
    expect(text).not.toContain('200000000050 ');
  });

  it('lists everything of a small payer', () => {
    const text = payerDetails(bigPayer(3, 2), '2026-10', 2);
    expect(text).not.toContain('more accounts');
    expect(text.match(/support plan mismatch: /g)).toHaveLength(2);
  });
});

describe('marginText()', () => {
  const margin = {
    currency: 'EUR',
    fxRate: '0.92',
    customers: [
      { accountId: '222222222222', assetId: 'AS-0001-0001', customer: 'Acme Corp', awsCostUsd: '1008.58', taxUsd: '0.00', billed: '1019.33', billedUsd: '1107.97', marginUsd: '99.39', marginPercent: '9.0' },
      { accountId: '333333333333', assetId: 'AS-0001-0002', customer: null, awsCostUsd: '0.00', taxUsd: '0.00', billed: '0.00', billedUsd: '0.00', marginUsd: '0.00', marginPercent: '', costNote: '1 Marketplace row without a cost' },
    ],
    unassigned: { awsCostUsd: '9784.86', taxUsd: '0.76' },
    totals: { awsCostUsd: '10793.44', taxUsd: '0.76', billed: '1019.33', billedUsd: '1107.97', marginUsd: '-9685.47', marginPercent: '-874.2' },
    partnerLedSupport: { discount: '0.35' },
  };

  it('states the identity billed = cost + margin, a row per customer, the unassigned cost, the discount and the cost notes', () => {
    const text = marginText(margin, 2);
    expect(text).toContain('billed 1,019.33 EUR at fx 0.92 = 1,107.97 USD = cost 10,793.44 + margin -9,685.47');
    expect(text).toMatch(/222222222222\s+Acme Corp\s+1,008\.58\s+1,107\.97\s+99\.39\s+9\.0 %/);
    expect(text).toMatch(/333333333333\s+AS-0001-0002\s+0\.00\s+0\.00\s+0\.00\s+n\/a/);
    expect(text).toMatch(/unassigned\s+9,784\.86/);
    expect(text).toMatch(/total\s+10,793\.44\s+1,107\.97\s+-9,685\.47\s+-874\.2 %/);
    expect(text).toContain('Partner-Led Support discount on support cost: 35 %');
    expect(text).toContain('note: 333333333333: 1 Marketplace row without a cost');
  });

  it('says nothing of a discount that is 0', () => {
    expect(marginText({ ...margin, partnerLedSupport: { discount: '0' } }, 2)).not.toContain('Partner-Led');
  });
});
