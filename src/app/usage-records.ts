/**
 * Rated records → the rows of the usage workbook (CONNECT.md "The workbook",
 * RATING.md §9): item by MPN, asset lookup, the period as UTC times.
 */
import type { RatedPayer, RatedRecord, RecordKind } from '../domain/rating.js';
import type { UsageWorkbook, WorkbookCategory, WorkbookRecord } from './ports.js';
import { periodBounds } from './usage/upload-usage-file.js';

/** MPNs of the product's items (config `items`). */
export interface ItemMpns {
  awsUsageMpn: string;
  marketplaceUsageMpn: string;
  supportMpn: string;
  /** Item of custom lines and credits (MARGIN.md §4); absent: `awsUsageMpn`. */
  customLineMpn?: string | undefined;
}

export const CATEGORIES: Record<RecordKind, WorkbookCategory> = {
  aws: { id: 'aws_services', name: 'AWS usage', description: 'AWS services at public list price' },
  marketplace: { id: 'aws_marketplace', name: 'AWS Marketplace usage', description: 'AWS Marketplace products' },
  support: { id: 'aws_support', name: 'AWS support', description: 'AWS support plan fee' },
  fee: { id: 'custom_lines', name: 'Custom lines', description: 'Fees added by the distributor' },
  credit: { id: 'credits', name: 'Credits', description: 'Credits given by the distributor' },
};

/**
 * The period as record times (RATING.md §9): the first day 00:00:00 and the last
 * day 23:59:59, UTC, so every record lies inside the usage file's period
 * (`from`–`to`, the first and last day). (Earlier versions ended records at the
 * next month's first second, outside the file's period.)
 */
export function periodTimes(period: string): { start: string; end: string } {
  const { from, to } = periodBounds(period);
  return { start: `${from} 00:00:00`, end: `${to} 23:59:59` };
}

function mpnOf(kind: RecordKind, items: ItemMpns): string {
  if (kind === 'marketplace') return items.marketplaceUsageMpn;
  if (kind === 'support') return items.supportMpn;
  if (kind === 'fee' || kind === 'credit') return items.customLineMpn ?? items.awsUsageMpn;
  return items.awsUsageMpn;
}

/** The last period's record times: a month's records all share them (one computation, not one per record). */
let timesOf: { period: string; times: { start: string; end: string } } | undefined;

/** One workbook row per record; the asset is found by id when known, else by its aws_account_id parameter. */
export function toWorkbookRecord(record: RatedRecord, period: string, items: ItemMpns): WorkbookRecord {
  if (timesOf?.period !== period) timesOf = { period, times: periodTimes(period) };
  const { start, end } = timesOf.times;
  return {
    recordId: record.recordId,
    note: record.note,
    itemMpn: mpnOf(record.kind, items),
    amount: record.billed,
    startTimeUtc: start,
    endTimeUtc: end,
    assetSearchCriteria: record.assetId === null ? 'parameter.aws_account_id' : 'asset.id',
    assetSearchValue: record.assetId ?? record.accountId,
    categoryId: CATEGORIES[record.kind].id,
    marketplaceService: record.kind === 'marketplace',
  };
}

/** The workbook of a rated payer; `columns`: the product template's records header, when it has one. */
export function toUsageWorkbook(rated: RatedPayer, items: ItemMpns, recordsSheetName: string, columns?: readonly string[]): UsageWorkbook {
  return {
    recordsSheetName,
    ...(columns === undefined ? {} : { columns }),
    records: rated.records.map((r) => toWorkbookRecord(r, rated.period, items)),
    categories: Object.values(CATEGORIES),
  };
}
