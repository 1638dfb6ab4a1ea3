/** `audit` against the sandbox organization, the demo month and the demo subscriptions. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAudit } from '../../src/cli/audit.command.js';
import { ConnectorError } from '../../src/domain/errors.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { FIXED_NOW, tempDir, writeJson } from '../support/run-cli.js';

let sandbox: Sandbox;
const saved = { ...process.env };
beforeEach(async () => {
  sandbox = await startSandbox({ seed: await loadSeed('fixtures/orders') });
  process.env.AWS_ACCESS_KEY_ID = 'AKIDAUDITE2E';
  process.env.AWS_SECRET_ACCESS_KEY = 'sandbox';
  process.env.AWS_REGION = 'us-east-1';
});
afterEach(async () => {
  process.env = { ...saved };
  await sandbox.close();
});

describe('audit --payer --period', () => {
  it('names the accounts of each rule broken, and writes the HTML page', async () => {
    const dir = await tempDir();
    const config = await writeJson(dir, 'config.json', {
      payers: [{ accountId: '111111111111', supportPlan: 'business', deliveryModel: 'resold', accountModel: 'ECAM', providerDomains: ['example.com'] }],
    });
    let out = '';
    const io = { stdout: (t: string) => void (out += t), stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW };
    const env = { variables: {}, organizationsEndpoint: sandbox.organizationsUrl };
    // No Support API stand-in here: plan detection has its own tests (nock); this run compares ordered and billed plans.
    const options = { payer: '111111111111', config, period: '2026-10', cur: 'fixtures/cur/demo-2026-10', assets: 'fixtures/demo.assets.json', detect: false };
    const audit = await runAudit(options, io, env);
    const rule = (name: string) => audit.findings.find((f) => f.rule === name);
    // 555555555555 has usage in the demo month and no subscription.
    expect(rule('usage-without-subscription')?.accounts).toEqual(['555555555555']);
    // The demo subscriptions name accounts that are not in the sandbox organization.
    expect(rule('subscription-account-left')?.accounts.sort()).toEqual(['222222222222', '333333333333', '444444444444']);
    // 444444444444 ordered business; AWS billed enterprise support in the CUR.
    expect(rule('plan-mismatch')?.message).toContain('444444444444 ordered business, detected -, billed enterprise');
    expect(out).toContain('Audit of payer 111111111111 · 2026-10');

    const page = join(dir, 'audit.html');
    await runAudit({ ...options, format: 'html', out: page }, io, env);
    const html = await readFile(page, 'utf8');
    expect(html).toContain('<table class="findings" data-severity="error">');
    expect(html).toContain('555555555555');
  });

  it('compares the three signals: ordered on the subscription, detected by the Support API, billed in the CUR', async () => {
    const dir = await tempDir();
    const config = await writeJson(dir, 'config.json', { payers: [{ accountId: '111111111111', supportPlan: 'business' }], state: { path: join(dir, 'state.db') } });
    const io = { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW };
    const detect = async (accounts: string[]) => new Map(accounts.map((a) => [a, { plan: a === '222222222201' ? ('enterprise-class' as const) : ('business' as const) }]));
    const audit = await runAudit(
      { payer: '111111111111', config, period: '2026-10', cur: 'fixtures/cur/demo-2026-10', assets: 'fixtures/demo.assets.json' },
      io,
      { variables: {}, organizationsEndpoint: sandbox.organizationsUrl, detect },
    );
    // 222222222201 is a member on an enterprise-class plan under a Business payer.
    expect(audit.findings.find((f) => f.rule === 'member-plan-not-allowed')?.accounts).toEqual(['222222222201']);
    expect(audit.plans.find((p) => p.accountId === '444444444444')).toMatchObject({ ordered: 'business', billed: 'enterprise' });
    expect(audit.plans.find((p) => p.accountId === '222222222201')).toMatchObject({ detected: 'enterprise-class' });
  });

  it('reports an invitation not accepted after inviteStaleDays, with the day it was sent', async () => {
    const dir = await tempDir();
    // The sandbox stamps the invitation with its clock: 10 days before the audit.
    await sandbox.close();
    sandbox = await startSandbox({ seed: await loadSeed('fixtures/orders'), handshakePolls: 5, now: () => new Date('2026-10-26T09:00:00Z') });
    const { OrganizationsClient, InviteAccountToOrganizationCommand } = await import('@aws-sdk/client-organizations');
    const client = new OrganizationsClient({ region: 'us-east-1', endpoint: sandbox.organizationsUrl, credentials: { accessKeyId: 'AKIDAUDIT', secretAccessKey: 's' }, maxAttempts: 1 });
    await client.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: '333333333301' } }));
    const config = await writeJson(dir, 'config.json', { payers: [{ accountId: '111111111111' }], inviteStaleDays: 7 });
    const io = { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW };
    const audit = await runAudit({ payer: '111111111111', config, detect: false }, io, { variables: {}, organizationsEndpoint: sandbox.organizationsUrl });
    const stale = audit.findings.find((f) => f.rule === 'invitation-stale');
    expect(stale?.accounts).toEqual(['333333333301']);
    expect(stale?.message).toContain('sent 2026-10-26');
  });

  it('reports a subscription whose delivery model differs from the payer, from the assets file', async () => {
    const dir = await tempDir();
    const assets = await writeJson(dir, 'assets.json', [
      { assetId: 'AS-1', accountId: '222222222201', supportLevel: 'business', status: 'active', deliveryModel: 'resold' },
      { assetId: 'AS-2', accountId: '222222222202', supportLevel: 'business', status: 'active', deliveryModel: 'partner-led' },
    ]);
    const config = await writeJson(dir, 'config.json', { payers: [{ accountId: '111111111111', deliveryModel: 'resold' }] });
    const io = { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW };
    const audit = await runAudit({ payer: '111111111111', config, assets, detect: false }, io, { variables: {}, organizationsEndpoint: sandbox.organizationsUrl });
    expect(audit.findings.find((f) => f.rule === 'delivery-model-mixed')?.accounts).toEqual(['222222222202']);
  });

  it('stopped by a signal between accounts: throws ABORTED saying it was interrupted, and writes nothing', async () => {
    const dir = await tempDir();
    const config = await writeJson(dir, 'config.json', { payers: [{ accountId: '111111111111' }], state: { path: join(dir, 'state.db') } });
    let out = '';
    const io = { stdout: (t: string) => void (out += t), stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW };
    const controller = new AbortController();
    const asked: string[] = [];
    // The SIGTERM arrives once the first member's plan is known; the detection then stops as the real one does.
    const detect = async (accounts: string[], signal: AbortSignal, onDetected?: (accountId: string) => void): Promise<Map<string, { plan: 'business' }>> => {
      for (const account of accounts) {
        if (signal.aborted) throw new ConnectorError('ABORTED', `support plan detection of account ${account} was aborted`);
        asked.push(account);
        onDetected?.(account);
        controller.abort(new Error('interrupted by a signal'));
      }
      return new Map(accounts.map((a) => [a, { plan: 'business' as const }]));
    };
    const page = join(dir, 'audit.html');

    const error = await runAudit({ payer: '111111111111', config, assets: 'fixtures/demo.assets.json', format: 'html', out: page }, io, { variables: {}, organizationsEndpoint: sandbox.organizationsUrl, detect }, controller.signal).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ code: 'ABORTED', message: expect.stringMatching(/^the audit of payer 111111111111 was interrupted by a signal after 1\/\d+ accounts/) });
    expect(asked).toHaveLength(1);
    expect(existsSync(page)).toBe(false);
    expect(out).toBe('');
  });

  it('refuses an unknown format and html without --out, before any call', async () => {
    const io = { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW };
    await expect(runAudit({ payer: '111111111111', config: 'fixtures/demo.config.json', format: 'pdf' }, io, { variables: {} })).rejects.toThrow(/--format "pdf" is not one of table, json, html/);
    await expect(runAudit({ payer: '111111111111', config: 'fixtures/demo.config.json', format: 'html' }, io, { variables: {} })).rejects.toThrow(/give --out/);
  });
});
