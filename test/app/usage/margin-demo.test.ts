/**
 * The demo month's margin (report.json `margin`, account entries' `services`), checked
 * against the CUR files read independently (csv-parse, decimal.js): each customer's
 * awsCostUsd and taxUsd are its rows' unblended costs (the demo has no net column),
 * rounded once; the identities hold per customer, per service and per payer.
 */
import { createReadStream } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { describe, expect, it } from 'vitest';
import { Money, money, roundAmount, sum } from '../../../src/domain/money.js';
import { runCli, tempDir } from '../../support/run-cli.js';

const DEMO_CUR = 'fixtures/cur/demo-2026-10';

/** Σ unblended per account, Tax apart, from the CSV files. */
async function costsByAccount(): Promise<Map<string, { cost: Money; tax: Money }>> {
  const out = new Map<string, { cost: Money; tax: Money }>();
  for (const file of await readdir(DEMO_CUR)) {
    const path = join(DEMO_CUR, file);
    const input = path.endsWith('.gz') ? createReadStream(path).pipe(createGunzip()) : createReadStream(path);
    for await (const row of input.pipe(parse({ columns: true })) as AsyncIterable<Record<string, string>>) {
      const account = row['lineItem/UsageAccountId']!;
      const entry = out.get(account) ?? { cost: new Money(0), tax: new Money(0) };
      const amount = money(row['lineItem/UnblendedCost'] ?? '');
      if (row['lineItem/LineItemType'] === 'Tax') entry.tax = entry.tax.plus(amount);
      else entry.cost = entry.cost.plus(amount);
      out.set(account, entry);
    }
  }
  return out;
}

type Figures = Record<string, string>;

describe('the demo month\'s margin', () => {
  it('gives each customer AWS\'s cost of its rows, what it was billed and the margin, with the identities exact', async () => {
    const out = await tempDir();
    const run = await runCli({ cur: DEMO_CUR, config: 'fixtures/demo.config.json', assets: 'fixtures/demo.assets.json', out });
    expect(run.error).toBeUndefined();
    const report = JSON.parse(await readFile(join(out, '111111111111', '2026-10', 'report.json'), 'utf8')) as {
      margin: { currency: string; fxRate: string; customers: (Figures & { accountId: string; billed: string; customer: string })[]; unassigned: Figures; totals: Figures };
      accounts: Array<{ accountId: string; billedTotal: string; customer: string; services: Figures[] }>;
      billedTotal: string;
    };
    const { margin } = report;
    const costs = await costsByAccount();
    expect(margin.customers.map((c) => [c.accountId, c.customer])).toEqual([
      ['222222222222', 'Acme Corp'],
      ['333333333333', 'Globex & Sons'],
      ['444444444444', 'Initech GmbH'],
    ]);
    for (const c of margin.customers) {
      const own = costs.get(c.accountId)!;
      expect([c.awsCostUsd, c.taxUsd]).toEqual([roundAmount(own.cost, 2).toFixed(2), roundAmount(own.tax, 2).toFixed(2)]);
      const entry = report.accounts.find((a) => a.accountId === c.accountId)!;
      expect(c.billed).toBe(entry.billedTotal);
      expect(c.billedUsd).toBe(roundAmount(money(c.billed).div('0.92'), 2).toFixed(2));
      expect(money(c.awsCostUsd).plus(money(c.marginUsd)).equals(money(c.billedUsd))).toBe(true);
      for (const field of ['awsCostUsd', 'billed', 'billedUsd', 'marginUsd']) expect(sum(entry.services.map((s) => money(s[field] ?? ''))).equals(money(c[field] ?? ''))).toBe(true);
      expect(entry.customer).toBe(c.customer);
    }
    const unassigned = [costs.get('111111111111')!, costs.get('555555555555')!];
    expect(margin.unassigned).toEqual({ awsCostUsd: roundAmount(sum(unassigned.map((u) => u.cost)), 2).toFixed(2), taxUsd: roundAmount(sum(unassigned.map((u) => u.tax)), 2).toFixed(2) });
    const t = margin.totals;
    expect(t.billed).toBe(report.billedTotal);
    expect(money(t.awsCostUsd).plus(money(t.marginUsd)).equals(money(t.billedUsd))).toBe(true);
    expect(money(t.awsCostUsd).equals(sum(margin.customers.map((c) => money(c.awsCostUsd))).plus(money(margin.unassigned.awsCostUsd)))).toBe(true);
    expect(t).toEqual({ awsCostUsd: '32050.55', taxUsd: '1502.77', billed: '17839.26', billedUsd: '19390.50', marginUsd: '-12660.05', marginPercent: '-65.3' });
    expect(margin).toMatchObject({ currency: 'EUR', fxRate: '0.92' });
  });
});
