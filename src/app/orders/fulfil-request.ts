/**
 * Fulfil one pending request: the use case the daemon, `process --once` and the
 * tests call. Expected business outcomes (inquire, fail, stay pending) are values;
 * a failure on our side (AWS refused, the platform is down, a setting is wrong)
 * becomes an `error` outcome and the request stays pending for the next cycle.
 */
import { coerceError } from '../../domain/errors.js';
import { cancel } from './cancel.flow.js';
import { change } from './change.flow.js';
import { purchase } from './purchase.flow.js';
import { RequestWork, type OrderDeps, type Outcome } from './request-work.js';
import type { FulfillmentRequest } from './ports.js';

/** The reason given for suspend and resume requests. */
export const CANNOT_SUSPEND = 'AWS accounts cannot be suspended; cancel the subscription instead';

export interface RequestResult extends Outcome {
  requestId: string;
  type: string;
  /** `retryable` of the error, for `error` outcomes. */
  retryable?: boolean;
  errorCode?: string;
}

async function dispatch(work: RequestWork): Promise<Outcome> {
  switch (work.request.type) {
    case 'purchase':
      await work.resolvePayer();
      return purchase(work);
    case 'change':
      await work.resolvePayer();
      return change(work);
    case 'cancel':
      await work.resolvePayer();
      return cancel(work);
    case 'suspend':
    case 'resume':
      return work.fail(CANNOT_SUSPEND, work.request.type);
    default:
      return { kind: 'skipped', step: 'type', message: `request type ${work.request.type} is not handled by this connector` };
  }
}

/** Handles one request once; never throws (an abort is returned as an error outcome too). The cycle journals the result. */
export async function fulfilRequest(request: FulfillmentRequest, deps: OrderDeps, signal: AbortSignal): Promise<RequestResult> {
  const work = new RequestWork(request, deps, signal);
  try {
    const outcome = await dispatch(work);
    return { ...outcome, requestId: request.id, type: request.type };
  } catch (error) {
    const e = coerceError(error);
    return { kind: 'error', step: 'error', message: `${e.code}: ${e.message}`, requestId: request.id, type: request.type, retryable: e.retryable, errorCode: e.code };
  }
}
