/**
 * The audit page as a browser renders it: headless Chromium (Debian's
 * `chromium` package) takes a screenshot and dumps the DOM, which must hold the
 * findings table. Fails, saying what to install, where Chromium is missing
 * (Debian's chromium; .ci/run installs it).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { auditHtml } from '../../src/cli/audit-output.js';
import { tempDir } from '../support/run-cli.js';

const CHROMIUM = '/usr/bin/chromium';
const run = promisify(execFile);
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('the audit page in headless Chromium', () => {
  it('renders with its findings table, the evidence, the customers and the totals, and a screenshot is taken', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y --no-install-recommends chromium); .ci/run does`).toBe(true);
    const dir = await tempDir();
    const page = join(dir, 'audit.html');
    await writeFile(
      page,
      auditHtml({
        payerAccountId: '111111111111',
        period: '2026-10',
        generatedAt: '2026-11-26T12:00:00.000Z',
        findings: [
          { rule: 'member-plan-not-allowed', severity: 'error', accounts: ['222222222201'], message: 'a payer on business support allows member plans basic, developer, business', action: 'change the plan' },
          { rule: 'plan-mismatch', severity: 'warning', accounts: ['444444444444'], message: '444444444444 ordered business, detected -, billed enterprise', action: 'set the plan' },
          { rule: 'plan-undetectable', cause: 'role-not-assumable', severity: 'warning', accounts: ['555555555555'], message: 'support plan not detected in 1 account(s)', action: 'deploy the role template' },
        ],
        plans: [
          { accountId: '222222222201', customer: 'Acme GmbH', detected: 'enterprise-class', evidence: { codes: ['low', 'normal', 'high', 'urgent', 'critical'], reason: 'critical', checkedAt: '2026-11-26T11:00:00.000Z' }, usageUsd: '12000.5' },
          { accountId: '444444444444', customer: 'Globex', assetId: 'AS-0001-0003', ordered: 'business', billed: 'enterprise', usageUsd: '3174.314' },
          {
            accountId: '555555555555',
            detected: 'unknown',
            evidence: { reason: 'the payer may not assume PartnerReadOnlySupportRole (AccessDenied): the role is missing', error: 'AccessDenied: not authorized', cause: 'role-not-assumable', checkedAt: '2026-11-26T11:00:00.000Z' },
            usageUsd: '0',
          },
        ],
        usageTotalUsd: '15174.814',
      }),
    );
    const profile = join(dir, 'profile');
    const shot = join(dir, 'audit.png');
    await run(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, `--screenshot=${shot}`, '--window-size=1200,900', `file://${page}`], { timeout: 60_000 });
    const png = await readFile(shot);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.length).toBeGreaterThan(5_000);
    const { stdout } = await run(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, '--dump-dom', `file://${page}`], { timeout: 60_000, maxBuffer: 10_000_000 });
    expect(stdout).toContain('<table class="findings" data-severity="error">');
    expect(stdout).toContain('member-plan-not-allowed');
    expect(stdout).toContain('<table id="plans">');
    expect(stdout).toContain('<td class="num" id="plans-usage-total">15,174.81</td>');
    expect(stdout).toContain('<span id="usage-total">15,174.81</span>');
    expect(stdout).toContain('<td class="num">12,000.50</td>');
    expect(stdout).toContain('<td class="customer">Globex</td>');
    expect(stdout).toContain('severity codes: <code>low, normal, high, urgent, critical</code>');
    expect(stdout).toContain('the payer may not assume PartnerReadOnlySupportRole (AccessDenied)');
    expect(stdout).toContain('<tr data-rule="plan-undetectable" data-cause="role-not-assumable">');
  });
});
