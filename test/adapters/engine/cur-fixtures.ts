/**
 * Test helpers: CUR rows written as legacy or snake_case CSV (optionally gzip) or
 * as Parquet (through DuckDB), in a fresh temp folder.
 */
import { afterEach } from 'vitest';
import { DuckDbCurSource } from '../../../src/adapters/engine/duckdb-cur-source.js';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { onTestFinished } from 'vitest';
import type { CurAggregate } from '../../../src/app/ports.js';
import type { CurGroup } from '../../../src/domain/cur.js';

/** One CUR row; absent keys are written as empty cells (or left out with `columns`). */
export interface CurRow {
  payer?: string;
  period?: string;
  account?: string;
  type?: string;
  product?: string;
  entity?: string;
  cost?: string;
  onDemand?: string;
  currency?: string;
  arn?: string;
  name?: string;
  usageType?: string;
  /** `line_item_net_unblended_cost` (written only when `columns` names it). */
  net?: string;
  /** `discount_total_discount` (written only when `columns` names it). */
  totalDiscount?: string;
}
export type Field = keyof CurRow;

/** field → [legacy header, snake_case header] */
export const HEADERS: Record<Field, [string, string]> = {
  payer: ['bill/PayerAccountId', 'bill_payer_account_id'],
  period: ['bill/BillingPeriodStartDate', 'bill_billing_period_start_date'],
  account: ['lineItem/UsageAccountId', 'line_item_usage_account_id'],
  type: ['lineItem/LineItemType', 'line_item_line_item_type'],
  product: ['lineItem/ProductCode', 'line_item_product_code'],
  entity: ['bill/BillingEntity', 'bill_billing_entity'],
  cost: ['lineItem/UnblendedCost', 'line_item_unblended_cost'],
  onDemand: ['pricing/publicOnDemandCost', 'pricing_public_on_demand_cost'],
  currency: ['lineItem/CurrencyCode', 'line_item_currency_code'],
  arn: ['reservation/ReservationARN', 'reservation_reservation_a_r_n'],
  name: ['product/ProductName', 'product_product_name'],
  usageType: ['lineItem/UsageType', 'line_item_usage_type'],
  net: ['lineItem/NetUnblendedCost', 'line_item_net_unblended_cost'],
  totalDiscount: ['discount/TotalDiscount', 'discount_total_discount'],
};
/** The columns written by default: every rating column, not the cost side's net and discount columns. */
export const ALL_FIELDS = (Object.keys(HEADERS) as Field[]).filter((f) => f !== 'net' && f !== 'totalDiscount');
export const REQUIRED_FIELDS: Field[] = ['payer', 'period', 'account', 'type', 'product', 'entity', 'cost'];

/** A usual row of payer 111122223333, 2026-10, account 444455556666, EC2 Usage. */
export function row(overrides: CurRow = {}): CurRow {
  return {
    payer: '111122223333',
    period: '2026-10-01T00:00:00.000Z',
    account: '444455556666',
    type: 'Usage',
    product: 'AmazonEC2',
    entity: 'AWS',
    cost: '1.5',
    onDemand: '2.0',
    currency: 'USD',
    name: 'Amazon Elastic Compute Cloud',
    usageType: 'BoxUsage:t3.micro',
    ...overrides,
  };
}

/** A fresh folder under the OS temp dir, removed when the current test ends. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cur-engine-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function cell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export interface CsvOptions {
  style?: 'legacy' | 'snake';
  /** Columns written, in this order. Default: all. */
  columns?: Field[];
  /** An extra column not used by the rating, written first. */
  extra?: boolean;
  gzip?: boolean;
}

/** CSV text of `rows`. */
export function csvText(rows: CurRow[], options: CsvOptions = {}): string {
  const columns = options.columns ?? ALL_FIELDS;
  const at = options.style === 'snake' ? 1 : 0;
  const header = [...(options.extra ? ['identity/LineItemId'] : []), ...columns.map((c) => HEADERS[c][at])];
  const lines = [header.map(cell).join(',')];
  rows.forEach((r, i) => {
    const values = [...(options.extra ? [`id-${i}, "x"`] : []), ...columns.map((c) => r[c] ?? '')];
    lines.push(values.map(cell).join(','));
  });
  return `${lines.join('\n')}\n`;
}

/** Writes `rows` as CSV at `path` (creating folders); gzip when `options.gzip`. */
export async function writeCsv(path: string, rows: CurRow[], options: CsvOptions = {}): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const text = csvText(rows, options);
  await writeFile(path, options.gzip ? gzipSync(text) : text);
  return path;
}

/** Runs statements in a throwaway DuckDB (to write Parquet fixtures). */
export async function duckdb(...statements: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    for (const sql of statements) await connection.run(sql);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A SQL string literal for fixture paths. */
export const lit = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/**
 * Sources a test opens, closed after each test: call once at the top of a test file.
 * Returns the factory (`memoryLimit` 256MB, like a small machine).
 */
export function closingSources(): (path: string) => DuckDbCurSource {
  const open: DuckDbCurSource[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return (path) => {
    const s = new DuckDbCurSource(path, { memoryLimit: '256MB' });
    open.push(s);
    return s;
  };
}

/** An aggregate read to the end: every group in order, the batch sizes, the rows summed. */
export interface ReadAggregate {
  groups: CurGroup[];
  batchSizes: number[];
  /** Σ CurGroup.rows. */
  rowsRead: number;
  source: string;
  tellsFinality: boolean;
}

/** Awaits `aggregate` and reads its groups to the end (errors of the scan reject here). */
export async function readAll(aggregate: Promise<CurAggregate> | CurAggregate): Promise<ReadAggregate> {
  const { groups: batches, source, tellsFinality } = await aggregate;
  const groups: CurGroup[] = [];
  const batchSizes: number[] = [];
  for await (const batch of batches) {
    batchSizes.push(batch.length);
    groups.push(...batch);
  }
  return { groups, batchSizes, rowsRead: groups.reduce((n, g) => n + g.rows, 0), source, tellsFinality };
}
