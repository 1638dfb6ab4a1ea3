/**
 * Counts the official SDK's calls in the SDK tests: each call is run and
 * counted, and passes when it resolves (`call`) or when the sandbox refuses
 * it with the SDK's own `APIError` (`refused`).
 */
import { createRequire } from 'node:module';
import { expect } from 'vitest';

/** The SDK's error (it ships no types). */
export interface SdkApiError extends Error {
  status: number;
  errorCode: string;
  errors: string[];
}

const require = createRequire(import.meta.url);
const { APIError } = require('@cloudblueconnect/connect-javascript-sdk') as { APIError: new (...args: never[]) => SdkApiError };

export class SdkTally {
  run = 0;
  passed = 0;
  readonly calls: string[] = [];

  /** Runs one SDK call, counting it: it passes when it resolves. */
  async call<T>(name: string, run: () => Promise<T>): Promise<T> {
    this.run += 1;
    this.calls.push(name);
    const value = await run();
    this.passed += 1;
    return value;
  }

  /** Runs one SDK call the sandbox must refuse: it passes when it throws the SDK's APIError. */
  async refused(name: string, run: () => Promise<unknown>): Promise<SdkApiError> {
    this.run += 1;
    this.calls.push(name);
    const error = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(APIError);
    this.passed += 1;
    return error as SdkApiError;
  }
}
