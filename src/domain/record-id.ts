/**
 * Stable record ids (CONNECT.md: same input → same id). A readable prefix plus a
 * 48-bit hash of the full key, so ids stay unique whatever characters the CUR puts
 * in product codes and usage types.
 */

/**
 * 12 hex digits of a 64-bit hash of `text` built from two FNV-1a 32 passes with
 * different offsets (32-bit integer arithmetic: fast on the hot path).
 */
export function keyHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (a >>> 13);
  }
  return ((a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0')).slice(0, 12);
}

export interface RecordKey {
  payerAccountId: string;
  period: string;
  accountId: string;
  billingEntity: string;
  productCode: string;
  usageType: string;
}

/** Keeps ids to letters, digits and dashes. */
function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
}

/** Id of a usage record. */
export function usageRecordId(key: RecordKey): string {
  const full = [key.payerAccountId, key.period, key.accountId, key.billingEntity, key.productCode, key.usageType].join('\u0000');
  return `${key.period}-${key.accountId}-${slug(key.productCode) || 'none'}-${keyHash(full)}`;
}

/** Id of an account's support record. */
export function supportRecordId(payerAccountId: string, period: string, accountId: string): string {
  return `${period}-${accountId}-support-${keyHash([payerAccountId, period, accountId, 'support'].join('\u0000'))}`;
}

/**
 * Id of a custom line's or credit's record (MARGIN.md §4):
 * `<payer>-<period>-<account>-line-<id>`, stable across runs and versions (a
 * line id is letters, digits, `-` and `_`, and is never reused).
 */
export function lineRecordId(payerAccountId: string, period: string, accountId: string, lineId: string): string {
  return `${payerAccountId}-${period}-${accountId}-line-${lineId}`;
}
