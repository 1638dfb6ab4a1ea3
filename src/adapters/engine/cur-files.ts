/**
 * Local CUR input: which files a path holds, what their headers are, and which
 * CUR column each header maps to. Only this module and the row locator read the
 * disk; no SQL here.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { ConnectorError } from '../../domain/errors.js';
import { OPTIONAL_COLUMNS, REQUIRED_COLUMNS, toSnakeCase, type CurColumn } from '../../domain/cur.js';

export type CurFileFormat = 'csv' | 'parquet';

/** One input file. */
export interface CurFile {
  path: string;
  format: CurFileFormat;
  /** gzip-compressed CSV (`.gz`, `.csv.gz`). */
  gzip: boolean;
  /** Size on disk (compressed size for gzip), bytes. */
  bytes: number;
}

/** One column of a file as the file names it. */
export interface FileColumn {
  /** The header exactly as written (`lineItem/UnblendedCost`). */
  name: string;
  /** The engine type: always `VARCHAR` for CSV, the Parquet schema type otherwise. */
  type: string;
}

/** A file with its columns and where each CUR column the rating uses sits. */
export interface CurFileSchema {
  file: CurFile;
  columns: FileColumn[];
  /** CUR column (snake_case) → index in `columns`, for the columns the rating reads. */
  index: ReadonlyMap<CurColumn, number>;
}

const ALL_COLUMNS: readonly CurColumn[] = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS];

/** The kind of a file by its name, or undefined for files that are not CUR data (manifests...). */
export function fileKind(name: string): { format: CurFileFormat; gzip: boolean } | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.parquet')) return { format: 'parquet', gzip: false };
  if (lower.endsWith('.gz')) return { format: 'csv', gzip: true };
  if (lower.endsWith('.csv')) return { format: 'csv', gzip: false };
  return undefined;
}

async function statOrThrow(path: string): Promise<Awaited<ReturnType<typeof stat>>> {
  try {
    return await stat(path);
  } catch (error) {
    throw new ConnectorError('CUR_INPUT', `CUR input ${path} cannot be read: ${(error as Error).message}`, { where: { file: path }, cause: error });
  }
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, out);
    else if (entry.isFile() || entry.isSymbolicLink()) out.push(full);
  }
}

/**
 * Lists the CUR files of `path`: the file itself, or every `.csv`, `.gz`, `.parquet`
 * file under the folder (recursive, sorted by path so "the first row" is stable).
 * Throws CUR_EMPTY when there is no file or a file has 0 bytes, CUR_INPUT when a
 * folder mixes CSV and Parquet or a single file is neither.
 */
export async function discoverCurFiles(path: string): Promise<CurFile[]> {
  const info = await statOrThrow(path);
  let paths: string[];
  if (info.isDirectory()) {
    paths = [];
    await walk(path, paths);
    paths = paths.filter((p) => fileKind(p) !== undefined).sort();
  } else {
    if (fileKind(path) === undefined) {
      throw new ConnectorError('CUR_INPUT', `CUR input ${path} is not a .csv, .csv.gz or .parquet file`, { where: { file: path } });
    }
    paths = [path];
  }
  if (paths.length === 0) {
    throw new ConnectorError('CUR_EMPTY', `no CUR file (.csv, .csv.gz, .parquet) under ${path}`, { where: { file: path } });
  }
  const files: CurFile[] = [];
  for (const p of paths) {
    const kind = fileKind(p)!;
    const size = p === path ? Number(info.size) : Number((await statOrThrow(p)).size);
    if (size === 0) throw new ConnectorError('CUR_EMPTY', `CUR file ${p} is empty (0 bytes)`, { where: { file: p } });
    files.push({ path: p, ...kind, bytes: size });
  }
  const csv = files.find((f) => f.format === 'csv');
  const parquet = files.find((f) => f.format === 'parquet');
  if (csv && parquet) {
    throw new ConnectorError(
      'CUR_INPUT',
      `CUR folder ${path} mixes CSV and Parquet files (e.g. ${csv.path} and ${parquet.path}); keep one format per folder`,
      { where: { file: path } },
    );
  }
  return files;
}

/**
 * Opens a CSV file as text, through gunzip when compressed. The caller destroys it.
 * `onBytes` hears how many bytes of the file (compressed size for gzip) each read took.
 */
export function openCsvText(file: CurFile, onBytes?: (bytes: number) => void): Readable {
  const raw = createReadStream(file.path);
  if (onBytes) raw.on('data', (chunk: Buffer | string) => onBytes(chunk.length));
  if (!file.gzip) return raw;
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  gunzip.on('close', () => raw.destroy());
  return raw.pipe(gunzip);
}

/**
 * Reads the header record of a CSV file (gzip or not) with csv-parse, so quoted
 * names are handled. Throws CUR_EMPTY when the file has no header line.
 */
export async function readCsvHeader(file: CurFile): Promise<FileColumn[]> {
  const text = openCsvText(file);
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, to_line: 1 });
  text.on('error', (error) => parser.destroy(error as Error));
  text.pipe(parser);
  let header: string[] | undefined;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      header = record;
      break;
    }
  } catch (error) {
    throw new ConnectorError('CUR_INPUT', `CUR file ${file.path} cannot be read as CSV: ${(error as Error).message}`, { where: { file: file.path }, cause: error });
  } finally {
    text.destroy();
    parser.destroy();
  }
  if (header === undefined || header.every((h) => h.trim() === '')) {
    throw new ConnectorError('CUR_EMPTY', `CUR file ${file.path} has no header line`, { where: { file: file.path } });
  }
  return header.map((name) => ({ name, type: 'VARCHAR' }));
}

/**
 * Maps a file's columns to the CUR columns the rating reads (RATING.md §1: legacy
 * `lineItem/UnblendedCost` and snake_case `line_item_unblended_cost` alike). Throws
 * CUR_INPUT naming the file and column when a required column is missing, or when two
 * headers map to the same column the rating reads.
 */
export function mapColumns(file: CurFile, columns: FileColumn[]): CurFileSchema {
  const index = new Map<CurColumn, number>();
  const wanted = new Set<string>(ALL_COLUMNS);
  columns.forEach((column, i) => {
    const snake = toSnakeCase(column.name) as CurColumn;
    if (!wanted.has(snake)) return;
    const earlier = index.get(snake);
    if (earlier !== undefined) {
      throw new ConnectorError(
        'CUR_INPUT',
        `CUR file ${file.path}: columns ${JSON.stringify(columns[earlier]!.name)} and ${JSON.stringify(column.name)} both map to ${snake}`,
        { where: { file: file.path, column: column.name } },
      );
    }
    index.set(snake, i);
  });
  // CUR 2.0 keeps product attributes in a map column: product['product_name'].
  const productMap = columns.findIndex((c) => c.name === 'product' && c.type.startsWith('MAP('));
  if (!index.has('product_product_name') && productMap >= 0) index.set('product_product_name', productMap);
  for (const required of REQUIRED_COLUMNS) {
    if (!index.has(required)) {
      throw new ConnectorError('CUR_INPUT', `CUR file ${file.path} has no column ${required} (required)`, {
        where: { file: file.path, column: required },
      });
    }
  }
  return { file, columns, index };
}

/** Files read by one engine call: same format, compression and columns. */
export interface FileGroup {
  format: CurFileFormat;
  gzip: boolean;
  columns: FileColumn[];
  index: ReadonlyMap<CurColumn, number>;
  files: CurFile[];
}

/** Groups files whose headers (names and types, in order) and compression are identical. */
export function groupSchemas(schemas: CurFileSchema[]): FileGroup[] {
  const groups = new Map<string, FileGroup>();
  for (const s of schemas) {
    const key = JSON.stringify([s.file.format, s.file.gzip, s.columns.map((c) => [c.name, c.type])]);
    const group = groups.get(key);
    if (group) group.files.push(s.file);
    else groups.set(key, { format: s.file.format, gzip: s.file.gzip, columns: s.columns, index: s.index, files: [s.file] });
  }
  return [...groups.values()];
}
