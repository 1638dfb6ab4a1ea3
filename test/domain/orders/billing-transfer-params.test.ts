import { describe, expect, it } from 'vitest';
import { transferOutcome } from '../../../src/domain/orders/aws-outcomes.js';
import { checkPurchase, checkTransferStart, monthStart, nextMonth } from '../../../src/domain/orders/order-params.js';

const NOV_26 = new Date('2026-11-26T10:00:00Z');

describe('checkTransferStart()', () => {
  it.each([
    ['', '2026-12'],
    ['2026-12', '2026-12'],
    ['2027-03', '2027-03'],
  ])('takes %j as the month %s', (value, month) => {
    expect(checkTransferStart(value, NOV_26)).toEqual({ month });
  });

  it.each(['2026-11', '2026-01', '2026-1', '2026-13', 'december', '2026-12-01'])('refuses %j, naming the value', (value) => {
    const { problem } = checkTransferStart(value, NOV_26);
    expect(problem?.param).toBe('transfer_start');
    expect(problem?.message).toContain(value);
  });

  it('rolls the next month over the year end, in UTC', () => {
    expect(nextMonth(new Date('2026-12-31T23:30:00Z'))).toBe('2027-01');
    expect(monthStart('2027-01').toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
});

describe('checkPurchase() for billing-transfer', () => {
  const lookup = (params: Record<string, string>) => (id: string) => params[id] ?? '';

  it('orders the management account by id, from the next month, under the ASCII customer name', () => {
    const checked = checkPurchase(lookup({ account_type: 'billing-transfer', aws_account_id: '777777777701' }), 'Société Générale', undefined, NOV_26);
    expect(checked).toMatchObject({ ok: true, order: { accountType: 'billing-transfer', billingTransfer: { target: { type: 'ACCOUNT', id: '777777777701' }, startMonth: '2026-12', sourceName: 'Societe Generale' } } });
  });

  it('takes the e-mail when no account id is given, and needs one of the two', () => {
    expect(checkPurchase(lookup({ account_type: 'billing-transfer', account_email: 'root@c.example' }), 'C', undefined, NOV_26)).toMatchObject({ ok: true, order: { billingTransfer: { target: { type: 'EMAIL', id: 'root@c.example' } } } });
    expect(checkPurchase(lookup({ account_type: 'billing-transfer' }), 'C', undefined, NOV_26)).toMatchObject({ ok: false, problems: [{ param: 'aws_account_id' }] });
  });

  it('does not check transfer_start against today once the transfer was invited (no date given)', () => {
    expect(checkPurchase(lookup({ account_type: 'billing-transfer', aws_account_id: '777777777701', transfer_start: '2026-11' }), 'C')).toMatchObject({ ok: true });
  });
});

describe('transferOutcome()', () => {
  it.each([
    ['REQUESTED', 'wait'],
    ['ACCEPTED', 'accepted'],
    ['DECLINED', 'ended'],
    ['EXPIRED', 'ended'],
    ['CANCELED', 'ended'],
    ['WITHDRAWN', 'ended'],
    ['SOMETHING_NEW', 'ended'],
  ])('%s → %s', (status, kind) => {
    expect(transferOutcome(status).kind).toBe(kind);
  });
});
