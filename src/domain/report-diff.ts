/**
 * What changed between two versions of a payer's month (issue 4, reprocess):
 * per account and service, the old and new billed amounts and why they differ.
 * Pure: two reports in (as `report.json` holds them), rows out; amounts are
 * decimal strings, the difference exact.
 */
import { money, toExactText, toFixedText } from './money.js';

/** Decimal places written in an amount text (`12.30` → 2). */
const placesOf = (text: string): number => (text.includes('.') ? text.length - text.indexOf('.') - 1 : 0);

/** new − old, written with as many decimals as the amounts have (`0.40`, not `0.4`). */
function difference(oldText: string, newText: string): string {
  const places = Math.max(placesOf(oldText), placesOf(newText));
  return toFixedText(money(newText || '0').minus(money(oldText || '0')), places);
}

/** Why an amount changed. */
/** `lines`: a custom line or credit (MARGIN.md §4) was added, removed or came to another amount (a changed base, a credit's balance). */
export type DiffCause = 'markup' | 'fx' | 'CUR rows' | 'support plan' | 'settings' | 'lines';

/** A custom line's record (a fee or a credit): no CUR row, markup or fx is behind its amount. */
const isLine = (r: DiffRecord): boolean => r.kind === 'fee' || r.kind === 'credit';

/** The parts of a record this diff reads (report.json `accounts[].records[]`). */
export interface DiffRecord {
  recordId: string;
  kind: string;
  billingEntity: string;
  productCode: string;
  usageType?: string;
  note: string;
  listUsd: string;
  markup: string;
  billed: string;
  supportPlan?: string;
  supportTable?: string;
}

/** The parts of a report this diff reads. */
export interface DiffReport {
  payerAccountId: string;
  period: string;
  currency?: string;
  fxRate?: string;
  billedTotal?: string;
  accounts?: Array<{ accountId: string; records: DiffRecord[] }>;
}

export interface DiffRow {
  accountId: string;
  /** Service name (the record note), or the support plan line. */
  service: string;
  recordId: string;
  /** '' when the record is new. */
  oldBilled: string;
  /** '' when the record is gone. */
  newBilled: string;
  /** new − old, exact. */
  delta: string;
  causes: DiffCause[];
}

export interface ReportDiff {
  payerAccountId: string;
  period: string;
  currency: string;
  oldTotal: string;
  newTotal: string;
  delta: string;
  /** Only the records whose billed amount or inputs changed, by account then service. */
  rows: DiffRow[];
  /** Report-wide changes, e.g. `fxRate 0.92 → 0.95`. */
  changes: string[];
}

function recordsOf(report: DiffReport): Map<string, { accountId: string; record: DiffRecord }> {
  const out = new Map<string, { accountId: string; record: DiffRecord }>();
  for (const account of report.accounts ?? []) {
    for (const record of account.records) out.set(record.recordId, { accountId: account.accountId, record });
  }
  return out;
}

const same = (a: string | undefined, b: string | undefined): boolean => (a === undefined || a === '' ? '' : toExactText(money(a))) === (b === undefined || b === '' ? '' : toExactText(money(b)));

/** The causes of a change in one record that exists in both versions. */
function causesOf(before: DiffRecord, after: DiffRecord, fxChanged: boolean): DiffCause[] {
  if (isLine(before) || isLine(after)) return same(before.billed, after.billed) ? [] : ['lines'];
  const causes: DiffCause[] = [];
  if (before.supportPlan !== after.supportPlan || before.supportTable !== after.supportTable) causes.push('support plan');
  if (!same(before.listUsd, after.listUsd)) causes.push('CUR rows');
  if (!same(before.markup, after.markup)) causes.push('markup');
  if (fxChanged) causes.push('fx');
  if (causes.length === 0 && !same(before.billed, after.billed)) causes.push('settings');
  return causes;
}

/** Compares version `before` with version `after` of one payer and period. */
export function diffReports(before: DiffReport, after: DiffReport): ReportDiff {
  const fxChanged = !same(before.fxRate, after.fxRate);
  const old = recordsOf(before);
  const next = recordsOf(after);
  const rows: DiffRow[] = [];
  for (const id of new Set([...old.keys(), ...next.keys()])) {
    const a = old.get(id);
    const b = next.get(id);
    const record = (b ?? a)?.record;
    const accountId = (b ?? a)?.accountId ?? '';
    if (!record) continue;
    const oldBilled = a?.record.billed ?? '';
    const newBilled = b?.record.billed ?? '';
    const causes: DiffCause[] = a && b ? causesOf(a.record, b.record, fxChanged) : [isLine(record) ? 'lines' : 'CUR rows'];
    if (a && b && causes.length === 0) continue;
    if (a && b && same(oldBilled, newBilled) && causes.every((c) => c === 'fx' || c === 'markup')) {
      // An input changed but the amount did not (e.g. a zero record): still worth a row only when the amount moved.
      continue;
    }
    rows.push({
      accountId,
      service: record.kind === 'support' ? `support (${record.supportPlan ?? 'plan'})` : record.note || record.productCode,
      recordId: id,
      oldBilled,
      newBilled,
      delta: difference(oldBilled, newBilled),
      causes,
    });
  }
  rows.sort((x, y) => x.accountId.localeCompare(y.accountId) || x.service.localeCompare(y.service) || x.recordId.localeCompare(y.recordId));
  const changes: string[] = [];
  if (fxChanged) changes.push(`fxRate ${before.fxRate ?? '(none)'} → ${after.fxRate ?? '(none)'}`);
  if (before.currency !== after.currency) changes.push(`currency ${before.currency ?? '(none)'} → ${after.currency ?? '(none)'}`);
  const oldTotal = before.billedTotal ?? '0';
  const newTotal = after.billedTotal ?? '0';
  return {
    payerAccountId: after.payerAccountId,
    period: after.period,
    currency: after.currency ?? '',
    oldTotal,
    newTotal,
    delta: difference(oldTotal, newTotal),
    rows,
    changes,
  };
}
