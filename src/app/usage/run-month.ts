/**
 * A month for a set of payers, for every entry point (the CLI's `rate` and
 * `reprocess`, the daemon's schedule, catch-up and `POST /reprocess`): resolve
 * where the subscriptions and settings come from, then run the one payer use
 * case (`runPayerMonth`) for each payer in turn. One payer's failure never
 * stops the others; each payer's CUR source is closed before the next opens, so
 * memory stays one payer's.
 */
import { coerceError, ConnectorError } from '../../domain/errors.js';
import { isAccountId, quoted } from '../../domain/ids.js';
import { diffReports, type DiffReport, type ReportDiff } from '../../domain/report-diff.js';
import type { PayerParameters } from '../../domain/rating.js';
import type { CurSource, OutputKey } from '../ports.js';
import type { PayerReport } from '../report.js';
import { subscriptionsFor, type AssetLike } from '../subscriptions.js';
import { readPlatformSettings, withPlatformSettings, type PayerSettingsLike, type PlatformSettingsPort } from './platform-settings.js';
import { checkLineAssets, linesOfPeriod, linesOrigin, type LineSource } from './month-lines.js';
import type { RunRecord } from './ports.js';
import { runPayerMonth, type MonthRating, type PayerMonthDeps, type PayerMonthResult } from './run-payer-month.js';

/** A configured payer: its rating parameters, what the platform may fill, and its usage file's product and contract. */
export interface MonthPayer extends PayerParameters, PayerSettingsLike {
  usage?: { productId?: string | undefined; contractId?: string | undefined } | undefined;
}

/** Where the subscriptions come from: an assets file, every linked account (`--bill-all-accounts`), or the platform. */
export type SubscriptionSource = { kind: 'assets'; assets: AssetLike[] } | { kind: 'all' } | { kind: 'platform'; productIds: string[] };

export interface MonthDeps<P extends MonthPayer> extends Omit<PayerMonthDeps, 'subscriptions' | 'cur'> {
  /** The payer's CUR for a version; closed after the payer's run when it has `close`. */
  cur: (payer: P, version: number) => CurSource & { close?: () => unknown };
  /** The platform's reads (required for `{ kind: 'platform' }`). */
  platform?: PlatformSettingsPort;
  /** Told of assets that are not billed, and of payers in a CUR that are not configured. */
  onNote?: (note: string) => void;
  /** The custom lines and credits (MARGIN.md §4): the state database's, or a dry run's lines file; absent: none. */
  lines?: LineSource;
}

export interface MonthInput<P extends MonthPayer> {
  period: string;
  payers: P[];
  subscriptions: SubscriptionSource;
  trigger: string;
  reprocess: boolean;
  rating: MonthRating;
  /** The usage file's product when a payer names none (connect.productIds[0]). */
  defaultProductId?: string;
  /** Fields each payer's report carries (the audit). */
  reportFields?: (payerAccountId: string) => Record<string, unknown> | undefined;
  signal: AbortSignal;
}

export interface MonthPayerResult<P extends MonthPayer> {
  payer: P;
  result: PayerMonthResult;
}

export async function runMonth<P extends MonthPayer>(deps: MonthDeps<P>, input: MonthInput<P>): Promise<Array<MonthPayerResult<P>>> {
  const { period, signal } = input;
  let assets: AssetLike[] | 'all' = 'all';
  let settings = new Map<string, Record<string, string>>();
  let contracts = new Map<string, string>();
  if (input.subscriptions.kind === 'assets') assets = input.subscriptions.assets;
  if (input.subscriptions.kind === 'platform') {
    if (!deps.platform) throw new ConnectorError('INTERNAL', 'subscriptions from the platform need the platform');
    const read = await readPlatformSettings(deps.platform, { productIds: input.subscriptions.productIds, payerIds: input.payers.map((p) => p.accountId), now: deps.clock.now() }, signal);
    for (const note of read.notes) deps.onNote?.(note);
    ({ assets, settings, contracts } = read);
  }
  const subscriptions = (payerId: string) => (assets === 'all' ? ('all' as const) : subscriptionsFor(assets, payerId, period));
  // The lines of the period, each asset checked against the run's subscriptions before any payer runs.
  const source = deps.lines;
  const assetsOrigin = input.subscriptions.kind === 'assets' ? "the assets file's subscriptions (--assets)" : "the platform's assets";
  const lines = source === undefined ? undefined : { lines: checkLineAssets(linesOfPeriod(source, period), assets, linesOrigin(source), assetsOrigin, deps.onNote), ...(source.kind === 'state' ? { book: source.book } : {}) };

  const results: Array<MonthPayerResult<P>> = [];
  const unconfigured = new Set<string>();
  for (const configured of input.payers) {
    // Stopped by a signal: the payers done so far are reported; the rest were not started.
    if (signal.aborted) break;
    const payer = withPlatformSettings(configured, settings.get(configured.accountId));
    const opened: Array<CurSource & { close?: () => unknown }> = [];
    const productId = payer.usage?.productId ?? input.defaultProductId;
    const contractId = payer.usage?.contractId ?? contracts.get(payer.accountId);
    try {
      const result = await runPayerMonth(
        {
          ...deps,
          subscriptions,
          cur: (_id, version) => {
            const source = deps.cur(payer, version);
            opened.push(source);
            return source;
          },
        },
        {
          payer,
          period,
          trigger: input.trigger,
          reprocess: input.reprocess,
          rating: input.rating,
          ...(productId ? { productId } : {}),
          ...(contractId ? { contractId } : {}),
          ...(input.reportFields?.(payer.accountId) ? { reportFields: input.reportFields(payer.accountId) } : {}),
          ...(lines === undefined ? {} : { lines }),
          signal,
        },
      );
      results.push({ payer, result });
      if ('rating' in result) for (const other of result.rating?.otherPayers ?? []) unconfigured.add(other);
    } finally {
      for (const source of opened) await source.close?.();
    }
  }
  const known = new Set(input.payers.map((p) => p.accountId));
  for (const id of [...unconfigured].sort()) {
    if (known.has(id)) continue;
    deps.onNote?.(isAccountId(id) ? `payer ${id} is in the CUR but not in the configuration's payers[]: its rows were not rated` : `the CUR has rows of payer ${quoted(id)}, not an AWS account id (12 digits): they were not rated`);
  }
  return results;
}

export interface ReprocessOutcome<P extends MonthPayer> extends MonthPayerResult<P> {
  /** The version compared against (the previous one of the same kind, live or dry), 0 when none. */
  previousVersion: number;
  diff?: ReportDiff;
  diffPath?: string;
  /** Why there is no diff, for a person. */
  noDiff?: string;
}

/**
 * A reprocess: a new version of one payer's month, and what changed against
 * the previous version (from the ledger, of the same kind: live or dry), per
 * account and service, with the cause. Both reports are read whole: the diff
 * holds two months' records in memory.
 */
export async function reprocessMonth<P extends MonthPayer>(deps: MonthDeps<P>, input: Omit<MonthInput<P>, 'reprocess'>): Promise<ReprocessOutcome<P>> {
  const [payer] = input.payers;
  if (payer === undefined || input.payers.length !== 1) throw new ConnectorError('INTERNAL', 'a reprocess is of one payer');
  const dryRun = deps.files === undefined;
  const before = deps.ledger.latest(payer.accountId, input.period, { dryRun });
  if (before === undefined) {
    throw new ConnectorError('CONFIG_INVALID', `no earlier ${dryRun ? 'dry-run ' : ''}version of payer ${payer.accountId} ${input.period} in the run ledger: run \`rate\` first, then reprocess`, {
      where: { payer: payer.accountId, setting: 'period', value: input.period },
    });
  }
  const [entry] = await runMonth(deps, { ...input, reprocess: true });
  if (entry === undefined) throw new ConnectorError('INTERNAL', 'the reprocess ran no payer');
  const run: RunRecord = entry.result.run;
  const previousVersion = run.version - 1;
  if (entry.result.kind !== 'done' || previousVersion < 1) return { ...entry, previousVersion };
  const key = (version: number): OutputKey => ({ payerAccountId: payer.accountId, period: input.period, version });
  const previous = deps.ledger.get(payer.accountId, input.period, previousVersion, { dryRun });
  if (previous?.outcome !== 'succeeded') return { ...entry, previousVersion, noDiff: `version ${previousVersion} had ${previous?.outcome ?? 'no run'}: nothing to compare against` };
  let reports: [PayerReport | undefined, PayerReport | undefined];
  try {
    reports = [await deps.reports.read(key(previousVersion)), await deps.reports.read(key(run.version))];
  } catch (error) {
    // The new version stands (rated, uploaded); only the comparison is missing, and says why.
    return { ...entry, previousVersion, noDiff: `the reports could not be compared: ${coerceError(error).message}` };
  }
  const [old, next] = reports;
  if (old === undefined || next === undefined || old.status !== 'ok') return { ...entry, previousVersion, noDiff: `the report of version ${previousVersion} is not there or not ok: nothing to compare against` };
  const diff = diffReports(old as unknown as DiffReport, next as unknown as DiffReport);
  const diffPath = await deps.reports.writeDiff(key(run.version), { from: previousVersion, to: run.version, ...diff });
  return { ...entry, previousVersion, diff, diffPath };
}
