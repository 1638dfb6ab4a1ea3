/**
 * An in-process guard: one piece of work per key at a time. The daemon keys it
 * by payer and period so the schedule, a catch-up and an admin reprocess never
 * run the same month of the same payer twice at once in this process. Across
 * processes the run ledger's atomic `start` is the guard.
 */

/** What `run` reports: the work's result, or that the key was already running (nothing started). */
export type FlightOutcome<T> = { started: true; result: T } | { started: false };

/** Runs work at most once per key at a time; a second caller is turned away, not queued. */
export class SingleFlight {
  private readonly running = new Map<string, Promise<unknown>>();

  /** The key of one payer and period: `<payer>/<period>`. */
  static key(payerAccountId: string, period: string): string {
    return `${payerAccountId}/${period}`;
  }

  /**
   * Runs `work` unless `key` is running, in which case it returns
   * `{ started: false }` at once without starting anything. The key is taken
   * synchronously (before any await), so two calls in one tick cannot both
   * start. A throw from `work` is passed on; the key is released either way.
   */
  async run<T>(key: string, work: () => Promise<T>): Promise<FlightOutcome<T>> {
    if (this.running.has(key)) return { started: false };
    // The key is taken before `work` starts (a microtask later), so nothing it does can start the same key.
    const flight = Promise.resolve().then(work);
    this.running.set(key, flight);
    try {
      return { started: true, result: await flight };
    } finally {
      this.running.delete(key);
    }
  }

  /**
   * Settles once no work is running (work started meanwhile included): a
   * stopping daemon waits here so a month run in hand ends in the ledger
   * (succeeded, failed or interrupted) before the database closes. Never throws.
   */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** Whether `key` is running now. */
  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  /** The keys running now. */
  keys(): string[] {
    return [...this.running.keys()];
  }
}
