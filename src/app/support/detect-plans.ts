/**
 * Detecting member accounts' support plans once per billing period: a stored
 * detection is reused, only the missing ones are asked of AWS, and every new
 * detection is stored.
 */
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

/**
 * One detection per account of `accountIds` (duplicates collapsed), in input
 * order. A stored detection of the same account and period is served as is,
 * unless its plan is `unknown`: that one (a refused role, throttling) is asked
 * again, since the cause may since have been fixed.
 */
export async function detectWithCache(
  cache: SupportPlanCache,
  detector: SupportPlanDetection,
  accountIds: readonly string[],
  period: string,
  signal: AbortSignal,
): Promise<Detection[]> {
  const unique = [...new Set(accountIds)];
  const found = new Map<string, Detection>();
  for (const accountId of unique) {
    const stored = cache.get(accountId, period);
    if (stored && stored.plan !== 'unknown') found.set(accountId, stored);
  }
  const missing = unique.filter((a) => !found.has(a));
  if (missing.length > 0) {
    for (const detection of await detector.detectAll(missing, period, signal)) {
      cache.put(detection);
      found.set(detection.accountId, detection);
    }
  }
  return unique.flatMap((a) => {
    const d = found.get(a);
    return d ? [d] : [];
  });
}
