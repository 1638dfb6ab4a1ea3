/**
 * The root logger: pino JSON, fixed messages with data in fields, secrets
 * redacted wherever they might be put by mistake. Only composition roots call this.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

/** Paths that may hold a secret; pino replaces their values. */
export const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'externalId',
  '*.externalId',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'credentials',
  '*.credentials',
  'secretAccessKey',
  '*.secretAccessKey',
  'sessionToken',
  '*.sessionToken',
  // The AWS SDK's own spelling, should an input or output be logged by mistake.
  'ExternalId',
  '*.ExternalId',
  'Credentials',
  '*.Credentials',
  'SecretAccessKey',
  '*.SecretAccessKey',
  'SessionToken',
  '*.SessionToken',
  'adminToken',
  '*.adminToken',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { service: 'native-rating' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}

export type { Logger };
