/**
 * The environment, read once by a composition root: secrets never come from the
 * config file. Every problem is listed at once, naming the variable (never its value).
 */
import { ConnectorError } from '../domain/errors.js';
import type { Config } from './schema.js';

export interface OrdersEnvironment {
  /** `CONNECT_API_KEY`: `SU-...:secret`. */
  apiKey: string;
  /** External ids of payer roles, by payer account id (from each payer's `externalIdEnv`). */
  externalIds: Map<string, string>;
  /** `LOG_LEVEL`: pino level, default info. */
  logLevel: string;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Each payer's role external id: `payers[].externalId`, or the variable `payers[].externalIdEnv` names (unset ones are left out). */
export function externalIdsOf(env: NodeJS.ProcessEnv, config: Config): Map<string, string> {
  const ids = new Map<string, string>();
  for (const payer of config.payers) {
    const value = payer.externalId ?? (payer.externalIdEnv === undefined ? undefined : env[payer.externalIdEnv]?.trim());
    if (value) ids.set(payer.accountId, value);
  }
  return ids;
}

/** Reads what `process` and `daemon` need; throws CONFIG_INVALID listing every missing or bad variable. */
export function readOrdersEnvironment(env: NodeJS.ProcessEnv, config: Config): OrdersEnvironment {
  const problems: string[] = [];
  const apiKey = env.CONNECT_API_KEY?.trim() ?? '';
  if (apiKey === '') problems.push('CONNECT_API_KEY is not set: the platform API key (SU-...:secret, with or without the ApiKey prefix the portal shows) comes from the environment only');
  const externalIds = externalIdsOf(env, config);
  for (const payer of config.payers) {
    if (payer.externalIdEnv !== undefined && !externalIds.has(payer.accountId)) {
      problems.push(`${payer.externalIdEnv} is not set: payer ${payer.accountId} takes its role's external id from it (payers[].externalIdEnv)`);
    }
  }
  const logLevel = env.LOG_LEVEL?.trim() || 'info';
  if (!LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL ${JSON.stringify(logLevel)} is not one of ${LEVELS.join(', ')}`);
  if (problems.length > 0) {
    throw new ConnectorError('CONFIG_INVALID', `the environment has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`, { where: { setting: 'environment' } });
  }
  return { apiKey, externalIds, logLevel };
}

/** Endpoints of the AWS services the CUR reader calls; a service left out uses the SDK's default. */
export interface AwsEndpoints {
  athena?: string;
  s3?: string;
  sts?: string;
}

/**
 * The AWS endpoints the environment sets (AWS SDK convention): `AWS_ENDPOINT_URL_<SERVICE>`
 * (`ATHENA`, `S3`, `STS`), else `AWS_ENDPOINT_URL` for every service. Blank values count as
 * unset. Pure: the composition root passes `process.env` and hands the result to the
 * adapters, which then know an S3 endpoint is set (and address buckets path-style, which
 * a host name such as `http://localhost:4569` needs).
 */
export function awsEndpoints(env: NodeJS.ProcessEnv): AwsEndpoints {
  const value = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const all = value('AWS_ENDPOINT_URL');
  const out: AwsEndpoints = {};
  for (const [key, service] of [['athena', 'ATHENA'], ['s3', 'S3'], ['sts', 'STS']] as const) {
    const endpoint = value(`AWS_ENDPOINT_URL_${service}`) ?? all;
    if (endpoint !== undefined) out[key] = endpoint;
  }
  return out;
}
