/**
 * `npm run bench:rating -- --rows N [--granularity service|usage-type] [--format csv|gzip|parquet]
 *   [--list-price unblended|on-demand] [--groups N] [--repeat 2] [--memory 600MB]`
 *
 * Generates (once, cached under .bench/) a synthetic CUR of N rows (or, with
 * `--groups N`, one yielding N groups for one payer at usage-type granularity), then
 * times, alternately and `--repeat` times each, best of each kept:
 * - limit: the engine's limit (`runEngineLimit`): DuckDB reading only the columns the
 *   rules need, amounts typed as exact decimals by the reader, grouped and ordered on
 *   the rating query's keys for these settings: the fastest the engine does the work;
 * - pipeline: the whole dry run (`runPipeline` below).
 * It prints rows, groups, both times, pipeline/limit, rows/s and the process's peak
 * RSS (the whole process: both runs). Figures, not assertions.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { runEngineLimit } from '../src/adapters/engine/engine-limit.js';
import { runRate } from '../src/cli/rate.command.js';
import { renderTable } from '../src/cli/table.js';
import type { ListPriceMode, RecordGranularity } from '../src/domain/cur.js';
import { generateCur, generateCurForGroups, type CurOutputFormat } from './generate-cur.js';

/**
 * The pipeline: the whole dry run of `period` over the CUR at `cur` (files, query,
 * rating, workbook written and checked, report), outputs and ledger under `work`.
 * The one call into the month command: repoint it here when that command changes.
 */
async function runPipeline(input: { period: string; cur: string; config: string; work: string }): Promise<{ records: number }> {
  const quiet = { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false, now: () => new Date() };
  const results = await runRate(
    { period: input.period, cur: input.cur, config: input.config, billAllAccounts: true, dryRun: true, out: join(input.work, 'out'), statePath: join(input.work, 'state.db') },
    quiet,
    { variables: {} },
  );
  const entry = results[0];
  if (entry === undefined || entry.result.kind !== 'done') throw new Error(`the dry run did not rate the payer: ${JSON.stringify(entry?.result)}`);
  return { records: entry.result.rating?.records ?? entry.result.run.records ?? 0 };
}

const PAYER = '111111111111';
const PERIOD = '2026-10';
const EXTENSIONS: Record<CurOutputFormat, string> = { csv: 'csv', gzip: 'csv.gz', parquet: 'parquet' };

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    groups: { type: 'string' },
    granularity: { type: 'string' },
    format: { type: 'string', default: 'csv' },
    'list-price': { type: 'string', default: 'unblended' },
    repeat: { type: 'string', default: '2' },
    dir: { type: 'string', default: '.bench' },
    memory: { type: 'string', default: '600MB' },
  },
});
const rows = Number.parseInt(values.rows, 10);
const groupsAsked = values.groups === undefined ? undefined : Number.parseInt(values.groups, 10);
const repeat = Math.max(1, Number.parseInt(values.repeat, 10));
const granularity = (values.granularity ?? (groupsAsked === undefined ? 'service' : 'usage-type')) as RecordGranularity;
const format = values.format as CurOutputFormat;
const listPrice = values['list-price'] as ListPriceMode;
if (!Number.isSafeInteger(rows) || rows < 1) throw new Error(`--rows ${values.rows} is not a positive whole number`);
if (groupsAsked !== undefined && (!Number.isSafeInteger(groupsAsked) || groupsAsked < 1)) throw new Error(`--groups ${values.groups ?? ''} is not a positive whole number`);
if (granularity !== 'service' && granularity !== 'usage-type') throw new Error(`--granularity ${String(granularity)} is not service or usage-type`);
if (!(format in EXTENSIONS)) throw new Error(`--format ${format} is not csv, gzip or parquet`);
if (listPrice !== 'unblended' && listPrice !== 'on-demand') throw new Error(`--list-price ${String(listPrice)} is not unblended or on-demand`);

const mib = (bytes: number): string => (bytes / 1048576).toFixed(1);
const seconds = (ms: number): string => (ms / 1000).toFixed(2);
const count = (n: number): string => n.toLocaleString('en-US');

async function curFile(): Promise<{ path: string; rows: number }> {
  await mkdir(values.dir, { recursive: true });
  const name = groupsAsked === undefined ? `cur-${rows}` : `cur-groups-${groupsAsked}`;
  const path = join(values.dir, `${name}.${EXTENSIONS[format]}`);
  const rowsPath = `${path}.rows`;
  if (!existsSync(path) || !existsSync(rowsPath)) {
    process.stderr.write(`generating ${groupsAsked === undefined ? `${count(rows)} CUR rows` : `a CUR of ${count(groupsAsked)} groups`} into ${path}...\n`);
    const started = performance.now();
    const result =
      groupsAsked === undefined
        ? await generateCur({ rows, path, payer: PAYER, period: PERIOD, format })
        : await generateCurForGroups({ groups: groupsAsked, path, payer: PAYER, period: PERIOD, format });
    await writeFile(rowsPath, String(result.rows));
    process.stderr.write(`generated in ${seconds(performance.now() - started)} s\n`);
  }
  const { readFile } = await import('node:fs/promises');
  return { path, rows: Number(await readFile(rowsPath, 'utf8')) };
}

async function main(): Promise<void> {
  const cur = await curFile();
  const bytes = (await stat(cur.path)).size;
  const work = await mkdtemp(join(tmpdir(), 'nr-bench-'));
  const config = join(work, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      payers: [{ accountId: PAYER, marketplaceCurrency: 'EUR', fxRate: '0.92', customMarkup: '1.1', customMarkupMarketplace: '1.05' }],
      rating: { recordGranularity: granularity, listPrice },
      engine: { memoryLimit: values.memory },
    }),
  );

  const limit: number[] = [];
  const pipeline: number[] = [];
  let groups = 0;
  let records = 0;
  try {
    for (let i = 0; i < repeat; i += 1) {
      process.stderr.write(`run ${i + 1}/${repeat}: the engine's limit...\n`);
      let t = performance.now();
      const result = await runEngineLimit(cur.path, { listPrice, granularity }, { memoryLimit: values.memory });
      limit.push(performance.now() - t);
      groups = result.groups;
      if (result.rows !== cur.rows) throw new Error(`the limit query read ${result.rows} rows, the file has ${cur.rows}`);
      process.stderr.write(`run ${i + 1}/${repeat}: pipeline (dry run)...\n`);
      t = performance.now();
      ({ records } = await runPipeline({ period: PERIOD, cur: cur.path, config, work: join(work, `run-${i}`) }));
      pipeline.push(performance.now() - t);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  const bestLimit = Math.min(...limit);
  const bestPipeline = Math.min(...pipeline);
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const settings = `${format}, ${granularity}, ${listPrice}, ${mib(bytes)} MiB, ${count(records)} records`;
  process.stdout.write(
    `bench:rating (${settings}; best of ${repeat}; runs limit ${limit.map(seconds).join(', ')} s, pipeline ${pipeline.map(seconds).join(', ')} s)\n` +
      `${renderTable(
        [
          { header: 'rows', align: 'right' },
          { header: 'groups', align: 'right' },
          { header: 'limit s', align: 'right' },
          { header: 'pipeline s', align: 'right' },
          { header: 'pipeline/limit', align: 'right' },
          { header: 'rows/s', align: 'right' },
          { header: 'peak RSS', align: 'right' },
        ],
        [[count(cur.rows), count(groups), seconds(bestLimit), seconds(bestPipeline), `${(bestPipeline / bestLimit).toFixed(2)}x`, count(Math.round(cur.rows / (bestPipeline / 1000))), `${mib(peakRss)} MiB`]],
      )}\n`,
  );
}

await main();
