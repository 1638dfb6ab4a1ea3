/** Runs the rate command in-process with captured output, on temp folders. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRate, type RateOptions } from '../../src/cli/rate.command.js';
import type { RateMonthResult } from '../../src/app/rate-month.js';
import { coerceError, type ConnectorError } from '../../src/domain/errors.js';

export const FIXED_NOW = new Date('2026-11-05T00:00:00Z');

export interface CliRun {
  result?: RateMonthResult;
  error?: ConnectorError;
  stdout: string;
  stderr: string;
}

export async function tempDir(prefix = 'nr-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function writeJson(dir: string, name: string, value: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(value, null, 2));
  return path;
}

/** Runs `rate` with the given options; never throws (the error is returned). */
export async function runCli(options: Partial<RateOptions> & { config: string; out: string }): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), stderrIsTty: false, now: () => FIXED_NOW };
  try {
    const result = await runRate({ period: '2026-10', dryRun: true, ...options }, io);
    return { result, stdout, stderr };
  } catch (error) {
    return { error: coerceError(error), stdout, stderr };
  }
}
