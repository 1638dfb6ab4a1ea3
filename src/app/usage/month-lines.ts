/**
 * Where a month's custom lines come from (MARGIN.md §4), and what the month
 * needs of them: the lines in the state database (`lines add`), whose flat
 * credits' balances carry from month to month, or a dry run's lines file
 * (`--lines`), which carries nothing (a flat credit starts from its
 * `remaining`, else its amount).
 */
import { appliesTo, type CustomLine } from '../../domain/custom-lines.js';
import { ConnectorError } from '../../domain/errors.js';
import type { AssetLike } from '../subscriptions.js';

/** A stored line: who added it and when, and who removed it and when. */
export interface StoredLine extends CustomLine {
  addedBy: string;
  /** ISO time. */
  addedAt: string;
  removedBy?: string;
  removedAt?: string;
}

/** One version of one payer's month. */
export interface MonthRef {
  payerAccountId: string;
  period: string;
  version: number;
  dryRun: boolean;
}

/** A flat credit's balance for one customer in one version of a month. */
export interface CreditBalanceEntry {
  lineId: string;
  accountId: string;
  /** Exact decimal text: the balance before the period, what the period took (≥ 0), what carries. */
  opening: string;
  used: string;
  remainingAfter: string;
}

/** What a month reads and writes of the lines in the state database. */
export interface LineBook {
  /** The lines in force (not removed). */
  active(): CustomLine[];
  /** Flat credits' balances before the period, by `balanceKey` (see the store for the rule). */
  openings(month: Omit<MonthRef, 'version'>): ReadonlyMap<string, string>;
  /** Stores the balances one version of a month left. */
  recordBalances(month: MonthRef, entries: readonly CreditBalanceEntry[], now: Date): void;
}

/** The lines of a run: from the state database, or from a lines file (dry runs). */
export type LineSource = { kind: 'state'; book: LineBook } | { kind: 'file'; file: string; lines: CustomLine[] };

/** The lines of a run that apply to `period`. */
export function linesOfPeriod(source: LineSource | undefined, period: string): CustomLine[] {
  if (source === undefined) return [];
  const lines = source.kind === 'file' ? source.lines : source.book.active();
  return lines.filter((l) => appliesTo(l, period));
}

/** Where the lines came from, for a message. */
export function linesOrigin(source: LineSource): string {
  return source.kind === 'file' ? `the lines file ${source.file}` : 'the state database (lines add)';
}

/**
 * Refuses lines of `period` whose asset is not among the run's subscriptions
 * (the assets file's or the platform's, whatever their status): CONFIG_INVALID
 * naming every such line and asset, before any payer runs. With every account
 * billed as its own customer (`'all'`) no asset is known: asset lines are noted
 * and left out.
 */
export function checkLineAssets(lines: readonly CustomLine[], assets: readonly AssetLike[] | 'all', origin: string, assetsOrigin: string, onNote?: (note: string) => void): CustomLine[] {
  if (assets === 'all') {
    const kept = lines.filter((l) => l.assetId === undefined);
    for (const l of lines) if (l.assetId !== undefined) onNote?.(`line ${l.id} (${origin}) is for asset ${l.assetId}: with every account billed as its own customer no account has an asset, so it is not applied`);
    return kept;
  }
  const known = new Set(assets.map((a) => a.assetId));
  const unknown = lines.filter((l) => l.assetId !== undefined && !known.has(l.assetId));
  if (unknown.length > 0) {
    const named = unknown.map((l) => `line ${l.id}: assetId ${JSON.stringify(l.assetId)}`).join('; ');
    throw new ConnectorError('CONFIG_INVALID', `${unknown.length} line(s) of ${origin} name an unknown asset, not among ${assetsOrigin}: ${named} (a subscription that is gone: remove the line with \`lines remove <id>\`)`, {
      where: { setting: 'lines', value: unknown[0]?.assetId ?? '' },
    });
  }
  return [...lines];
}
