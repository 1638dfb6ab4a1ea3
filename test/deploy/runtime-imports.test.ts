/**
 * The runtime image leaves out dist/src/sandbox and the two commands that load it
 * (the Dockerfile's runtime-files stage removes them). This proves, on the sources,
 * that every other command still loads: no module kept in the image imports a removed
 * one when it loads (only the CLI's command dispatch loads one, when that command runs),
 * and none reads the fixtures. The imports are the emitted JavaScript's (TypeScript's
 * own transpiler), so type-only imports, which vanish, do not count.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parseStages } from './dockerfile.js';

const ROOT = join(import.meta.dirname, '..', '..');
const PROGRAM = 'src/cli/program.ts';

interface Imports {
  /** Loaded with the module (import and export-from declarations). */
  static: string[];
  /** import() calls: loaded when the code runs. */
  dynamic: string[];
}

const cache = new Map<string, Imports>();

/** A module's relative imports, as project paths of the .ts sources (`src/cli/program.ts`). */
function importsOf(file: string): Imports {
  const known = cache.get(file);
  if (known) return known;
  const js = ts.transpileModule(readFileSync(join(ROOT, file), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: file,
  }).outputText;
  const source = ts.createSourceFile(file, js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const found: Imports = { static: [], dynamic: [] };
  const toSource = (specifier: string): string | undefined =>
    specifier.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), specifier)).replace(/\.js$/, '.ts') : undefined;
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const path = toSource(node.moduleSpecifier.text);
      if (path) found.static.push(path);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg === undefined || !ts.isStringLiteralLike(arg)) throw new Error(`${file}: import() of a computed name: this check cannot follow it`);
      const path = toSource(arg.text);
      if (path) found.dynamic.push(path);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  cache.set(file, found);
  return found;
}

/** Every module reachable from the entry, through static and dynamic imports, except into `stopAt`. */
function reachable(entry: string, stopAt: (file: string) => boolean = () => false): Set<string> {
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file) || stopAt(file)) return;
    seen.add(file);
    const { static: s, dynamic: d } = importsOf(file);
    [...s, ...d].forEach(walk);
  };
  walk(entry);
  return seen;
}

/** What the Dockerfile's runtime-files stage removes from dist/src, as source paths (a folder as a prefix). */
function removedFromRuntime(): string[] {
  const stages = parseStages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const stage = stages.find((s) => s.name === 'runtime-files');
  if (stage === undefined) throw new Error('the Dockerfile has no runtime-files stage');
  return stage.instructions
    .filter((i) => i.keyword === 'RUN' && /^rm\b/.test(i.args))
    .flatMap((i) => i.args.split(/\s+/).filter((w) => w.startsWith('dist/src/') && !w.endsWith('.map')))
    .map((w) => w.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
}

const removed = removedFromRuntime();
const isRemoved = (file: string): boolean => removed.some((r) => file === r || file.startsWith(`${r}/`));
const kept = reachable('src/cli/main.ts', isRemoved);

describe('the runtime image without the sandbox', () => {
  it('removes the whole sandbox and the commands that load it', () => {
    expect(removed).toEqual(expect.arrayContaining(['src/sandbox', 'src/cli/sandbox.command.ts', 'src/cli/demo.command.ts']));
    const sandboxFiles = readdirSync(join(ROOT, 'src/sandbox')).map((f) => `src/sandbox/${f}`);
    expect(sandboxFiles.length).toBeGreaterThan(0);
    expect(sandboxFiles.every(isRemoved)).toBe(true);
  });

  it('sees the sandbox behind the demo and sandbox commands (the walk follows the imports)', () => {
    for (const command of ['src/cli/demo.command.ts', 'src/cli/sandbox.command.ts']) {
      expect([...reachable(command)].some((f) => f.startsWith('src/sandbox/'))).toBe(true);
    }
  });

  it('still holds the daemon, the healthcheck and the month commands', () => {
    for (const command of ['orders.command.ts', 'healthcheck.command.ts', 'rate.command.ts', 'reprocess.command.ts', 'audit.command.ts']) {
      expect(kept).toContain(`src/cli/${command}`);
    }
  });

  it('loads no removed module when another module loads: only the command dispatch imports one, when its command runs', () => {
    const offending = [...kept].flatMap((file) => {
      const { static: s, dynamic: d } = importsOf(file);
      return [...s.filter(isRemoved).map((to) => `${file} imports ${to}`), ...d.filter(isRemoved).filter(() => file !== PROGRAM).map((to) => `${file} import()s ${to}`)];
    });
    expect(offending).toEqual([]);
  });

  it('reads no fixture from the modules it keeps', () => {
    const readers = [...kept].filter((file) => {
      const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022, true);
      let reads = false;
      const visit = (node: ts.Node): void => {
        if (ts.isStringLiteralLike(node) && /^(\.{0,2}\/)?fixtures(\/|$)/.test(node.text)) reads = true;
        ts.forEachChild(node, visit);
      };
      visit(source);
      return reads;
    });
    expect(readers).toEqual([]);
  });
});
