/**
 * Just enough multipart/form-data (RFC 7578) for the sandbox's usage file
 * upload: reads the raw body and splits it into parts with their field name,
 * file name, content type and bytes. No library: the sandbox runs on Node alone.
 */
import { BodyError } from './http.util.js';

/** One part of a multipart body. */
export interface MultipartPart {
  /** The form field (`name` of `Content-Disposition`). */
  name: string;
  /** `filename` of `Content-Disposition`, when the part is a file. */
  fileName?: string;
  /** The part's `Content-Type`, when given. */
  contentType?: string;
  data: Buffer;
}

/** Whether a `Content-Type` header announces multipart/form-data. */
export function isMultipart(contentType: string | undefined): boolean {
  return /^\s*multipart\/form-data\s*(;|$)/i.test(contentType ?? '');
}


const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Splits a multipart/form-data body by the boundary of `contentType`. Throws
 * `BodyError` (answered 400) when the boundary is missing or the body is not
 * well formed (no closing delimiter, a part without headers or without a name).
 */
export function parseMultipart(body: Buffer, contentType: string): MultipartPart[] {
  const boundary = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const token = boundary?.[1] ?? boundary?.[2];
  if (token === undefined) throw new BodyError('multipart/form-data without a boundary');
  const delimiter = Buffer.from(`--${token}`);
  const next = Buffer.from(`\r\n--${token}`);

  let at = body.indexOf(delimiter);
  if (at < 0) throw new BodyError('multipart body without its boundary');
  at += delimiter.length;
  const parts: MultipartPart[] = [];
  for (;;) {
    if (body.subarray(at, at + 2).toString() === '--') return parts;
    if (!body.subarray(at, at + 2).equals(CRLF)) throw new BodyError('multipart delimiter not followed by CRLF');
    const headerEnd = body.indexOf(HEADER_END, at + 2);
    if (headerEnd < 0) throw new BodyError(`multipart part ${parts.length + 1} has no header end`);
    const end = body.indexOf(next, headerEnd + HEADER_END.length);
    if (end < 0) throw new BodyError(`multipart part ${parts.length + 1} has no closing boundary`);
    const headers = body.subarray(at + 2, headerEnd).toString('utf8');
    parts.push({ ...readPartHeaders(headers, parts.length + 1), data: Buffer.from(body.subarray(headerEnd + HEADER_END.length, end)) });
    at = end + next.length;
  }
}

function readPartHeaders(text: string, index: number): Omit<MultipartPart, 'data'> {
  const headers = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const disposition = headers.get('content-disposition') ?? '';
  if (!/^form-data\s*(;|$)/i.test(disposition)) throw new BodyError(`multipart part ${index} is not form-data`);
  const name = dispositionParam(disposition, 'name');
  if (name === undefined) throw new BodyError(`multipart part ${index} has no field name`);
  const part: Omit<MultipartPart, 'data'> = { name };
  const fileName = dispositionParam(disposition, 'filename');
  if (fileName !== undefined) part.fileName = fileName;
  const contentType = headers.get('content-type');
  if (contentType !== undefined) part.contentType = contentType;
  return part;
}

/** A `Content-Disposition` parameter, quoted (`\"` escapes and `%22` as browsers and axios write it) or bare. */
function dispositionParam(disposition: string, key: string): string | undefined {
  const match = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i').exec(disposition);
  if (!match) return undefined;
  const quoted = match[1];
  if (quoted !== undefined) return quoted.replace(/\\(.)/g, '$1').replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n');
  return match[2];
}
