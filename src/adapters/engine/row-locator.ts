/**
 * Finds "the first row at fault" in CSV files by reading them in Node (csv-parse,
 * gunzip for `.gz`). Only runs after something went wrong, so it favours being
 * exact over being fast.
 *
 * Row numbers are DATA row numbers, 1-based: the first record after the header is
 * row 1 (a spreadsheet shows it on line 2). Parquet rows use the same convention.
 */
import { parse } from 'csv-parse';
import { ConnectorError } from '../../domain/errors.js';
import { Money, isDecimalText } from '../../domain/money.js';
import type { CurColumn } from '../../domain/cur.js';
import type { CurRowLocation, Progress, RowTest } from '../../app/ports.js';
import { openCsvText, type CurFile, type FileColumn } from './cur-files.js';
import { PERIOD_COLUMN } from './cur-view-sql.js';

/** Looks at one record; returns the index of the offending column, or undefined. */
export type RecordTest = (record: readonly string[]) => number | undefined;

/** A CSV file to scan, with its header and the test for its records. */
export interface CsvScan {
  file: CurFile;
  columns: FileColumn[];
  test: RecordTest;
}

/** Cancellation and progress of a scan; progress is `{ phase: 'locate', unit: 'bytes' }` about twice a second. */
export interface ScanControl {
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

/** Scans the files in order and returns the first record the test flags. */
export async function firstCsvRow(scans: readonly CsvScan[], control: ScanControl = {}): Promise<CurRowLocation | undefined> {
  const total = scans.reduce((n, s) => n + s.file.bytes, 0);
  let done = 0;
  let last = 0;
  const onBytes = (bytes: number): void => {
    done += bytes;
    const now = Date.now();
    if (control.onProgress && now - last >= 500) {
      last = now;
      control.onProgress({ phase: 'locate', done: Math.min(done, total), total, unit: 'bytes' });
    }
  };
  for (const scan of scans) {
    const hit = await scanFile(scan, onBytes, control.signal);
    if (hit) return hit;
  }
  return undefined;
}

async function scanFile(scan: CsvScan, onBytes: (bytes: number) => void, signal?: AbortSignal): Promise<CurRowLocation | undefined> {
  const text = openCsvText(scan.file, onBytes);
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, relax_quotes: true });
  text.on('error', (error) => parser.destroy(error as Error));
  text.pipe(parser);
  let row = -1; // the header is record 0
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      row += 1;
      if (row === 0) continue;
      if (row % 65536 === 0) signal?.throwIfAborted();
      const index = scan.test(record);
      if (index !== undefined) {
        return { file: scan.file.path, row, column: scan.columns[index]?.name ?? `#${index + 1}`, value: record[index] ?? '' };
      }
    }
    return undefined;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new ConnectorError('CUR_INPUT', `CUR file ${scan.file.path} cannot be read as CSV: ${(error as Error).message}`, {
      where: { file: scan.file.path },
      cause: error,
    });
  } finally {
    text.destroy();
    parser.destroy();
  }
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True when the first 10 characters of `text` are a real `YYYY-MM-DD` calendar date. */
export function isDateText(text: string): boolean {
  const m = DAY.exec(text.slice(0, 10));
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** `YYYY-MM` of a date text (`2023-11-01T00:00:00.000Z`, `2023-1-5`), undefined when it has none. */
export function periodOf(text: string): string | undefined {
  const m = /^(\d{4})[-/](\d{1,2})(?!\d)/.exec(text.trim());
  return m ? `${m[1]}-${m[2]!.padStart(2, '0')}` : undefined;
}

const DECIMAL_38_12_LIMIT = new Money('1e26');

/** True when `text` (trimmed, non-empty) is a decimal that DECIMAL(38, 12) can hold. */
export function isAmountText(text: string): boolean {
  return isDecimalText(text) && new Money(text).abs().lt(DECIMAL_38_12_LIMIT);
}

/**
 * The test for "this value broke the engine's cast": an amount that is not a decimal
 * DECIMAL(38, 12) can hold, a billing period start that is not a date, or exactly the
 * value the engine named (`engineValue`, in case the engine is stricter than this test).
 */
export function badValueTest(index: ReadonlyMap<CurColumn, number>, amountColumns: readonly CurColumn[], engineValue?: string): RecordTest {
  const amounts = amountColumns.map((c) => index.get(c)).filter((i): i is number => i !== undefined);
  const date = index.get(PERIOD_COLUMN);
  return (record) => {
    for (const i of amounts) {
      const v = (record[i] ?? '').trim();
      if (v !== '' && (!isAmountText(v) || v === engineValue)) return i;
    }
    if (date !== undefined) {
      const v = (record[date] ?? '').trim();
      if (v !== '' && (!isDateText(v) || v.slice(0, 10) === engineValue)) return date;
    }
    return undefined;
  };
}

/**
 * The test of `CurSource.locate`: a row of `payer` whose billing period is not
 * `test.period` (an empty or unreadable date counts as "not"), or whose currency
 * code is non-empty and not `USD`.
 */
export function rowTest(index: ReadonlyMap<CurColumn, number>, payer: string, test: RowTest): RecordTest {
  const payerAt = index.get('bill_payer_account_id');
  const periodAt = index.get(PERIOD_COLUMN);
  const currencyAt = index.get('line_item_currency_code');
  return (record) => {
    if (payerAt === undefined || (record[payerAt] ?? '') !== payer) return undefined;
    if (test.kind === 'period-not') {
      if (periodAt === undefined) return undefined;
      return periodOf(record[periodAt] ?? '') === test.period ? undefined : periodAt;
    }
    if (currencyAt === undefined) return undefined;
    const currency = record[currencyAt] ?? '';
    return currency === '' || currency === 'USD' ? undefined : currencyAt;
  };
}
