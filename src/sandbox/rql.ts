/**
 * The list queries of the platform's API, as the sandbox understands them:
 * RQL terms (`and`, `or`, `not`, `eq`, `ne`, `in`, `out`, `like`, `ilike`, `gt`,
 * `ge`, `lt`, `le`, and the `select`, `ordering`, `limit` directives) and plain
 * `field=value` pairs, over dotted fields (arrays on the way are searched
 * element by element). Values may be quoted as CloudBlue's RQL grammar allows
 * (`"a b"` or `'a b'`, so they may hold `,` `(` `)`); `null()` and `empty()`
 * are the null and empty values of `eq`/`ne`. Pure: no I/O.
 */

/** A query the sandbox cannot read (answered with 400). */
export class RqlError extends Error {}

/** An RQL call such as `eq(status,pending)`: the operator and its arguments. */
export interface RqlTerm {
  op: string;
  args: RqlArg[];
}
/** An argument: a nested term, a value, or a value list `(a,b)`. */
export type RqlArg = RqlTerm | string | string[];

/** One list call's query: filters (and-ed), order, page and negative selects. */
export interface ListQuery {
  filters: RqlTerm[];
  ordering: string[];
  limit: number;
  offset: number;
  /** Fields to drop from each item (`select(-field)`). */
  drop: string[];
}

/** Page size when none is given. */
export const DEFAULT_LIMIT = 100;
/** The largest page size; a larger `limit` is cut to it (`Content-Range` tells the client what it got). */
export const MAX_LIMIT = 1000;

const NAME = /^[a-z_]+$/;

/** `eq(field,null())`: the field is absent or null. */
export const NULL_VALUE: RqlTerm = { op: 'null', args: [] };

/** The forms a quote may take in a query (raw, or percent-encoded when values are decoded), by quote character. */
const QUOTE_FORMS: Record<string, string[]> = { '"': ['"', '%22'], "'": ["'", '%27'] };

class Parser {
  private at = 0;
  constructor(
    private readonly text: string,
    private readonly decode: boolean,
  ) {}

  term(): RqlTerm {
    const open = this.text.indexOf('(', this.at);
    const op = open < 0 ? '' : this.text.slice(this.at, open);
    if (!NAME.test(op)) throw new RqlError(`expected an RQL operator at ${this.at} in ${this.text}`);
    this.at = open + 1;
    const args: RqlArg[] = [];
    if (this.peek() === ')') {
      this.at += 1;
      return { op, args };
    }
    for (;;) {
      args.push(this.arg());
      const c = this.peek();
      this.at += 1;
      if (c === ')') return { op, args };
      if (c !== ',') throw new RqlError(`expected , or ) at ${this.at - 1} in ${this.text}`);
    }
  }

  end(): void {
    if (this.at !== this.text.length) throw new RqlError(`unexpected text at ${this.at} in ${this.text}`);
  }

  private peek(): string {
    return this.text[this.at] ?? '';
  }

  private arg(): RqlArg {
    if (this.peek() === '(') {
      this.at += 1;
      const values: string[] = [];
      for (;;) {
        values.push(this.literal());
        const c = this.peek();
        this.at += 1;
        if (c === ')') return values;
        if (c !== ',') throw new RqlError(`expected , or ) in a list at ${this.at - 1} in ${this.text}`);
      }
    }
    const rest = this.text.slice(this.at);
    if (rest.startsWith('null()')) {
      this.at += 'null()'.length;
      return NULL_VALUE;
    }
    if (/^[a-z_]+\(/.test(rest) && !rest.startsWith('empty()')) return this.term();
    return this.literal();
  }

  private literal(): string {
    const quoted = this.quoted();
    if (quoted !== undefined) return quoted;
    if (this.text.startsWith('empty()', this.at)) {
      this.at += 'empty()'.length;
      return '';
    }
    const start = this.at;
    while (this.at < this.text.length && !',()'.includes(this.peek())) this.at += 1;
    const raw = this.text.slice(start, this.at);
    try {
      return this.decode ? decodeURIComponent(raw) : raw;
    } catch {
      throw new RqlError(`bad escape in ${raw}`);
    }
  }

  /** A quoted value (`"..."` or `'...'`, raw or percent-encoded quotes), unquoted; undefined when the value is not quoted. */
  private quoted(): string | undefined {
    const rest = this.text.slice(this.at);
    for (const [quote, forms] of Object.entries(QUOTE_FORMS)) {
      const open = forms.find((f) => (this.decode || f === quote) && rest.startsWith(f));
      if (open === undefined) continue;
      const bodyStart = this.at + open.length;
      const closes = forms
        .filter((f) => this.decode || f === quote)
        .map((f) => ({ at: this.text.indexOf(f, bodyStart), length: f.length }))
        .filter((c) => c.at >= 0);
      if (closes.length === 0) throw new RqlError(`unclosed ${quote} at ${this.at} in ${this.text}`);
      const close = closes.reduce((a, b) => (b.at < a.at ? b : a));
      const raw = this.text.slice(bodyStart, close.at);
      this.at = close.at + close.length;
      try {
        return this.decode ? decodeURIComponent(raw) : raw;
      } catch {
        throw new RqlError(`bad escape in ${raw}`);
      }
    }
    return undefined;
  }
}

/** Parses one RQL expression such as `and(eq(status,pending),in(id,(PR-1,PR-2)))`. */
export function parseRql(text: string, decodeLiterals = false): RqlTerm {
  const parser = new Parser(text, decodeLiterals);
  const term = parser.term();
  parser.end();
  checkShape(term);
  return term;
}

const COMPARISONS = new Set(['eq', 'ne', 'like', 'ilike', 'gt', 'ge', 'lt', 'le', 'in', 'out']);

/** Comparisons take a field and a value (a list for in/out); and/or/not take terms. */
function checkShape(term: RqlTerm): void {
  if (COMPARISONS.has(term.op)) {
    const [field, value, ...rest] = term.args;
    const listOk = term.op === 'in' || term.op === 'out';
    const nullOk = (term.op === 'eq' || term.op === 'ne') && isNullValue(value);
    if (typeof field !== 'string' || value === undefined || rest.length > 0 || (typeof value !== 'string' && !(listOk && Array.isArray(value)) && !nullOk)) {
      throw new RqlError(`${term.op}() takes a field and a ${listOk ? 'list' : 'value'}`);
    }
  } else if (['and', 'or', 'not'].includes(term.op)) {
    if (term.args.length === 0 || (term.op === 'not' && term.args.length !== 1)) throw new RqlError(`${term.op}() needs RQL terms`);
    for (const arg of term.args) {
      if (typeof arg === 'string' || Array.isArray(arg)) throw new RqlError(`${term.op}() takes RQL terms, not ${String(arg)}`);
      checkShape(arg);
    }
  }
}

function isNullValue(arg: RqlArg | undefined): boolean {
  return typeof arg === 'object' && !Array.isArray(arg) && arg.op === NULL_VALUE.op && arg.args.length === 0;
}

/** The values at a dotted path, searching arrays element by element. */
export function valuesAt(item: unknown, path: string): string[] {
  let current: unknown[] = [item];
  for (const key of path.split('.')) {
    const next: unknown[] = [];
    for (const value of current.flatMap((v) => (Array.isArray(v) ? v : [v]))) {
      if (value !== null && typeof value === 'object' && key in value) next.push((value as Record<string, unknown>)[key]);
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== null && typeof v !== 'object').map(String);
}

function text(arg: RqlArg | undefined, op: string): string {
  if (typeof arg !== 'string') throw new RqlError(`${op}() needs a field and a value`);
  return arg;
}

function compare(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

function likeToRegExp(pattern: string, flags: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, flags);
}

/** Whether an item matches a term. */
export function matches(item: unknown, term: RqlTerm): boolean {
  const { op, args } = term;
  const sub = (a: RqlArg): boolean => {
    if (typeof a === 'string' || Array.isArray(a)) throw new RqlError(`${op}() takes RQL terms`);
    return matches(item, a);
  };
  switch (op) {
    case 'and':
      return args.every(sub);
    case 'or':
      return args.some(sub);
    case 'not':
      return !sub(args[0] ?? '');
  }
  const values = valuesAt(item, text(args[0], op));
  const arg = args[1];
  if (isNullValue(arg) && (op === 'eq' || op === 'ne')) return (values.length === 0) === (op === 'eq');
  switch (op) {
    case 'eq':
      return values.includes(text(arg, op));
    case 'ne':
      return !values.includes(text(arg, op));
    case 'in':
    case 'out': {
      const list = Array.isArray(arg) ? arg : [text(arg, op)];
      return values.some((v) => list.includes(v)) === (op === 'in');
    }
    case 'like':
    case 'ilike': {
      const re = likeToRegExp(text(arg, op), op === 'ilike' ? 'i' : '');
      return values.some((v) => re.test(v));
    }
    case 'gt':
      return values.some((v) => compare(v, text(arg, op)) > 0);
    case 'ge':
      return values.some((v) => compare(v, text(arg, op)) >= 0);
    case 'lt':
      return values.some((v) => compare(v, text(arg, op)) < 0);
    case 'le':
      return values.some((v) => compare(v, text(arg, op)) <= 0);
    default:
      throw new RqlError(`unknown RQL operator ${op}()`);
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RqlError(`bad escape in ${text}`);
  }
}

/** Structure raw, values decoded; if that does not parse and the piece has escapes, the whole piece decoded. */
function parseRawOrDecoded(piece: string): RqlTerm {
  try {
    return parseRql(piece, true);
  } catch (error) {
    if (!(error instanceof RqlError) || !piece.includes('%')) throw error;
    return parseRql(safeDecode(piece));
  }
}

/** A plain `field=value` value: unquoted (`"a b"`, `'a b'`); `null()` is the null value, `empty()` the empty string. */
function plainValue(value: string): RqlArg {
  if (value === 'null()') return NULL_VALUE;
  if (value === 'empty()') return '';
  const quoted = /^"([^"]*)"$/.exec(value) ?? /^'([^']*)'$/.exec(value);
  return quoted ? (quoted[1] ?? '') : value;
}

function nonNegative(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw new RqlError(`${name} must be a whole number, not ${value}`);
  return Number(value);
}

/**
 * Reads a raw query string (without `?`): pieces split on `&`; a piece that is an
 * RQL call is parsed with its structure raw and each value percent-decoded (so
 * a value may hold an encoded `(`, `)` or `,`); a piece whose structure itself
 * was encoded is decoded whole first; `limit`, `offset`, `order_by`, `search` are paging and order;
 * any other `field=value` is `eq(field,value)`.
 */
export function parseListQuery(rawQuery: string): ListQuery {
  const query: ListQuery = { filters: [], ordering: [], limit: DEFAULT_LIMIT, offset: 0, drop: [] };
  for (const piece of rawQuery.split('&').filter(Boolean)) {
    let term: RqlTerm | undefined;
    if (/^[a-z_]+\(/.test(piece)) term = parseRawOrDecoded(piece);
    else if (/^[a-z_]+%28/i.test(piece)) term = parseRql(safeDecode(piece));
    if (term === undefined) {
      const eq = piece.indexOf('=');
      const key = safeDecode((eq < 0 ? piece : piece.slice(0, eq)).replace(/\+/g, ' '));
      const value = eq < 0 ? '' : safeDecode(piece.slice(eq + 1).replace(/\+/g, ' '));
      if (key === 'limit') query.limit = nonNegative(value, 'limit');
      else if (key === 'offset') query.offset = nonNegative(value, 'offset');
      else if (key === 'order_by') query.ordering.push(...value.split(',').filter(Boolean));
      else if (key !== 'search') query.filters.push({ op: 'eq', args: [key, plainValue(value)] });
      continue;
    }
    if (term.op === 'select') query.drop.push(...term.args.filter((a): a is string => typeof a === 'string' && a.startsWith('-')).map((a) => a.slice(1)));
    else if (term.op === 'ordering') query.ordering.push(...term.args.filter((a): a is string => typeof a === 'string'));
    else if (term.op === 'limit') {
      query.limit = nonNegative(text(term.args[0], 'limit'), 'limit');
      if (term.args[1] !== undefined) query.offset = nonNegative(text(term.args[1], 'limit'), 'offset');
    } else query.filters.push(term);
  }
  query.limit = Math.min(query.limit, MAX_LIMIT);
  return query;
}

function drop(item: unknown, path: string[]): void {
  if (item === null || typeof item !== 'object') return;
  const [key, ...rest] = path;
  if (key === undefined) return;
  if (Array.isArray(item)) item.forEach((e) => drop(e, path));
  else if (rest.length === 0) delete (item as Record<string, unknown>)[key];
  else drop((item as Record<string, unknown>)[key], rest);
}

/** Filter/ordering field names → dotted paths in the item (e.g. `{ product_id: 'product.id' }`). */
export type FieldAliases = Record<string, string>;

/**
 * The dotted path a query field names: an alias if one is given, else the
 * field with each `__` read as `.` (`asset__product__id` = `asset.product.id`).
 */
export function fieldPath(field: string, aliases: FieldAliases = {}): string {
  const alias = Object.hasOwn(aliases, field) ? aliases[field] : undefined;
  return alias ?? field.replace(/__/g, '.');
}

/** A term with its field names resolved (`fieldPath`), nested terms included. */
export function resolveFields(term: RqlTerm, aliases: FieldAliases = {}): RqlTerm {
  if (COMPARISONS.has(term.op)) {
    const [field, ...rest] = term.args;
    return typeof field === 'string' ? { op: term.op, args: [fieldPath(field, aliases), ...rest] } : term;
  }
  return { op: term.op, args: term.args.map((a) => (typeof a === 'string' || Array.isArray(a) ? a : resolveFields(a, aliases))) };
}

/** One page of a list and its `Content-Range` header value. */
export interface Page<T> {
  items: T[];
  total: number;
  contentRange: string;
}

/**
 * Filters, orders and pages `items` (copies: the stored objects never leak).
 * `Content-Range` is `items <first>-<last>/<total>`; an empty page answers
 * `items 0-0/<total>`, as CloudBlue's own Python client's test mocks do (its
 * parser cannot read `*`). Filter and ordering fields are read through
 * `fieldPath` (aliases, then `__` as `.`).
 */
export function applyListQuery<T>(items: T[], query: ListQuery, aliases: FieldAliases = {}): Page<T> {
  const filters = query.filters.map((f) => resolveFields(f, aliases));
  let selected = items.filter((item) => filters.every((f) => matches(item, f)));
  for (const field of [...query.ordering].reverse()) {
    const desc = field.startsWith('-');
    const path = fieldPath(desc ? field.slice(1) : field.replace(/^\+/, ''), aliases);
    selected = [...selected].sort((a, b) => (desc ? -1 : 1) * compare(valuesAt(a, path)[0] ?? '', valuesAt(b, path)[0] ?? ''));
  }
  const page = selected.slice(query.offset, query.offset + query.limit).map((item) => structuredClone(item));
  for (const item of page) for (const field of query.drop) drop(item, field.split('.'));
  const total = selected.length;
  const contentRange = page.length === 0 ? `items 0-0/${total}` : `items ${query.offset}-${query.offset + page.length - 1}/${total}`;
  return { items: page, total, contentRange };
}
