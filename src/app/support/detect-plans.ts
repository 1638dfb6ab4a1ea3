/**
 * Detecting member accounts' support plans once per billing period: a stored
 * detection is reused, only the missing ones are asked of AWS, and every new
 * detection is stored.
 */
import pLimit from 'p-limit';
import { ConnectorError } from '../../domain/errors.js';
import type { Detection } from '../../domain/support-detection.js';

/** Where detections are kept, by account and period (the state database). */
export interface SupportPlanCache {
  get(accountId: string, period: string): Detection | undefined;
  put(detection: Detection): void;
}

/** What asks AWS. Returns a `Detection` for every refusal; throws only when aborted. */
export interface SupportPlanDetection {
  detectAll(accountIds: readonly string[], period: string, signal: AbortSignal): Promise<Detection[]>;
}

export interface DetectOptions {
  /** Told of each account's detection as it is known (a stored one first, then each asked one as it comes back). */
  onDetected?: (detection: Detection) => void;
  /** Accounts asked of AWS at once. Default 4 (the detector paces the calls themselves). */
  concurrency?: number;
}

/**
 * One detection per account of `accountIds` (duplicates collapsed), in input
 * order. A stored detection of the same account and period is served as is,
 * unless its plan is `unknown`: that one (a refused role, throttling) is asked
 * again, since the cause may since have been fixed.
 *
 * The missing accounts are asked one by one (at most `concurrency` at once),
 * and each detection is stored as soon as it comes back, so a stop loses none
 * of the work done. Once `signal` aborts no other account is started; the
 * ones in flight are let settle (the detector aborts their calls), then
 * `ConnectorError('ABORTED')` says how many were detected: the next call asks
 * only the others.
 */
export async function detectWithCache(
  cache: SupportPlanCache,
  detector: SupportPlanDetection,
  accountIds: readonly string[],
  period: string,
  signal: AbortSignal,
  options: DetectOptions = {},
): Promise<Detection[]> {
  const unique = [...new Set(accountIds)];
  const found = new Map<string, Detection>();
  for (const accountId of unique) {
    const stored = cache.get(accountId, period);
    if (stored && stored.plan !== 'unknown') {
      found.set(accountId, stored);
      options.onDetected?.(stored);
    }
  }
  const missing = unique.filter((a) => !found.has(a));
  const limit = pLimit(options.concurrency ?? 4);
  const settled = await Promise.allSettled(
    missing.map((accountId) =>
      limit(async () => {
        if (signal.aborted) return;
        for (const detection of await detector.detectAll([accountId], period, signal)) {
          cache.put(detection);
          found.set(detection.accountId, detection);
          options.onDetected?.(detection);
        }
      }),
    ),
  );
  if (signal.aborted && found.size < unique.length) {
    throw new ConnectorError('ABORTED', `support plan detection stopped by a signal after ${found.size} of ${unique.length} accounts (those detected are stored)`);
  }
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return unique.flatMap((a) => {
    const d = found.get(a);
    return d ? [d] : [];
  });
}
