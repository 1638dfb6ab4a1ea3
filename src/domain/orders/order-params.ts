/**
 * The ordering parameters of an AWS subscription (FULFILLMENT.md "Product
 * parameters"), as a customer or reseller typed them: untrusted text in, checked
 * values or problems naming the parameter out. Pure: no I/O.
 */
import { isAccountId as isTwelveDigits } from '../ids.js';
import { DEFAULT_ORDERED_PLAN } from '../support-lines.js';
import { isSupportPlan, SUPPORT_PLANS, type SupportPlan } from '../support-fee.js';
import { emailDomainProblem, type AccountModelRules } from './account-model.js';

/** Parameter ids: part of the product's contract. */
export const PARAM = {
  accountType: 'account_type',
  accountEmail: 'account_email',
  accountName: 'account_name',
  awsAccountId: 'aws_account_id',
  supportLevel: 'support_level',
  createAccountStatusId: 'create_account_status_id',
  handshakeId: 'handshake_id',
  transferId: 'transfer_id',
  transferStart: 'transfer_start',
  accountClosedAt: 'account_closed_at',
  payerAccountId: 'payer_account_id',
} as const;

export const ACCOUNT_TYPES = ['new', 'transfer', 'import', 'billing-transfer'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

/** A bad value, to be set as `value_error` on `param`. */
export interface ParamProblem {
  param: string;
  value: string;
  /** A sentence a reseller understands. */
  message: string;
}

export interface PurchaseOrder {
  accountType: AccountType;
  /** Trimmed; lower-cased domain. Only for `new`. */
  email?: string;
  /** For `new`: the given name, else the customer's company name. */
  name?: string;
  /** For `transfer` and `import`; for `billing-transfer`, the customer's management account when given by id. */
  accountId?: string;
  supportLevel: SupportPlan;
  /** For `billing-transfer`: who is invited, the first transferred month and the transfer's `SourceName`. */
  billingTransfer?: BillingTransferOrder;
}

/** A `billing-transfer` purchase: the customer's management account (id or e-mail), from which month, under which name. */
export interface BillingTransferOrder {
  target: { type: 'ACCOUNT' | 'EMAIL'; id: string };
  /** `YYYY-MM`: the first month the payer pays the customer's bill (UTC). */
  startMonth: string;
  /** The customer's name in printable ASCII (the invitation's `SourceName`). */
  sourceName: string;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** `YYYY-MM` of the month after `now` (UTC). */
export function nextMonth(now: Date): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return d.toISOString().slice(0, 7);
}

/** The first instant (UTC) of a `YYYY-MM` month. */
export function monthStart(month: string): Date {
  return new Date(`${month}-01T00:00:00.000Z`);
}

/**
 * `transfer_start`: '' → the month after `now`; else a `YYYY-MM` no earlier than
 * the month after `now` (AWS starts a transfer on the first day of a month, and
 * this month has begun).
 */
export function checkTransferStart(value: string, now: Date): { month?: string; problem?: ParamProblem } {
  const next = nextMonth(now);
  if (value === '') return { month: next };
  if (!MONTH.test(value)) return { problem: { param: PARAM.transferStart, value, message: `${JSON.stringify(value)} is not a month: give it as YYYY-MM (for example ${next})` } };
  if (value < next) return { problem: { param: PARAM.transferStart, value, message: `${value} has already begun or is past: a billing transfer starts on the first day of a later month, ${next} at the earliest` } };
  return { month: value };
}

/**
 * A practical address check: one @, a local part of allowed characters, a domain
 * of dot-separated labels ending in a 2+ letter TLD. AWS itself refuses more
 * (INVALID_EMAIL); this catches typos before an AWS call is made.
 */
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
/** AWS's limit for an account name (1–50 characters). */
const MAX_ACCOUNT_NAME = 50;
/** AWS's limits for a root e-mail (CreateAccount: 6–64 characters). */
const MAX_EMAIL = 64;
/** CreateAccount takes printable ASCII only in AccountName. */
const ACCOUNT_NAME = /^[\x20-\x7E]+$/;

/**
 * A company name as an AWS account name: accents dropped (Müller → Muller), other
 * characters AWS refuses replaced by '-', runs of spaces collapsed, cut to 50.
 */
export function accountNameFrom(company: string): string {
  const ascii = company
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7E]/g, '-')
    .replace(/\s+/g, ' ')
    .trim();
  return ascii.slice(0, MAX_ACCOUNT_NAME).trim();
}

/** Exactly 12 digits: the one check of domain/ids.ts. */
export function isAccountId(value: string): boolean {
  return isTwelveDigits(value);
}

/** Value of a parameter, trimmed; '' when absent. */
export type ParamLookup = (id: string) => string;

export function checkAccountId(value: string, param: string = PARAM.awsAccountId): ParamProblem | undefined {
  if (value === '') return { param, value, message: 'the AWS account id is required (12 digits)' };
  if (!isAccountId(value)) return { param, value, message: `${JSON.stringify(value)} is not an AWS account id: it must be exactly 12 digits` };
  return undefined;
}

export function checkSupportLevel(value: string): { plan?: SupportPlan; problem?: ParamProblem } {
  if (value === '') return { plan: DEFAULT_ORDERED_PLAN };
  const lower = value.toLowerCase();
  if (isSupportPlan(lower)) return { plan: lower };
  return {
    problem: {
      param: PARAM.supportLevel,
      value,
      message: `${JSON.stringify(value)} is not a support level; choose one of ${SUPPORT_PLANS.join(', ')}`,
    },
  };
}

export function checkEmail(value: string, rules?: AccountModelRules): { email?: string; problem?: ParamProblem } {
  if (value === '') return { problem: { param: PARAM.accountEmail, value, message: 'the root e-mail of the new AWS account is required' } };
  if (!EMAIL.test(value)) return { problem: { param: PARAM.accountEmail, value, message: `${JSON.stringify(value)} is not an e-mail address` } };
  if (value.length > MAX_EMAIL) return { problem: { param: PARAM.accountEmail, value, message: `the e-mail is ${value.length} characters; AWS allows at most ${MAX_EMAIL} for an account's root e-mail` } };
  const at = value.lastIndexOf('@');
  const email = `${value.slice(0, at)}@${value.slice(at + 1).toLowerCase()}`;
  const domainProblem = rules === undefined ? undefined : emailDomainProblem(email, rules);
  if (domainProblem !== undefined) return { problem: { param: PARAM.accountEmail, value, message: domainProblem } };
  return { email };
}

/**
 * Checks a purchase's ordering parameters. Every problem is returned at once, so
 * the reseller fixes them in one round.
 */
export function checkPurchase(
  param: ParamLookup,
  customerName: string,
  rules?: AccountModelRules,
  /** Today, for `transfer_start` (only `billing-transfer` needs it); undefined: a month already invited, not checked against today. */
  now?: Date,
): { ok: true; order: PurchaseOrder } | { ok: false; problems: ParamProblem[] } {
  const problems: ParamProblem[] = [];
  const typeText = param(PARAM.accountType).toLowerCase() || 'new';
  const accountType = (ACCOUNT_TYPES as readonly string[]).includes(typeText) ? (typeText as AccountType) : undefined;
  if (accountType === undefined) {
    problems.push({ param: PARAM.accountType, value: param(PARAM.accountType), message: `${JSON.stringify(param(PARAM.accountType))} is not an account type; choose new, transfer, import or billing-transfer` });
  }
  const support = checkSupportLevel(param(PARAM.supportLevel));
  if (support.problem) problems.push(support.problem);

  const order: Partial<PurchaseOrder> = { supportLevel: support.plan };
  if (accountType === 'new') {
    const email = checkEmail(param(PARAM.accountEmail), rules);
    if (email.problem) problems.push(email.problem);
    order.email = email.email;
    const given = param(PARAM.accountName);
    const name = given || accountNameFrom(customerName);
    if (name === '') problems.push({ param: PARAM.accountName, value: '', message: 'the account name is required (the customer has no company name to use)' });
    else if (given !== '' && given.length > MAX_ACCOUNT_NAME) problems.push({ param: PARAM.accountName, value: given, message: `the account name is ${given.length} characters; AWS allows at most ${MAX_ACCOUNT_NAME}` });
    else if (given !== '' && !ACCOUNT_NAME.test(given)) problems.push({ param: PARAM.accountName, value: given, message: 'AWS accepts only plain ASCII letters, digits, spaces and punctuation in an account name (no accents)' });
    order.name = name;
  } else if (accountType === 'billing-transfer') {
    const id = param(PARAM.awsAccountId);
    const given = param(PARAM.accountEmail);
    let target: BillingTransferOrder['target'] | undefined;
    if (id !== '') {
      const problem = checkAccountId(id);
      if (problem) problems.push(problem);
      else target = { type: 'ACCOUNT', id };
      order.accountId = id;
    } else if (given !== '') {
      // The customer's own management account: the payer's account model does not apply to it.
      const email = checkEmail(given);
      if (email.problem) problems.push(email.problem);
      else if (email.email) target = { type: 'EMAIL', id: email.email };
    } else {
      problems.push({ param: PARAM.awsAccountId, value: '', message: "the customer's management account id (12 digits) is required, or its root e-mail in account_email" });
    }
    const start = now === undefined ? { month: param(PARAM.transferStart) || 'saved' } : checkTransferStart(param(PARAM.transferStart), now);
    if (start.problem) problems.push(start.problem);
    const sourceName = accountNameFrom(param(PARAM.accountName) || customerName);
    if (sourceName === '') problems.push({ param: PARAM.accountName, value: param(PARAM.accountName), message: 'a name for the billing transfer is required (the customer has no company name to use)' });
    if (target && start.month && sourceName !== '') order.billingTransfer = { target, startMonth: start.month, sourceName };
  } else if (accountType !== undefined) {
    const id = param(PARAM.awsAccountId);
    const problem = checkAccountId(id);
    if (problem) problems.push(problem);
    order.accountId = id;
  }
  if (problems.length > 0 || accountType === undefined || order.supportLevel === undefined) return { ok: false, problems };
  return { ok: true, order: { ...order, accountType, supportLevel: order.supportLevel } };
}

/** One line for the request's history and the inquiry: every problem, named. */
export function describeProblems(problems: ParamProblem[]): string {
  return problems.map((p) => `${p.param}: ${p.message}`).join('; ');
}
