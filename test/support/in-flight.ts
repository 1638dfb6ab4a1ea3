/**
 * Waits, turn of the event loop by turn, until a stand-in has `n` calls in
 * flight: for tests that hold calls with a fault delay on a fake clock (the
 * calls cannot end before the test moves the clock, so this needs no deadline
 * and no guess of how long a request takes to arrive). Only the test's own
 * timeout bounds it.
 */
import type { CallStatsSnapshot } from '../../src/sandbox/http.util.js';

export async function untilInFlight(stats: () => CallStatsSnapshot, n: number): Promise<void> {
  while (stats().inFlight < n) await new Promise<void>((resolve) => setImmediate(resolve));
}
