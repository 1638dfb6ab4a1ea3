/** A live month with lines of the state database, against the sandbox platform: the usage file holds them, the credit's balance is a live one. */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runRate } from '../../src/cli/rate.command.js';
import { balanceKey } from '../../src/domain/custom-lines.js';
import { money, sum, toFixedText } from '../../src/domain/money.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { openStateDatabase } from '../../src/store/database.js';
import { SqliteCustomLineStore } from '../../src/store/custom-lines.store.js';
import { demoMonthOptions, startMonthSandbox } from '../support/month-sandbox.js';
import { FIXED_NOW } from '../support/run-cli.js';

let sandbox: Sandbox;
let dir: string;
beforeEach(async () => {
  ({ sandbox, dir } = await startMonthSandbox());
});
afterEach(async () => sandbox.close());

const io = () => ({ stdout: () => undefined, stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW, sleep: async () => undefined });

describe('rate without --dry-run, with lines of the state database', () => {
  it('uploads the line records in their categories, and keeps what the flat credit left for the next live month', async () => {
    const state = openStateDatabase(join(dir, 'state.db'));
    const store = new SqliteCustomLineStore(state.db);
    store.add({ id: 'onboarding', kind: 'fee', assetId: 'AS-0001-0003', amount: '75', from: '2026-10', to: '2026-10', description: 'Onboarding' }, 'alice', FIXED_NOW);
    store.add({ id: 'goodwill', kind: 'credit', assetId: 'AS-0001-0001', amount: '1000000', from: '2026-09', description: 'Goodwill credit' }, 'alice', FIXED_NOW);
    state.close();

    const [entry] = await runRate(await demoMonthOptions(dir, sandbox.platformUrl), io(), { apiKey: sandbox.apiKey, variables: {} });
    expect(entry?.result).toMatchObject({ kind: 'done', run: { dryRun: false, outcome: 'succeeded', usageFileStatus: 'pending' } });
    const [file] = sandbox.platform.state.usageFiles();
    const content = sandbox.platform.state.usageFileRecords(file?.id ?? '');
    const lines = (content?.records ?? []).filter((r) => (r.record_id ?? '').includes('-line-'));
    expect(lines.map((r) => [r.record_id, r.category_id, r.record_note])).toEqual(
      expect.arrayContaining([
        ['111111111111-2026-10-444444444444-line-onboarding', 'custom_lines', 'Onboarding'],
        ['111111111111-2026-10-222222222222-line-goodwill', 'credits', 'Goodwill credit'],
      ]),
    );
    // The credit is bigger than the month: Acme's month comes to 0, and the platform's file adds up to the billed total.
    const acme = (content?.records ?? []).filter((r) => r.asset_search_value === 'AS-0001-0001');
    expect(toFixedText(sum(acme.map((r) => money(r.amount ?? '0'))), 2)).toBe('0.00');
    expect(toFixedText(sum((content?.records ?? []).map((r) => money(r.amount ?? '0'))), 2)).toBe(entry?.result.run.billedTotal);

    const again = openStateDatabase(join(dir, 'state.db'));
    try {
      const balances = new SqliteCustomLineStore(again.db);
      const left = balances.openings({ payerAccountId: '111111111111', period: '2026-11', dryRun: false }).get(balanceKey('goodwill', '222222222222'));
      const taken = money(lines.find((r) => r.record_id?.endsWith('-line-goodwill'))?.amount ?? '0');
      expect(taken.isNegative()).toBe(true);
      // November opens with the million less what October took, to the cent.
      expect(left).toBe(money('1000000').plus(taken).toFixed(2));
    } finally {
      again.close();
    }
  });
});
