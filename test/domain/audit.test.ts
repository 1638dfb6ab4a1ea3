import { describe, expect, it } from 'vitest';
import { auditPayer, type AuditInput, type AuditMember } from '../../src/domain/audit.js';

const base = (over: Partial<AuditInput> = {}): AuditInput => ({
  payerAccountId: '111111111111',
  payerPlan: 'business',
  deliveryModel: 'resold',
  providerDomains: ['reseller.example'],
  members: [
    { accountId: '111111111111', email: 'payer@reseller.example', state: 'ACTIVE' },
    { accountId: '222222222222', email: 'a@customer.example', state: 'ACTIVE', detectedPlan: 'business' },
  ],
  subscriptions: [{ assetId: 'AS-1', accountId: '222222222222', supportLevel: 'business', status: 'active', deliveryModel: 'resold' }],
  usageUsd: new Map([['222222222222', '10']]),
  invitations: [],
  today: '2026-11-26',
  ...over,
});
const rules = (input: AuditInput) => auditPayer(input).map((f) => f.rule);

describe('auditPayer()', () => {
  it('finds nothing in a clean organization', () => {
    expect(auditPayer(base())).toEqual([]);
  });

  it('warns about a payer on Basic', () => {
    expect(rules(base({ payerPlan: 'basic' }))).toEqual(['payer-on-basic']);
  });

  it('flags an enterprise-class member under a Business payer, and a business member under an Enterprise payer, naming them', () => {
    const ent = base({ members: [{ accountId: '222222222222', email: 'a@x.example', state: 'ACTIVE', detectedPlan: 'enterprise-class' }], subscriptions: [{ assetId: 'AS-1', accountId: '222222222222', supportLevel: 'enterprise', status: 'active' }] });
    const found = auditPayer(ent).find((f) => f.rule === 'member-plan-not-allowed');
    expect(found?.accounts).toEqual(['222222222222']);
    expect(rules(base({ payerPlan: 'enterprise', subscriptions: [{ assetId: 'AS-1', accountId: '222222222222', supportLevel: 'business', status: 'active' }] }))).toContain('member-plan-not-allowed');
  });

  it('flags a delivery model that differs from the payer, and not one that matches', () => {
    const mixed = base({ subscriptions: [{ assetId: 'AS-1', accountId: '222222222222', supportLevel: 'business', status: 'active', deliveryModel: 'partner-led' }] });
    expect(rules(mixed)).toEqual(['delivery-model-mixed']);
  });

  it('flags member e-mails that break the SPAM model, and passes them under ECAM', () => {
    expect(rules(base({ accountModel: 'spam' }))).toEqual(['email-domain']);
    expect(rules(base({ accountModel: 'ecam' }))).toEqual([]);
  });

  it('flags usage without a subscription, with the amount', () => {
    const found = auditPayer(base({ usageUsd: new Map([['222222222222', '10'], ['333333333333', '42.50']]) })).find((f) => f.rule === 'usage-without-subscription');
    expect(found?.accounts).toEqual(['333333333333']);
    expect(found?.message).toContain('333333333333 42.50 USD');
  });

  it('flags an active subscription whose account left the organization', () => {
    expect(rules(base({ members: [{ accountId: '111111111111', email: 'payer@reseller.example', state: 'ACTIVE' }] }))).toEqual(['subscription-account-left']);
  });

  it('shows the usage of a closed account inside its countdown as expected', () => {
    const found = auditPayer(base({ subscriptions: [{ assetId: 'AS-1', accountId: '222222222222', supportLevel: 'business', status: 'active', closedAt: '2026-11-01', deliveryModel: 'resold' }] })).find((f) => f.rule === 'closed-account-usage');
    expect(found).toMatchObject({ severity: 'info', accounts: ['222222222222'] });
    expect(found?.message).toContain('222222222222 10 USD');
  });

  it('flags invitations older than inviteStaleDays, not younger ones', () => {
    expect(rules(base({ invitations: [{ accountId: '444444444444', sentOn: '2026-11-19' }] }))).toEqual(['invitation-stale']);
    expect(rules(base({ invitations: [{ accountId: '444444444444', sentOn: '2026-11-20' }] }))).toEqual([]);
  });

  it('flags a mismatch of ordered, detected and billed plans; basic-or-developer matches a developer order', () => {
    expect(rules(base({ members: [{ accountId: '222222222222', email: 'a@x.example', state: 'ACTIVE', detectedPlan: 'developer' }] }))).toEqual(['plan-mismatch']);
    const dev = base({
      members: [{ accountId: '222222222222', email: 'a@x.example', state: 'ACTIVE', detectedPlan: 'basic-or-developer' }],
      subscriptions: [{ assetId: 'AS-1', accountId: '222222222222', supportLevel: 'developer', status: 'active', deliveryModel: 'resold' }],
    });
    expect(rules(dev)).toEqual([]);
  });

  describe('plan-undetectable', () => {
    const member = (accountId: string, over: Partial<AuditMember>): AuditMember => ({ accountId, email: `${accountId}@customer.example`, state: 'ACTIVE', detectedPlan: 'unknown', ...over });
    const undetectable = (members: AuditMember[], over: Partial<AuditInput> = {}) =>
      auditPayer(base({ members: [{ accountId: '111111111111', email: 'payer@reseller.example', state: 'ACTIVE' }, ...members], subscriptions: [], usageUsd: new Map(), ...over })).filter(
        (f) => f.rule === 'plan-undetectable',
      );

    it('groups the accounts by cause, one finding each, with what to do', () => {
      const found = undetectable(
        [
          member('222222222201', { undetectable: 'role-not-assumable' }),
          member('222222222202', { undetectable: 'support-api-denied' }),
          member('222222222203', { undetectable: 'role-not-assumable' }),
          member('222222222204', { undetectable: 'throttled-or-unavailable' }),
          member('222222222205', { undetectable: 'other' }),
          member('222222222206', { undetectable: 'unrecognised-codes' }),
          member('222222222207', { detectedPlan: 'business' }),
        ],
        { supportRoleName: 'CustomerSupportReader' },
      );
      expect(found.map((f) => [f.cause, f.severity, f.accounts])).toEqual([
        ['role-not-assumable', 'warning', ['222222222201', '222222222203']],
        ['support-api-denied', 'warning', ['222222222202']],
        ['throttled-or-unavailable', 'warning', ['222222222204']],
        ['unrecognised-codes', 'warning', ['222222222206']],
        ['other', 'warning', ['222222222205']],
      ]);
      const [role, policy, later] = found;
      expect(role?.message).toBe(
        'support plan not detected in 2 account(s): the payer may not assume CustomerSupportReader (AccessDenied): the role is missing, does not trust payer 111111111111, or the external id does not match',
      );
      expect(role?.action).toContain('deploy the role template config/cloudformation/partner-read-only-support-role.yaml in each account with PayerAccountId=111111111111');
      expect(role?.action).toContain('README, "The read-only support role in member accounts"');
      expect(role?.action).toContain('RoleName is CustomerSupportReader');
      expect(policy?.action).toContain('attach the AWS managed policy SupportUser (arn:aws:iam::aws:policy/job-function/SupportUser) to CustomerSupportReader');
      expect(later?.action).toContain('run the audit again later');
    });

    it('names the default role when none is configured', () => {
      expect(undetectable([member('222222222201', { undetectable: 'role-not-assumable' })])[0]?.message).toContain('may not assume PartnerReadOnlySupportRole (AccessDenied)');
    });

    it('reports SubscriptionRequiredException as information, unless the CUR billed Basic or Developer', () => {
      const found = undetectable([
        member('222222222201', { detectedPlan: 'basic-or-developer', undetectable: 'subscription-required' }),
        member('222222222202', { detectedPlan: 'basic-or-developer', undetectable: 'subscription-required', billedPlan: 'developer' }),
      ]);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ cause: 'subscription-required', severity: 'info', accounts: ['222222222201'] });
      expect(found[0]?.message).toContain('the plan is Basic or Developer');
    });

    it('finds nothing for plans told or not asked, and never names the payer', () => {
      expect(undetectable([member('222222222201', { detectedPlan: 'business' }), { accountId: '222222222202', email: '', state: 'ACTIVE' }])).toEqual([]);
      expect(undetectable([], { members: [{ accountId: '111111111111', email: 'p@reseller.example', state: 'ACTIVE', detectedPlan: 'unknown', undetectable: 'other' }] })).toEqual([]);
    });
  });

  it('lists errors before warnings before information', () => {
    const findings = auditPayer(base({ payerPlan: 'basic', accountModel: 'spam', invitations: [{ accountId: '4', sentOn: '2026-01-01' }] }));
    expect(findings.map((f) => f.severity)).toEqual([...findings.map((f) => f.severity)].sort((a, b) => ['error', 'warning', 'info'].indexOf(a) - ['error', 'warning', 'info'].indexOf(b)));
    expect(findings[0]?.severity).toBe('error');
  });
});
