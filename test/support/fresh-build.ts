/**
 * The sources under test compiled as `npm run build` compiles them (tsc with
 * tsconfig.build.json), for tests that run the CLI as a separate process: never
 * a `dist/` left from an older checkout, and nothing written into the repo.
 *
 * The output lives in `node_modules/.cache/native-rating-build/<key>/`, `key` a
 * hash of every file under src/, both tsconfigs, package.json and the
 * TypeScript version: unchanged sources reuse the last build (no compile), any
 * change builds again. Each build goes to its own temporary folder, renamed into
 * place when complete, so two test runs at once never see half a build or
 * overwrite each other's; a lock file makes the second one wait for the first's
 * build instead of compiling the same thing beside it. The folder holds a copy of package.json (Node reads
 * `"type": "module"` there: the search for it stops at node_modules) and links
 * to the bundled `config/` and `fixtures/`, so it is laid out like the package.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (where package.json is). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE = join(REPO, 'node_modules', '.cache', 'native-rating-build');
/** Builds not used for this long are removed (ms). */
const STALE_MS = 24 * 3_600_000;

let building: Promise<FreshBuild> | undefined;

/** A compiled copy of the package. */
export interface FreshBuild {
  /** Its folder: `<root>/src/cli/main.js` is the bin. */
  root: string;
  /** The bin (`native-rating`), to run with `process.execPath`. */
  bin: string;
  /** False when the build was already there (nothing compiled). */
  compiled: boolean;
  /** Time spent here, in ms (hashing, plus compiling when `compiled`). For reports only, never asserted. */
  tookMs: number;
}

/** The build of the current sources: reused when they have not changed, compiled otherwise (once per test file). */
export function freshBuild(): Promise<FreshBuild> {
  building ??= build();
  return building;
}

async function build(): Promise<FreshBuild> {
  const started = performance.now();
  const key = await sourceKey();
  const root = join(CACHE, key);
  const result = (compiled: boolean): FreshBuild => ({ root, bin: join(root, 'src', 'cli', 'main.js'), compiled, tookMs: Math.round(performance.now() - started) });
  await mkdir(CACHE, { recursive: true });
  await prune(key);
  if (existsSync(root)) {
    const now = new Date();
    await utimes(root, now, now); // in use: not stale
    return result(false);
  }
  const compiled = await oneAtATime(join(CACHE, `${key}.lock`), root, () => compileInto(root));
  return result(compiled);
}

/**
 * Runs `work` unless `root` appears meanwhile, one process at a time (test files
 * of one run, or two runs, needing the same build compile it once). The lock
 * only saves work: the build is correct without it (see `compileInto`), so a
 * lock left by a killed process is taken over, and the wait is a plain poll.
 * True when `work` ran.
 */
async function oneAtATime(lock: string, root: string, work: () => Promise<void>): Promise<boolean> {
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (existsSync(root)) return false;
    const holder = Number(await readFile(lock, 'utf8').catch(() => ''));
    if (holder > 0 && !alive(holder)) {
      await rm(lock, { force: true });
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  try {
    if (existsSync(root)) return false;
    await work();
    return true;
  } finally {
    await rm(lock, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Compiles into a temporary folder renamed to `root` when complete: never half a build at `root`. */
async function compileInto(root: string): Promise<void> {
  const work = await mkdtemp(join(CACHE, 'tmp-'));
  try {
    await compile(work);
    await copyFile(join(REPO, 'package.json'), join(work, 'package.json'));
    for (const bundled of ['config', 'fixtures']) await symlink(join(REPO, bundled), join(work, bundled), 'dir');
    try {
      await rename(work, root);
    } catch (error) {
      // Another run finished the same build first: same sources, same output; use theirs.
      if (!existsSync(root)) throw error;
      await rm(work, { recursive: true, force: true });
    }
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}

/** tsc with tsconfig.build.json, src/ only, into `out`. Types are not checked here: `npm test` checks them first. */
async function compile(out: string): Promise<void> {
  const tsconfig = join(out, 'tsconfig.json');
  await writeFile(tsconfig, JSON.stringify({
    extends: join(REPO, 'tsconfig.build.json'),
    compilerOptions: { rootDir: REPO, outDir: out },
    include: [join(REPO, 'src')],
  }));
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  const { code, output } = await run(process.execPath, [tsc, '-p', tsconfig, '--noCheck']);
  await rm(tsconfig);
  if (code !== 0) throw new Error(`tsc -p tsconfig.build.json (into ${relative(REPO, out)}) failed with status ${code}:\n${output}`);
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => void (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (output += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, output }));
  });
}

/** A hash of everything the build's output depends on. */
async function sourceKey(): Promise<string> {
  const hash = createHash('sha256');
  const inputs = [...(await filesUnder(join(REPO, 'src'))), ...['tsconfig.json', 'tsconfig.build.json', 'package.json', 'node_modules/typescript/package.json'].map((f) => join(REPO, f))];
  for (const file of inputs) {
    hash.update(relative(REPO, file)).update('\0').update(await readFile(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(entries.map(async (e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [])));
  return files.flat().sort();
}

/** Removes builds unused for a day and temporary folders a killed run left (also a day: a build in progress is minutes old). */
async function prune(keep: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(CACHE)) {
    if (name === keep) continue;
    const path = join(CACHE, name);
    const info = await stat(path).catch(() => undefined);
    if (info && now - info.mtimeMs > STALE_MS) await rm(path, { recursive: true, force: true });
  }
}
