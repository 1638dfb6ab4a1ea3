/** `healthcheck`: asks the configured admin endpoint's /healthz; a loopback server on port 0 stands for the daemon. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runHealthcheck } from '../../src/cli/healthcheck.command.js';
import { EXIT_OK, EXIT_PAYER_FAILED, EXIT_UNUSABLE } from '../../src/cli/program.js';
import { runBin } from '../support/run-program.js';
import { tempDir, writeJson } from '../support/run-cli.js';

const servers: Server[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** A loopback server on a free port; `seen` collects the paths asked. */
async function daemon(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, seen };
}

async function config(admin?: object): Promise<string> {
  return writeJson(await tempDir(), 'config.json', { payers: [{ accountId: '111111111111' }], ...(admin ? { admin } : {}) });
}

async function check(file: string, env: NodeJS.ProcessEnv = {}, deadline?: AbortSignal): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  // The deadline is the test's: it never passes unless the test says so.
  const io = { env, stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), deadline: () => deadline ?? new AbortController().signal };
  const code = await runHealthcheck({ config: file, timeoutMs: 5 }, io);
  return { code, stdout, stderr };
}

describe('runHealthcheck()', () => {
  it('is 0 when /healthz answers 200', async () => {
    const { port, seen } = await daemon((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'));
    const r = await check(await config({ host: '127.0.0.1', port }));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`healthy: GET http://127.0.0.1:${port}/healthz answered 200\n`);
    expect(seen).toEqual(['GET /healthz']);
  });

  it('is 1 when /healthz answers another status, with the status and body on stderr', async () => {
    const { port } = await daemon((_req, res) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"stopping"}'));
    const r = await check(await config({ host: '127.0.0.1', port }));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`unhealthy: GET http://127.0.0.1:${port}/healthz answered 503: {"status":"stopping"}\n`);
  });

  it('is 1 when nothing listens, saying the connection was refused', async () => {
    const { port } = await daemon(() => undefined);
    const server = servers.pop() as Server;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const r = await check(await config({ host: '127.0.0.1', port }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`unhealthy: GET http://127.0.0.1:${port}/healthz: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('is 1 when no answer comes within the timeout', async () => {
    // The server never answers; the deadline passes once it has the request (no real wait).
    const deadline = new AbortController();
    const { port } = await daemon(() => deadline.abort(new DOMException('timed out', 'TimeoutError')));
    const r = await check(await config({ host: '127.0.0.1', port }), {}, deadline.signal);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`unhealthy: GET http://127.0.0.1:${port}/healthz: no answer within 5 ms\n`);
  });

  it('asks an any-address bind (0.0.0.0) on 127.0.0.1', async () => {
    const { port } = await daemon((_req, res) => res.writeHead(200).end());
    const r = await check(await config({ host: '0.0.0.0', port }));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`http://127.0.0.1:${port}/healthz`);
  });

  it('follows NATIVE_RATING_ADMIN_PORT when the file has no admin section', async () => {
    const { port } = await daemon((_req, res) => res.writeHead(200).end());
    const r = await check(await config(), { NATIVE_RATING_ADMIN_PORT: String(port) });
    expect(r.code).toBe(0);
  });
});

describe('native-rating healthcheck', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => runBin(['healthcheck', ...args], env);

  it('exits 2 when there is no admin section to ask', async () => {
    const file = await config();
    const r = await run(['--config', file]);
    expect(r.code).toBe(EXIT_UNUSABLE);
    expect(r.stderr).toContain(`error CONFIG_INVALID: ${file} has no "admin" section (nor NATIVE_RATING_ADMIN_HOST or NATIVE_RATING_ADMIN_PORT)`);
  });

  it('exits 2 on a --timeout-ms that is not a number', async () => {
    const r = await run(['--config', await config({ port: 8080 }), '--timeout-ms', 'soon']);
    expect(r.code).toBe(EXIT_UNUSABLE);
    expect(r.stderr).toContain('--timeout-ms "soon" is not a whole number of milliseconds');
  });

  it('exits 0 and 1 as /healthz answers, reading the configuration from NATIVE_RATING_CONFIG', async () => {
    let status = 200;
    const { port } = await daemon((_req, res) => res.writeHead(status).end());
    const env = { NATIVE_RATING_CONFIG: await config({ host: '127.0.0.1', port }) };
    expect((await run([], env)).code).toBe(EXIT_OK);
    status = 500;
    vi.restoreAllMocks();
    const failed = await run([], env);
    expect(failed.code).toBe(EXIT_PAYER_FAILED);
    expect(failed.stderr).toContain('answered 500');
  });
});
