/**
 * report.json read for people (report.html, report.csv): the fields a page or a
 * spreadsheet row shows, read defensively from the JSON (a failed report has
 * few of them; fields added by later versions are optional), and amounts
 * rounded for reading. Display only: report.json keeps every amount exact, and
 * nothing here feeds back into billing. Pure: no I/O.
 */
import { Money, parseDecimal, roundAmount, sum } from '../domain/money.js';
import { percentOf } from '../domain/margin.js';

/** A JSON object as read from report.json. */
export type Json = Record<string, unknown>;

/** `value` as an object, or undefined. */
export function obj(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/** `value` as an array of objects (other items left out); [] when it is not an array. */
export function objects(value: unknown): Json[] {
  return Array.isArray(value) ? value.flatMap((v) => (obj(v) === undefined ? [] : [v as Json])) : [];
}

/** `value` as text: strings as they are, numbers and booleans stringified, anything else ''. */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/** USD amounts are shown to the cent. */
export const USD_DECIMALS = 2;

/** Decimal places of the billing currency: the report's `settings.amountDecimals` (an integer 0–8), else 2. */
export function currencyDecimals(head: Json): number {
  const d = obj(head.settings)?.amountDecimals;
  return typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= 8 ? d : 2;
}

/** True when `text` is plain fixed-point text with exactly `decimals` places (`-12.30` for 2, `7` for 0). */
function isFixed(text: string, decimals: number): boolean {
  const point = text.indexOf('.');
  const whole = point < 0 ? text : text.slice(0, point);
  if (decimals === 0 ? point >= 0 : point < 0 || text.length - point - 1 !== decimals) return false;
  return /^-?(0|[1-9]\d*)$/.test(whole) && (point < 0 || /^\d+$/.test(text.slice(point + 1)));
}

/**
 * A decimal amount rounded once to `decimals` places (ROUND_HALF_UP, the
 * rating's rule) as fixed text, `-` for a negative; undefined when `value` is
 * not decimal text (missing, or not a number).
 */
export function roundedText(value: unknown, decimals: number): string | undefined {
  // Most amounts arrive rounded already (records, the margin): their text is the answer.
  if (typeof value === 'string' && isFixed(value, decimals)) return value === '-0' || /^-0\.0*$/.test(value) ? value.slice(1) : value;
  const parsed = typeof value === 'string' || typeof value === 'number' ? parseDecimal(String(value)) : undefined;
  return parsed === undefined ? undefined : roundAmount(parsed, decimals).toFixed(decimals);
}

/**
 * An amount for reading: rounded to `decimals`, thousands grouped with commas
 * (`-1,234.50`). Missing: ''. Not decimal text: the text itself (the page
 * escapes it), so a bad value shows rather than vanishes.
 */
export function shownAmount(value: unknown, decimals: number): string {
  const fixed = roundedText(value, decimals);
  if (fixed === undefined) return text(value);
  const negative = fixed.startsWith('-');
  const [whole = '', fraction] = (negative ? fixed.slice(1) : fixed).split('.');
  return `${negative ? '-' : ''}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** The sum of decimal amounts (non-decimal ones left out), exact. */
export function total(values: readonly unknown[]): Money {
  return sum(values.flatMap((v) => {
    const m = typeof v === 'string' ? parseDecimal(v) : undefined;
    return m === undefined ? [] : [m];
  }));
}

/** MARGIN.md §2's percent: margin ÷ billed × 100 to 1 place, ROUND_HALF_UP; '' when billed is 0 or either is not decimal. */
export function marginPercentText(marginUsd: unknown, billedUsd: unknown): string {
  const m = typeof marginUsd === 'string' ? parseDecimal(marginUsd) : undefined;
  const b = typeof billedUsd === 'string' ? parseDecimal(billedUsd) : undefined;
  return m === undefined || b === undefined ? '' : percentOf(m, b);
}

/** Where a line of a customer's table goes: services (usage and Marketplace), support, or custom lines and credits. */
export type LineSection = 'services' | 'support' | 'lines';

/** One line of a customer's table and one row of report.csv: a service, the support fee, or a custom line or credit. */
export interface CustomerLine {
  section: LineSection;
  /** The record kind (`aws`, `marketplace`, `support`, or a line's), or the service's by its billing entity. */
  kind: string;
  billingEntity: string;
  productCode: string;
  usageType: string;
  /** What the customer reads: the service name, the support plan, the line's description. */
  note: string;
  /** Billed in the billing currency (a rounded record, or the sum of a service's records); '' when not known. */
  billed: string;
  /** The record id, when the line is exactly one record. */
  recordId: string;
  /** The margin of the service (MARGIN.md §6), when the report has it. */
  awsCostUsd?: string;
  billedUsd?: string;
  marginUsd?: string;
  marginPercent?: string;
}

const SECTION_ORDER: Record<LineSection, number> = { services: 0, support: 1, lines: 2 };

function sectionOf(kind: string): LineSection {
  if (kind === 'aws' || kind === 'marketplace') return 'services';
  return kind === 'support' ? 'support' : 'lines';
}

function recordLine(r: Json): CustomerLine {
  const kind = text(r.kind);
  return {
    section: sectionOf(kind),
    kind,
    billingEntity: text(r.billingEntity),
    productCode: text(r.productCode),
    usageType: text(r.usageType),
    note: text(r.note),
    billed: text(r.billed),
    recordId: text(r.recordId),
  };
}

const productKey = (r: Json): string => `${text(r.billingEntity)}\u0000${text(r.productCode)}`;
const usageKey = (r: Json): string => `${productKey(r)}\u0000${text(r.usageType)}`;

/** Records by billing entity and product code, and by those and the usage type, in record order. */
function recordIndex(records: readonly Json[]): { byProduct: Map<string, Json[]>; byUsage: Map<string, Json[]> } {
  const byProduct = new Map<string, Json[]>();
  const byUsage = new Map<string, Json[]>();
  for (const r of records) {
    for (const [map, key] of [[byProduct, productKey(r)], [byUsage, usageKey(r)]] as const) {
      const list = map.get(key);
      if (list === undefined) map.set(key, [r]);
      else list.push(r);
    }
  }
  return { byProduct, byUsage };
}

/**
 * The lines of one account entry, services first, then support, then custom
 * lines and credits. With the margin's per-service breakdown (`services`), each
 * service is one line with its cost, billed and margin, and each record that
 * no service covers (the support fee, lines) is a line of its own; without it,
 * each record is a line. Either way every record's billed amount is counted once.
 */
export function customerLines(entry: Json): CustomerLine[] {
  const records = objects(entry.records);
  const services = objects(entry.services);
  const covered = new Set<Json>();
  const index = recordIndex(records);
  const lines: CustomerLine[] = services.map((s) => {
    // A service's records: same billing entity and product code, and usage type when the service names one.
    const named = s.usageType !== undefined && s.usageType !== null;
    const mine = ((named ? index.byUsage.get(usageKey(s)) : index.byProduct.get(productKey(s))) ?? []).filter((r) => !covered.has(r));
    for (const r of mine) covered.add(r);
    const first = mine[0];
    const kind = first === undefined ? (text(s.billingEntity) === 'AWS Marketplace' ? 'marketplace' : 'aws') : text(first.kind);
    const billedUsd = text(s.billedUsd);
    const marginUsd = text(s.marginUsd);
    return {
      section: sectionOf(kind),
      kind,
      billingEntity: text(s.billingEntity),
      productCode: text(s.productCode),
      usageType: text(s.usageType),
      note: text(s.note) || text(first?.note),
      billed: text(s.billed) || (mine.length === 0 ? '' : total(mine.map((r) => r.billed)).toFixed()),
      recordId: mine.length === 1 && first !== undefined ? text(first.recordId) : '',
      awsCostUsd: text(s.awsCostUsd),
      billedUsd,
      marginUsd,
      marginPercent: text(s.marginPercent) || marginPercentText(marginUsd, billedUsd),
    };
  });
  for (const r of records) if (!covered.has(r)) lines.push(recordLine(r));
  return lines
    .map((line, at) => ({ line, at }))
    .sort((a, b) => SECTION_ORDER[a.line.section] - SECTION_ORDER[b.line.section] || a.at - b.at)
    .map(({ line }) => line);
}

/** The customer's name of an account entry ('' when unknown): the entry's `customer`, else the margin's. */
export function customerName(entry: Json, margin?: Json): string {
  return (text(entry.customer) || text(margin?.customer)).trim();
}

/** The margin's customers by account id (MARGIN.md §6), empty without a margin. */
export function marginByAccount(head: Json): Map<string, Json> {
  return new Map(objects(obj(head.margin)?.customers).map((c) => [text(c.accountId), c]));
}
