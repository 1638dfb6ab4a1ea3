/**
 * The audit for people: a table, JSON, or one self-contained HTML page (findings
 * grouped by severity, and each customer's plans and usage). Every value that
 * came from outside is escaped: e-mails, names and ids are untrusted.
 */
import type { OrganizationAudit } from '../app/support/audit-organization.js';
import type { Severity } from '../domain/audit.js';
import { renderTable } from './table.js';

const SEVERITIES: Severity[] = ['error', 'warning', 'info'];

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

export function auditTable(audit: OrganizationAudit): string {
  const head = `Audit of payer ${audit.payerAccountId}${audit.period ? ` · ${audit.period}` : ''} · ${audit.findings.length} finding(s)`;
  const findings =
    audit.findings.length === 0
      ? 'No findings: the organization follows the rules.'
      : renderTable(
          [{ header: 'severity' }, { header: 'rule' }, { header: 'accounts' }, { header: 'finding' }, { header: 'what to do' }],
          audit.findings.map((f) => [f.severity, f.rule, f.accounts.join(' '), f.message, f.action]),
        );
  const plans =
    audit.plans.length === 0
      ? ''
      : `\n\nPlans per customer\n${renderTable(
          [{ header: 'account' }, { header: 'asset' }, { header: 'ordered' }, { header: 'detected' }, { header: 'billed (CUR)' }, { header: 'usage USD', align: 'right' }],
          audit.plans.map((p) => [p.accountId, p.assetId ?? '-', p.ordered ?? '-', p.detected ?? '-', p.billed ?? '-', p.usageUsd]),
        )}`;
  return `${head}\n\n${findings}${plans}\n`;
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** One page, no external resources (a strict CSP meta tag forbids any). */
export function auditHtml(audit: OrganizationAudit): string {
  const groups = SEVERITIES.map((severity) => {
    const found = audit.findings.filter((f) => f.severity === severity);
    if (found.length === 0) return '';
    const rows = found.map((f) => `<tr><td>${escape(f.rule)}</td><td>${f.accounts.map(escape).join('<br>')}</td><td>${escape(f.message)}</td><td>${escape(f.action)}</td></tr>`).join('\n');
    return `<h2 class="${severity}">${escape(severity)} (${found.length})</h2>
<table class="findings" data-severity="${severity}"><thead><tr><th>rule</th><th>accounts</th><th>finding</th><th>what to do</th></tr></thead><tbody>
${rows}
</tbody></table>`;
  }).join('\n');
  const plans = audit.plans
    .map((p) => `<tr><td>${escape(p.accountId)}</td><td>${escape(p.assetId ?? '-')}</td><td>${escape(p.ordered ?? '-')}</td><td>${escape(p.detected ?? '-')}</td><td>${escape(p.billed ?? '-')}</td><td class="num">${escape(p.usageUsd)}</td></tr>`)
    .join('\n');
  const title = `Audit of payer ${escape(audit.payerAccountId)}${audit.period ? ` · ${escape(audit.period)}` : ''}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${title}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:0 0 1.5rem;width:100%}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.num{text-align:right;font-variant-numeric:tabular-nums}
h2.error{color:#a40000}h2.warning{color:#8a5a00}h2.info{color:#1f4e79}
</style></head><body>
<h1>${title}</h1>
<p>Generated ${escape(audit.generatedAt)} · ${audit.findings.length} finding(s)</p>
${audit.findings.length === 0 ? '<p id="no-findings">No findings: the organization follows the rules.</p>' : groups}
<h2>Plans per customer</h2>
<table id="plans"><thead><tr><th>account</th><th>asset</th><th>ordered</th><th>detected</th><th>billed (CUR)</th><th>usage USD</th></tr></thead><tbody>
${plans}
</tbody></table>
</body></html>
`;
}
