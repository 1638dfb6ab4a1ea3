/**
 * Purchase (FULFILLMENT.md "Purchase"): validate, then `new` (create or adopt an
 * account), `transfer` (invite one from another organization) or `import` (an
 * account already in this payer's organization); place it; approve.
 */
import { ConnectorError } from '../../domain/errors.js';
import { accountId as checkedAccountId } from '../../domain/ids.js';
import { createFailure, handshakeOutcome } from '../../domain/orders/aws-outcomes.js';
import { checkPurchase, PARAM, type PurchaseOrder } from '../../domain/orders/order-params.js';
import { purchaseBillingTransfer } from './billing-transfer.flow.js';
import { placeAccount, supportLevelAction } from './place-account.js';
import type { CreateAccountStatus } from './ports.js';
import type { Outcome, RequestWork } from './request-work.js';

export async function purchase(work: RequestWork): Promise<Outcome> {
  const payer = work.payer();
  const checked = checkPurchase((id) => work.param(id), work.customerName, { model: payer.accountModel, providerDomains: payer.providerDomains }, startCheckedOn(work));
  if (!checked.ok) return work.inquire(checked.problems, 'validate');
  const { order } = checked;
  switch (order.accountType) {
    case 'new':
      return purchaseNew(work, order);
    case 'transfer':
      return purchaseTransfer(work, order);
    case 'import':
      return purchaseImport(work, order);
    case 'billing-transfer':
      return purchaseBillingTransfer(work, order);
  }
}

/**
 * The day `transfer_start` is checked against: today until a billing transfer was
 * invited; after that the saved transfer is followed whatever month it is now
 * (a start month that has since begun is no reason to hand the order back).
 */
function startCheckedOn(work: RequestWork): Date | undefined {
  return work.param(PARAM.transferId) !== '' || work.param(PARAM.handshakeId) !== '' ? undefined : work.now;
}

/** Places the account, records the support-level action when needed, saves the ids and approves. */
async function finish(work: RequestWork, order: PurchaseOrder, accountId: string, how: string): Promise<Outcome> {
  const ou = await placeAccount(work, accountId);
  const action = supportLevelAction(work, accountId, order.supportLevel);
  const message = `${how}; account ${accountId} in ${ou}${action ? `; manual action: ${action}` : ''}`;
  return work.approve({ [PARAM.awsAccountId]: accountId, [PARAM.payerAccountId]: work.payer().accountId }, 'approve', message);
}

async function purchaseNew(work: RequestWork, order: PurchaseOrder): Promise<Outcome> {
  const email = order.email ?? '';
  const orgs = work.organizations();
  const savedAccount = work.param(PARAM.awsAccountId);
  // A pass that saved the account id and then stopped before approving: finish it
  // (the id comes back from the platform: 12 digits before it goes into an AWS call).
  if (savedAccount !== '' && work.param(PARAM.createAccountStatusId) !== '') {
    const saved = checkedAccountId(savedAccount, { where: `request ${work.id}: parameter ${PARAM.awsAccountId}`, code: 'CONFIG_INVALID', location: { setting: PARAM.awsAccountId } });
    return finish(work, order, saved, 'account created earlier');
  }

  const statusId = work.param(PARAM.createAccountStatusId);
  if (statusId !== '') {
    const status = await orgs.describeCreateAccountStatus(statusId, work.signal);
    if (status.state === 'IN_PROGRESS') return { kind: 'pending', step: 'wait-create-account', message: `AWS is creating the account (${statusId})` };
    if (status.state === 'SUCCEEDED' && status.accountId) {
      await work.save({ [PARAM.awsAccountId]: status.accountId });
      return finish(work, order, status.accountId, `account created (${statusId})`);
    }
    const failure = createFailure(status.failureReason);
    if (!failure.retry && status.failureReason === 'EMAIL_ALREADY_EXISTS') {
      // The e-mail may belong to an account of this very organization (an earlier attempt): adopt it;
      // or to a creation of ours AWS has not finished: wait for it rather than fail the order.
      if (!(await work.accountByEmail(email)) && !(await sameNameInProgress(work, order))) return work.fail(failure.message, 'create-account');
    } else if (!failure.retry) {
      return work.fail(failure.message, 'create-account');
    }
  }

  const key = `${work.payer().accountId}:${email.toLowerCase()}`;
  return work.deps.cycle.locks.with(`email:${key}`, async () => {
    if (work.deps.cycle.creating.has(key)) {
      return { kind: 'pending', step: 'wait-same-email', message: `another request is creating the account of ${email}; this one waits for it` };
    }
    const existing = await work.accountByEmail(email);
    if (existing) {
      await work.save({ [PARAM.awsAccountId]: existing.id, [PARAM.payerAccountId]: work.payer().accountId });
      return finish(work, order, existing.id, `adopted account ${existing.id} of ${email} (already in the organization)`);
    }
    const pending = await sameNameInProgress(work, order);
    if (pending) {
      // A creation of this name that no saved id points at: most likely ours, from a pass whose save was lost.
      return { kind: 'pending', step: 'wait-in-progress-creation', message: `AWS is still creating an account named ${JSON.stringify(order.name)} (${pending.id}); waiting for it before creating another` };
    }
    work.deps.cycle.creating.add(key);
    const created = await orgs.createAccount({ email, name: order.name ?? '' }, work.signal);
    await work.save({ [PARAM.createAccountStatusId]: created.id, [PARAM.payerAccountId]: work.payer().accountId }, work.clearedErrors());
    return { kind: 'pending', step: 'create-account', message: `asked AWS to create the account of ${email} (${created.id})` };
  });
}

/** A creation still IN_PROGRESS under the name this order asks for, if any. */
async function sameNameInProgress(work: RequestWork, order: PurchaseOrder): Promise<CreateAccountStatus | undefined> {
  return (await work.creationsInProgress()).find((c) => c.accountName === order.name);
}

/**
 * AWS's refusals of an invitation that the customer can fix (a wrong id, an
 * account still in another organization), as the sentence to hand back; other
 * refusals (limits of the payer's organization) stay errors for the operator.
 */
function inviteRefusal(error: unknown, accountId: string): string | undefined {
  if (!(error instanceof ConnectorError) || error.code !== 'AWS_CONSTRAINT') return undefined;
  switch (error.where.value) {
    case 'ALREADY_IN_AN_ORGANIZATION':
      return `account ${accountId} belongs to another AWS organization: its owner must leave that organization first (AWS console > Organizations), then resubmit`;
    case 'INVALID_PARTY_TYPE_TARGET':
    case 'InvalidInputException':
      return `AWS cannot invite account ${accountId}: check the account id`;
    default:
      return undefined;
  }
}

function invitationNote(accountId: string, payerId: string): string {
  return (
    `AWS account ${accountId} has been invited to join the organization of payer ${payerId}. ` +
    "The account's owner must accept the invitation in the AWS console (AWS Organizations > Invitations); " +
    'the order completes once it is accepted.'
  );
}

async function purchaseTransfer(work: RequestWork, order: PurchaseOrder): Promise<Outcome> {
  const accountId = order.accountId ?? '';
  const payerId = work.payer().accountId;
  const orgs = work.organizations();
  const handshakeId = work.param(PARAM.handshakeId);
  if (handshakeId !== '') {
    const handshake = await orgs.describeHandshake(handshakeId, work.signal);
    const next = handshakeOutcome(handshake.state);
    if (next.kind === 'wait') return { kind: 'pending', step: 'wait-handshake', message: `waiting for the owner of ${accountId} to accept invitation ${handshakeId} (${handshake.state})` };
    if (next.kind === 'ended') return work.fail(`${next.message} (account ${accountId}, invitation ${handshakeId})`, 'wait-handshake');
    work.closeManualAction('accept-invitation', 'invitation accepted');
    return finish(work, order, accountId, `invitation ${handshakeId} accepted`);
  }

  return work.deps.cycle.locks.with(`account:${payerId}:${accountId}`, async () => {
    const member = await orgs.describeAccount(accountId, work.signal);
    if (member) {
      return work.inquire([{ param: PARAM.awsAccountId, value: accountId, message: 'this account is already in the organization: order it as import' }], 'check-account');
    }
    // An invitation already open for this account (a pass whose save was lost): adopt it, never send a second.
    const invitations = await work.openInvitations();
    const open = invitations.get(accountId);
    let handshake = open;
    if (!handshake) {
      try {
        handshake = await orgs.inviteAccount(accountId, work.signal);
      } catch (error) {
        const refusal = inviteRefusal(error, accountId);
        if (refusal) return work.inquire([{ param: PARAM.awsAccountId, value: accountId, message: refusal }], 'invite');
        throw error;
      }
    }
    invitations.set(accountId, handshake);
    await work.save({ [PARAM.handshakeId]: handshake.id, [PARAM.payerAccountId]: payerId }, work.clearedErrors());
    await work.noteOnce(invitationNote(accountId, payerId));
    work.manualAction({ kind: 'accept-invitation', accountId, detail: `the owner of account ${accountId} must accept invitation ${handshake.id} in the AWS console` });
    const how = open ? `found invitation ${handshake.id} already sent to account ${accountId}` : `invited account ${accountId} (${handshake.id})`;
    return { kind: 'pending', step: 'invite', message: `${how}; its owner must accept in the AWS console` };
  });
}

async function purchaseImport(work: RequestWork, order: PurchaseOrder): Promise<Outcome> {
  const accountId = order.accountId ?? '';
  const member = await work.organizations().describeAccount(accountId, work.signal);
  if (!member) {
    return work.inquire([{ param: PARAM.awsAccountId, value: accountId, message: 'this account is not in the organization: order it as transfer' }], 'check-account');
  }
  return finish(work, order, accountId, `imported account ${accountId} (${member.state})`);
}
