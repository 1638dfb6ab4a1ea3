import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { runPollLoop, sleepUntilAborted } from '../../src/daemon/poll-loop.js';
import { installShutdown, type SignalSource } from '../../src/daemon/shutdown.js';

const emitter = (): EventEmitter & SignalSource => new EventEmitter() as EventEmitter & SignalSource;

describe('installShutdown()', () => {
  it('drains on the first signal and forces on the second', () => {
    const source = emitter();
    const stages: string[] = [];
    const s = installShutdown(source, (stage, name) => stages.push(`${stage}:${name}`));
    source.emit('SIGTERM');
    expect([s.drain.aborted, s.force.aborted]).toEqual([true, false]);
    source.emit('SIGINT');
    expect([s.drain.aborted, s.force.aborted]).toEqual([true, true]);
    expect(stages).toEqual(['drain:SIGTERM', 'force:SIGINT']);
    s.dispose();
    expect(source.listenerCount('SIGTERM')).toBe(0);
  });
});

describe('runPollLoop()', () => {
  it('runs cycles until drained, finishing the cycle in hand', async () => {
    const drain = new AbortController();
    const seen: string[] = [];
    const cycles = await runPollLoop({
      intervalMs: 10,
      drain: drain.signal,
      sleep: async () => undefined,
      cycle: async (i) => {
        seen.push(`start ${i}`);
        if (i === 3) drain.abort();
        await Promise.resolve();
        seen.push(`end ${i}`);
      },
    });
    expect(cycles).toBe(3);
    expect(seen.at(-1)).toBe('end 3');
  });

  it('goes on after a cycle that throws, reporting it', async () => {
    const drain = new AbortController();
    const errors: number[] = [];
    await runPollLoop({
      intervalMs: 10,
      drain: drain.signal,
      sleep: async () => undefined,
      cycle: async (i) => {
        if (i === 1) throw new Error('platform down');
        drain.abort();
      },
      onCycleError: (_e, i) => errors.push(i),
    });
    expect(errors).toEqual([1]);
  });

  it('ends the pause between cycles at once on a drain', async () => {
    const drain = new AbortController();
    const pause = sleepUntilAborted(60_000, drain.signal);
    drain.abort();
    await expect(pause).resolves.toBeUndefined();
  });
});
