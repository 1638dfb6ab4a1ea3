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
 * A markup parameter: missing or empty → 1; a number ≤ 0 → 1 (noted); a value
 * between 0 and 1 is a discount; anything that is not a decimal number is an error.
 */
export function parseMarkup(setting: string, given: string | undefined): Parsed<AppliedMarkup> {
  if (given === undefined || given.trim() === '') {
    return { ok: true, value: { given, applied: '1', value: ONE, note: `${setting} is empty: 1 applied` } };
  }
  const value = parseDecimal(given);
  if (value === undefined) {
    return {
      ok: false,
      problem: {
        code: 'MARKUP_INVALID',
        setting,
        value: given,
        message: `${setting} ${JSON.stringify(given)} is not a decimal number (use a dot, e.g. "1.1")`,
      },
    };
  }
  if (value.lte(0)) {
    return { ok: true, value: { given, applied: '1', value: ONE, note: `${setting} ${JSON.stringify(given)} is not above 0: 1 applied` } };
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
): Parsed<AppliedCurrency> {
  const currency = currencyGiven === undefined || currencyGiven.trim() === '' ? 'USD' : currencyGiven.trim();
  if (!ISO_4217.test(currency) || (knownCurrencies.size > 0 && !knownCurrencies.has(currency))) {
    return {
      ok: false,
      problem: { code: 'CONFIG_INVALID', setting: 'marketplaceCurrency', value: currency, message: `marketplaceCurrency ${JSON.stringify(currency)} is not an ISO 4217 currency code` },
    };
  }
  const missing = fxGiven === undefined || fxGiven.trim() === '';
  if (missing && currency === 'USD') return { ok: true, value: { currency, fxRate: ONE, fxRateText: '1', note: 'fxRate is empty and the currency is USD: 1 applied' } };
  const fx = missing ? undefined : parseDecimal(fxGiven);
  if (fx === undefined || fx.lte(0)) {
    const shown = missing ? 'missing' : JSON.stringify(fxGiven);
    return {
      ok: false,
      problem: {
        code: 'FX_INVALID',
        setting: 'fxRate',
        value: fxGiven ?? '',
        message: `fxRate is ${shown}: billing in ${currency} needs a decimal rate above 0 (USD → ${currency})`,
      },
    };
  }
  const note = currency === 'USD' && !fx.equals(ONE) ? `fxRate ${toExactText(fx)} applied to a USD payer` : undefined;
  return { ok: true, value: { currency, fxRate: fx, fxRateText: toExactText(fx), ...(note ? { note } : {}) } };
}
