/**
 * report.html of a real dry run (the demo month) as a browser renders it:
 * headless Chromium (Debian's `chromium` package, /usr/bin/chromium) takes a
 * screenshot and dumps the DOM, which must hold the totals of report.json: the
 * billed total, each customer's total (by name and account id), and the margin
 * totals. Fails, saying what to install, where
 * Chromium is missing: the page is part of what a run delivers.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { money, sum } from '../../src/domain/money.js';
import { runCli, tempDir } from '../support/run-cli.js';

const CHROMIUM = '/usr/bin/chromium';
const run = promisify(execFile);
/** Headless, as root, without the background connections this machine's closed network refuses. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

type Json = Record<string, any>;

/** An amount as a person reads it, computed apart from the page's own code: grouped, to `decimals` places. */
const reading = (amount: string, decimals = 2): string =>
  new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(Number(amount));

/** The text content of the element with this id in the dumped DOM. */
function textOf(dom: string, id: string): string {
  const at = dom.indexOf(` id="${id}"`);
  if (at < 0) throw new Error(`the page has no element with id ${id}`);
  const tag = /^<(\w+)/.exec(dom.slice(dom.lastIndexOf('<', at)))?.[1] ?? '';
  return dom
    .slice(dom.indexOf('>', at) + 1, dom.indexOf(`</${tag}>`, at))
    .replace(/<[^>]+>/g, '')
    .replace(/&amp;/g, '&')
    .trim();
}

let dir: string;
/** The demo month's folder (report.json, report.html, report.csv) and its report. */
let folder: string;
let report: Json;

beforeAll(async () => {
  dir = await tempDir('nr-report-page-');
  const out = join(dir, 'out');
  const dry = await runCli({ cur: 'fixtures/cur/demo-2026-10', config: 'fixtures/demo.config.json', assets: 'fixtures/demo.assets.json', out });
  expect(dry.error).toBeUndefined();
  folder = join(out, '111111111111', '2026-10');
  report = JSON.parse(await readFile(join(folder, 'report.json'), 'utf8')) as Json;
  expect(report.status).toBe('ok');
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('report.html of the demo month in headless Chromium', () => {
  it('renders, is screenshotted, and its DOM holds the totals of report.json', { timeout: 180_000 }, async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y --no-install-recommends chromium); .ci/run does`).toBe(true);
    const page = join(folder, 'report.html');

    const profile = join(dir, 'profile');
    const shot = join(dir, 'report.png');
    await run(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, `--screenshot=${shot}`, '--window-size=1200,2400', `file://${page}`], { timeout: 60_000 });
    const png = await readFile(shot);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.length).toBeGreaterThan(5_000);

    const { stdout: dom } = await run(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, '--dump-dom', `file://${page}`], { timeout: 60_000, maxBuffer: 50_000_000 });
    expect(textOf(dom, 'payer')).toBe('111111111111');
    expect(textOf(dom, 'period')).toBe('2026-10');
    expect(textOf(dom, 'billed-total')).toBe(`${reading(report.billedTotal)} ${report.currency}`);
    expect(textOf(dom, 'customers-total')).toBe(reading(report.billedTotal));
    expect(report.accounts.length).toBeGreaterThan(0);
    for (const account of report.accounts as Json[]) {
      const anchor = `account-${account.accountId}`;
      expect(textOf(dom, `total-${anchor}`)).toBe(reading(account.billedTotal));
      const heading = textOf(dom, anchor).split('\n')[0] ?? '';
      expect(heading).toContain(String(account.accountId));
      if (account.customer) expect(heading).toContain(account.customer);
    }
    // The demo's assets file names its customers: the page shows them.
    expect(report.accounts.map((a: Json) => a.customer)).toContain('Globex & Sons');
    expect(textOf(dom, 'customer-table')).toContain('Globex & Sons');

    // Every run has a margin (MARGIN.md §6): the page shows its totals.
    expect(report.margin).toBeDefined();
    {
      const totals = report.margin.totals as Json;
      expect(textOf(dom, 'margin-total-aws-cost')).toBe(reading(totals.awsCostUsd));
      expect(textOf(dom, 'margin-total-billed')).toBe(reading(totals.billed));
      expect(textOf(dom, 'margin-total-billed-usd')).toBe(reading(totals.billedUsd));
      expect(textOf(dom, 'margin-total-margin')).toBe(reading(totals.marginUsd));
    }
  });
});

describe('report.csv of the demo month', () => {
  it("has a row per customer and service that adds up to each customer's total and the billed total, with the margin's per-service figures", async () => {
    const rows = parse(await readFile(join(folder, 'report.csv'), 'utf8'), { bom: true, columns: true }) as Array<Record<string, string>>;
    const billed = (of: Array<Record<string, string>>): string => sum(of.map((r) => money(r.billed))).toFixed(2);
    expect(billed(rows)).toBe(report.billedTotal);
    for (const account of report.accounts as Json[]) {
      const mine = rows.filter((r) => r.account_id === account.accountId);
      expect(billed(mine)).toBe(account.billedTotal);
      expect(new Set(mine.map((r) => r.customer))).toEqual(new Set([account.customer ?? '']));
    }
    {
      const totals = report.margin.totals as Json;
      const cost = sum(rows.map((r) => money(r.aws_cost_usd)));
      const unassigned = money(report.margin.unassigned?.awsCostUsd ?? '0');
      expect(cost.plus(unassigned).toFixed(2)).toBe(totals.awsCostUsd);
    }
  });
});
