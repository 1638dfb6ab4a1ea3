/**
 * Telling a member account's support plan from what the Support API answers
 * (FULFILLMENT.md, "Detecting a member account's support plan"). Pure: the
 * adapter makes the calls and hands the severity codes or the error name here.
 * Never guesses: anything the rules do not cover is `unknown`, with the reason.
 */

/** What a detection can conclude. `enterprise-class` covers legacy Enterprise, On-Ramp and the new paid plans. */
export type DetectedSupportPlan = 'enterprise-class' | 'business' | 'developer' | 'basic-or-developer' | 'unknown';

/** One member account's detected plan for one billing period. */
export interface Detection {
  /** The member account, 12 digits. */
  accountId: string;
  /** The billing period, `YYYY-MM`. */
  period: string;
  plan: DetectedSupportPlan;
  /** The severity codes DescribeSeverityLevels returned, when it answered. */
  codes?: string[];
  /** AWS's error name and (redacted) message, when a call was refused. */
  error?: string;
  /** One sentence saying why the plan is what it is. */
  reason: string;
  /** ISO 8601 time of the check. */
  checkedAt: string;
}

/** A conclusion and the sentence that justifies it. */
export interface PlanVerdict<P extends DetectedSupportPlan = DetectedSupportPlan> {
  plan: P;
  evidence: string;
}

/** Severity codes from lowest to highest (Support API `SeverityLevel.code`). */
const SEVERITY_ORDER = ['low', 'normal', 'high', 'urgent', 'critical'] as const;

/**
 * The plan the severity codes an account may use reveal:
 * highest `critical` → enterprise-class; highest `urgent` → business;
 * only `low`/`normal` → developer. Any other shape (no codes, highest `high`,
 * only codes this module does not know) → unknown, since no plan offers it.
 * Codes compare case-insensitively; unknown codes are named in the evidence.
 */
export function planFromSeverityCodes(codes: readonly string[]): PlanVerdict<'enterprise-class' | 'business' | 'developer' | 'unknown'> {
  const normalized = codes.map((c) => c.trim().toLowerCase());
  const known = normalized.filter((c): c is (typeof SEVERITY_ORDER)[number] => (SEVERITY_ORDER as readonly string[]).includes(c));
  const strange = normalized.filter((c) => !(SEVERITY_ORDER as readonly string[]).includes(c));
  const note = strange.length > 0 ? ` (ignored unknown codes: ${strange.join(', ')})` : '';
  const listed = codes.length > 0 ? codes.join(', ') : 'none';
  const highest = known.reduce<number>((top, c) => Math.max(top, SEVERITY_ORDER.indexOf(c)), -1);
  if (highest === SEVERITY_ORDER.indexOf('critical')) {
    return { plan: 'enterprise-class', evidence: `the account may open critical cases (codes: ${listed}), which only Enterprise-class plans offer${note}` };
  }
  if (highest === SEVERITY_ORDER.indexOf('urgent')) {
    return { plan: 'business', evidence: `the account's highest severity is urgent (codes: ${listed}), as on Business${note}` };
  }
  if (highest === SEVERITY_ORDER.indexOf('low') || highest === SEVERITY_ORDER.indexOf('normal')) {
    return { plan: 'developer', evidence: `the account may open only low and normal cases (codes: ${listed}), as on Developer${note}` };
  }
  if (highest === SEVERITY_ORDER.indexOf('high')) {
    return { plan: 'unknown', evidence: `the account's highest severity is high (codes: ${listed}), which matches no known plan${note}` };
  }
  return { plan: 'unknown', evidence: `DescribeSeverityLevels returned no known severity code (codes: ${listed})` };
}

/** Which call failed: assuming the member's role, or asking the Support API. */
export interface FailedStep {
  step: 'assume-role' | 'describe-severity-levels';
  /** The role ARN, for an AssumeRole refusal. */
  roleArn?: string;
}

const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException']);
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException']);

/**
 * What an AWS error name says about the plan.
 * `SubscriptionRequiredException` → basic-or-developer (the Support API is closed
 * to Basic and to Developer alike, so the two cannot be told apart).
 * A refused AssumeRole, `UnrecognizedClientException` or access denied → unknown,
 * saying why; anything else → unknown naming the error.
 */
export function planFromError(name: string, failed: FailedStep = { step: 'describe-severity-levels' }): PlanVerdict<'basic-or-developer' | 'unknown'> {
  if (failed.step === 'assume-role') {
    const role = failed.roleArn ?? 'the member role';
    if (ACCESS_DENIED.has(name)) {
      return {
        plan: 'unknown',
        evidence: `the payer may not assume ${role} (${name}): the role is missing, does not trust the payer, or the external id does not match`,
      };
    }
    if (THROTTLED.has(name)) return { plan: 'unknown', evidence: `STS kept throttling AssumeRole of ${role} (${name}); try again later` };
    return { plan: 'unknown', evidence: `AssumeRole of ${role} failed (${name})` };
  }
  if (name === 'SubscriptionRequiredException') {
    return {
      plan: 'basic-or-developer',
      evidence: 'the Support API answered SubscriptionRequiredException: it is closed to Basic and Developer plans alike, so the two cannot be told apart',
    };
  }
  if (name === 'UnrecognizedClientException') {
    return { plan: 'unknown', evidence: 'the Support API did not recognise the assumed role\u2019s credentials (UnrecognizedClientException)' };
  }
  if (ACCESS_DENIED.has(name)) {
    return { plan: 'unknown', evidence: `the assumed role may not call DescribeSeverityLevels (${name}): attach the SupportUser policy` };
  }
  if (THROTTLED.has(name)) return { plan: 'unknown', evidence: `the Support API kept throttling DescribeSeverityLevels (${name}); try again later` };
  return { plan: 'unknown', evidence: `DescribeSeverityLevels failed (${name})` };
}

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const ACCOUNT_ID = /^\d{12}$/;

/** A sentence saying why `name` is not a valid IAM role name (1–64 of letters, digits, `_+=,.@-`), or undefined. */
export function checkRoleName(name: string): string | undefined {
  if (ROLE_NAME.test(name)) return undefined;
  return `the role name must be 1 to 64 letters, digits or _+=,.@- characters (got ${name.length} characters)`;
}

/**
 * A sentence saying why `id` is not a valid STS external id (2–1224 of letters,
 * digits, `_+=,.@:/-`), or undefined. The sentence never repeats the id: it is a secret.
 */
export function checkExternalId(id: string): string | undefined {
  if (EXTERNAL_ID.test(id)) return undefined;
  return `the external id must be 2 to 1224 letters, digits or _+=,.@:/- characters (got ${id.length} characters)`;
}

/** A sentence saying why `accountId` is not a 12-digit AWS account id, or undefined. */
export function checkAccountId(accountId: string): string | undefined {
  return ACCOUNT_ID.test(accountId) ? undefined : `the account id must be 12 digits (got "${accountId.slice(0, 40)}")`;
}
