/**
 * Spreadsheet formula neutralisation (OWASP "CSV injection"). Text that reaches a
 * cell from the CUR (service names, ids, category names) must stay text: a value
 * that a spreadsheet, or a CSV export of the sheet, could take for a formula gets
 * a leading single quote.
 */

/** First characters that make a spreadsheet treat text as a formula or DDE call: `= + - @`, tab, CR. */
function isFormulaTrigger(code: number): boolean {
  return code === 61 || code === 43 || code === 45 || code === 64 || code === 9 || code === 13;
}

/**
 * Returns `text` unchanged, or prefixed with `'` when it begins with `=`, `+`,
 * `-`, `@`, tab or carriage return. Empty text stays empty. Pure; applied to
 * every text cell the workbook writer produces.
 */
export function neutralise(text: string): string {
  return isFormulaTrigger(text.charCodeAt(0)) ? `'${text}` : text;
}
