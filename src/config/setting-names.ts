/**
 * How a configuration problem names its setting: the path as an operator reads
 * it (`payers[0].fxRate`), and for a key the schema does not know, the closest
 * one it does ("did you mean marketplaceCurrency?"). A misspelt setting is never
 * ignored: a payer billed in USD because `marketplaceCurency` was not read is a
 * wrong invoice. Pure: schemas and strings in, strings out.
 */
import type { z } from 'zod';

/** `['payers', 0, 'fxRate']` → `payers[0].fxRate`. */
export function settingPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text === '' ? '(top level)' : text;
}

/** The zod 4 definition fields this walk reads. */
interface Def {
  type?: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  valueType?: z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schema inside wrappers (optional, default, prefault, nullable, pipes and transforms). */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let i = 0; i < 20; i++) {
    const def = defOf(current);
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (inner === undefined) return current;
    current = inner;
  }
  return current;
}

/** The keys the object at `path` of `schema` knows, or [] when there is no object there. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const part of path) {
    if (current === undefined) return [];
    const def = defOf(current);
    if (def.type === 'object' && typeof part === 'string') current = def.shape?.[part];
    else if (def.type === 'array' && typeof part === 'number') current = def.element;
    else if (def.type === 'record') current = def.valueType;
    else return [];
    current = current === undefined ? undefined : unwrap(current);
  }
  const def = current === undefined ? undefined : defOf(current);
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** Edit distance (insert, delete, substitute, swap two neighbours), case-insensitive. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min((d[i - 1]?.[j] ?? 0) + 1, (d[i]?.[j - 1] ?? 0) + 1, (d[i - 1]?.[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, (d[i - 2]?.[j - 2] ?? 0) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return d[s.length]?.[t.length] ?? Math.max(s.length, t.length);
}

/**
 * The known key closest to `key`, when it is close enough to be a typo: at most
 * a third of its length away (`fxrate` → `fxRate`, `customMarkupp` →
 * `customMarkup`, `marketplaceCurency` → `marketplaceCurrency`).
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = distance(key, name);
    if (best === undefined || d < best.d) best = { name, d };
  }
  return best !== undefined && best.d <= Math.max(1, Math.floor(key.length / 3)) ? best.name : undefined;
}

/** A setting whose value came from elsewhere than the file (an environment variable): `source` names it (`NAME="value"`). */
export interface SettingSource {
  path: readonly PropertyKey[];
  source: string;
}

const startsWith = (path: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean => prefix.length <= path.length && prefix.every((part, i) => path[i] === part);

/**
 * One line per problem of a failed parse: `file: path: message`, an unknown key
 * named with the closest known one. A problem on a setting of `sources` names
 * that source instead of the file: `NATIVE_RATING_ADMIN_PORT="80a": admin.port must be ...`.
 */
export function issueLines(file: string, schema: z.ZodType, error: z.ZodError, sources: readonly SettingSource[] = []): string[] {
  return error.issues.flatMap((issue) => {
    const from = sources.find((s) => startsWith(issue.path, s.path));
    if (from !== undefined) return [`${from.source}: ${settingPath(issue.path)}${issue.message.startsWith('must ') ? ' ' : ': '}${issue.message}`];
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, issue.path);
      return issue.keys.map((key) => {
        const near = closestKey(key, known);
        return `${file}: ${settingPath([...issue.path, key])}: unknown setting${near ? `; did you mean ${near}?` : known.length > 0 ? ` (known here: ${known.join(', ')})` : ''}`;
      });
    }
    return [`${file}: ${settingPath(issue.path)}: ${issue.message}`];
  });
}
