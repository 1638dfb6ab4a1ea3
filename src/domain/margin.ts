/**
 * What the distributor earns (MARGIN.md §1–§3, §6): per customer, what AWS charged
 * for its rows (`awsCostUsd`, tax apart), what the customer was billed (the sum of its
 * rounded records in the file, whatever their category), the margin and its percent,
 * the unassigned accounts' cost and the payer's totals, with
 * `billedUsd = awsCostUsd + marginUsd` exactly, per customer and per payer.
 * Pure: no I/O, no clock. Amounts in and out are decimal strings; every figure is
 * exact until it is rounded once, here, through money.ts.
 */
import { MARKETPLACE_ENTITY } from './line-items.js';
import { NET_CARRIED_DISCOUNT_TYPES, type CurGroup } from './cur.js';
import { ConnectorError } from './errors.js';
import { Money, ZERO, money, roundAmount } from './money.js';

/** USD figures have 2 places; a percent 1 (MARGIN.md §1, §2). */
const USD_DECIMALS = 2;
const PERCENT_DECIMALS = 1;
const CENT = new Money('0.01');
const HUNDRED = new Money(100);
const MAX_DISCOUNT = new Money('0.40');
const MEASURE_POINTS = new Money('0.05');
/** The service key of the support record and of the support rows' cost. */
const SUPPORT_KEY = { billingEntity: 'AWS', productCode: 'support', usageType: '' };
const DISCOUNT_TYPES: ReadonlySet<string> = new Set(NET_CARRIED_DISCOUNT_TYPES);

/** `payers[].partnerLedSupport` (MARGIN.md §3); `baseDiscount` a decimal string in [0, 0.40]. */
export interface PartnerLedSupport {
  baseDiscount: string;
  caseQuality?: boolean;
  caseOwnership?: boolean;
  qualitySurvey?: boolean;
}

/**
 * The Partner-Led Support discount: `min(0.40, baseDiscount + 0.05 × measures met)`;
 * 0 without the setting. The schema holds `baseDiscount` to [0, 0.40]; a value outside
 * is a broken invariant (`CONFIG_INVALID`, naming it).
 */
export function plsDiscount(setting: PartnerLedSupport | undefined): Money {
  if (setting === undefined) return ZERO;
  const base = money(setting.baseDiscount);
  if (base.isNegative() || base.gt(MAX_DISCOUNT)) {
    throw new ConnectorError('CONFIG_INVALID', `partnerLedSupport.baseDiscount ${JSON.stringify(setting.baseDiscount)} is not in [0, 0.40]`, {
      where: { setting: 'payers[].partnerLedSupport.baseDiscount', value: setting.baseDiscount },
    });
  }
  const met = [setting.caseQuality, setting.caseOwnership, setting.qualitySurvey].filter((m) => m === true).length;
  const discount = base.plus(MEASURE_POINTS.times(met));
  return discount.gt(MAX_DISCOUNT) ? MAX_DISCOUNT : discount;
}

/** One service of an account: billing entity, product code and usage type (RATING.md §7's record key). */
export interface ServiceKey {
  billingEntity: string;
  productCode: string;
  usageType: string;
}

const keyText = (k: ServiceKey): string => `${k.billingEntity}\u0000${k.productCode}\u0000${k.usageType}`;

/** What AWS charged for one account's rows (MARGIN.md §1), exact, before the PLS discount. */
export interface AccountCost {
  /** Σ cost(row) over the rows whose type is not Tax. */
  costUsd: Money;
  /** Σ cost(row) over the Tax rows. */
  taxUsd: Money;
  /** Σ cost(row) over the support rows that are not Tax (the PLS discount's base). */
  supportCostUsd: Money;
  /** Non-tax cost by service; support rows under the support record's key. */
  services: Map<string, { key: ServiceKey; costUsd: Money; name: string }>;
  /** What the CUR cannot tell: rows it gives no cost for, discounts it gives no net cost for. */
  uncostedMarketplace: { productCode: string; rows: number }[];
  netMissingDiscountRows: number;
  /** Whether the account has discount rows of its own (then their amounts are in `costUsd`). */
  hasDiscountRows: boolean;
}

/**
 * The cost of one account from all of its groups: every row counts once, whatever the
 * rating did with it (rated, excluded or unassigned). `supportProductCodes`: RATING.md
 * §2's support allow-list.
 */
export function accountCost(groups: readonly CurGroup[], supportProductCodes: Readonly<Record<string, unknown>>): AccountCost {
  let cost = ZERO;
  let tax = ZERO;
  let support = ZERO;
  let netMissing = 0;
  let hasDiscountRows = false;
  const services = new Map<string, { key: ServiceKey; costUsd: Money; name: string }>();
  const uncosted = new Map<string, number>();
  for (const g of groups) {
    const c = money(g.costUsd ?? g.unblendedUsd);
    netMissing += g.netMissingDiscountRows ?? 0;
    if (DISCOUNT_TYPES.has(g.lineItemType) && !money(g.unblendedUsd).isZero()) hasDiscountRows = true;
    if (g.billingEntity === MARKETPLACE_ENTITY && (g.uncostedRows ?? 0) > 0) uncosted.set(g.productCode, (uncosted.get(g.productCode) ?? 0) + (g.uncostedRows ?? 0));
    if (g.lineItemType === 'Tax') {
      tax = tax.plus(c);
      continue;
    }
    cost = cost.plus(c);
    const isSupport = Object.prototype.hasOwnProperty.call(supportProductCodes, g.productCode);
    if (isSupport) support = support.plus(c);
    const key: ServiceKey = isSupport ? SUPPORT_KEY : { billingEntity: g.billingEntity, productCode: g.productCode, usageType: g.usageType };
    const k = keyText(key);
    const entry = services.get(k);
    const name = isSupport ? 'AWS Support' : g.productName;
    if (entry === undefined) services.set(k, { key, costUsd: c, name });
    else {
      entry.costUsd = entry.costUsd.plus(c);
      if (name > entry.name) entry.name = name;
    }
  }
  return {
    costUsd: cost,
    taxUsd: tax,
    supportCostUsd: support,
    services,
    uncostedMarketplace: [...uncosted].sort(([a], [b]) => (a < b ? -1 : 1)).map(([productCode, rows]) => ({ productCode, rows })),
    netMissingDiscountRows: netMissing,
    hasDiscountRows,
  };
}

/** A record of the customer's in the file, as margin reads it: its key, note and rounded billed amount. */
export interface BilledRecord extends ServiceKey {
  note: string;
  /** Rounded billed amount in the billing currency (decimal text). */
  billed: string;
}

/** One service of a customer in the report (account entry `services`). */
export interface ServiceMargin {
  billingEntity: string;
  productCode: string;
  usageType?: string;
  note: string;
  awsCostUsd: string;
  billed: string;
  billedUsd: string;
  marginUsd: string;
}

/** The figures of a customer and of the payer's totals (MARGIN.md §6). */
export interface MarginTotals {
  awsCostUsd: string;
  taxUsd: string;
  billed: string;
  billedUsd: string;
  marginUsd: string;
  /** '' when billedUsd is 0. */
  marginPercent: string;
  /** What the CUR cannot tell about this cost (absent when it tells all). */
  costNote?: string;
}

/** One customer of `margin.customers` (MARGIN.md §6): who, and its figures. */
export interface CustomerMargin extends MarginTotals {
  accountId: string;
  assetId: string | null;
  customer: string | null;
}

/** report.json's `margin` (MARGIN.md §6). */
export interface MarginReport {
  currency: string;
  fxRate: string;
  customers: CustomerMargin[];
  unassigned: { awsCostUsd: string; taxUsd: string; costNote?: string };
  totals: MarginTotals;
  partnerLedSupport: { discount: string };
}

export interface MarginSettings {
  currency: string;
  fxRate: Money;
  fxRateText: string;
  /** Decimal places of a billed amount (RATING.md §7, default 2). */
  amountDecimals: number;
  /** `plsDiscount(payers[].partnerLedSupport)`. */
  discount: Money;
}

/** The margin percent (MARGIN.md §2): margin ÷ billed × 100, 1 place, ROUND_HALF_UP; '' when billed is 0. */
export function percentOf(margin: Money, billedUsd: Money): string {
  return billedUsd.isZero() ? '' : roundAmount(margin.div(billedUsd).times(HUNDRED), PERCENT_DECIMALS).toFixed(PERCENT_DECIMALS);
}

const usd = (m: Money): string => m.toFixed(USD_DECIMALS);

/** Down to the cent (toward −∞), through the one rounding rule. */
function floorCent(x: Money): Money {
  const r = roundAmount(x, USD_DECIMALS);
  return r.gt(x) ? r.minus(CENT) : r;
}

/**
 * Splits `total` (a whole number of cents, the exact parts' sum rounded half up) over
 * the exact `parts`: each part down to the cent, then one more cent to the parts with
 * the largest remainders (the first on a tie), so the pieces add back to `total` exactly.
 */
export function allocateCents(parts: readonly Money[], total: Money): Money[] {
  const floors = parts.map(floorCent);
  let left = total;
  for (const f of floors) left = left.minus(f);
  const cents = left.div(CENT);
  if (!cents.isInteger() || cents.isNegative() || cents.gt(parts.length)) {
    throw new ConnectorError('INTERNAL', `cannot split ${total.toFixed()} over parts summing to ${parts.reduce((a, b) => a.plus(b), ZERO).toFixed()}`);
  }
  const order = parts.map((p, i) => ({ i, rest: p.minus(floors[i]!) })).sort((a, b) => b.rest.comparedTo(a.rest) || a.i - b.i);
  const out = [...floors];
  for (let n = 0; cents.gt(n); n += 1) out[order[n]!.i] = out[order[n]!.i]!.plus(CENT);
  return out;
}

/** The note of what the CUR cannot tell about a cost, or undefined. */
function costNoteOf(cost: AccountCost): string | undefined {
  const notes: string[] = [];
  const uncostedRows = cost.uncostedMarketplace.reduce((n, u) => n + u.rows, 0);
  if (uncostedRows > 0) {
    notes.push(`${uncostedRows} AWS Marketplace row(s) of ${cost.uncostedMarketplace.map((u) => u.productCode).join(', ')} have no cost in the CUR: awsCostUsd leaves them out`);
  }
  if (cost.netMissingDiscountRows > 0 && !cost.hasDiscountRows) {
    notes.push(`${cost.netMissingDiscountRows} row(s) carry a discount (discount_total_discount) but no line_item_net_unblended_cost: awsCostUsd is before that discount`);
  }
  return notes.length === 0 ? undefined : notes.join('; ');
}

/** A customer with its services (the account entry's `services`). */
export interface BookedCustomer {
  margin: CustomerMargin;
  services: ServiceMargin[];
}

/**
 * The payer's margin, one customer at a time (accounts in rating order), then the
 * unassigned accounts, then `finish()`. Holds one line per customer.
 */
export class MarginBook {
  private readonly customers: CustomerMargin[] = [];
  private unassignedCost = ZERO;
  private unassignedTax = ZERO;
  private unassignedSupport = ZERO;
  private readonly unassignedNotes: string[] = [];

  constructor(private readonly settings: MarginSettings) {}

  /**
   * Books a billed customer: its cost from `cost`, its billed side from `records`, the
   * customer's rounded records in the file, whatever their category (usage,
   * Marketplace, support, custom lines, credits).
   */
  customer(who: { accountId: string; assetId: string | null; customer?: string | undefined }, cost: AccountCost, records: readonly BilledRecord[]): BookedCustomer {
    const { fxRate, amountDecimals, discount } = this.settings;
    const costExact = cost.costUsd.minus(discount.times(cost.supportCostUsd));
    const awsCost = roundAmount(costExact, USD_DECIMALS);
    let billed = ZERO;
    for (const r of records) billed = billed.plus(money(r.billed));
    const billedUsd = roundAmount(billed.div(fxRate), USD_DECIMALS);
    const margin = billedUsd.minus(awsCost);
    const note = costNoteOf(cost);
    const entry: CustomerMargin = {
      accountId: who.accountId,
      assetId: who.assetId,
      customer: who.customer ?? null,
      awsCostUsd: usd(awsCost),
      taxUsd: usd(roundAmount(cost.taxUsd, USD_DECIMALS)),
      billed: billed.toFixed(amountDecimals),
      billedUsd: usd(billedUsd),
      marginUsd: usd(margin),
      marginPercent: percentOf(margin, billedUsd),
      ...(note === undefined ? {} : { costNote: note }),
    };
    this.customers.push(entry);
    return { margin: entry, services: this.services(cost, records, awsCost, billedUsd) };
  }

  /** The customer's services: cost and billed by service key, the USD figures split so they add back to the customer's. */
  private services(cost: AccountCost, records: readonly BilledRecord[], awsCost: Money, billedUsd: Money): ServiceMargin[] {
    const { fxRate, amountDecimals, discount } = this.settings;
    const rows = new Map<string, { key: ServiceKey; note: string; cost: Money; billed: Money }>();
    for (const [k, s] of cost.services) {
      const exact = s.key === SUPPORT_KEY ? s.costUsd.minus(discount.times(s.costUsd)) : s.costUsd;
      rows.set(k, { key: s.key, note: s.name === '' ? s.key.productCode : s.name, cost: exact, billed: ZERO });
    }
    for (const r of records) {
      const key: ServiceKey = { billingEntity: r.billingEntity, productCode: r.productCode, usageType: r.usageType };
      const k = keyText(key);
      const row = rows.get(k);
      if (row === undefined) rows.set(k, { key, note: r.note, cost: ZERO, billed: money(r.billed) });
      else {
        row.billed = row.billed.plus(money(r.billed));
        row.note = r.note;
      }
    }
    // A service the customer was not billed for and that cost nothing (e.g. RI-covered usage at 0) says nothing.
    const billedKeys = new Set(records.map((r) => keyText(r)));
    const list = [...rows.entries()]
      .filter(([k, row]) => billedKeys.has(k) || !row.cost.isZero())
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, row]) => row);
    const costs = allocateCents(list.map((s) => s.cost), awsCost);
    const usds = allocateCents(list.map((s) => s.billed.div(fxRate)), billedUsd);
    return list.flatMap((s, i) => {
      const c = costs[i]!;
      const b = usds[i]!;
      // Nothing to show (a few millionths of cost, no record): left out, the sums unchanged.
      if (c.isZero() && b.isZero() && s.billed.isZero() && !billedKeys.has(keyText(s.key))) return [];
      return [
        {
          billingEntity: s.key.billingEntity,
          productCode: s.key.productCode,
          ...(s.key.usageType === '' ? {} : { usageType: s.key.usageType }),
          note: s.note,
          awsCostUsd: usd(c),
          billed: s.billed.toFixed(amountDecimals),
          billedUsd: usd(b),
          marginUsd: usd(b.minus(c)),
        },
      ];
    });
  }

  /** Books an account without a subscription: cost only (no billed side). */
  unassigned(cost: AccountCost): void {
    this.unassignedCost = this.unassignedCost.plus(cost.costUsd);
    this.unassignedTax = this.unassignedTax.plus(cost.taxUsd);
    this.unassignedSupport = this.unassignedSupport.plus(cost.supportCostUsd);
    const note = costNoteOf(cost);
    if (note !== undefined) this.unassignedNotes.push(note);
  }

  /** The report's `margin`: customers, unassigned (rounded once, together), totals as sums of the rounded figures. */
  finish(): MarginReport {
    const { currency, fxRateText, amountDecimals, discount } = this.settings;
    const unassignedCost = roundAmount(this.unassignedCost.minus(discount.times(this.unassignedSupport)), USD_DECIMALS);
    const unassignedTax = roundAmount(this.unassignedTax, USD_DECIMALS);
    let cost = unassignedCost;
    let tax = unassignedTax;
    let billed = ZERO;
    let billedUsd = ZERO;
    for (const c of this.customers) {
      cost = cost.plus(money(c.awsCostUsd));
      tax = tax.plus(money(c.taxUsd));
      billed = billed.plus(money(c.billed));
      billedUsd = billedUsd.plus(money(c.billedUsd));
    }
    const margin = billedUsd.minus(cost);
    const noted = this.customers.filter((c) => c.costNote !== undefined).length;
    const totalsNote = [
      ...(noted > 0 ? [`${noted} customer(s) have a cost the CUR cannot fully tell (see their costNote)`] : []),
      ...(this.unassignedNotes.length > 0 ? ['the unassigned cost is not fully told (see unassigned.costNote)'] : []),
    ];
    return {
      currency,
      fxRate: fxRateText,
      customers: this.customers,
      unassigned: { awsCostUsd: usd(unassignedCost), taxUsd: usd(unassignedTax), ...(this.unassignedNotes.length > 0 ? { costNote: this.unassignedNotes.join('; ') } : {}) },
      totals: {
        awsCostUsd: usd(cost),
        taxUsd: usd(tax),
        billed: billed.toFixed(amountDecimals),
        billedUsd: usd(billedUsd),
        marginUsd: usd(margin),
        marginPercent: percentOf(margin, billedUsd),
        ...(totalsNote.length > 0 ? { costNote: totalsNote.join('; ') } : {}),
      },
      partnerLedSupport: { discount: discount.toFixed() },
    };
  }
}
