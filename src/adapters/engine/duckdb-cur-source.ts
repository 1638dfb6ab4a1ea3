/**
 * `CurSource` over local CUR files (CSV, gzip CSV or Parquet; one file or a folder)
 * with the embedded DuckDB engine. The files are presented through one typed view
 * (`cur-view-sql.ts`) and the shared query of `app/cur-query.ts` runs on it
 * unchanged, in a single scan. Only when the engine rejects a value does a second
 * pass (row locator) find the first row at fault.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { AMOUNT_COLUMNS, toSnakeCase, type CurColumn } from '../../domain/cur.js';
import { ConnectorError, coerceError } from '../../domain/errors.js';
import { buildBareQuery, buildCurQuery, type ListPriceMode } from '../../app/cur-query.js';
import { toCurGroups } from '../../app/cur-result.js';
import type { CurAggregate, CurAggregateRequest, CurRowLocation, CurSource, Progress, RowTest } from '../../app/ports.js';
import { discoverCurFiles, groupSchemas, mapColumns, readCsvHeader, type CurFile, type FileColumn, type FileGroup } from './cur-files.js';
import { PERIOD_COLUMN, VIEW_NAME, buildViewSql, pathLiteral, viewColumns } from './cur-view-sql.js';
import { badValueTest, firstCsvRow, rowTest, type RecordTest, type ScanControl } from './row-locator.js';
import { findBadParquetValue, locateParquetRow } from './parquet-locator.js';

/** Engine settings. Defaults keep a 5M-row month under 1 GiB of RSS. */
export interface DuckDbCurSourceOptions {
  /** DuckDB `memory_limit`, e.g. `'600MB'`. Default `'600MB'`. */
  memoryLimit?: string;
  /** DuckDB worker threads. Default 2. */
  threads?: number;
  /** How often the scan progress is polled and reported, in ms. Default 500. */
  progressIntervalMs?: number;
}

interface Prepared {
  connection: DuckDBConnection;
  files: CurFile[];
  groups: FileGroup[];
  presentColumns: ReadonlySet<string>;
  bytes: number;
}

type Row = Record<string, unknown>;
const text = (row: Row, key: string): string => (typeof row[key] === 'string' ? (row[key] as string) : '');

/** A query result: column names and rows of values (VARCHAR values are strings, NULL is null). */
interface Result {
  columns: string[];
  rows: unknown[][];
}

/**
 * The adapter. Cheap to construct; the files are discovered and the view built on the
 * first call. Calls run one at a time. `close()` releases the engine.
 */
export class DuckDbCurSource implements CurSource {
  private instance: DuckDBInstance | undefined;
  private prepared: Promise<Prepared> | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  /** @param inputPath a CUR file or a folder of them (recursive). */
  constructor(
    readonly inputPath: string,
    private readonly options: DuckDbCurSourceOptions = {},
  ) {}

  /** Aggregates all rows with the shared query; see `CurSource.aggregate`. */
  aggregate(request: CurAggregateRequest): Promise<CurAggregate> {
    return this.exclusive(async () => {
      const p = await this.prepare();
      if (request.listPrice === 'on-demand') requireOnDemandColumn(p.groups);
      const sql = buildCurQuery({ relation: VIEW_NAME, listPrice: request.listPrice, granularity: request.granularity, presentColumns: p.presentColumns });
      const groups = toCurGroups(await this.query(p, sql, request.listPrice, request));
      const rowsRead = groups.reduce((n, g) => n + g.rows, 0);
      if (rowsRead === 0) throw new ConnectorError('CUR_EMPTY', `no CUR rows in ${this.inputPath}`, { where: { file: this.inputPath } });
      return { groups, rowsRead, source: describe(this.inputPath, p) };
    });
  }

  /** The first row of `payerAccountId` that fails `test` (see `RowTest`); rows are 1-based data rows. */
  locate(payerAccountId: string, test: RowTest): Promise<CurRowLocation | undefined> {
    return this.exclusive(async () => {
      const p = await this.prepare();
      if (p.files[0]?.format === 'parquet') return locateParquetRow(p.connection, p.files, p.groups, payerAccountId, test);
      return firstCsvRow(csvScans(p, (g) => rowTest(g.index, payerAccountId, test)));
    });
  }

  /** The benchmark's baseline: `buildBareQuery` over the same view. `rows` = result rows. */
  bareAggregation(): Promise<{ rows: number }> {
    return this.exclusive(async () => {
      const p = await this.prepare();
      const result = await this.query(p, buildBareQuery(VIEW_NAME), 'unblended', {});
      return { rows: result.rows.length };
    });
  }

  /** Releases the engine. The adapter cannot be used afterwards. */
  async close(): Promise<void> {
    await this.tail.catch(() => undefined);
    const prepared = await this.prepared?.catch(() => undefined);
    prepared?.connection.closeSync();
    this.instance?.closeSync();
    this.instance = undefined;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private prepare(): Promise<Prepared> {
    this.prepared ??= this.open();
    return this.prepared;
  }

  private async open(): Promise<Prepared> {
    const files = await discoverCurFiles(this.inputPath);
    this.instance = await DuckDBInstance.create(':memory:', {
      threads: String(this.options.threads ?? 2),
      memory_limit: this.options.memoryLimit ?? '600MB',
      preserve_insertion_order: 'false',
      autoinstall_known_extensions: 'false',
    });
    const connection = await this.instance.connect();
    try {
      for (const setting of ['enable_progress_bar = true', 'enable_progress_bar_print = false', "TimeZone = 'UTC'"]) {
        await connection.run(`SET ${setting}`);
      }
      const schemas = [];
      for (const file of files) {
        const columns = file.format === 'csv' ? await readCsvHeader(file) : await describeParquet(connection, file);
        schemas.push(mapColumns(file, columns));
      }
      const groups = groupSchemas(schemas);
      await connection.run(buildViewSql(groups));
      const presentColumns = new Set<string>(viewColumns(groups));
      return { connection, files, groups, presentColumns, bytes: files.reduce((n, f) => n + f.bytes, 0) };
    } catch (error) {
      connection.closeSync();
      throw error;
    }
  }

  /** Runs `sql`, reporting scan progress in bytes of input, and translates engine errors. */
  private async query(p: Prepared, sql: string, listPrice: ListPriceMode, request: Pick<CurAggregateRequest, 'signal' | 'onProgress'>): Promise<Result> {
    const { signal, onProgress } = request;
    const total = p.bytes;
    let done = 0;
    const report = (value: number, always = false): void => {
      const next = Math.max(done, Math.min(total, Math.round(value)));
      if (next === done && !always) return;
      done = next;
      onProgress?.({ phase: 'scan', done, total, unit: 'bytes' } satisfies Progress);
    };
    signal?.throwIfAborted();
    report(0, true);
    const timer = onProgress
      ? setInterval(() => {
          const percentage = p.connection.progress.percentage;
          if (percentage > 0) report((total * percentage) / 100);
        }, this.options.progressIntervalMs ?? 500)
      : undefined;
    const interrupt = (): void => p.connection.interrupt();
    signal?.addEventListener('abort', interrupt, { once: true });
    try {
      const reader = await p.connection.runAndReadAll(sql);
      report(total, true);
      // Plain rows: far cheaper than row objects for tens of thousands of groups.
      return { columns: reader.columnNames(), rows: reader.getRows() as unknown[][] };
    } catch (error) {
      signal?.throwIfAborted();
      throw await this.explain(error, p, listPrice, request);
    } finally {
      clearInterval(timer);
      signal?.removeEventListener('abort', interrupt);
    }
  }

  /** Turns an engine error into a ConnectorError naming file, row, column and value when it can. */
  private async explain(error: unknown, p: Prepared, listPrice: ListPriceMode, control: ScanControl): Promise<ConnectorError> {
    const message = error instanceof Error ? error.message : String(error);
    const firstLine = message.split('\n')[0] ?? message;
    if (message.startsWith('Conversion Error')) {
      const engineValue = /"([^"]*)"/.exec(firstLine)?.[1];
      const amounts = AMOUNT_COLUMNS.filter((c) => c === 'line_item_unblended_cost' || listPrice === 'on-demand');
      const hit =
        p.files[0]?.format === 'parquet'
          ? await findBadParquetValue(p.connection, p.files, p.groups, amounts)
          : await firstCsvRow(csvScans(p, (g) => badValueTest(g.index, amounts, engineValue)), control);
      if (hit) {
        const kind = toSnakeCase(hit.column) === PERIOD_COLUMN ? 'a date (YYYY-MM-DD...)' : 'a decimal number';
        return new ConnectorError(
          'CUR_INPUT',
          `CUR file ${hit.file}, row ${hit.row} (data rows from 1, header not counted), column ${hit.column}: ${JSON.stringify(hit.value)} is not ${kind}`,
          { where: { ...hit }, cause: error },
        );
      }
      return new ConnectorError('CUR_INPUT', `CUR input ${this.inputPath}: ${firstLine}`, { where: { file: this.inputPath, ...(engineValue === undefined ? {} : { value: engineValue }) }, cause: error });
    }
    if (message.startsWith('Invalid Input Error')) {
      const file = /^\s*file = (.*)$/m.exec(message)?.[1] ?? this.inputPath;
      const detail = message.split('\n').slice(0, 3).join(' / ');
      return new ConnectorError('CUR_INPUT', `CUR file ${file} is not readable CSV: ${detail}`, { where: { file }, cause: error });
    }
    if (message.startsWith('IO Error')) return new ConnectorError('IO', `reading CUR input ${this.inputPath} failed: ${firstLine}`, { where: { file: this.inputPath }, cause: error });
    return coerceError(error);
  }
}

/**
 * Runs the bare aggregation (`buildBareQuery`) over the files at `path` through the
 * same view, for the benchmark; `rows` is the number of result rows.
 */
export async function runBareAggregation(path: string, options?: DuckDbCurSourceOptions): Promise<{ rows: number }> {
  const source = new DuckDbCurSource(path, options);
  try {
    return await source.bareAggregation();
  } finally {
    await source.close();
  }
}

async function describeParquet(connection: DuckDBConnection, file: CurFile): Promise<FileColumn[]> {
  try {
    const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${pathLiteral(file.path)})`);
    return reader.getRowObjectsJson().map((row) => ({ name: text(row, 'column_name'), type: text(row, 'column_type') }));
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new ConnectorError('CUR_INPUT', `CUR file ${file.path} cannot be read as Parquet: ${reason}`, { where: { file: file.path }, cause: error });
  }
}

function requireOnDemandColumn(groups: FileGroup[]): void {
  const column: CurColumn = 'pricing_public_on_demand_cost';
  const lacking = groups.find((g) => !g.index.has(column));
  if (lacking) {
    const file = lacking.files[0]!.path;
    throw new ConnectorError('CUR_INPUT', `CUR file ${file} has no column ${column} (required for list price mode on-demand)`, { where: { file, column } });
  }
}

function csvScans(p: Prepared, test: (group: FileGroup) => RecordTest): { file: CurFile; columns: FileColumn[]; test: RecordTest }[] {
  const byFile = new Map<string, FileGroup>();
  for (const g of p.groups) for (const f of g.files) byFile.set(f.path, g);
  return p.files.map((file) => {
    const group = byFile.get(file.path)!;
    return { file, columns: group.columns, test: test(group) };
  });
}

function describe(path: string, p: Prepared): string {
  const format = p.files[0]?.format === 'parquet' ? 'Parquet' : 'CSV';
  return p.files.length === 1 && p.files[0]!.path === path
    ? `${format} file ${path} (${p.bytes} bytes)`
    : `${p.files.length} ${format} files under ${path} (${p.bytes} bytes)`;
}
