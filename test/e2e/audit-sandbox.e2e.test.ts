/** `audit` against the sandbox organization, the demo month and the demo subscriptions. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAudit } from '../../src/cli/audit.command.js';
import { ConnectorError } from '../../src/domain/errors.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { SqliteSupportPlanStore } from '../../src/store/support-plans.store.js';
import { openStateDatabase } from '../../src/store/database.js';
import { assumeRoleXml, stsErrorXml } from '../adapters/aws/aws-fixtures.js';
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
    // Customers by name, from the assets file's `customer`.
    expect(audit.plans.find((p) => p.accountId === '444444444444')).toMatchObject({ customer: 'Initech GmbH', assetId: 'AS-0001-0003' });
    expect(out).toMatch(/444444444444\s+Initech GmbH\s+AS-0001-0003/);

    const page = join(dir, 'audit.html');
    await runAudit({ ...options, format: 'html', out: page }, io, env);
    const html = await readFile(page, 'utf8');
    expect(html).toContain('<table class="findings" data-severity="error">');
    expect(html).toContain('555555555555');
    expect(html).toContain('<td class="customer">Globex &amp; Sons</td>');
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

  describe('with STS and the Support API (stand-ins answering as AWS documents)', () => {
    // Not loopback addresses: nock answers them, and nothing else leaves the machine (only the sandbox on 127.0.0.1 is reached).
    const STS = 'http://sts.audit-e2e.invalid';
    const SUPPORT = 'http://support.audit-e2e.invalid';
    /** Who refuses what: AssumeRole refused in 203 and 204; the Support API's answer by member. */
    const REFUSE_ROLE = new Set(['222222222203', '222222222204']);
    const SUPPORT_ANSWER: Record<string, [number, object]> = {
      '222222222201': [200, { severityLevels: ['low', 'normal', 'high', 'urgent', 'critical'].map((code) => ({ code, name: code })) }],
      '222222222202': [200, { severityLevels: ['low', 'normal', 'high', 'urgent'].map((code) => ({ code, name: code })) }],
      '222222222205': [400, { __type: 'AccessDeniedException', message: 'User is not authorized to perform: support:DescribeSeverityLevels' }],
      '222222222206': [400, { __type: 'SubscriptionRequiredException', message: 'AWS Premium Support Subscription is required to use this service.' }],
      '222222222207': [400, { __type: 'ThrottlingException', message: 'Rate exceeded' }],
      '222222222208': [200, { severityLevels: ['low', 'normal'].map((code) => ({ code, name: code })) }],
    };
    const stsAsked: string[] = [];

    beforeEach(() => {
      stsAsked.length = 0;
      nock.disableNetConnect();
      nock.enableNetConnect((host) => host.startsWith('127.0.0.1:'));
      nock(STS)
        .persist()
        .post('/')
        .reply((_uri, body) => {
          const account = /::(\d{12}):/.exec(new URLSearchParams(String(body)).get('RoleArn') ?? '')?.[1] ?? '';
          stsAsked.push(account);
          if (REFUSE_ROLE.has(account)) {
            return [403, stsErrorXml('AccessDenied', `User: arn:aws:sts::111111111111:assumed-role/payer/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${account}:role/PartnerReadOnlySupportRole`), { 'content-type': 'text/xml' }];
          }
          return [200, assumeRoleXml(`ASIAMEMBER${account}`, `token-${account}`, '2026-11-26T13:00:00Z'), { 'content-type': 'text/xml' }];
        });
      nock(SUPPORT)
        .persist()
        .post('/')
        .matchHeader('x-amz-target', 'AWSSupport_20130415.DescribeSeverityLevels')
        .reply(function (this: nock.ReplyFnContext) {
          const account = /Credential=ASIAMEMBER(\d{12})\//.exec(String(this.req.headers['authorization'] ?? ''))?.[1] ?? '';
          const [status, answer] = SUPPORT_ANSWER[account] ?? [500, { __type: 'InternalServerError', message: 'no answer for this account' }];
          return [status, answer, { 'content-type': 'application/x-amz-json-1.1' }];
        });
    });
    afterEach(() => {
      nock.cleanAll();
      nock.enableNetConnect();
    });

    /** The sandbox with two platform subscriptions whose customers have names, and a config reading it. */
    async function platformAudit(dir: string) {
      await sandbox.close();
      const seed = await loadSeed('fixtures/orders');
      const asset = (id: string, account: string, customer: string) => ({ id, productId: 'PRD-411-678-887', customer, params: { aws_account_id: account, support_level: 'business', payer_account_id: '111111111111' } });
      sandbox = await startSandbox({ seed: { ...seed, assets: [asset('AS-0001-0001', '222222222201', 'Globex Corporation'), asset('AS-0001-0002', '222222222202', 'Umbrella Corp')] } });
      const config = await writeJson(dir, 'config.json', {
        payers: [{ accountId: '111111111111', supportPlan: 'business' }],
        connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'], retries: 1 },
        state: { path: join(dir, 'state.db') },
        // One attempt (the throttled member is not retried); the limiter's pace out of the way.
        aws: { maxAttempts: 1, maxCallsPerSecond: 100 },
      });
      const env = { apiKey: sandbox.apiKey, variables: { AWS_ENDPOINT_URL_STS: STS, AWS_ENDPOINT_URL_SUPPORT: SUPPORT }, organizationsEndpoint: sandbox.organizationsUrl };
      return { config, env };
    }

    it('shows each plan\u2019s evidence, groups the plans not detected by reason with what to do, names the customers, and shows progress per account', async () => {
      const dir = await tempDir();
      const { config, env } = await platformAudit(dir);
      let out = '';
      let err = '';
      const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t), stderrIsTty: false, now: () => FIXED_NOW };

      const audit = await runAudit({ payer: '111111111111', config }, io, env);

      const plan = (account: string) => audit.plans.find((p) => p.accountId === account);
      expect(plan('222222222201')).toMatchObject({ customer: 'Globex Corporation', assetId: 'AS-0001-0001', detected: 'enterprise-class', evidence: { codes: ['low', 'normal', 'high', 'urgent', 'critical'] } });
      expect(plan('222222222202')).toMatchObject({ customer: 'Umbrella Corp', detected: 'business', evidence: { codes: ['low', 'normal', 'high', 'urgent'] } });
      expect(plan('222222222203')?.evidence).toMatchObject({ cause: 'role-not-assumable', error: expect.stringMatching(/^AccessDenied: User: .* is not authorized to perform: sts:AssumeRole/) });
      expect(plan('222222222203')?.evidence?.reason).toMatch(/^the payer may not assume PartnerReadOnlySupportRole \(AccessDenied\)/);
      expect(plan('222222222205')?.evidence).toMatchObject({ cause: 'support-api-denied', error: 'AccessDeniedException: User is not authorized to perform: support:DescribeSeverityLevels' });
      expect(plan('222222222206')).toMatchObject({ detected: 'basic-or-developer', evidence: { cause: 'subscription-required' } });
      expect(plan('222222222207')?.evidence).toMatchObject({ cause: 'throttled-or-unavailable', error: 'ThrottlingException: Rate exceeded' });
      expect(plan('222222222208')).toMatchObject({ detected: 'developer', evidence: { codes: ['low', 'normal'] } });

      const undetectable = audit.findings.filter((f) => f.rule === 'plan-undetectable').map((f) => [f.cause, f.severity, f.accounts]);
      expect(undetectable).toEqual([
        ['role-not-assumable', 'warning', ['222222222203', '222222222204']],
        ['support-api-denied', 'warning', ['222222222205']],
        ['throttled-or-unavailable', 'warning', ['222222222207']],
        ['subscription-required', 'info', ['222222222206']],
      ]);
      expect(audit.findings.find((f) => f.cause === 'role-not-assumable')?.action).toContain('deploy the role template config/cloudformation/partner-read-only-support-role.yaml');
      expect(audit.findings.find((f) => f.cause === 'support-api-denied')?.action).toContain('attach the AWS managed policy SupportUser');

      // The table: the evidence beside each plan, the findings by reason.
      expect(out).toMatch(/222222222201\s+Globex Corporation\s+AS-0001-0001\s+business\s+enterprise-class\s+-\s+0\.00\s+severity codes: low, normal, high, urgent, critical/);
      expect(out).toMatch(/222222222203\s+-\s+-\s+-\s+unknown\s+-\s+0\.00\s+the payer may not assume PartnerReadOnlySupportRole \(AccessDenied\)/);
      expect(out).toMatch(/plan-undetectable \(role-not-assumable\)\s+222222222203 222222222204/);
      // Progress per account, on stderr.
      const progress = err.split('\n').filter((l) => l.startsWith('audit payer 111111111111: '));
      expect(progress[0]).toBe('audit payer 111111111111: 0/8 accounts (0%)');
      expect(progress.at(-1)).toBe('audit payer 111111111111: 8/8 accounts (100%)');
      expect(progress).toHaveLength(9);

      // The page and the JSON say the same.
      const page = join(dir, 'audit.html');
      await runAudit({ payer: '111111111111', config, format: 'html', out: page }, io, env);
      const html = await readFile(page, 'utf8');
      expect(html).toContain('<td class="customer">Globex Corporation</td>');
      expect(html).toContain('severity codes: <code>low, normal, high, urgent, critical</code>');
      expect(html).toContain('<tr data-rule="plan-undetectable" data-cause="support-api-denied">');
      expect(html).toContain('AWS: <code>ThrottlingException: Rate exceeded</code>');
      const json = join(dir, 'audit.json');
      await runAudit({ payer: '111111111111', config, format: 'json', out: json }, io, env);
      const written = JSON.parse(await readFile(json, 'utf8')) as typeof audit;
      expect(written.plans.find((p) => p.accountId === '222222222205')?.evidence?.cause).toBe('support-api-denied');
    });

    it('a second audit serves the plans told from the state database with their evidence, and asks again only those not told', async () => {
      const dir = await tempDir();
      const { config, env } = await platformAudit(dir);
      const io = { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW };
      const first = await runAudit({ payer: '111111111111', config }, io, env);
      stsAsked.length = 0;

      const again = await runAudit({ payer: '111111111111', config }, io, env);

      // unknown plans (203, 204, 205, 207) are asked again; the others come from the store.
      expect(stsAsked.sort()).toEqual(['222222222203', '222222222204', '222222222205', '222222222207']);
      expect(again.plans).toEqual(first.plans);
      expect(again.findings).toEqual(first.findings);
      const state = openStateDatabase(join(dir, 'state.db'));
      try {
        expect(new SqliteSupportPlanStore(state.db).get('222222222206', FIXED_NOW.toISOString().slice(0, 7))).toMatchObject({ plan: 'basic-or-developer', error: expect.stringContaining('SubscriptionRequiredException') });
      } finally {
        state.close();
      }
    });
  });

  it('refuses an unknown format and html without --out, before any call', async () => {
    const io = { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false, now: () => FIXED_NOW };
    await expect(runAudit({ payer: '111111111111', config: 'fixtures/demo.config.json', format: 'pdf' }, io, { variables: {} })).rejects.toThrow(/--format "pdf" is not one of table, json, html/);
    await expect(runAudit({ payer: '111111111111', config: 'fixtures/demo.config.json', format: 'html' }, io, { variables: {} })).rejects.toThrow(/give --out/);
  });
});
