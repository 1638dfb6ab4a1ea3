/**
 * Writes a synthetic CUR month for the benchmark.
 *
 *   node dist/bench/generate-cur.cli.js --rows 1000000 --out /tmp/cur-1m.csv [--seed 1]
 *     [--accounts 40] [--services 60] [--payer 111111111111] [--period 2026-10] [--gzip]
 *
 * Prints one JSON line: path, bytes, rows, elapsedMs.
 */
import { parseArgs } from 'node:util';
import { generateCur } from './generate-cur.js';

const USAGE =
  'usage: generate-cur --rows N --out FILE [--seed N] [--accounts N] [--services N] [--payer ID] [--period YYYY-MM] [--gzip]';

function wholeNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      accounts: { type: 'string' },
      services: { type: 'string' },
      payer: { type: 'string' },
      period: { type: 'string' },
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
  if (rows === undefined || values.out === undefined) throw new Error(USAGE);
  const started = process.hrtime.bigint();
  const result = await generateCur({
    rows,
    path: values.out,
    seed: wholeNumber('seed', values.seed),
    accounts: wholeNumber('accounts', values.accounts),
    services: wholeNumber('services', values.services),
    payer: values.payer,
    period: values.period,
    gzip: values.gzip,
  });
  const elapsedMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
  process.stdout.write(`${JSON.stringify({ ...result, elapsedMs })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
