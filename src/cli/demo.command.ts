/**
 * `npm run demo`: the main job on embedded defaults and bundled fixtures, with
 * nothing else installed. The fixture orders (`fixtures/orders/`) are served by
 * the loopback sandbox and processed by the real platform client and the real
 * AWS SDK, cycle by cycle, as the daemon would; then the demo month is rated
 * from local CUR files (the dry run); then the same month runs in production
 * form against the sandbox platform: a usage file created, uploaded, checked
 * (`uploaded` → `processing` → `ready`) and submitted (`pending`).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCycle } from '../app/orders/process-cycle.js';
import { loadConfig, packageRoot } from '../config/load.js';
import { composeOrders } from '../daemon/compose.js';
import { sleepUntilAborted } from '../daemon/poll-loop.js';
import { createLogger } from '../daemon/logger.js';
import { ConnectorError } from '../domain/errors.js';
import { startSandbox } from '../sandbox/sandbox.js';
import { loadSeed } from '../sandbox/seed.js';
import type { Seed } from '../sandbox/seed.schema.js';
import { cycleSummary, resultLine } from './orders-output.js';
import { monthOk, runRate, type CommandIo } from './rate.command.js';
import { renderTable } from './table.js';

export interface DemoOptions {
  out: string;
  /** Default: the bundled fixtures/demo.config.json. */
  config?: string;
  /** Poll cycles to run against the sandbox (the fixtures settle in 3). */
  cycles: number;
}

/** The demo's "today": the fixtures' cancel countdown is written against it. */
const DEMO_TODAY = new Date('2026-11-26T12:00:00Z');

export async function runDemo(options: DemoOptions, io: CommandIo): Promise<{ ratedOk: boolean; submitted: boolean }> {
  const root = packageRoot();
  const fixtures = join(root, 'fixtures');
  const configFile = options.config ?? join(fixtures, 'demo.config.json');
  const loaded = await loadConfig(configFile);
  const seed = withBillingTransfer(await loadSeed(join(fixtures, 'orders')), await loadSeed(join(fixtures, 'orders', 'billing-transfer')));
  const sandbox = await startSandbox({ seed, now: () => DEMO_TODAY });
  const stateDir = await mkdtemp(join(tmpdir(), 'native-rating-demo-'));
  const log = createLogger('silent');
  io.stdout(`Orders · sandbox platform ${sandbox.platformUrl} · AWS Organizations ${sandbox.organizationsUrl}\n`);
  const runtime = composeOrders(loaded.config, { apiKey: sandbox.apiKey, externalIds: new Map(), logLevel: 'silent' }, log, {
    apiUrl: sandbox.platformUrl,
    statePath: join(stateDir, 'demo.db'),
    now: () => DEMO_TODAY,
    aws: { endpoint: sandbox.organizationsUrl, credentials: { accessKeyId: 'AKIDSANDBOXDEMO', secretAccessKey: 'sandbox' } },
  });
  try {
    for (let cycle = 1; cycle <= options.cycles; cycle += 1) {
      io.stdout(`\ncycle ${cycle}\n`);
      const started = Date.now();
      const result = await runCycle(runtime.deps, { signal: new AbortController().signal, onResult: (r) => io.stdout(resultLine(r)) });
      io.stdout(cycleSummary(result, (Date.now() - started) / 1000));
      if (result.requests.length + result.tierConfigs.length === 0) break;
      // Between polls, the customer does what the close notes ask: closes the account in the AWS console.
      for (const action of runtime.deps.manualActions.list({ open: true }).filter((a) => a.kind === 'close-account')) {
        if (sandbox.organizations.state.setAccountState(action.accountId, 'PENDING_CLOSURE')) {
          io.stdout(`(sandbox) the customer closes AWS account ${action.accountId} in the AWS console\n`);
        }
      }
      // ... and accepts the invitation to transfer its organization's bill, in its console.
      for (const action of runtime.deps.manualActions.list({ open: true }).filter((a) => a.kind === 'accept-transfer')) {
        const transferId = sandbox.platform.state.param(action.requestId, 'transfer_id')?.value ?? '';
        if (transferId !== '' && sandbox.organizations.state.setTransferStatus(transferId, 'ACCEPTED')) {
          io.stdout(`(sandbox) the customer's management account ${action.accountId} accepts billing transfer ${transferId} in its console\n`);
        }
      }
    }
    const rows = sandbox.platform.state.allRequests().map((r) => {
      const param = (id: string): string => r.asset.params.find((p) => p.id === id)?.value ?? '';
      return [r.id, r.type, param('account_type'), r.status, param('aws_account_id'), param('account_closed_at')];
    });
    io.stdout(`\nRequests on the platform now\n`);
    io.stdout(
      renderTable(
        [{ header: 'request' }, { header: 'type' }, { header: 'account type' }, { header: 'status' }, { header: 'AWS account' }, { header: 'closed at' }],
        rows,
      ),
    );
    const actions = runtime.deps.manualActions.list({ open: true });
    io.stdout(`\nManual actions (npx native-rating manual-actions): ${actions.length}\n`);
    for (const a of actions) io.stdout(`  #${a.id} ${a.kind}: ${a.detail}\n`);

    // One configuration for both runs of the month: the sandbox platform, and a state database of the demo's own.
    const monthConfig = join(stateDir, 'month.config.json');
    const base = JSON.parse(await readFile(configFile, 'utf8')) as { payers: Array<Record<string, unknown>>; connect?: Record<string, unknown> };
    const product = seed.products[0];
    await writeFile(
      monthConfig,
      JSON.stringify({
        ...base,
        payers: base.payers.map((p) => ({ ...p, usage: { contractId: product?.contractId } })),
        connect: { ...base.connect, apiUrl: sandbox.platformUrl, productIds: [product?.id] },
        state: { path: join(stateDir, 'month.db') },
      }),
    );
    const month = { period: '2026-10', cur: join(fixtures, 'cur', 'demo-2026-10'), config: monthConfig, assets: join(fixtures, 'demo.assets.json') };
    const env = { apiKey: sandbox.apiKey, variables: {} };

    io.stdout(`\nRating · dry run of 2026-10 from fixtures/cur/demo-2026-10\n\n`);
    const rated = await runRate({ ...month, dryRun: true, out: options.out }, io, env);

    io.stdout(`\nUsage file · the same month to the sandbox platform (${sandbox.platformUrl})\n\n`);
    // The sandbox judges a file at once: the demo does not wait a real platform's polling intervals (1 s, doubling).
    const uploaded = await runRate({ ...month, out: join(options.out, 'upload') }, { ...io, sleep: (ms, signal) => sleepUntilAborted(Math.min(ms, 100), signal) }, env);
    return { ratedOk: rated.every(monthOk), submitted: uploaded.every(({ result }) => result.kind === 'done') };
  } finally {
    runtime.close();
    await sandbox.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/**
 * The orders seed plus the billing-transfer order of `fixtures/orders/billing-transfer`
 * (its request, with the product's transfer parameters, and the customer's
 * management account outside the payer's organization), kept apart so the
 * twelve orders of `fixtures/orders` stay as the tests know them.
 */
function withBillingTransfer(seed: Seed, extra: Seed): Seed {
  const outside = new Map(extra.organizations.map((o) => [o.payerAccountId, o.outsideAccounts]));
  return {
    ...seed,
    requests: [...seed.requests, ...extra.requests],
    organizations: seed.organizations.map((o) => ({ ...o, outsideAccounts: [...o.outsideAccounts, ...(outside.get(o.payerAccountId) ?? [])] })),
  };
}

export function checkCycles(text: string): number {
  const n = Number.parseInt(text, 10);
  if (!/^\d+$/.test(text) || n < 1 || n > 20) throw new ConnectorError('CONFIG_INVALID', `--cycles ${JSON.stringify(text)} must be a whole number from 1 to 20`, { where: { setting: '--cycles', value: text } });
  return n;
}
