/** Two payers in one month: each with its own markups and currency, each with its own usage file. */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateCur } from '../../bench/generate-cur.js';
import { runRate } from '../../src/cli/rate.command.js';
import { money, sum, toFixedText } from '../../src/domain/money.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { FIXED_NOW, tempDir, writeJson } from '../support/run-cli.js';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await startSandbox({ seed: await loadSeed('fixtures/orders') });
});
afterEach(async () => sandbox.close());

describe('a month of two payers', () => {
  it('rates each with its own markups and currency and uploads one file per payer', async () => {
    const dir = await tempDir();
    const cur = join(dir, 'cur');
    await mkdir(cur, { recursive: true });
    await generateCur({ rows: 3000, path: join(cur, 'a.csv'), payer: '111111111111', seed: 1 });
    await generateCur({ rows: 3000, path: join(cur, 'b.csv'), payer: '222222222222', seed: 2 });
    const config = await writeJson(dir, 'config.json', {
      payers: [
        { accountId: '111111111111', marketplaceCurrency: 'EUR', fxRate: '0.92', customMarkup: '1.1', customMarkupMarketplace: '1.05', usage: { contractId: 'CRD-00000-00000-00000' } },
        { accountId: '222222222222', marketplaceCurrency: 'USD', customMarkup: '1.25', usage: { contractId: 'CRD-00000-00000-00000' } },
      ],
      connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'], retries: 1 },
      state: { path: join(dir, 'state.db') },
    });
    const results = await runRate(
      { period: '2026-10', cur, billAllAccounts: true, config, out: join(dir, 'out') },
      { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW, sleep: async () => undefined },
      { apiKey: sandbox.apiKey, variables: {} },
    );
    expect(results.map((r) => [r.payer.accountId, r.result.kind, r.result.run.currency])).toEqual([
      ['111111111111', 'done', 'EUR'],
      ['222222222222', 'done', 'USD'],
    ]);
    const files = sandbox.platform.state.usageFiles();
    expect(files.map((f) => f.externalId).sort()).toEqual(['111111111111-2026-10-v1', '222222222222-2026-10-v1']);
    for (const { payer: { accountId: payer }, result } of results) {
      const file = files.find((f) => f.externalId.startsWith(payer));
      const records = sandbox.platform.state.usageFileRecords(file?.id ?? '')?.records ?? [];
      const report = JSON.parse(await readFile(result.run.reportPath ?? '', 'utf8')) as { billedTotal: string; markups: Record<string, { applied: string }> };
      expect(toFixedText(sum(records.map((r) => money(r.amount ?? '0'))), 2)).toBe(report.billedTotal);
      expect(report.markups.customMarkup?.applied).toBe(payer === '111111111111' ? '1.1' : '1.25');
    }
  });
});
