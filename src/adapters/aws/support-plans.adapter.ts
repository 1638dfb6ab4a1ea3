/**
 * Detects a member account's support plan: from the payer, AssumeRole into the
 * member's read-only role, then ask the Support API (us-east-1 only) which
 * severity levels the account may use. The conclusion is the domain's
 * (`support-detection.ts`); this file only makes the calls and turns every AWS
 * refusal into a `Detection`, so one bad account never stops the others.
 */
import { AssumeRoleCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import { DescribeSeverityLevelsCommand, SupportClient } from '@aws-sdk/client-support';
import pLimit from 'p-limit';
import type { SupportPlanDetection } from '../../app/support/detect-plans.js';
import { ConnectorError } from '../../domain/errors.js';
import {
  checkAccountId,
  checkExternalId,
  checkRoleName,
  planFromError,
  planFromSeverityCodes,
  type Detection,
  type FailedStep,
  type PlanVerdict,
} from '../../domain/support-detection.js';
import { isAbortError, redact } from './aws-errors.js';
import { logAwsCalls, type CallLog } from './call-log.js';
import { awsClientOptions, type AwsTimeouts } from './client-options.js';
import { sdkRetryConfig } from './sdk-retry.js';
import { REFRESH_MARGIN_MS, type TemporaryCredentials } from './credentials.js';
import { CallLimiter, limiterMiddleware, type AwsCallStats } from './organizations-factory.js';

/** The session name CloudTrail shows in the member account. */
export const SUPPORT_ROLE_SESSION_NAME = 'native-rating-support';
/** Session length asked of STS, in seconds: the minimum, as one call is all it serves. */
export const SUPPORT_ROLE_DURATION_SECONDS = 900;
/** The role assumed in each member account unless configured otherwise. */
export const DEFAULT_SUPPORT_ROLE_NAME = 'PartnerReadOnlySupportRole';
/** The Support API's only region for these calls. */
const SUPPORT_REGION = 'us-east-1';

export interface SupportPlanDetectorOptions {
  /** Region of the STS client. Default `us-east-1`. The Support client is always in `us-east-1`. */
  region?: string;
  /** The role assumed in each member account. Default `PartnerReadOnlySupportRole`. */
  roleName?: string;
  /** The reseller's external id for AssumeRole, when the roles require one. A secret: never in a message. */
  externalId?: string;
  /** STS endpoint, only when given (else the SDK's, `AWS_ENDPOINT_URL_STS` applies). */
  stsEndpoint?: string;
  /** Support endpoint, only when given (else the SDK's, `AWS_ENDPOINT_URL_SUPPORT` applies). */
  supportEndpoint?: string;
  /** The payer's credentials, for STS. Default: the SDK's default chain. */
  credentials?: STSClientConfig['credentials'];
  /** Accounts detected at once, and AWS calls in flight at once. Default 4. */
  maxConcurrent?: number;
  /** AWS calls started per second (sliding window), STS and Support together. Default 5. */
  maxCallsPerSecond?: number;
  /** Attempts per call, first one included, with the SDK's standard retry mode. Default 5. */
  maxAttempts?: number;
  /** Base of the exponential back-off between attempts, in ms (tests use 1). Default: the SDK's own. */
  retryBaseDelayMs?: number;
  /** The clock for `checkedAt` and the credential cache (not the rate limiter). Default `() => new Date()`. */
  now?: () => Date;
  /** Connection and request timeouts of the STS and Support clients (defaults: client-options.ts). */
  timeouts?: AwsTimeouts;
  /** Told of every STS and Support call at debug level (`LOG_LEVEL=debug`): names and numbers only. */
  callLog?: CallLog;
}


function limited<C extends STSClient | SupportClient>(client: C, limiter: CallLimiter, callLog: CallLog | undefined): C {
  if (callLog) logAwsCalls(client, callLog);
  client.middlewareStack.addRelativeTo(limiterMiddleware(limiter), {
    relation: 'after',
    toMiddleware: 'httpSigningMiddleware',
    name: 'nativeRatingCallLimiter',
    override: true,
  });
  return client;
}

/** AWS's error name; for a plain `Error` of Node's network layer, its code (`ECONNREFUSED`, `ETIMEDOUT`). */
function errorName(error: unknown): string {
  const shape = typeof error === 'object' && error !== null ? (error as { name?: unknown; code?: unknown }) : {};
  const name = typeof shape.name === 'string' && shape.name !== '' ? shape.name : 'Error';
  return name === 'Error' && typeof shape.code === 'string' && /^[A-Z][A-Z_]+$/.test(shape.code) ? shape.code : name;
}

function errorMessage(error: unknown): string {
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  const text = typeof message === 'string' ? message.trim() : String(error);
  return text === '' ? '(no message)' : text;
}

/**
 * `SupportPlanDetection` over the AWS SDK v3. The role name and external id are
 * checked when it is built (`ConnectorError('CONFIG_INVALID')`), before any call.
 * Member credentials are kept per account until 5 minutes before they expire.
 * STS and Support calls share one `CallLimiter`; throttling is retried by the
 * SDK's standard retry strategy.
 */
export class SupportPlanDetector implements SupportPlanDetection {
  private readonly limiter: CallLimiter;
  private readonly sts: STSClient;
  private readonly roleName: string;
  private readonly now: () => Date;
  private readonly sessions = new Map<string, TemporaryCredentials>();

  constructor(private readonly options: SupportPlanDetectorOptions = {}) {
    this.roleName = options.roleName ?? DEFAULT_SUPPORT_ROLE_NAME;
    const problems = [
      checkRoleName(this.roleName),
      options.externalId === undefined ? undefined : checkExternalId(options.externalId),
    ].filter((p): p is string => p !== undefined);
    if (problems.length > 0) {
      throw new ConnectorError('CONFIG_INVALID', `support plan detection: ${problems.join('; ')}`, { where: { setting: 'supportPlans' } });
    }
    this.now = options.now ?? (() => new Date());
    const maxConcurrent = options.maxConcurrent ?? 4;
    // The limiter keeps real time: it paces calls with timers, whatever clock stamps the detections.
    this.limiter = new CallLimiter(maxConcurrent, options.maxCallsPerSecond ?? 5);
    this.sts = limited(
      new STSClient({
        ...awsClientOptions(options.timeouts),
        region: options.region ?? SUPPORT_REGION,
        ...(options.stsEndpoint ? { endpoint: options.stsEndpoint } : {}),
        ...(options.credentials ? { credentials: options.credentials } : {}),
        ...sdkRetryConfig(this.options.maxAttempts ?? 5, this.options.retryBaseDelayMs),
      }),
      this.limiter,
      this.options.callLog,
    );
  }

  /** The ARN of the role assumed in `accountId`. */
  roleArn(accountId: string): string {
    return `arn:aws:iam::${accountId}:role/${this.roleName}`;
  }

  /**
   * The plan of `accountId` for `period` (`YYYY-MM`). Every AWS refusal (and a
   * malformed account id, without any call) is a `Detection` with plan
   * `unknown` or `basic-or-developer`; only an aborted `signal` throws
   * (`ConnectorError('ABORTED')`).
   */
  async detect(accountId: string, period: string, signal: AbortSignal): Promise<Detection> {
    this.throwIfAborted(accountId, signal);
    const badAccount = checkAccountId(accountId);
    if (badAccount !== undefined) return this.detection(accountId, period, { plan: 'unknown', evidence: badAccount, cause: 'other' });

    const roleArn = this.roleArn(accountId);
    let credentials: TemporaryCredentials;
    try {
      credentials = await this.assume(accountId, roleArn, signal);
    } catch (error) {
      return this.refusal(error, accountId, period, signal, { step: 'assume-role', roleArn });
    }

    const support = limited(
      new SupportClient({
        ...awsClientOptions(this.options.timeouts),
        region: SUPPORT_REGION,
        ...(this.options.supportEndpoint ? { endpoint: this.options.supportEndpoint } : {}),
        credentials,
        ...sdkRetryConfig(this.options.maxAttempts ?? 5, this.options.retryBaseDelayMs),
      }),
      this.limiter,
      this.options.callLog,
    );
    try {
      const out = await support.send(new DescribeSeverityLevelsCommand({}), { abortSignal: signal });
      const codes = (out.severityLevels ?? []).flatMap((level) => (level.code === undefined ? [] : [level.code]));
      return { ...this.detection(accountId, period, planFromSeverityCodes(codes)), codes };
    } catch (error) {
      return this.refusal(error, accountId, period, signal, { step: 'describe-severity-levels' });
    } finally {
      support.destroy();
    }
  }

  /** `detect` for each account (duplicates collapsed), at most `maxConcurrent` at once, in input order. */
  async detectAll(accountIds: readonly string[], period: string, signal: AbortSignal): Promise<Detection[]> {
    const limit = pLimit(this.options.maxConcurrent ?? 4);
    return Promise.all([...new Set(accountIds)].map((accountId) => limit(() => this.detect(accountId, period, signal))));
  }

  /** AWS calls made so far (each SDK retry is a call), STS and Support together. */
  stats(): AwsCallStats {
    return this.limiter.stats();
  }

  private async assume(accountId: string, roleArn: string, signal: AbortSignal): Promise<TemporaryCredentials> {
    const cached = this.sessions.get(accountId);
    if (cached && cached.expiration.getTime() - REFRESH_MARGIN_MS > this.now().getTime()) return cached;
    const out = await this.sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: SUPPORT_ROLE_SESSION_NAME,
        DurationSeconds: SUPPORT_ROLE_DURATION_SECONDS,
        ...(this.options.externalId ? { ExternalId: this.options.externalId } : {}),
      }),
      { abortSignal: signal },
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw Object.assign(new Error('AssumeRole returned incomplete credentials'), { name: 'IncompleteCredentials' });
    }
    const session = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
    this.sessions.set(accountId, session);
    return session;
  }

  private refusal(error: unknown, accountId: string, period: string, signal: AbortSignal, failed: FailedStep): Detection {
    if (isAbortError(error, signal)) this.throwIfAborted(accountId, signal, true);
    const name = errorName(error);
    const message = redact(errorMessage(error), [this.options.externalId]);
    return { ...this.detection(accountId, period, planFromError(name, failed)), error: `${name}: ${message}` };
  }

  private detection(accountId: string, period: string, verdict: PlanVerdict): Detection {
    return { accountId, period, plan: verdict.plan, reason: verdict.evidence, ...(verdict.cause === undefined ? {} : { cause: verdict.cause }), checkedAt: this.now().toISOString() };
  }

  private throwIfAborted(accountId: string, signal: AbortSignal, force = false): void {
    if (!force && !signal.aborted) return;
    throw new ConnectorError('ABORTED', `support plan detection of account ${accountId} was aborted`, { where: { account: accountId } });
  }

}
