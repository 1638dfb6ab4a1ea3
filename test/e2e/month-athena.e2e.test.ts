/**
 * `rate` in production form: the CUR from Athena (a scripted stand-in on nock,
 * reached through AWS_ENDPOINT_URL_ATHENA, read from the environment the command
 * is given), the usage file to the sandbox platform. Athena's result is read
 * back page by page (no S3 output location: managed query results); the table's
 * columns come first from GetTableMetadata, and finality from the same scan.
 */
import { join } from 'node:path';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runRate } from '../../src/cli/rate.command.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { ATHENA_ENDPOINT, FakeAthena, HEADER, resultRow } from '../adapters/aws/athena-fixtures.js';
import { FIXED_NOW, tempDir, writeJson } from '../support/run-cli.js';

let sandbox: Sandbox;
const saved = { ...process.env };
beforeEach(async () => {
  nock.disableNetConnect();
  // The sandbox platform is a real loopback peer; Athena is nock's.
  nock.enableNetConnect((host) => host.startsWith('127.0.0.1:') && !host.endsWith(':4610'));
  sandbox = await startSandbox({ seed: await loadSeed('fixtures/orders') });
  process.env.AWS_ENDPOINT_URL_ATHENA = ATHENA_ENDPOINT;
  process.env.AWS_ACCESS_KEY_ID = 'AKIDATHENAE2E';
  process.env.AWS_SECRET_ACCESS_KEY = 'sandbox';
  process.env.AWS_REGION = 'us-east-1';
});
afterEach(async () => {
  process.env = { ...saved };
  nock.cleanAll();
  nock.enableNetConnect();
  await sandbox.close();
});

describe('rate --period --config (Athena and the platform)', () => {
  it("rates the payer's CUR from Athena, records the month as not final, and submits one usage file", async () => {
    const athena = new FakeAthena(
      [
        // One scan: the month is not final (no row has a bill_invoice_id yet). The table's
        // columns come from the stand-in's catalog (cid_data_export.cur2).
        {
          match: (q) => q.includes('GROUP BY'),
          rows: [
            HEADER,
            resultRow({ account_id: '222222222222', product_code: 'AmazonEC2', unblended_usd: '100.000000000000', invoiced_rows: '0' }),
            resultRow({ account_id: '222222222222', product_code: 'AmazonS3', product_name: 'Amazon Simple Storage Service', unblended_usd: '20.000000000000', invoiced_rows: '0' }),
            resultRow({ account_id: '333333333333', product_code: 'AmazonEC2', unblended_usd: '50.000000000000', invoiced_rows: '0' }),
          ],
        },
      ],
      { now: Date.now() },
    );
    const dir = await tempDir();
    const config = await writeJson(dir, 'config.json', {
      payers: [
        {
          accountId: '111111111111',
          marketplaceCurrency: 'USD',
          customMarkup: '1.2',
          athena: { database: 'cid_data_export', table: 'cur2', workgroup: 'cur-rating', region: 'us-east-1', layout: 'cur2' },
          usage: { contractId: 'CRD-00000-00000-00000' },
        },
      ],
      connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'], retries: 1 },
      state: { path: join(dir, 'state.db') },
    });
    const results = await runRate(
      { period: '2026-10', config, billAllAccounts: true, out: join(dir, 'out') },
      { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW, sleep: async () => undefined },
      { apiKey: sandbox.apiKey, variables: process.env },
    );
    expect(results.map((r) => r.payer.accountId)).toEqual(['111111111111']);
    const [entry] = results;
    // 170 USD of usage × 1.2, plus the business plan's 100 USD minimum per account × 1.2 (RATING.md §4): 204 + 240.
    expect(entry?.result).toMatchObject({ kind: 'done', run: { version: 1, dryRun: false, outcome: 'succeeded', billedTotal: '444.00', currency: 'USD', step: 'done' } });
    // The table is read first (its columns), then one scan: no second query for finality.
    expect(athena.calls.filter((c) => c.operation === 'GetTableMetadata').map((c) => [c.body.DatabaseName, c.body.TableName])).toEqual([['cid_data_export', 'cur2']]);
    expect(athena.queries()).toHaveLength(1);
    const aggregation = athena.queries().find((q) => q.includes('GROUP BY')) ?? '';
    expect(aggregation).toContain(`FROM "cid_data_export"."cur2"`);
    expect(aggregation).toContain(`billing_period = '2026-10'`);
    const start = athena.calls.find((c) => c.operation === 'StartQueryExecution' && String(c.body.QueryString).includes('GROUP BY'));
    expect(String(start?.body.ClientRequestToken)).toMatch(/^nr-111111111111-2026-10-v1-[0-9a-f]{40}$/);
    expect(start?.body.WorkGroup).toBe('cur-rating');
    const { readFile } = await import('node:fs/promises');
    const report = JSON.parse(await readFile(entry?.result.run.reportPath ?? '', 'utf8')) as { curFinal?: boolean; source: string };
    expect(report.curFinal).toBe(false);
    expect(report.source).toContain('athena://cid_data_export.cur2');
    expect(sandbox.platform.state.usageFiles().map((f) => [f.externalId, f.status])).toEqual([['111111111111-2026-10-v1', 'pending']]);
  });
});
