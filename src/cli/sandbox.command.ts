/**
 * `npx native-rating sandbox`: the loopback stand-ins of the platform's API and
 * AWS Organizations, seeded from `fixtures/orders/` (or a generated seed), until
 * SIGINT or SIGTERM. Prints what to export so `process` and `daemon` use them.
 */
import { join } from 'node:path';
import { loadConfig, packageRoot } from '../config/load.js';
import { ConnectorError } from '../domain/errors.js';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { generateRequests, loadSeed } from '../sandbox/seed.js';

export interface SandboxOptions {
  /** A connector configuration: its connect.productIds are checked against the seed. */
  config?: string;
  seed?: string;
  /** Generate this many pending requests instead of reading a seed. */
  requests?: string;
  host: string;
  platformPort: string;
  awsPort: string;
}

function port(text: string, flag: string): number {
  const n = Number.parseInt(text, 10);
  if (!/^\d+$/.test(text) || n > 65535) throw new ConnectorError('CONFIG_INVALID', `${flag} ${JSON.stringify(text)} is not a port (0-65535)`, { where: { setting: flag, value: text } });
  return n;
}

export async function startSandboxCommand(options: SandboxOptions, stdout: (t: string) => void): Promise<Sandbox> {
  let seed;
  if (options.requests !== undefined) {
    const count = Number.parseInt(options.requests, 10);
    if (!/^\d+$/.test(options.requests) || count < 1 || count > 100_000) throw new ConnectorError('CONFIG_INVALID', `--requests ${JSON.stringify(options.requests)} must be a whole number from 1 to 100000`, { where: { setting: '--requests' } });
    seed = generateRequests(count);
  } else {
    seed = await loadSeed(options.seed ?? join(packageRoot(), 'fixtures', 'orders'));
  }
  const productIds = options.config === undefined ? [] : ((await loadConfig(options.config)).config.connect?.productIds ?? []);
  const seeded = new Set((seed.products ?? []).map((p) => p.id));
  const missing = productIds.filter((id) => !seeded.has(id));
  const sandbox = await startSandbox({ seed, host: options.host, platformPort: port(options.platformPort, '--platform-port'), awsPort: port(options.awsPort, '--aws-port') });
  stdout(
    [
      `sandbox platform API:     ${sandbox.platformUrl}`,
      `sandbox AWS Organizations: ${sandbox.organizationsUrl}`,
      `${sandbox.platform.state.allRequests().length} request(s) seeded; admin routes under /__sandbox/ (faults, state, stats)`,
      '',
      'To run the connector against it (with connect.apiUrl set to the platform URL above):',
      `  export CONNECT_API_KEY='${sandbox.apiKey}'`,
      `  export AWS_ENDPOINT_URL_ORGANIZATIONS=${sandbox.organizationsUrl}`,
      '  export AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox AWS_REGION=us-east-1',
      '',
      ...(options.config === undefined
        ? []
        : missing.length === 0
          ? [`${options.config}: connect.productIds are all in the seed`]
          : [`warning: ${options.config}: connect.productIds ${missing.join(', ')} are not in the seed: the connector will find no requests of them`]),
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  return sandbox;
}
