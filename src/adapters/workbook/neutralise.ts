/**
 * Spreadsheet formula neutralisation (OWASP "CSV injection"). Text that reaches a
 * cell from the CUR (service names, ids, category names) must stay text: a value
 * that a spreadsheet, or a CSV export of the sheet, could take for a formula gets
 * a leading single quote.
 */

/** First characters that make a spreadsheet treat text as a formula or DDE call. */
const FORMULA_TRIGGERS: ReadonlySet<string> = new Set(['=', '+', '-', '@', '\t', '\r']);

/**
 * Returns `text` unchanged, or prefixed with `'` when it begins with `=`, `+`,
 * `-`, `@`, tab or carriage return. Empty text stays empty. Pure; applied to
 * every text cell the workbook writer produces.
 */
export function neutralise(text: string): string {
  const first = text.charAt(0);
  return FORMULA_TRIGGERS.has(first) ? `'${text}` : text;
}
