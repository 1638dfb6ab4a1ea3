/**
 * Telling a member account's support plan from what the Support API answers
 * (FULFILLMENT.md, "Detecting a member account's support plan"). Pure: the
 * adapter makes the calls and hands the severity codes or the error name here.
 * Never guesses: anything the rules do not cover is `unknown`, with the reason.
 */

/** What a detection can conclude. `enterprise-class` covers legacy Enterprise, On-Ramp and the new paid plans. */
export type DetectedSupportPlan = 'enterprise-class' | 'business' | 'developer' | 'basic-or-developer' | 'unknown';

/**
 * Why a plan could not be told (a closed list, the audit's `plan-undetectable`
 * groups): the member role could not be assumed; the role may not call the
 * Support API; the Support API is closed to the plan (Basic or Developer); AWS
 * throttled, timed out, could not be reached or failed on its side; the codes
 * matched no known plan; anything else.
 */
export const UNDETECTABLE_CAUSES = ['role-not-assumable', 'support-api-denied', 'subscription-required', 'throttled-or-unavailable', 'unrecognised-codes', 'other'] as const;
export type UndetectableCause = (typeof UNDETECTABLE_CAUSES)[number];

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
  /** Why the plan could not be told (`unknown`, `basic-or-developer`); absent for a plan the codes revealed. */
  cause?: UndetectableCause;
  /** ISO 8601 time of the check. */
  checkedAt: string;
}

/** A conclusion and the sentence that justifies it. */
export interface PlanVerdict<P extends DetectedSupportPlan = DetectedSupportPlan> {
  plan: P;
  evidence: string;
  /** Why the plan could not be told, when it could not (`unknown`, `basic-or-developer`). */
  cause?: UndetectableCause;
}

/** What a detection rests on, as the audit shows it beside the plan: the codes returned, or the error. */
export interface PlanEvidence {
  /** The severity codes DescribeSeverityLevels returned, when it answered. */
  codes?: string[];
  /** AWS's error name and (redacted) message, when a call was refused. */
  error?: string;
  /** One sentence saying why the plan is what it is. */
  reason: string;
  /** Why the plan could not be told, when it could not. */
  cause?: UndetectableCause;
  /** ISO 8601 time of the check (a stored detection keeps the time it was made). */
  checkedAt: string;
}

/**
 * The evidence of `detection`. A detection read back from the state database
 * has no `cause` (no column holds it): it is derived from what is stored,
 * exactly for what the cache serves (`basic-or-developer` is always
 * SubscriptionRequiredException; an `unknown` with codes is unrecognised codes).
 */
export function evidenceOf(detection: Detection): PlanEvidence {
  const cause = detection.cause ?? derivedCause(detection);
  return {
    ...(detection.codes === undefined ? {} : { codes: [...detection.codes] }),
    ...(detection.error === undefined ? {} : { error: detection.error }),
    reason: detection.reason,
    ...(cause === undefined ? {} : { cause }),
    checkedAt: detection.checkedAt,
  };
}

function derivedCause(detection: Detection): UndetectableCause | undefined {
  if (detection.plan === 'basic-or-developer') return 'subscription-required';
  if (detection.plan !== 'unknown') return undefined;
  return detection.codes !== undefined && detection.error === undefined ? 'unrecognised-codes' : 'other';
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
    return { plan: 'unknown', evidence: `the account's highest severity is high (codes: ${listed}), which matches no known plan${note}`, cause: 'unrecognised-codes' };
  }
  return { plan: 'unknown', evidence: `DescribeSeverityLevels returned no known severity code (codes: ${listed})`, cause: 'unrecognised-codes' };
}

/** Which call failed: assuming the member's role, or asking the Support API. */
export interface FailedStep {
  step: 'assume-role' | 'describe-severity-levels';
  /** The role ARN, for an AssumeRole refusal. */
  roleArn?: string;
}

const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException']);
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException']);
/** AWS did not answer in time, could not be reached, or failed on its side: worth asking again later. */
const UNAVAILABLE = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ETIMEDOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'InternalServerError',
  'InternalServerErrorException',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/** The role's name in its ARN (`arn:aws:iam::<account>:role/<path/>Name`), or the ARN itself. */
function roleNameOf(roleArn: string): string {
  const name = roleArn.split('/').at(-1);
  return name === undefined || name === '' ? roleArn : name;
}

/**
 * What an AWS error name says about the plan, and why the plan could not be told.
 * `SubscriptionRequiredException` → basic-or-developer (the Support API is closed
 * to Basic and to Developer alike, so the two cannot be told apart).
 * A refused AssumeRole (`role-not-assumable`), access denied on the Support API
 * (`support-api-denied`), throttling, timeouts, unreachable or failing AWS
 * (`throttled-or-unavailable`) → unknown, saying why; anything else → unknown
 * naming the error (`other`).
 */
export function planFromError(name: string, failed: FailedStep = { step: 'describe-severity-levels' }): PlanVerdict<'basic-or-developer' | 'unknown'> {
  if (failed.step === 'assume-role') {
    const arn = failed.roleArn;
    const role = arn === undefined ? 'the member role' : roleNameOf(arn);
    if (ACCESS_DENIED.has(name)) {
      return {
        plan: 'unknown',
        evidence: `the payer may not assume ${role} (${name}): the role${arn === undefined ? '' : ` ${arn}`} is missing, does not trust the payer, or the external id does not match`,
        cause: 'role-not-assumable',
      };
    }
    if (THROTTLED.has(name)) return { plan: 'unknown', evidence: `STS kept throttling AssumeRole of ${arn ?? role} (${name}); try again later`, cause: 'throttled-or-unavailable' };
    if (UNAVAILABLE.has(name)) return { plan: 'unknown', evidence: `STS did not answer AssumeRole of ${arn ?? role} (${name}); try again later`, cause: 'throttled-or-unavailable' };
    return { plan: 'unknown', evidence: `AssumeRole of ${arn ?? role} failed (${name})`, cause: 'other' };
  }
  if (name === 'SubscriptionRequiredException') {
    return {
      plan: 'basic-or-developer',
      evidence: 'the Support API answered SubscriptionRequiredException: it is closed to Basic and Developer plans alike, so the two cannot be told apart',
      cause: 'subscription-required',
    };
  }
  if (name === 'UnrecognizedClientException') {
    return { plan: 'unknown', evidence: 'the Support API did not recognise the assumed role\u2019s credentials (UnrecognizedClientException)', cause: 'other' };
  }
  if (ACCESS_DENIED.has(name)) {
    return { plan: 'unknown', evidence: `the assumed role may not call DescribeSeverityLevels (${name}): attach the SupportUser policy`, cause: 'support-api-denied' };
  }
  if (THROTTLED.has(name)) return { plan: 'unknown', evidence: `the Support API kept throttling DescribeSeverityLevels (${name}); try again later`, cause: 'throttled-or-unavailable' };
  if (UNAVAILABLE.has(name)) return { plan: 'unknown', evidence: `the Support API did not answer DescribeSeverityLevels (${name}); try again later`, cause: 'throttled-or-unavailable' };
  return { plan: 'unknown', evidence: `DescribeSeverityLevels failed (${name})`, cause: 'other' };
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
