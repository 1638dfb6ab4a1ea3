/**
 * The `native-rating` command line (built here, run by main.ts). Exit status: 0 all payers ok, 1 at least one
 * payer failed (the others' outputs are written), 2 the command could not run
 * (bad options, configuration or CUR input).
 */
import { Command, Option } from 'commander';
import { coerceError } from '../domain/errors.js';
import { runRate, type RateOptions } from './rate.command.js';

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

export function buildProgram(): Command {
  const program = new Command('native-rating')
    .description('Resell AWS through CloudBlue Connect: rate a month of AWS Cost and Usage Report into a price-rated usage workbook.')
    .showHelpAfterError();

  program
    .command('rate')
    .description('rate one billing period for every payer in the CUR; writes <out>/<payer>/<period>/usage.xlsx and report.json')
    .requiredOption('--period <YYYY-MM>', 'billing period to rate, e.g. 2026-10')
    .option('--cur <file-or-folder>', 'local CUR: a CSV, gzip CSV or Parquet file, or a folder of them')
    .requiredOption('--config <config.json>', 'configuration file (payers, rating settings)')
    .option('--assets <assets.json>', 'subscriptions: which linked account bills to which asset')
    .option('--bill-all-accounts', 'bill every linked account in the CUR as its own customer (instead of --assets)')
    .option('--dry-run', 'rate from local files and write outputs locally; touch neither AWS nor the platform')
    .addOption(new Option('--out <dir>', 'folder for the workbooks and reports').default('out'))
    .option('--payer <accountId>', 'rate only this payer')
    .option('--json', 'print the run result as JSON instead of tables')
    .action(async (options: RateOptions) => {
      const controller = new AbortController();
      const stop = (): void => controller.abort(new Error('interrupted'));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const result = await runRate(
          options,
          {
            stdout: (t) => process.stdout.write(t),
            stderr: (t) => process.stderr.write(t),
            stderrIsTty: process.stderr.isTTY === true,
            now: () => new Date(),
          },
          controller.signal,
        );
        process.exitCode = result.payers.some((p) => !p.ok) ? EXIT_PAYER_FAILED : EXIT_OK;
      } catch (error) {
        printError(error);
        process.exitCode = EXIT_UNUSABLE;
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
  return program;
}

