/** ratePayerMonth() with a billing-transfer subscription (issue 13): the CUR's rows of the covered organization are the payer's too, read by the engine in account order. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderReportStore, FolderWorkbookStore } from '../../../src/adapters/files/folder-stores.js';
import type { WorkbookDraft, WorkbookRecord, WorkbookShape, WorkbookWriter, WrittenWorkbook } from '../../../src/app/ports.js';
import { subscriptionsFor } from '../../../src/app/subscriptions.js';
import { ratePayerMonth, type RatePayerDeps, type RatePayerInput } from '../../../src/app/usage/rate-payer.js';
import { closingSources, row, tempDir as curDir, writeCsv } from '../../adapters/engine/cur-fixtures.js';
import { catalog, defaultSettings } from '../../support/groups.js';
import { tempDir } from '../../support/run-cli.js';

const open = closingSources();
const PAYER = '222200000000';
const SOURCE = '111100000000'; // sorts before the payer's own accounts
const MEMBER = '999900000000';
const ORDINARY = '555500000000';

class MemoryWorkbook implements WorkbookWriter {
  readonly records: WorkbookRecord[] = [];
  open(_shape: WorkbookShape): WorkbookDraft {
    const records = this.records;
    return {
      content: (async function* () {
        yield new TextEncoder().encode('x');
      })(),
      add: (record) => void records.push(record),
      finish: async (): Promise<WrittenWorkbook> => {
        const cents = records.reduce((n, r) => n + BigInt(r.amount.replace('.', '')), 0n);
        const text = cents.toString().padStart(3, '0');
        return { total: `${text.slice(0, -2)}.${text.slice(-2)}`, rows: records.length, bytes: 1 };
      },
      abort: () => undefined,
    };
  }
}

describe('ratePayerMonth(): billing transfer', () => {
  it("bills the transferred organization's accounts to its subscription, the payer's own accounts as before", async () => {
    const path = await writeCsv(join(await curDir(), 'cur.csv'), [
      row({ payer: PAYER, account: ORDINARY, cost: '10' }),
      row({ payer: SOURCE, account: SOURCE, cost: '20' }),
      row({ payer: SOURCE, account: MEMBER, cost: '30' }),
      row({ payer: '333300000000', account: '444400000000', cost: '99' }),
    ]);
    const workbook = new MemoryWorkbook();
    const out = await tempDir();
    const subscriptions = subscriptionsFor(
      [
        { assetId: 'AS-ORD', accountId: ORDINARY, supportLevel: 'basic', status: 'active' },
        { assetId: 'AS-BT', accountId: SOURCE, supportLevel: 'basic', status: 'active', accountType: 'billing-transfer' },
      ],
      PAYER,
      '2026-10',
    );
    const deps: RatePayerDeps = { cur: open(path), workbook, workbooks: new FolderWorkbookStore(out), reports: new FolderReportStore(out), subscriptions, now: () => new Date('2026-11-05T00:00:00Z') };
    const input: RatePayerInput = {
      key: { payerAccountId: PAYER, period: '2026-10', version: 1 },
      payer: { accountId: PAYER },
      settings: defaultSettings,
      catalog,
      items: { awsUsageMpn: 'AWS', marketplaceUsageMpn: 'MP', supportMpn: 'SUP' },
      recordsSheetName: 'usage_records',
      knownCurrencies: new Set(['USD']),
      signal: new AbortController().signal,
    };
    const outcome = await ratePayerMonth(deps, input);
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
    expect(workbook.records.map((r) => [r.assetSearchCriteria, r.assetSearchValue, r.amount])).toEqual([
      ['asset.id', 'AS-BT', '20.00'],
      ['asset.id', 'AS-ORD', '10.00'],
      ['asset.id', 'AS-BT', '30.00'],
    ]);
    expect(outcome.rated.billedTotal).toBe('60.00');
    expect(outcome.otherPayers).toEqual(['333300000000']);
  });
});
