/** rateMonth() with stand-in adapters: what is written, and what is refused. */
import { describe, expect, it } from 'vitest';
import { rateMonth, type RateMonthDeps, type RateMonthInput, type RunOutput } from '../../src/app/rate-month.js';
import type { PayerReport } from '../../src/app/report.js';
import type { CurAggregate, CurSource, UsageWorkbook, WorkbookWriter } from '../../src/app/ports.js';
import { catalog, defaultSettings, group } from '../support/groups.js';

class MemoryOutput implements RunOutput {
  readonly files = new Map<string, unknown>();
  workbookPath(payer: string, period: string): string {
    return `${payer}/${period}/usage.xlsx`;
  }
  async writeReport(payer: string, period: string, report: PayerReport): Promise<string> {
    const path = `${payer}/${period}/report.json`;
    this.files.set(path, report);
    return path;
  }
  async discard(path: string): Promise<void> {
    this.files.delete(path);
  }
}

/** Keeps the workbook in memory; `skew` adds to the total it reports back, as a corrupt file would. */
class MemoryWorkbook implements WorkbookWriter {
  constructor(
    private readonly output: MemoryOutput,
    private readonly skew = false,
  ) {}
  async write(path: string, workbook: UsageWorkbook): Promise<{ total: string; rows: number }> {
    this.output.files.set(path, workbook);
    const cents = workbook.records.reduce((n, r) => n + BigInt(r.amount.replace('.', '')), 0n) + (this.skew ? 1n : 0n);
    const text = cents.toString().padStart(3, '0');
    return { total: `${text.slice(0, -2)}.${text.slice(-2)}`, rows: workbook.records.length };
  }
}

const cur = (aggregate: Partial<CurAggregate>): CurSource => ({
  aggregate: async () => ({ groups: [], rowsRead: 0, source: 'memory', ...aggregate }),
});

function setup(skew = false): { deps: RateMonthDeps; output: MemoryOutput; input: RateMonthInput } {
  const output = new MemoryOutput();
  const deps: RateMonthDeps = {
    cur: cur({ groups: [group({ unblendedUsd: '10.004' }), group({ payerAccountId: '999999999999', unblendedUsd: '5' })], rowsRead: 2 }),
    workbook: new MemoryWorkbook(output, skew),
    output,
    subscriptions: () => 'all',
    now: () => new Date('2026-11-05T00:00:00Z'),
  };
  const input: RateMonthInput = {
    period: '2026-10',
    payers: [{ accountId: '111111111111' }, { accountId: '999999999999' }],
    settings: { ...defaultSettings, supportPlanSource: 'detected' },
    catalog,
    items: { awsUsageMpn: 'AWS', marketplaceUsageMpn: 'MP', supportMpn: 'SUP' },
    recordsSheetName: 'usage_records',
    knownCurrencies: new Set(['USD']),
  };
  return { deps, output, input };
}

describe('rateMonth()', () => {
  it('writes one workbook and one report per payer found in the CUR', async () => {
    const { deps, output, input } = setup();
    const result = await rateMonth(deps, input);
    expect(result.payers.map((p) => [p.payerAccountId, p.ok, p.rated?.billedTotal])).toEqual([
      ['111111111111', true, '10.00'],
      ['999999999999', true, '5.00'],
    ]);
    const workbook = output.files.get('111111111111/2026-10/usage.xlsx') as UsageWorkbook;
    expect(workbook.records.map((r) => [r.amount, r.itemMpn, r.assetSearchCriteria, r.assetSearchValue, r.startTimeUtc, r.endTimeUtc])).toEqual([
      ['10.00', 'AWS', 'parameter.aws_account_id', '222222222222', '2026-10-01 00:00:00', '2026-10-31 23:59:59'],
    ]);
    expect((output.files.get('111111111111/2026-10/report.json') as PayerReport).status).toBe('ok');
  });

  it('discards a workbook whose total read back differs from the report, and fails that payer only', async () => {
    const { deps, output, input } = setup(true);
    const result = await rateMonth(deps, { ...input, onlyPayer: '111111111111' });
    expect(result.payers).toHaveLength(1);
    expect(result.payers[0]?.errors[0]?.code).toBe('RECONCILIATION_FAILED');
    expect(output.files.has('111111111111/2026-10/usage.xlsx')).toBe(false);
    const report = output.files.get('111111111111/2026-10/report.json') as PayerReport;
    expect(report).toMatchObject({ status: 'failed', errors: [{ code: 'RECONCILIATION_FAILED' }] });
    expect(output.files.has('999999999999/2026-10/report.json')).toBe(false);
  });

  it('removes an older workbook when the payer now fails', async () => {
    const { deps, output, input } = setup();
    output.files.set('111111111111/2026-10/usage.xlsx', 'from an earlier run');
    const result = await rateMonth(deps, { ...input, payers: [{ accountId: '111111111111', customMarkup: 'abc' }, { accountId: '999999999999' }] });
    expect(result.payers[0]).toMatchObject({ ok: false, errors: [{ code: 'MARKUP_INVALID', where: { setting: 'customMarkup', value: 'abc' } }] });
    expect(output.files.has('111111111111/2026-10/usage.xlsx')).toBe(false);
    expect(result.payers[1]?.ok).toBe(true);
  });

  it('lists configured payers that have no CUR rows', async () => {
    const { deps, input } = setup();
    const result = await rateMonth(deps, { ...input, payers: [...input.payers, { accountId: '555555555555' }] });
    expect(result.payersWithoutRows).toEqual(['555555555555']);
  });
});

describe('rateMonth() and the finality of the CUR', () => {
  it("records in the report whether the source said the month was final, and nothing when it cannot tell", async () => {
    const { deps, output, input } = setup();
    const finalDeps = { ...deps, cur: cur({ groups: [group({ unblendedUsd: '1' })], rowsRead: 1, final: false }) };
    await rateMonth(finalDeps, { ...input, payers: [{ accountId: '111111111111' }] });
    expect((output.files.get('111111111111/2026-10/report.json') as Record<string, unknown>).curFinal).toBe(false);
    const local = setup();
    await rateMonth({ ...local.deps, cur: cur({ groups: [group({ unblendedUsd: '1' })], rowsRead: 1 }) }, { ...local.input, payers: [{ accountId: '111111111111' }] });
    expect(local.output.files.get('111111111111/2026-10/report.json')).not.toHaveProperty('curFinal');
  });
});
