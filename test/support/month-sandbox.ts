/** The demo month against a sandbox platform, as `rate` and `reprocess` take it. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { tempDir, writeJson } from './run-cli.js';

/** For one test: a fresh temp folder and the sandbox on fixtures/orders (its own clock). The caller closes the sandbox. */
export async function startMonthSandbox(): Promise<{ sandbox: Sandbox; dir: string }> {
  const dir = await tempDir();
  const sandbox = await startSandbox({ seed: await loadSeed('fixtures/orders') });
  return { sandbox, dir };
}

/**
 * `rate`/`reprocess` options for October 2026 from the demo CUR and assets: the
 * config is fixtures/demo.config.json's first payer at `fxRate` with a usage
 * contract, the platform at `platformUrl` (one retry), and the state database
 * and output under `dir`. Each fx rate gets its own config file.
 */
export async function demoMonthOptions(dir: string, platformUrl: string, fxRate = '0.92') {
  const base = JSON.parse(await readFile('fixtures/demo.config.json', 'utf8')) as { payers: Array<Record<string, unknown>> };
  const config = await writeJson(dir, `config-${fxRate}.json`, {
    ...base,
    payers: [{ ...base.payers[0], fxRate, usage: { contractId: 'CRD-00000-00000-00000' } }],
    connect: { apiUrl: platformUrl, productIds: ['PRD-411-678-887'], retries: 1 },
    state: { path: join(dir, 'state.db') },
  });
  return { period: '2026-10', cur: 'fixtures/cur/demo-2026-10', assets: 'fixtures/demo.assets.json', config, out: join(dir, 'out') };
}
