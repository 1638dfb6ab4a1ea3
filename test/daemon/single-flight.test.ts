import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../../src/daemon/single-flight.js';

/** A piece of work the test ends when it wants. */
function held<T>(value: T) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { work: async () => (await gate, value), release };
}

describe('SingleFlight', () => {
  it('turns a second caller of a running key away, and runs the key again once it ended', async () => {
    const flights = new SingleFlight();
    const first = held('first');
    const running = flights.run('111111111111/2026-10', first.work);
    expect(await flights.run('111111111111/2026-10', async () => 'second')).toEqual({ started: false });
    expect(flights.keys()).toEqual(['111111111111/2026-10']);
    first.release();
    expect(await running).toEqual({ started: true, result: 'first' });
    expect(await flights.run('111111111111/2026-10', async () => 'again')).toEqual({ started: true, result: 'again' });
  });

  it('idle() settles only once every running work has ended, a failed one included', async () => {
    const flights = new SingleFlight();
    const a = held('a');
    const ended: string[] = [];
    void flights.run('a', a.work).then(() => ended.push('a'));
    const failing = flights.run('b', async () => {
      throw new Error('run failed');
    });
    await expect(failing).rejects.toThrow('run failed');
    let idle = false;
    const waiting = flights.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    a.release();
    await waiting;
    expect(idle).toBe(true);
    expect(ended).toEqual(['a']);
    expect(flights.keys()).toEqual([]);
  });

  it('idle() also waits for work started while it waited', async () => {
    const flights = new SingleFlight();
    const a = held('a');
    const b = held('b');
    void flights.run('a', a.work);
    let idle = false;
    const waiting = flights.idle().then(() => (idle = true));
    void flights.run('b', b.work);
    a.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    b.release();
    await waiting;
    expect(flights.keys()).toEqual([]);
  });
});
