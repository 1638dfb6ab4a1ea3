/** What `rate` prints of a big payer: the first accounts and items, and how many more report.json holds. */
import { describe, expect, it } from 'vitest';
import { payerDetails } from '../../src/cli/summary.js';
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
