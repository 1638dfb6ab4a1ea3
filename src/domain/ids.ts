/**
 * AWS account ids checked before use: an id read from a CUR, a file or the
 * platform goes into output paths, SQL and AWS requests only once it is known
 * to be exactly 12 digits. A bad one is refused naming the value and where it
 * came from. Pure: no I/O.
 */
import { ConnectorError, type ErrorCode, type ProblemLocation } from './errors.js';

const ACCOUNT_ID = /^\d{12}$/;
/** How much of a bad value a message quotes: enough to recognise it, never a wall of text. */
const QUOTED = 40;

/** True for exactly 12 ASCII digits (an AWS account id; payers are accounts too). */
export function isAccountId(value: unknown): value is string {
  return typeof value === 'string' && ACCOUNT_ID.test(value);
}

/** Where an id was read, for the refusal. */
export interface IdOrigin {
  /** For a person: "the CUR of payer 111111111111 for 2026-10 (line_item_usage_account_id)". */
  where: string;
  /** The code of that source's bad input: CUR_INPUT, ASSETS_INVALID, PLATFORM_RESPONSE, ... */
  code: ErrorCode;
  /** Added to the error's location (the value is always added). */
  location?: ProblemLocation;
}

/** A value as a message quotes it: JSON, cut to QUOTED characters. */
export function quoted(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > QUOTED ? `${text.slice(0, QUOTED)}…` : text);
}

/**
 * The value as an account id, or a `ConnectorError` (`origin.code`) naming the
 * value and `origin.where`: "the CUR of payer 1111 for 2026-10: account id
 * "../../etc" is not an AWS account id (12 digits)".
 */
export function accountId(value: unknown, origin: IdOrigin): string {
  if (isAccountId(value)) return value;
  const text = typeof value === 'string' ? value : String(value);
  throw new ConnectorError(origin.code, `${origin.where}: account id ${quoted(value)} is not an AWS account id (12 digits)`, {
    where: { ...origin.location, value: text.slice(0, QUOTED) },
  });
}
