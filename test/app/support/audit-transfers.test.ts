/** `auditOrganization()` with the payer's billing transfers (issue 13): the transfers given in, the findings out. */
import { describe, expect, it } from 'vitest';
import catalogJson from '../../../config/support-plans.json' with { type: 'json' };
import { auditOrganization } from '../../../src/app/support/audit-organization.js';
import type { OrganizationsPort, ResponsibilityTransfer, ResponsibilityTransfersPort } from '../../../src/app/orders/ports.js';
import type { AuditSubscription } from '../../../src/domain/audit.js';
import { ConnectorError } from '../../../src/domain/errors.js';
import type { SupportCatalog } from '../../../src/domain/support-fee.js';
import { payerOrganization as organization } from '../../support/payer-organization.js';

const PAYER = '111111111111';
const SOURCE = '777788889999';
const catalog = catalogJson as unknown as SupportCatalog;
const signal = new AbortController().signal;
const now = (): Date => new Date('2026-11-26T12:00:00Z');
const transferSub: AuditSubscription = { assetId: 'AS-BT', accountId: SOURCE, supportLevel: 'business', status: 'active', accountType: 'billing-transfer' };

/** The stand-in organization of the payer, offering billing transfers that answer `list`. */
function withTransfers(list: () => Promise<ResponsibilityTransfer[]>): OrganizationsPort {
  const unused = (): never => {
    throw new Error('not used by the audit');
  };
  const transfers: ResponsibilityTransfersPort = { listInboundTransfers: list, inviteToTransferBilling: unused, describeTransfer: unused, terminateTransfer: unused };
  return Object.assign(Object.create(organization().of(PAYER)) as OrganizationsPort, transfers);
}

describe('auditOrganization(): billing transfers', () => {
  it("lists the payer's inbound transfers when its Organizations offers them, and audits them", async () => {
    const audit = await auditOrganization(
      {
        organizations: withTransfers(async () => [
          { id: 'rt-a', name: 'Customer A', status: 'ACCEPTED', sourceAccountId: '555566667777', startAt: '2026-11-01T00:00:00Z' },
          { id: 'rt-d', name: 'Customer D', status: 'DECLINED', sourceAccountId: SOURCE, startAt: '2026-12-01T00:00:00Z' },
        ]),
        catalog,
        now,
      },
      { payer: { accountId: PAYER, providerDomains: [] }, subscriptions: [transferSub], signal },
    );
    expect(audit.findings.map((f) => [f.rule, f.accounts])).toEqual([
      ['transfer-without-subscription', ['555566667777']],
      ['subscription-without-transfer', [SOURCE]],
      ['transfer-ended', [SOURCE]],
    ]);
  });

  it('reports a role that may not list the transfers, and audits the rest', async () => {
    const audit = await auditOrganization(
      {
        organizations: withTransfers(async () => {
          throw new ConnectorError('AWS_ACCESS_DENIED', 'ListInboundResponsibilityTransfers: AccessDeniedException: not authorized');
        }),
        catalog,
        now,
      },
      { payer: { accountId: PAYER, providerDomains: [] }, subscriptions: [transferSub], signal },
    );
    const found = audit.findings.find((f) => f.rule === 'transfers-unlisted');
    expect(found?.message).toContain('AccessDeniedException');
    expect(audit.findings.map((f) => f.rule)).toEqual(['transfers-unlisted']);
  });

  it('any other failure of the listing fails the audit', async () => {
    const failing = withTransfers(async () => {
      throw new ConnectorError('AWS_THROTTLED', 'ListInboundResponsibilityTransfers: throttled');
    });
    await expect(auditOrganization({ organizations: failing, catalog, now }, { payer: { accountId: PAYER, providerDomains: [] }, subscriptions: [], signal })).rejects.toThrow('throttled');
  });

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
