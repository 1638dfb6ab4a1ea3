/**
 * A dry run's lines file (`--lines <file.json>`, MARGIN.md §4): an array of
 * lines `{ id, kind, assetId | payerAccountId, amount | percent, of, from, to,
 * description }`, a flat credit optionally with `remaining` (its balance
 * before the period). Every value is a string (a JSON number would already be
 * binary floating point). Every problem is listed at once, each naming the
 * file, the line and the value.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseLine, type CustomLine, type LineRules } from '../domain/custom-lines.js';
import { ConnectorError } from '../domain/errors.js';
import { issueLines } from './setting-names.js';

const text = (name: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? undefined : `${name} must be a string${typeof issue.input === 'number' ? ` (quote it: "${String(issue.input)}")` : ''}, not ${JSON.stringify(issue.input)}`) })
    .optional();

/** One line as the file gives it; the rules (kinds, amounts, periods) are checked by `parseLine`. */
export const lineFileEntrySchema = z
  .object({
    id: text('id'),
    kind: text('kind'),
    assetId: text('assetId'),
    payerAccountId: text('payerAccountId'),
    amount: text('amount'),
    percent: text('percent'),
    of: text('of'),
    from: text('from'),
    to: text('to'),
    description: text('description'),
    remaining: text('remaining'),
  })
  .strict();

export const linesFileSchema = z.array(lineFileEntrySchema, { error: 'must be an array of lines ([{ "id": ..., "kind": "fee", ... }])' });

/**
 * Checks the parsed JSON of a lines file: the shape, each line's rules (with
 * `remaining` allowed), and ids given once. Throws CONFIG_INVALID listing
 * every problem as `file: [index] (line "id"): message`.
 */
export function parseLinesFile(file: string, value: unknown, rules: Omit<LineRules, 'allowRemaining'>): CustomLine[] {
  const parsed = linesFileSchema.safeParse(value);
  if (!parsed.success) {
    const lines = issueLines(file, linesFileSchema, parsed.error);
    throw new ConnectorError('CONFIG_INVALID', `lines file has ${lines.length} problem(s):\n  ${lines.join('\n  ')}`, { where: { file } });
  }
  const problems: string[] = [];
  const lines: CustomLine[] = [];
  const seen = new Map<string, number>();
  parsed.data.forEach((entry, index) => {
    const name = entry.id === undefined ? '' : ` (line ${JSON.stringify(entry.id)})`;
    const result = parseLine(entry, { ...rules, allowRemaining: true });
    if (!result.ok) {
      for (const p of result.problems) problems.push(`${file}: [${index}]${name}: ${p.message}`);
      return;
    }
    const earlier = seen.get(result.line.id);
    if (earlier !== undefined) problems.push(`${file}: [${index}]${name}: id ${JSON.stringify(result.line.id)} is already the id of line [${earlier}]`);
    else seen.set(result.line.id, index);
    lines.push(result.line);
  });
  if (problems.length > 0) throw new ConnectorError('CONFIG_INVALID', `lines file has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`, { where: { file, setting: '--lines' } });
  return lines;
}

/** Reads and checks a lines file; CONFIG_INVALID naming the file when it cannot be read or is not JSON. */
export async function loadLinesFile(file: string, rules: Omit<LineRules, 'allowRemaining'>): Promise<CustomLine[]> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ConnectorError('CONFIG_INVALID', `cannot read the lines file ${file}: ${(cause as Error).message}`, { where: { file, setting: '--lines' }, cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(content) as unknown;
  } catch (cause) {
    throw new ConnectorError('CONFIG_INVALID', `the lines file ${file} is not valid JSON: ${(cause as Error).message}`, { where: { file, setting: '--lines' }, cause });
  }
  return parseLinesFile(file, value, rules);
}
