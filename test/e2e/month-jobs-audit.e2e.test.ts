/** The daemon's catch-up on start: the audit of each payer runs before its month, is stored and counted. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMonthJobs } from '../../src/cli/month-jobs.js';
import { loadConfig } from '../../src/config/load.js';
import { ConnectorMetrics } from '../../src/daemon/metrics.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { openStateDatabase, type StateDatabase } from '../../src/store/database.js';
import { SqliteRunLedger } from '../../src/store/run-ledger.store.js';
import { tempDir, writeJson } from '../support/run-cli.js';

let sandbox: Sandbox;
let state: StateDatabase | undefined;
const saved = { ...process.env };
beforeEach(async () => {
  sandbox = await startSandbox({ seed: await loadSeed('fixtures/orders') });
  process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = sandbox.organizationsUrl;
  // No Support API here: detection meets a closed loopback port and reports the plans as unknown.
  process.env.AWS_ENDPOINT_URL_STS = 'http://127.0.0.1:9';
  process.env.AWS_ENDPOINT_URL_SUPPORT = 'http://127.0.0.1:9';
  process.env.AWS_MAX_ATTEMPTS = '1';
  process.env.AWS_ACCESS_KEY_ID = 'AKIDJOBS';
  process.env.AWS_SECRET_ACCESS_KEY = 'sandbox';
  process.env.AWS_REGION = 'us-east-1';
});
afterEach(async () => {
  process.env = { ...saved };
  state?.close();
  await sandbox.close();
});

describe('the daemon month jobs', () => {
  it('catches up a missed month after the 5th: the audit first (stored, counted), then the run', async () => {
    const dir = await tempDir();
    const configFile = await writeJson(dir, 'config.json', {
      payers: [{ accountId: '111111111111', supportPlan: 'business', accountModel: 'SPAM', providerDomains: ['reseller.example'] }],
      schedule: { cron: '0 0 5 * *', timezone: 'UTC' },
      state: { path: join(dir, 'state.db'), outputDir: join(dir, 'runs') },
    });
    const { config } = await loadConfig(configFile);
    state = openStateDatabase(config.state.path);
    const ledger = new SqliteRunLedger(state.db);
    const metrics = new ConnectorMetrics({ defaultMetrics: false });
    const jobs = await startMonthJobs({
      configFile,
      config,
      env: { variables: {} },
      ledger,
      metrics,
      log: pino({ level: 'silent' }),
      now: () => new Date('2026-11-06T08:00:00Z'),
      signal: new AbortController().signal,
      ordersReady: () => ({ ok: true, reasons: [] }),
    });
    expect(await jobs.schedule?.catchUp).toBe('2026-10');
    await jobs.stop();
    const auditFile = join(dir, 'runs', '111111111111', '2026-10', 'audit.json');
    expect(existsSync(auditFile)).toBe(true);
    const audit = JSON.parse(await readFile(auditFile, 'utf8')) as { findings: Array<{ rule: string }> };
    // The sandbox members' e-mails are on example.com, not the provider's domain: SPAM is broken.
    expect(audit.findings.map((f) => f.rule)).toContain('email-domain');
    expect(await metrics.text()).toMatch(/native_rating_audit_findings\{payer="111111111111",rule="email-domain",severity="error"\} 1/);
    // The month itself cannot start here (no subscriptions source: no platform, no assets): reported and counted, no run.
    expect(ledger.latest('111111111111', '2026-10')).toBeUndefined();
    expect(await metrics.text()).toMatch(/native_rating_errors_total\{code="CONFIG_INVALID"\} 1/);
  });
});
