/**
 * The HTTP core of the platform client (CONNECT.md "Transport"): base URL, the
 * `ApiKey` header, a per-call timeout, the cycle's AbortSignal, retries with
 * exponential backoff and full jitter, `Retry-After` on 429, and `Content-Range`
 * paging. Every failure leaves as a `ConnectorError`; no axios error, config or
 * header (the API key) ever leaves this file.
 */
import axios, { type AxiosInstance } from 'axios';
import { ConnectorError } from '../../domain/errors.js';
import { parseJson } from './schemas.js';

/** Waits `ms` milliseconds; rejects (or returns early) when `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface HttpClientOptions {
  /** e.g. `https://api.connect.cloudblue.com/public/v1` (no trailing slash needed). */
  apiUrl: string;
  /**
   * `SU-XXX-XXX-XXX:<secret>`, with or without the `ApiKey ` prefix the portal
   * shows (see `platformApiKey`): sent as `Authorization: ApiKey <key>`, never logged.
   */
  apiKey: string;
  /** Time allowed for one attempt, whole body included, in ms. Default 30000. */
  timeoutMs?: number;
  /** Page size of `listAll` (`limit`). Default 100 (CONNECT.md: 100 is safe). */
  pageSize?: number;
  /** Retries after the first try, on network errors, timeouts, 5xx and 429. Default 3. */
  retries?: number;
  /** Backoff before retry n is random() * min(maxDelayMs, baseDelayMs * 2^(n-1)). Default 500 ms. */
  baseDelayMs?: number;
  /** Default 10000 ms. */
  maxDelayMs?: number;
  /** Upper bound on a 429 `Retry-After` wait, in ms. Default 60000. */
  maxRetryAfterMs?: number;
  /** Injectable for tests; the default is a timer that stops when the signal aborts. */
  sleep?: Sleep;
  /** Injectable jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Injectable clock for `Retry-After` as an HTTP-date, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Told before each retry: the retry's number (1-based), why (no secrets), and the wait in ms. */
  onRetry?: (attempt: number, reason: string, delayMs: number) => void;
  /**
   * Told after each attempt (a retry is a call of its own): what `LOG_LEVEL=debug`
   * shows. Never carries a header, a body or the API key.
   */
  onCall?: (call: HttpCall) => void;
}

/** `onCall` writing each attempt as a `platform call` debug line (what `LOG_LEVEL=debug` shows). */
export function platformCallLog(log: { debug(fields: object, message: string): void }): (call: HttpCall) => void {
  return (call) => log.debug(call, 'platform call');
}

/** One attempt of a platform call, as `onCall` hears it. */
export interface HttpCall {
  method: HttpMethod;
  /**
   * Path under the API URL with its query (RQL filters, paging), the API key
   * masked should it appear; for a link outside the API, its URL without query
   * (a pre-signed link's query is a credential).
   */
  path: string;
  /** The HTTP status; absent when no answer came (network error, timeout, abort). */
  status?: number;
  /** `ok` (2xx), `http` (any other status), `network`, `timeout` or `aborted`. */
  outcome: 'ok' | 'http' | 'network' | 'timeout' | 'aborted';
  /** 1 for the first try, 2 for the first retry... */
  attempt: number;
  /** From sending to the answer read, on the client's clock (`now`), in ms. */
  durationMs: number;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT';

/** A 2xx answer: the status, lower-case headers and the raw body text (`bytes` for a download). */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  bytes?: Uint8Array;
}

/** Where one attempt goes: the API (with the key, text bodies) or a download link (binary). */
interface Target {
  client: AxiosInstance;
  binary: boolean;
}

/** The largest file `download` takes, in bytes (a product's usage template is a few KiB). */
export const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

/** A query-string part: a bare RQL expression (sent as is) or a key/value pair (URL-encoded). */
export type QueryPart = string | readonly [key: string, value: string | number];

/** Joins query parts with `&`. RQL stays readable: its parentheses and commas are not encoded. */
export function buildQuery(parts: readonly QueryPart[]): string {
  return parts
    .map((part) => (typeof part === 'string' ? part : `${encodeURIComponent(part[0])}=${encodeURIComponent(String(part[1]))}`))
    .filter((part) => part !== '')
    .join('&');
}

/** An id as an RQL value: URL-encoded, with the RQL delimiters `(`, `)` and `,` escaped too. */
export function rqlValue(value: string): string {
  return encodeURIComponent(value).replace(/\(/g, '%28').replace(/\)/g, '%29');
}

/** Tagged template for paths: every interpolated id is URL-encoded, e.g. path`/requests/${id}/approve`. */
export function path(strings: TemplateStringsArray, ...ids: string[]): string {
  return strings.reduce((out, piece, i) => out + piece + (i < ids.length ? encodeURIComponent(ids[i] ?? '') : ''), '');
}

/** `items 0-99/250` → {first, last, total}; undefined when absent or unreadable (e.g. a total of `*`). */
export function parseContentRange(header: string | undefined): { first: number; last: number; total: number } | undefined {
  const match = /^\s*items\s+(\d+)-(\d+)\/(\d+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  return { first: Number(match[1]), last: Number(match[2]), total: Number(match[3]) };
}

/** The default `sleep`: a timer that rejects with ABORTED as soon as the signal aborts. */
export const abortableSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(aborted());
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

function aborted(what?: string): ConnectorError {
  return new ConnectorError('ABORTED', what ? `${what}: stopped by the abort signal` : 'stopped by the abort signal');
}

/**
 * The key as the `Authorization` header carries it after `ApiKey `: trimmed, and
 * without an `ApiKey ` prefix of its own (the portal displays keys with it, and
 * operators paste them so), so the header is never `ApiKey ApiKey ...`.
 */
export function platformApiKey(raw: string): string {
  return raw.trim().replace(/^ApiKey\s+/i, '').trim();
}

/** One attempt's failure that may be retried. */
interface Transient {
  kind: 'http' | 'network' | 'timeout';
  reason: string;
  cause: PlatformCallError;
  /** The HTTP status of a `http` failure. */
  status?: number;
  retryAfterMs?: number;
}

/**
 * Asked before a call that may already have taken effect is sent again (it
 * timed out, the connection broke, or the platform answered 5xx), and after a
 * resent call is refused with a 4xx: looks on the platform whether the first
 * attempt did what was asked. A value: it did (the call resolves with it);
 * undefined: it did not, send again.
 */
export type Settled<T> = (signal: AbortSignal) => Promise<T | undefined>;

/** What `run` returns when the probe found the call already done. */
const SETTLED = Symbol('settled');

/** The platform's HTTP core: one instance per API URL and key. */
export class ConnectHttpClient {
  readonly pageSize: number;
  private readonly http: AxiosInstance;
  /** Downloads outside the API (a template link): no key, no base URL. */
  private readonly links: AxiosInstance;
  private readonly apiUrl: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly onRetry: (attempt: number, reason: string, delayMs: number) => void;
  private readonly onCall: ((call: HttpCall) => void) | undefined;
  private readonly redact: (text: string) => string;

  constructor(options: HttpClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.pageSize = options.pageSize ?? 100;
    this.retries = options.retries ?? 3;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.sleep = options.sleep ?? abortableSleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.onRetry = options.onRetry ?? (() => undefined);
    this.onCall = options.onCall;
    const apiKey = platformApiKey(options.apiKey);
    this.redact = redactor(apiKey);
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.links = axios.create({ responseType: 'arraybuffer', validateStatus: () => true, maxRedirects: 5, maxContentLength: MAX_DOWNLOAD_BYTES });
    this.http = axios.create({
      baseURL: this.apiUrl,
      headers: { Authorization: `ApiKey ${apiKey}`, Accept: 'application/json' },
      // The body is parsed here, so a non-JSON body is a PLATFORM_RESPONSE naming the call.
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      // A redirect is not part of the API; following one could carry the key elsewhere.
      maxRedirects: 0,
    });
  }

  /**
   * One call with retries. `pathAndQuery` is relative to the API URL, its query
   * already built (see `buildQuery`). Resolves with a 2xx answer, else throws
   * `ConnectorError`: PLATFORM_HTTP, PLATFORM_UNREACHABLE or ABORTED. For
   * idempotent calls only (GET, PUT): a call that must not happen twice goes
   * through `requestOnce`.
   */
  async request(method: HttpMethod, pathAndQuery: string, signal: AbortSignal, body?: unknown): Promise<HttpResponse> {
    const response = await this.run(method, pathAndQuery, signal, body);
    if (response === SETTLED) throw new ConnectorError('INTERNAL', `${method} ${pathAndQuery}: settled without a probe`);
    return response;
  }

  /**
   * A call that must not take effect twice (create a usage file, upload, submit,
   * approve, fail, inquire, post a message): before it is sent again after a
   * timeout, a broken connection or a 5xx (the first attempt may have been
   * carried out), and when a resent call is refused with a 4xx, `settled` looks
   * on the platform; when it finds the call done, that value is the result and
   * nothing is sent again. A 429 is a refusal before any work, so it is resent
   * without looking. Otherwise `done` reads the 2xx answer.
   */
  async requestOnce<T>(method: 'POST', pathOnly: string, signal: AbortSignal, body: unknown, settled: Settled<T>, done: (response: HttpResponse) => T | Promise<T>): Promise<T> {
    let found: T | undefined;
    const probe = async (): Promise<boolean> => {
      found = await settled(signal);
      return found !== undefined;
    };
    const response = await this.run(method, pathOnly, signal, body, probe);
    return response === SETTLED ? (found as T) : done(response);
  }

  /**
   * GETs the bytes behind a link the API gave (e.g. a product's usage
   * `template_link`), with the same timeout and retries. The API key goes only
   * to a link under the API URL; any other link (a pre-signed storage URL, as
   * the official python SDK assumes) is fetched without it, so the key never
   * leaves for another host. At most `MAX_DOWNLOAD_BYTES`.
   */
  async download(link: string, signal: AbortSignal): Promise<Uint8Array> {
    let absolute: URL;
    try {
      absolute = new URL(link, `${this.apiUrl}/`);
    } catch {
      throw new ConnectorError('PLATFORM_RESPONSE', `the link ${JSON.stringify(link.slice(0, 200))} is not a URL`);
    }
    if (absolute.protocol !== 'https:' && absolute.protocol !== 'http:') throw new ConnectorError('PLATFORM_RESPONSE', `the link ${absolute.protocol}... is not http(s)`);
    const own = absolute.href.startsWith(`${this.apiUrl}/`);
    const url = own ? absolute.href.slice(this.apiUrl.length) : absolute.href;
    const target: Target = { client: own ? this.http : this.links, binary: true };
    const response = await this.run('GET', url, signal, undefined, undefined, target);
    if (response === SETTLED || response.bytes === undefined) throw new ConnectorError('INTERNAL', `GET ${url}: no bytes`);
    return response.bytes;
  }

  private async run(method: HttpMethod, pathAndQuery: string, signal: AbortSignal, body: unknown, probe?: () => Promise<boolean>, target?: Target): Promise<HttpResponse | typeof SETTLED> {
    const what = `${method} ${pathAndQuery.split('?')[0] ?? pathAndQuery}`;
    for (let attempt = 0; ; attempt += 1) {
      if (signal.aborted) throw aborted(what);
      let outcome: HttpResponse | Transient;
      try {
        outcome = await this.attempt(method, pathAndQuery, what, signal, body, target ?? { client: this.http, binary: false }, attempt + 1);
      } catch (error) {
        // A resent call refused (e.g. "already approved"): the first attempt may have done it.
        if (probe && attempt > 0 && error instanceof ConnectorError && error.code === 'PLATFORM_HTTP' && (await probe())) return SETTLED;
        throw error;
      }
      if (!('kind' in outcome)) return outcome;
      if (attempt >= this.retries) {
        const tries = `after ${attempt + 1} attempt${attempt === 0 ? '' : 's'}`;
        const code = outcome.kind === 'http' ? 'PLATFORM_HTTP' : 'PLATFORM_UNREACHABLE';
        throw new ConnectorError(code, `${outcome.reason} (${tries})`, { retryable: true, cause: outcome.cause });
      }
      const delayMs = outcome.retryAfterMs ?? this.backoffMs(attempt + 1);
      this.onRetry(attempt + 1, outcome.reason, delayMs);
      await this.sleep(delayMs, signal);
      if (probe && outcome.status !== 429 && (await probe())) return SETTLED;
    }
  }

  /** GET and parse the JSON body (PLATFORM_RESPONSE "not JSON" otherwise). */
  async getJson(pathAndQuery: string, signal: AbortSignal): Promise<unknown> {
    const response = await this.request('GET', pathAndQuery, signal);
    return parseJson(response.text, `GET ${pathAndQuery.split('?')[0] ?? ''}`);
  }

  /** PUT a JSON body (idempotent: retried freely); the answer's body is not read. */
  async put(pathOnly: string, body: unknown, signal: AbortSignal): Promise<void> {
    await this.request('PUT', pathOnly, signal, body);
  }

  /** POST an action that must not happen twice (see `requestOnce`); the answer's body is not read. */
  async postOnce(pathOnly: string, body: unknown, signal: AbortSignal, settled: Settled<true>): Promise<void> {
    await this.requestOnce('POST', pathOnly, signal, body, settled, () => true);
  }

  /**
   * Every item of a list, page by page with `limit`/`offset` (page size
   * `pageSize`). Stops when `Content-Range` says the total is reached, or,
   * without that header, at the first page shorter than the limit (or empty).
   * `parse` gets each item and its name for messages, e.g. `GET /requests: item 3`
   * (0-based across pages).
   */
  async listAll<T>(pathOnly: string, query: readonly QueryPart[], parse: (item: unknown, what: string) => T, signal: AbortSignal): Promise<T[]> {
    const what = `GET ${pathOnly}`;
    const out: T[] = [];
    for (let offset = 0; ; ) {
      const qs = buildQuery([...query, ['limit', this.pageSize], ['offset', offset]]);
      const response = await this.request('GET', `${pathOnly}?${qs}`, signal);
      const page = parseJson(response.text, what);
      if (!Array.isArray(page)) {
        throw new ConnectorError('PLATFORM_RESPONSE', `${what}: the body is not a list (offset ${offset})`);
      }
      page.forEach((item: unknown, i) => out.push(parse(item, `${what}: item ${offset + i}`)));
      offset += page.length;
      const range = parseContentRange(response.headers['content-range']);
      const done = range ? offset >= range.total || range.last + 1 >= range.total : page.length < this.pageSize;
      if (done || page.length === 0) return out;
    }
  }

  /** Full jitter: random() * min(maxDelayMs, baseDelayMs * 2^(retry-1)), in ms. */
  private backoffMs(retry: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (retry - 1));
    return Math.floor(this.random() * ceiling);
  }

  private async attempt(method: HttpMethod, url: string, what: string, signal: AbortSignal, body: unknown, target: Target, attempt: number): Promise<HttpResponse | Transient> {
    const controller = new AbortController();
    let timedOut = false;
    const sent = this.now();
    let status: number | undefined;
    const told = (outcome: HttpCall['outcome']): void => {
      if (!this.onCall) return;
      const shown = target.client === this.http ? this.redact(url) : (url.split('?')[0] ?? url);
      this.onCall({ method, path: shown, ...(status === undefined ? {} : { status }), outcome, attempt, durationMs: Math.max(0, this.now() - sent) });
    };
    const onAbort = (): void => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    try {
      const response = await target.client.request<unknown>({ method, url, data: body, signal: controller.signal, ...(target.binary ? { responseType: 'arraybuffer' as const } : {}) });
      const headers = lowerCaseHeaders(response.headers as Record<string, unknown>);
      const bytes = target.binary && response.data instanceof ArrayBuffer ? new Uint8Array(response.data) : target.binary && Buffer.isBuffer(response.data) ? new Uint8Array(response.data) : undefined;
      const text = typeof response.data === 'string' ? response.data : bytes !== undefined && (response.status < 200 || response.status >= 300) ? Buffer.from(bytes).toString('utf8') : '';
      status = response.status;
      told(status >= 200 && status < 300 ? 'ok' : 'http');
      if (status >= 200 && status < 300) return bytes === undefined ? { status, headers, text } : { status, headers, text, bytes };
      const failure = describeHttpFailure(method, url, status, text, this.redact);
      if (status === 429 || status >= 500) {
        const retryAfter = status === 429 ? parseRetryAfterMs(headers['retry-after'], this.now()) : undefined;
        const transient: Transient = { kind: 'http', reason: failure.message, cause: failure, status };
        if (retryAfter !== undefined) transient.retryAfterMs = Math.min(retryAfter, this.maxRetryAfterMs);
        return transient;
      }
      throw new ConnectorError('PLATFORM_HTTP', failure.message, { cause: failure });
    } catch (error) {
      if (error instanceof ConnectorError) throw error;
      told(signal.aborted ? 'aborted' : timedOut ? 'timeout' : 'network');
      if (signal.aborted) throw aborted(what);
      const path = url.split('?')[0] ?? url;
      if (timedOut) {
        const reason = `${what}: no answer within ${this.timeoutMs} ms`;
        return { kind: 'timeout', reason, cause: new PlatformCallError(reason, { method, path, code: 'ETIMEDOUT' }) };
      }
      const code = networkCode(error);
      const detail = error instanceof Error ? this.redact(error.message) : 'unknown error';
      const reason = `${what}: network error ${code ?? ''} ${detail}`.replace(/\s+/g, ' ').trim();
      return { kind: 'network', reason, cause: new PlatformCallError(reason, { method, path, code }) };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }
}

function lowerCaseHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined && value !== null) out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

function networkCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The `cause` of a platform error: a plain Error with only the call's method,
 * path (no query), status, network code and the platform's own error fields:
 * never the axios config or headers, so never the API key.
 */
export class PlatformCallError extends Error {
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly code: string | undefined;
  /** The platform's `error_code`, e.g. `REQ_003`. */
  readonly errorCode: string | undefined;
  /** The platform's `errors` sentences. */
  readonly errors: string[];

  constructor(message: string, fields: { method: string; path: string; status?: number; code?: string; errorCode?: string; errors?: string[] }) {
    super(message);
    this.name = 'PlatformCallError';
    this.method = fields.method;
    this.path = fields.path;
    this.status = fields.status;
    this.code = fields.code;
    this.errorCode = fields.errorCode;
    this.errors = fields.errors ?? [];
  }
}

/** A non-2xx answer as `METHOD /path: HTTP 400 REQ_003: sentence; sentence` (the body is read best-effort). */
function describeHttpFailure(method: string, url: string, status: number, text: string, redact: (t: string) => string): PlatformCallError {
  const path = url.split('?')[0] ?? url;
  let errorCode: string | undefined;
  let errors: string[] = [];
  try {
    const body = JSON.parse(text) as { error_code?: unknown; errors?: unknown };
    if (typeof body.error_code === 'string') errorCode = redact(body.error_code);
    if (Array.isArray(body.errors)) errors = body.errors.map((e) => redact(typeof e === 'string' ? e : JSON.stringify(e)));
  } catch {
    // not JSON: the status alone says enough
  }
  const detail = [errorCode, errors.join('; ').slice(0, 500)].filter(Boolean).join(': ');
  const message = `${method} ${path}: HTTP ${status}${detail ? ` ${detail}` : ''}`;
  return new PlatformCallError(message, { method, path, status, errorCode, errors });
}

/** `Retry-After` as seconds or an HTTP-date → ms from `nowMs` (≥ 0); undefined when absent or unreadable. */
export function parseRetryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(header)) return Math.round(Number(header) * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Replaces the API key (and its secret half) in text from outside with `***`. */
function redactor(apiKey: string): (text: string) => string {
  const secrets = [apiKey, apiKey.split(':').slice(1).join(':')].filter((s) => s.length >= 4);
  return (text) => secrets.reduce((out, secret) => out.split(secret).join('***'), text);
}
