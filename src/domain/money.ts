/**
 * The one money module. Every amount on the money path is a `Money` (a decimal.js
 * clone with 40 significant digits) or a decimal string; no JavaScript `number`.
 * Rounding happens here and nowhere else: once per record, ROUND_HALF_UP.
 */
import { Decimal } from 'decimal.js';

/** Decimal with 40 significant digits (RATING.md asks for at least 34) and half-up rounding. */
export const Money = Decimal.clone({
  precision: 40,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -40,
  toExpPos: 40,
});
export type Money = InstanceType<typeof Money>;

export const ZERO: Money = new Money(0);
export const ONE: Money = new Money(1);

/**
 * A plain decimal number as text: optional sign, digits, optional fraction, optional
 * exponent (`1.2E-5` is how CUR CSV files write small amounts). No thousands
 * separators, no comma decimals, no `NaN` or `Infinity`, no hex.
 */
const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** True when `text` is a decimal number this module accepts. */
export function isDecimalText(text: string): boolean {
  return DECIMAL_TEXT.test(text.trim());
}

/**
 * Parses a decimal string; `undefined` when it is not one (the caller names the
 * value and where it came from in its own error).
 */
export function parseDecimal(text: string): Money | undefined {
  const t = text.trim();
  if (!DECIMAL_TEXT.test(t)) return undefined;
  return new Money(t);
}

/** Parses an amount that must be decimal (e.g. from the engine); empty means zero. */
export function money(text: string | null | undefined): Money {
  if (text === null || text === undefined || text.trim() === '') return ZERO;
  const m = parseDecimal(text);
  if (m === undefined) throw new TypeError(`not a decimal amount: ${JSON.stringify(text)}`);
  return m;
}

/** Sum of amounts. */
export function sum(values: Iterable<Money>): Money {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

/**
 * THE rounding rule: to `decimals` places, ROUND_HALF_UP (away from zero on a tie,
 * so -0.005 becomes -0.01). Applied once per record.
 */
export function roundAmount(value: Money, decimals: number): Money {
  const r = value.toDecimalPlaces(decimals, Money.ROUND_HALF_UP);
  return r.isZero() ? ZERO : r; // never "-0"
}

/** Fixed-point text with exactly `decimals` places (for rounded amounts). */
export function toFixedText(value: Money, decimals: number): string {
  return roundAmount(value, decimals).toFixed(decimals);
}

/** Exact text of an unrounded amount, without exponent and without trailing zeros. */
export function toExactText(value: Money): string {
  const v = value.isZero() ? ZERO : value;
  return v.toFixed();
}

const SUM_SCALE = 12;
const SUM_UNIT = new Money(`1e-${SUM_SCALE}`);
const FIXED_TEXT = /^([+-]?)(\d+)(?:\.(\d{0,12}))?$/;
const ENGINE_TEXT = /^-?\d+\.\d{12}$/;

/**
 * An amount as a running sum holds it: a BigInt count of 1e-12 units when its text
 * has at most 12 decimals (what the engines return: DECIMAL(38, 12)), else `Money`.
 * Parse an amount once with `sumPart` and add it to several sums without parsing
 * (or allocating a decimal) again.
 */
export type SumPart = bigint | Money;

/** Parses a decimal string ('' is zero) into a `SumPart`; throws on text that is not a decimal. */
export function sumPart(text: string): SumPart {
  // What the engines return: exactly 12 decimals ("-0.500000000000"); the digits
  // without the dot are the count of 1e-12 units (the pattern rules out what BigInt
  // would also read, such as hex or blanks).
  const dot = text.length - SUM_SCALE - 1;
  if (dot > 0 && text.charCodeAt(dot) === 46 /* . */ && ENGINE_TEXT.test(text)) {
    return BigInt(text.slice(0, dot) + text.slice(dot + 1));
  }
  const m = FIXED_TEXT.exec(text);
  if (m !== null) {
    const units = BigInt(`${m[2] ?? '0'}${(m[3] ?? '').padEnd(SUM_SCALE, '0')}`);
    return m[1] === '-' ? -units : units;
  }
  return text === '' ? 0n : money(text);
}

/**
 * An exact running sum of decimal strings, fast on the hot path: text with at most
 * 12 decimals is added as a BigInt count of 1e-12 units (no decimal allocated); any
 * other decimal text is added as `Money`. Exact either way.
 */
export class MoneySum {
  private units = 0n;
  private rest: Money = ZERO;

  /** Adds a decimal string ('' is zero); throws on text that is not a decimal. */
  add(text: string): this {
    return this.addPart(sumPart(text));
  }

  /** Adds an amount parsed by `sumPart`. */
  addPart(part: SumPart): this {
    if (typeof part === 'bigint') this.units += part;
    else this.rest = this.rest.plus(part);
    return this;
  }

  /** The sum so far. */
  value(): Money {
    if (this.units === 0n) return this.rest;
    const negative = this.units < 0n;
    const digits = (negative ? -this.units : this.units).toString().padStart(SUM_SCALE + 1, '0');
    // Up to 40 digits the units times 1e-12 are exact: write the point in rather than multiply.
    const units =
      digits.length <= 40
        ? new Money(`${negative ? '-' : ''}${digits.slice(0, -SUM_SCALE)}.${digits.slice(-SUM_SCALE)}`)
        : new Money(this.units.toString()).times(SUM_UNIT);
    return this.rest.isZero() ? units : units.plus(this.rest);
  }
}
