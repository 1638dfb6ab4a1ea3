import { describe, expect, it } from 'vitest';
import { catchUpPeriod, firstCronDay, previousPeriod, startMonthlySchedule, validateSchedule, type MonthlyScheduleOptions, type ScheduleTrigger } from '../../src/daemon/scheduler.js';
import { ConnectorError } from '../../src/domain/errors.js';

const at = (iso: string): Date => new Date(iso);

describe('previousPeriod()', () => {
  it.each([
    ['2026-03-05T00:00:00Z', 'UTC', '2026-02'],
    ['2027-01-05T00:00:00Z', 'UTC', '2026-12'],
    ['2026-12-31T23:59:59Z', 'UTC', '2026-11'],
    // 13:00 on 1 December in Auckland (NZDT, UTC+13) while still 30 November in UTC.
    ['2026-11-30T23:00:00Z', 'Pacific/Auckland', '2026-11'],
    ['2026-11-30T23:00:00Z', 'UTC', '2026-10'],
    // 19:00 on 31 December in New York while already 1 January in UTC.
    ['2027-01-01T00:00:00Z', 'America/New_York', '2026-11'],
    ['2027-01-01T00:00:00Z', 'UTC', '2026-12'],
  ])('at %s in %s is %s', (now, zone, expected) => {
    expect(previousPeriod(at(now), zone)).toBe(expected);
  });
});

describe('catchUpPeriod()', () => {
  const never = (): boolean => false;

  it('gives the previous month on the 6th when it has not run', () => {
    expect(catchUpPeriod(at('2026-03-06T09:00:00Z'), 'UTC', never)).toBe('2026-02');
  });

  it('gives the previous month on the 5th itself', () => {
    expect(catchUpPeriod(at('2026-03-05T00:00:00Z'), 'UTC', never)).toBe('2026-02');
  });

  it('gives nothing before the 5th', () => {
    expect(catchUpPeriod(at('2026-03-04T23:59:59Z'), 'UTC', never)).toBeUndefined();
  });

  it('gives nothing when the previous month has run', () => {
    expect(catchUpPeriod(at('2026-03-20T00:00:00Z'), 'UTC', (p) => p === '2026-02')).toBeUndefined();
  });

  it('reads the day in the time zone: 2026-12-04T12:00Z is already the 5th in Auckland', () => {
    const now = at('2026-12-04T12:00:00Z');
    expect(catchUpPeriod(now, 'UTC', never)).toBeUndefined();
    expect(catchUpPeriod(now, 'Pacific/Auckland', never)).toBe('2026-11');
  });

  it('starts from another day when given one', () => {
    expect(catchUpPeriod(at('2026-03-02T00:00:00Z'), 'UTC', never, 1)).toBe('2026-02');
  });
});

describe('firstCronDay()', () => {
  it.each([
    ['0 0 5 * *', 5],
    ['30 2 10,20 * *', 10],
    ['0 0 * * *', 1],
    ['0 0 L * *', 5],
  ])('of %s is %i', (cron, day) => {
    expect(firstCronDay(cron)).toBe(day);
  });
});

describe('validateSchedule()', () => {
  const problem = (cron: string, zone: string): ConnectorError => {
    try {
      validateSchedule(cron, zone);
    } catch (error) {
      if (error instanceof ConnectorError) return error;
      throw error;
    }
    throw new Error('expected CONFIG_INVALID');
  };

  it('names schedule.cron and the value for a bad expression', () => {
    const error = problem('0 0 32 * *', 'UTC');
    expect([error.code, error.where.setting, error.where.value]).toEqual(['CONFIG_INVALID', 'schedule.cron', '0 0 32 * *']);
    expect(error.message).toContain('0 0 32 * *');
  });

  it('names schedule.timezone and the value for an unknown zone', () => {
    const error = problem('0 0 5 * *', 'Mars/Olympus_Mons');
    expect([error.code, error.where.setting, error.where.value]).toEqual(['CONFIG_INVALID', 'schedule.timezone', 'Mars/Olympus_Mons']);
    expect(error.message).toContain('Mars/Olympus_Mons');
  });

  it('accepts the defaults', () => {
    expect(() => validateSchedule('0 0 5 * *', 'UTC')).not.toThrow();
  });
});

describe('startMonthlySchedule()', () => {
  function harness(now: string, ran: string[] = [], extra: Partial<MonthlyScheduleOptions> = {}) {
    const runs: Array<[string, ScheduleTrigger]> = [];
    const errors: string[] = [];
    const schedule = startMonthlySchedule({
      clock: { now: () => at(now) },
      hasRun: (p) => ran.includes(p),
      runMonth: async (period, trigger) => {
        runs.push([period, trigger]);
      },
      onError: (error, period, trigger) => errors.push(`${trigger} ${period} ${error.code}: ${error.message}`),
      ...extra,
    });
    return { schedule, runs, errors };
  }

  it('catches up the previous month once on the 6th when it has not run', async () => {
    const { schedule, runs } = harness('2026-03-06T08:00:00Z');
    try {
      expect(await schedule.catchUp).toBe('2026-02');
      expect(runs).toEqual([['2026-02', 'catch-up']]);
    } finally {
      await schedule.stop();
    }
  });

  it('catches up nothing on the 4th', async () => {
    const { schedule, runs } = harness('2026-03-04T08:00:00Z');
    try {
      expect(await schedule.catchUp).toBeUndefined();
      expect(runs).toEqual([]);
    } finally {
      await schedule.stop();
    }
  });

  it('catches up nothing when the previous month has run', async () => {
    const { schedule, runs } = harness('2026-03-06T08:00:00Z', ['2026-02']);
    try {
      expect(await schedule.catchUp).toBeUndefined();
      expect(runs).toEqual([]);
    } finally {
      await schedule.stop();
    }
  });

  it('reports a catch-up that throws and still settles', async () => {
    const { schedule, errors } = harness('2026-03-06T08:00:00Z', [], {
      runMonth: async () => {
        throw new ConnectorError('PLATFORM_UNREACHABLE', 'platform down');
      },
    });
    try {
      expect(await schedule.catchUp).toBe('2026-02');
      expect(errors).toEqual(['catch-up 2026-02 PLATFORM_UNREACHABLE: platform down']);
    } finally {
      await schedule.stop();
    }
  });

  it('fires at 00:00 on the 5th in the configured time zone', async () => {
    const { schedule } = harness('2026-12-01T00:00:00Z', [], { timezone: 'Pacific/Auckland' });
    try {
      // The next run is computed from the real clock; its wall time in Auckland is 00:00 on the 5th.
      const next = schedule.nextRun();
      expect(next).not.toBeNull();
      const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Pacific/Auckland', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(next ?? undefined);
      expect(local).toBe('5, 00:00');
    } finally {
      await schedule.stop();
    }
  });

  it('refuses a bad cron expression before scheduling anything', () => {
    expect(() => harness('2026-03-06T08:00:00Z', [], { cron: 'every month' })).toThrow(/schedule\.cron "every month"/);
  });

  it('refuses an unknown time zone before scheduling anything', () => {
    expect(() => harness('2026-03-06T08:00:00Z', [], { timezone: 'Europe/Atlantis' })).toThrow(/schedule\.timezone "Europe\/Atlantis"/);
  });
});
