/**
 * Runs the command line as the bin does (`runProgram` over `buildProgram(env)`),
 * in-process, with the process's stdout and stderr captured and its exit status
 * read back: for tests of a whole command (options, exit status, output).
 */
import { vi } from 'vitest';
import { buildProgram, runProgram } from '../../src/cli/program.js';

export interface ProgramRun {
  code: number | string | undefined;
  stdout: string;
  stderr: string;
}

/** `native-rating <args...>` with `env` as its environment; the spies are restored and the exit status cleared after. */
export async function runBin(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ProgramRun> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  process.exitCode = undefined;
  try {
    await runProgram(['node', 'native-rating', ...args], buildProgram(env));
    return { code: process.exitCode, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  }
}
