import { describe, expect, it } from 'vitest';
import { auditHtml, auditTable } from '../../src/cli/audit-output.js';
import type { OrganizationAudit } from '../../src/app/support/audit-organization.js';

const audit: OrganizationAudit = {
  payerAccountId: '111111111111',
  period: '2026-10',
  generatedAt: '2026-11-26T12:00:00.000Z',
  findings: [
    { rule: 'email-domain', severity: 'error', accounts: ['222222222222'], message: 'e-mail <script>alert(1)</script>@x breaks SPAM', action: 'change it' },
    { rule: 'invitation-stale', severity: 'warning', accounts: ['333333333333'], message: 'not accepted', action: 'remind' },
  ],
  plans: [{ accountId: '222222222222', assetId: 'AS-1', ordered: 'business', detected: 'business', billed: 'business', usageUsd: '10.5' }],
};

describe('audit output', () => {
  it('prints a findings table and the plans per customer', () => {
    const text = auditTable(audit);
    expect(text).toContain('Audit of payer 111111111111 · 2026-10 · 2 finding(s)');
    expect(text).toMatch(/error\s+email-domain\s+222222222222/);
    expect(text).toMatch(/222222222222\s+AS-1\s+business\s+business\s+business\s+10\.5/);
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
