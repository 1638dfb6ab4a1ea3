/**
 * report.csv: the month for a spreadsheet, one row per customer and service
 * (and one for the support fee and for each custom line or credit), RFC 4180
 * (comma, CRLF, fields quoted when they hold a comma, a quote or a line break),
 * UTF-8 with a byte order mark so a spreadsheet reads names in any script.
 * No total rows: a column sums to the customer's or the payer's total.
 * `cost_note` repeats, on each of a customer's rows, what the CUR cannot tell
 * of its cost (MARGIN.md §1), so a filter keeps it.
 *
 * Amounts are plain decimals (`1234.50`, no grouping, `.` for the point) rounded
 * to the billing currency's decimals, USD to the cent. Text cells (names,
 * services, ids) are neutralised: one that a spreadsheet could take for a
 * formula gets a leading `'` (OWASP "CSV injection"), as in the workbook.
 * Pure: rows from the report's head and accounts, in chunks.
 */
import { neutralise } from '../domain/neutralise.js';
import { currencyDecimals, customerLines, customerName, marginByAccount, objects, roundedText, text, USD_DECIMALS, type Json } from './report-view.js';

/** The columns of report.csv, in order. */
export const REPORT_CSV_COLUMNS = [
  'payer_account_id',
  'period',
  'account_id',
  'asset_id',
  'customer',
  'section',
  'kind',
  'billing_entity',
  'product_code',
  'usage_type',
  'service',
  'currency',
  'billed',
  'aws_cost_usd',
  'billed_usd',
  'margin_usd',
  'margin_percent',
  'record_id',
  'cost_note',
] as const;

const BOM = '\uFEFF';

/** One RFC 4180 field: quoted when it holds a comma, a quote, CR or LF (quotes doubled). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One RFC 4180 record, CRLF-terminated. */
export function csvRecord(values: readonly string[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** A text cell: neutralised so a spreadsheet keeps it text. */
const cell = (value: unknown): string => neutralise(text(value));

/** An amount cell: rounded to `decimals`; '' when missing or not decimal. */
const amount = (value: unknown, decimals: number): string => roundedText(value, decimals) ?? '';

/**
 * report.csv in chunks: the header, then each account's rows (services, then
 * support, then custom lines and credits). `head`: the report without its
 * accounts; `accounts`: the account entries in report order (read once).
 */
export async function* reportCsvChunks(head: Json, accounts: AsyncIterable<Json>): AsyncGenerator<string> {
  const decimals = currencyDecimals(head);
  const margins = marginByAccount(head);
  const payer = cell(head.payerAccountId);
  const period = cell(head.period);
  const currency = cell(head.currency);
  yield `${BOM}${csvRecord(REPORT_CSV_COLUMNS)}`;
  for await (const entry of accounts) {
    const accountId = text(entry.accountId);
    const margin = margins.get(accountId);
    const name = customerName(entry, margin);
    const costNote = cell(text(entry.costNote) || text(margin?.costNote));
    let chunk = '';
    for (const line of customerLines(entry)) {
      chunk += csvRecord([
        payer,
        period,
        cell(accountId),
        cell(entry.assetId),
        cell(name),
        line.section,
        cell(line.kind),
        cell(line.billingEntity),
        cell(line.productCode),
        cell(line.usageType),
        cell(line.note),
        currency,
        amount(line.billed, decimals),
        amount(line.awsCostUsd, USD_DECIMALS),
        amount(line.billedUsd, USD_DECIMALS),
        amount(line.marginUsd, USD_DECIMALS),
        amount(line.marginPercent, 1),
        cell(line.recordId),
        costNote,
      ]);
    }
    if (chunk !== '') yield chunk;
  }
}

/** report.csv of a whole report (its `accounts` in it), as one string. */
export async function reportCsv(report: Json): Promise<string> {
  const entries = objects(report.accounts);
  const accounts = async function* (): AsyncGenerator<Json> {
    yield* entries;
  };
  let csv = '';
  for await (const chunk of reportCsvChunks(report, accounts())) csv += chunk;
  return csv;
}
