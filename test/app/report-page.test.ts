/**
 * report.html as text: what a person reads of the month. The fixture is a
 * report with the margin (MARGIN.md §6), the per-service breakdown, custom
 * lines and credits, and names that need escaping.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accountAnchor, escapeHtml, reportPageChunks, reportPageHtml } from '../../src/app/report-page.js';
import type { Json } from '../../src/app/report-view.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'report-with-margin.json');
const withMargin = (): Json => JSON.parse(readFileSync(FIXTURE, 'utf8')) as Json;

/** The report without what helpers "margin" and "lines" add: the records alone. */
function plain(): Json {
  const { margin: _margin, lines: _lines, ...report } = withMargin();
  return { ...report, accounts: (report.accounts as Json[]).map(({ services: _s, costNote: _c, ...a }) => a) };
}

/** The text of the element with this id (tags stripped, entities kept). */
function byId(page: string, id: string): string {
  const at = page.indexOf(`id="${id}"`);
  if (at < 0) throw new Error(`no element with id ${id}`);
  const open = page.lastIndexOf('<', at);
  const tag = /^<(\w+)/.exec(page.slice(open))?.[1] ?? '';
  const end = page.indexOf(`</${tag}>`, at);
  return page.slice(page.indexOf('>', at) + 1, end).replace(/<[^>]+>/g, '').trim();
}

/** The article of one account. */
function article(page: string, accountId: string): string {
  const at = page.indexOf(`<article class="customer" id="${accountAnchor(accountId)}">`);
  if (at < 0) throw new Error(`no article for ${accountId}`);
  return page.slice(at, page.indexOf('</article>', at));
}

describe('reportPageHtml()', () => {
  it('names the payer and the month, and says the status', async () => {
    const page = await reportPageHtml(withMargin());
    expect(page).toContain('<title>Monthly report · payer 111111111111 · 2026-10</title>');
    expect(byId(page, 'payer')).toBe('111111111111');
    expect(byId(page, 'period')).toBe('2026-10');
    expect(byId(page, 'status')).toBe('ok');
  });

  it('rounds amounts to the currency decimals and groups thousands; USD to the cent', async () => {
    const page = await reportPageHtml(withMargin());
    expect(byId(page, 'billed-total')).toBe('1,234,895.45 EUR');
    expect(byId(page, 'reconciliation-statement')).toContain('CUR total 1,200,137.44 USD = rated 1,122,334.56 + excluded 77,712.46 + unassigned 79.13:');
    expect(byId(page, 'reconciliation-holds')).toBe('holds (exact)');
    expect(byId(page, 'reconciliation-lines')).toBe('File total 1,234,895.45 EUR = usage, Marketplace and support 1,234,920.45 + fees 25.00 + credits -50.00:\nholds');
    expect(page).not.toContain('1200137.4441220055');
  });

  it('rounds to the decimals of a currency without cents', async () => {
    const report = { ...plain(), currency: 'JPY', settings: { amountDecimals: 0 }, billedTotal: '1234895.45' };
    const page = await reportPageHtml(report);
    expect(byId(page, 'billed-total')).toBe('1,234,895 JPY');
    expect(byId(page, `total-${accountAnchor('222222222222')}`)).toBe('1,234,836');
  });

  it('escapes every name, note and id: nothing from the CUR or the platform is markup', async () => {
    const report = withMargin();
    const accounts = report.accounts as Json[];
    accounts[0] = { ...accounts[0], assetId: 'AS-"><script>alert(1)</script>' };
    const page = await reportPageHtml({ ...report, warnings: ['<img src=x onerror=alert(1)>'] });
    expect(page).not.toContain('<script');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('Acme <Corp>');
    expect(page).toContain('Acme &lt;Corp&gt; &amp; Co');
    expect(page).toContain('=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;) Analytics');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('is one self-contained page: no script, no stylesheet or image to fetch, and a CSP that forbids any', async () => {
    const page = await reportPageHtml(withMargin());
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
    expect(page).not.toMatch(/<(script|link|img|iframe)\b/i);
    expect(page).not.toMatch(/\b(src|href)="(?!#)/);
    expect(page).toContain('@media print');
  });

  it('lists the customers by name and account id with their totals and the payer total', async () => {
    const page = await reportPageHtml(withMargin());
    const overview = byId(page, 'customer-table');
    expect(overview).toContain('Acme &lt;Corp&gt; &amp; Co');
    expect(overview).toContain('222222222222');
    expect(overview).toContain('1,234,836.44');
    expect(overview).toContain('(no name)');
    expect(byId(page, 'customers-total')).toBe('1,234,895.45');
    // The total's AWS cost includes the unassigned accounts' (MARGIN.md §2): a row of their own says so.
    expect(overview).toContain('Unassigned accounts (no subscription: not billed)-79.13');
    expect(overview).toContain('Total (2 customers and the unassigned accounts)');
    const noUnassigned = withMargin();
    (noUnassigned.margin as { unassigned: { awsCostUsd: string } }).unassigned.awsCostUsd = '0.00';
    const plain = byId(await reportPageHtml(noUnassigned), 'customer-table');
    expect(plain).toMatch(/Total \(2 customers\)1,234,895\.45/);
    expect(plain).not.toContain('Unassigned accounts');
  });

  it('gives each customer a table of its services, support and lines, and its total in the billing currency', async () => {
    const page = await reportPageHtml(withMargin());
    const acme = article(page, '222222222222');
    expect(acme).toContain('<h3>Acme &lt;Corp&gt; &amp; Co <span class="ids">account 222222222222 · asset AS-0001-0001</span></h3>');
    const sections = [...acme.matchAll(/<tr class="section"><th colspan="\d+">([^<]+)<\/th>/g)].map((m) => m[1]);
    expect(sections).toEqual(['Services', 'Support', 'Custom lines and credits']);
    expect(acme.indexOf('Amazon Elastic Compute Cloud')).toBeLessThan(acme.indexOf('AWS Support (business)'));
    expect(acme.indexOf('AWS Support (business)')).toBeLessThan(acme.indexOf('Onboarding fee'));
    expect(acme).toContain('<td class="num negative">-50.00</td>');
    expect(acme).toContain('Billed (EUR)');
    expect(byId(page, `total-${accountAnchor('222222222222')}`)).toBe('1,234,836.44');
    expect(acme).toContain('Support plan business (ordered business, detected enterprise)');
  });

  it("shows each service's cost, billed and margin from the margin's breakdown, and the customer's margin in its total row", async () => {
    const page = await reportPageHtml(withMargin());
    const acme = article(page, '222222222222');
    const ec2 = acme.slice(acme.indexOf('<tr><td>Amazon Elastic Compute Cloud'), acme.indexOf('</tr>', acme.indexOf('<tr><td>Amazon Elastic Compute Cloud')));
    expect(ec2.match(/<td class="num[^"]*">([^<]*)<\/td>/g)?.map((c) => c.replace(/<[^>]+>/g, ''))).toEqual(['1,234,567.89', '1,199,900.00', '1,341,921.62', '142,021.62', '10.6']);
    const totalRow = acme.slice(acme.indexOf('<tr class="total">'));
    expect(totalRow).toContain('1,200,000.00');
    expect(totalRow).toContain('142,213.52');
  });

  it("says where the CUR cannot tell a customer's cost, in its table and under the margin", async () => {
    const page = await reportPageHtml(withMargin());
    expect(article(page, '333333333333')).toContain('<p class="note cost-note">2 rows without a cost (Savings Plans): not told</p>');
    expect(article(page, '222222222222')).not.toContain('cost-note');
    expect(article(page, '333333333333')).toContain('<h3>Account 333333333333 ');
    expect(byId(page, 'cost-notes')).toBe('Account 333333333333: 2 rows without a cost (Savings Plans): not toldUnassigned accounts: 1 discount row without a net cost');
  });

  it('has a margin section with each customer, the unassigned cost and the totals', async () => {
    const page = await reportPageHtml(withMargin());
    expect(byId(page, 'margin-total-aws-cost')).toBe('1,200,137.44');
    expect(byId(page, 'margin-total-billed')).toBe('1,234,895.45');
    expect(byId(page, 'margin-total-billed-usd')).toBe('1,342,277.66');
    expect(byId(page, 'margin-total-margin')).toBe('142,140.22');
    expect(byId(page, 'margin-total-percent')).toBe('10.6');
    expect(byId(page, 'pls-discount')).toBe('35 %');
    const table = byId(page, 'margin-table');
    expect(table).toContain('Unassigned accounts (not billed)');
    expect(table).toContain('79.13');
    expect(byId(page, 'summary-margin')).toBe('142,140.22 · 10.6 %');
  });

  it('lists the custom lines and credits with the customer and the credit left', async () => {
    const page = await reportPageHtml(withMargin());
    const lines = byId(page, 'lines-table');
    expect(lines).toContain('welcome');
    expect(lines).toContain('Acme &lt;Corp&gt; &amp; Co');
    expect(lines).toContain('150.00');
    expect(lines).toContain('-25.00');
  });

  it('without a margin, shows the records per customer and no margin columns or section', async () => {
    const page = await reportPageHtml(plain());
    expect(page).not.toContain('id="margin"');
    expect(page).not.toContain('AWS cost (USD)');
    expect(page).not.toContain('id="lines"');
    const acme = article(page, '222222222222');
    expect(acme).toContain('<tr><td>Amazon Elastic Compute Cloud</td><td class="muted">AWS · AmazonEC2</td><td class="num">1,234,567.89</td></tr>');
    expect(byId(page, `total-${accountAnchor('333333333333')}`)).toBe('59.01');
  });

  it('shows the warnings, the unassigned accounts and the plan mismatches', async () => {
    const page = await reportPageHtml(withMargin());
    expect(byId(page, 'warnings')).toBe('1 account(s) with CUR usage have no subscription: 79.1280375 USD not billed');
    expect(byId(page, 'unassigned')).toContain('555555555555');
    expect(page).toContain('<li>222222222222: ordered business, detected enterprise</li>');
  });

  it('says a failed month failed, with its errors, and shows no customer', async () => {
    const page = await reportPageHtml({
      reportVersion: 1,
      status: 'failed',
      payerAccountId: '111111111111',
      period: '2026-10',
      generatedAt: '2026-11-05T00:00:00.000Z',
      source: 'not read',
      errors: [{ code: 'FX_INVALID', message: 'fxRate "abc" of payer 111111111111 is not a decimal', where: {} }],
    });
    expect(byId(page, 'status')).toBe('failed');
    expect(byId(page, 'failed')).toContain('fxRate &quot;abc&quot; of payer 111111111111 is not a decimal');
    expect(byId(page, 'errors')).toContain('FX_INVALID');
    expect(page).toContain('The CUR was not reconciled');
    expect(page).toContain('No customer was billed.');
    expect(page).not.toContain('<article');
  });
});

describe('reportPageChunks()', () => {
  it('reads the accounts from the source it is given, twice, and renders the same page as the whole report', async () => {
    const report = withMargin();
    const entries = report.accounts as Json[];
    let reads = 0;
    const accounts = async function* (): AsyncGenerator<Json> {
      reads += 1;
      yield* entries;
    };
    let page = '';
    for await (const chunk of reportPageChunks({ ...report, accounts: [] }, accounts)) page += chunk;
    expect(reads).toBe(2);
    expect(page).toBe(await reportPageHtml(report));
  });
});

describe('escapeHtml()', () => {
  it.each([
    ['<b>', '&lt;b&gt;'],
    ['a & b', 'a &amp; b'],
    [`"it's"`, '&quot;it&#39;s&quot;'],
    ['plain', 'plain'],
  ])('%j → %j', (input, output) => {
    expect(escapeHtml(input)).toBe(output);
  });
});
