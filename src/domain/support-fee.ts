/**
 * Support plans and their fees (RATING.md §4). Pure: the tables are data loaded
 * by config/ from config/support-plans.json.
 */
import { Money, ZERO, sum } from './money.js';

/** Plan ids as ordered on a subscription (`support_level`). */
export const SUPPORT_PLANS = [
  'basic',
  'developer',
  'business',
  'enterprise-on-ramp',
  'enterprise',
  'business-plus',
  'unified-operations',
] as const;
export type SupportPlan = (typeof SUPPORT_PLANS)[number];
/** A detected plan may be `unknown` (a support product code with no known plan). */
export type DetectedPlan = SupportPlan | 'unknown';

export function isSupportPlan(value: string): value is SupportPlan {
  return (SUPPORT_PLANS as readonly string[]).includes(value);
}

export interface FeeBand {
  /** Upper bound of the band in USD (exclusive of the next band); null = unbounded. */
  upToUsd: string | null;
  /** Marginal rate, e.g. "0.07". */
  rate: string;
}

export interface FeeTable {
  id: string;
  plan: SupportPlan;
  /** First day the table applies, `YYYY-MM-DD` inclusive; null = since ever. */
  validFrom: string | null;
  /** Last day the table applies, `YYYY-MM-DD` inclusive; null = no end. */
  validUntil: string | null;
  minimumUsd: string;
  bands: FeeBand[];
}

export interface SupportCatalog {
  /** Support product code -> plan it signals (the allow-list of support rows). */
  productCodes: Record<string, DetectedPlan>;
  tables: FeeTable[];
}

/** True when `productCode` is a support product (its rows are replaced by computed support lines). */
export function isSupportProduct(catalog: SupportCatalog, productCode: string): boolean {
  return Object.prototype.hasOwnProperty.call(catalog.productCodes, productCode);
}

/** The table valid for `plan` on `date` (`YYYY-MM-DD`), or undefined when none is. */
export function tableFor(catalog: SupportCatalog, plan: SupportPlan, date: string): FeeTable | undefined {
  return catalog.tables.find(
    (t) => t.plan === plan && (t.validFrom === null || t.validFrom <= date) && (t.validUntil === null || date <= t.validUntil),
  );
}

/**
 * The month's fee in USD, unrounded: max(minimum, Σ marginal band rate × the part of
 * the base inside the band). A negative base counts as 0.
 */
export function supportFee(table: FeeTable, baseUsd: Money): Money {
  const base = baseUsd.isNegative() ? ZERO : baseUsd;
  let lower = ZERO;
  const parts: Money[] = [];
  for (const band of table.bands) {
    if (base.lte(lower)) break;
    const upper = band.upToUsd === null ? base : Money.min(base, new Money(band.upToUsd));
    parts.push(upper.minus(lower).times(band.rate));
    if (band.upToUsd === null) break;
    lower = new Money(band.upToUsd);
  }
  return Money.max(new Money(table.minimumUsd), sum(parts));
}

/**
 * Checks a catalog's own consistency: bands ascending with one open band last,
 * and no two tables of one plan valid on the same day. Returns the problems.
 */
export function catalogProblems(catalog: SupportCatalog): string[] {
  const problems: string[] = [];
  for (const t of catalog.tables) {
    let previous = ZERO;
    t.bands.forEach((b, i) => {
      const last = i === t.bands.length - 1;
      if (b.upToUsd === null && !last) problems.push(`table ${t.id}: only the last band may be open (upToUsd null)`);
      if (b.upToUsd !== null) {
        if (new Money(b.upToUsd).lte(previous)) problems.push(`table ${t.id}: band upToUsd ${b.upToUsd} is not above the previous band`);
        else previous = new Money(b.upToUsd);
      }
      if (last && b.upToUsd !== null) problems.push(`table ${t.id}: the last band must be open (upToUsd null)`);
    });
    if (t.validFrom !== null && t.validUntil !== null && t.validFrom > t.validUntil) {
      problems.push(`table ${t.id}: validFrom ${t.validFrom} is after validUntil ${t.validUntil}`);
    }
  }
  for (const [i, a] of catalog.tables.entries()) {
    for (const b of catalog.tables.slice(i + 1)) {
      if (a.plan !== b.plan) continue;
      const start = [a.validFrom ?? '0000-00-00', b.validFrom ?? '0000-00-00'].sort()[1] as string;
      const end = [a.validUntil ?? '9999-99-99', b.validUntil ?? '9999-99-99'].sort()[0] as string;
      if (start <= end) problems.push(`tables ${a.id} and ${b.id} of plan ${a.plan} are both valid on ${start}`);
    }
  }
  return problems;
}
