import { describe, expect, it } from 'vitest';
import { auditHtml, auditTable, evidenceText, renderAudit } from '../../src/cli/audit-output.js';
import type { OrganizationAudit, PlanComparison } from '../../src/app/support/audit-organization.js';
import { auditPayer, type AuditMember } from '../../src/domain/audit.js';
import { planFromError, type PlanEvidence, type UndetectableCause } from '../../src/domain/support-detection.js';

const PAYER = '111111111111';
const CHECKED = '2026-11-05T10:00:00.000Z';
const ROLE_ARN = (account: string) => `arn:aws:iam::${account}:role/PartnerReadOnlySupportRole`;

const audit: OrganizationAudit = {
  payerAccountId: PAYER,
  period: '2026-10',
  generatedAt: '2026-11-26T12:00:00.000Z',
  findings: [
    { rule: 'email-domain', severity: 'error', accounts: ['222222222222'], message: 'e-mail <script>alert(1)</script>@x breaks SPAM', action: 'change it' },
    { rule: 'invitation-stale', severity: 'warning', accounts: ['333333333333'], message: 'not accepted', action: 'remind' },
  ],
  plans: [{ accountId: '222222222222', assetId: 'AS-1', ordered: 'business', detected: 'business', billed: 'business', usageUsd: '10.5' }],
  usageTotalUsd: '10.5',
};

/** A refusal's evidence as the detector builds it: the domain's sentence and cause, AWS's error. */
function refusal(account: string, name: string, step: 'assume-role' | 'describe-severity-levels', message: string): PlanEvidence {
  const verdict = planFromError(name, { step, roleArn: ROLE_ARN(account) });
  return { error: `${name}: ${message}`, reason: verdict.evidence, ...(verdict.cause ? { cause: verdict.cause } : {}), checkedAt: CHECKED };
}

/** One member per kind of evidence: codes, and each refusal the audit groups. */
const REFUSALS: Array<[string, string, 'assume-role' | 'describe-severity-levels', string, UndetectableCause]> = [
  ['222222222202', 'AccessDenied', 'assume-role', `User: arn:aws:sts::${PAYER}:assumed-role/payer/x is not authorized to perform: sts:AssumeRole on resource: ${ROLE_ARN('222222222202')}`, 'role-not-assumable'],
  ['222222222203', 'AccessDeniedException', 'describe-severity-levels', 'User is not authorized to perform: support:DescribeSeverityLevels', 'support-api-denied'],
  ['222222222204', 'SubscriptionRequiredException', 'describe-severity-levels', 'AWS Premium Support Subscription is required to use this service.', 'subscription-required'],
  ['222222222205', 'ThrottlingException', 'describe-severity-levels', 'Rate exceeded', 'throttled-or-unavailable'],
  ['222222222206', 'AccessDenied', 'assume-role', 'not authorized', 'role-not-assumable'],
];

function explained(): OrganizationAudit {
  const plans: PlanComparison[] = [
    {
      accountId: '222222222201',
      customer: 'Acme <GmbH>',
      assetId: 'AS-1',
      ordered: 'business',
      detected: 'business',
      evidence: { codes: ['low', 'normal', 'high', 'urgent'], reason: "the account's highest severity is urgent", checkedAt: CHECKED },
      billed: 'business',
      usageUsd: '1234567.005',
    },
    ...REFUSALS.map(([account, name, step, message], i): PlanComparison => {
      const evidence = refusal(account, name, step, message);
      return { accountId: account, customer: `Customer ${i + 2}`, detected: name === 'SubscriptionRequiredException' ? 'basic-or-developer' : 'unknown', evidence, usageUsd: '0.004' };
    }),
  ];
  const members: AuditMember[] = [
    { accountId: PAYER, email: 'payer@example.com', state: 'ACTIVE' },
    ...plans.map((p): AuditMember => ({ accountId: p.accountId, email: `${p.accountId}@example.com`, state: 'ACTIVE', ...(p.detected ? { detectedPlan: p.detected } : {}), ...(p.evidence?.cause ? { undetectable: p.evidence.cause } : {}) })),
  ];
  const findings = auditPayer({ payerAccountId: PAYER, providerDomains: [], members, subscriptions: [], usageUsd: new Map(), invitations: [], today: '2026-11-26' });
  return { payerAccountId: PAYER, period: '2026-10', generatedAt: '2026-11-26T12:00:00.000Z', findings, plans, usageTotalUsd: '1234567.025' };
}

describe('audit output', () => {
  it('prints a findings table and the plans per customer', () => {
    const text = auditTable(audit);
    expect(text).toContain('Audit of payer 111111111111 · 2026-10 · 2 finding(s)');
    expect(text).toMatch(/error\s+email-domain\s+222222222222/);
    expect(text).toMatch(/222222222222\s+-\s+AS-1\s+business\s+business\s+business\s+10\.50/);
    expect(text).toMatch(/total \(1 account\)\s+10\.50/);
  });

  it('writes one self-contained page grouped by severity, with every outside value escaped', () => {
    const html = auditHtml(audit);
    expect(html).toContain('<table class="findings" data-severity="error">');
    expect(html).toContain('<table class="findings" data-severity="warning">');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toMatch(/(src|href)=/);
    expect(html).toContain("default-src 'none'");
  });
});

describe('the evidence of each plan', () => {
  it('shows the severity codes of a detected plan in the table, the JSON and the page', () => {
    const a = explained();
    const row = auditTable(a).split('\n').find((l) => l.startsWith('222222222201'));
    expect(row).toContain('severity codes: low, normal, high, urgent');
    const json = JSON.parse(renderAudit(a, 'json')) as OrganizationAudit;
    expect(json.plans[0]?.evidence).toEqual({ codes: ['low', 'normal', 'high', 'urgent'], reason: "the account's highest severity is urgent", checkedAt: CHECKED });
    expect(auditHtml(a)).toMatch(/<tr data-account="222222222201">.*severity codes: <code>low, normal, high, urgent<\/code>/);
  });

  it.each(REFUSALS.slice(0, 4))('shows why the plan of %s was not told (%s at %s) in the table, the JSON and the page', (account, name, _step, message, cause) => {
    const a = explained();
    const plan = a.plans.find((p) => p.accountId === account);
    const reason = plan?.evidence?.reason ?? '';
    expect(reason).not.toBe('');
    const row = auditTable(a).split('\n').find((l) => l.startsWith(account));
    expect(row).toContain(`${reason} [AWS: ${name}: ${message}]`);
    const json = JSON.parse(renderAudit(a, 'json')) as OrganizationAudit;
    expect(json.plans.find((p) => p.accountId === account)?.evidence).toMatchObject({ error: `${name}: ${message}`, reason, cause, checkedAt: CHECKED });
    const html = auditHtml(a);
    const cell = new RegExp(`<tr data-account="${account}">.*<div class="evidence" data-cause="${cause}">([^\\n]*)</div>`).exec(html)?.[1] ?? '';
    expect(cell).toContain(reason.replace(/'/g, '&#39;'));
    expect(cell).toContain(`AWS: <code>${name}: ${message}</code>`);
  });

  it('says "the payer may not assume PartnerReadOnlySupportRole (AccessDenied)" for a refused role', () => {
    expect(evidenceText(explained().plans.find((p) => p.accountId === '222222222202')?.evidence)).toMatch(/^the payer may not assume PartnerReadOnlySupportRole \(AccessDenied\): the role arn:aws:iam::222222222202:role\/PartnerReadOnlySupportRole is missing/);
  });

  it('shows "-" for a plan that came without evidence', () => {
    expect(evidenceText(undefined)).toBe('-');
  });
});

describe('the plan-undetectable finding', () => {
  it('groups the accounts by reason, each with what to do, in the table, the JSON and the page', () => {
    const a = explained();
    const groups = a.findings.filter((f) => f.rule === 'plan-undetectable').map((f) => [f.cause, f.accounts]);
    expect(groups).toEqual([
      ['role-not-assumable', ['222222222202', '222222222206']],
      ['support-api-denied', ['222222222203']],
      ['throttled-or-unavailable', ['222222222205']],
      ['subscription-required', ['222222222204']],
    ]);
    const table = auditTable(a);
    expect(table).toMatch(/warning\s+plan-undetectable \(role-not-assumable\)\s+222222222202 222222222206\s+support plan not detected in 2 account\(s\): the payer may not assume PartnerReadOnlySupportRole \(AccessDenied\)/);
    expect(table).toContain('deploy the role template config/cloudformation/partner-read-only-support-role.yaml');
    expect(table).toContain('attach the AWS managed policy SupportUser (arn:aws:iam::aws:policy/job-function/SupportUser)');
    const json = JSON.parse(renderAudit(a, 'json')) as OrganizationAudit;
    expect(json.findings.find((f) => f.cause === 'support-api-denied')).toMatchObject({ rule: 'plan-undetectable', severity: 'warning', accounts: ['222222222203'] });
    const html = auditHtml(a);
    const row = /<tr data-rule="plan-undetectable" data-cause="role-not-assumable">(.*)<\/tr>/.exec(html)?.[1] ?? '';
    expect(row).toContain('222222222202<br>222222222206');
    expect(row).toContain('deploy the role template config/cloudformation/partner-read-only-support-role.yaml');
    expect(html).toMatch(/<table class="findings" data-severity="info">[\s\S]*data-cause="subscription-required"/);
  });
});

describe('the audit page', () => {
  it('rounds each usage to the cent, grouped in thousands, and shows the total and the customers\u2019 names', () => {
    const html = auditHtml(explained());
    expect(html).toMatch(/<tr data-account="222222222201"><td>222222222201<\/td><td class="customer">Acme &lt;GmbH&gt;<\/td>.*<td class="num">1,234,567.01<\/td>/);
    expect(html).toMatch(/<tr data-account="222222222205">.*<td class="customer">Customer 5<\/td>.*<td class="num">0.00<\/td>/);
    expect(html).toContain('<td class="num" id="plans-usage-total">1,234,567.03</td>');
    expect(html).toContain('total (6 accounts)');
    expect(html).toContain('6 accounts · usage <span id="usage-total">1,234,567.03</span> USD');
    expect(html).toContain('<li>detected plans: business 1 · unknown 4 · basic-or-developer 1</li>');
    expect(html).toContain('<li>plans not detectable: 5 accounts (plan-undetectable, with what to do)</li>');
    expect(html).not.toContain('1234567.005');
  });

  it('keeps the exact amounts in the JSON', () => {
    const json = JSON.parse(renderAudit(explained(), 'json')) as OrganizationAudit;
    expect(json.plans[0]?.usageUsd).toBe('1234567.005');
    expect(json.usageTotalUsd).toBe('1234567.025');
  });
});
