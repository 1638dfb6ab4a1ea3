/**
 * Purchase of `account_type` = `billing-transfer` (docs/orders.md "Billing
 * transfer"): the customer keeps its organization and its management account;
 * this payer is invited to pay its consolidated bill (Organizations
 * InviteOrganizationToTransferResponsibility, `Type: BILLING`). Progress lives on
 * the request (`handshake_id`, `transfer_id`); a restart adopts the transfer AWS
 * already has for the same source instead of inviting again.
 */
import { ConnectorError } from '../../domain/errors.js';
import { transferOutcome } from '../../domain/orders/aws-outcomes.js';
import { monthStart, PARAM, type BillingTransferOrder, type PurchaseOrder } from '../../domain/orders/order-params.js';
import { transfersOf, type ResponsibilityTransfer, type ResponsibilityTransfersPort } from './ports.js';
import type { Outcome, RequestWork } from './request-work.js';

/** The payer's billing transfers, or a configuration error naming the payer. */
export function transfersFor(work: RequestWork): ResponsibilityTransfersPort {
  const transfers = transfersOf(work.organizations());
  if (transfers) return transfers;
  const payer = work.payer().accountId;
  throw new ConnectorError('CONFIG_INVALID', `request ${work.id}: the Organizations adapter of payer ${payer} offers no billing transfers`, { where: { payer } });
}

/** Who the transfer is for, as the messages name it. */
const who = (order: BillingTransferOrder): string => (order.target.type === 'ACCOUNT' ? `management account ${order.target.id}` : `the management account of ${order.target.id}`);

function isSource(t: ResponsibilityTransfer, order: BillingTransferOrder): boolean {
  return order.target.type === 'ACCOUNT' ? t.sourceAccountId === order.target.id : (t.sourceEmail ?? '').toLowerCase() === order.target.id.toLowerCase();
}

/** A transfer still in play: waiting for the customer, or accepted and not ended. */
function live(t: ResponsibilityTransfer, now: Date): boolean {
  return t.status === 'REQUESTED' || (t.status === 'ACCEPTED' && (t.endAt === undefined || Date.parse(t.endAt) > now.getTime()));
}

export function transferNote(order: BillingTransferOrder, payerId: string, transferId: string): string {
  return (
    `The customer's AWS organization (${who(order)}) has been invited to transfer its bill to payer ${payerId} from ${order.startMonth} (transfer ${transferId}). ` +
    "The management account must accept the invitation in its console (AWS Billing and Cost Management > Billing transfer); the order completes once it is accepted."
  );
}

/**
 * AWS's refusals the reseller can act on, as the inquiry's sentence: a member
 * account (not a management account), the payer itself, an unknown target.
 */
function inviteRefusal(error: unknown, order: BillingTransferOrder): string | undefined {
  if (!(error instanceof ConnectorError) || error.code !== 'AWS_CONSTRAINT') return undefined;
  switch (error.where.value) {
    case 'ALREADY_IN_AN_ORGANIZATION':
      return `${order.target.id} is a member account of an AWS organization, not its management account: order billing-transfer with the management account's id, or order this account as transfer (it then leaves its organization and joins the payer's)`;
    case 'SOURCE_AND_TARGET_CANNOT_MATCH':
      return `${order.target.id} is the payer itself: a billing transfer comes from another organization's management account`;
    case 'INVALID_PARTY_TYPE_TARGET':
    case 'INVALID_EMAIL_ADDRESS_TARGET':
    case 'InvalidInputException':
      return `AWS cannot invite ${order.target.id} to transfer its bill: check the management account's id or e-mail`;
    default:
      return undefined;
  }
}

const param = (order: BillingTransferOrder): string => (order.target.type === 'ACCOUNT' ? PARAM.awsAccountId : PARAM.accountEmail);

export async function purchaseBillingTransfer(work: RequestWork, order: PurchaseOrder): Promise<Outcome> {
  const bt = order.billingTransfer;
  if (!bt) throw new ConnectorError('INTERNAL', `request ${work.id}: a billing-transfer order without its target`);
  const transfers = transfersFor(work);
  const payerId = work.payer().accountId;

  let transferId = work.param(PARAM.transferId);
  const handshakeId = work.param(PARAM.handshakeId);
  if (transferId === '' && handshakeId !== '') {
    // The invitation was saved but AWS's answer named no transfer: find it by its handshake.
    transferId = (await transfers.listInboundTransfers(work.signal)).find((t) => t.handshakeId === handshakeId)?.id ?? '';
  }
  if (transferId !== '') return follow(work, transfers, bt, transferId);

  return work.deps.cycle.locks.with(`billing-transfer:${payerId}:${bt.target.id.toLowerCase()}`, async () => {
    if (bt.target.type === 'ACCOUNT' && (await work.organizations().describeAccount(bt.target.id, work.signal))) {
      return work.inquire([{ param: PARAM.awsAccountId, value: bt.target.id, message: "this account is already in the payer's organization: order it as import" }], 'check-account');
    }
    // A transfer AWS already has for this source (a pass whose save was lost): adopt it, never invite twice.
    const existing = (await transfers.listInboundTransfers(work.signal)).find((t) => isSource(t, bt) && live(t, work.now));
    let adopted = existing;
    let invitedHandshake: string | undefined;
    if (!existing) {
      try {
        const invited = await transfers.inviteToTransferBilling({ target: bt.target, startAt: monthStart(bt.startMonth), sourceName: bt.sourceName }, work.signal);
        invitedHandshake = invited.handshakeId;
        adopted = invited.transferId ? undefined : (await transfers.listInboundTransfers(work.signal)).find((t) => t.handshakeId === invited.handshakeId);
        transferId = invited.transferId ?? adopted?.id ?? '';
      } catch (error) {
        const refusal = inviteRefusal(error, bt);
        if (refusal) return work.inquire([{ param: param(bt), value: bt.target.id, message: refusal }], 'invite-transfer');
        throw error;
      }
    } else transferId = existing.id;
    const savedHandshake = invitedHandshake ?? existing?.handshakeId ?? '';
    await work.save({ [PARAM.handshakeId]: savedHandshake, [PARAM.transferId]: transferId, [PARAM.payerAccountId]: payerId }, work.clearedErrors());
    if (transferId === '') return { kind: 'pending', step: 'invite-transfer', message: `invited ${who(bt)} (${savedHandshake}); AWS has not listed the transfer yet` };
    const how = existing ? `found transfer ${transferId} already requested from ${who(bt)}` : `invited ${who(bt)} to transfer its bill from ${bt.startMonth} (${transferId})`;
    return follow(work, transfers, bt, transferId, how);
  });
}

/** Reads the saved transfer and moves the request: wait (with the customer's manual step), approve or fail. */
async function follow(work: RequestWork, transfers: ResponsibilityTransfersPort, bt: BillingTransferOrder, transferId: string, how?: string): Promise<Outcome> {
  const payerId = work.payer().accountId;
  const transfer = await transfers.describeTransfer(transferId, work.signal);
  if (!transfer) {
    throw new ConnectorError('AWS_NOT_FOUND', `request ${work.id}: payer ${payerId} has no billing transfer ${transferId} (parameter ${PARAM.transferId})`, { where: { setting: PARAM.transferId, value: transferId, payer: payerId } });
  }
  const next = transferOutcome(transfer.status);
  if (next.kind === 'wait') {
    if (!work.hasManualAction('accept-transfer')) {
      await work.noteOnce(transferNote(bt, payerId, transferId));
      work.manualAction({ kind: 'accept-transfer', accountId: transfer.sourceAccountId ?? bt.target.id, detail: `the customer's management account ${transfer.sourceAccountId ?? bt.target.id} must accept billing transfer ${transferId} in its AWS console` });
    }
    return { kind: 'pending', step: 'wait-transfer', message: `${how ?? `transfer ${transferId}`}: waiting for the customer to accept (${transfer.status})` };
  }
  if (next.kind === 'ended') return work.fail(`${next.message} (${who(bt)}, transfer ${transferId})`, 'wait-transfer');
  work.closeManualAction('accept-transfer', 'transfer accepted');
  const source = transfer.sourceAccountId ?? bt.target.id;
  return work.approve(
    { [PARAM.awsAccountId]: source, [PARAM.transferId]: transferId, [PARAM.payerAccountId]: payerId },
    'approve',
    `billing transfer ${transferId} accepted: payer ${payerId} pays the bill of organization ${source} from ${transfer.startAt?.slice(0, 7) ?? bt.startMonth}`,
  );
}
