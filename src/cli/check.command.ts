/**
 * `native-rating daemon --check`: everything the daemon would refuse at start,
 * or a payer's month would refuse later, checked now without contacting the
 * platform or AWS: the configuration file with the environment's overrides, the
 * support fee tables, the environment (`CONNECT_API_KEY`, the payers' external
 * ids, `LOG_LEVEL`), each payer's money parameters with the rating's own limits,
 * the schedule (with its next run), the folders the daemon writes and the admin
 * endpoint. Prints a summary; every problem is listed at once.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createTask } from 'node-cron';
import { checkOrdersEnvironment, envValue } from '../config/env.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { Config, PayerConfig } from '../config/schema.js';
import { previousPeriod } from '../daemon/scheduler.js';
import { parseCurrency, parseMarkup } from '../domain/parameters.js';
import { parameterLimits } from '../domain/rating.js';
import { adminUrl } from './healthcheck.command.js';

export interface CheckIo {
  /** The environment the daemon would run with. */
  env: NodeJS.ProcessEnv;
}

export interface DaemonCheck {
  /** The summary, a line per item, ending with the verdict. */
  text: string;
  /** Every problem found, each naming its setting or variable; empty when the daemon can start. */
  problems: string[];
  /** The problems as printed on stderr. */
  problemsText: string;
}

/** The problem with writing `path` (a file, or with `folder` a folder), or undefined: the nearest existing folder must be writable. */
async function writeProblem(setting: string, path: string, folder: boolean): Promise<string | undefined> {
  if (path === ':memory:') return undefined;
  const target = resolve(path);
  const existing = await stat(target).catch(() => undefined);
  if (existing !== undefined) {
    if (existing.isDirectory() !== folder) return `${setting} ${JSON.stringify(path)}: ${target} is ${folder ? 'not a folder' : 'a folder, not a file'}`;
    return access(target, constants.W_OK).then(
      () => undefined,
      () => `${setting} ${JSON.stringify(path)}: ${target} is not writable`,
    );
  }
  let dir = dirname(target);
  for (;;) {
    const info = await stat(dir).catch(() => undefined);
    if (info !== undefined) {
      if (!info.isDirectory()) return `${setting} ${JSON.stringify(path)}: ${dir} is not a folder, so ${target} cannot be created`;
      return access(dir, constants.W_OK).then(
        () => undefined,
        () => `${setting} ${JSON.stringify(path)}: the folder ${dir} is not writable, so ${target} cannot be created`,
      );
    }
    if (dirname(dir) === dir) return `${setting} ${JSON.stringify(path)}: no folder of ${target} exists`;
    dir = dirname(dir);
  }
}

/** A payer's money parameters as the rating reads them (the same parse and limits), and its problems. */
function payerLine(payer: PayerConfig, index: number, config: Config, knownCurrencies: ReadonlySet<string>): { line: string; problems: string[] } {
  const limits = parameterLimits(config.rating);
  const markup = parseMarkup('customMarkup', payer.customMarkup, limits);
  const markupMp = parseMarkup('customMarkupMarketplace', payer.customMarkupMarketplace, limits);
  const currency = parseCurrency(payer.marketplaceCurrency, payer.fxRate, knownCurrencies, limits);
  const problems: string[] = [];
  for (const parsed of [markup, markupMp, currency]) if (!parsed.ok) problems.push(`payers[${index}] (${payer.accountId}): ${parsed.problem.message}`);
  if (config.schedule && payer.athena === undefined) {
    problems.push(`payers[${index}] (${payer.accountId}): the monthly run (schedule) reads each payer's CUR from Athena, and payers[${index}].athena is not set`);
  }
  const parts = [
    currency.ok ? `${currency.value.currency} at fx ${currency.value.fxRateText}` : 'currency REFUSED',
    `markup ${markup.ok ? markup.value.applied : 'REFUSED'}, marketplace ${markupMp.ok ? markupMp.value.applied : 'REFUSED'}`,
    payer.roleArn ? `role ${payer.roleArn}` : 'the default credentials',
    payer.athena ? `CUR ${payer.athena.database}.${payer.athena.table} (${payer.athena.region})` : 'no Athena CUR',
  ];
  return { line: `  ${payer.accountId}  ${parts.join('; ')}`, problems };
}

/** When `cron` fires next in `timezone`, from the real clock (node-cron reads the expression as the daemon's schedule does). */
function nextRun(cron: string, timezone: string): Date | undefined {
  const task = createTask(cron, () => undefined, { timezone, name: 'native-rating-check' });
  try {
    return task.getNextRuns(1)[0];
  } finally {
    void task.destroy();
  }
}

const zoned = (at: Date, timeZone: string): string =>
  new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(at);

function scheduleLine(config: Config): string {
  if (!config.schedule) return 'schedule: none (no monthly run; add "schedule" to rate each month)';
  const { cron, timezone } = config.schedule;
  const next = nextRun(cron, timezone);
  if (next === undefined) return `schedule: "${cron}" in ${timezone}; it never fires`;
  return `schedule: "${cron}" in ${timezone}; next run ${next.toISOString()} (${zoned(next, timezone)} ${timezone}), rating ${previousPeriod(next, timezone)}`;
}

function adminLines(config: Config, env: NodeJS.ProcessEnv): string[] {
  const { admin } = config;
  if (!admin) return ['admin: none (no /healthz, /readyz, /metrics; the container HEALTHCHECK needs it)'];
  const notes = [
    envValue(env, 'ADMIN_TOKEN') ? 'ADMIN_TOKEN set: POST /reprocess enabled' : 'ADMIN_TOKEN not set: POST /reprocess disabled',
    ...(admin.host === '0.0.0.0' || admin.host === '::' ? ['listening on every interface'] : []),
    ...(admin.port === 0 ? ['port 0: any free port, which healthcheck cannot find'] : []),
  ];
  return [`admin: ${adminUrl(admin)} (${notes.join('; ')})`];
}

/** Checks what the daemon needs; throws CONFIG_INVALID when the file itself is unusable (its problems listed). */
export async function checkDaemon(options: { config: string }, io: CheckIo): Promise<DaemonCheck> {
  const loaded: LoadedConfig = await loadConfig(options.config, io.env);
  const { config } = loaded;
  const problems: string[] = [];
  if (!config.connect) problems.push('connect: the configuration has no "connect" section: the daemon needs connect.productIds (and connect.apiUrl) to process orders');
  const environment = checkOrdersEnvironment(io.env, config);
  if (!environment.ok) problems.push(...environment.problems);
  const knownCurrencies = new Set(Intl.supportedValuesOf('currency'));
  const payers = config.payers.map((payer, i) => payerLine(payer, i, config, knownCurrencies));
  for (const p of payers) problems.push(...p.problems);
  for (const [setting, path, folder] of [['state.path', config.state.path, false], ['state.outputDir', config.state.outputDir, true]] as const) {
    const problem = await writeProblem(setting, path, folder);
    if (problem !== undefined) problems.push(problem);
  }

  const lines = [
    `configuration: ${loaded.file}${loaded.overrides.length > 0 ? ` (from the environment: ${loaded.overrides.join(', ')})` : ''}`,
    `support fee tables: ${loaded.catalogFile} (${loaded.catalog.tables.length} tables)`,
    config.connect ? `platform: ${config.connect.apiUrl}; products ${config.connect.productIds.join(', ')}; CONNECT_API_KEY ${envValue(io.env, 'CONNECT_API_KEY') ? 'set' : 'NOT SET'}` : 'platform: none (no connect section)',
    `payers: ${config.payers.length} (markups at most ${config.rating.maxMarkup}, fx rates ${config.rating.fxRange.min}–${config.rating.fxRange.max})`,
    ...payers.map((p) => p.line),
    scheduleLine(config),
    `state: ${config.state.path}; outputs: ${config.state.outputDir}`,
    ...adminLines(config, io.env),
    `log level: ${envValue(io.env, 'LOG_LEVEL') ?? 'info'}`,
    problems.length === 0 ? 'ok: the daemon can start (nothing was contacted: the platform and AWS are checked by /readyz once it runs)' : `NOT OK: ${problems.length} problem(s), listed on stderr`,
  ];
  const problemsText = problems.length === 0 ? '' : `daemon --check found ${problems.length} problem(s):\n${problems.map((p) => `  ${p}\n`).join('')}`;
  return { text: `${lines.join('\n')}\n`, problems, problemsText };
}
