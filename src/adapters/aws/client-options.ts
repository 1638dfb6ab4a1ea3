/**
 * The HTTP timeouts of every AWS client here (Organizations, STS, Support,
 * Athena, S3): a call to an endpoint that does not connect, or connects and
 * never answers, fails with the SDK's `TimeoutError` (retried by the SDK's
 * standard mode, then `AWS_CALL`, retryable) instead of holding a cycle or a
 * month run forever. The options are the SDK's `requestHandler` shorthand: the
 * client builds its own `NodeHttpHandler` from them.
 */
import type { NodeHttpHandlerOptions } from '@smithy/types';

/** How long a connection may take to be established, in ms. */
export const AWS_CONNECT_TIMEOUT_MS = 5_000;
/**
 * How long a request may wait for its response headers, in ms, and how long a
 * response body (an S3 result file) may stay silent. Athena's long queries are
 * polled, never held open, so no AWS call here needs longer.
 */
export const AWS_REQUEST_TIMEOUT_MS = 30_000;

/** Timeouts in ms; each defaults to the constant above. */
export interface AwsTimeouts {
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** The configured timeouts (`aws.connectTimeoutMs`, `aws.requestTimeoutMs`). */
export function awsTimeouts(config: { aws: { connectTimeoutMs: number; requestTimeoutMs: number } }): AwsTimeouts {
  return { connectTimeoutMs: config.aws.connectTimeoutMs, requestTimeoutMs: config.aws.requestTimeoutMs };
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a whole positive number of ms, got ${String(value)}`);
  return value;
}

/**
 * The `requestHandler` options: `connectionTimeout`, `requestTimeout` (an error,
 * not the SDK's default warning: `throwOnRequestTimeout`) and the same value as
 * the socket's idle timeout, which bounds a response body that stalls.
 */
export function awsRequestHandler(timeouts: AwsTimeouts = {}): NodeHttpHandlerOptions {
  const connectionTimeout = positive('connectTimeoutMs', timeouts.connectTimeoutMs ?? AWS_CONNECT_TIMEOUT_MS);
  const requestTimeout = positive('requestTimeoutMs', timeouts.requestTimeoutMs ?? AWS_REQUEST_TIMEOUT_MS);
  return { connectionTimeout, requestTimeout, socketTimeout: requestTimeout, throwOnRequestTimeout: true };
}

/** Spread into every AWS client's configuration: `new STSClient({ ...awsClientOptions(t), region })`. */
export function awsClientOptions(timeouts: AwsTimeouts = {}): { requestHandler: NodeHttpHandlerOptions } {
  return { requestHandler: awsRequestHandler(timeouts) };
}
