/**
 * The daemon's loop: a cycle, then a pause of `intervalMs`, until drained. The
 * pause ends at once on a drain, so SIGTERM between cycles exits without waiting.
 */

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** A timer that resolves early (without error) when `signal` aborts. */
export const sleepUntilAborted: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export interface PollLoopOptions {
  /** One cycle; must not throw for a single bad request (errors thrown here are reported and the loop goes on). */
  cycle: (index: number) => Promise<void>;
  intervalMs: number;
  /** Stops the loop after the cycle in hand. */
  drain: AbortSignal;
  sleep?: Sleep;
  onCycleError?: (error: unknown, index: number) => void;
}

/** Runs cycles until `drain` aborts; returns the number of cycles run. */
export async function runPollLoop(options: PollLoopOptions): Promise<number> {
  const sleep = options.sleep ?? sleepUntilAborted;
  let index = 0;
  while (!options.drain.aborted) {
    index += 1;
    try {
      await options.cycle(index);
    } catch (error) {
      options.onCycleError?.(error, index);
    }
    if (options.drain.aborted) break;
    await sleep(options.intervalMs, options.drain);
  }
  return index;
}
