/**
 * One support line per billed account (RATING.md §4): which plan is billed, on
 * which base, with which fee table. Pure.
 */
import type { CurGroup } from './cur.js';
import { Money, ZERO, money, toExactText } from './money.js';
import { isSupportPlan, supportFee, tableFor, type DetectedPlan, type SupportCatalog, type SupportPlan } from './support-fee.js';

/** The default plan of a subscription whose `support_level` is empty. */
export const DEFAULT_ORDERED_PLAN: SupportPlan = 'business';

export interface DetectedSupport {
  plan: DetectedPlan;
  /** Product code of the account's largest support row; null when it has none. */
  productCode: string | null;
  /** Σ of the account's support rows in the CUR (what AWS billed for support). */
  cur: Money;
}

export interface AccountSupport {
  ordered: SupportPlan;
  detected: DetectedPlan;
  /** The plan the support line bills. */
  billed: SupportPlan;
  /** Id of the fee table used; null for basic. */
  table: string | null;
  /** Support base: gross AWS charges before discounts and credits, USD. */
  baseUsd: string;
  /** The fee in USD before markup; null for basic. */
  feeUsd: string | null;
  /** What AWS billed for support in the CUR, USD. */
  curSupportUsd: string;
}

/**
 * The plan seen in each account's support rows: the product code of its largest
 * single support row (ties: the alphabetically first code); `basic` when none.
 */
export function detectPlans(groups: readonly CurGroup[], catalog: SupportCatalog): Map<string, DetectedSupport> {
  const best = new Map<string, { code: string; max: Money; cur: Money }>();
  for (const g of groups) {
    const plan = catalog.productCodes[g.productCode];
    if (plan === undefined || !Object.prototype.hasOwnProperty.call(catalog.productCodes, g.productCode)) continue;
    const max = money(g.maxUnblendedUsd);
    const current = best.get(g.accountId);
    const cur = (current?.cur ?? ZERO).plus(money(g.unblendedUsd));
    if (current === undefined || max.gt(current.max) || (max.equals(current.max) && g.productCode < current.code)) {
      best.set(g.accountId, { code: g.productCode, max, cur });
    } else {
      current.cur = cur;
    }
  }
  const detected = new Map<string, DetectedSupport>();
  for (const [accountId, b] of best) {
    detected.set(accountId, { plan: catalog.productCodes[b.code] as DetectedPlan, productCode: b.code, cur: b.cur });
  }
  return detected;
}

export interface SupportLinesInput {
  /** Billed accounts with rows in the period, sorted. */
  accounts: string[];
  /** `support_level` as ordered ('' = default). */
  orderedPlan: (accountId: string) => string;
  detected: Map<string, DetectedSupport>;
  supportBase: Map<string, Money>;
  source: 'ordered' | 'detected';
  catalog: SupportCatalog;
  /** `YYYY-MM-DD`: the first day of the billing period selects the table. */
  periodStart: string;
}

export interface SupportProblem {
  code: 'SUPPORT_TABLE_MISSING' | 'CONFIG_INVALID';
  message: string;
  account: string;
  value?: string;
}

export type SupportLinesOutcome =
  | { ok: true; accounts: Map<string, AccountSupport>; mismatches: { accountId: string; ordered: SupportPlan; detected: string }[] }
  | { ok: false; problems: SupportProblem[] };

/** One account's support line as `accountSupport` sees it. */
export interface AccountSupportInput {
  accountId: string;
  /** `support_level` as ordered ('' = default). */
  orderedPlan: string;
  /** What the account's support rows show; undefined when it has none. */
  detected: DetectedSupport | undefined;
  /** The account's support base in USD (negative counts as 0). */
  supportBase: Money;
  source: 'ordered' | 'detected';
  catalog: SupportCatalog;
  /** `YYYY-MM-DD`: the first day of the billing period selects the table. */
  periodStart: string;
}

export type AccountSupportOutcome =
  | { ok: true; support: AccountSupport; mismatch: { accountId: string; ordered: SupportPlan; detected: string } | undefined }
  | { ok: false; problem: SupportProblem };

/** Works out one account's billed plan and fee, and whether its ordered and detected plans differ. */
export function accountSupport(input: AccountSupportInput): AccountSupportOutcome {
  const { accountId } = input;
  const given = input.orderedPlan.trim();
  const orderedText = given === '' ? DEFAULT_ORDERED_PLAN : given;
  if (!isSupportPlan(orderedText)) {
    return { ok: false, problem: { code: 'CONFIG_INVALID', account: accountId, value: given, message: `account ${accountId}: support_level ${JSON.stringify(given)} is not a known plan` } };
  }
  const ordered: SupportPlan = orderedText;
  const seen = input.detected;
  const detected: DetectedPlan = seen?.plan ?? 'basic';
  const mismatch = ordered !== detected ? { accountId, ordered, detected } : undefined;
  const billedText = input.source === 'ordered' ? ordered : detected;
  if (billedText === 'unknown') {
    return {
      ok: false,
      problem: {
        code: 'SUPPORT_TABLE_MISSING',
        account: accountId,
        value: seen?.productCode ?? '',
        message: `account ${accountId}: support product ${seen?.productCode ?? ''} maps to no known plan (supportPlanSource detected)`,
      },
    };
  }
  const billed: SupportPlan = billedText;
  const base = input.supportBase;
  const baseUsd = toExactText(base.isNegative() ? ZERO : base);
  const curSupportUsd = toExactText(seen?.cur ?? ZERO);
  if (billed === 'basic') return { ok: true, support: { ordered, detected, billed, table: null, baseUsd, feeUsd: null, curSupportUsd }, mismatch };
  const table = tableFor(input.catalog, billed, input.periodStart);
  if (table === undefined) {
    return {
      ok: false,
      problem: {
        code: 'SUPPORT_TABLE_MISSING',
        account: accountId,
        value: billed,
        message: `account ${accountId}: no ${billed} support fee table is valid on ${input.periodStart} (config/support-plans.json)`,
      },
    };
  }
  const fee = supportFee(table, base);
  return { ok: true, support: { ordered, detected, billed, table: table.id, baseUsd, feeUsd: toExactText(fee), curSupportUsd }, mismatch };
}

/** Works out each account's billed plan and fee; any account without a usable plan or table is a problem. */
export function supportLines(input: SupportLinesInput): SupportLinesOutcome {
  const problems: SupportProblem[] = [];
  const accounts = new Map<string, AccountSupport>();
  const mismatches: { accountId: string; ordered: SupportPlan; detected: string }[] = [];
  for (const accountId of input.accounts) {
    const outcome = accountSupport({
      accountId,
      orderedPlan: input.orderedPlan(accountId),
      detected: input.detected.get(accountId),
      supportBase: input.supportBase.get(accountId) ?? ZERO,
      source: input.source,
      catalog: input.catalog,
      periodStart: input.periodStart,
    });
    if (!outcome.ok) {
      problems.push(outcome.problem);
      continue;
    }
    if (outcome.mismatch !== undefined) mismatches.push(outcome.mismatch);
    accounts.set(accountId, outcome.support);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, accounts, mismatches };
}
