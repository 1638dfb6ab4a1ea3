/**
 * A reader of the Dockerfile's text for the deploy tests (no Docker engine runs here):
 * line continuations, comments, stages, the exec (JSON) and shell forms, ENV pairs and
 * COPY flags. Only what the connector's Dockerfile uses: no ARG substitution, no heredocs.
 */

export interface Instruction {
  /** Upper case: FROM, RUN, COPY... */
  keyword: string;
  /** The text after the keyword, continuations joined. */
  args: string;
  /** 1-based line where the instruction starts. */
  line: number;
}

export interface Stage {
  /** The image or stage it starts from. */
  from: string;
  /** Its `AS` name, lower-cased as Docker compares them. */
  name?: string;
  instructions: Instruction[];
}

export function parseInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  let current: { parts: string[]; line: number } | undefined;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    // Comment lines are dropped, also inside a continuation; so are blank lines.
    if (trimmed.startsWith('#') || (trimmed === '' && current === undefined)) return;
    const continued = /\\\s*$/.test(raw);
    const part = continued ? raw.replace(/\\\s*$/, '') : raw;
    if (current === undefined) current = { parts: [], line: i + 1 };
    current.parts.push(part.trim());
    if (!continued) {
      const joined = current.parts.filter((p) => p !== '').join(' ');
      const match = /^(\S+)\s*(.*)$/s.exec(joined);
      if (match) out.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: current.line });
      current = undefined;
    }
  });
  return out;
}

export function parseStages(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of parseInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const as = words.findIndex((w) => w.toLowerCase() === 'as');
      stages.push({ from: words[0]!, ...(as > 0 ? { name: words[as + 1]!.toLowerCase() } : {}), instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** The stage, then the stage it is built FROM, and so on up to an image. */
export function lineage(stages: Stage[], stage: Stage): Stage[] {
  const chain = [stage];
  for (let s = stage; ; ) {
    const parent = stages.find((p) => p.name !== undefined && p.name === s.from.toLowerCase() && stages.indexOf(p) < stages.indexOf(s));
    if (parent === undefined) return chain;
    chain.push(parent);
    s = parent;
  }
}

/** The image a stage finally starts from (`node:22-slim`). */
export function baseImage(stages: Stage[], stage: Stage): string {
  return lineage(stages, stage).at(-1)!.from;
}

/** Every instruction that applies to the stage, oldest first (its ancestors' included). */
export function effectiveInstructions(stages: Stage[], stage: Stage): Instruction[] {
  return lineage(stages, stage)
    .reverse()
    .flatMap((s) => s.instructions);
}

/** The arguments of the exec (JSON) form, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
}

/** Splits on blanks outside quotes, removing the quotes (enough for ENV and COPY arguments). */
function words(args: string): string[] {
  const tokens = args.match(/(?:[^\s"']+|"(?:[^"\\]|\\.)*"|'[^']*')+/g) ?? [];
  return tokens.map((t) => t.replace(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g, (_, d: string | undefined, q: string | undefined) => d ?? q ?? ''));
}

/** The variables the stage's ENV instructions set, ancestors first (later ones win). */
export function environment(stages: Stage[], stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const i of effectiveInstructions(stages, stage).filter((x) => x.keyword === 'ENV')) {
    const parts = words(i.args);
    if (parts.length > 0 && !parts[0]!.includes('=')) {
      env.set(parts[0]!, parts.slice(1).join(' ')); // legacy `ENV KEY value`
    } else {
      for (const pair of parts) env.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
  }
  return env;
}

export interface Copy {
  /** `--from=` (a stage name or an image); undefined: the build context. */
  from?: string;
  sources: string[];
  destination: string;
  line: number;
}

/** The COPY and ADD instructions of the stage and its ancestors. */
export function copies(stages: Stage[], stage: Stage): Copy[] {
  return effectiveInstructions(stages, stage)
    .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
    .map((i) => {
      const parts = execForm(i.args.replace(/^(--\S+\s+)+/, '')) ?? words(i.args.replace(/^(--\S+\s+)+/, ''));
      const from = /--from=(\S+)/.exec(i.args)?.[1];
      return { ...(from ? { from: from.toLowerCase() } : {}), sources: parts.slice(0, -1), destination: parts.at(-1)!, line: i.line };
    });
}
