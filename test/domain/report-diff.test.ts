import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffReports, type DiffReport } from '../../src/domain/report-diff.js';
import { runCli, tempDir, writeJson } from '../support/run-cli.js';

const record = (id: string, billed: string, extra: Record<string, string> = {}) => ({
  recordId: id,
  kind: 'aws',
  billingEntity: 'AWS',
  productCode: id,
  note: `Service ${id}`,
  listUsd: '10',
  markup: '1.1',
  billed,
  ...extra,
});
const report = (records: ReturnType<typeof record>[], extra: Partial<DiffReport> = {}): DiffReport => ({
  payerAccountId: '111111111111',
  period: '2026-10',
  currency: 'EUR',
  fxRate: '0.92',
  billedTotal: '0',
  accounts: [{ accountId: '222222222222', records }],
  ...extra,
});

describe('diffReports()', () => {
  it('names the CUR rows, the markup and the support plan as causes, per record', () => {
    const before = report([record('A', '10.12'), record('B', '5.00'), record('S', '100', { kind: 'support', supportPlan: 'business', supportTable: 't1' }), record('GONE', '1.00')], { billedTotal: '116.12' });
    const after = report([record('A', '11.00', { listUsd: '11' }), record('B', '5.23', { markup: '1.15' }), record('S', '400', { kind: 'support', supportPlan: 'enterprise', supportTable: 't2' }), record('NEW', '2.00')], { billedTotal: '418.23' });
    const diff = diffReports(before, after);
    expect(diff.delta).toBe('302.11');
    expect(diff.rows.map((r) => [r.service, r.oldBilled, r.newBilled, r.delta, r.causes.join('+')])).toEqual([
      ['Service A', '10.12', '11.00', '0.88', 'CUR rows'],
      ['Service B', '5.00', '5.23', '0.23', 'markup'],
      ['Service GONE', '1.00', '', '-1.00', 'CUR rows'],
      ['Service NEW', '', '2.00', '2.00', 'CUR rows'],
      ['support (enterprise)', '100', '400', '300', 'support plan'],
    ]);
  });

  it('names the custom lines as the cause of a fee or credit added, removed or changed, even after an fx change', () => {
    const line = (id: string, kind: string, billed: string) => record(id, billed, { kind, listUsd: '0', markup: '1', note: `Line ${id}` });
    const before = report([line('L1', 'credit', '-50.00'), line('L2', 'fee', '10.00'), line('L3', 'credit', '-5.00')], { fxRate: '0.90' });
    const after = report([line('L1', 'credit', '-20.00'), line('L3', 'credit', '-5.00'), line('L4', 'fee', '3.00')], { fxRate: '0.92' });
    expect(diffReports(before, after).rows.map((r) => [r.service, r.oldBilled, r.newBilled, r.causes.join('+')])).toEqual([
      ['Line L1', '-50.00', '-20.00', 'lines'],
      ['Line L2', '10.00', '', 'lines'],
      ['Line L4', '', '3.00', 'lines'],
    ]);
  });

  it('leaves out records that did not change', () => {
    const diff = diffReports(report([record('A', '10.12')]), report([record('A', '10.12')]));
    expect(diff.rows).toEqual([]);
  });

  it('shows fx as the cause of every moved amount after an fx change, on two real dry runs of the demo month', async () => {
    const dir = await tempDir();
    const base = JSON.parse(await readFile('fixtures/demo.config.json', 'utf8')) as { payers: Array<Record<string, unknown>> };
    const first = await writeJson(dir, 'a.json', base);
    const second = await writeJson(dir, 'b.json', { ...base, payers: [{ ...base.payers[0], fxRate: '0.95' }] });
    const common = { cur: 'fixtures/cur/demo-2026-10', assets: 'fixtures/demo.assets.json' };
    await runCli({ ...common, config: first, out: join(dir, 'v1') });
    await runCli({ ...common, config: second, out: join(dir, 'v2') });
    const read = async (v: string): Promise<DiffReport> => JSON.parse(await readFile(join(dir, v, '111111111111', '2026-10', 'report.json'), 'utf8')) as DiffReport;
    const diff = diffReports(await read('v1'), await read('v2'));
    expect(diff.changes).toEqual(['fxRate 0.92 → 0.95']);
    expect(diff.rows.length).toBeGreaterThan(10);
    expect(diff.rows.every((r) => r.causes.join() === 'fx')).toBe(true);
    expect(diff.oldTotal).toBe('17839.26');
    expect(Number(diff.delta)).toBeGreaterThan(0);
  });
});
