import { describe, expect, it } from 'vitest';
import { checkAccountId, checkExternalId, checkRoleName, evidenceOf, planFromError, planFromSeverityCodes, type Detection, type UndetectableCause } from '../../src/domain/support-detection.js';

describe('planFromSeverityCodes()', () => {
  it.each([
    [['low', 'normal', 'high', 'urgent', 'critical'], 'enterprise-class'],
    [['critical'], 'enterprise-class'],
    [['low', 'normal', 'high', 'urgent'], 'business'],
    [['Urgent', 'LOW'], 'business'],
    [['low', 'normal'], 'developer'],
    [['low'], 'developer'],
    [['low', 'normal', 'high'], 'unknown'],
    [[], 'unknown'],
    [['sev-9'], 'unknown'],
  ])('reads %j as %s', (codes, plan) => {
    expect(planFromSeverityCodes(codes).plan).toBe(plan);
  });

  it('gives a cause only when the codes tell no plan', () => {
    expect(planFromSeverityCodes(['low', 'normal', 'high', 'urgent']).cause).toBeUndefined();
    expect(planFromSeverityCodes(['low', 'normal', 'high']).cause).toBe('unrecognised-codes');
    expect(planFromSeverityCodes([]).cause).toBe('unrecognised-codes');
  });

  it('names the codes it saw and the ones it ignored in the evidence', () => {
    const verdict = planFromSeverityCodes(['low', 'normal', 'urgent', 'sev-9']);
    expect(verdict.plan).toBe('business');
    expect(verdict.evidence).toContain('low, normal, urgent, sev-9');
    expect(verdict.evidence).toContain('ignored unknown codes: sev-9');
  });
});

describe('planFromError()', () => {
  it('reads SubscriptionRequiredException as basic-or-developer, saying why the two look alike', () => {
    const verdict = planFromError('SubscriptionRequiredException');
    expect(verdict.plan).toBe('basic-or-developer');
    expect(verdict.evidence).toContain('closed to Basic and Developer plans alike');
  });

  it('reads UnrecognizedClientException as unknown, naming it', () => {
    const verdict = planFromError('UnrecognizedClientException');
    expect(verdict).toMatchObject({ plan: 'unknown' });
    expect(verdict.evidence).toContain('UnrecognizedClientException');
  });

  it('reads access denied on the Support API as unknown, pointing at the SupportUser policy', () => {
    expect(planFromError('AccessDeniedException')).toMatchObject({ plan: 'unknown', evidence: expect.stringContaining('SupportUser') });
  });

  it('reads a refused AssumeRole as unknown, naming the role and its ARN', () => {
    const role = 'arn:aws:iam::222222222222:role/PartnerReadOnlySupportRole';
    const verdict = planFromError('AccessDenied', { step: 'assume-role', roleArn: role });
    expect(verdict).toMatchObject({ plan: 'unknown', cause: 'role-not-assumable' });
    expect(verdict.evidence).toMatch(/^the payer may not assume PartnerReadOnlySupportRole \(AccessDenied\): the role arn:aws:iam::222222222222:role\/PartnerReadOnlySupportRole is missing/);
    expect(verdict.evidence).toContain('does not trust the payer');
  });

  it.each([
    ['AccessDenied', { step: 'assume-role' as const, roleArn: 'arn:aws:iam::222222222222:role/R' }, 'unknown', 'role-not-assumable'],
    ['Throttling', { step: 'assume-role' as const }, 'unknown', 'throttled-or-unavailable'],
    ['TimeoutError', { step: 'assume-role' as const }, 'unknown', 'throttled-or-unavailable'],
    ['RegionDisabledException', { step: 'assume-role' as const }, 'unknown', 'other'],
    ['AccessDeniedException', { step: 'describe-severity-levels' as const }, 'unknown', 'support-api-denied'],
    ['SubscriptionRequiredException', { step: 'describe-severity-levels' as const }, 'basic-or-developer', 'subscription-required'],
    ['ThrottlingException', { step: 'describe-severity-levels' as const }, 'unknown', 'throttled-or-unavailable'],
    ['ECONNREFUSED', { step: 'describe-severity-levels' as const }, 'unknown', 'throttled-or-unavailable'],
    ['InternalServerError', { step: 'describe-severity-levels' as const }, 'unknown', 'throttled-or-unavailable'],
    ['UnrecognizedClientException', { step: 'describe-severity-levels' as const }, 'unknown', 'other'],
    ['SomethingNew', { step: 'describe-severity-levels' as const }, 'unknown', 'other'],
  ])('reads %s at %j as %s, cause %s', (name, step, plan, cause) => {
    expect(planFromError(name, step)).toMatchObject({ plan, cause });
  });

  it('reads SubscriptionRequiredException from STS as unknown: only the Support API says that about plans', () => {
    expect(planFromError('SubscriptionRequiredException', { step: 'assume-role' }).plan).toBe('unknown');
  });

  it('reads any other error as unknown, naming the error', () => {
    expect(planFromError('BadRequest')).toEqual({ plan: 'unknown', evidence: 'DescribeSeverityLevels failed (BadRequest)', cause: 'other' });
  });

  it('reads a failing or unreachable Support API as unknown, to ask again later', () => {
    expect(planFromError('InternalServerError')).toEqual({ plan: 'unknown', evidence: 'the Support API did not answer DescribeSeverityLevels (InternalServerError); try again later', cause: 'throttled-or-unavailable' });
  });
});

describe('evidenceOf()', () => {
  const base: Detection = { accountId: '222222222222', period: '2026-10', plan: 'business', codes: ['low', 'urgent'], reason: 'urgent', checkedAt: '2026-11-05T00:00:00.000Z' };

  it('carries the codes, the reason and the time of a detected plan, without a cause', () => {
    expect(evidenceOf(base)).toEqual({ codes: ['low', 'urgent'], reason: 'urgent', checkedAt: '2026-11-05T00:00:00.000Z' });
  });

  it('carries the error and the cause of a refusal', () => {
    const refused: Detection = { accountId: '222222222222', period: '2026-10', plan: 'unknown', error: 'AccessDenied: no', reason: 'may not assume', cause: 'role-not-assumable', checkedAt: base.checkedAt };
    expect(evidenceOf(refused)).toEqual({ error: 'AccessDenied: no', reason: 'may not assume', cause: 'role-not-assumable', checkedAt: base.checkedAt });
  });

  const stored = { accountId: '222222222222', period: '2026-10', reason: 'why', checkedAt: base.checkedAt };
  it.each<[string, Detection, UndetectableCause]>([
    ['a basic-or-developer', { ...stored, plan: 'basic-or-developer', error: 'SubscriptionRequiredException: x' }, 'subscription-required'],
    ['an unknown with codes', { ...stored, plan: 'unknown', codes: ['high'] }, 'unrecognised-codes'],
    ['an unknown with an error', { ...stored, plan: 'unknown', error: 'Boom: x' }, 'other'],
  ])('derives the cause of %s detection read back from the store (no cause column)', (_what, detection, cause) => {
    expect(evidenceOf(detection).cause).toBe(cause);
  });
});

describe('checkRoleName()', () => {
  it.each(['PartnerReadOnlySupportRole', 'a', 'role+=,.@-_x', 'x'.repeat(64)])('accepts %s', (name) => {
    expect(checkRoleName(name)).toBeUndefined();
  });

  it.each(['', 'x'.repeat(65), 'has space', 'path/role', 'rôle'])('rejects %j with a sentence', (name) => {
    expect(checkRoleName(name)).toMatch(/^the role name must be 1 to 64/);
  });
});

describe('checkExternalId()', () => {
  it.each(['ab', 'ext-secret-42', 'a:b/c=d,e.f@g+h_i-j', 'x'.repeat(1224)])('accepts %s', (id) => {
    expect(checkExternalId(id)).toBeUndefined();
  });

  it.each(['Q', 'x'.repeat(1225), 'with space', 'semi;colon'])('rejects %j without repeating it', (id) => {
    const sentence = checkExternalId(id);
    expect(sentence).toMatch(/^the external id must be 2 to 1224/);
    expect(sentence).not.toContain(id);
  });
});

describe('checkAccountId()', () => {
  it('accepts 12 digits and rejects anything else', () => {
    expect(checkAccountId('222222222222')).toBeUndefined();
    expect(checkAccountId('2222')).toContain('12 digits');
    expect(checkAccountId('22222222222a')).toContain('12 digits');
  });
});
