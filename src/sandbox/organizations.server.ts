/**
 * A loopback stand-in of AWS Organizations over the AWS JSON 1.1 protocol, for
 * the real AWS SDK: `POST /` with `X-Amz-Target: AWSOrganizationsV20161128.<Operation>`
 * and `Content-Type: application/x-amz-json-1.1`; errors are HTTP 400 (500 for
 * ServiceException) with `{"__type": "<ErrorName>", "Message": "..."}`.
 * Signatures are not checked (any credentials work); the access key id in the
 * SigV4 `Authorization` header only selects the organization (see
 * `OrganizationsState.organizationFor`).
 *
 * Admin routes (plain JSON, no X-Amz-Target):
 * - `POST /__sandbox/faults` `{operation?, error?, message?, times?, delayMs?, applied?}`: the next
 *   `times` (default 1) calls of `operation` (absent: any) wait `delayMs`, then fail
 *   with `error` (e.g. TooManyRequestsException) when given. With `applied`, the call
 *   takes effect first and only its answer is the error: a response lost on the way
 *   back, which the SDK retries. `GET` lists, `DELETE` drops them.
 * - `POST /__sandbox/accounts/{id}/state` `{state}`: ACTIVE, SUSPENDED, PENDING_CLOSURE,
 *   CLOSED, or REMOVED (the account leaves the organization).
 * - `POST /__sandbox/handshakes/{id}/state` `{state}`: OPEN, ACCEPTED, DECLINED, CANCELED, EXPIRED.
 * - `POST /__sandbox/transfers/{id}/state` `{state}`: a billing transfer's source accepts
 *   (ACCEPTED), declines (DECLINED), lets it expire (EXPIRED), the inviter cancels it
 *   (CANCELED), either side withdraws it (WITHDRAWN: ends this month), or REQUESTED again.
 * - `GET /__sandbox/state`; `GET /__sandbox/stats` (calls by operation, total, max in
 *   flight, max calls in any 1-second window), `DELETE` resets them.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { BodyError, CallStats, closeServer, delay, listen, origin, parseJsonBody, readText, Router, send, type CallStatsSnapshot, type Reply } from './http.util.js';
import { OPERATIONS } from './organizations.operations.js';
import { AwsFault, TRANSFER_STATUSES, type OrganizationsState } from './organizations.state.js';
import { ACCOUNT_STATES } from './seed.schema.js';

/** The `X-Amz-Target` prefix of Organizations. */
export const ORGANIZATIONS_TARGET_PREFIX = 'AWSOrganizationsV20161128.';
const JSON_11 = 'application/x-amz-json-1.1';

const faultSchema = z
  .strictObject({
    operation: z.string().optional(),
    error: z.string().regex(/^[A-Za-z]+$/, 'must be an AWS error name such as TooManyRequestsException').optional(),
    message: z.string().optional(),
    times: z.number().int().min(1).default(1),
    delayMs: z.number().int().min(0).max(600_000).optional(),
    /** The call takes effect, then answers `error`: its response was lost. */
    applied: z.boolean().optional(),
  })
  .refine((f) => f.error !== undefined || f.delayMs !== undefined, 'give error, delayMs or both')
  .refine((f) => f.applied !== true || f.error !== undefined, { message: 'applied needs an error (the answer that replaces the lost one)', path: ['applied'] });

/** A fault to inject into the next matching Organizations calls. */
export type OrganizationsFault = z.input<typeof faultSchema>;
type Fault = z.output<typeof faultSchema>;

/** A running Organizations stand-in. */
export interface OrganizationsServer {
  /** The endpoint to give the SDK (`http://127.0.0.1:<port>`). */
  url: string;
  state: OrganizationsState;
  addFault(fault: OrganizationsFault): void;
  clearFaults(): void;
  stats(): CallStatsSnapshot;
  resetStats(): void;
  close(): Promise<void>;
}

function awsError(type: string, message: string, extra: Record<string, string> = {}, status = 400): Reply {
  return { status, body: { __type: type, Message: message, ...extra }, headers: { 'x-amzn-requestid': randomUUID(), 'x-amzn-errortype': type } };
}

/** The access key id of a SigV4 `Authorization` header (`Credential=AKID/date/region/service/aws4_request`). */
export function accessKeyIdOf(authorization: string | undefined): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
}

/** Starts the Organizations stand-in over `state` (host default `127.0.0.1`, port default 0). */
export async function startOrganizationsServer(state: OrganizationsState, options: { host?: string; port?: number } = {}): Promise<OrganizationsServer> {
  const host = options.host ?? '127.0.0.1';
  const stats = new CallStats();
  let faults: Fault[] = [];

  const addFault = (raw: unknown): Reply => {
    const parsed = faultSchema.safeParse(raw);
    if (!parsed.success) return { status: 400, body: { message: parsed.error.issues.map((i) => `${i.path.join('.') || 'fault'}: ${i.message}`).join('; ') } };
    faults.push(parsed.data);
    return { status: 201, body: parsed.data };
  };
  const takeFault = (operation: string): Fault | undefined => {
    const fault = faults.find((f) => f.operation === undefined || f.operation === operation);
    if (!fault) return undefined;
    fault.times -= 1;
    if (fault.times <= 0) faults = faults.filter((f) => f !== fault);
    return fault;
  };

  const stateBody = z.strictObject({ state: z.string() });
  const admin = new Router<Record<string, unknown>>()
    .add('POST', '/__sandbox/faults', (body) => addFault(body))
    .add('GET', '/__sandbox/faults', () => ({ status: 200, body: faults }))
    .add('DELETE', '/__sandbox/faults', () => ((faults = []), { status: 204 }))
    .add('GET', '/__sandbox/state', () => ({ status: 200, body: state.snapshot() }))
    .add('GET', '/__sandbox/stats', () => ({ status: 200, body: stats.snapshot() }))
    .add('DELETE', '/__sandbox/stats', () => (stats.reset(), { status: 204 }))
    .add('POST', '/__sandbox/accounts/{id}/state', (body, { id }) => {
      const parsed = stateBody.safeParse(body);
      if (!parsed.success || ![...ACCOUNT_STATES, 'REMOVED'].includes(parsed.data.state)) return { status: 400, body: { message: `state must be one of ${ACCOUNT_STATES.join(', ')}, REMOVED` } };
      const account = state.setAccountState(id ?? '', parsed.data.state);
      return account ? { status: 200, body: account } : { status: 404, body: { message: `account ${id} is in no organization` } };
    })
    .add('POST', '/__sandbox/handshakes/{id}/state', (body, { id }) => {
      const parsed = stateBody.safeParse(body);
      if (!parsed.success || !['OPEN', 'ACCEPTED', 'DECLINED', 'CANCELED', 'EXPIRED'].includes(parsed.data.state)) {
        return { status: 400, body: { message: 'state must be one of OPEN, ACCEPTED, DECLINED, CANCELED, EXPIRED' } };
      }
      const handshake = state.setHandshakeState(id ?? '', parsed.data.state);
      return handshake ? { status: 200, body: handshake } : { status: 404, body: { message: `handshake ${id} not found` } };
    })
    .add('POST', '/__sandbox/transfers/{id}/state', (body, { id }) => {
      const parsed = stateBody.safeParse(body);
      const status = TRANSFER_STATUSES.find((s) => s === (parsed.success ? parsed.data.state : undefined));
      if (status === undefined) return { status: 400, body: { message: `state must be one of ${TRANSFER_STATUSES.join(', ')}` } };
      const transfer = state.setTransferStatus(id ?? '', status);
      return transfer ? { status: 200, body: transfer } : { status: 404, body: { message: `transfer ${id} not found` } };
    });

  const handleCall = async (req: IncomingMessage): Promise<Reply> => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const name = target.startsWith(ORGANIZATIONS_TARGET_PREFIX) ? target.slice(ORGANIZATIONS_TARGET_PREFIX.length) : '';
    const operation = OPERATIONS[name];
    const end = stats.begin(operation ? name : `(unknown ${target || 'no target'})`);
    try {
      const fault = takeFault(name);
      if (fault?.delayMs) await delay(fault.delayMs);
      const injected = (error: string): Reply =>
        awsError(error, fault?.message ?? `Injected ${error} (sandbox).`, error === 'TooManyRequestsException' ? { Type: 'AWSOrganizations' } : {}, /Service|Internal/.test(error) ? 500 : 400);
      if (fault?.error !== undefined && fault.applied !== true) return injected(fault.error);
      if (!operation) return awsError('UnknownOperationException', `The sandbox does not answer ${target || 'a call without X-Amz-Target'}.`);
      let input: Record<string, unknown>;
      try {
        input = parseJsonBody(await readText(req));
      } catch (error) {
        return awsError('SerializationException', (error as Error).message);
      }
      const org = state.organizationFor(accessKeyIdOf(req.headers.authorization));
      const body = operation(state, org, input);
      if (fault?.error !== undefined) return injected(fault.error);
      return { status: 200, body, headers: { 'x-amzn-requestid': randomUUID() } };
    } catch (error) {
      if (error instanceof AwsFault) return awsError(error.type, error.message, error.extra, error.status);
      return awsError('ServiceException', `sandbox bug: ${(error as Error).message}`, {}, 500);
    } finally {
      end();
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    if (path.startsWith('/__sandbox/')) {
      let out: Reply;
      try {
        const match = admin.match(method, path);
        out = typeof match === 'object' ? await match.handler(method === 'GET' ? {} : parseJsonBody(await readText(req)), match.params) : { status: 404, body: { message: `no admin route ${method} ${path}` } };
      } catch (error) {
        out = { status: error instanceof BodyError ? 400 : 500, body: { message: (error as Error).message } };
      }
      send(res, out);
      return;
    }
    if (method !== 'POST' || path !== '/') {
      send(res, awsError('UnknownOperationException', `Organizations takes POST / (got ${method} ${path}).`), JSON_11);
      return;
    }
    send(res, await handleCall(req), JSON_11);
  };

  const server = createServer((req, res) => void handle(req, res));
  const port = await listen(server, host, options.port ?? 0);
  return {
    url: origin(host, port),
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
