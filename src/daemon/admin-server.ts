/**
 * The daemon's admin HTTP server (node:http): health, readiness, Prometheus
 * metrics, the run ledger, and a reprocess trigger.
 *
 * `/readyz` answers 503 `{ ready: false, reasons }` while a dependency fails,
 * each reason naming it (`platform: …`, `state database: …`, `payer
 * 123456789012 AWS access: …`). Slow checks (the platform, AWS) run on an
 * interval (`startReadiness`), never on every scrape.
 *
 * Reads are open (bind to loopback, the default, or put it behind a proxy).
 * Every POST needs `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant
 * time; with no token configured every POST is refused (403). The token is
 * never echoed or logged.
 *
 * `POST /reprocess` answers with what the `reprocess` handler returns:
 * - `{ started: false, ... }` (the shape of `SingleFlight.run` and
 *   `RunLedger.start` when a run of that payer and period is going) → 409;
 * - `{ started: true }` with no `result` (work continues in the background) → 202;
 * - anything else (the finished run, a dry run's diff) → 200.
 * A `ConnectorError` from it → `{ error: { code, message } }` with the status of
 * `statusForError`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunRecord } from '../app/usage/ports.js';
import { coerceError, ConnectorError } from '../domain/errors.js';
import type { ConnectorMetrics } from './metrics.js';

/** Largest request body read, in bytes (64 KiB); a larger one gets 413. */
export const MAX_BODY_BYTES = 64 * 1024;
const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;
const PAYER = /^\d{12}$/;

export interface ReprocessInput {
  /** `YYYY-MM`. */
  period: string;
  /** 12 digits. */
  payerAccountId: string;
  /** Rate and report only: nothing is uploaded. Default false. */
  dryRun: boolean;
}

export interface RunFilter {
  payerAccountId?: string;
  period?: string;
  limit: number;
  /** `?dryRun=true`: the dry runs instead of the live ones; `?dryRun=all`: both. Default: live runs. */
  dryRun?: boolean | 'all';
}

export interface AdminServerOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (any free port: see `url`). */
  port?: number;
  /** `ADMIN_TOKEN` from the environment; unset or empty disables every POST. */
  token?: string;
  metrics: ConnectorMetrics;
  /** Runs of the ledger (e.g. `ledger.list`); the server also filters, sorts latest first and limits them. */
  runs: (filter: RunFilter) => RunRecord[];
  /** Readiness now: the reasons name the failing components (see `startReadiness`). Must be cheap: it runs on every `/readyz`. */
  ready: () => { ok: boolean; reasons: string[] };
  /** The same use case as the CLI's reprocess; `signal` aborts on `close()` or when `signal` below aborts. */
  reprocess: (input: ReprocessInput, signal: AbortSignal) => Promise<unknown>;
  /** The daemon's force signal: passed on (combined) to `reprocess`. */
  signal?: AbortSignal;
  /** A reprocess that threw, or a handler bug. */
  onError?: (error: ConnectorError, route: string) => void;
}

export interface AdminServer {
  /** `http://host:port` as bound. */
  url: string;
  /** Stops accepting, aborts reprocess work in hand, closes connections. */
  close(): Promise<void>;
}

/** A dependency `/readyz` checks: `check` resolves while it works and throws why not. */
export interface ReadinessProbe {
  /** The component, first in its reason: `platform`, `payer 123456789012 AWS access`. */
  name: string;
  /** Aborted when it takes longer than the timeout, or on `stop()`. */
  check: (signal: AbortSignal) => Promise<void>;
}

export interface ReadinessOptions {
  probes: readonly ReadinessProbe[];
  /** From the end of one round of checks to the start of the next, ms. Default 60 000. */
  intervalMs?: number;
  /** A check not settled within it fails ("no answer within … ms"). Default 10 000. */
  timeoutMs?: number;
  /** Timers (default: the global ones; tests use fake timers). */
  timers?: { setTimeout: (fn: () => void, ms: number) => unknown; clearTimeout: (handle: never) => void };
  /** Told when a probe starts failing (`reason`) or works again (`reason` undefined). */
  onChange?: (name: string, reason: string | undefined) => void;
}

export interface Readiness {
  /** The last result of every probe; a probe not checked yet is a reason too. Cheap: no I/O. */
  status(): { ok: boolean; reasons: string[] };
  /** A round of checks now (joins the round in progress, if any); settles when it is done. */
  refresh(): Promise<void>;
  /** Stops the rounds and aborts the checks in flight. */
  stop(): void;
}

/**
 * Checks every probe at once now and then every `intervalMs` after the round
 * ends; `status()` answers from the last results, so a scrape never waits on
 * AWS or the platform.
 */
export function startReadiness(options: ReadinessOptions): Readiness {
  const timers = options.timers ?? { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms).unref(), clearTimeout: (handle: never) => clearTimeout(handle) };
  const intervalMs = options.intervalMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const stopping = new AbortController();
  const failures = new Map<string, string>(options.probes.map((p) => [p.name, 'not checked yet']));
  let round: Promise<void> | undefined;
  let next: unknown;

  const checkOne = async (probe: ReadinessProbe): Promise<void> => {
    const attempt = new AbortController();
    const signal = AbortSignal.any([attempt.signal, stopping.signal]);
    let timer: unknown;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = timers.setTimeout(() => {
        const error = new ConnectorError('ABORTED', `no answer within ${timeoutMs} ms`);
        reject(error); // first, so the race settles with this reason rather than the check's own abort error
        attempt.abort(error);
      }, timeoutMs);
    });
    let reason: string | undefined;
    try {
      await Promise.race([probe.check(signal), timedOut]);
    } catch (error) {
      reason = coerceError(error).message;
    } finally {
      timers.clearTimeout(timer as never);
    }
    if (stopping.signal.aborted) return;
    const before = failures.get(probe.name);
    if (reason === undefined) failures.delete(probe.name);
    else failures.set(probe.name, reason);
    if (before !== reason) options.onChange?.(probe.name, reason);
  };

  const refresh = (): Promise<void> => {
    round ??= Promise.all(options.probes.map(checkOne)).then(() => {
      round = undefined;
      if (!stopping.signal.aborted) next = timers.setTimeout(() => void refresh(), intervalMs);
    });
    return round;
  };
  if (options.probes.length > 0) void refresh();

  return {
    status: () => {
      const reasons = options.probes.filter((p) => failures.has(p.name)).map((p) => `${p.name}: ${failures.get(p.name) ?? ''}`);
      return { ok: reasons.length === 0, reasons };
    },
    refresh,
    stop: () => {
      stopping.abort(new ConnectorError('ABORTED', 'readiness checks stopped'));
      timers.clearTimeout(next as never);
    },
  };
}

/** HTTP status of a `ConnectorError` from the reprocess handler. */
export function statusForError(error: ConnectorError): number {
  switch (error.code) {
    case 'ABORTED':
      return 503; // shutting down
    case 'INTERNAL':
    case 'IO':
    case 'STATE':
      return 500;
    case 'PLATFORM_HTTP':
    case 'PLATFORM_RESPONSE':
    case 'PLATFORM_UNREACHABLE':
    case 'AWS_ACCESS_DENIED':
    case 'AWS_THROTTLED':
    case 'AWS_CALL':
    case 'AWS_CONCURRENT_MODIFICATION':
      return 502; // an upstream failed
    default:
      return 422; // a refusal: the input, the CUR, the settings or a business rule say no
  }
}

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Constant time: both sides are hashed to 32 bytes first, so lengths never differ. */
function authorise(req: IncomingMessage, token: string | undefined): void {
  if (token === undefined || token === '') {
    throw new HttpError(403, 'ADMIN_TOKEN_NOT_SET', 'the admin token is not set (ADMIN_TOKEN): state-changing endpoints are disabled');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  const given = match?.[1] ?? '';
  if (!timingSafeEqual(digest(given), digest(token))) {
    throw new HttpError(401, 'UNAUTHORIZED', 'a valid "Authorization: Bearer <token>" header is required', { 'www-authenticate': 'Bearer' });
  }
}

/** Reads at most `MAX_BODY_BYTES`; past that, stops reading (the 413 closes the connection). */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const tooLarge = new HttpError(413, 'BODY_TOO_LARGE', `the request body exceeds ${MAX_BODY_BYTES} bytes`, { connection: 'close' });
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw tooLarge;
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      reject(tooLarge);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'body: must be a JSON object');
  }
}

const badField = (field: string, message: string): HttpError => new HttpError(400, 'BAD_REQUEST', `${field}: ${message}`);

/** `{ period, payer, dryRun? }` → the use case's input; 400 naming the first bad field. */
export function parseReprocessBody(body: unknown): ReprocessInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badField('body', 'must be a JSON object');
  const { period, payer, dryRun, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw badField(unknown, 'is not a field of a reprocess (period, payer, dryRun)');
  if (typeof period !== 'string' || !PERIOD.test(period)) throw badField('period', 'must be a month as YYYY-MM');
  if (typeof payer !== 'string' || !PAYER.test(payer)) throw badField('payer', 'must be a 12-digit AWS payer account id');
  if (dryRun !== undefined && typeof dryRun !== 'boolean') throw badField('dryRun', 'must be true or false');
  return { period, payerAccountId: payer, dryRun: dryRun ?? false };
}

function runFilter(query: URLSearchParams): RunFilter {
  const payer = query.get('payer') ?? undefined;
  const period = query.get('period') ?? undefined;
  const limitText = query.get('limit') ?? '100';
  if (payer !== undefined && !PAYER.test(payer)) throw badField('payer', 'must be a 12-digit AWS payer account id');
  if (period !== undefined && !PERIOD.test(period)) throw badField('period', 'must be a month as YYYY-MM');
  if (!/^\d{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 1000) throw badField('limit', 'must be a whole number from 1 to 1000');
  const dryText = query.get('dryRun') ?? 'false';
  if (!['true', 'false', 'all'].includes(dryText)) throw badField('dryRun', 'must be true, false or all');
  return { payerAccountId: payer, period, limit: Number(limitText), ...(dryText === 'false' ? {} : { dryRun: dryText === 'all' ? 'all' : true }) };
}

function listRuns(all: RunRecord[], filter: RunFilter): RunRecord[] {
  return all
    .filter((r) => (filter.payerAccountId === undefined || r.payerAccountId === filter.payerAccountId) && (filter.period === undefined || r.period === filter.period))
    .filter((r) => filter.dryRun === 'all' || (filter.dryRun === true) === (r.dryRun === true))
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.version - a.version)
    .slice(0, filter.limit);
}

/** The process holding a run, when the handler's result names it (`result.run.holder`). */
function heldBy(result: unknown): string | undefined {
  const inner = typeof result === 'object' && result !== null && 'result' in result ? (result as { result?: unknown }).result : undefined;
  const run = typeof inner === 'object' && inner !== null && 'run' in inner ? (inner as { run?: unknown }).run : undefined;
  const holder = typeof run === 'object' && run !== null && 'holder' in run ? (run as { holder?: unknown }).holder : undefined;
  return typeof holder === 'string' ? holder : undefined;
}

function reprocessStatus(result: unknown): number {
  if (typeof result !== 'object' || result === null || !('started' in result)) return 200;
  if (result.started === false) return 409;
  return result.started === true && !('result' in result) ? 202 : 200;
}

const ROUTES: Record<string, 'GET' | 'POST'> = { '/healthz': 'GET', '/readyz': 'GET', '/metrics': 'GET', '/runs': 'GET', '/reprocess': 'POST' };

/** Listens on `host:port` and resolves once bound. */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const closing = new AbortController();
  const workSignal = options.signal ? AbortSignal.any([closing.signal, options.signal]) : closing.signal;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = URL.canParse(req.url ?? '/', 'http://admin.invalid') ? new URL(req.url ?? '/', 'http://admin.invalid') : undefined;
    if (url === undefined) throw new HttpError(400, 'BAD_REQUEST', 'the request target is not a valid URL path');
    const { pathname: path, searchParams: query } = url;
    const method = ROUTES[path];
    if (method === undefined) throw new HttpError(404, 'NOT_FOUND', `no route ${path}`);
    const allowed = method === 'GET' ? ['GET', 'HEAD'] : ['POST'];
    if (!allowed.includes(req.method ?? '')) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes ${allowed.join(', ')}`, { allow: allowed.join(', ') });
    switch (path) {
      case '/healthz':
        return send(res, 200, { status: 'ok' });
      case '/readyz': {
        const { ok, reasons } = options.ready();
        return send(res, ok ? 200 : 503, { ready: ok, status: ok ? 'ready' : 'not ready', reasons });
      }
      case '/metrics': {
        const text = await options.metrics.text();
        res.writeHead(200, { 'content-type': options.metrics.contentType, 'cache-control': 'no-store' });
        res.end(text);
        return;
      }
      case '/runs': {
        const filter = runFilter(query);
        return send(res, 200, { runs: listRuns(options.runs(filter), filter) });
      }
      default: {
        authorise(req, options.token);
        const input = parseReprocessBody(await readJson(req));
        let result: unknown;
        try {
          result = await options.reprocess(input, workSignal);
        } catch (thrown) {
          const error = coerceError(thrown);
          options.metrics.error(error.code);
          options.onError?.(error, path);
          return send(res, statusForError(error), { error: { code: error.code, message: error.message } });
        }
        const status = reprocessStatus(result);
        if (status === 409) {
          const holder = heldBy(result);
          const message = `a run of payer ${input.payerAccountId} for ${input.period} is already running${holder ? ` (held by ${holder})` : ''}`;
          return send(res, 409, { error: { code: 'ALREADY_RUNNING', message }, result });
        }
        return send(res, status, result ?? null);
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((thrown: unknown) => {
      if (thrown instanceof HttpError) return send(res, thrown.status, { error: { code: thrown.code, message: thrown.message } }, thrown.headers);
      const error = coerceError(thrown);
      options.onError?.(error, req.url ?? '/');
      if (res.headersSent) return res.destroy();
      send(res, 500, { error: { code: 'INTERNAL', message: 'the admin server failed to answer; see the daemon log' } });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort(new Error('admin server closing'));
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
