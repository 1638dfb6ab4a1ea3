/**
 * `npm run bench:month -- --payers 5 --rows 1000000`
 *
 * A full month for N payers against local stand-ins: the embedded engine in
 * place of Athena (one generated CUR per payer, `--rows` rows each, cached under
 * .bench/), and the loopback sandbox in place of the platform (create, upload,
 * processing, submit). Prints the time per payer, the upload size and the
 * process's peak RSS. Figures, not assertions.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { runMonthCommand } from '../src/cli/month.command.js';
import { renderTable } from '../src/cli/table.js';
import { startSandbox } from '../src/sandbox/sandbox.js';
import { loadSeed } from '../src/sandbox/seed.js';
import { generateCur } from './generate-cur.js';

const { values } = parseArgs({ options: { payers: { type: 'string', default: '5' }, rows: { type: 'string', default: '1000000' }, dir: { type: 'string', default: '.bench' } } });
const payerCount = Number.parseInt(values.payers, 10);
const rows = Number.parseInt(values.rows, 10);
const payers = Array.from({ length: payerCount }, (_, i) => String(111111111111 * (i + 1)).padStart(12, '0').slice(0, 12));
const currencies = ['EUR', 'USD', 'GBP', 'JPY', 'CHF'];

const curDir = join(values.dir, `month-${payerCount}x${rows}`);
await mkdir(curDir, { recursive: true });
for (const [i, payer] of payers.entries()) {
  const path = join(curDir, `${payer}.csv`);
  if (!existsSync(path)) {
    process.stderr.write(`generating ${rows} CUR rows of payer ${payer}...\n`);
    await generateCur({ rows, path, payer, seed: i + 1 });
  }
}

const sandbox = await startSandbox({ seed: await loadSeed('fixtures/orders'), platformPort: 0 });
const work = await mkdtemp(join(tmpdir(), 'nr-bench-month-'));
const config = join(work, 'config.json');
const { writeFile } = await import('node:fs/promises');
await writeFile(
  config,
  JSON.stringify({
    payers: payers.map((accountId, i) => {
      const currency = currencies[i % currencies.length] ?? 'USD';
      return { accountId, marketplaceCurrency: currency, ...(currency === 'USD' ? {} : { fxRate: '0.9' }), customMarkup: `1.${i + 1}`, usage: { contractId: 'CRD-00000-00000-00000' } };
    }),
    connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'] },
    state: { path: join(work, 'state.db') },
  }),
);

// The sandbox judges an upload at once: the figures hold no waits between polls (a real platform's checking time is not ours).
const io = { stdout: () => undefined, stderr: (t: string) => void process.stderr.write(t), stderrIsTty: false, now: () => new Date(), sleep: async () => undefined };
const table: string[][] = [];
const started = performance.now();
for (const payer of payers) {
  const t0 = performance.now();
  const [entry] = await runMonthCommand({ period: '2026-10', payer, cur: join(curDir, `${payer}.csv`), billAllAccounts: true, config, out: join(work, 'out') }, io, { apiKey: sandbox.apiKey, variables: {} });
  const seconds = (performance.now() - t0) / 1000;
  const run = entry?.result.run;
  const bytes = run?.workbookPath ? (await stat(run.workbookPath)).size : 0;
  table.push([payer, entry?.result.kind ?? '-', `${seconds.toFixed(2)} s`, String(run?.records ?? 0), `${(bytes / 1024).toFixed(0)} KiB`, `${run?.billedTotal ?? '-'} ${run?.currency ?? ''}`, run?.usageFileStatus ?? '-']);
}
const total = (performance.now() - started) / 1000;
process.stdout.write(`Month benchmark: ${payerCount} payers × ${rows.toLocaleString('en-US')} CUR rows, engine for Athena, sandbox for the platform\n\n`);
process.stdout.write(`${renderTable([{ header: 'payer' }, { header: 'outcome' }, { header: 'time', align: 'right' }, { header: 'records', align: 'right' }, { header: 'upload', align: 'right' }, { header: 'billed', align: 'right' }, { header: 'file' }], table)}\n\n`);
process.stdout.write(`total ${total.toFixed(2)} s · peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB\n`);
await sandbox.close();
await rm(work, { recursive: true, force: true });
