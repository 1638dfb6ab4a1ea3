/**
 * The daemon's readiness probes against the loopback sandbox: the platform
 * probe reads the served product with the configured key, the payer probe
 * reaches the payer's organization through the Organizations factory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AwsOrganizationsFactory } from '../../src/adapters/aws/organizations-factory.js';
import { ConnectHttpClient } from '../../src/adapters/connect/http-client.js';
import { daemonReadinessProbes } from '../../src/daemon/readiness-probes.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import type { SeedInput } from '../../src/sandbox/seed.js';

const PRODUCT = 'PRD-411-678-887';
const PAYER = '111111111111';
const SEED: SeedInput = {
  apiKey: 'SU-1:secret',
  products: [{ id: PRODUCT, templates: [] }],
  organizations: [{ payerAccountId: PAYER, name: 'Payer one', rootId: 'r-1111', organizationalUnits: [], accounts: [] }],
};
const signal = new AbortController().signal;

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function probes(options: { apiKey?: string; productIds?: string[]; payers?: string[] } = {}) {
  sandbox = await startSandbox({ seed: SEED, now: () => new Date('2026-11-26T10:00:00Z') });
  const http = new ConnectHttpClient({ apiUrl: sandbox.platformUrl, apiKey: options.apiKey ?? sandbox.apiKey, retries: 0 });
  const organizations = new AwsOrganizationsFactory({ endpoint: sandbox.organizationsUrl, credentials: { accessKeyId: 'AKIDREADY', secretAccessKey: 'fake' }, maxAttempts: 1, maxCallsPerSecond: 1000 });
  const payers = (options.payers ?? [PAYER]).map((accountId) => ({ accountId, providerDomains: [], defaultSupportLevel: 'business' as const }));
  return daemonReadinessProbes({ http, organizations, productIds: options.productIds ?? [PRODUCT], payers });
}

const outcome = (check: (s: AbortSignal) => Promise<void>) =>
  check(signal).then(
    () => 'ok',
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );

describe('daemon readiness probes', () => {
  it('names the platform and each payer, and pass when both answer', async () => {
    const list = await probes();
    expect(list.map((p) => p.name)).toEqual(['platform', `payer ${PAYER} AWS access`]);
    expect(await Promise.all(list.map((p) => outcome(p.check)))).toEqual(['ok', 'ok']);
  });

  it('fail the platform probe when the key is refused', async () => {
    const [platform] = await probes({ apiKey: 'SU-1:wrong' });
    expect(await outcome(platform!.check)).toMatch(/401|unauthori[sz]ed|key/i);
  });

  it('fail the platform probe for a product the platform does not serve', async () => {
    const [platform] = await probes({ productIds: ['PRD-999-999-999'] });
    expect(await outcome(platform!.check)).toMatch(/404|not found/i);
  });

  it('fail a payer probe whose credentials reach another organization, naming both', async () => {
    const list = await probes({ payers: ['222222222222'] });
    expect(await outcome(list[1]!.check)).toBe(`the credentials reach the organization of ${PAYER}, not payer 222222222222`);
  });

  it('have no platform probe without a product', async () => {
    const list = await probes({ productIds: [] });
    expect(list.map((p) => p.name)).toEqual([`payer ${PAYER} AWS access`]);
  });
});
