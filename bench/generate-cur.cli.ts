/**
 * Writes a synthetic CUR month for the benchmark.
 *
 *   node dist/bench/generate-cur.cli.js --rows 1000000 --out /tmp/cur-1m.csv [--seed 1]
 *     [--accounts 40] [--services 60] [--payer 111111111111] [--period 2026-10] [--format csv|gzip|parquet]
 *   node dist/bench/generate-cur.cli.js --groups 1000000 --out /tmp/cur-1m-groups.csv [--seed 1] [--payer ID] [--format ...]
 *
 * `--groups N`: a CUR of one payer yielding N result groups at usage-type granularity
 * (1,000 per account: 50 services × 20 usage types; ~1.5 rows a group). `--gzip` is
 * `--format gzip`. Prints one JSON line: path, bytes, rows (and groups, accounts), elapsedMs.
 */
import { parseArgs } from 'node:util';
import { generateCur, generateCurForGroups, type CurOutputFormat } from './generate-cur.js';

const USAGE =
  'usage: generate-cur (--rows N | --groups N) --out FILE [--seed N] [--accounts N] [--services N] [--payer ID] [--period YYYY-MM] [--format csv|gzip|parquet] [--gzip]';

function wholeNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function format(value: string | undefined, gzip: boolean): CurOutputFormat {
  if (value === undefined) return gzip ? 'gzip' : 'csv';
  if (value !== 'csv' && value !== 'gzip' && value !== 'parquet') throw new Error(`--format must be csv, gzip or parquet, got ${JSON.stringify(value)}`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      groups: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      accounts: { type: 'string' },
      services: { type: 'string' },
      payer: { type: 'string' },
      period: { type: 'string' },
      format: { type: 'string' },
      gzip: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const rows = wholeNumber('rows', values.rows);
  const groups = wholeNumber('groups', values.groups);
  if ((rows === undefined) === (groups === undefined) || values.out === undefined) throw new Error(USAGE);
  const started = process.hrtime.bigint();
  const common = { path: values.out, seed: wholeNumber('seed', values.seed), payer: values.payer, period: values.period, format: format(values.format, values.gzip) };
  const result =
    groups !== undefined
      ? await generateCurForGroups({ ...common, groups })
      : await generateCur({ ...common, rows: rows!, accounts: wholeNumber('accounts', values.accounts), services: wholeNumber('services', values.services) });
  const elapsedMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
  process.stdout.write(`${JSON.stringify({ ...result, elapsedMs })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
