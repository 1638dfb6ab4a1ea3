/**
 * The retry settings of every AWS client here: the SDK's standard mode (retry
 * quota, throttling and transient errors retried). With `retryBaseDelayMs` (tests),
 * the same standard strategy with a smaller, jittered exponential back-off: the
 * SDK's own `baseDelay` does not apply to throttling retries (1 s base).
 */
import { StandardRetryStrategy } from '@smithy/core/retry';

export interface SdkRetryConfig {
  maxAttempts: number;
  retryMode?: 'standard';
  retryStrategy?: StandardRetryStrategy;
}

export function sdkRetryConfig(maxAttempts: number, retryBaseDelayMs?: number): SdkRetryConfig {
  if (retryBaseDelayMs === undefined) return { maxAttempts, retryMode: 'standard' };
  const base = retryBaseDelayMs;
  const backoff = {
    computeNextBackoffDelay: (retries: number): number => Math.floor(Math.random() * Math.min(base * 2 ** retries, 20_000)),
    setDelayBase: (): void => {},
  };
  return { maxAttempts, retryStrategy: new StandardRetryStrategy({ maxAttempts, backoff }) };
}
