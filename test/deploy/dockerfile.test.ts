/**
 * The image's rules, read from the Dockerfile's text (no Docker engine on this machine):
 * Node 22+, non-root, /data the only writable path and the working folder, the
 * configured paths under /data, the HEALTHCHECK through `healthcheck`, and nothing of
 * the fixtures, benchmarks, tests, sources or sandbox in the runtime image (the demo
 * target has them).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminSchema } from '../../src/config/schema.js';
import { baseImage, copies, effectiveInstructions, environment, execForm, lineage, parseStages, type Stage } from './dockerfile.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const MAIN = '/app/dist/src/cli/main.js';

/** What the runtime image may not hold: only compiled code, package.json and config/ enter it. */
const FORBIDDEN = /(^|\/)(fixtures|bench|test|scripts|src\/sandbox|sandbox|node_modules\/\.cache)(\/|$)/;

function nodeMajor(image: string): number | undefined {
  const m = /^(?:docker\.io\/(?:library\/)?)?node:(\d+)(?:[.-]|$)/.exec(image);
  return m ? Number(m[1]) : undefined;
}

/** Every rule the default (last) stage breaks, one line each; empty when the image is right. */
function runtimeProblems(text: string): string[] {
  const stages = parseStages(text);
  const problems: string[] = [];
  const runtime = stages.at(-1);
  if (runtime === undefined) return ['no FROM'];
  const chain = lineage(stages, runtime);
  const all = effectiveInstructions(stages, runtime);
  const last = (keyword: string) => all.filter((i) => i.keyword === keyword).at(-1);

  // Base images: one Node LTS major (22 or later, even), the same in every stage so native modules built in one run in the other.
  const externals = [...new Set(stages.map((s) => baseImage(stages, s)))];
  for (const image of externals) {
    const major = nodeMajor(image);
    if (major === undefined || major < 22 || major % 2 !== 0) problems.push(`base image ${image}: not an official node image of an LTS line from 22 on`);
  }
  if (new Set(externals.map(nodeMajor)).size > 1) problems.push(`stages on different Node majors: ${externals.join(', ')}`);

  const user = last('USER')?.args.split(':')[0];
  if (user === undefined || user === 'root' || user === '0') problems.push(`runs as ${user ?? 'root (no USER)'}`);
  if (last('WORKDIR')?.args !== '/data') problems.push(`working folder ${last('WORKDIR')?.args ?? '/'} is not /data`);
  const volumes = all.filter((i) => i.keyword === 'VOLUME').flatMap((i) => execForm(i.args) ?? i.args.split(/\s+/));
  if (!volumes.includes('/data')) problems.push('no VOLUME /data');

  const env = environment(stages, runtime);
  if (env.get('NATIVE_RATING_CONFIG') !== '/config/config.json') problems.push(`NATIVE_RATING_CONFIG=${env.get('NATIVE_RATING_CONFIG')}`);
  for (const name of ['NATIVE_RATING_STATE_PATH', 'NATIVE_RATING_OUTPUT_DIR']) {
    if (!env.get(name)?.startsWith('/data/')) problems.push(`${name}=${env.get(name)} is not under /data`);
  }

  const entrypoint = last('ENTRYPOINT');
  if (JSON.stringify(entrypoint && execForm(entrypoint.args)) !== JSON.stringify(['node', MAIN])) problems.push(`ENTRYPOINT ${entrypoint?.args}`);
  const cmd = last('CMD');
  if (JSON.stringify(cmd && execForm(cmd.args)) !== JSON.stringify(['daemon'])) problems.push(`CMD ${cmd?.args}`);

  // The check follows the configured admin host and port: the CLI's healthcheck, nothing hard-coded.
  const health = last('HEALTHCHECK')?.args.replace(/^(--\S+\s+)*/, '');
  const check = health?.startsWith('CMD ') ? health.slice(4).trim() : undefined;
  const checkWords = check === undefined ? [] : (execForm(check) ?? check.split(/\s+/));
  if (JSON.stringify(checkWords.slice(0, 3)) !== JSON.stringify(['node', MAIN, 'healthcheck'])) problems.push(`HEALTHCHECK ${health ?? 'missing'}`);

  // Only /data is given to the node user.
  for (const run of all.filter((i) => i.keyword === 'RUN')) {
    for (const m of run.args.matchAll(/chown\s+(?:-\S+\s+)*(?:node|1000)(?::\S+)?\s+([^&;|]+)/g)) {
      const targets = m[1]!.trim().split(/\s+/);
      if (targets.some((t) => t !== '/data')) problems.push(`line ${run.line}: chown to node of ${targets.join(' ')}`);
    }
    if (/chmod\s+(?:-\S+\s+)*(?:0?777|[0-7]?[0-7][0-7][2367]|a\+w|o\+w)\b/.test(run.args)) problems.push(`line ${run.line}: makes a path world-writable`);
  }

  // What enters the runtime image: from the context only package.json and config/; from the build only node_modules and a pruned dist/src.
  for (const copy of copies(stages, runtime)) {
    for (const source of copy.sources) {
      const path = source.replace(/^\.\//, '').replace(/^\/app\//, '');
      if (FORBIDDEN.test(path)) problems.push(`line ${copy.line}: copies ${source}`);
      if (copy.from === undefined && !['package.json', 'config', 'config/'].includes(path)) problems.push(`line ${copy.line}: copies ${source} from the build context`);
      if (copy.from !== undefined && /^dist\/?$/.test(path)) problems.push(`line ${copy.line}: copies the whole dist/ (dist/bench with it)`);
      if (copy.from !== undefined && /^dist\/src\/?$/.test(path)) {
        const source_ = stages.find((s) => s.name === copy.from);
        const pruned = source_ === undefined ? [] : effectiveInstructions(stages, source_).filter((i) => i.keyword === 'RUN').map((i) => i.args);
        for (const gone of ['dist/src/sandbox', 'dist/src/cli/sandbox.command.js', 'dist/src/cli/demo.command.js']) {
          if (!pruned.some((r) => /\brm\b/.test(r) && r.split(/\s+/).includes(gone))) problems.push(`line ${copy.line}: dist/src from ${copy.from} still holds ${gone}`);
        }
      }
    }
  }

  const demo = stages.find((s) => s.name === 'demo');
  if (demo === undefined) problems.push('no demo target');
  else {
    if (chain.includes(demo)) problems.push('the runtime image is built from the demo target');
    if (!copies(stages, demo).some((c) => c.from === undefined && c.sources.some((s) => /^(\.\/)?fixtures\/?$/.test(s)))) problems.push('the demo target has no fixtures');
  }
  return problems;
}

describe('Dockerfile', () => {
  const stages = parseStages(DOCKERFILE);
  const runtime = stages.at(-1) as Stage;

  it('keeps every rule of the runtime image', () => {
    expect(runtimeProblems(DOCKERFILE)).toEqual([]);
  });

  it('builds the runtime image by default (the last stage) on node:22-slim, as node, in /data', () => {
    expect(runtime.name).toBe('runtime');
    expect(baseImage(stages, runtime)).toBe('node:22-slim');
    expect(effectiveInstructions(stages, runtime).filter((i) => i.keyword === 'USER').at(-1)?.args).toBe('node');
    expect(environment(stages, runtime).get('NATIVE_RATING_STATE_PATH')).toBe('/data/native-rating.db');
    expect(environment(stages, runtime).get('NATIVE_RATING_OUTPUT_DIR')).toBe('/data/runs');
  });

  it('exposes the admin port the config schema defaults to', () => {
    const exposed = effectiveInstructions(stages, runtime).filter((i) => i.keyword === 'EXPOSE').map((i) => Number(i.args.split('/')[0]));
    expect(exposed).toEqual([adminSchema.parse({}).port]);
  });

  it('gives the demo target the whole dist/src and the fixtures, with a writable temporary folder under /data', () => {
    const demo = stages.find((s) => s.name === 'demo')!;
    expect(copies(stages, demo).map((c) => `${c.from ?? 'context'}:${c.sources.join(',')}`)).toEqual(
      expect.arrayContaining(['build:/app/dist/src', 'context:fixtures']),
    );
    expect(environment(stages, demo).get('TMPDIR')).toBe('/data');
    expect(effectiveInstructions(stages, demo).filter((i) => i.keyword === 'USER').at(-1)?.args).toBe('node');
  });

  it('keeps local installs, builds and state out of the build context (.dockerignore)', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', 'dist', 'data', 'out', 'test', 'bench']));
    expect(ignored).not.toEqual(expect.arrayContaining(['fixtures'])); // the demo target copies them
  });
});

describe('runtimeProblems()', () => {
  // Each rule can fail: the real Dockerfile with one line broken yields that rule's problem.
  const broken: Array<[string, (text: string) => string, RegExp]> = [
    ['an older Node', (t) => t.replaceAll('node:22-slim', 'node:20-slim'), /base image node:20-slim/],
    ['root as the user', (t) => t.replace(/USER node\s*$/, 'USER root\n'), /runs as root/],
    ['no USER in the runtime stage', (t) => t.replace(/USER node\s*$/, '\n'), /runs as root/],
    ['another working folder', (t) => t.replace('WORKDIR /data', 'WORKDIR /app'), /working folder \/app/],
    ['the state outside /data', (t) => t.replace('NATIVE_RATING_STATE_PATH=/data/native-rating.db', 'NATIVE_RATING_STATE_PATH=/app/native-rating.db'), /NATIVE_RATING_STATE_PATH=\/app/],
    ['the fixtures in the runtime', (t) => `${t}\nCOPY fixtures /app/fixtures\n`, /copies fixtures/],
    ['the benchmarks in the runtime', (t) => `${t}\nCOPY --from=build /app/dist /app/dist\n`, /whole dist/],
    ['an unpruned dist/src', (t) => t.replace('COPY --from=runtime-files /app/dist/src', 'COPY --from=build /app/dist/src'), /still holds dist\/src\/sandbox/],
    ['sources from the context', (t) => `${t}\nCOPY src /app/src\n`, /copies src from the build context/],
    ['a fixed health URL', (t) => t.replace(`CMD node ${MAIN} healthcheck || exit 1`, `CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz')"]`), /HEALTHCHECK/],
    ['/app given to node', (t) => t.replace('chown node:node /data', 'chown -R node:node /data /app'), /chown to node of \/data \/app/],
    ['a world-writable folder', (t) => t.replace('chown node:node /data', 'chown node:node /data && chmod 1777 /tmp'), /world-writable/],
    ['a shell-form entrypoint', (t) => t.replace(`ENTRYPOINT ["node", "${MAIN}"]`, `ENTRYPOINT node ${MAIN}`), /ENTRYPOINT/],
    ['the demo as the default', (t) => `${t}\nFROM demo AS runtime2\n`, /copies fixtures/],
  ];
  it.each(broken)('finds %s', (_, breakIt, problem) => {
    const text = breakIt(DOCKERFILE);
    expect(text).not.toBe(DOCKERFILE);
    expect(runtimeProblems(text).join('\n')).toMatch(problem);
  });
});
