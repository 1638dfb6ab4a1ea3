/**
 * What the rate command prints: per payer, a per-account table and the
 * reconciliation lines. Display only: USD amounts are shown to the cent here,
 * report.json keeps them exact.
 */
import type { RateMonthResult, PayerOutcome } from '../app/rate-month.js';
import { money, roundAmount } from '../domain/money.js';
import type { RatedPayer } from '../domain/rating.js';
import { renderTable } from './table.js';

/** An amount for reading: to the cent, thousands separated with commas. */
export function showAmount(text: string, decimals = 2): string {
  const fixed = roundAmount(money(text), decimals).toFixed(decimals);
  const [whole = '', fraction] = fixed.replace('-', '').split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${fixed.startsWith('-') ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

function planCell(a: RatedPayer['accounts'][number]): string {
  const s = a.support;
  return s.ordered === s.detected ? s.billed : `${s.billed} (ordered ${s.ordered}, detected ${s.detected})`;
}

function ratedPayerText(rated: RatedPayer, decimals: number): string {
  const cur = rated.currency.currency;
  const rows = rated.accounts.map((a) => [
    a.accountId,
    a.assetId ?? '-',
    planCell(a),
    showAmount(a.ratedListUsd),
    showAmount(a.support.feeUsd ?? '0'),
    showAmount(a.billedTotal, decimals),
  ]);
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
    `  billed: ${showAmount(rated.billedTotal, decimals)} ${cur} in ${rated.records.length} records (${rated.droppedZeroRecords} zero records left out)`,
  ];
  if (rated.unassigned.length > 0) lines.push(`  unassigned (no subscription): ${rated.unassigned.map((u) => `${u.accountId} ${showAmount(u.unblendedUsd)}`).join(', ')}`);
  for (const m of rated.supportPlanMismatches) lines.push(`  support plan mismatch: ${m.accountId} ordered ${m.ordered}, detected ${m.detected}`);
  for (const w of rated.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}

function payerText(p: PayerOutcome, period: string, decimals: number): string {
  if (!p.ok || p.rated === undefined) {
    const errors = p.errors.map((e) => `  error ${e.code}: ${e.message}`).join('\n');
    return `Payer ${p.payerAccountId} · ${period} · FAILED (no workbook)\n${errors}${p.reportPath ? `\n  report: ${p.reportPath}` : ''}`;
  }
  const c = p.rated.currency;
  const head = `Payer ${p.payerAccountId} · ${period} · ${c.currency} · ok`;
  return `${head}\n${ratedPayerText(p.rated, decimals)}\n  workbook: ${p.workbookPath ?? ''}\n  report: ${p.reportPath ?? ''}`;
}

/** The whole run, for stdout. */
export function runSummaryText(result: RateMonthResult, period: string, decimals: number): string {
  const parts = [`Rated ${result.rowsRead} CUR rows from ${result.source}`, ...result.payers.map((p) => payerText(p, period, decimals))];
  for (const id of result.payersWithoutRows) parts.push(`warning: configured payer ${id} has no CUR rows for ${period}`);
  const failed = result.payers.filter((p) => !p.ok).length;
  parts.push(`${result.payers.length - failed} payer(s) ok, ${failed} failed`);
  return `${parts.join('\n\n')}\n`;
}
