/**
 * The part of zip-stream (archiver's zip writer: entries streamed through
 * node:zlib, sizes in data descriptors, zip64 when needed) the workbook writer
 * uses. The package ships no types.
 */
declare module 'zip-stream' {
  import type { Transform } from 'node:stream';

  interface ZipStreamOptions {
    /** Passed to node:zlib's deflate, e.g. `{ level: 6 }`. */
    zlib?: { level?: number; chunkSize?: number };
    forceZip64?: boolean;
  }

  interface EntryData {
    name: string;
    date?: Date | string;
    store?: boolean;
  }

  class ZipStream extends Transform {
    constructor(options?: ZipStreamOptions);
    /** Appends one entry; one at a time: the next after `callback`. */
    entry(source: Buffer | string | NodeJS.ReadableStream, data: EntryData, callback: (error: Error | null) => void): this;
    /** No more entries: the central directory follows the last one. */
    finalize(): void;
    getBytesWritten(): number;
  }

  export default ZipStream;
}
