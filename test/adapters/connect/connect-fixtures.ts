/** Shared stand-ins for the platform client tests: a nock host, a key, a recorder, request bodies. */
import nock from 'nock';
import { inspect } from 'node:util';
import { expect } from 'vitest';
import { ConnectHttpClient, type HttpClientOptions } from '../../../src/adapters/connect/http-client.js';
import { ConnectPlatform } from '../../../src/adapters/connect/connect-platform.js';
import { ConnectorError } from '../../../src/domain/errors.js';

export const HOST = 'https://connect.test';
export const API_URL = `${HOST}/public/v1`;
export const SECRET = 's3cr3t-do-not-leak';
export const API_KEY = `SU-111-222-333:${SECRET}`;

/** What the platform received. */
export interface Received {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** Options for tests: no real waits (sleeps are recorded), no jitter surprises, retries logged. */
export function testOptions(overrides: Partial<HttpClientOptions> = {}) {
  const sleeps: number[] = [];
  const retries: Array<{ attempt: number; reason: string; delayMs: number }> = [];
  const options: HttpClientOptions = {
    apiUrl: API_URL,
    apiKey: API_KEY,
    timeoutMs: 2_000,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    onRetry: (attempt, reason, delayMs) => retries.push({ attempt, reason, delayMs }),
    ...overrides,
  };
  return { options, sleeps, retries };
}

export function testClient(overrides: Partial<HttpClientOptions> = {}) {
  const made = testOptions(overrides);
  return { ...made, client: new ConnectHttpClient(made.options) };
}

export function testPlatform(overrides: Partial<HttpClientOptions> = {}) {
  const made = testOptions(overrides);
  return { ...made, platform: new ConnectPlatform(made.options) };
}

/** A nock reply function that records the call and answers with `status`, `body` and `headers`. */
export function answer(log: Received[], status: number, body: unknown = {}, headers: Record<string, string> = {}) {
  return function (this: nock.ReplyFnContext, _uri: string, requestBody: nock.Body): nock.ReplyFnResult {
    const raw = typeof requestBody === 'string' ? requestBody : JSON.stringify(requestBody);
    log.push({
      method: this.req.method,
      path: this.req.path,
      headers: this.req.headers,
      body: raw === '' ? undefined : JSON.parse(raw),
    });
    return [status, typeof body === 'string' ? body : JSON.stringify(body), { 'Content-Type': 'application/json', ...headers }];
  };
}

/**
 * A platform that takes each request and never answers it: a nock reply for the
 * timeout and abort tests, which run under fake timers. `arrived(n)` resolves
 * once n requests have reached it, so a test moves the clock only while a call
 * is waiting (never on a guess of how long the request takes to get there).
 */
export function silentPeer() {
  let count = 0;
  const waiting: Array<{ n: number; resolve: () => void }> = [];
  const never = new Promise<nock.ReplyFnResult>(() => undefined);
  return {
    reply: (): Promise<nock.ReplyFnResult> => {
      count += 1;
      for (const waiter of waiting.filter((w) => w.n <= count)) waiter.resolve();
      return never;
    },
    arrived: (n: number): Promise<void> => new Promise<void>((resolve) => (count >= n ? resolve() : void waiting.push({ n, resolve }))),
  };
}

/** The ConnectorError a promise rejects with. */
export async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

/** Everything an error would show when logged: message, fields and the whole cause chain. */
export function everythingIn(error: unknown): string {
  return inspect(error, { depth: 20, showHidden: true });
}

export const signal = (): AbortSignal => new AbortController().signal;

/** A fulfillment request body as the platform sends it (trimmed), with overrides merged into `asset`. */
export function requestBody(id = 'PR-1000-0001-001', asset: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type: 'purchase',
    status: 'pending',
    created: '2026-10-01T10:00:00+00:00',
    updated: '2026-10-01T10:05:00+00:00',
    marketplace: { id: 'MP-48301' },
    asset: {
      id: `AS-${id.slice(3, 17)}`,
      status: 'processing',
      product: { id: 'PRD-411-678-887' },
      connection: { id: 'CT-1', type: 'production' },
      params: [
        { id: 'account_email', phase: 'ordering', value: 'ops@example.com', value_error: '', constraints: { required: true } },
        { id: 'aws_account_id', phase: 'fulfillment', value: '' },
      ],
      tiers: { customer: { id: 'TA-1', name: 'Customer Ltd' }, tier1: { id: 'TA-2', name: 'Reseller' }, tier2: {} },
      configuration: { params: [{ id: 'customMarkup', phase: 'configuration', value: '1.1' }] },
      ...asset,
    },
  };
}

export function tcrBody(id = 'TCR-1000-0001-001'): Record<string, unknown> {
  return {
    id,
    type: 'setup',
    status: 'pending',
    configuration: {
      id: 'TC-1',
      account: { id: 'TA-2' },
      product: { id: 'PRD-411-678-887' },
      marketplace: { id: 'MP-48301' },
      tier_level: 1,
    },
    params: [{ id: 'resellerMarkup', phase: 'ordering', value: '1.05', value_error: '' }],
    tiers: { tier1: { id: 'TA-2' } },
  };
}
