/**
 * What `LOG_LEVEL=debug` shows of the AWS calls: one line per SDK call
 * (service, operation, HTTP status, attempts the SDK's retries took, request id,
 * duration), from a middleware at the top of the client's stack. The SDK's own
 * `logger` option is not used: it logs each command's input and output, where
 * an external id, a role ARN's session or credentials may sit. Only names and
 * numbers leave here, never an input, an output or an error message.
 */
import type { InitializeHandlerArguments, InitializeMiddleware, MetadataBearer, MiddlewareStack, ResponseMetadata } from '@smithy/types';

/** One AWS call as the log shows it. */
export interface AwsCall {
  /** `STS`, `Organizations`, `Athena`, `S3`, `Support` (the client's name without `Client`). */
  service: string;
  /** `AssumeRole`, `ListAccounts`... (the command's name without `Command`). */
  operation: string;
  outcome: 'ok' | 'error';
  /** The last attempt's HTTP status, when an answer came. */
  status?: number;
  /** AWS's error name (`AccessDeniedException`), for a failed call. */
  error?: string;
  /** Attempts, the first one included (more than 1: the SDK retried). */
  attempts?: number;
  /** Time the SDK waited between attempts, in ms. */
  retryDelayMs?: number;
  requestId?: string;
  /** From the call to its answer or error, retries included, in ms. */
  durationMs: number;
}

/** The part of a logger this needs (pino's `Logger` fits). */
export interface CallLog {
  debug(fields: object, message: string): void;
}

/** The name the middleware is registered under (one per client; adding again replaces it). */
export const CALL_LOG_MIDDLEWARE = 'nativeRatingCallLog';

const trim = (name: string | undefined, suffix: string): string => (name ?? 'Unknown').replace(new RegExp(`${suffix}$`), '');

function metadataOf(value: unknown): ResponseMetadata | undefined {
  const metadata = typeof value === 'object' && value !== null ? (value as { $metadata?: unknown }).$metadata : undefined;
  return typeof metadata === 'object' && metadata !== null ? (metadata as ResponseMetadata) : undefined;
}

function numbers(metadata: ResponseMetadata | undefined): Pick<AwsCall, 'status' | 'attempts' | 'retryDelayMs' | 'requestId'> {
  if (!metadata) return {};
  return {
    ...(metadata.httpStatusCode === undefined ? {} : { status: metadata.httpStatusCode }),
    ...(metadata.attempts === undefined ? {} : { attempts: metadata.attempts }),
    ...(metadata.totalRetryDelay === undefined ? {} : { retryDelayMs: metadata.totalRetryDelay }),
    ...(metadata.requestId === undefined ? {} : { requestId: metadata.requestId }),
  };
}

function errorName(error: unknown): string {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name !== '' ? name : 'Error';
}

/**
 * The middleware: tells `onCall` of each call once it is answered or has
 * failed (after the SDK's retries), then passes the answer or error on
 * unchanged. `now` is the clock of the duration, epoch ms.
 */
export function callLogMiddleware<I extends object, O extends MetadataBearer>(onCall: (call: AwsCall) => void, now: () => number = Date.now): InitializeMiddleware<I, O> {
  return (next, context) => async (args: InitializeHandlerArguments<I>) => {
    const service = trim(context.clientName, 'Client');
    const operation = trim(context.commandName, 'Command');
    const started = now();
    try {
      const result = await next(args);
      onCall({ service, operation, outcome: 'ok', ...numbers(metadataOf(result.output)), durationMs: Math.max(0, now() - started) });
      return result;
    } catch (error) {
      onCall({ service, operation, outcome: 'error', error: errorName(error), ...numbers(metadataOf(error)), durationMs: Math.max(0, now() - started) });
      throw error;
    }
  };
}

/**
 * Logs every call of `client` at debug level as `aws call` (see `AwsCall`).
 * Returns the client. Cheap when debug is off: one closure per call.
 */
export function logAwsCalls<C extends { middlewareStack: MiddlewareStack<I, O> }, I extends object = object, O extends MetadataBearer = MetadataBearer>(client: C, log: CallLog, now?: () => number): C {
  client.middlewareStack.add(callLogMiddleware<I, O>((call) => log.debug(call, 'aws call'), now), { step: 'initialize', priority: 'high', name: CALL_LOG_MIDDLEWARE, override: true });
  return client;
}
