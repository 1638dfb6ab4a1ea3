/**
 * An Athena result CSV (`<OutputLocation>/<QueryExecutionId>.csv`) read as a stream
 * from S3 and parsed record by record: the file is never held in memory whole.
 */
import { Readable, pipeline } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parse } from 'csv-parse';
import { ConnectorError } from '../../domain/errors.js';
import { translateAwsError } from './aws-errors.js';

/** Bucket and key of `s3://bucket/key`; undefined for anything else. */
export function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  return m ? { bucket: m[1] as string, key: m[2] as string } : undefined;
}

export interface S3CsvContext {
  payerAccountId: string;
  signal?: AbortSignal;
  /** Values never to show in a message. */
  secrets: ReadonlyArray<string | undefined>;
}

/**
 * The records of the CSV at `location` (`s3://bucket/key`), header first, every value a
 * string ('' for Athena's NULL). S3 failures become `ConnectorError`s (`GetObject`), a
 * file that is not CSV becomes `CUR_INPUT` naming the location and line.
 */
export async function* s3CsvRecords(s3: Pick<S3Client, 'send'>, location: string, context: S3CsvContext): AsyncGenerator<string[]> {
  const { payerAccountId, signal, secrets } = context;
  const translate = (error: unknown): ConnectorError => translateAwsError(error, { operation: 'GetObject', payerAccountId, signal, secrets });
  const target = parseS3Url(location);
  if (!target) {
    throw new ConnectorError('AWS_CALL', `Athena gave payer ${payerAccountId} a result location that is not s3://bucket/key: ${location}`, {
      where: { payer: payerAccountId, setting: 'athena', value: location },
    });
  }
  let body: Readable;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: target.key }), { abortSignal: signal });
    if (!(out.Body instanceof Readable)) throw new ConnectorError('INTERNAL', `S3 GetObject of ${location} returned no Node stream`);
    body = out.Body;
  } catch (error) {
    throw translate(error);
  }

  const parser = parse({ bom: true });
  // Errors of either side (network, abort, bad CSV) destroy both and surface in the loop below.
  pipeline(body, parser, () => undefined);
  const onAbort = (): void => {
    body.destroy(Object.assign(new Error(`reading ${location} was aborted`), { name: 'AbortError' }));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const record of parser as AsyncIterable<string[]>) yield record;
  } catch (error) {
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    if (typeof code === 'string' && code.startsWith('CSV_') && !signal?.aborted) {
      const line = (error as { lines?: unknown }).lines;
      throw new ConnectorError('CUR_INPUT', `Athena result ${location} of payer ${payerAccountId} is not readable CSV${typeof line === 'number' ? ` (line ${line})` : ''}: ${(error as Error).message}`, {
        where: { payer: payerAccountId, file: location, ...(typeof line === 'number' ? { row: line } : {}) },
        cause: error,
      });
    }
    throw translate(error);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!body.destroyed) body.destroy();
  }
}
