/**
 * Plumbing shared by the two loopback stand-ins: a tiny router over `node:http`,
 * JSON bodies, call statistics and listen/close. No framework: the sandbox
 * must run with nothing but Node.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** What a handler answers. `raw` is sent as is (a malformed body for fault tests). */
export interface Reply {
  status: number;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

/** A handler gets the path parameters of its route. */
export type Handler<C> = (ctx: C, params: Record<string, string>) => Promise<Reply> | Reply;

interface Route<C> {
  method: string;
  pattern: string;
  parts: string[];
  handler: Handler<C>;
}

/** The route found for a call: its pattern (for statistics) and path parameters. */
export interface RouteMatch<C> {
  route: string;
  params: Record<string, string>;
  handler: Handler<C>;
}

/** Routes such as `POST /requests/{id}/approve`; `{name}` matches one path segment. */
export class Router<C> {
  private readonly routes: Route<C>[] = [];

  add(method: string, pattern: string, handler: Handler<C>): this {
    this.routes.push({ method, pattern, parts: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** The matching route, `'method'` when only the method is wrong, else undefined. */
  match(method: string, path: string): RouteMatch<C> | 'method' | undefined {
    const segments = path.split('/').filter(Boolean);
    let wrongMethod = false;
    for (const route of this.routes) {
      const params = matchParts(route.parts, segments);
      if (params === undefined) continue;
      if (route.method !== method) {
        wrongMethod = true;
        continue;
      }
      return { route: `${route.method} /${route.parts.join('/')}`, params, handler: route.handler };
    }
    return wrongMethod ? 'method' : undefined;
  }
}

function matchParts(parts: string[], segments: string[]): Record<string, string> | undefined {
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const segment = segments[i] as string;
    if (part.startsWith('{') && part.endsWith('}')) {
      try {
        params[part.slice(1, -1)] = decodeURIComponent(segment);
      } catch {
        return undefined;
      }
    } else if (part !== segment) return undefined;
  }
  return params;
}

/** A body that is not JSON (the caller answers 400). */
export class BodyError extends Error {}

/** Reads the whole body as bytes (at most `maxBytes`; more is a `BodyError`). */
export async function readBytes(req: IncomingMessage, maxBytes = 50 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) throw new BodyError(`body larger than ${maxBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads the whole body as text (at most `maxBytes`, default 10 MB). */
export async function readText(req: IncomingMessage, maxBytes = 10 * 1024 * 1024): Promise<string> {
  return (await readBytes(req, maxBytes)).toString('utf8');
}

/** Parses a JSON body; an empty body is `{}`. */
export function parseJsonBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new BodyError(`body is not valid JSON: ${(cause as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BodyError('body must be a JSON object');
  return value as Record<string, unknown>;
}

/** Writes a reply: JSON unless `raw` is given. */
export function send(res: ServerResponse, reply: Reply, contentType = 'application/json'): void {
  const text = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
  res.writeHead(reply.status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), ...reply.headers });
  res.end(text);
}

/** Resolves after `ms` milliseconds (fault injection delays only). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Counts of calls, as `GET /sandbox/stats` reports them. */
export interface CallStatsSnapshot {
  /** Calls by key (`GET /requests/{id}` or an AWS operation name). */
  calls: Record<string, number>;
  total: number;
  /** Calls being answered right now. */
  inFlight: number;
  /** The most calls ever in flight at once. */
  maxInFlight: number;
  /** The most calls that started within any 1-second window. */
  maxPerSecond: number;
}

/** Call counters; `now` is injectable for the 1-second window. */
export class CallStats {
  private calls: Record<string, number> = {};
  private total = 0;
  private inFlight = 0;
  private maxInFlight = 0;
  private maxPerSecond = 0;
  private recent: number[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts a call that starts now; call the returned function when it ends. */
  begin(key: string): () => void {
    this.calls[key] = (this.calls[key] ?? 0) + 1;
    this.total += 1;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const at = this.now();
    this.recent.push(at);
    while (this.recent.length > 0 && (this.recent[0] as number) <= at - 1000) this.recent.shift();
    this.maxPerSecond = Math.max(this.maxPerSecond, this.recent.length);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight -= 1;
    };
  }

  snapshot(): CallStatsSnapshot {
    return { calls: { ...this.calls }, total: this.total, inFlight: this.inFlight, maxInFlight: this.maxInFlight, maxPerSecond: this.maxPerSecond };
  }

  reset(): void {
    this.calls = {};
    this.total = 0;
    this.maxInFlight = this.inFlight;
    this.maxPerSecond = 0;
    this.recent = [];
  }
}

/** Listens on `host:port` (port 0: any free port); resolves with the port. */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('server has no TCP address'));
      else resolve(address.port);
    });
  });
}

/** Stops listening and drops kept-alive connections (a test must not hang on them). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** `http://host:port`, with IPv6 hosts bracketed. */
export function origin(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
