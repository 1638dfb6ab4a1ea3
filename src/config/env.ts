/**
 * The environment, read once by a composition root: secrets never come from the
 * config file, and the settings an operator changes per deployment (12-factor)
 * can come from it too. `ENVIRONMENT` is the one table of every variable the
 * connector reads: it drives the overrides the loader applies, each command's
 * `--help` and (checked by a test) the README's configuration table. Every
 * problem is listed at once, naming the variable (never a secret's value).
 */
import { ConnectorError } from '../domain/errors.js';
import type { Config } from './schema.js';

/** How a variable sets a configuration setting over the file. */
export interface SettingOverride {
  /** The setting's path in the configuration (`['admin', 'port']`). */
  path: readonly [string, string];
  /** `number`: digits are read as a JSON number (anything else is left as text for the schema to refuse). */
  type: 'string' | 'number';
  /**
   * `create`: the section is created when the file has none (`state`, `admin`: setting
   * the admin host or port turns the endpoint on). `existing`: applied only to a
   * section the file has (`connect`: a platform URL alone does not make a configuration
   * for orders).
   */
  section: 'create' | 'existing';
}

/** A variable the connector reads. */
export interface EnvironmentVariable {
  /** The name, or a pattern (`AWS_*`, `<payers[].externalIdEnv>`). */
  name: string;
  /** The setting it stands for, as the README's configuration table names it (`—` when it has none). */
  setting: string;
  /** As the README shows it. */
  default: string;
  /** What it is, one line. */
  meaning: string;
  /** Never printed, logged or stored. */
  secret: boolean;
  override?: SettingOverride;
}

/**
 * Every variable the connector reads. The environment wins over the file; a blank
 * value counts as unset.
 */
export const ENVIRONMENT = [
  { name: 'NATIVE_RATING_CONFIG', setting: '`--config`', default: 'none', meaning: 'the configuration file, when a command is given no --config', secret: false },
  { name: 'CONNECT_API_URL', setting: '`connect.apiUrl`', default: '`https://api.connect.cloudblue.com/public/v1`', meaning: "the platform's API (applies when the file has a connect section)", secret: false, override: { path: ['connect', 'apiUrl'], type: 'string', section: 'existing' } },
  { name: 'NATIVE_RATING_STATE_PATH', setting: '`state.path`', default: '`./data/native-rating.db`', meaning: 'the SQLite state (journal, run ledger, countdowns, manual actions), relative to the current directory', secret: false, override: { path: ['state', 'path'], type: 'string', section: 'create' } },
  { name: 'NATIVE_RATING_OUTPUT_DIR', setting: '`state.outputDir`', default: '`./data/runs`', meaning: "where the monthly runs write workbooks, reports and diffs", secret: false, override: { path: ['state', 'outputDir'], type: 'string', section: 'create' } },
  { name: 'NATIVE_RATING_ADMIN_HOST', setting: '`admin.host`', default: '`127.0.0.1`', meaning: 'address the admin endpoint listens on (setting it turns the endpoint on)', secret: false, override: { path: ['admin', 'host'], type: 'string', section: 'create' } },
  { name: 'NATIVE_RATING_ADMIN_PORT', setting: '`admin.port`', default: '`8080`', meaning: 'port of the admin endpoint (setting it turns the endpoint on)', secret: false, override: { path: ['admin', 'port'], type: 'number', section: 'create' } },
  { name: 'LOG_LEVEL', setting: '—', default: '`info` (`warn` for `process --once`)', meaning: 'pino level: fatal, error, warn, info, debug, trace or silent', secret: false },
  { name: 'CONNECT_API_KEY', setting: '—', default: 'none', meaning: 'the platform API key `SU-...:secret` (secret: the environment only)', secret: true },
  { name: 'ADMIN_TOKEN', setting: '—', default: 'none (POSTs disabled)', meaning: "bearer token of the admin endpoint's POSTs (secret)", secret: true },
  { name: '<payers[].externalIdEnv>', setting: '`payers[].externalIdEnv`', default: 'none', meaning: "the variable a payer's externalIdEnv names holds its role's external id (secret)", secret: true },
  { name: 'AWS_*', setting: '—', default: "the SDK's chain", meaning: 'AWS credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, or a container or instance role (secret)', secret: true },
  { name: 'AWS_ENDPOINT_URL_*', setting: '—', default: "AWS's endpoints", meaning: 'AWS_ENDPOINT_URL_ORGANIZATIONS, _STS, _SUPPORT, _ATHENA, _S3, or AWS_ENDPOINT_URL for every service (local stand-ins)', secret: false },
] as const satisfies readonly EnvironmentVariable[];

/** The name of a variable of `ENVIRONMENT`. */
export type EnvironmentName = (typeof ENVIRONMENT)[number]['name'];

/** The variable that names the configuration file when `--config` is not given. */
export const CONFIG_VARIABLE = 'NATIVE_RATING_CONFIG' satisfies EnvironmentName;

/** A variable's value, trimmed; blank counts as unset. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** An override applied to the raw configuration: the setting's path and where its value came from (`NAME="value"`). */
export interface AppliedOverride {
  path: readonly [string, string];
  variable: string;
  /** `NATIVE_RATING_ADMIN_PORT="80a"`: how a problem names its source. */
  source: string;
}

const isSection = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The raw configuration (parsed JSON, not yet checked) with the environment's
 * settings put over the file's, and which were applied. Pure: the input is not
 * changed. The result goes through the same schema as the file, so a bad value is
 * refused with the same rule; the caller names the variable for problems on an
 * applied path. A file that is not an object, or a section that is not one, is
 * left for the schema to refuse.
 */
export function applyEnvironment(raw: unknown, env: NodeJS.ProcessEnv): { raw: unknown; applied: AppliedOverride[] } {
  if (!isSection(raw)) return { raw, applied: [] };
  const out: Record<string, unknown> = { ...raw };
  const applied: AppliedOverride[] = [];
  for (const variable of ENVIRONMENT) {
    if (!('override' in variable)) continue;
    const text = envValue(env, variable.name);
    if (text === undefined) continue;
    const { path, type, section } = variable.override;
    const [sectionName, key] = path;
    const current = out[sectionName];
    if (current === undefined ? section === 'existing' : !isSection(current)) continue;
    out[sectionName] = { ...(current ?? {}), [key]: type === 'number' && /^\d+$/.test(text) ? Number(text) : text };
    applied.push({ path, variable: variable.name, source: `${variable.name}=${JSON.stringify(text)}` });
  }
  return { raw: out, applied };
}

export interface OrdersEnvironment {
  /** `CONNECT_API_KEY`: `SU-...:secret`. */
  apiKey: string;
  /** External ids of payer roles, by payer account id (from each payer's `externalIdEnv`). */
  externalIds: Map<string, string>;
  /** `LOG_LEVEL`: pino level, default info. */
  logLevel: string;
}

/** The values of `LOG_LEVEL`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Each payer's role external id: `payers[].externalId`, or the variable `payers[].externalIdEnv` names (unset ones are left out). */
export function externalIdsOf(env: NodeJS.ProcessEnv, config: Config): Map<string, string> {
  const ids = new Map<string, string>();
  for (const payer of config.payers) {
    const value = payer.externalId ?? (payer.externalIdEnv === undefined ? undefined : env[payer.externalIdEnv]?.trim());
    if (value) ids.set(payer.accountId, value);
  }
  return ids;
}

/** What `process` and `daemon` need from the environment, or every missing or bad variable (named, never its value unless it is the log level). */
export function checkOrdersEnvironment(env: NodeJS.ProcessEnv, config: Config): { ok: true; value: OrdersEnvironment } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const apiKey = env.CONNECT_API_KEY?.trim() ?? '';
  if (apiKey === '') problems.push('CONNECT_API_KEY is not set: the platform API key (SU-...:secret, with or without the ApiKey prefix the portal shows) comes from the environment only');
  const externalIds = externalIdsOf(env, config);
  for (const payer of config.payers) {
    if (payer.externalIdEnv !== undefined && !externalIds.has(payer.accountId)) {
      problems.push(`${payer.externalIdEnv} is not set: payer ${payer.accountId} takes its role's external id from it (payers[].externalIdEnv)`);
    }
  }
  const logLevel = envValue(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL ${JSON.stringify(logLevel)} is not one of ${LOG_LEVELS.join(', ')}`);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: { apiKey, externalIds, logLevel } };
}

/** Reads what `process` and `daemon` need; throws CONFIG_INVALID listing every missing or bad variable. */
export function readOrdersEnvironment(env: NodeJS.ProcessEnv, config: Config): OrdersEnvironment {
  const checked = checkOrdersEnvironment(env, config);
  if (!checked.ok) {
    throw new ConnectorError('CONFIG_INVALID', `the environment has ${checked.problems.length} problem(s):\n  ${checked.problems.join('\n  ')}`, { where: { setting: 'environment' } });
  }
  return checked.value;
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
  const value = (name: string): string | undefined => envValue(env, name);
  const all = value('AWS_ENDPOINT_URL');
  const out: AwsEndpoints = {};
  for (const [key, service] of [['athena', 'ATHENA'], ['s3', 'S3'], ['sts', 'STS']] as const) {
    const endpoint = value(`AWS_ENDPOINT_URL_${service}`) ?? all;
    if (endpoint !== undefined) out[key] = endpoint;
  }
  return out;
}
