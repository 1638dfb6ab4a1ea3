/**
 * Stable record ids (CONNECT.md: same input → same id). A readable prefix plus a
 * 64-bit FNV-1a hash of the full key, so ids stay unique whatever characters the
 * CUR puts in product codes and usage types.
 */
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = (1n << 64n) - 1n;

/** 16 hex digits of FNV-1a 64 over the UTF-8 bytes of `text`. */
export function fnv1a64(text: string): string {
  let hash = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME) & MASK;
  }
  return hash.toString(16).padStart(16, '0');
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
  return `${key.period}-${key.accountId}-${slug(key.productCode) || 'none'}-${fnv1a64(full).slice(0, 12)}`;
}

/** Id of an account's support record. */
export function supportRecordId(payerAccountId: string, period: string, accountId: string): string {
  return `${period}-${accountId}-support-${fnv1a64([payerAccountId, period, accountId, 'support'].join('\u0000')).slice(0, 12)}`;
}
