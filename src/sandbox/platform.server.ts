/**
 * A loopback stand-in of the CloudBlue Connect API (CONNECT.md) for the demo,
 * the end-to-end tests and the benchmark: the real platform client talks HTTP
 * to it. API routes live under `/public/v1` and need `Authorization: ApiKey <key>`;
 * the admin routes under `/__sandbox` need no key:
 *
 * - `POST /__sandbox/faults` `{method?, pathPrefix, status?, times?, retryAfter?, delayMs?, body?}`:
 *   the next `times` (default 1) matching API calls wait `delayMs`, then (when
 *   `status` or `body` is given) answer that status (default 200) with `body` as
 *   raw text (default a JSON error) and `Retry-After` when given. `pathPrefix`
 *   is relative to the base path (`/requests`) or absolute (`/public/v1/requests`).
 *   `GET` lists the pending faults, `DELETE` drops them.
 * - `GET /__sandbox/state`: requests, histories, conversations with messages, TCRs.
 * - `GET /__sandbox/stats`: calls by `METHOD /route`, total, in flight, max in
 *   flight, max per second; `DELETE` resets them.
 * - `POST /__sandbox/requests/{id}/customer-fix` `{params?:[{id,value}]}`: the
 *   customer answers an inquiry (inquiring → pending, errors cleared).
 * - `GET /__sandbox/usage-files`: every usage file as the API gives it.
 * - `POST /__sandbox/usage-files/{id}/accept` `{acceptance_note?}`, `.../reject`
 *   `{rejection_note?}`, `.../close`: the provider's actions on a usage file.
 *
 * Outside both, without the key: `GET /media/usage-templates/<productId>.xlsx`,
 * a product's usage template (the `template_link` of `GET /usage/products/{id}/template`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { BodyError, CallStats, closeServer, delay, listen, origin, parseJsonBody, readBytes, readText, Router, send, type CallStatsSnapshot, type Reply } from './http.util.js';
import { isMultipart, parseMultipart, type MultipartPart } from './multipart.util.js';
import { platformRoutes, reply } from './platform.routes.js';
import type { PlatformState } from './platform.state.js';

/**
 * The largest upload the stand-in takes. The platform documents no limit on a
 * usage file's size (docs/performance.md); a workbook of 1,048,575 records (an
 * xlsx sheet's most) is about 75 MiB, so this leaves room while still refusing
 * a runaway body.
 */
const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;
import { isUsageMedia, serveUsageMedia, usageFileAdminRoutes, usageFileRoutes } from './usage-files.routes.js';

/** The API's base path; the platform URL ends with it. */
export const PLATFORM_BASE_PATH = '/public/v1';

const faultSchema = z.strictObject({
  method: z.string().toUpperCase().optional(),
  pathPrefix: z.string().startsWith('/'),
  status: z.number().int().min(100).max(599).optional(),
  times: z.number().int().min(1).default(1),
  retryAfter: z.union([z.number().int().min(0), z.string()]).optional(),
  delayMs: z.number().int().min(0).max(600_000).optional(),
  body: z.string().optional(),
});

/** A fault to inject into the next matching calls. */
export type PlatformFault = z.input<typeof faultSchema>;
type Fault = z.output<typeof faultSchema>;

/**
 * One API call as the sandbox saw it, for contract tests: what the client sent
 * and what the sandbox answered (injected faults and auth refusals included).
 */
export interface ApiExchange {
  method: string;
  /** Relative to the base path, e.g. `/usage/files/UF-1/upload`; not decoded. */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  /** Lower-case request headers. */
  headers: Record<string, string | string[] | undefined>;
  /** The JSON body (undefined for GET and an empty body), or the field names of a multipart body. */
  body?: unknown;
  multipartFields?: string[];
  status: number;
  /** The answer's JSON body (undefined when empty or not JSON). */
  response?: unknown;
  /** True for an injected fault: not the sandbox's own answer. */
  injected: boolean;
}

/** Where the platform stand-in listens. */
export interface PlatformServerOptions {
  /** Default `127.0.0.1`: the sandbox never listens beyond loopback unless told to. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Told of every API call once it is answered (contract tests check both sides against the OpenAPI description). */
  onExchange?: (exchange: ApiExchange) => void;
}

/** A running platform stand-in. */
export interface PlatformServer {
  /** Ends with `/public/v1`. */
  url: string;
  state: PlatformState;
  addFault(fault: PlatformFault): void;
  clearFaults(): void;
  stats(): CallStatsSnapshot;
  resetStats(): void;
  close(): Promise<void>;
}

const problemReply = (status: number, code: string, message: string): Reply => ({ status, body: { error_code: code, errors: [message] } });

/** Starts the platform stand-in over `state`. */
export async function startPlatformServer(state: PlatformState, options: PlatformServerOptions = {}): Promise<PlatformServer> {
  const host = options.host ?? '127.0.0.1';
  const api = usageFileRoutes(platformRoutes());
  const stats = new CallStats();
  let faults: Fault[] = [];

  const addFault = (raw: unknown): Reply => {
    const parsed = faultSchema.safeParse(raw);
    if (!parsed.success) return problemReply(400, 'VAL_001', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    faults.push(parsed.data);
    return { status: 201, body: parsed.data };
  };
  const takeFault = (method: string, path: string): Fault | undefined => {
    const relative = path.startsWith(PLATFORM_BASE_PATH) ? path.slice(PLATFORM_BASE_PATH.length) : path;
    const fault = faults.find((f) => (f.method === undefined || f.method === method) && (relative.startsWith(f.pathPrefix) || path.startsWith(f.pathPrefix)));
    if (!fault) return undefined;
    fault.times -= 1;
    if (fault.times <= 0) faults = faults.filter((f) => f !== fault);
    return { ...fault };
  };

  const admin = new Router<{ body: Record<string, unknown> }>()
    .add('POST', '/__sandbox/faults', ({ body }) => addFault(body))
    .add('GET', '/__sandbox/faults', () => ({ status: 200, body: faults }))
    .add('DELETE', '/__sandbox/faults', () => ((faults = []), { status: 204 }))
    .add('GET', '/__sandbox/state', () => ({ status: 200, body: state.snapshot() }))
    .add('GET', '/__sandbox/stats', () => ({ status: 200, body: stats.snapshot() }))
    .add('DELETE', '/__sandbox/stats', () => (stats.reset(), { status: 204 }))
    .add('POST', '/__sandbox/requests/{id}/customer-fix', ({ body }, { id }) => reply(state.customerFix(id ?? '', body)));
  usageFileAdminRoutes(admin, state);

  const handleApi = async (req: IncomingMessage, method: string, path: string, query: string): Promise<Reply> => {
    const relative = path.slice(PLATFORM_BASE_PATH.length) || '/';
    const seen: Omit<ApiExchange, 'status' | 'response'> = { method, path: relative, query, headers: req.headers, injected: false };
    let out: Reply;
    try {
      out = await answerApi(req, method, path, relative, query, seen);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      out = problemReply(400, 'VAL_001', error.message);
    }
    if (options.onExchange) options.onExchange({ ...seen, status: out.status, response: out.raw === undefined ? out.body : undefined });
    return out;
  };

  const answerApi = async (req: IncomingMessage, method: string, path: string, relative: string, query: string, seen: Omit<ApiExchange, 'status' | 'response'>): Promise<Reply> => {
    const match = api.match(method, relative);
    const end = stats.begin(typeof match === 'object' ? match.route : `${method} (no route)`);
    try {
      const fault = takeFault(method, path);
      if (fault?.delayMs) await delay(fault.delayMs);
      if (fault && (fault.status !== undefined || fault.body !== undefined)) {
        seen.injected = true;
        return {
          status: fault.status ?? 200,
          raw: fault.body ?? JSON.stringify({ error_code: 'SANDBOX_FAULT', errors: [`injected fault ${fault.status ?? 200}`] }),
          headers: fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) },
        };
      }
      if (req.headers.authorization !== `ApiKey ${state.apiKey}`) return problemReply(401, 'AUTH_001', 'Authorization: ApiKey <key> is missing or not valid.');
      if (match === undefined) return problemReply(404, 'NTF_001', `No route ${method} ${path}.`);
      if (match === 'method') return problemReply(405, 'VAL_001', `Method ${method} is not allowed on ${path}.`);
      if (method !== 'GET' && isMultipart(req.headers['content-type'])) {
        const parts: MultipartPart[] = parseMultipart(await readBytes(req, MAX_UPLOAD_BYTES), req.headers['content-type'] ?? '');
        seen.multipartFields = parts.map((p) => p.name);
        return await match.handler({ state, query, body: {}, parts }, match.params);
      }
      const text = method === 'GET' ? '' : await readText(req);
      const body = parseJsonBody(text);
      if (text.trim() !== '') seen.body = body;
      return await match.handler({ state, query, body }, match.params);
    } finally {
      end();
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = (req.method ?? 'GET').toUpperCase();
    const query = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1) : '';
    let out: Reply;
    try {
      const adminPath = url.pathname.replace(new RegExp(`^${PLATFORM_BASE_PATH}(?=/__sandbox)`), '');
      if (isUsageMedia(url.pathname)) return serveUsageMedia(state, res, method, url.pathname);
      if (adminPath.startsWith('/__sandbox/')) {
        const match = admin.match(method, adminPath);
        if (typeof match !== 'object') out = problemReply(404, 'NTF_001', `No admin route ${method} ${adminPath}.`);
        else out = await match.handler({ body: method === 'GET' ? {} : parseJsonBody(await readText(req)) }, match.params);
      } else if (url.pathname === PLATFORM_BASE_PATH || url.pathname.startsWith(`${PLATFORM_BASE_PATH}/`)) {
        out = await handleApi(req, method, url.pathname, query);
      } else out = problemReply(404, 'NTF_001', `No route ${method} ${url.pathname}: the API is under ${PLATFORM_BASE_PATH}.`);
    } catch (error) {
      out = error instanceof BodyError ? problemReply(400, 'VAL_001', error.message) : problemReply(500, 'SANDBOX_BUG', (error as Error).message);
    }
    if (!res.headersSent) send(res, out);
  };

  const server = createServer((req, res) => void handle(req, res));
  const port = await listen(server, host, options.port ?? 0);
  state.usage.setOrigin(origin(host, port));
  return {
    url: `${origin(host, port)}${PLATFORM_BASE_PATH}`,
    state,
    addFault: (fault) => {
      const r = addFault(fault);
      if (r.status !== 201) throw new Error(`bad fault: ${JSON.stringify(r.body)}`);
    },
    clearFaults: () => void (faults = []),
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    close: () => closeServer(server),
  };
}
