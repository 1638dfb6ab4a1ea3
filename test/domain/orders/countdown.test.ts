import { describe, expect, it } from 'vitest';
import { addDays, countdown, parseDay, utcDay } from '../../../src/domain/orders/countdown.js';

describe('countdown()', () => {
  it.each([
    ['2026-11-26', '2027-01-24T23:59:59Z', false, 1],
    ['2026-11-26', '2027-01-25T00:00:00Z', true, 0],
    ['2026-12-31', '2027-03-01T00:00:00Z', true, 0],
    ['2027-12-31', '2028-02-28T12:00:00Z', false, 1], // leap year: 2028-02-29 is day 60
  ])('closed %s, at %s: due %s, %d days left', (closed, now, due, left) => {
    const state = countdown(closed, new Date(now));
    expect(state.due).toBe(due);
    expect(state.daysLeft).toBe(left);
  });

  it('uses UTC days, not local time', () => {
    expect(utcDay(new Date('2026-11-26T23:30:00-05:00'))).toBe('2026-11-27');
  });

  it.each([['2026-02-30'], ['26/09/2026'], [''], ['2026-1-5']])('refuses %j as a day', (text) => {
    expect(parseDay(text)).toBeUndefined();
  });

  it('reads the date part of a timestamp', () => {
    expect(parseDay('2026-11-26T10:00:00Z')).toBe('2026-11-26');
    expect(addDays('2026-11-26', 60)).toBe('2027-01-25');
  });
});
