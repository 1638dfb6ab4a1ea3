/**
 * The `native-rating` command line (built here, run by main.ts through `runProgram`).
 * Exit status: 0 done, 1 a payer or work item failed (the others' outputs are
 * written), 2 the command could not run (a usage error: unknown option, missing
 * or bad argument; or bad configuration, environment or input), nothing run.
 * Each command's `--help` lists the variables it reads (from `ENVIRONMENT`, the
 * table that drives the overrides) and its exit statuses.
 */
import { userInfo } from 'node:os';
import { Command, CommanderError, Option } from 'commander';
import { ConnectorError, coerceError } from '../domain/errors.js';
import { CONFIG_VARIABLE, ENVIRONMENT, envValue, type EnvironmentName } from '../config/env.js';
import { loadAssets, loadConfig, packageVersion } from '../config/load.js';
import type { OrdersIo } from './orders.command.js';
import type { MonthEnvironment, RateOptions } from './rate.command.js';
import type { ReprocessOptions } from './reprocess.command.js';
import type { SandboxOptions } from './sandbox.command.js';

// Each command's code is loaded when it runs (the AWS SDK, DuckDB, the sandbox...): a command pays only for what it uses.

export const EXIT_OK = 0;
export const EXIT_PAYER_FAILED = 1;
export const EXIT_UNUSABLE = 2;

/** What `--help` says after a command's options: the variables it reads and its exit statuses. */
interface CommandDoc {
  env: readonly EnvironmentName[];
  exits: ReadonlyArray<readonly [number, string]>;
}

const NOT_RUN = [EXIT_UNUSABLE, 'it could not run: a usage error (unknown option, missing or bad argument), or bad configuration, environment or input; nothing was done'] as const;

/** The variables of a command that reads the configuration file, with environment overrides. */
const CONFIG_ENV = ['NATIVE_RATING_CONFIG', 'CONNECT_API_URL', 'NATIVE_RATING_STATE_PATH', 'NATIVE_RATING_OUTPUT_DIR'] as const satisfies readonly EnvironmentName[];
const AWS_ENV = ['<payers[].externalIdEnv>', 'AWS_*', 'AWS_ENDPOINT_URL_*'] as const satisfies readonly EnvironmentName[];
const ORDERS_ENV = [...CONFIG_ENV, 'NATIVE_RATING_ADMIN_HOST', 'NATIVE_RATING_ADMIN_PORT', 'LOG_LEVEL', 'CONNECT_API_KEY', 'ADMIN_TOKEN', ...AWS_ENV] as const satisfies readonly EnvironmentName[];

export const COMMAND_DOCS = {
  rate: {
    env: [...CONFIG_ENV, 'CONNECT_API_KEY', ...AWS_ENV],
    exits: [[EXIT_OK, 'every payer rated (and uploaded, without --dry-run)'], [EXIT_PAYER_FAILED, 'at least one payer not rated: failed, interrupted by a signal, or held by another live process (the others are written)'], NOT_RUN],
  },
  reprocess: {
    env: [...CONFIG_ENV, 'CONNECT_API_KEY', ...AWS_ENV],
    exits: [[EXIT_OK, 'the new version rated (and uploaded, without --dry-run)'], [EXIT_PAYER_FAILED, 'it was not: failed, interrupted, or held by another live process'], NOT_RUN],
  },
  process: {
    env: ORDERS_ENV,
    exits: [[EXIT_OK, 'with --once: every request handled; without: stopped after a signal, the requests in hand finished'], [EXIT_PAYER_FAILED, 'with --once: a request or a list errored; without: a second signal forced the stop'], NOT_RUN],
  },
  daemon: {
    env: ORDERS_ENV,
    exits: [[EXIT_OK, 'stopped after a signal, the requests in hand finished; with --check: the configuration and environment are usable'], [EXIT_PAYER_FAILED, 'a second signal forced the stop'], [EXIT_UNUSABLE, 'it could not start; with --check: the problems are listed']],
  },
  'manual-actions': { env: ['NATIVE_RATING_CONFIG', 'NATIVE_RATING_STATE_PATH'], exits: [[EXIT_OK, 'listed (or marked done)'], NOT_RUN] },
  journal: { env: ['NATIVE_RATING_CONFIG', 'NATIVE_RATING_STATE_PATH'], exits: [[EXIT_OK, 'listed'], NOT_RUN] },
  lines: { env: ['NATIVE_RATING_CONFIG', 'NATIVE_RATING_STATE_PATH'], exits: [[EXIT_OK, 'added, listed or removed'], [EXIT_UNUSABLE, 'bad input (the value is named), or bad configuration; nothing was changed']] },
  audit: {
    env: ['NATIVE_RATING_CONFIG', 'CONNECT_API_URL', 'NATIVE_RATING_STATE_PATH', 'CONNECT_API_KEY', ...AWS_ENV],
    exits: [[EXIT_OK, 'no finding is an error'], [EXIT_PAYER_FAILED, 'a finding is an error, or a signal stopped the audit'], NOT_RUN],
  },
  healthcheck: {
    env: ['NATIVE_RATING_CONFIG', 'NATIVE_RATING_ADMIN_HOST', 'NATIVE_RATING_ADMIN_PORT'],
    exits: [[EXIT_OK, "the daemon's /healthz answered 200"], [EXIT_PAYER_FAILED, 'it did not (the reason on stderr): not listening, another status, no answer in time'], [EXIT_UNUSABLE, 'no admin section (nor NATIVE_RATING_ADMIN_HOST or _PORT), or bad configuration']],
  },
  sandbox: { env: [], exits: [[EXIT_OK, 'stopped by Ctrl-C or SIGTERM'], NOT_RUN] },
  demo: { env: [], exits: [[EXIT_OK, 'the demo month rated and uploaded to the sandbox'], [EXIT_PAYER_FAILED, 'it was not'], NOT_RUN] },
} satisfies Record<string, CommandDoc>;

const plain = (text: string): string => text.replaceAll('`', '');

/** The text after a command's options: its variables (name, what it is, default) and exit statuses. */
export function helpAfter(doc: CommandDoc): string {
  const lines: string[] = [''];
  if (doc.env.length > 0) {
    const width = Math.max(...doc.env.map((name) => name.length));
    lines.push('Environment (the environment wins over the file; a blank value counts as unset):');
    for (const name of doc.env) {
      const variable = ENVIRONMENT.find((v) => v.name === name);
      if (variable === undefined) continue;
      lines.push(`  ${name.padEnd(width)}  ${plain(variable.meaning)} (default: ${plain(variable.default)})`);
    }
    lines.push('');
  }
  lines.push('Exit status:');
  for (const [code, meaning] of doc.exits) lines.push(`  ${code}  ${meaning}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Imports the code of `demo` or `sandbox`, which the runtime image leaves out
 * (it holds no sandbox and no fixtures): a missing module says so instead of a stack.
 */
export async function demoCode<T>(command: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new ConnectorError('CONFIG_INVALID', `\`${command}\` is not in this installation (the runtime image holds no sandbox and no fixtures): build the image with --target demo, or run it from a clone`, { where: { setting: command } });
    }
    throw error;
  }
}

function printError(error: unknown): void {
  const e = coerceError(error);
  const where = Object.entries(e.where)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  process.stderr.write(`error ${e.code}: ${e.message}${where ? `\n  at ${where}` : ''}\n`);
}

/**
 * Runs a command's work and sets the exit status: its own, or with the error
 * printed EXIT_UNUSABLE (it could not run), or EXIT_PAYER_FAILED when `signal`
 * stopped it (work was started and did not finish).
 */
async function exitWith(work: () => Promise<number>, signal?: AbortSignal): Promise<void> {
  try {
    process.exitCode = await work();
  } catch (error) {
    printError(error);
    process.exitCode = signal?.aborted ? EXIT_PAYER_FAILED : EXIT_UNUSABLE;
  }
}

/** The terminal as a month command's input and output. */
const cliIo = () => ({ stdout: (t: string) => void process.stdout.write(t), stderr: (t: string) => void process.stderr.write(t), stderrIsTty: process.stderr.isTTY === true, now: () => new Date() });

/**
 * Runs a month command with SIGINT/SIGTERM wired to its abort signal: the run
 * stops where it is and stays resumable (interrupted), and the exit status says
 * it did not finish.
 */
function withSignals(work: (signal: AbortSignal) => Promise<number>): Promise<void> {
  const controller = new AbortController();
  const stop = (): void => controller.abort(new Error('interrupted by a signal'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return exitWith(() => work(controller.signal), controller.signal).finally(() => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });
}

/** The daemon exits 0 after a drain, 1 when a second signal forced it. */
const daemonExit = (result: { forced: boolean }): number => (result.forced ? EXIT_PAYER_FAILED : EXIT_OK);

/** The name of the user running the command, for `lines --by` (empty-safe). */
function safeUserName(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `--config`, else `NATIVE_RATING_CONFIG`; CONFIG_INVALID naming both when neither is given. */
export function configFile(given: string | undefined, env: NodeJS.ProcessEnv): string {
  const file = given ?? envValue(env, CONFIG_VARIABLE);
  if (file === undefined) throw new ConnectorError('CONFIG_INVALID', `no configuration file: give --config <config.json> or set ${CONFIG_VARIABLE}`, { where: { setting: '--config' } });
  return file;
}

const CONFIG_HELP = `configuration file (default: $${CONFIG_VARIABLE})`;

/** A usage error (unknown option or command, missing or bad argument) exits 2; --help and --version 0. */
function usageExit(error: CommanderError): never {
  throw error.exitCode === EXIT_OK ? error : new CommanderError(EXIT_UNUSABLE, error.code, error.message);
}

/**
 * The command line. `env`: the environment the commands read (the composition
 * root's `process.env`; a test's own). Parse errors throw a `CommanderError`
 * whose `exitCode` is the exit status (`runProgram` sets it).
 */
export function buildProgram(env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('native-rating')
    .description('Resell AWS through CloudBlue Connect: carry out orders in AWS Organizations, and rate each month of the AWS Cost and Usage Report into a price-rated usage file.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride(usageExit)
    .showHelpAfterError();
  program.addHelpText(
    'after',
    helpAfter({ env: ENVIRONMENT.map((v) => v.name), exits: [[EXIT_OK, 'done'], [EXIT_PAYER_FAILED, 'a payer or work item failed (the others are done)'], NOT_RUN] }),
  );
  const command = (name: keyof typeof COMMAND_DOCS): Command => program.command(name).addHelpText('after', helpAfter(COMMAND_DOCS[name]));

  /** What the production month needs from the environment (read here, in the composition root). */
  const monthEnv = (): MonthEnvironment => {
    const apiKey = env.CONNECT_API_KEY?.trim();
    return { ...(apiKey ? { apiKey } : {}), variables: env };
  };

  command('rate')
    .description('rate one billing period of every configured payer (or --payer): the CUR from local files (--cur) or each payer\'s Athena table; uploaded as a usage file unless --dry-run; writes <out>/<payer>/<period>/usage.xlsx and report.json')
    .requiredOption('--period <YYYY-MM>', 'billing period to rate, e.g. 2026-10')
    .option('--cur <file-or-folder>', 'local CUR: a CSV, gzip CSV or Parquet file, or a folder of them (default: each payer\'s Athena table)')
    .option('--config <config.json>', `${CONFIG_HELP}: payers, rating settings`)
    .option('--assets <assets.json>', 'subscriptions: which linked account bills to which asset (default without --dry-run: the platform\'s assets)')
    .option('--bill-all-accounts', 'bill every linked account in the CUR as its own customer (instead of --assets)')
    .option('--dry-run', 'write outputs locally and upload nothing (with --cur: touch neither AWS nor the platform)')
    .option('--out <dir>', 'folder for the workbooks and reports (default: out for a dry run, state.outputDir otherwise)')
    .option('--payer <accountId>', 'rate only this payer')
    .option('--json', 'print the run result as JSON instead of tables')
    .option('--lines <file.json>', "with --dry-run: custom lines and credits from this file instead of the state database's (lines add)")
    .action((options: Omit<RateOptions, 'config'> & { config?: string }) =>
      withSignals(async (signal) => {
        const config = configFile(options.config, env);
        const { monthOk, runRate } = await import('./rate.command.js');
        const results = await runRate({ ...options, config }, cliIo(), monthEnv(), signal);
        // Non-zero unless every payer's month was rated (and uploaded): a failure, an interruption, or another live run holding it.
        return !signal.aborted && results.every(monthOk) ? EXIT_OK : EXIT_PAYER_FAILED;
      }),
    );

  command('reprocess')
    .description('rate a month again as a new version (<out>/<payer>/<period>/v<N>/) and show what changed against the previous version, with the cause; writes diff.json')
    .requiredOption('--period <YYYY-MM>', 'billing period, e.g. 2026-10')
    .requiredOption('--payer <accountId>', 'the payer to reprocess')
    .option('--config <config.json>', `${CONFIG_HELP}, after the rate or markup change`)
    .option('--cur <file-or-folder>', 'local CUR (as for rate)')
    .option('--assets <assets.json>', 'subscriptions (as for rate)')
    .option('--bill-all-accounts', 'bill every linked account (as for rate)')
    .option('--dry-run', 'rate into the output folder as a dry-run version; upload nothing (without it: a new usage file replaces the previous one while the platform allows)')
    .option('--out <dir>', 'the folder of the versions (default: out for a dry run, state.outputDir otherwise)')
    .option('--json', 'print the run result as JSON')
    .option('--lines <file.json>', 'with --dry-run: custom lines and credits from this file (as for rate)')
    .action((options: Omit<ReprocessOptions, 'config'> & { config?: string }) =>
      withSignals(async (signal) => {
        const config = configFile(options.config, env);
        const { reprocessOk, runReprocess } = await import('./reprocess.command.js');
        return reprocessOk(await runReprocess({ ...options, config }, cliIo(), monthEnv(), signal)) ? EXIT_OK : EXIT_PAYER_FAILED;
      }),
    );

  /** Text lines for a person (`--format text`, or by default on a terminal); JSON lines only otherwise. */
  const textLines = (format: string | undefined, byDefault: boolean): boolean => (format === undefined ? byDefault : format === 'text');
  const ordersIo = (lines: boolean): OrdersIo => ({
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env,
    signals: process,
    textLines: lines,
    // After a forced stop, calls in flight are aborted; if anything still holds the process, leave anyway.
    onForce: () => void setTimeout(() => process.exit(EXIT_PAYER_FAILED), 5000).unref(),
  });
  const formatOption = (): Option =>
    new Option('--format <format>', 'json: stdout carries pino JSON lines only; text: the lines a person reads on stdout, the JSON log on stderr (default: text on a terminal, json otherwise)').choices(['json', 'text']);
  const onTerminal = (): boolean => process.stdout.isTTY === true;

  command('process')
    .description('poll the platform: pending tier configuration requests, then fulfillment requests of connect.productIds; a line per request')
    .option('--config <config.json>', CONFIG_HELP)
    .option('--once', 'run one poll cycle and exit (without it: the same loop as `daemon`); its lines are text unless --format json')
    .addOption(formatOption())
    .action((options: { config?: string; once?: boolean; format?: string }) =>
      exitWith(async () => {
        const config = configFile(options.config, env);
        const { runDaemon, runProcessOnce } = await import('./orders.command.js');
        if (!options.once) return daemonExit(await runDaemon({ config }, ordersIo(textLines(options.format, onTerminal()))));
        const result = await runProcessOnce({ config }, ordersIo(textLines(options.format, true)));
        const troubled = result.listErrors.length > 0 || [...result.requests, ...result.tierConfigs].some((r) => r.kind === 'error');
        return troubled ? EXIT_PAYER_FAILED : EXIT_OK;
      }),
    );

  command('daemon')
    .description('process orders every pollIntervalMs until SIGTERM (the first signal finishes the requests in hand and exits 0, a second forces); with the schedule, rate each month; with admin, serve /healthz, /readyz, /metrics')
    .option('--config <config.json>', CONFIG_HELP)
    .option('--check', 'check the configuration and the environment without contacting the platform or AWS, print a summary (with the next scheduled run) and exit')
    .addOption(formatOption())
    .action((options: { config?: string; check?: boolean; format?: string }) =>
      exitWith(async () => {
        const config = configFile(options.config, env);
        if (options.check) {
          const { checkDaemon } = await import('./check.command.js');
          const check = await checkDaemon({ config }, { env });
          process.stdout.write(check.text);
          if (check.problems.length > 0) process.stderr.write(check.problemsText);
          return check.problems.length > 0 ? EXIT_UNUSABLE : EXIT_OK;
        }
        const { runDaemon } = await import('./orders.command.js');
        return daemonExit(await runDaemon({ config }, ordersIo(textLines(options.format, onTerminal()))));
      }),
    );

  command('healthcheck')
    .description("ask the running daemon's admin endpoint whether it is alive (GET /healthz at admin.host:admin.port; 0.0.0.0 and :: are asked on 127.0.0.1): the container's HEALTHCHECK")
    .option('--config <config.json>', CONFIG_HELP)
    .addOption(new Option('--timeout-ms <ms>', 'give up after this long').default('3000'))
    .action((options: { config?: string; timeoutMs: string }) =>
      exitWith(async () => {
        const config = configFile(options.config, env);
        const { runHealthcheck } = await import('./healthcheck.command.js');
        return runHealthcheck({ config, timeoutMs: options.timeoutMs }, { env, stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t) });
      }),
    );

  command('manual-actions')
    .description('list what a person must do in the AWS console (support plans, invitations, closures); mark items done')
    .option('--config <config.json>', `${CONFIG_HELP}; state.path locates the database`)
    .option('--done <id...>', 'mark these manual actions done')
    .option('--by <name>', 'who did them (stored with --done)')
    .option('--all', 'list done ones too')
    .option('--json', 'print JSON instead of a table')
    .action((options: { config?: string; done?: string[]; by?: string; all?: boolean; json?: boolean }) =>
      exitWith(async () => {
        const { config } = await loadConfig(configFile(options.config, env), env);
        const { runManualActions } = await import('./manual-actions.command.js');
        await runManualActions(
          { statePath: config.state.path, done: options.done, by: options.by, all: options.all, json: options.json },
          { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), now: () => new Date() },
        );
        return EXIT_OK;
      }),
    );

  command('journal')
    .description("what the daemon did with each request (step, outcome, attempts, last error) and the cancels' countdowns")
    .option('--config <config.json>', `${CONFIG_HELP}; state.path locates the database`)
    .option('--errors', 'only requests whose last pass ended in an error')
    .option('--json', 'print JSON instead of tables')
    .action((options: { config?: string; errors?: boolean; json?: boolean }) =>
      exitWith(async () => {
        const { config } = await loadConfig(configFile(options.config, env), env);
        const { runJournal } = await import('./journal.command.js');
        runJournal({ statePath: config.state.path, errors: options.errors, json: options.json }, { stdout: (t) => process.stdout.write(t), now: () => new Date() });
        return EXIT_OK;
      }),
    );

  const lines = command('lines').description('custom lines and credits (fees and credits, flat or percent, for one customer or every customer of a payer, for a month or a range), kept in the state database with who added or removed them and when');
  const linesIo = () => ({ stdout: (t: string) => void process.stdout.write(t), now: () => new Date() });
  const who = (by: string | undefined): string => by ?? envValue(env, 'USER') ?? envValue(env, 'USERNAME') ?? safeUserName();
  lines
    .command('add')
    .description('add a fee or a credit; every run of the periods it covers bills it (checked first: each bad value is named)')
    .option('--config <config.json>', `${CONFIG_HELP}; state.path locates the database, rating.amountDecimals and payers[] check the line`)
    .option('--id <id>', 'the line id: letters, digits, - and _ (it ends the record id; default: L1, L2, ...)')
    .requiredOption('--kind <kind>', 'fee or credit')
    .option('--asset <assetId>', 'for one customer: its subscription (asset) id')
    .option('--payer <accountId>', 'for every billed customer of this payer')
    .option('--amount <amount>', 'a flat amount in the billing currency, e.g. 25.00')
    .option('--percent <percent>', 'a percent in (0, 100], with --of')
    .option('--of <base>', 'what a percent is of: aws (usage and support), marketplace, or total')
    .requiredOption('--from <YYYY-MM>', 'the first period it applies to')
    .option('--to <YYYY-MM>', 'the last period it applies to (default: open-ended)')
    .requiredOption('--description <text>', 'what the customer reads on the record')
    .option('--by <name>', 'who adds it (default: the user running the command)')
    .option('--assets <assets.json>', 'check --asset against this assets file')
    .option('--json', 'print the line as JSON')
    .addHelpText('after', helpAfter(COMMAND_DOCS.lines))
    .action((options: { config?: string; id?: string; kind?: string; asset?: string; payer?: string; amount?: string; percent?: string; of?: string; from?: string; to?: string; description?: string; by?: string; assets?: string; json?: boolean }) =>
      exitWith(async () => {
        const loaded = await loadConfig(configFile(options.config, env), env);
        const assets = options.assets === undefined ? undefined : await loadAssets(options.assets);
        const { runLinesAdd } = await import('./lines.command.js');
        runLinesAdd(
          {
            ...options,
            statePath: loaded.config.state.path,
            by: who(options.by),
            rules: {
              amountDecimals: loaded.config.rating.amountDecimals,
              knownPayers: new Set(loaded.config.payers.map((p) => p.accountId)),
              ...(assets === undefined ? {} : { knownAssets: new Set(assets.map((a) => a.assetId)), assetsOrigin: `the assets file ${options.assets ?? ''}` }),
            },
          },
          linesIo(),
        );
        return EXIT_OK;
      }),
    );
  lines
    .command('list')
    .description('list the lines in force (with --all, the removed ones too, with who removed them and when)')
    .option('--config <config.json>', `${CONFIG_HELP}; state.path locates the database`)
    .option('--all', 'list removed lines too')
    .option('--json', 'print JSON instead of a table')
    .addHelpText('after', helpAfter(COMMAND_DOCS.lines))
    .action((options: { config?: string; all?: boolean; json?: boolean }) =>
      exitWith(async () => {
        const { config } = await loadConfig(configFile(options.config, env), env);
        const { runLinesList } = await import('./lines.command.js');
        runLinesList({ statePath: config.state.path, all: options.all, json: options.json }, linesIo());
        return EXIT_OK;
      }),
    );
  lines
    .command('remove')
    .description('remove a line: no run after this bills it (kept, with who removed it and when; its id is never reused)')
    .argument('<id>', 'the line id (lines list shows them)')
    .option('--config <config.json>', `${CONFIG_HELP}; state.path locates the database`)
    .option('--by <name>', 'who removes it (default: the user running the command)')
    .addHelpText('after', helpAfter(COMMAND_DOCS.lines))
    .action((id: string, options: { config?: string; by?: string }) =>
      exitWith(async () => {
        const { config } = await loadConfig(configFile(options.config, env), env);
        const { runLinesRemove } = await import('./lines.command.js');
        runLinesRemove({ statePath: config.state.path, id, by: who(options.by) }, linesIo());
        return EXIT_OK;
      }),
    );

  command('audit')
    .description("audit a payer's organization against the reseller's rules: member plans, delivery and account models, accounts vs subscriptions, pending work")
    .requiredOption('--payer <accountId>', 'the payer to audit')
    .option('--config <config.json>', CONFIG_HELP)
    .option('--period <YYYY-MM>', "compare the month's CUR: usage per account and the plans AWS billed")
    .addOption(new Option('--format <format>', 'table, json or html').default('table'))
    .option('--out <file>', 'write the report to this file (required for html)')
    .option('--cur <file-or-folder>', "local CUR for --period (default: the payer's Athena table)")
    .option('--assets <assets.json>', "subscriptions (default: the platform's assets)")
    .option('--no-detect', "skip the Support API: compare the ordered and billed plans only")
    .action((options: { payer: string; config?: string; period?: string; format?: string; out?: string; cur?: string; assets?: string; detect?: boolean }) =>
      withSignals(async (signal) => {
        const config = configFile(options.config, env);
        const { runAudit } = await import('./audit.command.js');
        const audit = await runAudit(
          { ...options, config },
          { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), stderrIsTty: process.stderr.isTTY === true, now: () => new Date() },
          monthEnv(),
          signal,
        );
        return signal.aborted || audit.findings.some((f) => f.severity === 'error') ? EXIT_PAYER_FAILED : EXIT_OK;
      }),
    );

  command('sandbox')
    .description('serve loopback stand-ins of the platform API and AWS Organizations, seeded from fixtures/orders, until Ctrl-C')
    .option('--config <config.json>', 'a connector configuration to check against the seed (connect.productIds)')
    .option('--seed <file-or-folder>', 'seed file or folder (default: the bundled fixtures/orders)')
    .option('--requests <n>', 'seed this many generated pending requests instead')
    .addOption(new Option('--host <address>', 'address to listen on').default('127.0.0.1'))
    .addOption(new Option('--platform-port <port>', 'port of the platform API (0: any free)').default('0'))
    .addOption(new Option('--aws-port <port>', 'port of AWS Organizations (0: any free)').default('0'))
    .action((options: SandboxOptions) =>
      exitWith(async () => {
        const { startSandboxCommand } = await demoCode('sandbox', () => import('./sandbox.command.js'));
        const sandbox = await startSandboxCommand(options, (t) => process.stdout.write(t));
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await sandbox.close();
        return EXIT_OK;
      }),
    );

  command('demo')
    .description('the bundled demo: fixture orders processed against the loopback sandbox, the demo month rated (dry run), then uploaded to the sandbox platform as a usage file')
    .option('--config <config.json>', 'configuration for the orders and the rating (default: the bundled fixtures/demo.config.json)')
    .addOption(new Option('--out <dir>', 'folder for the rating outputs').default('out'))
    .addOption(new Option('--cycles <n>', 'poll cycles to run against the sandbox').default('3'))
    .action((options: { out: string; cycles: string; config?: string }) =>
      exitWith(async () => {
        const { checkCycles, runDemo } = await demoCode('demo', () => import('./demo.command.js'));
        const result = await runDemo(
          { out: options.out, cycles: checkCycles(options.cycles), config: options.config },
          { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), stderrIsTty: process.stderr.isTTY === true, now: () => new Date() },
        );
        return result.ratedOk && result.submitted ? EXIT_OK : EXIT_PAYER_FAILED;
      }),
    );

  return program;
}

/**
 * Parses `argv` and runs the command; sets `process.exitCode` for a usage error
 * (2) and for --help and --version (0). The bin's only call.
 */
export async function runProgram(argv: readonly string[], program: Command = buildProgram()): Promise<void> {
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    process.exitCode = error.exitCode;
  }
}
