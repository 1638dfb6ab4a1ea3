import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunRecord } from '../../src/app/usage/ports.js';
import { startAdminServer, startReadiness, type AdminServer, type AdminServerOptions, type Readiness, type ReprocessInput } from '../../src/daemon/admin-server.js';
import { ConnectorMetrics } from '../../src/daemon/metrics.js';
import { SingleFlight } from '../../src/daemon/single-flight.js';
import { ConnectorError } from '../../src/domain/errors.js';
import { runRecord as run } from '../support/run-record.js';

const TOKEN = 's3cret-admin-token';
const PAYER = '123456789012';

const RUNS = [
  run({ period: '2026-01', startedAt: '2026-02-05T00:00:00.000Z' }),
  run({ version: 2, trigger: 'admin', startedAt: '2026-03-09T10:00:00.000Z' }),
  run({ payerAccountId: '210987654321' }),
  run({ version: 1, dryRun: true, trigger: 'cli', startedAt: '2026-03-10T08:00:00.000Z' }),
];

let server: AdminServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(overrides: Partial<AdminServerOptions> = {}) {
  const received: ReprocessInput[] = [];
  const metrics = new ConnectorMetrics({ defaultMetrics: false });
  server = await startAdminServer({
    token: TOKEN,
    metrics,
    runs: () => RUNS,
    ready: () => ({ ok: true, reasons: [] }),
    reprocess: async (input) => {
      received.push(input);
      return { version: 3, outcome: 'succeeded' };
    },
    ...overrides,
  });
  const url = server.url;
  const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(`${url}/reprocess`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { url, received, metrics, post };
}

const GOOD = { period: '2026-02', payer: PAYER };

describe('startAdminServer(): reads', () => {
  it('binds to 127.0.0.1 on a free port by default', async () => {
    const { url } = await start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers /healthz with 200 while serving', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/healthz`);
    expect([res.status, await res.json()]).toEqual([200, { status: 'ok' }]);
  });

  it('answers /readyz with 503 and the reasons when not ready', async () => {
    const reasons = ['state database: the database connection is not open', 'platform: could not read fulfillment requests: 503'];
    const { url } = await start({ ready: () => ({ ok: false, reasons }) });
    const res = await fetch(`${url}/readyz`);
    expect([res.status, await res.json()]).toEqual([503, { ready: false, status: 'not ready', reasons }]);
  });

  it('answers /readyz with 200 when ready', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/readyz`);
    expect([res.status, await res.json()]).toEqual([200, { ready: true, status: 'ready', reasons: [] }]);
  });

  it('lists runs latest first, filtered by payer and period, limited', async () => {
    const { url } = await start();
    const all = (await (await fetch(`${url}/runs`)).json()) as { runs: RunRecord[] };
    expect(all.runs.map((r) => r.startedAt)).toEqual(['2026-03-09T10:00:00.000Z', '2026-03-05T00:00:00.000Z', '2026-02-05T00:00:00.000Z']);
    const some = (await (await fetch(`${url}/runs?payer=${PAYER}&period=2026-02&limit=1`)).json()) as { runs: RunRecord[] };
    expect(some.runs.map((r) => [r.payerAccountId, r.period, r.version])).toEqual([[PAYER, '2026-02', 2]]);
  });

  it('lists the live runs unless asked for the dry runs (?dryRun=true) or both (?dryRun=all)', async () => {
    const { url } = await start();
    const get = async (query: string) => ((await (await fetch(`${url}/runs${query}`)).json()) as { runs: RunRecord[] }).runs.map((r) => [r.startedAt, r.dryRun]);
    expect(await get('?dryRun=true')).toEqual([['2026-03-10T08:00:00.000Z', true]]);
    expect((await get('?dryRun=all'))[0]).toEqual(['2026-03-10T08:00:00.000Z', true]);
    expect(await get('?dryRun=all')).toHaveLength(4);
    expect((await get('')).every(([, dry]) => dry === false)).toBe(true);
    const res = await fetch(`${url}/runs?dryRun=maybe`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^dryRun:/);
  });

  it('refuses a malformed runs filter with 400 naming it', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/runs?limit=lots`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^limit:/);
  });

  it('serves /metrics as Prometheus text with what was recorded', async () => {
    const { url, metrics } = await start();
    metrics.runFinished(run({ records: 4, billedTotal: '1234.56', currency: 'USD' }));
    metrics.error('PLATFORM_HTTP');
    const res = await fetch(`${url}/metrics`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const lines = (await res.text()).split('\n').filter((l) => l !== '');
    for (const line of lines.filter((l) => !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? (-?[0-9.eE+-]+|[Nn][Aa][Nn]|[+-]?[Ii]nf)$/);
    }
    expect(lines).toContain('# TYPE native_rating_billed_amount gauge');
    expect(lines).toContain('# TYPE native_rating_runs_total counter');
    expect(lines).toContain(`native_rating_billed_amount{payer="${PAYER}",currency="USD"} 1234.56`);
    expect(lines).toContain(`native_rating_records_total{payer="${PAYER}"} 4`);
    expect(lines).toContain('native_rating_errors_total{code="PLATFORM_HTTP"} 1');
  });

  it('answers 404 to an unknown route and 405 to a wrong method', async () => {
    const { url } = await start();
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    const wrong = await fetch(`${url}/healthz`, { method: 'POST' });
    expect([wrong.status, wrong.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect((await fetch(`${url}/reprocess`)).status).toBe(405);
  });

  it('answers 400 to a request target that is not a URL path, and keeps serving', async () => {
    const { url } = await start();
    const { port } = new URL(url);
    const reply = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      socket.on('data', (d: Buffer) => (text += d.toString())).on('end', () => resolve(text)).on('error', reject);
    });
    expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});

describe('startAdminServer(): POST /reprocess', () => {
  it('runs the reprocess with the parsed input given the token', async () => {
    const { post, received } = await start();
    const res = await post({ ...GOOD, dryRun: true });
    expect([res.status, await res.json()]).toEqual([200, { version: 3, outcome: 'succeeded' }]);
    expect(received).toEqual([{ period: '2026-02', payerAccountId: PAYER, dryRun: true }]);
  });

  it('answers 401 with WWW-Authenticate without a token', async () => {
    const { post, received } = await start();
    const res = await post(GOOD, {});
    expect([res.status, res.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
    expect(received).toEqual([]);
  });

  it('answers 401 to a wrong token, without echoing any token', async () => {
    const { post, received } = await start();
    const res = await post(GOOD, { authorization: 'Bearer not-the-token' });
    const text = await res.text();
    expect(res.status).toBe(401);
    expect(text).not.toContain('not-the-token');
    expect(text).not.toContain(TOKEN);
    expect(received).toEqual([]);
  });

  it('answers 403 to every POST when no token is configured, naming ADMIN_TOKEN', async () => {
    const { post, received } = await start({ token: undefined });
    const res = await post(GOOD, { authorization: 'Bearer anything' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('ADMIN_TOKEN');
    expect(received).toEqual([]);
  });

  it.each([
    [{ period: '2026-13', payer: PAYER }, 'period'],
    [{ period: '2026-2', payer: PAYER }, 'period'],
    [{ period: '2026-02', payer: '12345' }, 'payer'],
    [{ period: '2026-02', payer: PAYER, dryRun: 'yes' }, 'dryRun'],
    [{ ...GOOD, version: 2 }, 'version'],
    ['{not json', 'body'],
  ])('answers 400 naming the bad field for %j', async (body, field) => {
    const { post, received } = await start();
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(new RegExp(`^${field}:`));
    expect(received).toEqual([]);
  });

  it('answers 413 to a body over 64 KiB', async () => {
    const { post } = await start();
    expect((await post({ ...GOOD, pad: 'x'.repeat(70 * 1024) })).status).toBe(413);
  });

  it('answers 413 to a chunked body that grows past 64 KiB', async () => {
    const { url } = await start();
    const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({ pull: (c) => (sent++ < 8 ? c.enqueue(chunk) : c.close()) });
    const init = { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body, duplex: 'half' };
    expect((await fetch(`${url}/reprocess`, init as RequestInit)).status).toBe(413);
  });

  it('answers 202 when the handler reports it started work in the background', async () => {
    const { post } = await start({ reprocess: async () => ({ started: true }) });
    expect((await post(GOOD)).status).toBe(202);
  });

  it('answers 409 when a run of that payer and period is already going', async () => {
    const flight = new SingleFlight();
    let release = (): void => undefined;
    let entered = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const running = new Promise<void>((resolve) => (entered = resolve));
    const { post } = await start({
      reprocess: (input) =>
        flight.run(SingleFlight.key(input.payerAccountId, input.period), async () => {
          entered();
          await held;
        }),
    });
    const first = post(GOOD);
    await running;
    const second = await post(GOOD);
    expect([second.status, ((await second.json()) as { error: { code: string } }).error.code]).toEqual([409, 'ALREADY_RUNNING']);
    release();
    expect((await first).status).toBe(200);
  });

  it('answers 422 with the code and message of a refusal, and counts the error', async () => {
    const { post, url } = await start({
      reprocess: async () => {
        throw new ConnectorError('PAYER_NOT_CONFIGURED', 'payer 123456789012 has no settings');
      },
    });
    const res = await post(GOOD);
    expect([res.status, await res.json()]).toEqual([422, { error: { code: 'PAYER_NOT_CONFIGURED', message: 'payer 123456789012 has no settings' } }]);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('native_rating_errors_total{code="PAYER_NOT_CONFIGURED"} 1');
  });

  it.each([
    ['ABORTED', 503],
    ['STATE', 500],
    ['INTERNAL', 500],
    ['PLATFORM_UNREACHABLE', 502],
    ['PLATFORM_RESPONSE', 502],
    ['AWS_THROTTLED', 502],
    ['CUR_EMPTY', 422],
    ['CONFIG_INVALID', 422],
  ] as const)('answers a reprocess that failed with %s with status %i, its code and message', async (code, status) => {
    const message = `payer ${PAYER} 2026-02: the run failed (${code})`;
    const { post, metrics } = await start({
      reprocess: async () => {
        throw new ConnectorError(code, message, { where: { payer: PAYER } });
      },
    });
    const res = await post(GOOD);
    expect([res.status, await res.json()]).toEqual([status, { error: { code, message } }]);
    expect(await metrics.text()).toContain(`native_rating_errors_total{code="${code}"} 1`);
  });

  it('answers 500 INTERNAL with the message when the handler throws a plain Error, and reports it', async () => {
    const errors: string[] = [];
    const { post } = await start({
      reprocess: async () => {
        throw new Error('a bug');
      },
      onError: (error) => errors.push(`${error.code}: ${error.message}`),
    });
    const res = await post(GOOD);
    expect([res.status, await res.json()]).toEqual([500, { error: { code: 'INTERNAL', message: 'a bug' } }]);
    expect(errors).toEqual(['INTERNAL: a bug']);
  });

  it('aborts the reprocess signal on close', async () => {
    let seen: AbortSignal | undefined;
    const { post } = await start({
      reprocess: async (_input, signal) => {
        seen = signal;
        return {};
      },
    });
    await post(GOOD);
    expect(seen?.aborted).toBe(false);
    await server?.close();
    server = undefined;
    expect(seen?.aborted).toBe(true);
  });
});

describe('startReadiness()', () => {
  let readiness: Readiness | undefined;
  afterEach(() => {
    readiness?.stop();
    readiness = undefined;
    vi.useRealTimers();
  });

  /** A probe whose answer the test sets: undefined passes, a string fails with that message, 'hang' never settles. */
  const probe = (name: string, answer: { now: string | undefined }) => {
    const calls: AbortSignal[] = [];
    return {
      calls,
      probe: {
        name,
        check: (signal: AbortSignal) => {
          calls.push(signal);
          if (answer.now === 'hang') return new Promise<void>(() => undefined);
          return answer.now === undefined ? Promise.resolve() : Promise.reject(new ConnectorError('AWS_ACCESS_DENIED', answer.now));
        },
      },
    };
  };

  it('is ready once every probe passed', async () => {
    vi.useFakeTimers();
    const platform = probe('platform', { now: undefined });
    const aws = probe(`payer ${PAYER} AWS access`, { now: undefined });
    readiness = startReadiness({ probes: [platform.probe, aws.probe] });
    await readiness.refresh();
    expect(readiness.status()).toEqual({ ok: true, reasons: [] });
  });

  it('is not ready while a probe fails, naming the component and the reason, and ready again after the next round', async () => {
    vi.useFakeTimers();
    const answer = { now: 'not authorized to perform sts:AssumeRole' as string | undefined };
    const aws = probe(`payer ${PAYER} AWS access`, answer);
    const changes: Array<[string, string | undefined]> = [];
    readiness = startReadiness({ probes: [probe('platform', { now: undefined }).probe, aws.probe], intervalMs: 30_000, onChange: (name, reason) => changes.push([name, reason]) });
    await readiness.refresh();
    expect(readiness.status()).toEqual({ ok: false, reasons: [`payer ${PAYER} AWS access: not authorized to perform sts:AssumeRole`] });
    answer.now = undefined;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(readiness.status()).toEqual({ ok: true, reasons: [] });
    expect(changes).toEqual([
      ['platform', undefined],
      [`payer ${PAYER} AWS access`, 'not authorized to perform sts:AssumeRole'],
      [`payer ${PAYER} AWS access`, undefined],
    ]);
  });

  it('answers from the last results: asking does not call the probes, the interval does', async () => {
    vi.useFakeTimers();
    const platform = probe('platform', { now: undefined });
    readiness = startReadiness({ probes: [platform.probe], intervalMs: 60_000 });
    await readiness.refresh();
    for (let scrape = 0; scrape < 5; scrape += 1) readiness.status();
    expect(platform.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(platform.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(platform.calls).toHaveLength(2);
  });

  it('counts a probe not checked yet as not ready, and one that does not answer in time as failed, aborting it', async () => {
    vi.useFakeTimers();
    const platform = probe('platform', { now: 'hang' });
    readiness = startReadiness({ probes: [platform.probe], timeoutMs: 5_000 });
    expect(readiness.status()).toEqual({ ok: false, reasons: ['platform: not checked yet'] });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(readiness.status()).toEqual({ ok: false, reasons: ['platform: no answer within 5000 ms'] });
    expect(platform.calls[0]?.aborted).toBe(true);
  });

  it('checks nothing after stop()', async () => {
    vi.useFakeTimers();
    const platform = probe('platform', { now: undefined });
    readiness = startReadiness({ probes: [platform.probe], intervalMs: 1_000 });
    await readiness.refresh();
    readiness.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(platform.calls).toHaveLength(1);
  });
});

describe('SingleFlight', () => {
  it('runs one of two concurrent runs of a key; the other returns started:false', async () => {
    const flight = new SingleFlight();
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let starts = 0;
    const work = async (): Promise<string> => {
      starts += 1;
      await held;
      return 'done';
    };
    const first = flight.run('123456789012/2026-02', work);
    const second = await flight.run('123456789012/2026-02', work);
    expect(second).toEqual({ started: false });
    release();
    expect(await first).toEqual({ started: true, result: 'done' });
    expect(starts).toBe(1);
  });

  it('runs different keys concurrently', async () => {
    const flight = new SingleFlight();
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const a = flight.run('123456789012/2026-02', () => held.then(() => 'a'));
    const b = flight.run('210987654321/2026-02', () => held.then(() => 'b'));
    expect(flight.keys().sort()).toEqual(['123456789012/2026-02', '210987654321/2026-02']);
    release();
    expect(await Promise.all([a, b])).toEqual([
      { started: true, result: 'a' },
      { started: true, result: 'b' },
    ]);
  });

  it('releases the key after the work throws', async () => {
    const flight = new SingleFlight();
    await expect(flight.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await flight.run('k', async () => 1)).toEqual({ started: true, result: 1 });
  });
});
