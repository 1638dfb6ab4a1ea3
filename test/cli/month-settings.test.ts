/** The month's payer settings from the platform: what fills in, and what the file keeps. */
import { describe, expect, it } from 'vitest';
import { runRate } from '../../src/cli/rate.command.js';
import { FIXED_NOW, tempDir, writeJson } from '../support/run-cli.js';
import { join } from 'node:path';

describe('runRate() without local files', () => {
  it('refuses a payer with no Athena settings anywhere, naming the setting, and fails that payer only', async () => {
    const dir = await tempDir();
    const config = await writeJson(dir, 'c.json', {
      payers: [{ accountId: '111111111111' }, { accountId: '222222222222', athena: { database: 'db', table: 'bad_table' } }],
      state: { path: join(dir, 'state.db') },
    });
    let out = '';
    const results = await runRate(
      { period: '2026-10', config, billAllAccounts: true, dryRun: true, out: join(dir, 'out'), payer: '111111111111' },
      { stdout: (t) => void (out += t), stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW, sleep: async () => undefined },
      { variables: {} },
    );
    expect(results).toHaveLength(1);
    expect(results[0]?.result.kind).toBe('failed');
    expect(out).toContain('payer 111111111111 has no Athena settings (payers[].athena)');
  });
});
