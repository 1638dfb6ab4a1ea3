/**
 * What the rate command prints: per payer, a per-account table and the
 * reconciliation lines. Display only: USD amounts are shown to the cent here,
 * report.json keeps them exact.
 */
import type { MonthPayerResult } from '../app/usage/run-month.js';
import type { PayerMonthResult } from '../app/usage/run-payer-month.js';
import type { PayerConfig } from '../config/schema.js';
import { dirname, join } from 'node:path';
import type { MarginReport } from '../domain/margin.js';
import { money, roundAmount } from '../domain/money.js';
import type { RatedPayerSummary } from '../domain/rating.js';
import { renderTable } from './table.js';

/** An amount for reading: to the cent, thousands separated with commas. */
export function showAmount(text: string, decimals = 2): string {
  const fixed = roundAmount(money(text), decimals).toFixed(decimals);
  const [whole = '', fraction] = fixed.replace('-', '').split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${fixed.startsWith('-') ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** How many accounts the table shows, and items each list: the rest is in report.json (a big distributor has thousands). */
const LISTED_ACCOUNTS = 50;
const LISTED = 10;
const more = (total: number): string => (total > LISTED ? ` … and ${total - LISTED} more (report.json has them all)` : '');

function planCell(a: RatedPayerSummary['accounts'][number]): string {
  const s = a.support;
  return s.ordered === s.detected ? s.billed : `${s.billed} (ordered ${s.ordered}, detected ${s.detected})`;
}

function ratedPayerText(rated: RatedPayerSummary, records: number, decimals: number): string {
  const cur = rated.currency.currency;
  const rows = rated.accounts.slice(0, LISTED_ACCOUNTS).map((a) => [
    a.accountId,
    a.assetId ?? '-',
    planCell(a),
    showAmount(a.ratedListUsd),
    showAmount(a.support.feeUsd ?? '0'),
    showAmount(a.billedTotal, decimals),
  ]);
  if (rated.accounts.length > LISTED_ACCOUNTS) rows.push([`… ${rated.accounts.length - LISTED_ACCOUNTS} more accounts`, '', '', '', '', '']);
  rows.push(['total', '', '', showAmount(rated.reconciliation.ratedListUsd), '', showAmount(rated.billedTotal, decimals)]);
  const table = renderTable(
    [
      { header: 'account' },
      { header: 'asset' },
      { header: 'plan' },
      { header: 'list USD', align: 'right' },
      { header: 'support fee USD', align: 'right' },
      { header: `billed ${cur}`, align: 'right' },
    ],
    rows,
  );
  const r = rated.reconciliation;
  const excluded = Object.entries(r.excludedUsd);
  const excludedTotal = excluded.reduce((t, [, v]) => t.plus(money(v)), money('0'));
  const lines = [
    table,
    '',
    `Reconciliation (USD): CUR total ${showAmount(r.curTotalUsd)} = rated ${showAmount(r.ratedUnblendedUsd)} + excluded ${showAmount(excludedTotal.toFixed())} + unassigned ${showAmount(r.unassignedUsd)}: ${r.holds ? 'holds (exact)' : 'DOES NOT HOLD'}`,
    `  excluded by reason: ${excluded.length === 0 ? 'none' : excluded.map(([k, v]) => `${k} ${showAmount(v)}`).join(', ')}`,
    `  list price ${rated.listPrice}: rated list ${showAmount(r.ratedListUsd)} = rated unblended + on-demand uplift ${showAmount(r.onDemandUpliftUsd)}`,
    `  markups: customMarkup ${rated.markups.customMarkup.applied}, customMarkupMarketplace ${rated.markups.customMarkupMarketplace.applied}; fxRate ${rated.currency.fxRateText} USD→${cur}`,
    `  billed: ${showAmount(rated.billedTotal, decimals)} ${cur} in ${records} records (${rated.droppedZeroRecords} zero records left out)`,
  ];
  if (rated.unassigned.length > 0) {
    const shown = rated.unassigned.slice(0, LISTED).map((u) => `${u.accountId} ${showAmount(u.unblendedUsd)}`);
    lines.push(`  unassigned (no subscription): ${shown.join(', ')}${more(rated.unassigned.length)}`);
  }
  for (const m of rated.supportPlanMismatches.slice(0, LISTED)) lines.push(`  support plan mismatch: ${m.accountId} ordered ${m.ordered}, detected ${m.detected}`);
  if (rated.supportPlanMismatches.length > LISTED) lines.push(`  support plan mismatches: ${more(rated.supportPlanMismatches.length).trim()}`);
  for (const w of rated.warnings) lines.push(`  warning: ${w}`);
  for (const l of rated.lines?.slice(0, LISTED) ?? []) {
    lines.push(`  ${l.kind} ${l.id}: ${l.accountId} ${showAmount(l.amount, decimals)} ${cur}${l.remainingAfter === undefined ? "" : ` (${showAmount(l.remainingAfter, decimals)} ${cur} left)`}`);
  }
  if ((rated.lines?.length ?? 0) > LISTED) lines.push(`  lines: ${more(rated.lines?.length ?? 0).trim()}`);
  return lines.join('\n');
}

const percent = (p: string): string => (p === '' ? 'n/a' : `${p} %`);

/** What the distributor earns (MARGIN.md), for a person: the payer's totals, then each customer's (the first LISTED_ACCOUNTS). */
export function marginText(margin: MarginReport, decimals: number): string {
  const t = margin.totals;
  const rows = margin.customers.slice(0, LISTED_ACCOUNTS).map((c) => [c.accountId, c.customer ?? c.assetId ?? '-', showAmount(c.awsCostUsd), showAmount(c.billedUsd), showAmount(c.marginUsd), percent(c.marginPercent)]);
  if (margin.customers.length > LISTED_ACCOUNTS) rows.push([`… ${margin.customers.length - LISTED_ACCOUNTS} more customers`, '', '', '', '', '']);
  rows.push(['unassigned', '', showAmount(margin.unassigned.awsCostUsd), '', '', '']);
  rows.push(['total', '', showAmount(t.awsCostUsd), showAmount(t.billedUsd), showAmount(t.marginUsd), percent(t.marginPercent)]);
  const table = renderTable(
    [{ header: 'account' }, { header: 'customer' }, { header: 'AWS cost USD', align: 'right' }, { header: 'billed USD', align: 'right' }, { header: 'margin USD', align: 'right' }, { header: 'margin', align: 'right' }],
    rows,
  );
  const out = [
    `Margin (USD, AWS cost after discounts, tax ${showAmount(t.taxUsd)} apart): billed ${showAmount(t.billed, decimals)} ${margin.currency} at fx ${margin.fxRate} = ${showAmount(t.billedUsd)} USD = cost ${showAmount(t.awsCostUsd)} + margin ${showAmount(t.marginUsd)}`,
    table,
  ];
  if (margin.partnerLedSupport.discount !== '0') out.push(`  Partner-Led Support discount on support cost: ${money(margin.partnerLedSupport.discount).times(100).toFixed()} %`);
  for (const c of margin.customers.filter((x) => x.costNote !== undefined).slice(0, LISTED)) out.push(`  note: ${c.accountId}: ${c.costNote ?? ''}`);
  if (margin.unassigned.costNote !== undefined) out.push(`  note: unassigned: ${margin.unassigned.costNote}`);
  return out.join('\n');
}

/** What the rating of one payer found, for a person: the accounts table and the reconciliation, or the errors. Empty when nothing was rated in this run. */
export function payerDetails(entry: MonthPayerResult<PayerConfig>, period: string, decimals: number): string {
  const { payer, result } = entry;
  const rating = 'rating' in result ? result.rating : undefined;
  if (rating === undefined) return '';
  if (rating.rated === undefined) {
    const errors = rating.errors.map((e) => `  error ${e.code}: ${e.message}`).join('\n');
    return `Payer ${payer.accountId} · ${period} · FAILED (no workbook)\n${errors}${result.run.reportPath ? `\n  report: ${result.run.reportPath}` : ''}`;
  }
  const head = `Payer ${payer.accountId} · ${period} · ${rating.rated.currency.currency} · rated ${rating.rowsRead ?? 0} CUR rows from ${rating.source}`;
  const reportPath = result.run.reportPath ?? '';
  const pages = reportPath === '' ? '' : `\n  page: ${join(dirname(reportPath), 'report.html')}\n  spreadsheet: ${join(dirname(reportPath), 'report.csv')}`;
  const margin = rating.margin === undefined ? '' : `\n\n${marginText(rating.margin, decimals)}`;
  return `${head}\n${ratedPayerText(rating.rated, rating.records ?? 0, decimals)}${margin}\n  workbook: ${result.run.workbookPath ?? ''}\n  report: ${reportPath}${pages}`;
}

/** What a payer's result means, in words. */
function outcomeText(result: PayerMonthResult, dryRun: boolean): string {
  switch (result.kind) {
    case 'failed':
      return `failed: ${result.error.message}`;
    case 'interrupted':
      return `interrupted (resumes at the next run): ${result.error.message}`;
    case 'already-done':
      return 'already done (use reprocess for a new version)';
    case 'held':
      return `not run: ${result.run.holder ?? 'another process'} holds this month (lease until ${result.run.leaseExpiresAt ?? '?'})`;
    default:
      return dryRun ? 'rated (dry run)' : 'submitted';
  }
}

/** One line per payer: what happened to its month. */
export function monthTable(results: Array<MonthPayerResult<PayerConfig>>, period: string, dryRun: boolean): string {
  const rows = results.map(({ payer, result }) => {
    const run = result.run;
    return [payer.accountId, `v${run.version}`, run.step, run.usageFileId ?? '-', run.usageFileStatus ?? '-', run.billedTotal ? `${run.billedTotal} ${run.currency ?? ''}` : '-', outcomeText(result, dryRun)];
  });
  return `Month ${period}${dryRun ? ' (dry run)' : ''}\n${renderTable(
    [{ header: 'payer' }, { header: 'version' }, { header: 'step' }, { header: 'usage file' }, { header: 'file status' }, { header: 'billed', align: 'right' }, { header: 'outcome' }],
    rows,
  )}`;
}
