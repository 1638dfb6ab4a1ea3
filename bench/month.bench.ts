/**
 * `npm run bench:month -- --groups 100000,1000000 [--payers 1] [--repeat 1]`
 *
 * A whole live month of one payer at a big distributor's scale: a generated CUR
 * that yields N result groups (records) at `usage-type` granularity, rated by the
 * embedded engine in place of Athena and uploaded to the loopback sandbox in
 * place of the platform (create, upload, the platform's check, submit).
 *
 * Each size runs in a child process of its own, so each peak RSS is the
 * connector's alone: the sandbox (which parses the uploaded workbook) runs in
 * this parent process. Prints per size: records, time, time per record,
 * workbook size, peak RSS. Figures, not assertions.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderTable } from '../src/cli/table.js';

const { values } = parseArgs({
  options: {
    groups: { type: 'string', default: '100000,1000000' },
    dir: { type: 'string', default: '.bench' },
    child: { type: 'string' },
    config: { type: 'string' },
    cur: { type: 'string' },
  },
});

interface ChildFigures {
  kind: string;
  seconds: number;
  /** Until the usage file was created: the rating (scan, rate, workbook, report). */
  ratedSeconds: number;
  /** From the file's creation to its verdict: the upload and the platform's check (the sandbox's, not ours). */
  platformSeconds: number;
  records: number;
  billed: string;
  status: string;
  workbookBytes: number;
  peakRssMiB: number;
}

/** The child: one month through the `rate` command's code, the connector alone in this process. */
async function child(config: string, cur: string): Promise<void> {
  const { runRate } = await import('../src/cli/rate.command.js');
  const t0 = performance.now();
  // The usage file's statuses come on stdout as the run reaches them: their times split the month in two.
  const seen = new Map<string, number>();
  const io = {
    stdout: (t: string) => {
      if (process.env.BENCH_VERBOSE) process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(2)} s ${t}`);
      const status = / usage file [^:]+: (\w+)$/m.exec(t)?.[1];
      if (status !== undefined && !seen.has(status)) seen.set(status, performance.now());
    },
    stderr: (t: string) => void process.stderr.write(t),
    stderrIsTty: false,
    now: () => new Date(),
    sleep: async () => undefined,
  };
  const [entry] = await runRate({ period: '2026-10', cur, billAllAccounts: true, config }, io, { apiKey: process.env.BENCH_API_KEY ?? '', variables: {} });
  const seconds = (performance.now() - t0) / 1000;
  const run = entry?.result.run;
  const created = seen.get('draft') ?? t0;
  const judged = seen.get('ready') ?? seen.get('invalid') ?? created;
  const figures: ChildFigures = {
    kind: entry?.result.kind ?? '-',
    seconds,
    ratedSeconds: (created - t0) / 1000,
    platformSeconds: (judged - created) / 1000,
    records: run?.records ?? 0,
    billed: `${run?.billedTotal ?? '-'} ${run?.currency ?? ''}`,
    status: run?.usageFileStatus ?? '-',
    workbookBytes: run?.workbookPath && existsSync(run.workbookPath) ? (await stat(run.workbookPath)).size : 0,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  if (entry?.result.kind === 'failed') process.stderr.write(`failed: ${entry.result.error.message}\n`);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

async function parent(): Promise<void> {
  const sizes = values.groups.split(',').map((s) => Number.parseInt(s, 10));
  const { generateCurForGroups } = await import('./generate-cur.js');
  const { startSandbox } = await import('../src/sandbox/sandbox.js');
  const { loadSeed } = await import('../src/sandbox/seed.js');
  const sandbox = await startSandbox({ seed: await loadSeed('fixtures/orders'), platformPort: 0 });
  const work = await mkdtemp(join(tmpdir(), 'nr-bench-month-'));
  const rows: string[][] = [];
  try {
    for (const groups of sizes) {
      const payer = '111111111111';
      const cur = join(values.dir, `month-groups-${groups}.csv`);
      await mkdir(values.dir, { recursive: true });
      if (!existsSync(cur)) {
        process.stderr.write(`generating a CUR of ${groups} groups...\n`);
        await generateCurForGroups({ groups, path: cur, payer, seed: 1 });
      }
      const dir = join(work, String(groups));
      await mkdir(dir, { recursive: true });
      const config = join(dir, 'config.json');
      await writeFile(
        config,
        JSON.stringify({
          payers: [{ accountId: payer, marketplaceCurrency: 'EUR', fxRate: '0.9', customMarkup: '1.1', usage: { contractId: 'CRD-00000-00000-00000' } }],
          connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'] },
          rating: { recordGranularity: 'usage-type' },
          state: { path: join(dir, 'state.db'), outputDir: join(dir, 'runs') },
        }),
      );
      const script = fileURLToPath(import.meta.url);
      const output = await new Promise<string>((resolve, reject) => {
        const proc = spawn(process.execPath, [script, '--child', '1', '--config', config, '--cur', cur], { env: { ...process.env, BENCH_API_KEY: sandbox.apiKey }, stdio: ['ignore', 'pipe', 'inherit'] });
        let text = '';
        proc.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        proc.on('error', reject);
        proc.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`the month of ${groups} groups exited with ${String(code)}`))));
      });
      const f = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as ChildFigures;
      const us = (seconds: number): string => `${f.records > 0 ? ((seconds * 1e6) / f.records).toFixed(1) : '0'} µs`;
      const ours = f.seconds - f.platformSeconds;
      rows.push([
        groups.toLocaleString('en-US'),
        f.kind,
        f.records.toLocaleString('en-US'),
        `${f.seconds.toFixed(2)} s`,
        `${f.ratedSeconds.toFixed(2)} s`,
        `${f.platformSeconds.toFixed(2)} s`,
        us(ours),
        us(f.seconds),
        `${(f.workbookBytes / 1048576).toFixed(1)} MiB`,
        `${f.peakRssMiB.toFixed(0)} MiB`,
        f.billed,
        f.status,
      ]);
    }
  } finally {
    await sandbox.close();
    await rm(work, { recursive: true, force: true });
  }
  let cpu = '';
  try {
    cpu = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    cpu = '?';
  }
  process.stdout.write(`Month benchmark: one payer, usage-type records, engine for Athena, sandbox for the platform (${cpu} cores)\n`);
  process.stdout.write(`rating: scan, rate, workbook and report until the usage file is created; upload+check: the upload and the sandbox's own check of the file (SheetJS, in the parent process); ours/record: the month less that check; peak RSS: the connector's process alone\n\n`);
  process.stdout.write(
    `${renderTable(
      [
        { header: 'groups', align: 'right' },
        { header: 'outcome' },
        { header: 'records', align: 'right' },
        { header: 'month', align: 'right' },
        { header: 'rating', align: 'right' },
        { header: 'upload+check', align: 'right' },
        { header: 'ours/record', align: 'right' },
        { header: 'all/record', align: 'right' },
        { header: 'workbook', align: 'right' },
        { header: 'peak RSS', align: 'right' },
        { header: 'billed', align: 'right' },
        { header: 'file' },
      ],
      rows,
    )}\n`,
  );
}

if (values.child) await child(values.config ?? '', values.cur ?? '');
else await parent();
