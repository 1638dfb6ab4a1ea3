/**
 * Composition root of the monthly side: builds, once, what the month use case
 * needs from the configuration and the environment — the run ledger on the
 * state database, this process's lease, the platform's clients, the payers' CUR
 * sources (local files with the embedded engine, or each payer's Athena table),
 * the workbook writer, the output stores and the custom lines (the state
 * database's, or a dry run's lines file). The CLI's `rate` and `reprocess`,
 * the daemon's schedule and admin endpoint all come through here.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { CallLog } from '../adapters/aws/call-log.js';
import { awsTimeouts } from '../adapters/aws/client-options.js';
import { ConnectPlatform } from '../adapters/connect/connect-platform.js';
import { ConnectHttpClient, platformCallLog } from '../adapters/connect/http-client.js';
import { ConnectMonthPlatform } from '../adapters/connect/month-platform.js';
import { ConnectUsageFiles } from '../adapters/connect/usage-files.js';
import { FolderReportStore, FolderWorkbookStore } from '../adapters/files/folder-stores.js';
import { StreamingWorkbookWriter } from '../adapters/workbook/usage-workbook.writer.js';
import type { CurSource, Progress } from '../app/ports.js';
import type { PlatformSettingsPort } from '../app/usage/platform-settings.js';
import type { RunLease, RunLedger, UsageFile } from '../app/usage/ports.js';
import type { MonthDeps } from '../app/usage/run-month.js';
import type { MonthRating } from '../app/usage/run-payer-month.js';
import { awsEndpoints, externalIdsOf } from '../config/env.js';
import type { LoadedConfig } from '../config/load.js';
import type { Config, PayerConfig } from '../config/schema.js';
import { ConnectorError } from '../domain/errors.js';
import type { CustomLine } from '../domain/custom-lines.js';
import { SqliteCustomLineStore } from '../store/custom-lines.store.js';
import { openStateDatabase, type StateDatabase } from '../store/database.js';
import { SqliteRunLedger } from '../store/run-ledger.store.js';
import { sleepUntilAborted } from './poll-loop.js';

/** What the month reads from the environment: read by the caller (a composition root), never below. */
export interface MonthEnvironment {
  /** `CONNECT_API_KEY`; required for a live run and for subscriptions from the platform. */
  apiKey?: string;
  /** The environment, for the payers' `externalIdEnv` variables and `AWS_ENDPOINT_URL_*`. */
  variables: NodeJS.ProcessEnv;
}

export interface MonthComposeOptions {
  /** A dry run: nothing uploaded, outputs under `out`, dry ledger entries. */
  dryRun: boolean;
  /** Local CUR files (`--cur`); absent: each payer's Athena table. */
  cur?: string;
  /** Output folder (default: `state.outputDir` for live runs, `out` for dry runs). */
  out?: string;
  now: () => Date;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  onProgress?: (progress: Progress) => void;
  onFileStatus?: (payer: string, file: UsageFile) => void;
  onNote?: (note: string) => void;
  /** An open state database to share (the daemon's); otherwise one is opened and closed with the runtime. */
  state?: StateDatabase;
  /** The platform's HTTP client to share (the daemon's); otherwise one is built for the month. */
  http?: ConnectHttpClient;
  /** The state database file instead of `state.path` (tests). */
  statePath?: string;
  /** Every AWS call (Athena, S3, STS) at debug level (`LOG_LEVEL=debug`). */
  callLog?: CallLog;
  /** A dry run's lines file (`--lines`), read and checked; absent: the state database's lines (`lines add`). */
  lines?: { file: string; lines: CustomLine[] };
}

/** How long a claim on a run holds without progress: a live process renews it at least three times within it. */
export const RUN_LEASE_MS = 5 * 60_000;

export interface MonthRuntime {
  deps: MonthDeps<PayerConfig>;
  rating: MonthRating;
  ledger: RunLedger;
  lease: RunLease;
  outDir: string;
  /** The same runtime for a dry run (the admin endpoint's `dryRun`): nothing uploaded, outputs under `<outDir>/dry-run` when this one is live. */
  dryRun(): MonthDeps<PayerConfig>;
  close(): void;
}

/** This process's lease: a token of its own, and how a person recognises it. */
export function processLease(ttlMs = RUN_LEASE_MS): RunLease {
  return { owner: randomUUID(), holder: `pid ${process.pid} on ${hostname()}`, ttlMs };
}

/** A CUR source built on first use: its adapter's code (DuckDB, or the AWS SDK) is loaded only when the month reads a CUR. */
function lazySource(load: () => Promise<CurSource & { close?: () => unknown }>): CurSource & { close: () => Promise<void> } {
  let source: Promise<CurSource & { close?: () => unknown }> | undefined;
  const get = (): Promise<CurSource & { close?: () => unknown }> => (source ??= load());
  return {
    aggregate: async (request) => (await get()).aggregate(request),
    locate: async (payer, test) => (await get()).locate?.(payer, test),
    close: async () => {
      if (source) await (await source).close?.();
    },
  };
}

/** The payer's CUR for one version: the local files, or its Athena table. */
function curSourceOf(config: Config, env: MonthEnvironment, options: MonthComposeOptions): (payer: PayerConfig, version: number) => CurSource & { close?: () => unknown } {
  const externalIds = externalIdsOf(env.variables, config);
  const endpoints = awsEndpoints(env.variables);
  return (payer, version) => {
    const local = options.cur;
    if (local !== undefined) {
      return lazySource(async () => {
        const { DuckDbCurSource } = await import('../adapters/engine/duckdb-cur-source.js');
        return new DuckDbCurSource(local, { memoryLimit: config.engine.memoryLimit, threads: config.engine.threads });
      });
    }
    const athena = payer.athena;
    if (!athena) {
      throw new ConnectorError('CONFIG_INVALID', `payer ${payer.accountId} has no Athena settings (payers[].athena) and no --cur was given`, { where: { payer: payer.accountId, setting: 'payers[].athena' } });
    }
    const externalId = externalIds.get(payer.accountId) ?? payer.externalId;
    return lazySource(async () => {
      const { AthenaCurSource } = await import('../adapters/aws/athena-cur-source.js');
      return new AthenaCurSource({
        payerAccountId: payer.accountId,
        database: athena.database,
        table: athena.table,
        layout: athena.layout,
        region: athena.region,
        runVersion: version,
        ...(athena.workgroup ? { workgroup: athena.workgroup } : {}),
        ...(athena.outputLocation ? { outputLocation: athena.outputLocation } : {}),
        ...(payer.roleArn ? { roleArn: payer.roleArn } : {}),
        ...(externalId ? { externalId } : {}),
        endpoints,
        timeouts: awsTimeouts(config),
        ...(options.callLog ? { callLog: options.callLog } : {}),
      });
    });
  };
}

/** The platform reads of a month: assets, marketplace settings, resellers' tier configurations. */
function platformOf(http: ConnectHttpClient | undefined): PlatformSettingsPort | undefined {
  if (!http) return undefined;
  const month = new ConnectMonthPlatform(http);
  const orders = new ConnectPlatform(http);
  return {
    listAssets: (ids, signal) => month.listAssets(ids, signal),
    marketplaceConfiguration: (product, market, signal) => month.marketplaceConfiguration(product, market, signal),
    marketplaceCurrency: (market, signal) => month.marketplaceCurrency(market, signal),
    getTierConfigParams: (account, product, signal) => orders.getTierConfigParams(account, product, signal),
  };
}

/**
 * Builds the month's adapters once. A live run needs `connect` and the API key
 * (CONFIG_INVALID naming what is missing); a dry run touches neither.
 */
export function composeMonth(loaded: LoadedConfig, env: MonthEnvironment, options: MonthComposeOptions): MonthRuntime {
  const { config } = loaded;
  if (!options.dryRun && !env.apiKey) throw new ConnectorError('CONFIG_INVALID', 'CONNECT_API_KEY is not set: uploading a usage file needs the platform API key (or add --dry-run)', { where: { setting: 'environment' } });
  if (!options.dryRun && !config.connect) throw new ConnectorError('CONFIG_INVALID', 'the configuration has no "connect" section: uploading needs connect.apiUrl and connect.productIds', { where: { setting: 'connect' } });
  const state = options.state ?? openStateDatabase(options.statePath ?? config.state.path);
  const ledger = new SqliteRunLedger(state.db, options.now);
  const lease = processLease();
  const outDir = options.out ?? (options.dryRun ? 'out' : config.state.outputDir);
  // One HTTP client for every platform call of the month (assets, settings, usage files).
  const http = options.http ?? (config.connect && env.apiKey ? new ConnectHttpClient({ apiUrl: config.connect.apiUrl, apiKey: env.apiKey, timeoutMs: config.connect.timeoutMs, retries: config.connect.retries, ...(options.callLog ? { onCall: platformCallLog(options.callLog) } : {}) }) : undefined);
  const files = options.dryRun || !http ? undefined : new ConnectUsageFiles(http);
  const platform = platformOf(http);
  const deps: MonthDeps<PayerConfig> = {
    ledger,
    lease,
    ...(files ? { files } : {}),
    ...(platform ? { platform } : {}),
    cur: curSourceOf(config, env, options),
    workbook: new StreamingWorkbookWriter(),
    workbooks: new FolderWorkbookStore(outDir),
    reports: new FolderReportStore(outDir),
    clock: { now: options.now },
    sleep: options.sleep ?? sleepUntilAborted,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onFileStatus ? { onFileStatus: (file: UsageFile, payer: string) => options.onFileStatus?.(payer, file) } : {}),
    ...(options.onNote ? { onNote: options.onNote } : {}),
    lines: options.lines ? { kind: 'file', file: options.lines.file, lines: options.lines.lines } : { kind: 'state', book: new SqliteCustomLineStore(state.db) },
  };
  const rating: MonthRating = {
    settings: config.rating,
    catalog: loaded.catalog,
    items: config.items,
    recordsSheetName: config.workbook.recordsSheetName,
    knownCurrencies: new Set(Intl.supportedValuesOf('currency')),
  };
  const dryRun = (): MonthDeps<PayerConfig> => {
    if (options.dryRun) return deps;
    const { files: _live, ...rest } = deps;
    const dir = join(outDir, 'dry-run');
    return { ...rest, workbooks: new FolderWorkbookStore(dir), reports: new FolderReportStore(dir) };
  };
  return { deps, rating, ledger, lease, outDir, dryRun, close: () => (options.state ? undefined : state.close()) };
}
