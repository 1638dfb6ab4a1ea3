/**
 * The monthly schedule: node-cron fires in the configured time zone and the job
 * rates the month before "now" in that zone. On start, a catch-up runs the
 * previous month once if the daemon was down when the schedule should have fired.
 *
 * The calendar arithmetic is in pure helpers (`previousPeriod`, `catchUpPeriod`)
 * tested with fixed clocks; only `startMonthlySchedule` touches timers.
 */
import { parse as parseCron, schedule, validate as validateCron, type ScheduledTask } from 'node-cron';
import { coerceError, ConnectorError } from '../domain/errors.js';

/** What started a monthly run from here. */
export type ScheduleTrigger = 'schedule' | 'catch-up';

/** Default: 00:00 on the 5th of every month, when the month before is complete in the CUR. */
export const DEFAULT_CRON = '0 0 5 * *';

/** The calendar date of `now` in `timeZone` (month 1–12). */
export function zonedDate(now: Date, timeZone: string): { year: number; month: number; day: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(now);
  const field = (type: 'year' | 'month' | 'day'): number => Number(parts.find((p) => p.type === type)?.value);
  return { year: field('year'), month: field('month'), day: field('day') };
}

/** `YYYY-MM` of the month before `now`'s month in `timeZone` (January gives December of the year before). */
export function previousPeriod(now: Date, timeZone: string): string {
  const { year, month } = zonedDate(now, timeZone);
  const [y, m] = month === 1 ? [year - 1, 12] : [year, month - 1];
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`;
}

/**
 * The period to catch up at start, or undefined: the previous month when today
 * (in `timeZone`) is on or after day `fromDay` (default 5, the schedule's day)
 * and `hasRun` says that month has not been run. Before that day the schedule
 * has not fired yet this month, so there is nothing to catch up.
 */
export function catchUpPeriod(now: Date, timeZone: string, hasRun: (period: string) => boolean, fromDay = 5): string | undefined {
  if (zonedDate(now, timeZone).day < fromDay) return undefined;
  const period = previousPeriod(now, timeZone);
  return hasRun(period) ? undefined : period;
}

/**
 * The first day of the month `cron` fires on (`0 0 5 * *` → 5, `0 0 * * *` → 1);
 * 5 when the day field is not plain numbers (e.g. `L`).
 */
export function firstCronDay(cron: string): number {
  const days = parseCron(cron).dayOfMonth.filter((d): d is number => typeof d === 'number');
  return days.length > 0 ? Math.min(...days) : 5;
}

/** Throws `CONFIG_INVALID` naming `schedule.cron` or `schedule.timezone` and the value. */
export function validateSchedule(cron: string, timezone: string): void {
  if (!validateCron(cron)) {
    throw new ConnectorError('CONFIG_INVALID', `schedule.cron "${cron}" is not a valid cron expression (e.g. "0 0 5 * *": 00:00 on the 5th)`, {
      where: { setting: 'schedule.cron', value: cron },
    });
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch (error) {
    throw new ConnectorError('CONFIG_INVALID', `schedule.timezone "${timezone}" is not an IANA time zone (e.g. "UTC", "Europe/Madrid")`, {
      where: { setting: 'schedule.timezone', value: timezone },
      cause: error,
    });
  }
}

export interface MonthlyScheduleOptions {
  /** node-cron expression (5 fields, or 6 with seconds). Default `0 0 5 * *`. */
  cron?: string;
  /** IANA zone the expression and the month are read in. Default `UTC`. */
  timezone?: string;
  clock: { now(): Date };
  /** Rates and uploads one month for every payer; may throw (reported to `onError`). */
  runMonth: (period: string, trigger: ScheduleTrigger) => Promise<void>;
  /** Whether `period` (`YYYY-MM`) has been run already (the run ledger knows). */
  hasRun: (period: string) => boolean;
  /** A run that threw; the schedule goes on. */
  onError: (error: ConnectorError, period: string, trigger: ScheduleTrigger) => void;
}

export interface MonthlySchedule {
  /** Settles when the start-up catch-up is done: the period it ran, or undefined if none was due. Never rejects. */
  catchUp: Promise<string | undefined>;
  /** When the cron task fires next, from the real clock: shows the expression and time zone as node-cron reads them. */
  nextRun(): Date | null;
  /** Stops and removes the cron task. A run in progress is not interrupted (the daemon's signal does that). */
  stop(): Promise<void>;
}

/**
 * Validates the settings (throws `CONFIG_INVALID` before scheduling anything),
 * schedules the cron task, and starts the catch-up if one is due.
 */
export function startMonthlySchedule(options: MonthlyScheduleOptions): MonthlySchedule {
  const cron = options.cron ?? DEFAULT_CRON;
  const timezone = options.timezone ?? 'UTC';
  validateSchedule(cron, timezone);

  const runOnce = async (period: string, trigger: ScheduleTrigger): Promise<void> => {
    try {
      await options.runMonth(period, trigger);
    } catch (error) {
      options.onError(coerceError(error), period, trigger);
    }
  };

  const task: ScheduledTask = schedule(cron, () => runOnce(previousPeriod(options.clock.now(), timezone), 'schedule'), {
    timezone,
    name: 'native-rating-monthly',
    noOverlap: true,
  });

  const catchUp = (async (): Promise<string | undefined> => {
    let period: string | undefined;
    try {
      period = catchUpPeriod(options.clock.now(), timezone, options.hasRun, firstCronDay(cron));
    } catch (error) {
      options.onError(coerceError(error), previousPeriod(options.clock.now(), timezone), 'catch-up');
      return undefined;
    }
    if (period === undefined) return undefined;
    await runOnce(period, 'catch-up');
    return period;
  })();

  return {
    catchUp,
    nextRun: () => task.getNextRun(),
    stop: async () => {
      await task.destroy();
    },
  };
}
