/** `payers[].partnerLedSupport` (MARGIN.md §3): a base discount from "0" to "0.40" as text, three measures defaulting to false. */
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';

const parse = (partnerLedSupport: unknown) => configSchema.safeParse({ payers: [{ accountId: '111111111111', partnerLedSupport }] });
const messages = (partnerLedSupport: unknown): string[] => {
  const parsed = parse(partnerLedSupport);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('payers[].partnerLedSupport', () => {
  it('takes a base discount from "0" to "0.40", the measures false when missing', () => {
    for (const base of ['0', '0.25', '0.4', '0.40', '0.3999']) expect(parse({ baseDiscount: base }).success, base).toBe(true);
    const parsed = parse({ baseDiscount: '0.25', caseQuality: true });
    expect(parsed.success && parsed.data.payers[0]?.partnerLedSupport).toEqual({ baseDiscount: '0.25', caseQuality: true, caseOwnership: false, qualitySurvey: false });
  });

  it('refuses a base above 0.40, a negative or malformed one, naming the setting', () => {
    for (const base of ['0.41', '0.5', '1', '-0.1', '0.', '.25', '0.25 ', '2.5e-1']) {
      expect(messages({ baseDiscount: base }), base).toEqual(['payers.0.partnerLedSupport.baseDiscount: baseDiscount must be a decimal from "0" to "0.40" such as "0.25"']);
    }
  });

  it('refuses a JSON number (already binary floating point), saying to quote it', () => {
    expect(messages({ baseDiscount: 0.25 })).toEqual(['payers.0.partnerLedSupport.baseDiscount: baseDiscount must be a quoted decimal string such as "0.25", not 0.25']);
  });

  it('refuses a missing base, a measure that is not a boolean and an unknown key', () => {
    expect(messages({})).toEqual(['payers.0.partnerLedSupport.baseDiscount: baseDiscount is required']);
    expect(messages({ baseDiscount: '0.25', caseQuality: 'yes' })[0]).toMatch(/^payers\.0\.partnerLedSupport\.caseQuality: /);
    expect(messages({ baseDiscount: '0.25', caseQualty: true })[0]).toMatch(/caseQualty/);
  });
});
