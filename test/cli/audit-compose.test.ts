/**
 * `composeAudit()`: one runtime, built once, audits payer after payer on the
 * Organizations factory and the state database it is given (the daemon's).
 * AWS STS and the Support API are nock stand-ins on loopback addresses.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { composeAudit } from '../../src/daemon/compose-audit.js';
import { openStateDatabase, type StateDatabase } from '../../src/store/database.js';
import { SqliteSupportPlanStore } from '../../src/store/support-plans.store.js';
import { assumeRoleXml } from '../adapters/aws/aws-fixtures.js';
import { FakeOrganizations } from '../support/orders-fakes.js';
import { FIXED_NOW, tempDir, writeJson } from '../support/run-cli.js';

const STS = 'http://127.0.0.1:4731';
const SUPPORT = 'http://127.0.0.1:4732';
const PAYER = '111111111111';
const SECOND_PAYER = '777777777777';
/** Severity codes the Support API gives each member: critical ⇒ Enterprise-class, urgent ⇒ Business. */
const CODES: Record<string, string[]> = { '222222222201': ['low', 'normal', 'high', 'urgent', 'critical'], '222222222202': ['low', 'normal', 'high', 'urgent'] };
const signal = new AbortController().signal;

const saved = { ...process.env };
let state: StateDatabase;
beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIDAUDITCOMPOSE';
  process.env.AWS_SECRET_ACCESS_KEY = 'fake';
  state = openStateDatabase(':memory:');
});
afterEach(() => {
  process.env = { ...saved };
  state.close();
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

/** AssumeRole into each member (credentials named after it), then DescribeSeverityLevels answered from CODES by that member's key; `times` of each. */
function expectDetections(times: number): nock.Scope[] {
  const sts = nock(STS)
    .post('/')
    .times(times)
    .reply((_uri, body) => {
      const account = /::(\d{12}):/.exec(new URLSearchParams(String(body)).get('RoleArn') ?? '')?.[1] ?? '000000000000';
      return [200, assumeRoleXml(`ASIAMEMBER${account}`, `token-${account}`, '2026-11-05T00:15:00Z'), { 'content-type': 'text/xml' }];
    });
  const support = nock(SUPPORT)
    .post('/')
    .matchHeader('x-amz-target', 'AWSSupport_20130415.DescribeSeverityLevels')
    .times(times)
    .reply(function (this: nock.ReplyFnContext) {
      const account = /Credential=ASIAMEMBER(\d{12})\//.exec(String(this.req.headers['authorization'] ?? ''))?.[1] ?? '';
      return [200, { severityLevels: (CODES[account] ?? []).map((code) => ({ code, name: code })) }, { 'content-type': 'application/x-amz-json-1.1' }];
    });
  return [sts, support];
}

describe('composeAudit()', () => {
  it('audits payer after payer on the given Organizations factory, and keeps the detected plans in the given state database', async () => {
    const dir = await tempDir();
    const ownState = join(dir, 'own-state.db');
    const config = await writeJson(dir, 'config.json', {
      payers: [{ accountId: PAYER, supportPlan: 'business' }, { accountId: SECOND_PAYER }],
      state: { path: ownState },
    });
    const organizations = new FakeOrganizations();
    const org = organizations.of(PAYER);
    for (const id of [PAYER, '222222222201', '222222222202']) org.addAccount(id, `${id}@example.com`);
    organizations.of(SECOND_PAYER).addAccount(SECOND_PAYER, 'second@example.com');
    const scopes = expectDetections(2);
    const runtime = composeAudit(await loadConfig(config), { variables: { AWS_ENDPOINT_URL_STS: STS, AWS_ENDPOINT_URL_SUPPORT: SUPPORT } }, { now: () => FIXED_NOW, organizations, state });
    const assets = [{ assetId: 'AS-1', accountId: '222222222201', supportLevel: 'business', status: 'active' }];

    const first = await runtime.auditPayer({ payerAccountId: PAYER, period: '2026-10', assets }, signal);
    expect(first.plans.map((p) => [p.accountId, p.detected])).toEqual([
      ['222222222201', 'enterprise-class'],
      ['222222222202', 'business'],
    ]);
    expect(first.findings.find((f) => f.rule === 'member-plan-not-allowed')?.accounts).toEqual(['222222222201']);
    expect(scopes.every((s) => s.isDone())).toBe(true);
    expect(new SqliteSupportPlanStore(state.db).list('2026-10').map((d) => [d.accountId, d.plan, d.checkedAt])).toEqual([
      ['222222222201', 'enterprise-class', FIXED_NOW.toISOString()],
      ['222222222202', 'business', FIXED_NOW.toISOString()],
    ]);

    // The same runtime again: the plans come from the database (AWS has no answer left), the audit is the same.
    const again = await runtime.auditPayer({ payerAccountId: PAYER, period: '2026-10', assets }, signal);
    expect(again).toEqual(first);
    // And another payer of the configuration, on the same factory.
    const second = await runtime.auditPayer({ payerAccountId: SECOND_PAYER, detect: false }, signal);
    expect(second).toMatchObject({ payerAccountId: SECOND_PAYER, plans: [] });

    runtime.close();
    // The shared database stays open for its owner; the configured one was never opened.
    expect(state.db.open).toBe(true);
    expect(existsSync(ownState)).toBe(false);
  });

  it("takes an asset's accountType: a billing-transfer subscription names another organization's management account, never 'account left'", async () => {
    const dir = await tempDir();
    const config = await writeJson(dir, 'config.json', { payers: [{ accountId: PAYER, supportPlan: 'business' }], state: { path: join(dir, 'state.db') } });
    const organizations = new FakeOrganizations();
    organizations.of(PAYER).addAccount(PAYER, 'payer@example.com');
    const runtime = composeAudit(await loadConfig(config), { variables: { AWS_ENDPOINT_URL_STS: STS, AWS_ENDPOINT_URL_SUPPORT: SUPPORT } }, { now: () => FIXED_NOW, organizations, state });
    const assets = [
      { assetId: 'AS-BT', accountId: '888888888888', supportLevel: 'business', status: 'active', accountType: 'billing-transfer' },
      { assetId: 'AS-X', accountId: '999999999998', supportLevel: 'business', status: 'active' },
    ];
    const audit = await runtime.auditPayer({ payerAccountId: PAYER, assets }, signal);
    expect(audit.findings.map((f) => [f.rule, f.accounts])).toEqual([['subscription-account-left', ['999999999998']]]);
    await runtime.close();
  });

  it('refuses a payer that is not in the configuration, naming the file', async () => {
    const dir = await tempDir();
    const config = await writeJson(dir, 'config.json', { payers: [{ accountId: PAYER }] });
    const runtime = composeAudit(await loadConfig(config), { variables: {} }, { now: () => FIXED_NOW, organizations: new FakeOrganizations(), state });
    await expect(runtime.auditPayer({ payerAccountId: SECOND_PAYER, detect: false }, signal)).rejects.toThrow(`payer "${SECOND_PAYER}" is not in ${config} payers[]`);
    runtime.close();
  });
});
