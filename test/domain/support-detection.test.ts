import { describe, expect, it } from 'vitest';
import { checkAccountId, checkExternalId, checkRoleName, planFromError, planFromSeverityCodes } from '../../src/domain/support-detection.js';

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

  it('reads a refused AssumeRole as unknown, naming the role', () => {
    const role = 'arn:aws:iam::222222222222:role/PartnerReadOnlySupportRole';
    const verdict = planFromError('AccessDenied', { step: 'assume-role', roleArn: role });
    expect(verdict.plan).toBe('unknown');
    expect(verdict.evidence).toContain(role);
    expect(verdict.evidence).toContain('does not trust the payer');
  });

  it('reads SubscriptionRequiredException from STS as unknown: only the Support API says that about plans', () => {
    expect(planFromError('SubscriptionRequiredException', { step: 'assume-role' }).plan).toBe('unknown');
  });

  it('reads any other error as unknown, naming the error', () => {
    expect(planFromError('InternalServerError')).toEqual({ plan: 'unknown', evidence: 'DescribeSeverityLevels failed (InternalServerError)' });
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
