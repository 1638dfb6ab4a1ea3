/**
 * The production form of `rate` (issue 4): without `--cur` each payer's CUR is
 * read through its Athena settings (`payers[].athena`); without `--dry-run` the
 * workbook goes to the platform as a usage file, through the run ledger
 * (`state.path`), exactly once per payer and period. The schedule and the admin
 * endpoint run the same use case, `runPayerMonth`.
 */
import { readFile } from 'node:fs/promises';
import { AthenaCurSource } from '../adapters/aws/athena-cur-source.js';
import { ConnectPlatform } from '../adapters/connect/connect-platform.js';
import { ConnectMonthPlatform } from '../adapters/connect/month-platform.js';
import { ConnectUsageFiles } from '../adapters/connect/usage-files.js';
import { DuckDbCurSource } from '../adapters/engine/duckdb-cur-source.js';
import { FolderRunOutput } from '../adapters/files/run-output.js';
import { ExcelWorkbookWriter } from '../adapters/workbook/usage-workbook.writer.js';
import type { CurSource } from '../app/ports.js';
import { subscriptionsFor, type AssetLike } from '../app/subscriptions.js';
import { assetsToSubscriptions, marketplacesOf } from '../app/usage/platform-assets.js';
import { runPayerMonth, type PayerMonthDeps, type PayerMonthResult } from '../app/usage/run-payer-month.js';
import { externalIdsOf } from '../config/env.js';
import { loadAssets, loadConfig, type LoadedConfig } from '../config/load.js';
import type { Config, PayerConfig } from '../config/schema.js';
import { sleepUntilAborted } from '../daemon/poll-loop.js';
import { ConnectorError } from '../domain/errors.js';
import { openStateDatabase } from '../store/database.js';
import { SqliteRunLedger } from '../store/run-ledger.store.js';
import { progressPrinter, type CommandIo, type RateOptions } from './rate.command.js';
import { renderTable } from './table.js';

export interface MonthRunOptions extends RateOptions {
  /** A reprocess: a new version replacing the previous file where the platform allows. */
  reprocess?: boolean;
  trigger?: string;
  /** See `PayerMonthInput.staleAfterMs` (0: resume a run left running at once). */
  staleAfterMs?: number;
}

export interface MonthRunEnv {
  /** `CONNECT_API_KEY`; required unless `--dry-run`. */
  apiKey?: string;
  /** The environment, for the payers' `externalIdEnv` variables. */
  variables: NodeJS.ProcessEnv;
}

/** The payer's CUR for one version: local files (`--cur`) or its Athena table. */
function curOf(config: Config, payer: PayerConfig, options: MonthRunOptions, externalIds: Map<string, string>, version: number, opened: Array<{ close(): void }>): CurSource {
  if (options.cur !== undefined) {
    const local = new DuckDbCurSource(options.cur, { memoryLimit: config.engine.memoryLimit, threads: config.engine.threads });
    opened.push(local);
    return local;
  }
  const athena = payer.athena;
  if (!athena) {
    throw new ConnectorError('CONFIG_INVALID', `payer ${payer.accountId} has no Athena settings (payers[].athena) and no --cur was given`, { where: { payer: payer.accountId, setting: 'payers[].athena' } });
  }
  const externalId = externalIds.get(payer.accountId) ?? payer.externalId;
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
  });
}

/** What the month reads from the platform: the subscriptions, and each payer's marketplace settings. */
interface FromPlatform {
  assets: AssetLike[];
  /** Marketplace configuration values by payer (customMarkup, fxRate, marketplaceCurrency...). */
  settings: Map<string, Record<string, string>>;
  /** The contract of each payer's assets (the usage file's contract, unless `payers[].usage.contractId`). */
  contracts: Map<string, string>;
}

const PLATFORM_SETTINGS = ['customMarkup', 'customMarkupMarketplace', 'fxRate', 'marketplaceCurrency'] as const;

/**
 * The subscriptions from the platform's assets (`aws_account_id`, status, the
 * countdown of cancelled ones) and the marketplace settings of each payer. An
 * asset's payer: its saved `payer_account_id`; else its reseller's own payer
 * (approved tier configuration); else, with one configured payer, that one.
 * With several payers an asset of no known payer is reported and not billed.
 */
async function fromPlatform(config: Config, env: MonthRunEnv, io: CommandIo, signal: AbortSignal): Promise<FromPlatform> {
  if (!config.connect || !env.apiKey) {
    throw new ConnectorError('CONFIG_INVALID', 'subscriptions come from the platform unless --assets or --bill-all-accounts is given: that needs the "connect" section and CONNECT_API_KEY', { where: { setting: '--assets' } });
  }
  const http = { apiUrl: config.connect.apiUrl, apiKey: env.apiKey, timeoutMs: config.connect.timeoutMs, retries: config.connect.retries };
  const platform = new ConnectMonthPlatform(http);
  const listed = await platform.listAssets(config.connect.productIds, signal);

  // Resellers with their own payer (enableMultiplePayer): their approved settings, by tier1 account.
  const resellerPayers = new Map<string, string>();
  const resellerValues = new Map<string, Record<string, string>>();
  const orders = new ConnectPlatform(http);
  for (const key of new Set(listed.filter((a) => a.tier1).map((a) => `${a.tier1?.id ?? ''}/${a.productId}`))) {
    const [accountId = '', productId = ''] = key.split('/');
    const params = (await orders.getTierConfigParams(accountId, productId, signal)) ?? [];
    const values = Object.fromEntries(params.filter((p) => p.value.trim() !== '').map((p) => [p.id, p.value.trim()]));
    if (values.payerAccountId) {
      resellerPayers.set(accountId, values.payerAccountId);
      resellerValues.set(accountId, values);
    }
  }
  const byId = new Map(listed.map((a) => [a.id, a]));
  const only = config.payers.length === 1 ? config.payers[0]?.accountId : undefined;

  // Per marketplace: its settings, and its payerAccountId as the default payer of its assets.
  const assets: AssetLike[] = [];
  const settings = new Map<string, Record<string, string>>();
  const contracts = new Map<string, string>();
  const productId = config.connect.productIds[0] ?? '';
  for (const market of [...marketplacesOf(listed), undefined]) {
    const group = listed.filter((a) => a.marketplaceId === market);
    if (group.length === 0) continue;
    let values: Record<string, string> = {};
    if (market !== undefined) {
      values = await platform.marketplaceConfiguration(productId, market, signal);
      const currency = values.marketplaceCurrency ?? (await platform.marketplaceCurrency(market, signal));
      if (currency) values = { ...values, marketplaceCurrency: currency };
    }
    const defaultPayer = values.payerAccountId || only;
    const found = assetsToSubscriptions(group, io.now(), { resellerPayers, defaultPayer });
    for (const p of found.problems) io.stderr(`asset ${p.assetId}: ${p.message}\n`);
    for (const a of found.assets) {
      if (a.payerAccountId === undefined) {
        io.stderr(`asset ${a.assetId}: no payer (payer_account_id, reseller settings, marketplace payerAccountId) and several payers are configured: not billed\n`);
        continue;
      }
      assets.push(a);
      // A reseller's own payer takes the reseller's settings over the marketplace's.
      const reseller = byId.get(a.assetId)?.tier1?.id;
      const own = reseller !== undefined && resellerPayers.get(reseller) === a.payerAccountId ? resellerValues.get(reseller) : undefined;
      if (!settings.has(a.payerAccountId)) settings.set(a.payerAccountId, { ...values, ...own });
      const contract = byId.get(a.assetId)?.contractId;
      if (contract && !contracts.has(a.payerAccountId)) contracts.set(a.payerAccountId, contract);
    }
  }
  return { assets, settings, contracts };
}

/** The payer's parameters: the file's explicit values win; the platform fills the rest (money, role, Athena). */
function withPlatformSettings(payer: PayerConfig, platform: Record<string, string> | undefined): PayerConfig {
  if (!platform) return payer;
  const filled: Partial<PayerConfig> = {};
  for (const key of PLATFORM_SETTINGS) {
    const value = platform[key];
    if (payer[key] === undefined && value !== undefined && value !== '') filled[key] = value;
  }
  if (payer.roleArn === undefined && platform.payerRoleArn) filled.roleArn = platform.payerRoleArn;
  if (payer.externalId === undefined && payer.externalIdEnv === undefined && platform.payerExternalId) filled.externalId = platform.payerExternalId;
  if (payer.athena === undefined && platform.database && platform.table) {
    // Identifiers are checked again by the Athena source ([A-Za-z0-9_]+): these values are typed by people.
    filled.athena = {
      database: platform.database,
      table: platform.table,
      region: platform.region || 'us-east-1',
      layout: 'cur2',
      ...(platform.workgroup ? { workgroup: platform.workgroup } : {}),
      ...(platform.outputLocation ? { outputLocation: platform.outputLocation } : {}),
    };
  }
  return { ...payer, ...filled };
}

/** Runs the month of every configured payer (or `--payer`); one failing payer never stops the others. */
export async function runMonthCommand(options: MonthRunOptions, io: CommandIo, env: MonthRunEnv, signal: AbortSignal = new AbortController().signal): Promise<Array<{ payer: string; result: PayerMonthResult }>> {
  const loaded: LoadedConfig = await loadConfig(options.config);
  const { config } = loaded;
  const dryRun = options.dryRun === true;
  if (!dryRun && !env.apiKey) throw new ConnectorError('CONFIG_INVALID', 'CONNECT_API_KEY is not set: uploading a usage file needs the platform API key (or add --dry-run)', { where: { setting: 'environment' } });
  if (!dryRun && !config.connect) throw new ConnectorError('CONFIG_INVALID', 'the configuration has no "connect" section: uploading needs connect.apiUrl and connect.productIds', { where: { setting: 'connect' } });
  let assets: AssetLike[] | undefined;
  let platformSettings = new Map<string, Record<string, string>>();
  let platformContracts = new Map<string, string>();
  if (options.assets !== undefined) assets = await loadAssets(options.assets);
  else if (options.billAllAccounts !== true) ({ assets, settings: platformSettings, contracts: platformContracts } = await fromPlatform(config, env, io, signal));
  const payers = config.payers.filter((p) => options.payer === undefined || p.accountId === options.payer).map((p) => withPlatformSettings(p, platformSettings.get(p.accountId)));
  if (payers.length === 0) throw new ConnectorError('CONFIG_INVALID', `--payer ${options.payer ?? ''} is not in ${options.config} payers[]`, { where: { file: options.config, setting: 'payers' } });

  const externalIds = externalIdsOf(env.variables, config);
  const state = openStateDatabase(config.state.path);
  const opened: Array<{ close(): void }> = [];
  const results: Array<{ payer: string; result: PayerMonthResult }> = [];
  try {
    const ledger = new SqliteRunLedger(state.db);
    const files = dryRun || !config.connect ? undefined : new ConnectUsageFiles({ apiUrl: config.connect.apiUrl, apiKey: env.apiKey ?? '', timeoutMs: config.connect.timeoutMs, retries: config.connect.retries });
    for (const payer of payers) {
      const deps: PayerMonthDeps = {
        ledger,
        ...(files ? { files } : {}),
        cur: (_id, version) => curOf(config, payer, options, externalIds, version, opened),
        output: (version) => new FolderRunOutput(options.out, version),
        rating: {
          workbook: new ExcelWorkbookWriter(),
          subscriptions: (id) => (assets === undefined ? 'all' : subscriptionsFor(assets, id, options.period)),
          now: io.now,
          onProgress: progressPrinter(io),
        },
        clock: { now: io.now },
        sleep: io.sleep ?? sleepUntilAborted,
        readWorkbook: async (path) => new Uint8Array(await readFile(path)),
        onFileStatus: (file) => io.stdout(`payer ${payer.accountId} · usage file ${file.id} (${file.externalId}): ${file.status}\n`),
      };
      const result = await runPayerMonth(deps, {
        payerAccountId: payer.accountId,
        period: options.period,
        trigger: options.trigger ?? 'cli',
        reprocess: options.reprocess === true,
        ...(options.staleAfterMs === undefined ? {} : { staleAfterMs: options.staleAfterMs }),
        ...(payer.usage?.productId ?? config.connect?.productIds[0] ? { productId: payer.usage?.productId ?? config.connect?.productIds[0] } : {}),
        ...((payer.usage?.contractId ?? platformContracts.get(payer.accountId)) ? { contractId: payer.usage?.contractId ?? platformContracts.get(payer.accountId) } : {}),
        signal,
        rating: {
          period: options.period,
          payers: [payer],
          settings: config.rating,
          catalog: loaded.catalog,
          items: config.items,
          recordsSheetName: config.workbook.recordsSheetName,
          knownCurrencies: new Set(Intl.supportedValuesOf('currency')),
        },
      });
      results.push({ payer: payer.accountId, result });
      // Each payer's engine is closed before the next one opens (memory stays one payer's).
      for (const o of opened.splice(0)) o.close();
    }
  } finally {
    for (const o of opened) o.close();
    state.close();
  }
  if (io.stderrIsTty) io.stderr('\r\u001b[K');
  io.stdout(`${monthTable(results, options.period, dryRun)}\n`);
  return results;
}

/** One line per payer: what happened to its month. */
export function monthTable(results: Array<{ payer: string; result: PayerMonthResult }>, period: string, dryRun: boolean): string {
  const rows = results.map(({ payer, result }) => {
    const run = result.run;
    const what = result.kind === 'failed' ? `failed: ${result.error.message}` : result.kind === 'already-done' ? 'already done (use reprocess for a new version)' : result.kind === 'running-elsewhere' ? 'another run is in progress' : dryRun ? 'rated (dry run)' : 'submitted';
    return [payer, `v${run.version}`, run.step, run.usageFileId ?? '-', run.usageFileStatus ?? '-', run.billedTotal ? `${run.billedTotal} ${run.currency ?? ''}` : '-', what];
  });
  return `Month ${period}${dryRun ? ' (dry run)' : ''}\n${renderTable(
    [{ header: 'payer' }, { header: 'version' }, { header: 'step' }, { header: 'usage file' }, { header: 'file status' }, { header: 'billed', align: 'right' }, { header: 'outcome' }],
    rows,
  )}`;
}
