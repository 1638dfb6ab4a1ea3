/**
 * The audit for people: a table, JSON, or one self-contained HTML page (findings
 * grouped by severity, and each customer's plans, the evidence of each detected
 * plan and the month's usage with its total). Every value that came from
 * outside is escaped: e-mails, names, ids and AWS's error messages are
 * untrusted. Display only: amounts are rounded to the cent and grouped in
 * thousands here; the JSON keeps them exact.
 */
import type { OrganizationAudit, PlanComparison } from '../app/support/audit-organization.js';
import type { Finding, Severity } from '../domain/audit.js';
import type { PlanEvidence } from '../domain/support-detection.js';
import { showAmount } from './summary.js';
import { renderTable } from './table.js';

const SEVERITIES: Severity[] = ['error', 'warning', 'info'];
/** The usage is USD, shown to the cent. */
const USD_DECIMALS = 2;

/** The `--format`s of `audit`. */
export const AUDIT_FORMATS = ['table', 'json', 'html'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];

export function isAuditFormat(text: string): text is AuditFormat {
  return (AUDIT_FORMATS as readonly string[]).includes(text);
}

/** The audit as `format` prints it: JSON (2-space indent), the HTML page or the table; each ends with a newline. */
export function renderAudit(audit: OrganizationAudit, format: AuditFormat): string {
  if (format === 'json') return `${JSON.stringify(audit, null, 2)}\n`;
  return format === 'html' ? auditHtml(audit) : auditTable(audit);
}

/** What stdout says when the audit went to a file: the table's first line, and where. */
export function writtenNote(audit: OrganizationAudit, path: string): string {
  return `${auditTable(audit).split('\n')[0] ?? ''}\nwritten: ${path}\n`;
}

/** A finding's rule, with the cause of a `plan-undetectable` one. */
const ruleText = (f: Finding): string => (f.cause === undefined ? f.rule : `${f.rule} (${f.cause})`);

/**
 * One line of evidence: the severity codes DescribeSeverityLevels returned (and
 * why they tell no plan, when they do not), or why the plan could not be told
 * with AWS's error; '-' when the plan came without evidence (not detected).
 */
export function evidenceText(evidence: PlanEvidence | undefined): string {
  if (evidence === undefined) return '-';
  if (evidence.codes !== undefined) {
    const codes = `severity codes: ${evidence.codes.length > 0 ? evidence.codes.join(', ') : 'none'}`;
    return evidence.cause === undefined ? codes : `${codes} (${evidence.reason})`;
  }
  return evidence.error === undefined ? evidence.reason : `${evidence.reason} [AWS: ${evidence.error}]`;
}

const accountsLabel = (n: number): string => `${n} account${n === 1 ? '' : 's'}`;

export function auditTable(audit: OrganizationAudit): string {
  const head = `Audit of payer ${audit.payerAccountId}${audit.period ? ` · ${audit.period}` : ''} · ${audit.findings.length} finding(s)`;
  const findings =
    audit.findings.length === 0
      ? 'No findings: the organization follows the rules.'
      : renderTable(
          [{ header: 'severity' }, { header: 'rule' }, { header: 'accounts' }, { header: 'finding' }, { header: 'what to do' }],
          audit.findings.map((f) => [f.severity, ruleText(f), f.accounts.join(' '), f.message, f.action]),
        );
  const rows = audit.plans.map((p) => [p.accountId, p.customer ?? '-', p.assetId ?? '-', p.ordered ?? '-', p.detected ?? '-', p.billed ?? '-', showAmount(p.usageUsd, USD_DECIMALS), evidenceText(p.evidence)]);
  const plans =
    audit.plans.length === 0
      ? ''
      : `\n\nPlans per customer\n${renderTable(
          [
            { header: 'account' },
            { header: 'customer' },
            { header: 'asset' },
            { header: 'ordered' },
            { header: 'detected' },
            { header: 'billed (CUR)' },
            { header: 'usage USD', align: 'right' },
            { header: 'evidence of the detected plan' },
          ],
          [...rows, [`total (${accountsLabel(audit.plans.length)})`, '', '', '', '', '', showAmount(audit.usageTotalUsd, USD_DECIMALS), '']],
        )}`;
  return `${head}\n\n${findings}${plans}\n`;
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The evidence cell of the page: the codes, or the reason and AWS's error, each on its own line. */
function evidenceHtml(evidence: PlanEvidence | undefined): string {
  if (evidence === undefined) return '-';
  const lines: string[] = [];
  if (evidence.codes !== undefined) lines.push(`severity codes: <code>${evidence.codes.length > 0 ? evidence.codes.map(escape).join(', ') : 'none'}</code>`);
  if (evidence.codes === undefined || evidence.cause !== undefined) lines.push(escape(evidence.reason));
  if (evidence.error !== undefined) lines.push(`AWS: <code>${escape(evidence.error)}</code>`);
  return `<div class="evidence"${evidence.cause ? ` data-cause="${escape(evidence.cause)}"` : ''}>${lines.join('<br>')}<br><small>checked ${escape(evidence.checkedAt)}</small></div>`;
}

function planRow(p: PlanComparison): string {
  const cells = [
    `<td>${escape(p.accountId)}</td>`,
    `<td class="customer">${escape(p.customer ?? '-')}</td>`,
    `<td>${escape(p.assetId ?? '-')}</td>`,
    `<td>${escape(p.ordered ?? '-')}</td>`,
    `<td>${escape(p.detected ?? '-')}</td>`,
    `<td>${escape(p.billed ?? '-')}</td>`,
    `<td class="num">${escape(showAmount(p.usageUsd, USD_DECIMALS))}</td>`,
    `<td>${evidenceHtml(p.evidence)}</td>`,
  ];
  return `<tr data-account="${escape(p.accountId)}">${cells.join('')}</tr>`;
}

/** The counts above the tables: accounts, each detected plan, the plans not told, the findings. */
function totalsHtml(audit: OrganizationAudit): string {
  const counts = new Map<string, number>();
  for (const p of audit.plans) {
    const key = p.detected ?? 'not detected';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const undetectable = audit.findings.filter((f) => f.rule === 'plan-undetectable').reduce((n, f) => n + f.accounts.length, 0);
  const bySeverity = SEVERITIES.map((s) => `${audit.findings.filter((f) => f.severity === s).length} ${s}`).join(', ');
  const plans = [...counts].map(([plan, n]) => `${escape(plan)} ${n}`).join(' · ');
  return `<ul id="totals">
<li>${accountsLabel(audit.plans.length)} · usage <span id="usage-total">${escape(showAmount(audit.usageTotalUsd, USD_DECIMALS))}</span> USD</li>
<li>detected plans: ${plans === '' ? 'none' : plans}</li>${undetectable > 0 ? `\n<li>plans not detectable: ${accountsLabel(undetectable)} (plan-undetectable, with what to do)</li>` : ''}
<li>${audit.findings.length} finding(s): ${bySeverity}</li>
</ul>`;
}

/** One page, no external resources (a strict CSP meta tag forbids any). */
export function auditHtml(audit: OrganizationAudit): string {
  const groups = SEVERITIES.map((severity) => {
    const found = audit.findings.filter((f) => f.severity === severity);
    if (found.length === 0) return '';
    const rows = found
      .map(
        (f) =>
          `<tr data-rule="${escape(f.rule)}"${f.cause ? ` data-cause="${escape(f.cause)}"` : ''}><td>${escape(f.rule)}${f.cause ? `<br><small>${escape(f.cause)}</small>` : ''}</td><td>${f.accounts.map(escape).join('<br>')}</td><td>${escape(f.message)}</td><td>${escape(f.action)}</td></tr>`,
      )
      .join('\n');
    return `<h2 class="${severity}">${escape(severity)} (${found.length})</h2>
<table class="findings" data-severity="${severity}"><thead><tr><th>rule</th><th>accounts</th><th>finding</th><th>what to do</th></tr></thead><tbody>
${rows}
</tbody></table>`;
  }).join('\n');
  const plans = audit.plans.map(planRow).join('\n');
  const title = `Audit of payer ${escape(audit.payerAccountId)}${audit.period ? ` · ${escape(audit.period)}` : ''}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${title}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:0 0 1.5rem;width:100%}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tfoot th{background:#fafafa}small{color:#666}code{font-size:12px}
h2.error{color:#a40000}h2.warning{color:#8a5a00}h2.info{color:#1f4e79}
</style></head><body>
<h1>${title}</h1>
<p>Generated ${escape(audit.generatedAt)} · ${audit.findings.length} finding(s)</p>
${totalsHtml(audit)}
${audit.findings.length === 0 ? '<p id="no-findings">No findings: the organization follows the rules.</p>' : groups}
<h2>Plans per customer</h2>
<table id="plans"><thead><tr><th>account</th><th>customer</th><th>asset</th><th>ordered</th><th>detected</th><th>billed (CUR)</th><th>usage USD</th><th>evidence of the detected plan</th></tr></thead><tbody>
${plans}
</tbody><tfoot><tr><th colspan="6">total (${accountsLabel(audit.plans.length)})</th><td class="num" id="plans-usage-total">${escape(showAmount(audit.usageTotalUsd, USD_DECIMALS))}</td><td></td></tr></tfoot></table>
</body></html>
`;
}
