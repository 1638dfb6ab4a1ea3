/**
 * Builds one `AwsOrganizations` per payer and bounds what all of them together
 * ask of AWS: a single `CallLimiter` is shared by every payer's client.
 */
import { OrganizationsClient, type OrganizationsClientConfig } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import type { FinalizeHandlerArguments, FinalizeRequestMiddleware } from '@smithy/types';
import type { OrganizationsFactory, OrganizationsPort, PayerAccess } from '../../app/orders/ports.js';
import { logAwsCalls, type CallLog } from './call-log.js';
import { awsClientOptions, type AwsTimeouts } from './client-options.js';
import { payerCredentials } from './credentials.js';
import { AwsOrganizations } from './organizations.adapter.js';
import { sdkRetryConfig } from './sdk-retry.js';

/** Counters for the benchmark: every HTTP attempt, SDK retries included. */
export interface AwsCallStats {
  calls: number;
  /** Attempts per operation name (`ListAccounts`, ...). */
  byOperation: Record<string, number>;
  /** The most attempts that were in flight at one time. */
  maxInFlight: number;
}

interface Waiter {
  operation: string;
  signal: AbortSignal | undefined;
  grant: (release: () => void) => void;
  fail: (error: Error) => void;
}

/**
 * At most `maxConcurrent` calls in flight and at most `maxCallsPerSecond`
 * started in any sliding window of WINDOW_MS (1 s plus 100 ms for the jitter
 * between granting a call and AWS receiving it, so no second as AWS counts it
 * holds more), spaced at least WINDOW_MS/rate apart,
 * granted first come, first served.
 * A call is counted when it is granted its slot (an attempt whose credentials
 * then fail to resolve still counts).
 */
/** The rate window: one second plus an allowance for delivery jitter (event loop, sockets). */
export const WINDOW_MS = 1100;

export class CallLimiter {
  private inFlight = 0;
  private readonly started: number[] = [];
  private readonly queue: Waiter[] = [];
  private readonly watched = new Map<AbortSignal, { waiters: Set<Waiter>; onAbort: () => void }>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly counters: AwsCallStats = { calls: 0, byOperation: {}, maxInFlight: 0 };

  constructor(
    private readonly maxConcurrent: number,
    private readonly maxCallsPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(maxConcurrent >= 1 && maxCallsPerSecond >= 1)) throw new RangeError('maxConcurrent and maxCallsPerSecond must be ≥ 1');
  }

  /** Waits for a slot; the returned function gives it back (call it exactly once). */
  acquire(operation: string, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortError());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { operation, signal, grant: resolve, fail: reject };
      if (signal) this.watch(signal, waiter);
      this.queue.push(waiter);
      this.pump();
    });
  }

  /**
   * One abort listener per signal, however many calls wait on it (the cycle's
   * one signal is shared by every call, and Node warns past 10 listeners).
   */
  private watch(signal: AbortSignal, waiter: Waiter): void {
    const known = this.watched.get(signal);
    if (known) {
      known.waiters.add(waiter);
      return;
    }
    const entry = { waiters: new Set([waiter]), onAbort: (): void => {} };
    entry.onAbort = () => {
      this.watched.delete(signal);
      for (const w of entry.waiters) {
        const i = this.queue.indexOf(w);
        if (i >= 0) this.queue.splice(i, 1);
        w.fail(abortError());
      }
    };
    this.watched.set(signal, entry);
    signal.addEventListener('abort', entry.onAbort, { once: true });
  }

  private unwatch(waiter: Waiter): void {
    const signal = waiter.signal;
    const entry = signal ? this.watched.get(signal) : undefined;
    if (!signal || !entry) return;
    entry.waiters.delete(waiter);
    if (entry.waiters.size > 0) return;
    this.watched.delete(signal);
    signal.removeEventListener('abort', entry.onAbort);
  }

  /** A copy of the counters. */
  stats(): AwsCallStats {
    return { ...this.counters, byOperation: { ...this.counters.byOperation } };
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxConcurrent) {
      const now = this.now();
      while (this.started.length > 0 && (this.started[0] ?? 0) <= now - WINDOW_MS) this.started.shift();
      if (this.started.length >= this.maxCallsPerSecond) {
        this.wakeAt((this.started[0] ?? now) + WINDOW_MS - now);
        return;
      }
      // Spread the calls evenly (one per WINDOW_MS/rate) instead of a burst then a pause:
      // AWS meters with a token bucket, and a delayed burst would land in the next second.
      const last = this.started[this.started.length - 1];
      const spacing = WINDOW_MS / this.maxCallsPerSecond;
      if (last !== undefined && now - last < spacing) {
        this.wakeAt(last + spacing - now);
        return;
      }
      const waiter = this.queue.shift() as Waiter;
      this.unwatch(waiter);
      this.started.push(now);
      this.inFlight += 1;
      this.counters.calls += 1;
      this.counters.byOperation[waiter.operation] = (this.counters.byOperation[waiter.operation] ?? 0) + 1;
      this.counters.maxInFlight = Math.max(this.counters.maxInFlight, this.inFlight);
      let released = false;
      waiter.grant(() => {
        if (released) return;
        released = true;
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private wakeAt(delayMs: number): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(1, delayMs));
  }
}

function abortError(): Error {
  return Object.assign(new Error('The call was aborted while waiting for the AWS call limiter'), { name: 'AbortError' });
}

/**
 * The limiter as SDK middleware, placed right after signing (inside the retry
 * middleware): it runs once per HTTP attempt, so SDK retries count as calls and
 * wait for a slot too, while the retry back-off sleeps hold no slot. Being the
 * last step before the wire, the time a slot is granted is the time AWS sees the
 * call (signing and credential look-ups happen before, and do not skew the rate
 * AWS measures). A signature stays valid for 5 minutes, far longer than a wait.
 */
export function limiterMiddleware<I extends object, O extends object>(limiter: CallLimiter): FinalizeRequestMiddleware<I, O> {
  return (next, context) => async (args: FinalizeHandlerArguments<I>) => {
    const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
    const signal = context.__smithy_context?.abortSignal;
    const release = await limiter.acquire(operation, signal instanceof AbortSignal ? signal : undefined);
    try {
      return await next(args);
    } finally {
      release();
    }
  };
}

export interface AwsOrganizationsFactoryOptions {
  /** Region of the Organizations (and STS) clients. Default `us-east-1`, where the global endpoint lives. */
  region?: string;
  /**
   * Organizations endpoint, only when given. Otherwise the SDK chooses, and the
   * standard `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_ORGANIZATIONS` variables apply.
   */
  endpoint?: string;
  /** STS endpoint for AssumeRole, only when given (else the SDK's, `AWS_ENDPOINT_URL_STS` applies). */
  stsEndpoint?: string;
  /** Attempts per call, first one included, with the SDK's standard retry mode. Default 5. */
  maxAttempts?: number;
  /** AWS calls in flight at once, over all payers. Default 4. */
  maxConcurrent?: number;
  /** AWS calls started per second (sliding 1 s window), over all payers. Default 5. */
  maxCallsPerSecond?: number;
  /**
   * Base of the exponential back-off between attempts, in ms, for throttling
   * too (tests use 1). Default: the SDK's own (50 ms, 1000 ms when throttled).
   */
  retryBaseDelayMs?: number;
  /** The connector's own credentials (STS, role-less payers). Default: the SDK's default chain. */
  credentials?: OrganizationsClientConfig['credentials'];
  /** Epoch ms, for the credential cache. Default `Date.now`. */
  now?: () => number;
  /** Connection and request timeouts of the Organizations and STS clients (defaults: client-options.ts). */
  timeouts?: AwsTimeouts;
  /** Told of every Organizations and STS call at debug level (`LOG_LEVEL=debug`): names and numbers only. */
  callLog?: CallLog;
}

/**
 * `OrganizationsFactory` over the AWS SDK v3: one `OrganizationsClient` per
 * payer (cached by account id and role; rebuilt when the external id changes),
 * with credentials from `payerCredentials`. All clients share one `CallLimiter`,
 * applied at the SDK middleware level right after the retry middleware, so
 * every HTTP attempt (SDK retries included) takes a slot and counts in
 * `stats()`, and back-off sleeps hold none. STS calls are not limited: one per
 * payer and hour, and an Organizations attempt may wait on one holding a slot.
 */
export class AwsOrganizationsFactory implements OrganizationsFactory {
  private readonly limiter: CallLimiter;
  private readonly ports = new Map<string, { externalId: string | undefined; port: OrganizationsPort }>();
  private sts: STSClient | undefined;

  constructor(private readonly options: AwsOrganizationsFactoryOptions = {}) {
    this.limiter = new CallLimiter(options.maxConcurrent ?? 4, options.maxCallsPerSecond ?? 5);
  }

  forPayer(payer: PayerAccess): OrganizationsPort {
    const key = `${payer.accountId}\u0000${payer.roleArn ?? ''}`;
    const known = this.ports.get(key);
    if (known && known.externalId === payer.externalId) return known.port;
    const assumed = payer.roleArn
      ? payerCredentials(payer, { sts: this.stsClient(), ...(this.options.now ? { now: this.options.now } : {}) })
      : undefined;
    const credentials = assumed ?? this.options.credentials;
    const client = new OrganizationsClient({
      ...awsClientOptions(this.options.timeouts),
      region: this.options.region ?? 'us-east-1',
      ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
      ...(credentials ? { credentials } : {}),
      ...sdkRetryConfig(this.options.maxAttempts ?? 5, this.options.retryBaseDelayMs),
    });
    client.middlewareStack.addRelativeTo(limiterMiddleware(this.limiter), {
      relation: 'after',
      toMiddleware: 'httpSigningMiddleware',
      name: 'nativeRatingCallLimiter',
      override: true,
    });
    if (this.options.callLog) logAwsCalls(client, this.options.callLog);
    const port = new AwsOrganizations(client, payer.accountId);
    this.ports.set(key, { externalId: payer.externalId, port });
    return port;
  }

  /** Calls made so far by all payers' Organizations clients (each SDK retry is a call). */
  stats(): AwsCallStats {
    return this.limiter.stats();
  }

  private stsClient(): STSClient {
    this.sts ??= new STSClient({
      ...awsClientOptions(this.options.timeouts),
      region: this.options.region ?? 'us-east-1',
      ...(this.options.stsEndpoint ? { endpoint: this.options.stsEndpoint } : {}),
      ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
      ...sdkRetryConfig(this.options.maxAttempts ?? 5, this.options.retryBaseDelayMs),
    });
    if (this.options.callLog) logAwsCalls(this.sts, this.options.callLog);
    return this.sts;
  }

}
