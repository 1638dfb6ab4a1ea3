/** `auditOrganization()` with the payer's billing transfers (issue 13): the transfers given in, the findings out. */
import { describe, expect, it } from 'vitest';
import catalogJson from '../../../config/support-plans.json' with { type: 'json' };
import { auditOrganization } from '../../../src/app/support/audit-organization.js';
import type { AuditSubscription } from '../../../src/domain/audit.js';
import type { SupportCatalog } from '../../../src/domain/support-fee.js';
import { payerOrganization as organization } from '../../support/payer-organization.js';

const PAYER = '111111111111';
const SOURCE = '777788889999';
const catalog = catalogJson as unknown as SupportCatalog;
const signal = new AbortController().signal;
const now = (): Date => new Date('2026-11-26T12:00:00Z');
const transferSub: AuditSubscription = { assetId: 'AS-BT', accountId: SOURCE, supportLevel: 'business', status: 'active', accountType: 'billing-transfer' };

describe('auditOrganization(): billing transfers', () => {
  it('reports a stale invitation and a subscription without a transfer, and no "account left" for the transferred organization', async () => {
    const audit = await auditOrganization(
      { organizations: organization().of(PAYER), catalog, now },
      {
        payer: { accountId: PAYER, providerDomains: [] },
        subscriptions: [transferSub, { ...transferSub, assetId: 'AS-BT2', accountId: '555566667777' }],
        transfers: [{ id: 'rt-1', status: 'REQUESTED', sourceManagementAccountId: SOURCE, startTimestamp: '2026-12-01T00:00:00Z', requestedAt: '2026-11-10T08:00:00Z' }],
        inviteStaleDays: 7,
        signal,
      },
    );
    expect(audit.findings.map((f) => [f.rule, f.accounts])).toEqual([
      ['subscription-without-transfer', ['555566667777']],
      ['transfer-stale', [SOURCE]],
    ]);
  });

  it('without transfers given, audits as before', async () => {
    const audit = await auditOrganization({ organizations: organization().of(PAYER), catalog, now }, { payer: { accountId: PAYER, providerDomains: [] }, subscriptions: [transferSub], signal });
    expect(audit.findings).toEqual([]);
  });
});
