/**
 * The close countdown of a cancel (FULFILLMENT.md "Cancel"): the day a closed
 * account was first seen, and the day the cancel may be approved. Days are UTC
 * calendar days as `YYYY-MM-DD`; the clock is passed in, never read.
 */

/** Days between the closure first seen and the approval: late usage of the last month is captured. */
export const CLOSE_WAIT_DAYS = 60;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` of `now` in UTC. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** Parses a stored `account_closed_at`: a real calendar day `YYYY-MM-DD` (an ISO timestamp's date part is accepted). */
export function parseDay(text: string): string | undefined {
  const day = text.trim().slice(0, 10);
  const match = DAY.exec(day);
  if (!match) return undefined;
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || utcDay(date) !== day) return undefined;
  return day;
}

/** `day` + `days` calendar days. */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return utcDay(date);
}

/** Whole calendar days from `from` to `to` (`YYYY-MM-DD`, UTC); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export interface CountdownState {
  closedAt: string;
  dueOn: string;
  /** Days left until `dueOn` (0 when due). */
  daysLeft: number;
  due: boolean;
}

/** Where a countdown stands today: due when today ≥ closedAt + `waitDays`. */
export function countdown(closedAt: string, now: Date, waitDays: number = CLOSE_WAIT_DAYS): CountdownState {
  const dueOn = addDays(closedAt, waitDays);
  const today = utcDay(now);
  const daysLeft = Math.max(0, daysBetween(today, dueOn));
  return { closedAt, dueOn, daysLeft, due: today >= dueOn };
}
