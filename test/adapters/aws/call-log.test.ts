/**
 * `logAwsCalls`: one debug line per AWS call (service, operation, status,
 * attempts), through the real SDK client and its middleware stack with a
 * stand-in HTTP handler (no network), and never a secret of the call.
 */
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { HttpResponse } from '@smithy/core/transport';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { logAwsCalls } from '../../../src/adapters/aws/call-log.js';
import { REDACT_PATHS } from '../../../src/daemon/logger.js';

const EXTERNAL_ID = 'ext-id-do-not-leak-7731';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRET';
const SESSION_TOKEN = 'FwoGZXIvYXdzEXAMPLETOKENdonotleak';

const IDENTITY = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:user/op</Arn><UserId>AIDA</UserId><Account>111111111111</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>req-identity-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
const ASSUMED = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>${SECRET_KEY}</SecretAccessKey><SessionToken>${SESSION_TOKEN}</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::222222222222:assumed-role/R/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>req-assume-1</RequestId></ResponseMetadata></AssumeRoleResponse>`;
const DENIED = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform sts:AssumeRole with external id ${EXTERNAL_ID}</Message></Error><RequestId>req-denied-1</RequestId></ErrorResponse>`;

/** An STS client whose HTTP handler answers from `answers` in turn (status, XML body) and records what was sent. */
function stsWith(answers: Array<[number, string]>): { client: STSClient; sent: string[] } {
  const sent: string[] = [];
  const client = new STSClient({
    region: 'us-east-1',
    endpoint: 'https://sts.test',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: SECRET_KEY },
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: { body?: unknown }) => {
        sent.push(String(request.body ?? ''));
        const [statusCode, body] = answers.shift() ?? [500, ''];
        return { response: new HttpResponse({ statusCode, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': `req-${sent.length}` }, body: Buffer.from(body) }) };
      },
    },
  });
  return { client, sent };
}

/** A debug logger as the composition builds it (with its redaction), its lines kept. */
function debugLog(): { lines: string[]; log: pino.Logger } {
  const lines: string[] = [];
  return { lines, log: pino({ level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, { write: (line: string) => void lines.push(line) }) };
}

/** A clock that moves 5 ms each time it is read. */
function steppingClock(): () => number {
  let t = 0;
  return () => (t += 5);
}

describe('logAwsCalls()', () => {
  it('logs each call once: service, operation, status, attempts, request id and duration', async () => {
    const { client } = stsWith([[200, IDENTITY]]);
    const { lines, log } = debugLog();
    logAwsCalls(client, log, steppingClock());

    const out = await client.send(new GetCallerIdentityCommand({}));

    expect(out.Account).toBe('111111111111');
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 20, msg: 'aws call', service: 'STS', operation: 'GetCallerIdentity', outcome: 'ok', status: 200, attempts: 1, retryDelayMs: 0, requestId: 'req-1', durationMs: 5 }),
    ]);
  });

  it('logs a refused call with AWS error name and status, and passes the error on unchanged', async () => {
    const { client } = stsWith([[403, DENIED]]);
    const { lines, log } = debugLog();
    logAwsCalls(client, log, steppingClock());

    await expect(client.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/R', RoleSessionName: 's', ExternalId: EXTERNAL_ID }))).rejects.toMatchObject({ name: 'AccessDenied' });

    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ msg: 'aws call', service: 'STS', operation: 'AssumeRole', outcome: 'error', error: 'AccessDenied', status: 403 }),
    ]);
  });

  it('never logs the external id sent nor the credentials received', async () => {
    const { client, sent } = stsWith([
      [200, ASSUMED],
      [403, DENIED],
    ]);
    const { lines, log } = debugLog();
    logAwsCalls(client, log);
    const input = { RoleArn: 'arn:aws:iam::222222222222:role/R', RoleSessionName: 's', ExternalId: EXTERNAL_ID };

    const assumed = await client.send(new AssumeRoleCommand(input));
    await client.send(new AssumeRoleCommand(input)).catch(() => undefined);

    // The secrets did travel (so the test would see them if they were logged)...
    expect(sent.join('')).toContain(EXTERNAL_ID);
    expect(assumed.Credentials?.SessionToken).toBe(SESSION_TOKEN);
    // ...and no line shows any of them.
    expect(lines).toHaveLength(2);
    for (const secret of [EXTERNAL_ID, SECRET_KEY, SESSION_TOKEN, 'AKIDTEST']) expect(lines.join('')).not.toContain(secret);
  });

  it('logs nothing when the level is above debug', async () => {
    const { client } = stsWith([[200, IDENTITY]]);
    const lines: string[] = [];
    logAwsCalls(client, pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }));
    await client.send(new GetCallerIdentityCommand({}));
    expect(lines).toEqual([]);
  });
});
