/**
 * The platform's published contract as a test oracle: CloudBlue's own OpenAPI
 * description (fixtures/connect-openapi/, the parts the project uses, copied
 * unchanged from v37) judges each call the platform client sends and each
 * answer the sandbox gives. Validation is openapi-backend's (Ajv underneath);
 * this file adds only what OpenAPI cannot express: RQL queries, whose fields
 * and operators are checked against the filters the description documents
 * ("**lookups:** eq, in, ..." and "**ordering:** true" in each parameter).
 */
import { readFileSync } from 'node:fs';
import addFormats from 'ajv-formats';
import { OpenAPIBackend, type Operation } from 'openapi-backend';
import { parseRql, type RqlArg, type RqlTerm } from '../../src/sandbox/rql.js';
import type { ApiExchange } from '../../src/sandbox/platform.server.js';

const SUBSET = new URL('../../fixtures/connect-openapi/connect-openapi-v37.subset.json', import.meta.url);

/** One call to judge: what a client sent and (optionally) what it got back. */
export interface ContractCall {
  method: string;
  /** Relative to the API base (`/usage/files/UF-1`), not decoded. */
  path: string;
  /** Raw query string without `?`. */
  query?: string;
  headers?: Record<string, string | string[] | undefined>;
  /** The JSON body sent (undefined: none). */
  body?: unknown;
  /** Field names of a multipart body. */
  multipartFields?: string[];
  status?: number;
  /** The JSON answer. */
  response?: unknown;
}

interface QueryParamDoc {
  lookups?: string[];
  ordering: boolean;
}

const RQL_PIECE = /^[a-z_]+(\(|%28)/i;
const LOGIC = new Set(['and', 'or', 'not']);

/**
 * A known defect of the description itself (it is generated from the
 * platform's serializers and says a few things no client or SDK could live
 * with). A problem it matches is not a violation; `present` proves from the
 * description that the defect is still there, so a newer description that
 * fixes it fails the oracle's own test and the erratum is removed.
 */
export interface Erratum {
  /** The description's words, and why the real API cannot be so. */
  why: string;
  /** Matches a problem text as `checkRequest`/`checkResponse` word it. */
  problem: RegExp;
  present(definition: Definition): boolean;
}

type Definition = { components: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>>; required?: string[] }> } };
const schemaOf = (d: Definition, name: string) => d.components.schemas[name];

/** The description's own defects the oracle tolerates, each proven present by `present`. */
export const ERRATA: readonly Erratum[] = [
  {
    why: 'dp.TierConfigRequestRead says `params` is a string; a tier configuration request carries a list of parameters (CONNECT.md, the official SDKs, and the same description\'s PUT body)',
    problem: /^GET \/tier\/config-requests(\/[^ ]+)? → 200: (\/\d+)?\/params must be string/,
    present: (d) => schemaOf(d, 'dp.TierConfigRequestRead')?.properties?.params?.type === 'string',
  },
  {
    why: 'dp.Subscription says `params` is a list of lists; an asset carries a list of parameter objects (CONNECT.md, the official SDKs, and dp.Subscription* request shapes)',
    problem: /^GET \/assets(\/[^ ]+)? → 200: (\/\d+)?\/params\/\d+ must be array/,
    present: (d) => (schemaOf(d, 'dp.Subscription')?.properties?.params as { items?: { type?: string } } | undefined)?.items?.type === 'array',
  },
  {
    why: 'dp.TierConfiguration types `tier_level` as a string whose enum is the numbers 1 and 2: no value is both; the platform answers the level as 1 or 2',
    problem: /^GET \/tier\/(config-requests|configs)(\/[^ ]+)? → 200: (\/\d+)?(\/(configuration|parent_configuration))?\/tier_level must be equal to one of the allowed values/,
    present: (d) => {
      const level = schemaOf(d, 'dp.TierConfiguration')?.properties?.tier_level as { type?: string; enum?: unknown[] } | undefined;
      return level?.type === 'string' && (level.enum ?? []).every((v) => typeof v === 'number');
    },
  },
  {
    why: 'PUT /tier/config-requests/{id} reuses dp.TierConfigRequestCreate, which requires `configuration`; an update sends only `params` (CONNECT.md; the official SDKs update params alone)',
    problem: /^PUT \/tier\/config-requests\/[^ ]+: \/requestBody must have required property 'configuration'/,
    present: (d) => (schemaOf(d, 'dp.TierConfigRequestCreate')?.required ?? []).includes('configuration'),
  },
];

/** Drops from every `required` list the properties that are `readOnly` (requests) or `writeOnly` (answers), as OpenAPI 3.0 means them. */
function withoutRequired(node: unknown, flag: 'readOnly' | 'writeOnly'): unknown {
  if (Array.isArray(node)) return node.map((n) => withoutRequired(n, flag));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = withoutRequired(value, flag);
  const props = out.properties as Record<string, Record<string, unknown>> | undefined;
  if (Array.isArray(out.required) && props) out.required = (out.required as string[]).filter((name) => props[name]?.[flag] !== true);
  return out;
}

async function backend(definition: unknown): Promise<OpenAPIBackend> {
  // quick: the description's `$ref` siblings (`readOnly`) fail a strict OpenAPI
  // schema check, which is about the document, not about the calls.
  const api = new OpenAPIBackend({
    definition: definition as never,
    quick: true,
    strict: true,
    validate: true,
    ajvOpts: { strict: false, allErrors: true },
    customizeAjv: (ajv: Parameters<typeof addFormats.default>[0]) => {
      addFormats.default(ajv);
      // The description writes `format: datetime` where it means date-time.
      ajv.addFormat('datetime', (ajv as unknown as { formats: Record<string, unknown> }).formats['date-time'] as never);
      return ajv;
    },
  });
  await api.init();
  return api;
}

/** The contract: build once per test file with `await ConnectContract.load()`. */
export class ConnectContract {
  private constructor(
    private readonly api: OpenAPIBackend,
    private readonly answers: OpenAPIBackend,
    readonly definition: Definition,
  ) {}

  static async load(): Promise<ConnectContract> {
    const definition = JSON.parse(readFileSync(SUBSET, 'utf8')) as Definition;
    return new ConnectContract(await backend(withoutRequired(definition, 'readOnly')), await backend(withoutRequired(definition, 'writeOnly')), definition);
  }

  /** The erratum a problem text matches, if any. */
  erratumOf(problem: string): Erratum | undefined {
    return ERRATA.find((e) => e.problem.test(problem));
  }

  /** The operation id of a call, or undefined when the description has no such path and method. */
  operationOf(method: string, path: string): string | undefined {
    return this.match(method, path)?.operationId;
  }

  /** What is wrong with the request side of a call (empty: it is what the API accepts). */
  checkRequest(call: ContractCall): string[] {
    const what = `${call.method} ${call.path}`;
    const operation = this.match(call.method, call.path);
    if (!operation) return [`${what}: the API has no such operation`];
    const problems: string[] = [];
    const { plain, rql } = splitQuery(call.query ?? '');
    const docs = queryDocs(operation);
    for (const term of rql) problems.push(...checkRql(term, docs).map((p) => `${what}: query ${p}`));
    for (const [key] of plain) {
      const doc = docs.get(key);
      if (doc?.lookups !== undefined && !doc.lookups.includes('eq')) problems.push(`${what}: query ${key}=...: the filter has no eq lookup`);
    }
    const hasJsonBody = call.body !== undefined;
    const contentType = call.multipartFields !== undefined ? 'multipart/form-data' : hasJsonBody ? 'application/json' : undefined;
    const declared = operation.requestBody && 'content' in operation.requestBody ? Object.keys(operation.requestBody.content ?? {}) : [];
    if (contentType !== undefined && declared.length > 0 && !declared.includes(contentType)) {
      problems.push(`${what}: body sent as ${contentType}, the API takes ${declared.join(' or ')}`);
    }
    if (call.multipartFields !== undefined) {
      const schema = (operation.requestBody as { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } | undefined)?.content?.['multipart/form-data']?.schema;
      for (const field of call.multipartFields) if (!schema?.properties?.[field]) problems.push(`${what}: multipart field ${field} is not one the API reads`);
    }
    const request = {
      method: call.method.toLowerCase(),
      path: call.path,
      query: Object.fromEntries(plain),
      headers: { ...(contentType ? { 'content-type': contentType } : {}) },
      ...(hasJsonBody ? { body: call.body } : {}),
    };
    const result = this.api.validator.validateRequest(request as never, operation);
    for (const error of result.errors ?? []) {
      // A body the operation does not describe is judged by the content-type check above.
      if (error.instancePath === '' && error.keyword === 'required' && error.params?.missingProperty === 'requestBody' && !hasJsonBody) continue;
      problems.push(`${what}: ${error.instancePath || '(request)'} ${error.message ?? error.keyword}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`);
    }
    return problems;
  }

  /** What is wrong with the answer of a call (empty: the API could give it). 4xx and 5xx answers are not judged. */
  checkResponse(call: ContractCall): string[] {
    const what = `${call.method} ${call.path} → ${call.status ?? '?'}`;
    const operation = this.match(call.method, call.path);
    if (!operation) return [`${call.method} ${call.path}: the API has no such operation`];
    const status = call.status ?? 200;
    if (status >= 400) return [];
    const codes = Object.keys(operation.responses ?? {});
    const documented = codes.filter((c) => /^2\d\d$/.test(c));
    if (!codes.includes(String(status))) return [`${what}: the API answers ${documented.join(' or ')}, not ${status}`];
    const content = (operation.responses?.[String(status)] as { content?: Record<string, unknown> } | undefined)?.content;
    if (content === undefined) return call.response === undefined ? [] : [`${what}: the API answers no body, the sandbox sent one`];
    if (call.response === undefined) return [`${what}: the API answers a body, none was sent`];
    const result = this.answers.validator.validateResponse(call.response, this.answers.router.getOperation(operation.operationId ?? '') ?? operation, status);
    return (result.errors ?? []).slice(0, 10).map((e: { instancePath?: string; message?: string; keyword: string; params?: unknown }) => `${what}: ${e.instancePath || '(body)'} ${e.message ?? e.keyword}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  }

  /** Both sides; a call refused with 4xx is judged on its request only. */
  check(call: ContractCall): string[] {
    return [...this.checkRequest(call), ...this.checkResponse(call)];
  }

  private match(method: string, path: string): Operation | undefined {
    return this.api.router.matchOperation({ method: method.toLowerCase(), path, headers: {} } as never);
  }
}

/** Records every sandbox exchange and judges it: pass `recorder.onExchange` to `startSandbox`. */
export class ContractRecorder {
  readonly exchanges: ApiExchange[] = [];
  constructor(private readonly contract: ConnectContract) {}

  readonly onExchange = (exchange: ApiExchange): void => {
    this.exchanges.push(exchange);
  };

  /** Every problem of every recorded call, errata left out; injected faults are judged on their request only. */
  violations(): string[] {
    return this.problems().filter((p) => this.contract.erratumOf(p) === undefined);
  }

  /** The errata the recorded calls met (each once). */
  errataMet(): Erratum[] {
    return [...new Set(this.problems().map((p) => this.contract.erratumOf(p)).filter((e): e is Erratum => e !== undefined))];
  }

  private problems(): string[] {
    return this.exchanges.flatMap((x) => (x.injected ? this.contract.checkRequest(x) : this.contract.check(x)));
  }

  /** The operations seen, as `METHOD operationId` of the description. */
  operations(): string[] {
    return [...new Set(this.exchanges.map((x) => `${x.method} ${this.contract.operationOf(x.method, x.path) ?? x.path}`))];
  }
}

/** Splits a raw query into plain `key=value` pairs (decoded) and RQL terms. */
export function splitQuery(raw: string): { plain: Array<[string, string]>; rql: RqlTerm[] } {
  const plain: Array<[string, string]> = [];
  const rql: RqlTerm[] = [];
  for (const piece of raw.split('&').filter(Boolean)) {
    if (RQL_PIECE.test(piece)) {
      rql.push(parseRql(piece.includes('(') ? piece : decodeURIComponent(piece), piece.includes('(')));
      continue;
    }
    const eq = piece.indexOf('=');
    const key = decodeURIComponent((eq < 0 ? piece : piece.slice(0, eq)).replace(/\+/g, ' '));
    plain.push([key, eq < 0 ? '' : decodeURIComponent(piece.slice(eq + 1).replace(/\+/g, ' '))]);
  }
  return { plain, rql };
}

/** The documented query parameters of an operation with their RQL lookups and ordering flag. */
function queryDocs(operation: Operation): Map<string, QueryParamDoc> {
  const docs = new Map<string, QueryParamDoc>();
  for (const p of (operation.parameters ?? []) as Array<{ name: string; in: string; description?: string }>) {
    if (p.in !== 'query') continue;
    const lookups = /\*\*lookups:\*\*\s*([^\n]*)/.exec(p.description ?? '')?.[1];
    docs.set(p.name, {
      ...(lookups ? { lookups: lookups.split(',').map((l) => l.trim()).filter(Boolean) } : {}),
      ordering: /\*\*ordering:\*\*\s*true/.test(p.description ?? ''),
    });
  }
  return docs;
}

function checkRql(term: RqlTerm, docs: Map<string, QueryParamDoc>): string[] {
  if (LOGIC.has(term.op)) return term.args.flatMap((a) => (isTerm(a) ? checkRql(a, docs) : [`${term.op}() takes RQL terms`]));
  if (term.op === 'select' || term.op === 'limit') return [];
  if (term.op === 'ordering') {
    return term.args
      .filter((a): a is string => typeof a === 'string')
      .map((a) => a.replace(/^[-+]/, ''))
      .filter((field) => !docs.get(field)?.ordering)
      .map((field) => `ordering(${field}): ${field} is not an ordering field of this list`);
  }
  const field = term.args[0];
  if (typeof field !== 'string') return [`${term.op}() needs a field`];
  const doc = docs.get(field);
  if (doc === undefined) return [`${term.op}(${field},...): ${field} is not a filter of this list`];
  if (doc.lookups !== undefined && !doc.lookups.includes(term.op)) return [`${term.op}(${field},...): ${field} takes ${doc.lookups.join(', ')}, not ${term.op}`];
  return [];
}

function isTerm(arg: RqlArg): arg is RqlTerm {
  return typeof arg === 'object' && !Array.isArray(arg);
}
