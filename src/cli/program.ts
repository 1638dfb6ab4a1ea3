/**
 * The `native-rating` command line (built here, run by main.ts). Exit status: 0 all payers ok, 1 at least one
 * payer failed (the others' outputs are written), 2 the command could not run
 * (bad options, configuration or CUR input).
 */
import { Command, Option } from 'commander';
import { coerceError } from '../domain/errors.js';
import { loadConfig } from '../config/load.js';
import type { OrdersIo } from './orders.command.js';
import type { MonthEnvironment, RateOptions } from './rate.command.js';
import type { ReprocessOptions } from './reprocess.command.js';
import type { SandboxOptions } from './sandbox.command.js';

// Each command's code is loaded when it runs (the AWS SDK, DuckDB, the sandbox...): a command pays only for what it uses.

export const EXIT_OK = 0;
export const EXIT_PAYER_FAILED = 1;
export const EXIT_UNUSABLE = 2;

function printError(error: unknown): void {
  const e = coerceError(error);
  const where = Object.entries(e.where)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  process.stderr.write(`error ${e.code}: ${e.message}${where ? `\n  at ${where}` : ''}\n`);
}

/** What the production month needs from the environment (read here, in the composition root). */
function monthEnv(): MonthEnvironment {
  const apiKey = process.env.CONNECT_API_KEY?.trim();
  return { ...(apiKey ? { apiKey } : {}), variables: process.env };
}

/** Runs a command's work and sets the exit status: its own, or EXIT_UNUSABLE with the error printed. */
async function exitWith(work: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await work();
  } catch (error) {
    printError(error);
    process.exitCode = EXIT_UNUSABLE;
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
  return exitWith(() => work(controller.signal)).finally(() => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });
}

/** The daemon exits 0 after a drain, 1 when a second signal forced it. */
const daemonExit = (result: { forced: boolean }): number => (result.forced ? EXIT_PAYER_FAILED : EXIT_OK);

export function buildProgram(): Command {
  const program = new Command('native-rating')
    .description('Resell AWS through CloudBlue Connect: carry out orders in AWS Organizations, and rate each month of the AWS Cost and Usage Report into a price-rated usage file.')
    .showHelpAfterError();

  program
    .command('rate')
    .description('rate one billing period of every configured payer (or --payer): the CUR from local files (--cur) or each payer\'s Athena table; uploaded as a usage file unless --dry-run; writes <out>/<payer>/<period>/usage.xlsx and report.json')
    .requiredOption('--period <YYYY-MM>', 'billing period to rate, e.g. 2026-10')
    .option('--cur <file-or-folder>', 'local CUR: a CSV, gzip CSV or Parquet file, or a folder of them (default: each payer\'s Athena table)')
    .requiredOption('--config <config.json>', 'configuration file (payers, rating settings)')
    .option('--assets <assets.json>', 'subscriptions: which linked account bills to which asset (default without --dry-run: the platform\'s assets)')
    .option('--bill-all-accounts', 'bill every linked account in the CUR as its own customer (instead of --assets)')
    .option('--dry-run', 'write outputs locally and upload nothing (with --cur: touch neither AWS nor the platform)')
    .option('--out <dir>', 'folder for the workbooks and reports (default: out for a dry run, state.outputDir otherwise)')
    .option('--payer <accountId>', 'rate only this payer')
    .option('--json', 'print the run result as JSON instead of tables')
    .action((options: RateOptions) =>
      withSignals(async (signal) => {
        const { monthOk, runRate } = await import('./rate.command.js');
        const results = await runRate(options, cliIo(), monthEnv(), signal);
        // Non-zero unless every payer's month was rated (and uploaded): a failure, an interruption, or another live run holding it.
        return !signal.aborted && results.every(monthOk) ? EXIT_OK : EXIT_PAYER_FAILED;
      }),
    );

  program
    .command('reprocess')
    .description('rate a month again as a new version (<out>/<payer>/<period>/v<N>/) and show what changed against the previous version, with the cause; writes diff.json')
    .requiredOption('--period <YYYY-MM>', 'billing period, e.g. 2026-10')
    .requiredOption('--payer <accountId>', 'the payer to reprocess')
    .requiredOption('--config <config.json>', 'configuration file (after the rate or markup change)')
    .option('--cur <file-or-folder>', 'local CUR (as for rate)')
    .option('--assets <assets.json>', 'subscriptions (as for rate)')
    .option('--bill-all-accounts', 'bill every linked account (as for rate)')
    .option('--dry-run', 'rate into the output folder as a dry-run version; upload nothing (without it: a new usage file replaces the previous one while the platform allows)')
    .option('--out <dir>', 'the folder of the versions (default: out for a dry run, state.outputDir otherwise)')
    .option('--json', 'print the run result as JSON')
    .action((options: ReprocessOptions) =>
      withSignals(async (signal) => {
        const { reprocessOk, runReprocess } = await import('./reprocess.command.js');
        return reprocessOk(await runReprocess(options, cliIo(), monthEnv(), signal)) ? EXIT_OK : EXIT_PAYER_FAILED;
      }),
    );

  const ordersIo = (): OrdersIo => ({
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    signals: process,
    // After a forced stop, calls in flight are aborted; if anything still holds the process, leave anyway.
    onForce: () => void setTimeout(() => process.exit(EXIT_PAYER_FAILED), 5000).unref(),
  });

  program
    .command('process')
    .description('poll the platform: pending tier configuration requests, then fulfillment requests of connect.productIds; a line per request')
    .requiredOption('--config <config.json>', 'configuration file')
    .option('--once', 'run one poll cycle and exit (without it: the same loop as `daemon`)')
    .action((options: { config: string; once?: boolean }) =>
      exitWith(async () => {
        const { runDaemon, runProcessOnce } = await import('./orders.command.js');
        if (!options.once) return daemonExit(await runDaemon({ config: options.config }, ordersIo()));
        const result = await runProcessOnce({ config: options.config }, ordersIo());
        const troubled = result.listErrors.length > 0 || [...result.requests, ...result.tierConfigs].some((r) => r.kind === 'error');
        return troubled ? EXIT_PAYER_FAILED : EXIT_OK;
      }),
    );

  program
    .command('daemon')
    .description('process orders every pollIntervalMs until SIGTERM (the first signal finishes the requests in hand and exits 0, a second forces)')
    .requiredOption('--config <config.json>', 'configuration file')
    .action((options: { config: string }) =>
      exitWith(async () => {
        const { runDaemon } = await import('./orders.command.js');
        return daemonExit(await runDaemon({ config: options.config }, ordersIo()));
      }),
    );

  program
    .command('manual-actions')
    .description('list what a person must do in the AWS console (support plans, invitations, closures); mark items done')
    .requiredOption('--config <config.json>', 'configuration file (state.path locates the database)')
    .option('--done <id...>', 'mark these manual actions done')
    .option('--by <name>', 'who did them (stored with --done)')
    .option('--all', 'list done ones too')
    .option('--json', 'print JSON instead of a table')
    .action((options: { config: string; done?: string[]; by?: string; all?: boolean; json?: boolean }) =>
      exitWith(async () => {
        const { config } = await loadConfig(options.config);
        const { runManualActions } = await import('./manual-actions.command.js');
        await runManualActions(
          { statePath: config.state.path, done: options.done, by: options.by, all: options.all, json: options.json },
          { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), now: () => new Date() },
        );
        return EXIT_OK;
      }),
    );

  program
    .command('journal')
    .description("what the daemon did with each request (step, outcome, attempts, last error) and the cancels' countdowns")
    .requiredOption('--config <config.json>', 'configuration file (state.path locates the database)')
    .option('--errors', 'only requests whose last pass ended in an error')
    .option('--json', 'print JSON instead of tables')
    .action((options: { config: string; errors?: boolean; json?: boolean }) =>
      exitWith(async () => {
        const { config } = await loadConfig(options.config);
        const { runJournal } = await import('./journal.command.js');
        runJournal({ statePath: config.state.path, errors: options.errors, json: options.json }, { stdout: (t) => process.stdout.write(t), now: () => new Date() });
        return EXIT_OK;
      }),
    );

  program
    .command('audit')
    .description("audit a payer's organization against the reseller's rules: member plans, delivery and account models, accounts vs subscriptions, pending work")
    .requiredOption('--payer <accountId>', 'the payer to audit')
    .requiredOption('--config <config.json>', 'configuration file')
    .option('--period <YYYY-MM>', "compare the month's CUR: usage per account and the plans AWS billed")
    .addOption(new Option('--format <format>', 'table, json or html').default('table'))
    .option('--out <file>', 'write the report to this file (required for html)')
    .option('--cur <file-or-folder>', "local CUR for --period (default: the payer's Athena table)")
    .option('--assets <assets.json>', "subscriptions (default: the platform's assets)")
    .option('--no-detect', "skip the Support API: compare the ordered and billed plans only")
    .action((options: { payer: string; config: string; period?: string; format?: string; out?: string; cur?: string; assets?: string; detect?: boolean }) =>
      exitWith(async () => {
        const { runAudit } = await import('./audit.command.js');
        const audit = await runAudit(
          options,
          { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), stderrIsTty: process.stderr.isTTY === true, now: () => new Date() },
          monthEnv(),
        );
        return audit.findings.some((f) => f.severity === 'error') ? EXIT_PAYER_FAILED : EXIT_OK;
      }),
    );

  program
    .command('sandbox')
    .description('serve loopback stand-ins of the platform API and AWS Organizations, seeded from fixtures/orders, until Ctrl-C')
    .option('--config <config.json>', 'a connector configuration to check against the seed (connect.productIds)')
    .option('--seed <file-or-folder>', 'seed file or folder (default: the bundled fixtures/orders)')
    .option('--requests <n>', 'seed this many generated pending requests instead')
    .addOption(new Option('--host <address>', 'address to listen on').default('127.0.0.1'))
    .addOption(new Option('--platform-port <port>', 'port of the platform API (0: any free)').default('0'))
    .addOption(new Option('--aws-port <port>', 'port of AWS Organizations (0: any free)').default('0'))
    .action((options: SandboxOptions) =>
      exitWith(async () => {
        const { startSandboxCommand } = await import('./sandbox.command.js');
        const sandbox = await startSandboxCommand(options, (t) => process.stdout.write(t));
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await sandbox.close();
        return EXIT_OK;
      }),
    );

  program
    .command('demo')
    .description('the bundled demo: fixture orders processed against the loopback sandbox, the demo month rated (dry run), then uploaded to the sandbox platform as a usage file')
    .option('--config <config.json>', 'configuration for the orders and the rating (default: the bundled fixtures/demo.config.json)')
    .addOption(new Option('--out <dir>', 'folder for the rating outputs').default('out'))
    .addOption(new Option('--cycles <n>', 'poll cycles to run against the sandbox').default('3'))
    .action((options: { out: string; cycles: string; config?: string }) =>
      exitWith(async () => {
        const { checkCycles, runDemo } = await import('./demo.command.js');
        const result = await runDemo(
          { out: options.out, cycles: checkCycles(options.cycles), config: options.config },
          { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), stderrIsTty: process.stderr.isTTY === true, now: () => new Date() },
        );
        return result.ratedOk && result.submitted ? EXIT_OK : EXIT_PAYER_FAILED;
      }),
    );

  return program;
}

