/**
 * One poll cycle (issue 3): pending tier configuration requests first, then the
 * pending fulfillment requests of the configured products, each handled once,
 * at most `settings.concurrency` at a time. Lists are read whole before any
 * request is acted on, so offset paging never skips a request that left
 * `pending` meanwhile. One failing request never stops the others.
 *
 * Two signals: `stopTaking` (first SIGTERM) lets the requests in hand finish and
 * starts no new ones; `signal` (second SIGTERM) aborts the I/O in flight.
 */
import pLimit from 'p-limit';
import { coerceError } from '../../domain/errors.js';
import { fulfilRequest, type RequestResult } from './fulfil-request.js';
import { newCycleShared, type OrderDeps } from './request-work.js';
import { fulfilTierConfig } from './tier-config.flow.js';

export type CycleDeps = Omit<OrderDeps, 'cycle'>;

export interface CycleOptions {
  /** Aborts calls in flight (forced stop). */
  signal: AbortSignal;
  /** When aborted, no new request is started; those in hand finish. */
  stopTaking?: AbortSignal;
  /** Called as a request is taken in hand. */
  onStart?: (id: string) => void;
  /** Called as each request is done (for the per-request line and logs). */
  onResult?: (result: RequestResult) => void;
  /** Called when a list cannot be read. */
  onListError?: (what: string, message: string) => void;
}

export interface CycleResult {
  tierConfigs: RequestResult[];
  requests: RequestResult[];
  /** Lists that could not be read, with the reason. */
  listErrors: Array<{ what: string; message: string }>;
  /** Requests listed but not started because of a stop. */
  notStarted: number;
}

async function handleAll<T extends { id: string }>(
  items: T[],
  handle: (item: T) => Promise<RequestResult>,
  concurrency: number,
  options: CycleOptions,
  journal: (result: RequestResult) => RequestResult,
): Promise<{ results: RequestResult[]; notStarted: number }> {
  const limit = pLimit(Math.max(1, concurrency));
  const seen = new Set<string>();
  const results: RequestResult[] = [];
  let notStarted = 0;
  await Promise.all(
    items.map((item) => {
      if (seen.has(item.id)) return Promise.resolve();
      seen.add(item.id);
      return limit(async () => {
        if (options.stopTaking?.aborted || options.signal.aborted) {
          notStarted += 1;
          return;
        }
        options.onStart?.(item.id);
        let result = await handle(item);
        result = journal(result);
        results.push(result);
        options.onResult?.(result);
      });
    }),
  );
  return { results, notStarted };
}

export async function runCycle(base: CycleDeps, options: CycleOptions): Promise<CycleResult> {
  const deps: OrderDeps = { ...base, cycle: newCycleShared() };
  const { productIds, concurrency } = deps.settings;
  const listErrors: CycleResult['listErrors'] = [];
  const listFailed = (what: string, error: unknown): void => {
    const message = coerceError(error).message;
    listErrors.push({ what, message });
    options.onListError?.(what, message);
  };

  /** Records a pass in the local journal; a journal that cannot be written is reported in the result, not fatal (the request holds the progress). */
  const journal = (result: RequestResult): RequestResult => {
    try {
      deps.journal.record(
        { requestId: result.requestId, step: `${result.type}:${result.step}`, outcome: result.kind, lastError: result.kind === 'error' ? result.message : undefined },
        deps.clock.now(),
      );
      return result;
    } catch (error) {
      return { ...result, message: `${result.message} (journal not written: ${coerceError(error).message})` };
    }
  };

  let notStarted = 0;
  /** Lists one kind of pending request whole, then handles each; a list that cannot be read is reported. */
  const listThenHandle = async <T extends { id: string }>(what: string, list: () => Promise<T[]>, handle: (item: T) => Promise<RequestResult>): Promise<RequestResult[]> => {
    if (options.stopTaking?.aborted || options.signal.aborted) return [];
    try {
      const done = await handleAll(await list(), handle, concurrency, options, journal);
      notStarted += done.notStarted;
      return done.results;
    } catch (error) {
      listFailed(what, error);
      return [];
    }
  };

  const tierConfigs = await listThenHandle(
    'tier configuration requests',
    () => deps.platform.listPendingTierConfigRequests({ productIds, signal: options.signal }),
    (tcr) => fulfilTierConfig(tcr, deps, options.signal),
  );
  const requests = await listThenHandle(
    'fulfillment requests',
    () => deps.platform.listPendingRequests({ productIds, signal: options.signal }),
    (request) => fulfilRequest(request, deps, options.signal),
  );
  return { tierConfigs, requests, listErrors, notStarted };
}
