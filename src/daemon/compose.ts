/**
 * Composition root of the order processing: builds the platform client, the AWS
 * Organizations factory and the state stores from the configuration and the
 * environment. The CLI's `process`, `daemon` and `demo` all come through here.
 */
import type { Logger } from 'pino';
import { awsTimeouts } from '../adapters/aws/client-options.js';
import { AwsOrganizationsFactory, type AwsOrganizationsFactoryOptions } from '../adapters/aws/organizations-factory.js';
import { ConnectPlatform } from '../adapters/connect/connect-platform.js';
import { ConnectHttpClient, platformCallLog, type Sleep } from '../adapters/connect/http-client.js';
import type { CycleDeps } from '../app/orders/process-cycle.js';
import type { OrderPayer } from '../app/orders/request-work.js';
import type { OrdersEnvironment } from '../config/env.js';
import type { Config } from '../config/schema.js';
import { ConnectorError } from '../domain/errors.js';
import { CLOSE_WAIT_DAYS } from '../domain/orders/countdown.js';
import { SqliteCountdownStore } from '../store/countdown.store.js';
import { openStateDatabase, type StateDatabase } from '../store/database.js';
import { SqliteRequestJournal } from '../store/journal.store.js';
import { SqliteManualActionStore } from '../store/manual-actions.store.js';
import { SqliteRunLedger } from '../store/run-ledger.store.js';
import { StateLock, type StateLockEvent, type StateLockOptions } from '../store/state-lock.store.js';

export interface OrdersRuntime {
  deps: CycleDeps;
  /** Poll interval: top-level `pollIntervalMs`, else `connect.pollIntervalMs`, else 60 s. */
  pollIntervalMs: number;
  statePath: string;
  organizations: AwsOrganizationsFactory;
  /** The platform's HTTP client: the month and the audit share it. */
  http: ConnectHttpClient;
  /** The state database (the run ledger shares it). */
  state: StateDatabase;
  /** This process's exclusive lease on the state database; `lock.lost` fires if another process took it over. */
  lock: StateLock;
  /** Releases the lease, then closes the state database. */
  close(): void;
}

export interface ComposeOverrides {
  /** Organizations endpoint (the demo's sandbox); otherwise the SDK's own, honouring AWS_ENDPOINT_URL_ORGANIZATIONS. */
  aws?: Pick<AwsOrganizationsFactoryOptions, 'endpoint' | 'credentials' | 'retryBaseDelayMs'>;
  apiUrl?: string;
  statePath?: string;
  now?: () => Date;
  /** The state lock's identity, liveness check and lease life (tests). */
  stateLock?: Pick<StateLockOptions, 'identity' | 'alive' | 'ttlMs'>;
  /** The platform client's wait before a retry (backoff, `Retry-After`): tests record it instead of waiting. */
  platformSleep?: Sleep;
}

/** The state lock's events as log lines. */
function logLockEvent(log: Logger, event: StateLockEvent): void {
  switch (event.kind) {
    case 'taken-over':
      log.warn({ previous: event.previous.holder, since: event.previous.acquiredAt, leaseUntil: event.previous.expiresAt, reason: event.reason }, 'state lock taken over');
      return;
    case 'lost':
      log.error({ holder: event.holder?.holder, since: event.holder?.acquiredAt }, 'state lock lost to another process');
      return;
    case 'renew-failed':
      log.warn({ error: event.error.message }, 'state lock not renewed');
  }
}

export function orderPayers(config: Config, env: OrdersEnvironment): OrderPayer[] {
  return config.payers.map((p) => ({
    accountId: p.accountId,
    roleArn: p.roleArn,
    externalId: env.externalIds.get(p.accountId),
    accountModel: p.accountModel,
    providerDomains: p.providerDomains,
    defaultSupportLevel: p.defaultSupportLevel,
  }));
}

export function composeOrders(config: Config, env: OrdersEnvironment, log: Logger, overrides: ComposeOverrides = {}): OrdersRuntime {
  const connect = config.connect;
  if (!connect) {
    throw new ConnectorError('CONFIG_INVALID', 'the configuration has no "connect" section: set connect.productIds (and connect.apiUrl) to process orders', { where: { setting: 'connect' } });
  }
  const http = new ConnectHttpClient({
    apiUrl: overrides.apiUrl ?? connect.apiUrl,
    apiKey: env.apiKey,
    timeoutMs: connect.timeoutMs,
    pageSize: connect.pageSize,
    retries: connect.retries,
    onRetry: (attempt, reason, delayMs) => log.warn({ attempt, reason, delayMs }, 'platform call retried'),
    onCall: platformCallLog(log),
    ...(overrides.platformSleep ? { sleep: overrides.platformSleep } : {}),
  });
  const platform = new ConnectPlatform(http);
  const organizations = new AwsOrganizationsFactory({
    region: config.aws.region,
    maxAttempts: config.aws.maxAttempts,
    maxConcurrent: config.aws.maxConcurrentCalls,
    maxCallsPerSecond: config.aws.maxCallsPerSecond,
    timeouts: awsTimeouts(config),
    callLog: log,
    ...overrides.aws,
  });
  const statePath = overrides.statePath ?? config.state.path;
  const now = overrides.now ?? (() => new Date());
  const state = openStateDatabase(statePath);
  // One daemon (or `process --once`) per state database: refused here, before any request is read.
  let lock: StateLock;
  try {
    lock = StateLock.acquire(state.db, statePath, { now, ...overrides.stateLock, onEvent: (event) => logLockEvent(log, event) });
  } catch (error) {
    state.close();
    throw error;
  }
  const ledger = new SqliteRunLedger(state.db, now);
  const deps: CycleDeps = {
    platform,
    organizations,
    clock: { now },
    journal: new SqliteRequestJournal(state.db),
    countdowns: new SqliteCountdownStore(state.db),
    // A billing-transfer cancel is approved once the last transferred month was rated (a succeeded live run of the payer).
    ratedMonths: { hasSucceededLiveRun: (payer, period) => ledger.list({ payerAccountId: payer, period }, now()).some((r) => r.outcome === 'succeeded' && !r.dryRun) },
    manualActions: new SqliteManualActionStore(state.db),
    settings: {
      productIds: connect.productIds,
      activationTemplateId: connect.activationTemplateId,
      tierTemplateId: connect.tierTemplateId,
      payers: orderPayers(config, env),
      concurrency: config.orders.concurrency,
      closeWaitDays: CLOSE_WAIT_DAYS,
    },
  };
  return {
    deps,
    pollIntervalMs: config.pollIntervalMs ?? connect.pollIntervalMs ?? 60_000,
    statePath,
    organizations,
    http,
    state,
    lock,
    close: () => {
      try {
        lock.release();
      } finally {
        state.close();
      }
    },
  };
}
