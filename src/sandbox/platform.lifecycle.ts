/**
 * The rules both fulfillment requests and tier configuration requests follow in
 * the sandbox: status transitions, parameter updates, the required-parameter
 * check of an approval. Failures are values (`Problem`), never exceptions.
 */
import type { ConnectParam } from './seed.schema.js';

/** An answer the platform gives as `{"error_code","errors"}` with this HTTP status. */
export interface Problem {
  status: number;
  code: string;
  errors: string[];
}

/** A value, or the problem the platform answers instead. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; problem: Problem };

/**
 * Sandbox error codes (the real platform's codes are *unverified*): AUTH_001 bad
 * API key, NTF_001 not found, VAL_001 malformed body or query, REQ_001 status
 * does not allow the action, REQ_002 unknown template, REQ_003 unknown
 * parameter, REQ_005 required parameter empty.
 */
export function problem(status: number, code: string, ...errors: string[]): { ok: false; problem: Problem } {
  return { ok: false, problem: { status, code, errors } };
}

/** A successful outcome. */
export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

/** One entry of a request's history: a status change or a parameter update, with the body received. */
export interface HistoryEntry {
  at: string;
  /** `update`, `approve`, `fail`, `inquire`, `pend`, `customer-fix`, `tiers-approved`. */
  action: string;
  from: string;
  to: string;
  body: unknown;
}

/**
 * The statuses each action may start from (CONNECT.md: pending→inquiring|failed|approved,
 * inquiring→pending|failed|approved). `pend` is `POST .../pend`: "Sets status
 * pending, only suitable when request is in status inquiring" (the OpenAPI
 * description of /requests/{id}/pend).
 */
export const ALLOWED_FROM: Record<string, string[]> = {
  update: ['pending', 'inquiring'],
  approve: ['pending', 'inquiring'],
  fail: ['pending', 'inquiring'],
  inquire: ['pending'],
  pend: ['inquiring'],
  'customer-fix': ['inquiring'],
};

/** The status each action leads to. */
export const TARGET: Record<string, string | undefined> = {
  update: undefined,
  approve: 'approved',
  fail: 'failed',
  inquire: 'inquiring',
  pend: 'pending',
  'customer-fix': 'pending',
};

/** Whether `action` may run on an object of this status. */
export function checkStatus(kind: string, id: string, status: string, action: string): Outcome<void> {
  const allowed = ALLOWED_FROM[action] ?? [];
  if (allowed.includes(status)) return ok(undefined);
  return problem(400, 'REQ_001', `${kind} ${id} is ${status}: ${action} is allowed only when it is ${allowed.join(' or ')}.`);
}

interface ParamChange {
  id: string;
  value?: string;
  value_error?: string;
  structured_value?: unknown;
}

/** Reads `[{id, value?, value_error?, structured_value?}]` from a body. */
export function readParamChanges(raw: unknown, where: string): Outcome<ParamChange[]> {
  if (!Array.isArray(raw)) return problem(400, 'VAL_001', `${where}: must be a list of parameters.`);
  const changes: ParamChange[] = [];
  for (const [i, item] of raw.entries()) {
    if (item === null || typeof item !== 'object' || typeof (item as { id?: unknown }).id !== 'string') {
      return problem(400, 'VAL_001', `${where}.${i}: must be an object with a string id.`);
    }
    const p = item as Record<string, unknown>;
    for (const field of ['value', 'value_error'] as const) {
      if (p[field] !== undefined && p[field] !== null && typeof p[field] !== 'string') return problem(400, 'VAL_001', `${where}.${i}.${field}: must be a string.`);
    }
    changes.push({
      id: p.id as string,
      ...(typeof p.value === 'string' ? { value: p.value } : p.value === null ? { value: '' } : {}),
      ...(typeof p.value_error === 'string' ? { value_error: p.value_error } : p.value_error === null ? { value_error: '' } : {}),
      ...(p.structured_value === undefined ? {} : { structured_value: p.structured_value }),
    });
  }
  return ok(changes);
}

/** Merges changes into `params` by id; an unknown id refuses the whole update (nothing changes). */
export function mergeParams(params: ConnectParam[], changes: ParamChange[]): Outcome<void> {
  const unknown = changes.filter((c) => !params.some((p) => p.id === c.id)).map((c) => c.id);
  if (unknown.length > 0) return problem(400, 'REQ_003', ...unknown.map((id) => `Parameter ${id} does not exist.`));
  for (const change of changes) {
    const param = params.find((p) => p.id === change.id) as ConnectParam;
    if (change.value !== undefined) param.value = change.value;
    if (change.value_error !== undefined) param.value_error = change.value_error;
    if (change.structured_value !== undefined) param.structured_value = change.structured_value;
  }
  return ok(undefined);
}

/** Every fulfillment parameter marked `constraints.required` must have a value before approval. */
export function checkRequired(params: ConnectParam[]): Outcome<void> {
  const missing = params.filter((p) => p.phase === 'fulfillment' && p.constraints?.required === true && (p.value ?? '') === '');
  if (missing.length === 0) return ok(undefined);
  return problem(400, 'REQ_005', ...missing.map((p) => `Parameter ${p.id} is required to approve: fill it first (PUT).`));
}
