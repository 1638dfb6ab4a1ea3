import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultStatePath, tempDir } from './run-cli.js';

describe('defaultStatePath()', () => {
  it('keeps the state database beside an output folder inside a test folder (a second run finds the ledger)', () => {
    expect(defaultStatePath(join(tmpdir(), 'nr-test-abc', 'out'))).toBe(join(tmpdir(), 'nr-test-abc', 'state.db'));
  });

  it('gives two temp folders straight in the system temp folder two databases, never one shared state.db there', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    expect(defaultStatePath(a)).toBe(`${a}.state.db`);
    expect(defaultStatePath(a)).not.toBe(defaultStatePath(b));
    expect(defaultStatePath(a)).not.toBe(join(tmpdir(), 'state.db'));
  });
});
