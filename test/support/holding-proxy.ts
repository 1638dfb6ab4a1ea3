/**
 * A loopback proxy in front of a stand-in server that holds the calls a test
 * picks until the test releases them: the way to have a process under test
 * "in the middle of" a call without guessing how long anything takes. The
 * proxy tells when a call is held (`held(n)`); a held call whose client gives
 * up (aborts) is dropped, never forwarded.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HoldingProxy {
  /** `http://127.0.0.1:<port>`: use it in place of the target's origin. */
  origin: string;
  /** Resolves once `n` calls have been held (released or not); their `METHOD /path`. */
  held(n: number): Promise<string[]>;
  /** Forwards every call held so far and every later one (the proxy holds nothing more). */
  release(): void;
  close(): Promise<void>;
}

interface Held {
  what: string;
  forward: () => void;
}

/** Proxies to `target` (an origin, e.g. `http://127.0.0.1:4123`), holding each call for which `hold` says true. */
export async function startHoldingProxy(target: string, hold: (method: string, path: string) => boolean): Promise<HoldingProxy> {
  const to = new URL(target);
  const seen: string[] = [];
  const waiting: Array<{ n: number; resolve: (held: string[]) => void }> = [];
  let parked: Held[] = [];
  let released = false;

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const out = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502).end(error.message);
      else res.destroy(error);
    });
    out.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const what = `${req.method ?? 'GET'} ${req.url ?? '/'}`;
      if (released || !hold(req.method ?? 'GET', (req.url ?? '/').split('?')[0] ?? '/')) return forward(req, res, body);
      const held: Held = { what, forward: () => forward(req, res, body) };
      parked.push(held);
      // The client gave up on it (a forced stop aborts calls in flight): it never reaches the target.
      res.on('close', () => void (parked = parked.filter((p) => p !== held)));
      seen.push(what);
      for (const waiter of waiting.filter((w) => w.n <= seen.length)) waiter.resolve(seen.slice(0, waiter.n));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    held: (n) => new Promise((resolve) => (seen.length >= n ? resolve(seen.slice(0, n)) : void waiting.push({ n, resolve }))),
    release: () => {
      released = true;
      const now = parked;
      parked = [];
      for (const held of now) held.forward();
    },
    close: () =>
      new Promise<void>((resolve) => {
        parked = [];
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
