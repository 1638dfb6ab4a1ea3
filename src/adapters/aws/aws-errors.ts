/**
 * The one place where AWS SDK errors become `ConnectorError`s, so no SDK type
 * leaks inward. Messages name the operation, the payer and AWS's own message;
 * they never carry credentials, external ids or request signatures: the SDK
 * error is replaced by a plain `Error` holding only its name and message, and
 * known secrets (plus anything shaped like an access key id) are blanked out.
 */
import { ConnectorError } from '../../domain/errors.js';

/** What was being done when an AWS call failed. */
export interface AwsCallContext {
  /** The AWS operation, e.g. `ListAccounts`, `AssumeRole`. */
  operation: string;
  /** The payer (management) account the call was for. */
  payerAccountId: string;
  /** The caller's signal: when it has fired, any failure is reported as `ABORTED`. */
  signal?: AbortSignal;
  /** Values that must never appear in a message (e.g. the external id). */
  secrets?: ReadonlyArray<string | undefined>;
}

const ACCESS_DENIED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'AWSOrganizationsNotInUseException',
]);
const THROTTLED = new Set(['TooManyRequestsException', 'Throttling', 'ThrottlingException']);
const NOT_FOUND = new Set([
  'AccountNotFoundException',
  'HandshakeNotFoundException',
  'CreateAccountStatusNotFoundException',
  'ParentNotFoundException',
  'OrganizationalUnitNotFoundException',
]);
/** AWS's "no" for a business rule; the SDK error's `Reason` says which. */
const CONSTRAINT = new Set(['HandshakeConstraintViolationException', 'ConstraintViolationException', 'DuplicateHandshakeException', 'InvalidInputException']);
/** Node's network failures: worth another try later. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const ACCESS_KEY_ID = /\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b/g;

/** The fields of an SDK error this module reads (all optional: anything may be thrown). */
interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  Reason?: unknown;
  $retryable?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

/** True when `error` is the result of an aborted signal rather than an AWS answer. */
export function isAbortError(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  return typeof error === 'object' && error !== null && (error as SdkErrorShape).name === 'AbortError';
}

/** Blanks out secrets and access key ids in a text bound for a message. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined> = []): string {
  let out = text.replace(ACCESS_KEY_ID, '[redacted]');
  for (const secret of secrets) {
    if (secret !== undefined && secret.length > 0) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/**
 * Any error thrown by an AWS SDK call (or by the credential provider) as a
 * `ConnectorError`. A `ConnectorError` passes through unchanged.
 *
 * - access denied / unknown credentials / no organization → `AWS_ACCESS_DENIED`
 * - throttling that outlived the SDK's retries → `AWS_THROTTLED` (retryable)
 * - `ConcurrentModificationException` → `AWS_CONCURRENT_MODIFICATION` (retryable)
 * - account, handshake, create-account status, parent or OU not found → `AWS_NOT_FOUND`
 * - a business rule (handshake or other constraint, duplicate handshake, invalid input) → `AWS_CONSTRAINT`, AWS's Reason in `where.value`
 * - an aborted signal → `ABORTED`
 * - anything else → `AWS_CALL`, retryable for `$retryable`, 5xx and network errors
 */
export function translateAwsError(error: unknown, context: AwsCallContext): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const { operation, payerAccountId: payer, secrets } = context;
  const shape: SdkErrorShape = typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
  const name = typeof shape.name === 'string' && shape.name !== '' ? shape.name : 'Error';
  const rawMessage = typeof shape.message === 'string' ? shape.message : String(error);
  const awsMessage = redact(rawMessage.trim() === '' ? '(no message)' : rawMessage.trim(), secrets);
  const cause = Object.assign(new Error(awsMessage), { name });
  const where = { payer };

  if (isAbortError(error, context.signal)) {
    return new ConnectorError('ABORTED', `${operation} for payer ${payer} was aborted`, { where, cause });
  }
  if (ACCESS_DENIED.has(name)) {
    return new ConnectorError('AWS_ACCESS_DENIED', `AWS refused ${operation} for payer ${payer}: ${awsMessage}`, {
      where,
      cause,
    });
  }
  if (THROTTLED.has(name) || shape.$metadata?.httpStatusCode === 429) {
    const attempts = shape.$metadata?.attempts;
    const after = attempts !== undefined && attempts > 1 ? ` after ${attempts} attempts` : '';
    return new ConnectorError('AWS_THROTTLED', `AWS throttled ${operation} for payer ${payer}${after}: ${awsMessage}`, {
      where,
      cause,
      retryable: true,
    });
  }
  if (name === 'ConcurrentModificationException') {
    return new ConnectorError(
      'AWS_CONCURRENT_MODIFICATION',
      `AWS Organizations of payer ${payer} is busy with another change (${operation}): ${awsMessage}`,
      { where, cause, retryable: true },
    );
  }
  if (NOT_FOUND.has(name)) {
    return new ConnectorError('AWS_NOT_FOUND', `AWS ${operation} for payer ${payer} found nothing (${name}): ${awsMessage}`, {
      where,
      cause,
    });
  }
  if (CONSTRAINT.has(name)) {
    const reason = typeof shape.Reason === 'string' && shape.Reason !== '' ? shape.Reason : name;
    return new ConnectorError('AWS_CONSTRAINT', `AWS refused ${operation} for payer ${payer} (${reason}): ${awsMessage}`, {
      where: { ...where, value: reason },
      cause,
    });
  }
  const status = shape.$metadata?.httpStatusCode;
  const retryable =
    (shape.$retryable !== undefined && shape.$retryable !== null) ||
    (status !== undefined && status >= 500) ||
    shape.$fault === 'server' ||
    name === 'TimeoutError' ||
    (typeof shape.code === 'string' && NETWORK_CODES.has(shape.code));
  return new ConnectorError('AWS_CALL', `AWS ${operation} failed for payer ${payer}: ${name}: ${awsMessage}`, {
    where,
    cause,
    retryable,
  });
}
