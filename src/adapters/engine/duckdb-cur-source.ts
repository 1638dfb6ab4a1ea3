/**
 * `CurSource` over local CUR files (CSV, gzip CSV or Parquet; one file or a folder)
 * with the embedded DuckDB engine. The files are presented through one typed view
 * (`cur-view-sql.ts`) and the shared query of `app/cur-query.ts` runs on it
 * unchanged, in a single scan whose result is streamed chunk by chunk (one batch
 * of groups per engine chunk, each group packed by the engine into one JSON text),
 * so memory does not grow with the number of groups.
 * Only when the engine rejects a value does a second pass (row locator) find the
 * first row at fault.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBDataChunk, type DuckDBResult } from '@duckdb/node-api';
import { AMOUNT_COLUMNS, toSnakeCase, type CurColumn, type CurGroup } from '../../domain/cur.js';
import { ConnectorError, coerceError } from '../../domain/errors.js';
import { INVOICE_COLUMN, RESULT_COLUMNS, buildCurQuery, type ListPriceMode } from '../../app/cur-query.js';
import { toCurGroup } from '../../app/cur-result.js';
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

/** One streamed query: its own connection (so `locate` can run meanwhile) and the fetch in flight. */
interface Stream {
  connection: DuckDBConnection;
  inflight: Promise<unknown> | undefined;
  closed: boolean;
}

type Row = Record<string, unknown>;
const text = (row: Row, key: string): string => (typeof row[key] === 'string' ? (row[key] as string) : '');

/** Per-connection settings (the instance-wide ones are set at creation). */
const SESSION_SETTINGS = ['enable_progress_bar = true', 'enable_progress_bar_print = false', "TimeZone = 'UTC'"];

/**
 * The adapter. Cheap to construct; the files are discovered and the view built on the
 * first call. `aggregate` and `locate` run one at a time; the groups
 * of an aggregate stream on a connection of their own, so `locate` may be called while
 * they are being read. `close()` releases the engine, also after a partial read.
 */
export class DuckDbCurSource implements CurSource {
  private instance: DuckDBInstance | undefined;
  private prepared: Promise<Prepared> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly streams = new Set<Stream>();
  private closed = false;

  /** @param inputPath a CUR file or a folder of them (recursive). */
  constructor(
    readonly inputPath: string,
    private readonly options: DuckDbCurSourceOptions = {},
  ) {}

  /**
   * Prepares the view and returns the groups as a stream (see `CurAggregate`): the
   * query starts on the first read of `groups`, which yields one batch per engine
   * chunk (up to 2,048 groups) in the query's order. Errors of the scan (a bad value
   * named by file, row and column; CUR_EMPTY when there is no row at all; an abort)
   * surface while iterating. Local files cannot tell finality: `tellsFinality` false.
   */
  aggregate(request: CurAggregateRequest): Promise<CurAggregate> {
    return this.exclusive(async () => {
      request.signal?.throwIfAborted();
      const p = await this.prepare();
      if (request.listPrice === 'on-demand') requireOnDemandColumn(p.groups);
      const sql = packedGroupsQuery(buildCurQuery({ relation: VIEW_NAME, listPrice: request.listPrice, granularity: request.granularity, presentColumns: p.presentColumns }));
      return { groups: readOnce(() => this.stream(p, sql, request)), source: describe(this.inputPath, p), tellsFinality: false };
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

  /** Releases the engine, interrupting any stream still open. The adapter cannot be used afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    for (const stream of [...this.streams]) await closeStream(stream, this.streams);
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
    if (this.closed) return Promise.reject(closedError());
    this.prepared ??= this.open();
    return this.prepared;
  }

  private async open(): Promise<Prepared> {
    const files = await discoverCurFiles(this.inputPath);
    this.instance = await createEngine(this.options);
    const connection = await this.connect();
    try {
      const schemas = [];
      for (const file of files) {
        const columns = file.format === 'csv' ? await readCsvHeader(file) : await describeParquet(connection, file);
        schemas.push(mapColumns(file, columns));
      }
      const groups = groupSchemas(schemas);
      await connection.run(buildViewSql(groups));
      // Local files cannot tell finality (ports.ts): the query is not given an invoice id to count.
      const presentColumns = new Set<string>(viewColumns(groups).filter((c: string) => c !== INVOICE_COLUMN));
      return { connection, files, groups, presentColumns, bytes: files.reduce((n, f) => n + f.bytes, 0) };
    } catch (error) {
      connection.closeSync();
      throw error;
    }
  }

  private async connect(): Promise<DuckDBConnection> {
    if (this.instance === undefined || this.closed) throw closedError();
    const connection = await this.instance.connect();
    try {
      for (const setting of SESSION_SETTINGS) await connection.run(`SET ${setting}`);
      return connection;
    } catch (error) {
      connection.closeSync();
      throw error;
    }
  }

  /**
   * Streams `sql` on a connection of its own: one batch of groups per chunk,
   * progress first in bytes of input scanned (`scan`, the engine's estimate,
   * polled), then in CUR rows whose groups were handed over (`read <n> <format>
   * file(s) (<MiB> MiB)`, after each batch, ending at its total), abort through
   * `interrupt`, engine errors translated (also when they surface after the
   * first batch), CUR_EMPTY when no row was read.
   */
  private async *stream(p: Prepared, sql: string, request: CurAggregateRequest): AsyncGenerator<readonly CurGroup[]> {
    const { signal, onProgress } = request;
    signal?.throwIfAborted();
    const stream: Stream = { connection: await this.connect(), inflight: undefined, closed: false };
    this.streams.add(stream);
    const total = p.bytes;
    let done = 0;
    const report = (value: number, always = false): void => {
      const next = Math.max(done, Math.min(total, Math.round(value)));
      if (next === done && !always) return;
      done = next;
      onProgress?.({ phase: 'scan', done, total, unit: 'bytes' } satisfies Progress);
    };
    const timer = onProgress
      ? setInterval(() => {
          if (stream.closed) return;
          const percentage = stream.connection.progress.percentage;
          if (percentage > 0) report((total * percentage) / 100);
        }, this.options.progressIntervalMs ?? 500)
      : undefined;
    const interrupt = (): void => {
      if (!stream.closed) stream.connection.interrupt();
    };
    signal?.addEventListener('abort', interrupt, { once: true });
    report(0, true);
    /** Runs one engine step; its failure comes out translated. */
    const step = async <T>(work: () => Promise<T>): Promise<T> => {
      if (stream.closed || this.closed) throw closedError();
      const pending = work();
      stream.inflight = pending;
      try {
        return await pending;
      } catch (error) {
        signal?.throwIfAborted();
        if (stream.closed || this.closed) throw closedError();
        throw await this.exclusive(() => this.explain(error, p, request.listPrice, request));
      } finally {
        stream.inflight = undefined;
      }
    };
    try {
      const result: DuckDBResult = await step(() => stream.connection.stream(sql));
      const phase = readPhase(p);
      let rows = 0;
      for (let first = true; ; first = false) {
        const chunk = await step(() => result.fetchChunk());
        // The groups come ordered: by the first chunk (or the end) the engine has scanned every input byte.
        if (first) report(total, true);
        if (chunk === null || chunk.rowCount === 0) break;
        const batch = toBatch(chunk);
        for (const group of batch) rows += group.rows;
        signal?.throwIfAborted();
        onProgress?.({ phase, done: rows, unit: 'CUR rows' });
        yield batch;
      }
      if (rows > 0) onProgress?.({ phase, done: rows, total: rows, unit: 'CUR rows' });
      if (rows === 0) throw new ConnectorError('CUR_EMPTY', `no CUR rows in ${this.inputPath}`, { where: { file: this.inputPath } });
    } finally {
      clearInterval(timer);
      signal?.removeEventListener('abort', interrupt);
      await closeStream(stream, this.streams);
    }
  }

  /** Turns an engine error into a ConnectorError naming file, row, column and value when it can. */
  private async explain(error: unknown, p: Prepared, listPrice: ListPriceMode, control: ScanControl): Promise<ConnectorError> {
    const message = error instanceof Error ? error.message : String(error);
    const firstLine = message.split('\n')[0] ?? message;
    if (message.startsWith('Conversion Error')) {
      const engineValue = /"([^"]*)"/.exec(firstLine)?.[1];
      // Every amount column the query reads: all but the on-demand cost outside on-demand mode.
      const amounts = AMOUNT_COLUMNS.filter((c) => c !== 'pricing_public_on_demand_cost' || listPrice === 'on-demand');
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

/** An in-memory engine with the adapter's settings (`memory_limit`, `threads`, no insertion order kept). */
export function createEngine(options: DuckDbCurSourceOptions = {}): Promise<DuckDBInstance> {
  return DuckDBInstance.create(':memory:', {
    threads: String(options.threads ?? 2),
    memory_limit: options.memoryLimit ?? '600MB',
    preserve_insertion_order: 'false',
    autoinstall_known_extensions: 'false',
  });
}

/** The columns of a Parquet file (name and engine type); CUR_INPUT naming the file when it is not Parquet. */
export async function describeParquet(connection: DuckDBConnection, file: CurFile): Promise<FileColumn[]> {
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

/** The phase of the groups handed over: the input's files and size, for context. */
function readPhase(p: Prepared): string {
  const format = p.files[0]?.format === 'parquet' ? 'Parquet' : 'CSV';
  return `read ${p.files.length} ${format} file${p.files.length === 1 ? '' : 's'} (${(p.bytes / 1048576).toFixed(1)} MiB)`;
}

function closedError(): ConnectorError {
  return new ConnectorError('INTERNAL', 'the CUR source is closed');
}

/**
 * Ends a stream: interrupts the engine, waits for a fetch in flight to settle, then
 * closes its connection. Idempotent, so `close()` and the stream's own end may both call it.
 */
async function closeStream(stream: Stream, open: Set<Stream>): Promise<void> {
  if (stream.closed) return;
  stream.connection.interrupt();
  await stream.inflight?.catch(() => undefined);
  if (stream.closed) return;
  stream.closed = true;
  open.delete(stream);
  stream.connection.closeSync();
}

/**
 * The shared query with each result row packed into one JSON array of its
 * `RESULT_COLUMNS` values (by name, so in that order), ordered again by payer and
 * account (an outer query does not inherit a subquery's order). Reading a value out
 * of an engine chunk costs a native call and a text decode each: for a million
 * groups of 16 columns that was 9 s, one JSON text per group is 3 s.
 */
export function packedGroupsQuery(curQuery: string): string {
  const values = RESULT_COLUMNS.map((c) => `"${c}"`).join(', ');
  return `SELECT CAST(to_json([${values}]) AS VARCHAR) AS g FROM (\n${curQuery}\n) ORDER BY account_id, payer_account_id`;
}

/** One engine chunk of packed groups (`packedGroupsQuery`) as a batch of groups. */
function toBatch(chunk: DuckDBDataChunk): CurGroup[] {
  const packed = chunk.getColumnVector(0);
  const count = chunk.rowCount;
  const batch = new Array<CurGroup>(count);
  for (let i = 0; i < count; i += 1) {
    const values: unknown = JSON.parse(String(packed.getItem(i)));
    if (!Array.isArray(values) || values.length !== RESULT_COLUMNS.length) throw new ConnectorError('INTERNAL', `CUR query returned ${String(packed.getItem(i))}, expected ${RESULT_COLUMNS.length} values`);
    batch[i] = toCurGroup(values);
  }
  return batch;
}

/** An async iterable that can be iterated once (`CurAggregate.groups`); a second read is a bug. */
function readOnce<T>(open: () => AsyncGenerator<T>): AsyncIterable<T> {
  let used = false;
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      if (used) throw new ConnectorError('INTERNAL', 'the CUR groups of an aggregate can be read once');
      used = true;
      return open();
    },
  };
}
