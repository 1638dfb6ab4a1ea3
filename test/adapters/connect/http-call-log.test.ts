/**
 * `onCall`: what `LOG_LEVEL=debug` shows of the platform calls, one line per
 * attempt (method, path with query, status, duration), and never a secret.
 */
import nock from 'nock';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HttpCall } from '../../../src/adapters/connect/http-client.js';
import { REDACT_PATHS } from '../../../src/daemon/logger.js';
import { HOST, SECRET, signal, testClient } from './connect-fixtures.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

/** A clock that moves 7 ms each time it is read: every attempt lasts 7 ms. */
function steppingClock(): () => number {
  let t = 1_000_000;
  return () => (t += 7);
}

/** A debug logger as the composition builds it, its lines kept. */
function debugLog(): { lines: string[]; onCall: (call: HttpCall) => void } {
  const lines: string[] = [];
  const log = pino({ level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, { write: (line: string) => void lines.push(line) });
  return { lines, onCall: (call) => log.debug(call, 'platform call') };
}

describe('ConnectHttpClient onCall', () => {
  it('tells each attempt: method, path with its query, status, outcome, attempt number and duration', async () => {
    nock(HOST).get('/public/v1/things').query(true).reply(500, { errors: ['down'] }).get('/public/v1/things').query(true).reply(200, []);
    const calls: HttpCall[] = [];
    const { client } = testClient({ now: steppingClock(), onCall: (c) => calls.push(c) });

    await client.listAll('/things', [['status', 'pending']], (i) => i, signal());

    expect(calls).toEqual([
      { method: 'GET', path: '/things?status=pending&limit=100&offset=0', status: 500, outcome: 'http', attempt: 1, durationMs: 7 },
      { method: 'GET', path: '/things?status=pending&limit=100&offset=0', status: 200, outcome: 'ok', attempt: 2, durationMs: 7 },
    ]);
  });

  it('tells a network error without a status', async () => {
    nock(HOST).get('/public/v1/things/T-1').replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const calls: HttpCall[] = [];
    const { client } = testClient({ retries: 0, now: steppingClock(), onCall: (c) => calls.push(c) });

    await expect(client.getJson('/things/T-1', signal())).rejects.toThrow(/network error/);

    expect(calls).toEqual([{ method: 'GET', path: '/things/T-1', outcome: 'network', attempt: 1, durationMs: 7 }]);
  });

  it('shows a link outside the API without its query (a pre-signed link carries a credential there)', async () => {
    nock('https://storage.test').get('/template.xlsx').query(true).reply(200, Buffer.from('xlsx'));
    const calls: HttpCall[] = [];
    const { client } = testClient({ now: steppingClock(), onCall: (c) => calls.push(c) });

    await client.download('https://storage.test/template.xlsx?X-Amz-Signature=abc123&X-Amz-Credential=AKIAEXAMPLE', signal());

    expect(calls.map((c) => [c.path, c.status])).toEqual([['https://storage.test/template.xlsx', 200]]);
  });

  it('never puts the API key in a debug line, not even when a path carries it', async () => {
    nock(HOST)
      .get('/public/v1/things').query(true).reply(200, [])
      .get(`/public/v1/echo/${SECRET}`).reply(404, { errors: [`no such thing ${SECRET}`] });
    const { lines, onCall } = debugLog();
    const { client } = testClient({ onCall });

    await client.listAll('/things', [], (i) => i, signal());
    await expect(client.getJson(`/echo/${SECRET}`, signal())).rejects.toThrow(/HTTP 404/);

    expect(lines).toHaveLength(2);
    const text = lines.join('');
    expect(text).toContain('"msg":"platform call"');
    expect(text).toContain('"path":"/echo/***"');
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/ApiKey|authorization/i);
  });
});
