/**
 * The money core (RATING.md §2–§8) for a payer whose groups are all in memory:
 * the groups in, priced records and the reconciliation out, through the
 * account-at-a-time rater of payer-rating.ts. Pure: no I/O, no clock, no logging.
 * Expected failures (bad markup, bad fx, a row of another month...) come back as
 * `RatingProblem`s, and then no records are produced.
 */
import type { CurGroup } from './cur.js';
import { inputProblems, startPayerRating } from './payer-rating.js';
import type { RatedAccount, RatePayerInput, RatingOutcome } from './rating-types.js';

export type * from './rating-types.js';
export { inputProblems, parameterLimits, startPayerRating, type PayerRating, type StartPayerRatingOutcome } from './payer-rating.js';

/** The groups by account, accounts ascending, each account's groups in their given order. */
function byAccount(groups: readonly CurGroup[]): [string, CurGroup[]][] {
  const map = new Map<string, CurGroup[]>();
  for (const g of groups) {
    const list = map.get(g.accountId);
    if (list === undefined) map.set(g.accountId, [g]);
    else list.push(g);
  }
  return [...map].sort(([a], [b]) => (a < b ? -1 : 1));
}

/**
 * Rates one payer's month. Problems come in this order: the groups' (no rows,
 * another period, not USD; each value in the order first seen), then the money
 * parameters'; else the support lines'; else a failed reconciliation.
 */
export function ratePayer(input: RatePayerInput): RatingOutcome {
  const { groups, ...rest } = input;
  const early = inputProblems(groups, input.period);
  const started = startPayerRating(rest);
  if (!started.ok || early.length > 0) return { ok: false, problems: [...early, ...(started.ok ? [] : started.problems)] };

  const rating = started.rating;
  const accounts: RatedAccount[] = [];
  for (const [accountId, list] of byAccount(groups)) {
    const rated = rating.account(accountId, list);
    if (rated !== undefined) accounts.push(rated);
  }
  const outcome = rating.finish();
  if (!outcome.ok) return outcome;
  const p = outcome.payer;
  return {
    ok: true,
    payer: {
      payerAccountId: p.payerAccountId,
      period: p.period,
      currency: p.currency,
      listPrice: p.listPrice,
      markups: p.markups,
      reconciliation: p.reconciliation,
      accounts,
      unassigned: p.unassigned,
      billedTotal: p.billedTotal,
      records: accounts.flatMap((a) => a.records),
      droppedZeroRecords: p.droppedZeroRecords,
      supportPlanMismatches: p.supportPlanMismatches,
      warnings: p.warnings,
      rowsRated: p.rowsRated,
      ...(p.lines === undefined ? {} : { lines: p.lines }),
    },
  };
}
