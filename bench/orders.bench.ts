/**
 * `npm run bench:orders -- --requests 1000 [--concurrency 8] [--aws-rate 20] [--aws-concurrency 4]`
 *
 * Seeds the loopback sandbox with N pending requests of mixed types (new,
 * transfer, import, change, suspend, cancel, bad input) and runs ONE cycle with
 * the real platform client and the real AWS SDK, through the same composition
 * root as the daemon. Prints wall time, requests per second, AWS calls made,
 * the limits seen against the ones configured, and peak RSS; then checks that
 * every request was handled once, that no request got two terminal actions and
 * that no AWS account is duplicated. Figures, not assertions: it exits 1 when a
 * check fails so a run can be scripted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { runCycle } from '../src/app/orders/process-cycle.js';
import { renderTable } from '../src/cli/table.js';
import { configSchema } from '../src/config/schema.js';
import { composeOrders } from '../src/daemon/compose.js';
import { createLogger } from '../src/daemon/logger.js';
import { startSandbox } from '../src/sandbox/sandbox.js';
import { generateRequests } from '../src/sandbox/seed.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '8' },
    'aws-rate': { type: 'string', default: '20' },
    'aws-concurrency': { type: 'string', default: '4' },
  },
});
const count = Number.parseInt(values.requests, 10);
const concurrency = Number.parseInt(values.concurrency, 10);
const awsRate = Number(values['aws-rate']);
const awsConcurrency = Number.parseInt(values['aws-concurrency'], 10);

const seed = generateRequests(count);
const sandbox = await startSandbox({ seed, createAccountPolls: 1, handshakePolls: 1 });
const stateDir = await mkdtemp(join(tmpdir(), 'nr-bench-orders-'));
const config = configSchema.parse({
  payers: [{ accountId: '111111111111' }],
  connect: { apiUrl: sandbox.platformUrl, productIds: ['PRD-411-678-887'], pageSize: 100 },
  orders: { concurrency },
  aws: { maxCallsPerSecond: awsRate, maxConcurrentCalls: awsConcurrency },
  state: { path: join(stateDir, 'state.db') },
});
const runtime = composeOrders(config, { apiKey: sandbox.apiKey, externalIds: new Map(), logLevel: 'silent' }, createLogger('silent'), {
  aws: { endpoint: sandbox.organizationsUrl, credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' } },
});

let done = 0;
let inHand = 0;
let mostInHand = 0;
const started = performance.now();
const result = await runCycle(runtime.deps, {
  signal: new AbortController().signal,
  onStart: () => {
    inHand += 1;
    mostInHand = Math.max(mostInHand, inHand);
  },
  onResult: () => {
    inHand -= 1;
    done += 1;
    if (done % 100 === 0) process.stderr.write(`\r${done} / ${count} requests (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  },
});
const seconds = (performance.now() - started) / 1000;
process.stderr.write('\n');

const aws = sandbox.organizations.stats();
const platform = sandbox.platform.stats();
const awsClient = runtime.organizations.stats();
const all = result.requests;
const kinds = new Map<string, number>();
for (const r of all) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
const ids = new Set(all.map((r) => r.requestId));
const terminalTwice = sandbox.platform.state.allRequests().filter((r) => sandbox.platform.state.history(r.id).filter((h) => ['approve', 'fail', 'inquire'].includes(h.action)).length > 1);
const org = sandbox.organizations.state.orgs[0];
const emails = [...(org?.accounts.values() ?? [])].map((a) => a.email.toLowerCase());
const duplicateAccounts = emails.length - new Set(emails).size;
const rssMiB = process.resourceUsage().maxRSS / 1024;

process.stdout.write(`Orders benchmark: ${count} pending requests, one cycle, concurrency ${concurrency}, AWS limit ${awsConcurrency} in flight / ${awsRate} per s\n\n`);
process.stdout.write(
  `${renderTable(
    [{ header: 'figure' }, { header: 'value', align: 'right' }],
    [
      ['wall time', `${seconds.toFixed(2)} s`],
      ['requests per second', (all.length / seconds).toFixed(1)],
      ['requests handled', `${all.length} of ${count}`],
      ['outcomes', [...kinds].map(([k, n]) => `${n} ${k}`).join(', ')],
      ['AWS calls', String(aws.total)],
      ['AWS calls in flight (client), max (limit)', `${awsClient.maxInFlight} (${awsConcurrency})`],
      ['AWS calls in any 1 s at AWS (sandbox), max (limit)', `${aws.maxPerSecond} (${awsRate})`],
      ['platform calls', String(platform.total)],
      ['AWS calls counted by the client limiter', String(awsClient.calls)],
      ['requests in hand, max (limit)', `${mostInHand} (${concurrency})`],
      ['peak RSS', `${rssMiB.toFixed(0)} MiB`],
    ],
  )}\n\n`,
);
process.stdout.write(`AWS calls by operation: ${Object.entries(aws.calls).map(([op, n]) => `${op} ${n}`).join(', ')}\n\n`);

const checks: Array<[string, boolean]> = [
  [`every request handled in one cycle (${all.length} = ${count})`, all.length === count && result.listErrors.length === 0],
  [`no request handled twice (${ids.size} distinct ids)`, ids.size === all.length],
  [`no request given two terminal actions (${terminalTwice.length})`, terminalTwice.length === 0],
  [`no duplicate AWS account (${duplicateAccounts} duplicate e-mails)`, duplicateAccounts === 0],
  [`AWS calls in flight within the limit (${awsClient.maxInFlight} ≤ ${awsConcurrency})`, awsClient.maxInFlight <= awsConcurrency && aws.maxInFlight <= awsConcurrency],
  [`AWS call rate within the limit (${aws.maxPerSecond} ≤ ${awsRate} per s)`, aws.maxPerSecond <= awsRate],
  [`requests in hand within the limit (${mostInHand} ≤ ${concurrency})`, mostInHand <= concurrency],
];
for (const [what, ok] of checks) process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${what}\n`);

runtime.close();
await sandbox.close();
await rm(stateDir, { recursive: true, force: true });
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
