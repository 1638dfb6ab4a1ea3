/**
 * `native-rating rate`: one billing period of every configured payer (or
 * `--payer`), through the one month use case. With `--cur` the CUR is read
 * from local files by the embedded engine, else from each payer's Athena table;
 * with `--dry-run` nothing is uploaded (a dry run in the ledger, outputs under
 * `--out`), else each payer's workbook goes to the platform as a usage file.
 * This is a composition root: it loads the configuration, builds the runtime
 * once and prints what happened.
 */
import type { Progress } from '../app/ports.js';
import { runMonth, type MonthInput, type MonthPayerResult, type SubscriptionSource } from '../app/usage/run-month.js';
import { loadLinesFile } from '../config/lines-file.js';
import { loadAssets, loadConfig, type LoadedConfig } from '../config/load.js';
import type { PayerConfig } from '../config/schema.js';
import { composeMonth, type MonthComposeOptions, type MonthEnvironment, type MonthRuntime } from '../daemon/compose-month.js';
import { ConnectorError } from '../domain/errors.js';
import { monthTable, payerDetails } from './summary.js';

export interface RateOptions {
  period: string;
  cur?: string;
  config: string;
  assets?: string;
  billAllAccounts?: boolean;
  dryRun?: boolean;
  /** Output folder; default `out` for a dry run, `state.outputDir` otherwise. */
  out?: string;
  payer?: string;
  json?: boolean;
  /** The state database instead of `state.path` (tests, the demo); not a flag. */
  statePath?: string;
  /** A dry run's custom lines (`--lines <file.json>`) instead of the state database's. */
  lines?: string;
}

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is a terminal (progress redraws one line). */
  stderrIsTty: boolean;
  now: () => Date;
  /** Waits between polls of a usage file the platform is checking (default: a real timer that stops on abort). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export type { MonthEnvironment };

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * Progress lines on stderr: one redrawn line on a terminal; otherwise
 * (a log file, a pipe) occasional lines: at each new phase, at each tenth of a
 * known total, each time an open count doubles, and at the end.
 */
export function progressPrinter(io: CommandIo): (p: Progress) => void {
  let lastPhase = '';
  let lastStep = -2;
  return (p) => {
    const amount = p.unit === 'bytes' ? `${(p.done / 1048576).toFixed(1)}${p.total ? ` / ${(p.total / 1048576).toFixed(1)}` : ''} MiB` : `${p.done}${p.total !== undefined ? `/${p.total}` : ''} ${p.unit}`;
    const percent = p.total ? ` (${Math.min(100, Math.floor((p.done * 100) / p.total))}%)` : '';
    const line = `${p.phase}: ${amount}${percent}`;
    if (io.stderrIsTty) {
      io.stderr(`\r\u001b[K${line}`);
      return;
    }
    // A tenth of the total, or the power of two the count has reached.
    const step = p.total ? Math.floor((Math.min(p.done, p.total) * 10) / p.total) : p.done > 0 ? Math.floor(Math.log2(p.done)) : -1;
    if (p.phase !== lastPhase) lastStep = -2;
    if (step > lastStep) io.stderr(`${line}\n`);
    lastPhase = p.phase;
    lastStep = Math.max(lastStep, step);
  };
}

/** Checks the options every month command shares; one message listing every problem. */
export function checkMonthOptions(options: Pick<RateOptions, 'period' | 'payer' | 'assets' | 'billAllAccounts' | 'lines' | 'dryRun'>): void {
  const problems: string[] = [];
  if (options.lines !== undefined && options.dryRun !== true) problems.push(`--lines ${JSON.stringify(options.lines)} is for a dry run (add --dry-run): a live month bills the lines of the state database (lines add)`);
  if (!PERIOD.test(options.period)) problems.push(`--period ${JSON.stringify(options.period)} is not YYYY-MM`);
  if (options.assets !== undefined && options.billAllAccounts === true) problems.push('give at most one of --assets <assets.json> and --bill-all-accounts');
  if (options.payer !== undefined && !/^\d{12}$/.test(options.payer)) problems.push(`--payer ${JSON.stringify(options.payer)} is not a 12-digit account id`);
  if (problems.length > 0) throw new ConnectorError('CONFIG_INVALID', problems.join('\n'), { where: { setting: 'options' } });
}

/** Where the subscriptions come from; the platform needs `connect` and the API key. */
export async function subscriptionSource(options: Pick<RateOptions, 'assets' | 'billAllAccounts'>, loaded: LoadedConfig, env: MonthEnvironment): Promise<SubscriptionSource> {
  if (options.assets !== undefined) return { kind: 'assets', assets: await loadAssets(options.assets) };
  if (options.billAllAccounts === true) return { kind: 'all' };
  if (!loaded.config.connect || !env.apiKey) {
    throw new ConnectorError('CONFIG_INVALID', 'subscriptions come from the platform unless --assets or --bill-all-accounts is given: that needs the "connect" section and CONNECT_API_KEY', { where: { setting: '--assets' } });
  }
  return { kind: 'platform', productIds: loaded.config.connect.productIds };
}

/** The configured payers, or the one `--payer` names (CONFIG_INVALID when it is not configured). */
export function selectPayers(loaded: LoadedConfig, payer: string | undefined): PayerConfig[] {
  const payers = loaded.config.payers.filter((p) => payer === undefined || p.accountId === payer);
  if (payers.length === 0) throw new ConnectorError('CONFIG_INVALID', `--payer ${payer ?? ''} is not in ${loaded.file} payers[]`, { where: { file: loaded.file, setting: 'payers', value: payer ?? '' } });
  return payers;
}

/** The runtime of a CLI month command: progress on stderr, the usage file's statuses on stdout. */
export function cliMonthRuntime(loaded: LoadedConfig, env: MonthEnvironment, options: Pick<RateOptions, 'dryRun' | 'cur' | 'out' | 'statePath'>, io: CommandIo, lines?: MonthComposeOptions['lines']): MonthRuntime {
  return composeMonth(loaded, env, {
    ...(lines === undefined ? {} : { lines }),
    ...(options.statePath === undefined ? {} : { statePath: options.statePath }),
    dryRun: options.dryRun === true,
    ...(options.cur === undefined ? {} : { cur: options.cur }),
    ...(options.out === undefined ? {} : { out: options.out }),
    now: io.now,
    ...(io.sleep ? { sleep: io.sleep } : {}),
    onProgress: progressPrinter(io),
    onFileStatus: (payer, file) => io.stdout(`payer ${payer} · usage file ${file.id} (${file.externalId}): ${file.status}\n`),
    onNote: (note) => io.stderr(`${note}\n`),
  });
}

/** Whether a payer's month went as asked: rated (and uploaded), or already done. */
export const monthOk = (entry: MonthPayerResult<PayerConfig>): boolean => entry.result.kind === 'done' || entry.result.kind === 'already-done';

/** What a month command has once its options and configuration are read and its runtime is built. */
export interface MonthCommand {
  loaded: LoadedConfig;
  runtime: MonthRuntime;
  /** The month's input every month command shares (its trigger and `reprocess` are its own). */
  input: Omit<MonthInput<PayerConfig>, 'trigger' | 'reprocess'>;
}

/**
 * The preparation `rate` and `reprocess` share: options checked, the
 * configuration loaded once, the payers chosen, where the subscriptions come
 * from, and the runtime built (the caller closes it).
 */
export async function prepareMonthCommand(options: RateOptions, io: CommandIo, env: MonthEnvironment, signal: AbortSignal): Promise<MonthCommand> {
  checkMonthOptions(options);
  const loaded = await loadConfig(options.config, env.variables);
  const payers = selectPayers(loaded, options.payer);
  const subscriptions = await subscriptionSource(options, loaded, env);
  // A lines file is checked whole before anything runs: its assets against the run's subscriptions once they are read.
  const lines = options.lines === undefined ? undefined : { file: options.lines, lines: await loadLinesFile(options.lines, { amountDecimals: loaded.config.rating.amountDecimals, knownPayers: new Set(loaded.config.payers.map((p) => p.accountId)) }) };
  const runtime = cliMonthRuntime(loaded, env, options, io, lines);
  const defaultProductId = loaded.config.connect?.productIds[0];
  return { loaded, runtime, input: { period: options.period, payers, subscriptions, rating: runtime.rating, ...(defaultProductId ? { defaultProductId } : {}), signal } };
}

/** Runs the command; returns each payer's result (the caller decides the exit code). */
export async function runRate(options: RateOptions, io: CommandIo, env: MonthEnvironment, signal: AbortSignal = new AbortController().signal): Promise<Array<MonthPayerResult<PayerConfig>>> {
  const { loaded, runtime, input } = await prepareMonthCommand(options, io, env, signal);
  try {
    const results = await runMonth(runtime.deps, { ...input, trigger: 'cli', reprocess: false });
    if (io.stderrIsTty) io.stderr('\r\u001b[K');
    if (options.json) io.stdout(`${JSON.stringify(results.map(({ payer, result }) => ({ payer: payer.accountId, ...result })), null, 2)}\n`);
    else {
      for (const entry of results) {
        const details = payerDetails(entry, options.period, loaded.config.rating.amountDecimals);
        if (details !== '') io.stdout(`${details}\n\n`);
      }
      io.stdout(`${monthTable(results, options.period, options.dryRun === true)}\n`);
      const ok = results.filter(monthOk).length;
      io.stdout(`${ok} payer(s) ok, ${results.length - ok} failed\n`);
    }
    return results;
  } finally {
    runtime.close();
  }
}
