/** `progressPrinter()`: what a person sees of long work on stderr, on a terminal and in a log. */
import { describe, expect, it } from 'vitest';
import { progressPrinter, type CommandIo } from '../../src/cli/rate.command.js';

function printer(tty: boolean): { lines: string[]; print: ReturnType<typeof progressPrinter> } {
  const lines: string[] = [];
  const io: CommandIo = { stdout: () => undefined, stderr: (t) => void lines.push(t), stderrIsTty: tty, now: () => new Date(0) };
  return { lines, print: progressPrinter(io) };
}

describe('progressPrinter()', () => {
  it('outside a terminal prints a line at each tenth of a known total: the audit by accounts', () => {
    const { lines, print } = printer(false);
    for (let done = 0; done <= 40; done += 1) print({ phase: 'audit payer 111111111111', done, total: 40, unit: 'accounts' });
    expect(lines).toEqual([0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40].map((n) => `audit payer 111111111111: ${n}/40 accounts (${(n * 100) / 40}%)\n`));
  });

  it('outside a terminal prints an open count each time it doubles', () => {
    const { lines, print } = printer(false);
    for (let done = 0; done <= 100; done += 1) print({ phase: 'scan', done, unit: 'rows' });
    expect(lines).toEqual(['scan: 0 rows\n', ...[1, 2, 4, 8, 16, 32, 64].map((n) => `scan: ${n} rows\n`)]);
  });

  it('prints the first event of each new phase, bytes in MiB', () => {
    const { lines, print } = printer(false);
    print({ phase: 'scan', done: 0, total: 4 * 1048576, unit: 'bytes' });
    print({ phase: 'scan', done: 1048576, total: 4 * 1048576, unit: 'bytes' });
    print({ phase: 'upload payer 111111111111: file-created', done: 1, total: 4, unit: 'steps' });
    expect(lines).toEqual(['scan: 0.0 / 4.0 MiB (0%)\n', 'scan: 1.0 / 4.0 MiB (25%)\n', 'upload payer 111111111111: file-created: 1/4 steps (25%)\n']);
  });

  it('on a terminal redraws one line for every event', () => {
    const { lines, print } = printer(true);
    print({ phase: 'audit payer 111111111111', done: 1, total: 3, unit: 'accounts' });
    print({ phase: 'audit payer 111111111111', done: 2, total: 3, unit: 'accounts' });
    expect(lines).toEqual(['\r\u001b[Kaudit payer 111111111111: 1/3 accounts (33%)', '\r\u001b[Kaudit payer 111111111111: 2/3 accounts (66%)']);
  });
});
