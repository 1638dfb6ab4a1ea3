/**
 * `npm run bench:rating -- --rows N [--granularity service|usage-type] [--repeat 2]`
 *
 * Generates (once, cached under .bench/) a synthetic CUR of N rows, then times,
 * alternately and `--repeat` times each:
 * - bare: the engine's bare aggregation of the file (3 keys, one exact SUM);
 * - query: the engine running the rating's own aggregation query alone (every
 *   column and group the rules need), with nothing after it;
 * - pipeline: the whole dry run (files, query, rating, workbook written and read
 *   back, report).
 * It prints rows/s, pipeline/bare and pipeline/query ratios and the process's
 * peak RSS. Figures, not assertions.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DuckDbCurSource, runBareAggregation } from '../src/adapters/engine/duckdb-cur-source.js';
import { runRate } from '../src/cli/rate.command.js';
import { renderTable } from '../src/cli/table.js';
import { generateCur } from './generate-cur.js';
import type { RecordGranularity } from '../src/domain/cur.js';

const PAYER = '111111111111';
const PERIOD = '2026-10';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    granularity: { type: 'string', default: 'service' },
    repeat: { type: 'string', default: '2' },
    dir: { type: 'string', default: '.bench' },
    memory: { type: 'string', default: '600MB' },
  },
});
const rows = Number.parseInt(values.rows, 10);
const repeat = Math.max(1, Number.parseInt(values.repeat, 10));
const granularity = values.granularity as RecordGranularity;
if (!Number.isSafeInteger(rows) || rows < 1) throw new Error(`--rows ${values.rows} is not a positive whole number`);
if (granularity !== 'service' && granularity !== 'usage-type') throw new Error(`--granularity ${granularity} is not service or usage-type`);

const mib = (bytes: number): string => (bytes / 1048576).toFixed(1);
const seconds = (ms: number): string => (ms / 1000).toFixed(2);

async function main(): Promise<void> {
  await mkdir(values.dir, { recursive: true });
  const curPath = join(values.dir, `cur-${rows}.csv`);
  if (!existsSync(curPath)) {
    process.stderr.write(`generating ${rows} CUR rows into ${curPath}...\n`);
    const started = performance.now();
    await generateCur({ rows, path: curPath, payer: PAYER, period: PERIOD });
    process.stderr.write(`generated in ${seconds(performance.now() - started)} s\n`);
  }
  const bytes = (await stat(curPath)).size;
  const work = await mkdtemp(join(tmpdir(), 'nr-bench-'));
  const config = join(work, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      payers: [{ accountId: PAYER, marketplaceCurrency: 'EUR', fxRate: '0.92', customMarkup: '1.1', customMarkupMarketplace: '1.05' }],
      rating: { recordGranularity: granularity },
      engine: { memoryLimit: values.memory },
    }),
  );
  const quiet = { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false, now: () => new Date() };

  const bare: number[] = [];
  const query: number[] = [];
  const pipeline: number[] = [];
  let records = 0;
  for (let i = 0; i < repeat; i += 1) {
    process.stderr.write(`run ${i + 1}/${repeat}: bare aggregation...\n`);
    let t = performance.now();
    await runBareAggregation(curPath, { memoryLimit: values.memory });
    bare.push(performance.now() - t);
    process.stderr.write(`run ${i + 1}/${repeat}: the rating query alone...\n`);
    t = performance.now();
    const engine = new DuckDbCurSource(curPath, { memoryLimit: values.memory });
    await engine.aggregate({ period: PERIOD, listPrice: 'unblended', granularity });
    await engine.close();
    query.push(performance.now() - t);
    process.stderr.write(`run ${i + 1}/${repeat}: pipeline (dry run)...\n`);
    t = performance.now();
    const result = await runRate({ period: PERIOD, cur: curPath, config, billAllAccounts: true, dryRun: true, out: join(work, 'out') }, quiet);
    pipeline.push(performance.now() - t);
    const payer = result.payers[0];
    if (payer === undefined || !payer.ok) throw new Error(`the dry run failed: ${JSON.stringify(payer?.errors)}`);
    records = payer.rated?.records.length ?? 0;
  }
  await rm(work, { recursive: true, force: true });

  const bestBare = Math.min(...bare);
  const bestQuery = Math.min(...query);
  const bestPipeline = Math.min(...pipeline);
  const ratio = bestPipeline / bestBare;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const goal = granularity === 'usage-type' ? 2 : 1.3;
  process.stdout.write(
    `${renderTable(
      [{ header: 'figure' }, { header: 'value', align: 'right' }],
      [
        ['CUR rows', rows.toLocaleString('en-US')],
        ['CUR file', `${mib(bytes)} MiB`],
        ['granularity', granularity],
        ['records written', String(records)],
        ['bare aggregation (best)', `${seconds(bestBare)} s`],
        ['rating query alone (best)', `${seconds(bestQuery)} s`],
        ['pipeline (best)', `${seconds(bestPipeline)} s`],
        ['pipeline rows/s', Math.round(rows / (bestPipeline / 1000)).toLocaleString('en-US')],
        ['pipeline / bare', `${ratio.toFixed(2)}x (goal <= ${goal}x: ${ratio <= goal ? 'met' : 'NOT met'})`],
        ['pipeline / query alone', `${(bestPipeline / bestQuery).toFixed(2)}x`],
        ['peak RSS', `${mib(peakRss)} MiB (goal < 1024 MiB: ${peakRss < 1024 * 1048576 ? 'met' : 'NOT met'})`],
        ['runs (bare)', bare.map(seconds).join(', ')],
        ['runs (query alone)', query.map(seconds).join(', ')],
        ['runs (pipeline)', pipeline.map(seconds).join(', ')],
      ],
    )}\n`,
  );
}

await main();
