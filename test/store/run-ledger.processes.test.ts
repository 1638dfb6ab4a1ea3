/**
 * Two threads, each with its own connection to one state file, claim the same
 * months at the same moment (a shared-memory gate releases them together). The
 * worker threads load the ledger as plain JavaScript, transpiled here from the
 * sources, so the test runs the real store and SQLite locking.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunClaim } from '../../src/app/usage/ports.js';
import { openStateDatabase } from '../../src/store/database.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const requireHere = createRequire(import.meta.url);
const MONTHS = Array.from({ length: 24 }, (_, i) => `${2025 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);

/** Transpiles `entry` and the sources it imports into `out`; bare imports point at this project's node_modules. */
async function transpile(entry: string, out: string, done = new Set<string>()): Promise<string> {
  const target = join(out, relative(SRC, entry)).replace(/\.ts$/, '.js');
  if (done.has(entry)) return target;
  done.add(entry);
  const source = await readFile(entry, 'utf8');
  let js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  for (const [, spec] of js.matchAll(/from '([^']+)'/g)) {
    if (spec === undefined || spec.startsWith('node:')) continue;
    if (spec.startsWith('.')) await transpile(resolve(dirname(entry), spec.replace(/\.js$/, '.ts')), out, done);
    else js = js.replaceAll(`from '${spec}'`, `from '${pathToFileURL(requireHere.resolve(spec)).href}'`);
  }
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, js);
  return target;
}

const WORKER = `
import { parentPort, workerData } from 'node:worker_threads';
const { openStateDatabase } = await import(workerData.database);
const { SqliteRunLedger } = await import(workerData.ledger);
const state = openStateDatabase(workerData.path);
const ledger = new SqliteRunLedger(state.db);
const gate = new Int32Array(workerData.gate);
parentPort.postMessage('ready');
Atomics.wait(gate, 0, 0);
const now = new Date(workerData.now);
const lease = { owner: workerData.owner, holder: workerData.owner, ttlMs: 60000 };
const claims = workerData.months.map((period) =>
  ledger.claim({ payerAccountId: '111111111111', period, trigger: 'schedule', reprocess: false, dryRun: false }, lease, now));
state.close();
parentPort.postMessage(claims);
`;

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nr-claim-threads-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function claimer(owner: string, files: { database: string; ledger: string; worker: string }, gate: SharedArrayBuffer, ready: () => void): Promise<RunClaim[]> {
  const worker = new Worker(pathToFileURL(files.worker), {
    workerData: { ...files, path: join(dir, 'state.db'), gate, owner, months: MONTHS, now: '2026-11-03T06:00:00.000Z' },
  });
  return new Promise((done, fail) => {
    worker.on('message', (message: 'ready' | RunClaim[]) => (message === 'ready' ? ready() : done(message)));
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`worker ${owner} exited with ${code} before answering`)));
  });
}

describe('SqliteRunLedger.claim() from two threads at once', () => {
  it('gives each month to exactly one of them, the other told it is held', async () => {
    const out = join(dir, 'js');
    const files = {
      ledger: pathToFileURL(await transpile(join(SRC, 'store/run-ledger.store.ts'), out)).href,
      database: pathToFileURL(join(out, 'store/database.js')).href,
      worker: join(dir, 'worker.mjs'),
    };
    await writeFile(files.worker, WORKER);
    openStateDatabase(join(dir, 'state.db')).close();

    const gate = new SharedArrayBuffer(4);
    let waiting = 2;
    const open = (): void => {
      waiting -= 1;
      if (waiting > 0) return;
      Atomics.store(new Int32Array(gate), 0, 1);
      Atomics.notify(new Int32Array(gate), 0);
    };
    const [a, b] = await Promise.all([claimer('owner-a', files, gate, open), claimer('owner-b', files, gate, open)]);

    const kinds = MONTHS.map((_, i) => [a?.[i]?.kind, b?.[i]?.kind].sort());
    expect(kinds).toEqual(MONTHS.map(() => ['claimed', 'held']));
    const state = openStateDatabase(join(dir, 'state.db'));
    const rows = state.db.prepare<[], { period: string; n: number }>('SELECT period, count(*) AS n FROM runs GROUP BY period ORDER BY period').all();
    state.close();
    expect(rows).toEqual(MONTHS.map((period) => ({ period, n: 1 })));
  });
});
