/** ratePayerMonth() with stand-in sources and writers: what is streamed, written, proved and refused. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderReportStore, FolderWorkbookStore } from '../../../src/adapters/files/folder-stores.js';
import type { CurSource, WorkbookDraft, WorkbookRecord, WorkbookShape, WorkbookWriter, WrittenWorkbook } from '../../../src/app/ports.js';
import { ratePayerMonth, type RatePayerDeps, type RatePayerInput } from '../../../src/app/usage/rate-payer.js';
import type { CurGroup } from '../../../src/domain/cur.js';
import { money } from '../../../src/domain/money.js';
import { catalog, defaultSettings, group } from '../../support/groups.js';
import { tempDir } from '../../support/run-cli.js';

/** A source yielding `batches` as given (an account may span two batches). */
const source = (batches: CurGroup[][], tellsFinality = false): CurSource => ({
  aggregate: async () => ({
    source: 'memory',
    tellsFinality,
    groups: (async function* () {
      for (const b of batches) yield b;
    })(),
  }),
});

/** Keeps the records in memory; its proof sums the amounts as cents, `skew` cents off as a corrupt file would be. */
class MemoryWorkbook implements WorkbookWriter {
  readonly records: WorkbookRecord[] = [];
  constructor(private readonly skew = 0n) {}
  open(_shape: WorkbookShape): WorkbookDraft {
    const records = this.records;
    const skew = this.skew;
    let finished: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finished = resolve));
    return {
      content: (async function* () {
        await done;
        yield new TextEncoder().encode(JSON.stringify(records));
      })(),
      add: (record) => void records.push(record),
      finish: async (): Promise<WrittenWorkbook> => {
        finished();
        const cents = records.reduce((n, r) => n + BigInt(r.amount.replace('.', '')), 0n) + skew;
        const text = cents.toString().padStart(3, '0');
        return { total: `${text.slice(0, -2)}.${text.slice(-2)}`, rows: records.length, bytes: 1 };
      },
      abort: () => finished(),
    };
  }
}

async function setup(cur: CurSource, workbook = new MemoryWorkbook()) {
  const out = await tempDir();
  const deps: RatePayerDeps = { cur, workbook, workbooks: new FolderWorkbookStore(out), reports: new FolderReportStore(out), subscriptions: 'all', now: () => new Date('2026-11-05T00:00:00Z') };
  const input: RatePayerInput = {
    key: { payerAccountId: '111111111111', period: '2026-10', version: 1 },
    payer: { accountId: '111111111111' },
    settings: { ...defaultSettings, supportPlanSource: 'detected' },
    catalog,
    items: { awsUsageMpn: 'AWS', marketplaceUsageMpn: 'MP', supportMpn: 'SUP' },
    recordsSheetName: 'usage_records',
    knownCurrencies: new Set(['USD']),
    signal: new AbortController().signal,
  };
  return { deps, input, out, workbook };
}

const report = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown> & { accounts: Array<{ accountId: string; records: unknown[] }> };

describe('ratePayerMonth()', () => {
  it('rates account by account across batches, writes the records, and streams every account into the report', async () => {
    const a = group({ accountId: '222222222222', unblendedUsd: '10.004' });
    const b1 = group({ accountId: '333333333333', productCode: 'AmazonS3', unblendedUsd: '1.50' });
    const b2 = group({ accountId: '333333333333', productCode: 'AmazonEC2', unblendedUsd: '2.25' });
    const { deps, input, workbook } = await setup(source([[a, b1], [b2]]));
    const outcome = await ratePayerMonth(deps, input);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(workbook.records.map((r) => [r.assetSearchValue, r.note, r.amount])).toEqual([
      ['222222222222', 'AmazonEC2', '10.00'],
      ['333333333333', 'AmazonEC2', '2.25'],
      ['333333333333', 'AmazonS3', '1.50'],
    ]);
    expect(outcome.rated.billedTotal).toBe('13.75');
    expect(outcome.rowsRead).toBe(3);
    const written = await report(outcome.reportPath);
    expect(written).toMatchObject({ status: 'ok', billedTotal: '13.75', records: 3 });
    expect(written.accounts.map((x) => [x.accountId, x.records.length])).toEqual([['222222222222', 1], ['333333333333', 2]]);
    expect(existsSync(outcome.workbookPath)).toBe(true);
  });

  it('discards a workbook whose proved total differs from the rating, with a failed report', async () => {
    const { deps, input, out } = await setup(source([[group({ unblendedUsd: '10' })]]), new MemoryWorkbook(1n));
    const outcome = await ratePayerMonth(deps, input);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.errors[0]).toMatchObject({ code: 'RECONCILIATION_FAILED' });
    expect(outcome.errors[0]?.message).toContain('workbook total 10.01');
    expect(existsSync(join(out, '111111111111', '2026-10', 'usage.xlsx'))).toBe(false);
    expect((await report(outcome.reportPath)).status).toBe('failed');
  });

  it('fails the payer at the end for a group of another month in its last account, and keeps no workbook', async () => {
    const last = group({ accountId: '999999999990', periodStart: '2026-09-01', unblendedUsd: '1' });
    const { deps, input, out } = await setup(source([[group({ unblendedUsd: '10' })], [last]]));
    const outcome = await ratePayerMonth(deps, input);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.errors.map((e) => e.code)).toEqual(['PERIOD_MISMATCH']);
    expect(existsSync(join(out, '111111111111', '2026-10', 'usage.xlsx'))).toBe(false);
  });

  it('notes the other payers of a shared CUR and rates only its own', async () => {
    const { deps, input, workbook } = await setup(source([[group({ payerAccountId: '000000000001', unblendedUsd: '5' }), group({ unblendedUsd: '10' })]]));
    const outcome = await ratePayerMonth(deps, input);
    expect(outcome).toMatchObject({ ok: true, otherPayers: ['000000000001'] });
    expect(workbook.records).toHaveLength(1);
  });

  it('refuses a CUR without rows of the payer (CUR_EMPTY)', async () => {
    const { deps, input } = await setup(source([[group({ payerAccountId: '000000000001', unblendedUsd: '5' })]]));
    const outcome = await ratePayerMonth(deps, input);
    expect(outcome).toMatchObject({ ok: false, errors: [{ code: 'CUR_EMPTY' }] });
  });

  it('says in the report whether the month is final when the source can tell, and nothing when it cannot', async () => {
    const final = await setup(source([[group({ unblendedUsd: '10', rows: 2, invoicedRows: 2 })]], true));
    const open = await setup(source([[group({ unblendedUsd: '10', rows: 2, invoicedRows: 1 })]], true));
    const local = await setup(source([[group({ unblendedUsd: '10' })]]));
    const [f, o, l] = [await ratePayerMonth(final.deps, final.input), await ratePayerMonth(open.deps, open.input), await ratePayerMonth(local.deps, local.input)];
    expect([f.ok && f.final, o.ok && o.final, l.ok && l.final]).toEqual([true, false, undefined]);
    expect((await report(f.reportPath)).curFinal).toBe(true);
    expect((await report(o.reportPath)).curFinal).toBe(false);
    expect('curFinal' in (await report(l.reportPath))).toBe(false);
  });

  it('names the customer of each account entry from its subscription, null where unknown', async () => {
    const { deps, input, out } = await setup(source([[group({ accountId: '222222222222', unblendedUsd: '1' }), group({ accountId: '333333333333', unblendedUsd: '2' })]]));
    deps.subscriptions = new Map([
      ['222222222222', { assetId: 'AS-1', accountId: '222222222222', supportLevel: 'basic', customerName: 'Acme Corp' }],
      ['333333333333', { assetId: 'AS-2', accountId: '333333333333', supportLevel: 'basic' }],
    ]);
    const outcome = await ratePayerMonth(deps, input);
    expect(outcome.ok).toBe(true);
    const written = await report(join(out, '111111111111', '2026-10', 'report.json'));
    expect(written.accounts.map((a) => [a.accountId, (a as { customer?: unknown }).customer])).toEqual([
      ['222222222222', 'Acme Corp'],
      ['333333333333', null],
    ]);
  });

  it('an abort throws ABORTED and leaves no workbook', async () => {
    const { deps, input, out } = await setup(source([[group({ unblendedUsd: '10' })]]));
    const controller = new AbortController();
    controller.abort();
    await expect(ratePayerMonth(deps, { ...input, signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(existsSync(join(out, '111111111111', '2026-10', 'usage.xlsx'))).toBe(false);
  });
});

describe('ratePayerMonth() and the CUR\'s account ids', () => {
  it('refuses the month for an account id that is not 12 digits, naming the value, with a failed report and no workbook', async () => {
    const bad = group({ accountId: '../../etc', unblendedUsd: '1' });
    const { deps, input, out, workbook } = await setup(source([[group({ unblendedUsd: '10' }), bad]]));
    const outcome = await ratePayerMonth(deps, input);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.errors).toEqual([
      {
        code: 'CUR_INPUT',
        message: 'the CUR of payer 111111111111 for 2026-10 (memory): account id "../../etc" is not an AWS account id (12 digits)',
        where: { payer: '111111111111', column: 'line_item_usage_account_id', value: '../../etc' },
      },
    ]);
    expect(existsSync(join(out, '111111111111', '2026-10', 'usage.xlsx'))).toBe(false);
    expect(existsSync(join(out, 'etc'))).toBe(false);
    expect(await report(outcome.reportPath)).toMatchObject({ status: 'failed', errors: [{ code: 'CUR_INPUT' }] });
    expect(workbook.records.every((r) => r.assetSearchValue !== '../../etc')).toBe(true);
  });

  it('refuses an empty account id (a NULL in the CUR) the same way', async () => {
    const { deps, input } = await setup(source([[group({ accountId: '', unblendedUsd: '1' })]]));
    const outcome = await ratePayerMonth(deps, input);
    expect(outcome).toMatchObject({ ok: false, errors: [{ code: 'CUR_INPUT', message: expect.stringContaining('account id "" is not an AWS account id') }] });
  });

  it('does not judge the account ids of other payers\' rows it skips', async () => {
    const { deps, input } = await setup(source([[group({ payerAccountId: '000000000001', accountId: 'x', unblendedUsd: '5' }), group({ unblendedUsd: '10' })]]));
    expect(await ratePayerMonth(deps, input)).toMatchObject({ ok: true });
  });
});

describe('ratePayerMonth() and the margin (MARGIN.md §1–§3, §6)', () => {
  type Margin = {
    customers: Array<Record<string, string | null>>;
    unassigned: Record<string, string>;
    totals: Record<string, string>;
    partnerLedSupport: { discount: string };
    currency: string;
    fxRate: string;
  };
  type Entry = { accountId: string; records: Array<{ kind: string; billed: string }>; services: Array<Record<string, string>> };
  const marginOf = async (path: string) => (await report(path)) as unknown as { margin: Margin; accounts: Entry[] };
  const subscribed = (...ids: string[]) => new Map(ids.map((id, i) => [id, { assetId: `AS-${i + 1}`, accountId: id, supportLevel: 'business', customerName: `Customer ${i + 1}` }]));
  const cur = () =>
    source([
      [
        group({ accountId: '222222222222', unblendedUsd: '1000', costUsd: '950' }),
        group({ accountId: '222222222222', lineItemType: 'EdpDiscount', unblendedUsd: '-50', costUsd: '0' }),
        group({ accountId: '222222222222', lineItemType: 'Tax', unblendedUsd: '190', costUsd: '190' }),
        group({ accountId: '222222222222', productCode: 'AWSSupportBusiness', lineItemType: 'Fee', unblendedUsd: '100', costUsd: '100' }),
      ],
      [group({ accountId: '555555555555', unblendedUsd: '20.005' }), group({ accountId: '555555555555', lineItemType: 'Tax', unblendedUsd: '1' })],
    ]);

  it('writes each customer\'s cost, billed and margin, the unassigned cost and the totals, in the billing currency and USD', async () => {
    const { deps, input, out } = await setup(cur());
    deps.subscriptions = subscribed('222222222222');
    input.settings = { ...input.settings, supportPlanSource: 'ordered' };
    input.payer = { accountId: '111111111111', marketplaceCurrency: 'EUR', fxRate: '0.9', customMarkup: '1.2' };
    input.knownCurrencies = new Set(['USD', 'EUR']);
    const outcome = await ratePayerMonth(deps, input);
    expect(outcome.ok).toBe(true);
    const { margin, accounts } = await marginOf(join(out, '111111111111', '2026-10', 'report.json'));
    // Billed: EC2 1,000 × 1.2 × 0.9 = 1,080; business support max(100, 10% × 1,000) = 100 → 108; total 1,188 EUR = 1,320 USD.
    expect(margin.customers).toEqual([
      { accountId: '222222222222', assetId: 'AS-1', customer: 'Customer 1', awsCostUsd: '1050.00', taxUsd: '190.00', billed: '1188.00', billedUsd: '1320.00', marginUsd: '270.00', marginPercent: '20.5' },
    ]);
    expect(margin.unassigned).toEqual({ awsCostUsd: '20.01', taxUsd: '1.00' });
    expect(margin.totals).toEqual({ awsCostUsd: '1070.01', taxUsd: '191.00', billed: '1188.00', billedUsd: '1320.00', marginUsd: '249.99', marginPercent: '18.9' });
    expect(margin).toMatchObject({ currency: 'EUR', fxRate: '0.9', partnerLedSupport: { discount: '0' } });
    // Billed is the customer's records in the file.
    expect(accounts[0]!.records.reduce((s, r) => s.plus(money(r.billed)), money('0')).toFixed(2)).toBe('1188.00');
    expect(accounts[0]!.services).toEqual([
      { billingEntity: 'AWS', productCode: 'AmazonEC2', note: 'AmazonEC2', awsCostUsd: '950.00', billed: '1080.00', billedUsd: '1200.00', marginUsd: '250.00' },
      { billingEntity: 'AWS', productCode: 'support', note: 'AWS Support (business), table business-until-2026-12-31', awsCostUsd: '100.00', billed: '108.00', billedUsd: '120.00', marginUsd: '20.00' },
    ]);
  });

  it('lowers the support cost by the payer\'s Partner-Led Support discount, and leaves the customer\'s support record as it was', async () => {
    const run = async (partnerLedSupport?: { baseDiscount: string; caseQuality?: boolean; caseOwnership?: boolean; qualitySurvey?: boolean }) => {
      const { deps, input, out } = await setup(cur());
      deps.subscriptions = subscribed('222222222222');
      input.settings = { ...input.settings, supportPlanSource: 'ordered' };
      input.payer = { accountId: '111111111111', ...(partnerLedSupport === undefined ? {} : { partnerLedSupport }) };
      expect((await ratePayerMonth(deps, input)).ok).toBe(true);
      return marginOf(join(out, '111111111111', '2026-10', 'report.json'));
    };
    const plain = await run();
    const pls = await run({ baseDiscount: '0.30', caseQuality: true, caseOwnership: true, qualitySurvey: true });
    expect(pls.accounts[0]!.records).toEqual(plain.accounts[0]!.records);
    expect(pls.margin.partnerLedSupport).toEqual({ discount: '0.4' });
    // 40 % (capped) of the support rows' 100: cost 1,050 → 1,010; margin up by 40.
    expect([plain.margin.customers[0]!.awsCostUsd, pls.margin.customers[0]!.awsCostUsd]).toEqual(['1050.00', '1010.00']);
    expect([plain.margin.customers[0]!.marginUsd, pls.margin.customers[0]!.marginUsd]).toEqual(['50.00', '90.00']);
    expect(pls.accounts[0]!.services.find((s) => s.productCode === 'support')).toMatchObject({ awsCostUsd: '60.00', billed: '100.00' });
  });

  it('counts the custom lines and credits in the customer\'s billed side, as the file does', async () => {
    const { deps, input, out } = await setup(cur());
    deps.subscriptions = subscribed('222222222222');
    input.settings = { ...input.settings, supportPlanSource: 'ordered' };
    input.lines = {
      lines: [
        { id: 'setup', kind: 'fee', assetId: 'AS-1', amount: '25', from: '2026-10', description: 'Setup fee' },
        { id: 'goodwill', kind: 'credit', assetId: 'AS-1', amount: '5', from: '2026-10', description: 'Goodwill' },
      ],
      openings: new Map(),
    };
    expect((await ratePayerMonth(deps, input)).ok).toBe(true);
    const { margin, accounts } = await marginOf(join(out, '111111111111', '2026-10', 'report.json'));
    const kinds = accounts[0]!.records.map((r) => [r.kind, r.billed]);
    expect(kinds).toContainEqual(['fee', '25.00']);
    expect(kinds).toContainEqual(['credit', '-5.00']);
    // 1,000 + 100 support + 25 − 5.
    expect(margin.customers[0]).toMatchObject({ billed: '1120.00', billedUsd: '1120.00', awsCostUsd: '1050.00', marginUsd: '70.00' });
    const services = accounts[0]!.services;
    expect(services.reduce((s, x) => s.plus(money(x.billedUsd)), money('0')).toFixed(2)).toBe('1120.00');
    expect(services.reduce((s, x) => s.plus(money(x.awsCostUsd)), money('0')).toFixed(2)).toBe('1050.00');
  });
});
