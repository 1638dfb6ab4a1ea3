/**
 * Cancel (FULFILLMENT.md "Cancel: the 60-day close countdown"). A person closes
 * the account in the AWS console; the connector sees `Account.State` change,
 * saves `account_closed_at` on the request the first time, and approves only when
 * today ≥ closed + 60 days, so the monthly run keeps billing late usage until then.
 */
import { ConnectorError } from '../../domain/errors.js';
import { isClosedState } from '../../domain/orders/aws-outcomes.js';
import { countdown, parseDay, utcDay } from '../../domain/orders/countdown.js';
import { isAccountId, PARAM } from '../../domain/orders/order-params.js';
import { cancelBillingTransfer } from './billing-transfer-cancel.flow.js';
import type { Outcome, RequestWork } from './request-work.js';

export function closeNote(accountId: string, waitDays: number): string {
  return `Close AWS account ${accountId} in the AWS console (sign in as its root user, Account settings > Close account). The cancellation completes ${waitDays} days after the account is closed, so its last usage is billed.`;
}

export async function cancel(work: RequestWork): Promise<Outcome> {
  if (work.param(PARAM.accountType).toLowerCase() === 'billing-transfer') return cancelBillingTransfer(work);
  const accountId = work.param(PARAM.awsAccountId);
  if (!isAccountId(accountId)) {
    // Never approve a cancel we cannot tie to an account: an operator must look.
    throw new ConnectorError('CONFIG_INVALID', `request ${work.id}: the asset has no valid aws_account_id (${JSON.stringify(accountId)}); cannot tell which account to close`, {
      where: { setting: PARAM.awsAccountId, value: accountId },
    });
  }
  const payerId = work.payer().accountId;
  const waitDays = work.deps.settings.closeWaitDays;
  const savedText = work.param(PARAM.accountClosedAt);
  let closedAt = savedText === '' ? undefined : parseDay(savedText);
  if (savedText !== '' && closedAt === undefined) {
    throw new ConnectorError('CONFIG_INVALID', `request ${work.id}: account_closed_at ${JSON.stringify(savedText)} is not a date (YYYY-MM-DD); fix it on the request`, {
      where: { setting: PARAM.accountClosedAt, value: savedText, account: accountId },
    });
  }

  if (closedAt === undefined) {
    const account = await work.organizations().describeAccount(accountId, work.signal);
    if (!isClosedState(account?.state)) {
      // The manual action is recorded after the note: when it exists, the note was left (no platform call needed).
      if (!work.hasManualAction('close-account')) {
        await work.noteOnce(closeNote(accountId, waitDays));
        work.manualAction({ kind: 'close-account', accountId, detail: `close account ${accountId} in the AWS console (cancel ${work.id})` });
      }
      return { kind: 'pending', step: 'wait-closure', message: `account ${accountId} is ${account?.state ?? 'unknown'}: waiting for it to be closed in the AWS console`, accountId };
    }
    closedAt = utcDay(work.now);
    await work.save({ [PARAM.accountClosedAt]: closedAt, [PARAM.payerAccountId]: payerId });
    work.closeManualAction('close-account', 'account closed');
  }

  const state = countdown(closedAt, work.now, waitDays);
  if (!state.due) {
    work.countdowns.upsert({ requestId: work.id, accountId, payerAccountId: payerId, closedAt, dueOn: state.dueOn });
    return { kind: 'pending', step: 'countdown', message: `account ${accountId} closed on ${closedAt}: ${state.daysLeft} days left, approval on ${state.dueOn}`, accountId };
  }
  const outcome = await work.approve({ [PARAM.accountClosedAt]: closedAt }, 'approve', `account ${accountId} closed on ${closedAt}; ${waitDays} days passed on ${state.dueOn}`);
  work.countdowns.remove(work.id);
  return outcome;
}
