/**
 * The run outputs in a folder: `<dir>/<payer>/<period>/usage.xlsx` and
 * `report.json` for version 1, `<dir>/<payer>/<period>/v<N>/` for later
 * versions. Everything is written to a temporary file and renamed, so a reader
 * never sees half a workbook or half a report. The report of a big month is
 * streamed: its accounts go to a side file as they are rated, and the report is
 * assembled from the head and that file at the end, never held as one string.
 * Beside each report.json go report.html (the page a person reads) and
 * report.csv (one row per customer and service), rendered from the same head
 * and side file, one account at a time, and renamed into place with it.
 * Every path is checked to stay inside the store's folder: a payer id or a
 * period read from elsewhere is never a way out of it.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { OutputKey, ReportDraft, ReportStore, WorkbookStore } from '../../app/ports.js';
import type { PayerReport } from '../../app/report.js';
import { reportCsvChunks } from '../../app/report-csv.js';
import { reportPageChunks } from '../../app/report-page.js';
import { objects, type Json } from '../../app/report-view.js';
import { ConnectorError } from '../../domain/errors.js';

/**
 * The folder of one version of a payer's month: v1 at `<dir>/<payer>/<period>`,
 * later ones in `v<N>/` below it. Throws `ConnectorError('IO')` naming the
 * values when the folder would not be strictly inside `dir` (a payer id such
 * as `../../etc`, an absolute period): nothing is written there.
 */
export function versionFolder(dir: string, payerAccountId: string, period: string, version: number): string {
  const segments = version > 1 ? [payerAccountId, period, `v${version}`] : [payerAccountId, period];
  const root = resolve(dir);
  const target = resolve(root, ...segments);
  const inside = relative(root, target);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside) || segments.some((s) => s === '' || s.includes('\0'))) {
    throw new ConnectorError('IO', `refusing the output folder ${target}: payer ${JSON.stringify(payerAccountId)}, period ${JSON.stringify(period)} would leave the output folder ${root}`, {
      where: { file: root, payer: payerAccountId, value: period },
    });
  }
  return join(dir, ...segments);
}

const folderOf = (dir: string, key: OutputKey): string => versionFolder(dir, key.payerAccountId, key.period, key.version);
const temporary = (path: string): string => `${path}.${process.pid}.tmp`;

function ioError(what: string, path: string, cause: unknown): ConnectorError {
  return new ConnectorError('IO', `cannot ${what} ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { where: { file: path }, cause });
}

/** Writes `value` as indented JSON to `path` through a temporary file, so a reader never sees half of it. */
async function writeJsonFile(path: string, value: unknown, what: string): Promise<string> {
  const partial = temporary(path);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(partial, `${JSON.stringify(value, null, 2)}\n`, 'utf8');
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw ioError(what, path, error);
  }
  return path;
}

/** Workbooks as `usage.xlsx` in each version's folder. */
export class FolderWorkbookStore implements WorkbookStore {
  constructor(private readonly dir: string) {}

  locate(key: OutputKey): string {
    return join(folderOf(this.dir, key), 'usage.xlsx');
  }

  fileName(key: OutputKey): string {
    return `usage-${key.payerAccountId}-${key.period}-v${key.version}.xlsx`;
  }

  async put(key: OutputKey, content: AsyncIterable<Uint8Array>): Promise<{ bytes: number }> {
    const path = this.locate(key);
    const partial = temporary(path);
    let bytes = 0;
    const counted = async function* (): AsyncGenerator<Uint8Array> {
      for await (const chunk of content) {
        bytes += chunk.byteLength;
        yield chunk;
      }
    };
    try {
      await mkdir(dirname(path), { recursive: true });
      await pipeline(Readable.from(counted()), createWriteStream(partial));
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      if (error instanceof ConnectorError) throw error;
      throw ioError('write workbook', path, error);
    }
    return { bytes };
  }

  async get(key: OutputKey): Promise<Uint8Array | undefined> {
    const path = this.locate(key);
    try {
      return new Uint8Array(await readFile(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw ioError('read workbook', path, error);
    }
  }

  async has(key: OutputKey): Promise<boolean> {
    try {
      return (await stat(this.locate(key))).isFile();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw ioError('look for workbook', this.locate(key), error);
    }
  }

  async discard(key: OutputKey): Promise<void> {
    await rm(this.locate(key), { force: true });
  }
}

/** Where the streamed accounts go in the report text. */
const ACCOUNTS_MARK = '@@native-rating:accounts@@';

/** Writes `text` to a stream, waiting when the stream is full (an error while waiting rejects). */
async function put(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function closeStream(stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.end(resolve);
  });
}

/** The lines of a text file, one at a time. */
async function* linesOf(path: string): AsyncGenerator<string> {
  const input = createReadStream(path, 'utf8');
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } finally {
    lines.close();
    input.destroy();
  }
}

/**
 * The account entries in lines of JSON indented as this store writes them
 * (inside "accounts": [ ... ] at depth 2): each starts with a line `    {` and
 * ends with `    }` or `    },`; the lines of its fields are indented deeper
 * (JSON.stringify escapes line breaks in strings, so a line is never part of a
 * value). Lines outside entries are skipped.
 */
async function* entriesOf(lines: AsyncIterable<string>): AsyncGenerator<Json> {
  let held: string[] | undefined;
  for await (const line of lines) {
    if (held === undefined) {
      if (line === '    {') held = ['{'];
    } else if (line === '    }' || line === '    },') {
      held.push('}');
      yield JSON.parse(held.join('\n')) as Json;
      held = undefined;
    } else {
      held.push(line);
    }
  }
}

const ACCOUNTS_OPEN = '  "accounts": [';
const isAccountsClose = (line: string): boolean => line === '  ]' || line === '  ],';

/** The lines of a stored report inside its accounts array. */
async function* accountLines(path: string): AsyncGenerator<string> {
  let inside = false;
  for await (const line of linesOf(path)) {
    if (!inside) inside = line === ACCOUNTS_OPEN;
    else if (isAccountsClose(line)) return;
    else yield line;
  }
}

/** A stored report's fields but its accounts (`accounts: []`), read line by line: the accounts are skipped, not held. */
async function storedHead(path: string): Promise<Json> {
  const kept: string[] = [];
  let inside = false;
  for await (const line of linesOf(path)) {
    if (!inside && line === ACCOUNTS_OPEN) {
      inside = true;
    } else if (inside) {
      if (isAccountsClose(line)) {
        inside = false;
        kept.push(`  "accounts": []${line.endsWith(',') ? ',' : ''}`);
      }
    } else {
      kept.push(line);
    }
  }
  return JSON.parse(kept.join('\n')) as Json;
}

/** A file written to a temporary file, and where it goes. */
interface Staged {
  partial: string;
  path: string;
}

/** Writes `chunks` to `<path>.<pid>.tmp`; returns the temporary file (removed when writing fails). */
async function writePartial(path: string, chunks: AsyncIterable<string> | Iterable<string>): Promise<string> {
  const partial = temporary(path);
  try {
    await pipeline(Readable.from(chunks), createWriteStream(partial));
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return partial;
}

/**
 * Writes report.html and report.csv of `head` beside `reportPath` (each to a
 * temporary file first). `accounts` gives the account entries each time it is
 * called (the page reads them twice, the CSV once). Returns the temporary
 * files and where each goes; the caller renames them (or removes them).
 */
async function writeReadings(reportPath: string, head: Json, accounts: () => AsyncIterable<Json>, only?: 'html'): Promise<Staged[]> {
  const folder = dirname(reportPath);
  const written: Staged[] = [];
  try {
    const page = join(folder, 'report.html');
    written.push({ partial: await writePartial(page, reportPageChunks(head, accounts)), path: page });
    if (only === undefined) {
      const csv = join(folder, 'report.csv');
      written.push({ partial: await writePartial(csv, reportCsvChunks(head, accounts())), path: csv });
    }
  } catch (error) {
    await Promise.all(written.map((w) => rm(w.partial, { force: true })));
    throw error;
  }
  return written;
}

/**
 * Renames each temporary file into place, in order. When one cannot be, the
 * ones already in place and every temporary file are removed: the folder holds
 * all of them or none (the last one, report.json, is what readers look for).
 */
async function placeAll(files: readonly Staged[]): Promise<void> {
  const placed: string[] = [];
  try {
    for (const f of files) {
      await rename(f.partial, f.path);
      placed.push(f.path);
    }
  } catch (error) {
    await Promise.all([...placed, ...files.map((f) => f.partial)].map((p) => rm(p, { force: true })));
    throw error;
  }
}

/** The entries of a whole report's `accounts`, as `writeReadings` takes them. */
function entriesOfReport(report: PayerReport): () => AsyncIterable<Json> {
  const entries = objects(report.accounts);
  return async function* () {
    yield* entries;
  };
}

/**
 * Reports as `report.json` in each version's folder, with `report.html` and
 * `report.csv` beside it: written by `finish` and `write`, the page written
 * again by `annotate` (a status or errors added after the month was rated).
 */
export class FolderReportStore implements ReportStore {
  constructor(private readonly dir: string) {}

  locate(key: OutputKey): string {
    return join(folderOf(this.dir, key), 'report.json');
  }

  begin(key: OutputKey): ReportDraft {
    const path = this.locate(key);
    const side = `${path}.accounts.${process.pid}.tmp`;
    let stream: WriteStream | undefined;
    let count = 0;
    const opened = async (): Promise<WriteStream> => {
      if (stream === undefined) {
        await mkdir(dirname(path), { recursive: true });
        stream = createWriteStream(side);
      }
      return stream;
    };
    return {
      account: async (entry) => {
        const s = await opened();
        // Indented as it will sit in the report: inside "accounts": [ ... ] at depth 2.
        const text = JSON.stringify(entry, null, 2).replace(/\n/g, '\n    ');
        await put(s, `${count === 0 ? '' : ',\n'}    ${text}`);
        count += 1;
      },
      finish: async (report) => {
        const s = await opened();
        await closeStream(s);
        const text = `${JSON.stringify({ ...report, accounts: ACCOUNTS_MARK }, null, 2)}\n`;
        const mark = JSON.stringify(ACCOUNTS_MARK);
        const at = text.indexOf(mark);
        if (at < 0) throw new ConnectorError('INTERNAL', `report ${path}: the accounts mark is missing`);
        const head = text.slice(0, at);
        const tail = text.slice(at + mark.length);
        const partial = temporary(path);
        let readings: Staged[] = [];
        try {
          const out = createWriteStream(partial);
          await put(out, count === 0 ? `${head}[]` : `${head}[\n`);
          if (count > 0) {
            await pipeline(createReadStream(side), out, { end: false });
            await put(out, '\n  ]');
          }
          await put(out, tail);
          await closeStream(out);
          readings = await writeReadings(path, report, () => entriesOf(linesOf(side)));
          await placeAll([...readings, { partial, path }]);
        } catch (error) {
          await Promise.all([partial, ...readings.map((r) => r.partial)].map((p) => rm(p, { force: true })));
          throw ioError('write report', path, error);
        } finally {
          await rm(side, { force: true });
        }
        return path;
      },
      abandon: async () => {
        if (stream !== undefined && !stream.closed) await closeStream(stream).catch(() => undefined);
        await rm(side, { force: true });
      },
    };
  }

  async write(key: OutputKey, report: PayerReport): Promise<string> {
    const path = this.locate(key);
    const files: Staged[] = [];
    try {
      await mkdir(dirname(path), { recursive: true });
      files.push(...(await writeReadings(path, report, entriesOfReport(report))));
      files.push({ partial: await writePartial(path, [`${JSON.stringify(report, null, 2)}\n`]), path });
      await placeAll(files);
    } catch (error) {
      await Promise.all(files.map((f) => rm(f.partial, { force: true })));
      throw ioError('write report', path, error);
    }
    return path;
  }

  async writeDiff(key: OutputKey, diff: Record<string, unknown>): Promise<string> {
    return writeJsonFile(join(folderOf(this.dir, key), 'diff.json'), diff, 'write diff');
  }

  async read(key: OutputKey): Promise<PayerReport | undefined> {
    const path = this.locate(key);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw ioError('read report', path, error);
    }
    try {
      return JSON.parse(text) as PayerReport;
    } catch (cause) {
      throw new ConnectorError('STATE', `report ${path} is not JSON: ${(cause as Error).message}`, { where: { file: path }, cause });
    }
  }

  /**
   * Adds top-level fields to a stored report without reading it whole: the
   * report ends with `\n}\n` (this store wrote it), so the fields are written
   * over that end. A field given twice reads back as its last value.
   */
  async annotate(key: OutputKey, fields: Record<string, unknown>): Promise<void> {
    const path = this.locate(key);
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    const body = entries.map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v, null, 2).replace(/\n/g, '\n  ')}`).join(',\n');
    try {
      const size = (await stat(path)).size;
      const handle = await open(path, 'r+');
      try {
        const end = Buffer.alloc(Math.min(size, 3));
        await handle.read(end, 0, end.length, size - end.length);
        if (end.toString('utf8') !== '\n}\n') throw new ConnectorError('STATE', `report ${path} does not end as this connector writes it`, { where: { file: path } });
        const empty = size <= 4;
        await handle.truncate(size - 3);
        await handle.write(`${empty ? '\n' : ',\n'}${body}\n}\n`, size - 3, 'utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (error instanceof ConnectorError) throw error;
      throw ioError('annotate report', path, error);
    }
    await this.rewritePage(path);
  }

  /** Writes report.html again from the stored report.json, its accounts read one at a time. */
  private async rewritePage(path: string): Promise<void> {
    let readings: Staged[] = [];
    try {
      const head = await storedHead(path);
      readings = await writeReadings(path, head, () => entriesOf(accountLines(path)), 'html');
      await placeAll(readings);
    } catch (error) {
      await Promise.all(readings.map((r) => rm(r.partial, { force: true })));
      throw ioError('write the page of report', path, error);
    }
  }
}
