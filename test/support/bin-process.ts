/** The bin run as a child process, as an operator runs it: its output as it comes, and its exit. */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Sandbox } from '../../src/sandbox/sandbox.js';

export interface BinProcess {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  output: () => string;
  /** The exit status (null when ended by a signal). */
  exited: Promise<number | null>;
  /** Resolves once `seen(output)` holds; rejects with `exitedBefore` and the output if the process exits first. Waits on output events, never on a timer. */
  until: (seen: (output: string) => boolean, exitedBefore: string) => Promise<void>;
}

/** Starts `node <bin> ...args` in `cwd` with exactly `env`. */
export function spawnBin(bin: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): BinProcess {
  const child = spawn(process.execPath, [bin, ...args], { cwd: options.cwd, env: options.env });
  let output = '';
  const listeners: Array<() => void> = [];
  const onData = (d: Buffer): void => {
    output += d.toString();
    for (const listener of [...listeners]) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const until = (seen: (output: string) => boolean, exitedBefore: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (seen(output)) resolve();
      };
      listeners.push(check);
      check();
      void exited.then(() => {
        check();
        reject(new Error(`${exitedBefore}:\n${output}`));
      });
    });
  return { child, output: () => output, exited, until };
}

/** The environment of a bin against `sandbox`: its API key, its AWS endpoint and stand-in credentials, info logs; nothing else of this process's. */
export function sandboxBinEnv(sandbox: Sandbox, accessKeyId: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    CONNECT_API_KEY: sandbox.apiKey,
    AWS_ENDPOINT_URL_ORGANIZATIONS: sandbox.organizationsUrl,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'sandbox',
    AWS_REGION: 'us-east-1',
    LOG_LEVEL: 'info',
  };
}
