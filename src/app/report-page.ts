/**
 * report.html: the month of one payer as a person reads it, on one
 * self-contained page (no scripts, no external resources: a strict CSP meta tag
 * forbids any), that prints well. The payer and the month; the totals; the
 * reconciliation statement; the customers (by name and account id) with their
 * totals, then a table per customer of its services, support and lines in the
 * billing currency; the margin (MARGIN.md §6) when the report has one; the
 * custom lines and credits; unassigned accounts, plan mismatches, warnings and
 * errors. Amounts are rounded to the currency's decimals (USD to the cent) and
 * grouped in thousands; report.json keeps them exact. Every text is escaped:
 * names, notes and ids come from the CUR and the platform.
 *
 * Pure: the page is a function of the report's head and its accounts, given as
 * a re-readable source so a big month is rendered in chunks, never held whole
 * (the overview reads the accounts once, the per-customer tables once more).
 */
import {
  currencyDecimals,
  customerLines,
  customerName,
  marginByAccount,
  marginPercentText,
  obj,
  objects,
  shownAmount,
  text,
  total,
  USD_DECIMALS,
  type CustomerLine,
  type Json,
} from './report-view.js';
import { parseDecimal, roundAmount } from '../domain/money.js';

/** Escapes text for HTML content and double- or single-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const h = (value: unknown): string => escapeHtml(text(value));

/** The id of an account's section: `account-<id>`, the id kept to safe characters. */
export function accountAnchor(accountId: string): string {
  return `account-${accountId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

interface Formats {
  currency: string;
  decimals: number;
  /** The billing currency's amount, rounded and grouped. */
  billed: (v: unknown) => string;
  usd: (v: unknown) => string;
}

function formats(head: Json): Formats {
  const decimals = currencyDecimals(head);
  return { currency: text(head.currency), decimals, billed: (v) => escapeHtml(shownAmount(v, decimals)), usd: (v) => escapeHtml(shownAmount(v, USD_DECIMALS)) };
}

const STYLE = `
:root{color-scheme:light}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1.5rem;color:#1d1d1f}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.25rem;margin:2rem 0 .6rem;border-bottom:2px solid #1f4e79;padding-bottom:.2rem}
h3{font-size:1.05rem;margin:1.6rem 0 .3rem}.meta{color:#555;margin:.1rem 0}
nav{margin:1rem 0;font-size:.9rem}nav a{margin-right:1rem;color:#1f4e79}
.status{display:inline-block;padding:.1rem .6rem;border-radius:.8rem;font-size:.85rem;font-weight:600;vertical-align:middle}
.status.ok{background:#e3f3e6;color:#145a24}.status.failed{background:#fbe3e3;color:#8a1010}
.banner{border:2px solid #a40000;background:#fff4f4;padding:.6rem 1rem;margin:1rem 0}
dl.totals{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.6rem;margin:0}
dl.totals div{border:1px solid #d6dbe1;border-radius:.4rem;padding:.5rem .8rem}
dl.totals dt{color:#555;font-size:.85rem}dl.totals dd{margin:0;font-size:1.15rem;font-weight:600;font-variant-numeric:tabular-nums;white-space:nowrap}
table{border-collapse:collapse;width:100%;margin:.3rem 0 1rem}
th,td{border-bottom:1px solid #e1e4e8;padding:.3rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f3f5f7;border-bottom:1px solid #c9ced4;font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.section th{background:#fafbfc;color:#444;font-weight:600;font-size:.85rem}
tfoot td,tfoot th,tr.total td,tr.total th{border-top:2px solid #1d1d1f;font-weight:700}
.note{color:#8a5a00}.negative{color:#8a1010}.muted{color:#777}
.ids{color:#555;font-size:.9rem;font-weight:400}
ul.warnings li{color:#8a5a00}ul.errors li{color:#a40000}
@media print{
  body{margin:0;max-width:none;padding:0;font-size:9.5pt}
  nav{display:none}a{color:inherit;text-decoration:none}
  h2{break-after:avoid}h3{break-after:avoid}
  article.customer{break-inside:avoid-page}
  thead{display:table-header-group}tr{break-inside:avoid}
  .status,thead th,tr.section th{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  @page{margin:12mm}
}`;

function amountCell(shown: string, extra = ''): string {
  const negative = shown.startsWith('-') ? ' negative' : '';
  return `<td class="num${negative}"${extra}>${shown}</td>`;
}

function identity(entry: Json, margin: Json | undefined): { name: string; accountId: string; assetId: string } {
  return { name: customerName(entry, margin), accountId: text(entry.accountId), assetId: text(entry.assetId) };
}

function headerSection(head: Json): string {
  const status = text(head.status) || 'unknown';
  const failed = status !== 'ok';
  const payer = h(head.payerAccountId);
  const period = h(head.period);
  const errors = objects(head.errors);
  return `<header>
<h1>Monthly report · payer ${payer} · ${period} <span class="status ${failed ? 'failed' : 'ok'}" id="status">${escapeHtml(status)}</span></h1>
<p class="meta">Payer <strong id="payer">${payer}</strong> · month <strong id="period">${period}</strong> · generated ${h(head.generatedAt)}</p>
<p class="meta">Source: ${h(head.source)}</p>
${failed ? `<div class="banner" id="failed"><strong>This month failed${errors.length === 0 ? '' : ': '}</strong>${errors.map((e) => h(e.message)).join('; ')}<br>Nothing of this report was billed; the errors below say why.</div>` : ''}
</header>`;
}

function navigation(head: Json): string {
  const links: [string, string][] = [
    ['#summary', 'Summary'],
    ['#reconciliation', 'Reconciliation'],
    ['#customers', 'Customers'],
  ];
  if (obj(head.margin) !== undefined) links.push(['#margin', 'Margin']);
  if (Array.isArray(head.lines)) links.push(['#lines', 'Lines and credits']);
  links.push(['#notes', 'Warnings']);
  return `<nav>${links.map(([href, label]) => `<a href="${href}">${label}</a>`).join('')}</nav>`;
}

function summarySection(head: Json, f: Formats, customers: number): string {
  const margin = obj(head.margin);
  const totals = obj(margin?.totals);
  const cards: string[] = [
    `<div><dt>Billed (${h(head.currency)})</dt><dd id="billed-total">${f.billed(head.billedTotal)} ${h(head.currency)}</dd></div>`,
    `<div><dt>Customers</dt><dd id="customer-count">${customers}</dd></div>`,
    `<div><dt>Records</dt><dd id="record-count">${h(head.records)}</dd></div>`,
  ];
  if (head.fxRate !== undefined) cards.push(`<div><dt>Exchange rate</dt><dd>1 USD = ${h(head.fxRate)} ${h(head.currency)}</dd></div>`);
  if (totals !== undefined) {
    cards.push(
      `<div><dt>AWS cost (USD)</dt><dd id="summary-aws-cost">${f.usd(totals.awsCostUsd)}</dd></div>`,
      `<div><dt>Margin (USD)</dt><dd id="summary-margin">${f.usd(totals.marginUsd)}${totals.marginPercent ? ` · ${h(totals.marginPercent)} %` : ''}</dd></div>`,
    );
  }
  return `<section id="summary"><h2>Summary</h2><dl class="totals">${cards.join('')}</dl></section>`;
}

function reconciliationSection(head: Json, f: Formats): string {
  const r = obj(head.reconciliation);
  if (r === undefined) return `<section id="reconciliation"><h2>Reconciliation</h2><p class="muted">The CUR was not reconciled: the month stopped before.</p></section>`;
  const excluded = obj(r.excludedUsd) ?? {};
  const excludedTotal = total(Object.values(excluded)).toFixed();
  const holds = r.holds === true;
  const known = new Set(['curTotalUsd', 'ratedUnblendedUsd', 'ratedListUsd', 'excludedUsd', 'unassignedUsd', 'onDemandUpliftUsd', 'holds']);
  const others = Object.entries(r).filter(([k, v]) => !known.has(k) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'));
  const markups = Object.entries(obj(head.markups) ?? {}).map(([name, m]) => `${escapeHtml(name)} ${h(obj(m)?.applied)}${obj(m)?.note ? ` (${h(obj(m)?.note)})` : ''}`);
  return `<section id="reconciliation"><h2>Reconciliation</h2>
<p id="reconciliation-statement">CUR total <strong>${f.usd(r.curTotalUsd)} USD</strong> = rated ${f.usd(r.ratedUnblendedUsd)} + excluded ${f.usd(excludedTotal)} + unassigned ${f.usd(r.unassignedUsd)}:
<strong class="${holds ? '' : 'negative'}" id="reconciliation-holds">${holds ? 'holds (exact)' : 'does not hold'}</strong></p>
<table id="excluded"><thead><tr><th>Excluded (not billed as usage)</th><th class="num">USD</th></tr></thead><tbody>
${Object.entries(excluded).map(([reason, usd]) => `<tr><td>${escapeHtml(reason)}</td>${amountCell(f.usd(usd))}</tr>`).join('\n')}
</tbody><tfoot><tr><th>Excluded in all</th>${amountCell(f.usd(excludedTotal))}</tr></tfoot></table>
<p>List price ${h(head.listPrice)}: rated list ${f.usd(r.ratedListUsd)} USD = rated ${f.usd(r.ratedUnblendedUsd)} + on-demand uplift ${f.usd(r.onDemandUpliftUsd)}</p>
${markups.length === 0 ? '' : `<p>Markups: ${markups.join(', ')}${head.fxRate === undefined ? '' : `; exchange rate ${h(head.fxRate)} USD→${h(head.currency)}`}</p>`}
${head.billedTotal === undefined ? '' : `<p>Billed <strong>${f.billed(head.billedTotal)} ${h(head.currency)}</strong> in ${h(head.records)} records${head.droppedZeroRecords ? ` (${h(head.droppedZeroRecords)} zero records left out)` : ''}</p>`}
${linesStatement(obj(r.lines), f)}
${others.length === 0 ? '' : `<table id="reconciliation-other"><tbody>${others.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td class="num">${typeof v === 'string' && /^-?\d/.test(v) ? f.usd(v) : h(v)}</td></tr>`).join('')}</tbody></table>`}
</section>`;
}

/** MARGIN.md §5: file total = rated usage, Marketplace and support + fees + credits, in the billing currency. */
function linesStatement(lines: Json | undefined, f: Formats): string {
  if (lines === undefined) return '';
  const holds = lines.holds === true;
  return `<p id="reconciliation-lines">File total <strong>${f.billed(lines.fileTotal)} ${escapeHtml(f.currency)}</strong> = usage, Marketplace and support ${f.billed(lines.ratedBilled)} + fees ${f.billed(lines.fees)} + credits ${f.billed(lines.credits)}:
<strong class="${holds ? '' : 'negative'}">${holds ? 'holds' : 'does not hold'}</strong></p>`;
}

function marginCells(m: Json | undefined, f: Formats): string {
  if (m === undefined) return '<td></td><td></td><td></td>';
  return `${amountCell(f.usd(m.awsCostUsd))}${amountCell(f.usd(m.marginUsd))}<td class="num">${h(m.marginPercent)}</td>`;
}

/** What the overview shows of one account, kept while the page is rendered (small: no records). */
interface OverviewRow {
  name: string;
  accountId: string;
  assetId: string;
  plan: string;
  billedTotal: unknown;
  margin: Json | undefined;
}

function overviewRow(entry: Json, margins: Map<string, Json>): OverviewRow {
  const margin = margins.get(text(entry.accountId));
  return { ...identity(entry, margin), plan: text(obj(entry.supportPlan)?.billed), billedTotal: entry.billedTotal, margin };
}

/** The unassigned accounts' AWS cost (MARGIN.md §2: in the payer's cost total, with no billed side), when the margin has one that is not 0. */
function unassignedCost(head: Json): unknown {
  const cost = obj(obj(head.margin)?.unassigned)?.awsCostUsd;
  return cost === undefined || /^-?0(\.0+)?$/.test(text(cost)) ? undefined : cost;
}

/** The row that makes the total's AWS cost add up: the unassigned accounts' cost, billed to nobody. */
function unassignedRow(head: Json, f: Formats, withMargin: boolean): string {
  const cost = unassignedCost(head);
  if (!withMargin || cost === undefined) return '';
  return `<tr><th colspan="4">Unassigned accounts (no subscription: not billed)</th><td class="num">-</td>${amountCell(f.usd(cost))}<td></td><td></td></tr>`;
}

/** The overview: one row per customer with its total; a total row. */
function customersOverview(head: Json, f: Formats, rows: readonly OverviewRow[]): string {
  const withMargin = obj(head.margin) !== undefined;
  const body = rows
    .map(
      (r) =>
        `<tr><td><a href="#${accountAnchor(r.accountId)}">${r.name === '' ? '<span class="muted">(no name)</span>' : escapeHtml(r.name)}</a></td><td>${escapeHtml(r.accountId)}</td><td>${escapeHtml(r.assetId) || '-'}</td><td>${escapeHtml(r.plan)}</td>${amountCell(f.billed(r.billedTotal))}${withMargin ? marginCells(r.margin, f) : ''}</tr>`,
    )
    .join('\n');
  const totals = obj(obj(head.margin)?.totals);
  return `<section id="customers"><h2>Customers</h2>
<table id="customer-table"><thead><tr><th>Customer</th><th>Account</th><th>Asset</th><th>Support plan</th><th class="num">Billed (${h(head.currency)})</th>${withMargin ? '<th class="num">AWS cost (USD)</th><th class="num">Margin (USD)</th><th class="num">Margin %</th>' : ''}</tr></thead><tbody>
${rows.length === 0 ? `<tr><td colspan="${withMargin ? 8 : 5}" class="muted">No customer was billed.</td></tr>` : body}
</tbody><tfoot>${unassignedRow(head, f, withMargin)}<tr><th colspan="4">Total (${rows.length} customer${rows.length === 1 ? '' : 's'}${unassignedCost(head) === undefined ? '' : ' and the unassigned accounts'})</th><td class="num" id="customers-total">${f.billed(head.billedTotal)}</td>${withMargin ? marginCells(totals, f) : ''}</tr></tfoot></table>
`;
}

function lineRow(line: CustomerLine, f: Formats, withMargin: boolean): string {
  const product = [line.billingEntity, line.productCode, line.usageType].filter((p) => p !== '').map(escapeHtml).join(' · ');
  const margin = withMargin
    ? line.awsCostUsd === undefined
      ? '<td></td><td></td><td></td><td></td>'
      : `${amountCell(f.usd(line.awsCostUsd))}${amountCell(f.usd(line.billedUsd))}${amountCell(f.usd(line.marginUsd))}<td class="num">${escapeHtml(line.marginPercent ?? '')}</td>`
    : '';
  return `<tr><td>${escapeHtml(line.note)}</td><td class="muted">${product}</td>${amountCell(f.billed(line.billed))}${margin}</tr>`;
}

const SECTION_TITLES = { services: 'Services', support: 'Support', lines: 'Custom lines and credits' } as const;

/** One customer's table: services, support, lines, and the customer's total. */
function customerArticle(entry: Json, f: Formats, margin: Json | undefined): string {
  const who = identity(entry, margin);
  const lines = customerLines(entry);
  const withMargin = lines.some((l) => l.awsCostUsd !== undefined) || margin !== undefined;
  const columns = 3 + (withMargin ? 4 : 0);
  const plan = obj(entry.supportPlan);
  const planText = plan === undefined ? '' : `Support plan ${h(plan.billed)}${text(plan.ordered) !== text(plan.detected) && text(plan.detected) !== '' ? ` (ordered ${h(plan.ordered)}, detected ${h(plan.detected)})` : ''}`;
  const body = (['services', 'support', 'lines'] as const)
    .map((section) => {
      const mine = lines.filter((l) => l.section === section);
      if (mine.length === 0) return '';
      return `<tr class="section"><th colspan="${columns}">${SECTION_TITLES[section]}</th></tr>\n${mine.map((l) => lineRow(l, f, withMargin)).join('\n')}`;
    })
    .filter((s) => s !== '')
    .join('\n');
  const marginTotal = withMargin
    ? margin === undefined
      ? '<td></td><td></td><td></td><td></td>'
      : `${amountCell(f.usd(margin.awsCostUsd))}${amountCell(f.usd(margin.billedUsd))}${amountCell(f.usd(margin.marginUsd))}<td class="num">${h(margin.marginPercent)}</td>`
    : '';
  const anchor = accountAnchor(who.accountId);
  const costNote = text(entry.costNote) || text(margin?.costNote);
  return `<article class="customer" id="${anchor}">
<h3>${who.name === '' ? `Account ${escapeHtml(who.accountId)}` : escapeHtml(who.name)} <span class="ids">account ${escapeHtml(who.accountId)}${who.assetId === '' ? '' : ` · asset ${escapeHtml(who.assetId)}`}</span></h3>
${planText === '' ? '' : `<p class="meta">${planText}</p>`}
${costNote === '' ? '' : `<p class="note cost-note">${escapeHtml(costNote)}</p>`}
<table class="customer-lines"><thead><tr><th>Service</th><th>Product</th><th class="num">Billed (${escapeHtml(f.currency)})</th>${withMargin ? '<th class="num">AWS cost (USD)</th><th class="num">Billed (USD)</th><th class="num">Margin (USD)</th><th class="num">Margin %</th>' : ''}</tr></thead><tbody>
${body === '' ? `<tr><td colspan="${columns}" class="muted">No records.</td></tr>` : body}
</tbody><tfoot><tr class="total"><th colspan="2">Total ${who.name === '' ? escapeHtml(who.accountId) : escapeHtml(who.name)}</th><td class="num customer-total" id="total-${anchor}">${f.billed(entry.billedTotal)}</td>${marginTotal}</tr></tfoot></table>
</article>
`;
}

/** A fraction (`0.35`) as a percent (`35 %`, to 2 places at most); '' when missing, the text itself when not decimal. */
function percentOf(value: unknown): string {
  const parsed = typeof value === 'string' ? parseDecimal(value) : undefined;
  return parsed === undefined ? text(value) : `${roundAmount(parsed.times(100), 2).toFixed()} %`;
}

function marginSection(head: Json, f: Formats): string {
  const margin = obj(head.margin);
  if (margin === undefined) return '';
  const row = (label: string, accountId: string, m: Json, id = ''): string =>
    `<tr${id}><td>${label}</td><td>${escapeHtml(accountId)}</td>${amountCell(f.usd(m.awsCostUsd))}${amountCell(f.usd(m.taxUsd))}${amountCell(f.billed(m.billed))}${amountCell(f.usd(m.billedUsd))}${amountCell(f.usd(m.marginUsd))}<td class="num">${h(m.marginPercent)}</td></tr>`;
  const customers = objects(margin.customers)
    .map((c) => row(text(c.customer) === '' ? '<span class="muted">(no name)</span>' : h(c.customer), text(c.accountId), c))
    .join('\n');
  const unassigned = obj(margin.unassigned);
  const totals = obj(margin.totals) ?? {};
  const discount = percentOf(obj(margin.partnerLedSupport)?.discount);
  const currency = text(margin.currency) || f.currency;
  return `<section id="margin"><h2>Margin</h2>
<p>What AWS charged for each customer (tax apart), what the customer was billed, and what is left, in USD at ${h(margin.fxRate ?? head.fxRate)} ${escapeHtml(currency)} per USD.${discount === '' ? '' : ` Partner-Led Support discount: <span id="pls-discount">${escapeHtml(discount)}</span> of the support cost.`}</p>
<table id="margin-table"><thead><tr><th>Customer</th><th>Account</th><th class="num">AWS cost (USD)</th><th class="num">Tax (USD)</th><th class="num">Billed (${escapeHtml(currency)})</th><th class="num">Billed (USD)</th><th class="num">Margin (USD)</th><th class="num">Margin %</th></tr></thead><tbody>
${customers}
${unassigned === undefined ? '' : `<tr class="muted"><td>Unassigned accounts (not billed)</td><td></td>${amountCell(f.usd(unassigned.awsCostUsd))}${amountCell(f.usd(unassigned.taxUsd))}<td></td><td></td><td></td><td></td></tr>`}
</tbody><tfoot>
<tr id="margin-totals"><th colspan="2">Total</th>${amountCell(f.usd(totals.awsCostUsd), ' id="margin-total-aws-cost"')}${amountCell(f.usd(totals.taxUsd), ' id="margin-total-tax"')}${amountCell(f.billed(totals.billed), ' id="margin-total-billed"')}${amountCell(f.usd(totals.billedUsd), ' id="margin-total-billed-usd"')}${amountCell(f.usd(totals.marginUsd), ' id="margin-total-margin"')}<td class="num" id="margin-total-percent">${h(totals.marginPercent || marginPercentText(totals.marginUsd, totals.billedUsd))}</td></tr>
</tfoot></table>
${costNotes(margin)}</section>`;
}

/** What the CUR cannot tell of a cost (MARGIN.md §1: said, never guessed), per customer, for the unassigned accounts and in all. */
function costNotes(margin: Json): string {
  const notes = [
    ...objects(margin.customers).flatMap((c) => (text(c.costNote) === '' ? [] : [`${text(c.customer) === '' ? `Account ${text(c.accountId)}` : `${text(c.customer)} (${text(c.accountId)})`}: ${text(c.costNote)}`])),
    ...(text(obj(margin.unassigned)?.costNote) === '' ? [] : [`Unassigned accounts: ${text(obj(margin.unassigned)?.costNote)}`]),
    ...(text(obj(margin.totals)?.costNote) === '' ? [] : [`In all: ${text(obj(margin.totals)?.costNote)}`]),
  ];
  return notes.length === 0 ? '' : `<ul class="note" id="cost-notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>\n`;
}

function linesSection(head: Json, f: Formats, names: Map<string, string>): string {
  if (!Array.isArray(head.lines)) return '';
  const lines = objects(head.lines);
  const rows = lines
    .map((l) => {
      const account = text(l.accountId);
      const name = names.get(account) ?? '';
      return `<tr><td>${h(l.id)}</td><td>${h(l.kind)}</td><td>${name === '' ? escapeHtml(account) : `${escapeHtml(name)} <span class="ids">${escapeHtml(account)}</span>`}</td>${amountCell(f.billed(l.amount))}<td class="num">${l.remainingAfter === undefined || l.remainingAfter === null ? '' : f.billed(l.remainingAfter)}</td></tr>`;
    })
    .join('\n');
  return `<section id="lines"><h2>Custom lines and credits</h2>
${lines.length === 0 ? '<p class="muted">No custom line or credit applied this month.</p>' : `<table id="lines-table"><thead><tr><th>Line</th><th>Kind</th><th>Customer</th><th class="num">Amount (${escapeHtml(f.currency)})</th><th class="num">Credit left after</th></tr></thead><tbody>
${rows}
</tbody><tfoot><tr><th colspan="3">Total</th><td class="num">${f.billed(total(lines.map((l) => l.amount)).toFixed())}</td><td></td></tr></tfoot></table>`}
</section>`;
}

function notesSection(head: Json, f: Formats): string {
  const unassigned = objects(head.unassigned);
  const mismatches = objects(head.supportPlanMismatches);
  const warnings = Array.isArray(head.warnings) ? head.warnings.map(text).filter((w) => w !== '') : [];
  const errors = objects(head.errors);
  const parts = [`<section id="notes"><h2>Warnings</h2>`];
  if (unassigned.length > 0) {
    parts.push(`<h3>Accounts with usage and no subscription (not billed)</h3><table id="unassigned"><thead><tr><th>Account</th><th class="num">Unblended (USD)</th></tr></thead><tbody>
${unassigned.map((u) => `<tr><td>${h(u.accountId)}</td>${amountCell(f.usd(u.unblendedUsd))}</tr>`).join('\n')}
</tbody></table>`);
  }
  if (mismatches.length > 0) {
    parts.push(`<h3>Support plan mismatches</h3><ul>${mismatches.map((m) => `<li>${h(m.accountId)}: ordered ${h(m.ordered)}, detected ${h(m.detected)}</li>`).join('')}</ul>`);
  }
  if (parts.length > 1) parts.push('<h3>Run warnings</h3>');
  parts.push(warnings.length === 0 ? '<p class="muted" id="no-warnings">No warnings.</p>' : `<ul class="warnings" id="warnings">${warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`);
  if (errors.length > 0) {
    parts.push(`<h3>Errors</h3><ul class="errors" id="errors">${errors.map((e) => `<li><strong>${h(e.code)}</strong>: ${h(e.message)}</li>`).join('')}</ul>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

/**
 * report.html in chunks (concatenated, they are the page). `head`: the report
 * without its accounts (or with them: they are not read from it); `accounts`:
 * gives the account entries in report order, each time it is called (it is
 * called twice).
 */
export async function* reportPageChunks(head: Json, accounts: () => AsyncIterable<Json>): AsyncGenerator<string> {
  const f = formats(head);
  const margins = marginByAccount(head);
  const title = `Monthly report · payer ${h(head.payerAccountId)} · ${h(head.period)}`;
  const rows: OverviewRow[] = [];
  for await (const entry of accounts()) rows.push(overviewRow(entry, margins));
  const names = new Map(rows.filter((r) => r.name !== '').map((r) => [r.accountId, r.name]));
  yield `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${title}</title>
<style>${STYLE}
</style></head><body>
${headerSection(head)}
${navigation(head)}
${summarySection(head, f, rows.length)}
${reconciliationSection(head, f)}
${customersOverview(head, f, rows)}`;
  for await (const entry of accounts()) yield customerArticle(entry, f, margins.get(text(entry.accountId)));
  yield `</section>\n${marginSection(head, f)}\n${linesSection(head, f, names)}\n${notesSection(head, f)}\n</body></html>\n`;
}

/** report.html of a whole report (its `accounts` in it), as one string. */
export async function reportPageHtml(report: Json): Promise<string> {
  const entries = objects(report.accounts);
  const accounts = async function* (): AsyncGenerator<Json> {
    yield* entries;
  };
  let page = '';
  for await (const chunk of reportPageChunks(report, accounts)) page += chunk;
  return page;
}
