/** Builders for rating inputs in tests. */
import type { CurGroup } from '../../src/domain/cur.js';
import type { RatePayerInput, RatingSettings, Subscription } from '../../src/domain/rating.js';
import type { SupportCatalog } from '../../src/domain/support-fee.js';
import catalogJson from '../../config/support-plans.json' with { type: 'json' };

export const PAYER = '111111111111';
export const PERIOD = '2026-10';

export const catalog: SupportCatalog = catalogJson as unknown as SupportCatalog;

/** A group of CUR rows: Usage of AmazonEC2 by account 222222222222 unless told otherwise. */
export function group(over: Partial<CurGroup> & { unblendedUsd: string }): CurGroup {
  return {
    payerAccountId: PAYER,
    periodStart: `${PERIOD}-01`,
    accountId: '222222222222',
    lineItemType: 'Usage',
    productCode: 'AmazonEC2',
    billingEntity: 'AWS',
    currencyCode: 'USD',
    reservationFee: false,
    usageType: '',
    productName: '',
    rows: 1,
    invoicedRows: 0,
    onDemandListUsd: over.onDemandListUsd ?? over.unblendedUsd,
    maxUnblendedUsd: over.maxUnblendedUsd ?? over.unblendedUsd,
    ...over,
  };
}

export const defaultSettings: RatingSettings = {
  listPrice: 'unblended',
  includeTax: false,
  excludeLineItemTypes: [],
  supportPlanSource: 'ordered',
  recordGranularity: 'service',
  amountDecimals: 2,
};

export function subs(...list: [accountId: string, supportLevel?: string][]): Map<string, Subscription> {
  return new Map(list.map(([accountId, supportLevel], i) => [accountId, { assetId: `AS-000${i + 1}`, accountId, supportLevel: supportLevel ?? 'basic' }]));
}

/** A rating input with a USD payer, markups 1, every account of the groups subscribed on basic. */
export function input(groups: CurGroup[], over: Partial<RatePayerInput> = {}): RatePayerInput {
  const accounts = [...new Set(groups.map((g) => g.accountId))];
  return {
    payer: { accountId: PAYER },
    period: PERIOD,
    settings: defaultSettings,
    groups,
    subscriptions: subs(...accounts.map((a): [string, string] => [a, 'basic'])),
    catalog,
    knownCurrencies: new Set(['USD', 'EUR', 'GBP', 'JPY']),
    ...over,
  };
}
