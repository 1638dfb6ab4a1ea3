/**
 * enableMultiplePayer in the month: a reseller with its own payer and settings
 * (its approved tier configuration), and a customer of the marketplace's default
 * payer: each payer gets its own file with its own markup and currency.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runRate } from '../../src/cli/rate.command.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { FIXED_NOW, tempDir, writeJson } from '../support/run-cli.js';

let sandbox: Sandbox | undefined;
afterEach(async () => sandbox?.close());

const HEADER = 'bill/PayerAccountId,bill/BillingPeriodStartDate,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/ProductCode,bill/BillingEntity,lineItem/UnblendedCost,lineItem/CurrencyCode';

describe('a month with a reseller on its own payer', () => {
  it("bills the reseller's customer on the reseller's payer with its settings, and the others on the marketplace's payer", async () => {
    const dir = await tempDir();
    const cur = join(dir, 'cur.csv');
    await writeFile(
      cur,
      [HEADER, '111111111111,2026-10-01T00:00:00Z,222222222222,Usage,AmazonEC2,AWS,100,USD', '999999999999,2026-10-01T00:00:00Z,777777777777,Usage,AmazonEC2,AWS,200,USD'].join('\n'),
    );
    const seed = await loadSeed('fixtures/orders');
    sandbox = await startSandbox({
      seed: {
        ...seed,
        tierConfigRequests: [
          { id: 'TCR-999-999-999-001', productId: 'PRD-411-678-887', account: { id: 'TA-0000-0000-0009', name: 'Own-payer Reseller' }, status: 'approved', params: { payerAccountId: '999999999999', customMarkup: '1.5', marketplaceCurrency: 'USD' } },
        ],
        assets: [
          { id: 'AS-0001-0001', productId: 'PRD-411-678-887', customer: 'Marketplace Customer', params: { aws_account_id: '222222222222', support_level: 'basic' } },
          { id: 'AS-0001-0002', productId: 'PRD-411-678-887', customer: 'Reseller Customer', tier1: { id: 'TA-0000-0000-0009', name: 'Own-payer Reseller' }, params: { aws_account_id: '777777777777', support_level: 'basic' } },
        ],
      },
    });
    const config = await writeJson(dir, 'config.json', {
      payers: [
        { accountId: '111111111111', usage: { contractId: 'CRD-00000-00000-00000' } },
        { accountId: '999999999999', usage: { contractId: 'CRD-00000-00000-00000' } },
      ],
      connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'], retries: 1 },
      state: { path: join(dir, 'state.db') },
    });
    const results = await runRate(
      { period: '2026-10', cur, config, out: join(dir, 'out') },
      { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW, sleep: async () => undefined },
      { apiKey: sandbox.apiKey, variables: {} },
    );
    expect(results.map((r) => [r.payer.accountId, r.result.kind, r.result.run.currency])).toEqual([
      ['111111111111', 'done', 'EUR'],
      ['999999999999', 'done', 'USD'],
    ]);
    const markupOf = async (i: number) =>
      (JSON.parse(await readFile(results[i]?.result.run.reportPath ?? '', 'utf8')) as { markups: { customMarkup: { applied: string } }; accounts: Array<{ accountId: string }> });
    const marketplace = await markupOf(0);
    const reseller = await markupOf(1);
    expect(marketplace.markups.customMarkup.applied).toBe('1.1');
    expect(marketplace.accounts.map((a) => a.accountId)).toEqual(['222222222222']);
    expect(reseller.markups.customMarkup.applied).toBe('1.5');
    expect(reseller.accounts.map((a) => a.accountId)).toEqual(['777777777777']);
    expect(sandbox.platform.state.usageFiles().map((f) => f.externalId).sort()).toEqual(['111111111111-2026-10-v1', '999999999999-2026-10-v1']);
  });
});
