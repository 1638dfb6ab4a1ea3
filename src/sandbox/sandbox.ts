/**
 * Starts both loopback stand-ins (the Connect API and AWS Organizations) from
 * one seed, so the product runs with nothing else installed: the demo, the
 * end-to-end tests and the benchmark point the real platform client and the
 * real AWS SDK at them.
 */
import { startOrganizationsServer, type OrganizationsServer } from './organizations.server.js';
import { OrganizationsState } from './organizations.state.js';
import { startPlatformServer, type ApiExchange, type PlatformServer } from './platform.server.js';
import { PlatformState } from './platform.state.js';
import { parseSeed, type Seed, type SeedInput } from './seed.js';
import type { UsageFilesOptions } from './usage-files.state.js';

/** What `startSandbox` takes. */
export interface SandboxOptions {
  /** A seed (compact or full requests, or one from `loadSeed`/`generateRequests`); validated again here. */
  seed: SeedInput | Seed;
  /** Default `127.0.0.1`: the sandbox listens on loopback only unless told otherwise. */
  host?: string;
  /** Default 0: any free port. */
  platformPort?: number;
  /** Default 0: any free port. */
  awsPort?: number;
  /** DescribeCreateAccountStatus calls until a creation finishes: the N-th answers SUCCEEDED/FAILED (default 1; 0: at once). */
  createAccountPolls?: number;
  /** DescribeHandshake calls until the owner answers: the N-th sees the answer (default 1; 0: at once). */
  handshakePolls?: number;
  /** The usage file lifecycle's polls (`uploadedPolls`, `processingPolls`; default 1 each, 0: at once). */
  usageFiles?: UsageFilesOptions;
  /** The clock for `updated`, history, messages, handshakes (default: the real one). */
  now?: () => Date;
  /** Told of every platform API call once answered (contract tests). */
  onExchange?: (exchange: ApiExchange) => void;
}

/** A running sandbox: both URLs, the key, state access for tests, and `close`. */
export interface Sandbox {
  /** The Connect API base URL, ending in `/public/v1`. */
  platformUrl: string;
  /** The endpoint for `new OrganizationsClient({ endpoint })` (or `AWS_ENDPOINT_URL_ORGANIZATIONS`). */
  organizationsUrl: string;
  /** The key to send as `Authorization: ApiKey <apiKey>`. */
  apiKey: string;
  /** The platform: its state (`platform.state`), faults and stats. */
  platform: PlatformServer;
  /** AWS Organizations: its state (`organizations.state`), faults and stats. */
  organizations: OrganizationsServer;
  /** Stops both servers. */
  close(): Promise<void>;
}

/** Validates the seed and starts both servers; on a failure nothing is left listening. */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const seed = parseSeed(options.seed, 'sandbox seed');
  const now = options.now ?? (() => new Date());
  const host = options.host ?? '127.0.0.1';
  const platform = await startPlatformServer(new PlatformState(seed, now, options.usageFiles ?? {}), { host, port: options.platformPort ?? 0, ...(options.onExchange ? { onExchange: options.onExchange } : {}) });
  let organizations: OrganizationsServer;
  try {
    const state = new OrganizationsState(seed.organizations, {
      now,
      ...(options.createAccountPolls === undefined ? {} : { createAccountPolls: options.createAccountPolls }),
      ...(options.handshakePolls === undefined ? {} : { handshakePolls: options.handshakePolls }),
    });
    organizations = await startOrganizationsServer(state, { host, port: options.awsPort ?? 0 });
  } catch (error) {
    await platform.close();
    throw error;
  }
  return {
    platformUrl: platform.url,
    organizationsUrl: organizations.url,
    apiKey: seed.apiKey,
    platform,
    organizations,
    close: async () => {
      await Promise.all([platform.close(), organizations.close()]);
    },
  };
}
