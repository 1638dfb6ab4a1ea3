/**
 * The run report (report.json): proves where every dollar of the CUR went. Every
 * amount is a decimal string; USD amounts are exact, billed amounts are rounded
 * record sums in the payer's currency.
 */
import type { ProblemLocation } from '../domain/errors.js';
import type { MarginReport, ServiceMargin } from '../domain/margin.js';
import type { RatedAccount, RatedPayerSummary, RatedRecord, RatingSettings, Reconciliation } from '../domain/rating.js';

export const REPORT_VERSION = 1;

export interface ReportError {
  code: string;
  message: string;
  where: ProblemLocation;
}

export interface PayerReport {
  reportVersion: number;
  status: 'ok' | 'failed';
  payerAccountId: string;
  period: string;
  generatedAt: string;
  source: string;
  errors: ReportError[];
  [field: string]: unknown;
}

function recordEntry(r: RatedRecord): Record<string, unknown> {
  return {
    recordId: r.recordId,
    kind: r.kind,
    billingEntity: r.billingEntity,
    productCode: r.productCode,
    ...(r.usageType === '' ? {} : { usageType: r.usageType }),
    note: r.note,
    lineItemTypes: r.lineItemTypes,
    listUsd: r.listUsd,
    markup: r.markup,
    markedUsd: r.markedUsd,
    billedExact: r.billedExact,
    billed: r.billed,
    ...(r.supportPlan === undefined ? {} : { supportPlan: r.supportPlan, supportTable: r.supportTable }),
  };
}

/**
 * One account's entry in the report, its records included; `customer` is the customer's
 * name, null when unknown; `services` its per-service cost, billed and margin (MARGIN.md,
 * docs/rating.md "Margin"), when given.
 */
export function accountEntry(a: RatedAccount, fxRateText: string, services?: readonly ServiceMargin[]): Record<string, unknown> {
  return {
    accountId: a.accountId,
    assetId: a.assetId,
    customer: a.customerName ?? null,
    supportPlan: { ordered: a.support.ordered, detected: a.support.detected, billed: a.support.billed, table: a.support.table },
    supportBaseUsd: a.support.baseUsd,
    supportFeeUsd: a.support.feeUsd ?? '0',
    curSupportUsd: a.support.curSupportUsd,
    ratedListUsd: a.ratedListUsd,
    markedUsd: a.markedUsd,
    fxRate: fxRateText,
    billedTotal: a.billedTotal,
    roundingResidual: a.roundingResidual,
    droppedZeroRecords: a.droppedZeroRecords,
    records: a.records.map(recordEntry),
    ...(services === undefined ? {} : { services }),
  };
}

/**
 * The report of a payer whose month was rated, without its accounts (they are
 * streamed in by `ReportDraft.account`, in the `accounts` field's place).
 * `records`: how many records the workbook holds; `margin`: the payer's margin (MARGIN.md §6).
 */
export function reportHead(rated: RatedPayerSummary, settings: RatingSettings, generatedAt: string, source: string, records: number, margin?: MarginReport): PayerReport {
  return {
    reportVersion: REPORT_VERSION,
    status: 'ok',
    payerAccountId: rated.payerAccountId,
    period: rated.period,
    generatedAt,
    source,
    currency: rated.currency.currency,
    fxRate: rated.currency.fxRateText,
    listPrice: rated.listPrice,
    settings: {
      includeTax: settings.includeTax,
      excludeLineItemTypes: settings.excludeLineItemTypes,
      supportPlanSource: settings.supportPlanSource,
      recordGranularity: settings.recordGranularity,
      amountDecimals: settings.amountDecimals,
    },
    markups: Object.fromEntries(
      Object.entries(rated.markups).map(([name, m]) => [name, { given: m.given ?? null, applied: m.applied, ...(m.note === undefined ? {} : { note: m.note }) }]),
    ),
    reconciliation: rated.reconciliation,
    billedTotal: rated.billedTotal,
    records,
    droppedZeroRecords: rated.droppedZeroRecords,
    accounts: [],
    unassigned: rated.unassigned,
    supportPlanMismatches: rated.supportPlanMismatches,
    warnings: rated.warnings,
    // MARGIN.md §6: what AWS charged, what the customers were billed, what is left.
    ...(margin === undefined ? {} : { margin }),
    // MARGIN.md §6: the custom lines applied; `amount` signed, `remainingAfter` for flat credits.
    lines: (rated.lines ?? []).map((l) => ({ id: l.id, kind: l.kind, accountId: l.accountId, amount: l.amount, ...(l.remainingAfter === undefined ? {} : { remainingAfter: l.remainingAfter }) })),
    errors: [],
  };
}

/** The report of a payer whose run failed: no workbook, the errors, and what is known. */
export function failedReport(
  payerAccountId: string,
  period: string,
  errors: ReportError[],
  generatedAt: string,
  source: string,
  reconciliation?: Reconciliation,
): PayerReport {
  return {
    reportVersion: REPORT_VERSION,
    status: 'failed',
    payerAccountId,
    period,
    generatedAt,
    source,
    errors,
    ...(reconciliation === undefined ? {} : { reconciliation }),
  };
}
