/** `createLogger()`: pino JSON lines with secrets replaced wherever they are put by mistake. */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/daemon/logger.js';

function captured(level = 'debug'): { lines: () => Array<Record<string, unknown>>; log: ReturnType<typeof createLogger> } {
  const out: string[] = [];
  const log = createLogger(level, { write: (line: string) => void out.push(line) });
  return { log, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger()', () => {
  it('writes one JSON line per call with the service name, the level and the message', () => {
    const { log, lines } = captured();
    log.info({ payer: '111111111111' }, 'run started');
    expect(lines()).toEqual([expect.objectContaining({ service: 'native-rating', level: 30, msg: 'run started', payer: '111111111111' })]);
  });

  it.each([
    ['apiKey', { apiKey: 'SU-1:secret-a' }],
    ['externalId', { payer: { externalId: 'secret-b' } }],
    ['an AWS input', { input: { RoleArn: 'arn:aws:iam::1:role/R', ExternalId: 'secret-c' } }],
    ['AWS credentials', { output: { Credentials: { AccessKeyId: 'ASIA', SecretAccessKey: 'secret-d', SessionToken: 'secret-e' } } }],
    ['a header', { headers: { authorization: 'ApiKey secret-f' } }],
    ['the admin token', { adminToken: 'secret-g' }],
  ])('redacts %s', (_what, fields) => {
    const { log, lines } = captured();
    log.debug(fields, 'aws call');
    const text = JSON.stringify(lines());
    expect(text).not.toMatch(/secret-[a-g]/);
    expect(text).toContain('[redacted]');
  });
});
