/** The payer's typed money parameters: plain decimals only, and bounds that catch a slipped digit. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, parseCurrency, parseMarkup } from '../../src/domain/parameters.js';

const CURRENCIES = new Set(['USD', 'EUR', 'JPY']);

describe('parseMarkup()', () => {
  it.each(['1e3', '1E0', '1,1', '1 000', '1_000', '0x10', '.5', '1.', 'Infinity', 'NaN'])('refuses %j: not a plain decimal', (given) => {
    const parsed = parseMarkup('customMarkup', given, DEFAULT_LIMITS);
    expect(parsed).toMatchObject({ ok: false, problem: { code: 'MARKUP_INVALID', setting: 'customMarkup', value: given } });
    if (!parsed.ok) expect(parsed.problem.message).toContain('not a plain decimal number');
  });

  it.each([['1.1', '1.1'], ['5', '5'], [' 1.05 ', '1.05'], ['0.9', '0.9']])('takes %j as %s', (given, applied) => {
    expect(parseMarkup('customMarkup', given, DEFAULT_LIMITS)).toMatchObject({ ok: true, value: { applied } });
  });

  it('refuses a markup above rating.maxMarkup, naming the setting and the bound', () => {
    const parsed = parseMarkup('customMarkupMarketplace', '1000', DEFAULT_LIMITS);
    expect(parsed).toMatchObject({ ok: false, problem: { code: 'MARKUP_INVALID', setting: 'customMarkupMarketplace', value: '1000' } });
    if (!parsed.ok) expect(parsed.problem.message).toContain('is above rating.maxMarkup 5');
    expect(parseMarkup('customMarkup', '5.01', DEFAULT_LIMITS).ok).toBe(false);
  });

  it('bills a large markup once rating.maxMarkup is raised on purpose', () => {
    expect(parseMarkup('customMarkup', '12', { ...DEFAULT_LIMITS, maxMarkup: '20' })).toMatchObject({ ok: true, value: { applied: '12' } });
  });
});

describe('parseCurrency()', () => {
  it.each(['9.2e-1', '1,08', '1 000'])('refuses the fx rate %j: not a plain decimal', (fx) => {
    expect(parseCurrency('EUR', fx, CURRENCIES, DEFAULT_LIMITS)).toMatchObject({ ok: false, problem: { code: 'FX_INVALID', setting: 'fxRate', value: fx } });
  });

  it.each(['0.00009', '100000.01', '1000000'])('refuses the fx rate %s outside rating.fxRange', (fx) => {
    const parsed = parseCurrency('JPY', fx, CURRENCIES, DEFAULT_LIMITS);
    expect(parsed).toMatchObject({ ok: false, problem: { code: 'FX_INVALID', setting: 'fxRate' } });
    if (!parsed.ok) expect(parsed.problem.message).toContain('outside rating.fxRange 0.0001–100000');
  });

  it('takes the ends of the range, and a wider range given on purpose', () => {
    expect(parseCurrency('JPY', '100000', CURRENCIES, DEFAULT_LIMITS).ok).toBe(true);
    expect(parseCurrency('EUR', '0.0001', CURRENCIES, DEFAULT_LIMITS).ok).toBe(true);
    expect(parseCurrency('JPY', '1000000', CURRENCIES, { ...DEFAULT_LIMITS, fxRange: { min: '0.0001', max: '10000000' } })).toMatchObject({ ok: true, value: { fxRateText: '1000000' } });
  });
});
