/** `auditOrganization()` over stand-ins: the month's CUR read as a stream of batches. */
import { describe, expect, it } from 'vitest';
import catalogJson from '../../../config/support-plans.json' with { type: 'json' };
import type { CurAggregate, CurAggregateRequest, CurSource } from '../../../src/app/ports.js';
import { auditOrganization, type MemberPlan } from '../../../src/app/support/audit-organization.js';
import type { CurGroup } from '../../../src/domain/cur.js';
import type { SupportCatalog } from '../../../src/domain/support-fee.js';
import { payerOrganization as organization } from '../../support/payer-organization.js';

const PAYER = '111111111111';
const OTHER_PAYER = '999999999999';
const catalog = catalogJson as unknown as SupportCatalog;
const signal = new AbortController().signal;
const now = (): Date => new Date('2026-11-05T00:00:00Z');

function group(accountId: string, productCode: string, unblendedUsd: string, over: Partial<CurGroup> = {}): CurGroup {
  return {
    payerAccountId: PAYER,
    periodStart: '2026-10-01',
    accountId,
    lineItemType: 'Usage',
    productCode,
    billingEntity: 'AWS',
    currencyCode: 'USD',
    reservationFee: false,
    usageType: '',
    productName: '',
    rows: 1,
    invoicedRows: 0,
    unblendedUsd,
    onDemandListUsd: unblendedUsd,
    maxUnblendedUsd: unblendedUsd,
    ...over,
  };
}

/** A CUR source handing its groups over in the given batches, readable once, that tells how often it was read. */
class BatchedCur implements CurSource {
  reads = 0;
  requests: CurAggregateRequest[] = [];
  constructor(private readonly batches: readonly (readonly CurGroup[])[]) {}
  async aggregate(request: CurAggregateRequest): Promise<CurAggregate> {
    this.requests.push(request);
    const batches = this.batches;
    const self = this;
    return {
      source: 'stand-in',
      tellsFinality: false,
      groups: (async function* () {
        self.reads += 1;
        for (const batch of batches) yield batch;
      })(),
    };
  }
}

describe('auditOrganization()', () => {
  it('sums each account of the payer and names the plan its support rows billed, over batches that split an account', async () => {
    const cur = new BatchedCur([
      [group('222222222201', 'AmazonEC2', '10.10'), group('222222222201', 'AmazonS3', '0.015')],
      [group('222222222201', 'AWSSupportBusiness', '100', { maxUnblendedUsd: '100' }), group('222222222202', 'AmazonEC2', '5')],
      // The largest single support row decides the plan: enterprise (300) over business (200 in one sum of two rows of 100 at most).
      [group('222222222202', 'AWSSupportBusiness', '200', { maxUnblendedUsd: '100' }), group('222222222202', 'AWSSupportEnterprise', '300', { maxUnblendedUsd: '300' })],
      [],
      // Another payer's groups (a local file of two payers) are not this payer's usage.
      [group('222222222201', 'AmazonEC2', '1000', { payerAccountId: OTHER_PAYER })],
    ]);
    const audit = await auditOrganization(
      { organizations: organization('222222222201', '222222222202').of(PAYER), cur, catalog, now },
      { payer: { accountId: PAYER, providerDomains: [] }, subscriptions: [], period: '2026-10', signal },
    );
    expect(audit.plans).toEqual([
      { accountId: '222222222201', billed: 'business', usageUsd: '110.115' },
      { accountId: '222222222202', billed: 'enterprise', usageUsd: '505' },
    ]);
    expect(audit.usageTotalUsd).toBe('615.115');
    expect(cur.reads).toBe(1);
    expect(cur.requests.map((r) => [r.period, r.listPrice, r.granularity])).toEqual([['2026-10', 'unblended', 'service']]);
  });

  it('keeps an account billed in the CUR but not in the organization, with its usage', async () => {
    const cur = new BatchedCur([[group('555555555555', 'AmazonEC2', '7.5'), group('555555555555', 'AWSDeveloperSupport', '29')]]);
    const audit = await auditOrganization(
      { organizations: organization().of(PAYER), cur, catalog, now },
      { payer: { accountId: PAYER, providerDomains: [] }, subscriptions: [], period: '2026-10', signal },
    );
    expect(audit.plans).toEqual([{ accountId: '555555555555', billed: 'developer', usageUsd: '36.5' }]);
    expect(audit.findings.find((f) => f.rule === 'usage-without-subscription')?.accounts).toEqual(['555555555555']);
  });

  it('carries each detected plan\u2019s evidence and the customer\u2019s name, and groups the plans not told by cause', async () => {
    const checkedAt = '2026-11-05T00:00:00.000Z';
    const refused = { reason: 'the payer may not assume PartnerReadOnlySupportRole (AccessDenied): the role is missing', error: 'AccessDenied: not authorized', cause: 'role-not-assumable' as const, checkedAt };
    const detect = async (accounts: string[]): Promise<Map<string, MemberPlan>> =>
      new Map(
        accounts.map((a): [string, MemberPlan] =>
          a === '222222222201'
            ? [a, { plan: 'business', evidence: { codes: ['low', 'normal', 'high', 'urgent'], reason: 'urgent', checkedAt } }]
            : [a, { plan: 'unknown', evidence: refused }],
        ),
      );
    const audit = await auditOrganization(
      { organizations: organization('222222222201', '222222222202', '222222222203').of(PAYER), catalog, now, detect },
      {
        payer: { accountId: PAYER, providerDomains: [], supportRoleName: 'PartnerReadOnlySupportRole' },
        subscriptions: [{ assetId: 'AS-1', accountId: '222222222201', supportLevel: 'business', status: 'active', customer: 'Acme GmbH' }],
        signal,
      },
    );
    expect(audit.plans).toEqual([
      { accountId: '222222222201', customer: 'Acme GmbH', assetId: 'AS-1', ordered: 'business', detected: 'business', evidence: { codes: ['low', 'normal', 'high', 'urgent'], reason: 'urgent', checkedAt }, usageUsd: '0' },
      { accountId: '222222222202', detected: 'unknown', evidence: refused, usageUsd: '0' },
      { accountId: '222222222203', detected: 'unknown', evidence: refused, usageUsd: '0' },
    ]);
    const undetectable = audit.findings.filter((f) => f.rule === 'plan-undetectable');
    expect(undetectable.map((f) => [f.cause, f.accounts])).toEqual([['role-not-assumable', ['222222222202', '222222222203']]]);
    expect(undetectable[0]?.action).toContain('deploy the role template');
  });

  it('reads no CUR without a period', async () => {
    const cur = new BatchedCur([[group('222222222201', 'AmazonEC2', '1')]]);
    const audit = await auditOrganization(
      { organizations: organization('222222222201').of(PAYER), cur, catalog, now },
      { payer: { accountId: PAYER, providerDomains: [] }, subscriptions: [], signal },
    );
    expect(audit.plans).toEqual([{ accountId: '222222222201', usageUsd: '0' }]);
    expect(audit.usageTotalUsd).toBe('0');
    expect(cur.requests).toEqual([]);
  });
});
