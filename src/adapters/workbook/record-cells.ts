/**
 * The cells of the usage workbook's records (CONNECT.md "The workbook"): the
 * header, and for each column the connector fills the XML of its cell. Text is
 * neutralised (nothing becomes a formula), amount and quantity are numbers.
 * Text that repeats goes to the shared strings table; `record_id`, unique per
 * record, stays an inline string (sharing it would only grow the file).
 */
import type { WorkbookRecord } from '../../app/ports.js';
import { ConnectorError } from '../../domain/errors.js';
import { isDecimalText, Money } from '../../domain/money.js';
import { neutralise } from '../../domain/neutralise.js';
import type { SharedStrings } from './shared-strings.js';
import { inlineStringTail, numberTail } from './sheet-xml.js';

/** Header of the records sheet, in the order the platform expects, then the custom column. */
export const RECORD_HEADER = [
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
  'v.marketplace_service',
] as const;

/** Columns of the built-in header the connector always leaves empty (they describe an item to create; PR files have no tier). */
const EMPTY_COLUMNS: ReadonlySet<string> = new Set(['item_name', 'item_mpn', 'item_precision', 'item_unit', 'asset_recon_id', 'tier']);
/** The columns the connector fills for every record: kept even when a product's template lacks them. */
const FILLED_COLUMNS = RECORD_HEADER.filter((c) => !EMPTY_COLUMNS.has(c));

/**
 * The records header to write: the built-in `RECORD_HEADER`, or a product
 * template's columns in the template's order followed by the columns the
 * connector fills that the template lacks (the platform reads columns by
 * name). A template column the connector does not know stays empty.
 */
export function recordHeader(columns?: readonly string[]): readonly string[] {
  if (columns === undefined || columns.length === 0) return RECORD_HEADER;
  return [...columns, ...FILLED_COLUMNS.filter((c) => !columns.includes(c))];
}

/** Header of the `categories` sheet. */
export const CATEGORY_HEADER = ['category_id', 'category_name', 'category_description'] as const;

/** Items are looked up by MPN (`item_search_value` carries `WorkbookRecord.itemMpn`). */
const ITEM_SEARCH_CRITERIA = 'item.mpn';
/** Price-rated records always carry quantity 1 (an empty numeric cell fails the upload). */
const PRICE_RATED_QUANTITY = '1';

/** Plain fixed-point text (what rounding produces), the common case of `toCellNumber`; short, so far from a double's limits. */
const SHORT_DECIMAL = /^-?\d{1,17}(?:\.\d{1,17})?$/;
/** Any decimal of at most this many significant digits survives a round trip through a double (DBL_DIG). */
const DOUBLE_EXACT_DIGITS = 15;

/** Digits of fixed-point `text` without its sign, point and leading zeros (an upper bound of its significant digits). */
function significantDigits(text: string): number {
  let digits = 0;
  let leading = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57 || (leading && c === 48)) continue;
    leading = false;
    digits++;
  }
  return digits;
}

/**
 * The one place where a money amount becomes a JavaScript `number`: an xlsx
 * numeric cell holds an IEEE double. Converts the decimal string and proves the
 * conversion lossless (`String(n)` parses back to the same decimal); throws
 * `ConnectorError` `INTERNAL` naming the amount when `amount` is not decimal text
 * or has more significant digits than a double keeps (about 15–17).
 */
export function toCellNumber(amount: string): number {
  if (SHORT_DECIMAL.test(amount) && significantDigits(amount) <= DOUBLE_EXACT_DIGITS) {
    const n = Number(amount); // 15 digits or fewer: the double's shortest text is this decimal
    return n === 0 ? 0 : n;
  }
  if (!isDecimalText(amount) || amount.trim() !== amount) {
    throw new ConnectorError('INTERNAL', `amount ${JSON.stringify(amount)} is not decimal text`, {
      where: { column: 'amount', value: amount },
    });
  }
  const n = Number(amount);
  const back = String(n);
  // Same text back is trivially the same decimal; otherwise compare exactly.
  if (!Number.isFinite(n) || (back !== amount && !new Money(back).equals(new Money(amount)))) {
    throw new ConnectorError(
      'INTERNAL',
      `amount ${amount} cannot be stored exactly in a spreadsheet number cell (it would read back as ${String(n)})`,
      { where: { column: 'amount', value: amount } },
    );
  }
  return n === 0 ? 0 : n; // never write -0
}

/**
 * One column of the records sheet: what follows the row number of its cell
 * (`" t="s"><v>…</v></c>`, `" t="inlineStr">…</c>`), or `''` for no cell.
 * `amount` is the amount cell's text, computed once per record. A shared
 * column counts each cell it makes in the table (`count`), so call it once per
 * cell written.
 */
export type CellTail = (record: WorkbookRecord, amount: string) => string;

/** A text column, neutralised and escaped, inline; the last value's XML is kept. */
function inlineColumn(pick: (record: WorkbookRecord) => string): CellTail {
  let last: string | undefined;
  let tail = '';
  return (record) => {
    const value = pick(record);
    if (value !== last) {
      last = value;
      tail = value === '' ? '' : inlineStringTail(neutralise(value));
    }
    return tail;
  };
}

/**
 * A text column, neutralised, in the shared strings table while it has room;
 * the last value's XML is kept (most columns repeat), and each cell made from
 * it counted.
 */
function sharedColumn(strings: SharedStrings, pick: (record: WorkbookRecord) => string): CellTail {
  let last: string | undefined;
  let tail = '';
  let shared = false;
  return (record) => {
    const value = pick(record);
    if (value === last) {
      if (shared) strings.reuse();
      return tail;
    }
    last = value;
    const cell = value === '' ? { tail: '', shared: false } : strings.cell(neutralise(value));
    tail = cell.tail;
    shared = cell.shared;
    return tail;
  };
}

function fixedColumn(tail: string): CellTail {
  return () => tail;
}

/** The cell of every column the connector knows, for one draft (text columns keep a little state, shared text in `strings`). */
export function knownColumns(strings: SharedStrings): Record<string, CellTail> {
  const text = (pick: (record: WorkbookRecord) => string): CellTail => sharedColumn(strings, pick);
  return {
    record_id: inlineColumn((r) => r.recordId),
    record_note: text((r) => r.note),
    item_search_criteria: text(() => ITEM_SEARCH_CRITERIA),
    item_search_value: text((r) => r.itemMpn),
    amount: (_, amount) => numberTail(amount),
    quantity: fixedColumn(numberTail(PRICE_RATED_QUANTITY)),
    start_time_utc: text((r) => r.startTimeUtc),
    end_time_utc: text((r) => r.endTimeUtc),
    asset_search_criteria: text((r) => r.assetSearchCriteria),
    asset_search_value: text((r) => r.assetSearchValue),
    category_id: text((r) => r.categoryId),
    'v.marketplace_service': text((r) => (r.marketplaceService ? 'true' : 'false')),
    // item_name / item_mpn / item_precision / item_unit describe an item to create;
    // the item is found by item_search_criteria = item.mpn, so they stay empty, as
    // do asset_recon_id, tier (empty for PR) and a template's unknown columns.
  };
}
