/**
 * How the sandbox platform judges an uploaded usage workbook (CONNECT.md "The
 * workbook"): an .xlsx whose `usage_records` and `categories` sheets are found
 * by name, the records header in the platform's order (custom columns may
 * follow), every `amount` a number, every `quantity` filled, at least one
 * category. The verdict is the file's `error_detail` when it is `invalid`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readUsageWorkbook, type UsageWorkbookContent } from '../adapters/workbook/usage-workbook.reader.js';

/** The records sheet the sandbox reads (`records` is *unverified* on the real platform, so not accepted here). */
export const USAGE_RECORDS_SHEET = 'usage_records';

/** The records header the platform expects, in order; custom columns (`v.*`) may follow. */
export const USAGE_RECORD_COLUMNS = [
  'record_id',
  'record_note',
  'item_search_criteria',
  'item_search_value',
  'amount',
  'quantity',
  'start_time_utc',
  'end_time_utc',
  'asset_search_criteria',
  'asset_search_value',
  'item_name',
  'item_mpn',
  'item_precision',
  'item_unit',
  'category_id',
  'asset_recon_id',
  'tier',
] as const;

/** What an upload was found to be: its content when readable, and why it is invalid (undefined: valid). */
export interface WorkbookVerdict {
  content?: UsageWorkbookContent;
  errorDetail?: string;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** At most this many problems are named in `error_detail`. */
const MAX_PROBLEMS = 5;

/** Why `content` is not a valid usage workbook, or undefined when it is. Pure. */
export function workbookProblems(content: UsageWorkbookContent): string | undefined {
  const problems: string[] = [];
  const expected = USAGE_RECORD_COLUMNS.join(', ');
  const column = USAGE_RECORD_COLUMNS.findIndex((name, i) => content.header[i] !== name);
  if (column >= 0) {
    const found = content.header[column];
    problems.push(`${USAGE_RECORDS_SHEET}: column ${column + 1} is ${found === undefined || found === '' ? 'missing' : `"${found}"`}, expected "${USAGE_RECORD_COLUMNS[column]}" (the header must begin with ${expected})`);
  } else {
    content.records.forEach((record, i) => {
      const which = `${USAGE_RECORDS_SHEET}: record ${i + 1} (${record.record_id === '' ? 'no record_id' : record.record_id})`;
      if (!NUMBER.test(record.amount ?? '')) problems.push(`${which}: amount "${record.amount ?? ''}" is not a number`);
      if ((record.quantity ?? '') === '') problems.push(`${which}: quantity is empty`);
    });
  }
  if (content.categories.length === 0) problems.push('categories: the sheet has no category rows');
  if (problems.length === 0) return undefined;
  const more = problems.length > MAX_PROBLEMS ? ` (and ${problems.length - MAX_PROBLEMS} more)` : '';
  return `${problems.slice(0, MAX_PROBLEMS).join('; ')}${more}`;
}

/**
 * Reads uploaded bytes with the project's workbook reader (through a temporary
 * file, removed afterwards) and judges them. A file that is not an .xlsx, or
 * lacks a sheet, is invalid with the reader's reason, naming `fileName`
 * instead of the temporary path.
 */
export async function checkWorkbook(bytes: Uint8Array, fileName: string): Promise<WorkbookVerdict> {
  const dir = await mkdtemp(join(tmpdir(), 'sandbox-usage-'));
  const path = join(dir, 'upload.xlsx');
  try {
    await writeFile(path, bytes);
    const content = await readUsageWorkbook(path, USAGE_RECORDS_SHEET);
    const errorDetail = workbookProblems(content);
    return errorDetail === undefined ? { content } : { content, errorDetail };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { errorDetail: message.split(path).join(fileName) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
