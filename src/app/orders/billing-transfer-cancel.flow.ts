/**
 * Cancel of a `billing-transfer` subscription (docs/orders.md): withdraw the
 * transfer (TerminateResponsibilityTransfer; AWS ends it at 23:59:59 UTC on the
 * last day of the month), then approve once the last transferred month has been
 * rated by a live run of the payer (the run ledger), so the month's usage is
 * billed. AWS keeps the transfer's end, so a restart reads it again: nothing
 * local has to survive.
 */
import { ConnectorError } from '../../domain/errors.js';
import { PARAM } from '../../domain/orders/order-params.js';
import { transfersFor } from './billing-transfer.flow.js';
import type { Outcome, RequestWork } from './request-work.js';

const NEVER_STARTED = new Set(['DECLINED', 'EXPIRED', 'CANCELED']);

export async function cancelBillingTransfer(work: RequestWork): Promise<Outcome> {
  const transferId = work.param(PARAM.transferId);
  const payerId = work.payer().accountId;
  if (transferId === '') {
    // Never approve a cancel we cannot tie to a transfer: an operator must look.
    throw new ConnectorError('CONFIG_INVALID', `request ${work.id}: the billing-transfer asset has no transfer_id; cannot tell which transfer to withdraw`, { where: { setting: PARAM.transferId, value: '' } });
  }
  const transfers = transfersFor(work);
  let transfer = await transfers.describeTransfer(transferId, work.signal);
  if (!transfer) {
    throw new ConnectorError('AWS_NOT_FOUND', `request ${work.id}: payer ${payerId} has no billing transfer ${transferId} (parameter ${PARAM.transferId})`, { where: { setting: PARAM.transferId, value: transferId, payer: payerId } });
  }
  if (NEVER_STARTED.has(transfer.status)) {
    return work.approve({}, 'approve', `billing transfer ${transferId} is ${transfer.status}: it never took effect, nothing left to bill`);
  }
  if (transfer.status === 'ACCEPTED' && transfer.endAt === undefined) {
    transfer = await transfers.terminateTransfer(transferId, work.signal);
  }
  const endAt = transfer.endAt;
  if (endAt === undefined) {
    throw new ConnectorError('AWS_CALL', `request ${work.id}: billing transfer ${transferId} is ${transfer.status} with no end after the withdrawal`, { where: { setting: PARAM.transferId, value: transferId, payer: payerId } });
  }
  // The last transferred month: the month holding the end (23:59:59 UTC on its last day).
  const lastMonth = endAt.slice(0, 7);
  const source = transfer.sourceAccountId ?? work.param(PARAM.awsAccountId);
  if (Date.parse(endAt) > work.now.getTime()) {
    return { kind: 'pending', step: 'wait-transfer-end', message: `billing transfer ${transferId} withdrawn: it ends on ${endAt.slice(0, 10)}; approval once ${lastMonth} has been rated`, accountId: source };
  }
  const ledger = work.deps.ratedMonths;
  if (!ledger) throw new ConnectorError('CONFIG_INVALID', `request ${work.id}: the connector was started without the run ledger; cannot tell whether ${lastMonth} was rated`, { where: { payer: payerId } });
  if (!ledger.hasSucceededLiveRun(payerId, lastMonth)) {
    return { kind: 'pending', step: 'wait-last-month-rated', message: `billing transfer ${transferId} ended on ${endAt.slice(0, 10)}: waiting for the live run of payer ${payerId} for ${lastMonth}`, accountId: source };
  }
  return work.approve({}, 'approve', `billing transfer ${transferId} ended on ${endAt.slice(0, 10)} and ${lastMonth} was rated for payer ${payerId}`);
}
