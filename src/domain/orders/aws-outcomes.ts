/**
 * What AWS Organizations answers mean for a request (FULFILLMENT.md): create
 * account states and failure reasons, handshake states, account states. Pure.
 */

/** CreateAccount FailureReason → what happens and the sentence a reseller reads. */
export type CreateFailure = { retry: true; message: string } | { retry: false; message: string };

const CREATE_FAILURES: Record<string, string> = {
  EMAIL_ALREADY_EXISTS: 'an AWS account already uses this e-mail',
  ACCOUNT_LIMIT_EXCEEDED: "the payer's organization has reached its AWS account limit; the distributor must ask AWS to raise it",
  INVALID_EMAIL: 'AWS does not accept this e-mail address',
  INVALID_ADDRESS: "AWS does not accept the payer's address for a new account",
  INTERNAL_FAILURE: 'AWS could not create the account (internal failure); order it again',
  MISSING_PAYMENT_INSTRUMENT: 'the payer account has no valid payment method',
  MISSING_BUSINESS_VALIDATION: 'the payer account has not completed AWS business validation',
  PENDING_BUSINESS_VALIDATION: 'the payer account is still in AWS business validation',
  INVALID_IDENTITY_FOR_BUSINESS_VALIDATION: "AWS could not validate the payer's business identity",
  UNKNOWN_BUSINESS_VALIDATION: "AWS could not validate the payer's business identity",
  INVALID_PAYMENT_INSTRUMENT: "the payer account's payment method is not valid",
  FAILED_BUSINESS_VALIDATION: "the payer account failed AWS business validation",
  UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED: 'AWS refused the account: tag policies of the organization do not allow it',
  GOVCLOUD_ACCOUNT_ALREADY_EXISTS: 'a GovCloud account already exists for this e-mail',
};

/** Reasons that are about timing, not the order: create again on the next pass. */
const RETRIED = new Set(['CONCURRENT_ACCOUNT_MODIFICATION']);

export function createFailure(reason: string | undefined): CreateFailure {
  const code = reason ?? 'UNKNOWN';
  if (RETRIED.has(code)) return { retry: true, message: `AWS was busy with another change (${code}); the account will be created again` };
  const sentence = CREATE_FAILURES[code] ?? `AWS could not create the account (${code})`;
  return { retry: false, message: `AWS account creation failed: ${sentence}` };
}

/** Handshake states → what the request does. */
export function handshakeOutcome(state: string): { kind: 'wait' } | { kind: 'accepted' } | { kind: 'ended'; message: string } {
  switch (state) {
    case 'REQUESTED':
    case 'OPEN':
      return { kind: 'wait' };
    case 'ACCEPTED':
      return { kind: 'accepted' };
    case 'DECLINED':
      return { kind: 'ended', message: "the account's owner declined the invitation to join the organization" };
    case 'CANCELED':
      return { kind: 'ended', message: 'the invitation to join the organization was canceled' };
    case 'EXPIRED':
      return { kind: 'ended', message: 'the invitation to join the organization expired before the owner accepted it (15 days)' };
    default:
      return { kind: 'ended', message: `the invitation is in an unknown state ${state}` };
  }
}

/** `Account.State` values that mean the account is closing or closed. Not being in the organization also counts. */
const CLOSED_STATES = new Set(['PENDING_CLOSURE', 'SUSPENDED', 'CLOSED']);

export function isClosedState(state: string | undefined): boolean {
  return state === undefined || CLOSED_STATES.has(state);
}

/** `ResponsibilityTransfer.Status` → what a billing-transfer purchase does. */
export function transferOutcome(status: string): { kind: 'wait' } | { kind: 'accepted' } | { kind: 'ended'; message: string } {
  switch (status) {
    case 'REQUESTED':
      return { kind: 'wait' };
    case 'ACCEPTED':
      return { kind: 'accepted' };
    case 'DECLINED':
      return { kind: 'ended', message: "the customer's management account declined the invitation to transfer its bill" };
    case 'EXPIRED':
      return { kind: 'ended', message: 'the invitation to transfer the bill expired before the customer accepted it' };
    case 'CANCELED':
      return { kind: 'ended', message: 'the invitation to transfer the bill was canceled' };
    case 'WITHDRAWN':
      return { kind: 'ended', message: 'the billing transfer was withdrawn' };
    default:
      return { kind: 'ended', message: `the billing transfer is in an unknown status ${status}` };
  }
}
