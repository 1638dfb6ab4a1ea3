/**
 * The payer's money parameters (RATING.md §3 and §5): markups, currency and fx
 * rate, as typed by a person. Untrusted text in, checked values out; problems are
 * returned as values naming the parameter and the value.
 */
import { Money, ONE, parseDecimal, toExactText } from './money.js';

export interface ParameterProblem {
  code: 'MARKUP_INVALID' | 'FX_INVALID' | 'CONFIG_INVALID';
  setting: string;
  value: string;
  message: string;
}

export interface AppliedMarkup {
  /** As given (undefined when missing). */
  given: string | undefined;
  /** As applied, exact decimal text. */
  applied: string;
  value: Money;
  /** Why the applied value differs from the given one, if it does. */
  note?: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: ParameterProblem };

/**
 * How far a typed money parameter may go before it is refused as a likely
 * mistake (`1000` for `1.000`, an fx rate the wrong way round). Raised on purpose
 * in the configuration (`rating.maxMarkup`, `rating.fxRange`), never guessed.
 */
export interface ParameterLimits {
  /** The largest markup billed (decimal text). Absent: no bound. */
  maxMarkup?: string | undefined;
  /** The fx rates billed, both ends included (decimal text). Absent: any rate above 0. */
  fxRange?: { min: string; max: string } | undefined;
}

/** The limits of a run whose configuration names none (`rating.maxMarkup`, `rating.fxRange`). */
export const DEFAULT_LIMITS: Required<ParameterLimits> = { maxMarkup: '5', fxRange: { min: '0.0001', max: '100000' } };

/**
 * A money parameter as a person types it: digits with an optional sign and one
 * dot. No exponent (`1e3` is a thousand, not a typo one can see), no thousands
 * separator, no spaces inside.
 */
const PLAIN_DECIMAL = /^[+-]?\d+(\.\d+)?$/;

/** A refused parameter, as a value. */
function refused(code: ParameterProblem['code'], setting: string, value: string, message: string): { ok: false; problem: ParameterProblem } {
  return { ok: false, problem: { code, setting, value, message } };
}

function plainDecimal(given: string): Money | undefined {
  const t = given.trim();
  return PLAIN_DECIMAL.test(t) ? parseDecimal(t) : undefined;
}

/**
 * A markup parameter: missing or empty → 1; a number ≤ 0 → 1 (noted); a value
 * between 0 and 1 is a discount; anything that is not a decimal number is an error.
 */
export function parseMarkup(setting: string, given: string | undefined, limits: ParameterLimits = {}): Parsed<AppliedMarkup> {
  if (given === undefined || given.trim() === '') {
    return { ok: true, value: { given, applied: '1', value: ONE, note: `${setting} is empty: 1 applied` } };
  }
  const value = plainDecimal(given);
  if (value === undefined) {
    return refused('MARKUP_INVALID', setting, given, `${setting} ${JSON.stringify(given)} is not a plain decimal number (digits and a dot, e.g. "1.1"; no exponent, no separators)`);
  }
  if (value.lte(0)) {
    return { ok: true, value: { given, applied: '1', value: ONE, note: `${setting} ${JSON.stringify(given)} is not above 0: 1 applied` } };
  }
  const max = limits.maxMarkup === undefined ? undefined : parseDecimal(limits.maxMarkup);
  if (max !== undefined && value.gt(max)) {
    return refused('MARKUP_INVALID', setting, given, `${setting} ${JSON.stringify(given)} is above rating.maxMarkup ${toExactText(max)}: refused as a likely mistake (raise rating.maxMarkup on purpose to bill it)`);
  }
  return { ok: true, value: { given, applied: toExactText(value), value } };
}

export interface AppliedCurrency {
  currency: string;
  fxRate: Money;
  /** Exact decimal text of the rate used (provenance for reruns). */
  fxRateText: string;
  note?: string;
}

const ISO_4217 = /^[A-Z]{3}$/;

/**
 * Currency and fx rate: currency defaults to USD; fxRate must be a decimal > 0,
 * and may be missing only for USD (then 1).
 */
export function parseCurrency(
  currencyGiven: string | undefined,
  fxGiven: string | undefined,
  knownCurrencies: ReadonlySet<string>,
  limits: ParameterLimits = {},
): Parsed<AppliedCurrency> {
  const currency = currencyGiven === undefined || currencyGiven.trim() === '' ? 'USD' : currencyGiven.trim();
  if (!ISO_4217.test(currency) || (knownCurrencies.size > 0 && !knownCurrencies.has(currency))) {
    return refused('CONFIG_INVALID', 'marketplaceCurrency', currency, `marketplaceCurrency ${JSON.stringify(currency)} is not an ISO 4217 currency code`);
  }
  const missing = fxGiven === undefined || fxGiven.trim() === '';
  if (missing && currency === 'USD') return { ok: true, value: { currency, fxRate: ONE, fxRateText: '1', note: 'fxRate is empty and the currency is USD: 1 applied' } };
  const fx = missing ? undefined : plainDecimal(fxGiven);
  if (fx === undefined || fx.lte(0)) {
    const shown = missing ? 'missing' : JSON.stringify(fxGiven);
    return refused('FX_INVALID', 'fxRate', fxGiven ?? '', `fxRate is ${shown}: billing in ${currency} needs a plain decimal rate above 0 (USD → ${currency}; digits and a dot, no exponent, no separators)`);
  }
  const range = limits.fxRange === undefined ? undefined : { min: parseDecimal(limits.fxRange.min), max: parseDecimal(limits.fxRange.max) };
  if (range?.min !== undefined && range.max !== undefined && (fx.lt(range.min) || fx.gt(range.max))) {
    return refused('FX_INVALID', 'fxRate', fxGiven ?? '', `fxRate ${JSON.stringify(fxGiven)} is outside rating.fxRange ${toExactText(range.min)}–${toExactText(range.max)}: refused as a likely mistake (USD → ${currency}; widen rating.fxRange on purpose to bill it)`);
  }
  const note = currency === 'USD' && !fx.equals(ONE) ? `fxRate ${toExactText(fx)} applied to a USD payer` : undefined;
  return { ok: true, value: { currency, fxRate: fx, fxRateText: toExactText(fx), ...(note ? { note } : {}) } };
}
