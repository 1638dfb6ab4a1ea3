/**
 * Two-stage shutdown (graphile-worker's habit): the first SIGTERM or SIGINT
 * drains (no new request is started, the ones in hand finish), the second forces
 * (the I/O in flight is aborted).
 */
import { setMaxListeners } from 'node:events';

export type Stage = 'drain' | 'force';

/** What a process-like emitter must offer (process, or a test's EventEmitter). */
export interface SignalSource {
  on(event: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  off(event: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
}

export interface Shutdown {
  /** Aborted by the first signal. */
  drain: AbortSignal;
  /** Aborted by the second signal. */
  force: AbortSignal;
  /** Removes the listeners. */
  dispose(): void;
}

export function installShutdown(source: SignalSource, onStage?: (stage: Stage, signal: string) => void): Shutdown {
  const drain = new AbortController();
  const force = new AbortController();
  // Every AWS and HTTP call in flight listens on these (the SDK adds one listener per call): not a leak.
  setMaxListeners(1000, drain.signal, force.signal);
  const listener = (name: string) => (): void => {
    if (!drain.signal.aborted) {
      drain.abort(new Error(`${name}: draining`));
      onStage?.('drain', name);
    } else if (!force.signal.aborted) {
      force.abort(new Error(`${name}: forced stop`));
      onStage?.('force', name);
    }
  };
  const onTerm = listener('SIGTERM');
  const onInt = listener('SIGINT');
  source.on('SIGTERM', onTerm);
  source.on('SIGINT', onInt);
  return {
    drain: drain.signal,
    force: force.signal,
    dispose: () => {
      source.off('SIGTERM', onTerm);
      source.off('SIGINT', onInt);
    },
  };
}
