/**
 * `native-rating healthcheck`: is the daemon of this configuration alive? GETs
 * `/healthz` of its admin endpoint (`admin.host:admin.port`, with the
 * environment's overrides; an any-address bind is asked on loopback). The
 * container's HEALTHCHECK runs it, so it follows the configured host and port.
 */
import { get } from 'node:http';
import { loadConfig } from '../config/load.js';
import { ConnectorError } from '../domain/errors.js';

export interface HealthcheckOptions {
  config: string;
  /** Milliseconds to wait for the answer (text from the flag, or a number). */
  timeoutMs: string | number;
}

export interface HealthcheckIo {
  env: NodeJS.ProcessEnv;
  stdout(text: string): void;
  stderr(text: string): void;
  /** The signal that ends the wait after `ms` (default `AbortSignal.timeout`; a test aborts its own). */
  deadline?: (ms: number) => AbortSignal;
}

/** `http://host:port` of the admin endpoint as configured (an IPv6 address in brackets). */
export function adminUrl(admin: { host: string; port: number }): string {
  const host = admin.host.includes(':') && !admin.host.startsWith('[') ? `[${admin.host}]` : admin.host;
  return `http://${host}:${admin.port}`;
}

/** The address to ask: a bind to every interface (`0.0.0.0`, `::`) answers on loopback. */
export function probeHost(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '[::]' ? '127.0.0.1' : host;
}

function timeoutOf(given: string | number): number {
  const ms = typeof given === 'number' ? given : /^\d+$/.test(given.trim()) ? Number(given.trim()) : Number.NaN;
  if (!Number.isInteger(ms) || ms < 1 || ms > 600_000) {
    throw new ConnectorError('CONFIG_INVALID', `--timeout-ms ${JSON.stringify(String(given))} is not a whole number of milliseconds from 1 to 600000`, { where: { setting: '--timeout-ms', value: String(given) } });
  }
  return ms;
}

/** The status code of GET `url`, or the reason there is none (refused, reset, no answer within `timeoutMs`). */
function getStatus(url: string, timeoutMs: number, signal: AbortSignal): Promise<{ status: number; body: string } | { reason: string }> {
  return new Promise((done) => {
    const request = get(url, { signal, headers: { accept: 'application/json' } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < 500) body += chunk;
      });
      response.on('end', () => done({ status: response.statusCode ?? 0, body }));
      response.on('error', (error) => done({ reason: error.message }));
    });
    request.on('error', (error: Error & { code?: string }) => {
      done({ reason: error.name === 'AbortError' || error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : error.message });
    });
  });
}

/** 0 when `/healthz` answers 200, 1 otherwise (the reason on stderr); throws CONFIG_INVALID (exit 2) when there is no admin endpoint to ask. */
export async function runHealthcheck(options: HealthcheckOptions, io: HealthcheckIo): Promise<number> {
  const timeoutMs = timeoutOf(options.timeoutMs);
  const { config, file } = await loadConfig(options.config, io.env);
  if (!config.admin) {
    throw new ConnectorError('CONFIG_INVALID', `${file} has no "admin" section (nor NATIVE_RATING_ADMIN_HOST or NATIVE_RATING_ADMIN_PORT): the daemon serves no /healthz to ask`, { where: { file, setting: 'admin' } });
  }
  const url = `${adminUrl({ host: probeHost(config.admin.host), port: config.admin.port })}/healthz`;
  const answer = await getStatus(url, timeoutMs, (io.deadline ?? AbortSignal.timeout)(timeoutMs));
  if ('reason' in answer) {
    io.stderr(`unhealthy: GET ${url}: ${answer.reason}\n`);
    return 1;
  }
  if (answer.status !== 200) {
    const body = answer.body.trim().replace(/\s+/g, ' ').slice(0, 200);
    io.stderr(`unhealthy: GET ${url} answered ${answer.status}${body ? `: ${body}` : ''}\n`);
    return 1;
  }
  io.stdout(`healthy: GET ${url} answered 200\n`);
  return 0;
}
