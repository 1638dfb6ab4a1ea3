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
  accountClosedAt: 'account_closed_at',
  payerAccountId: 'payer_account_id',
} as const;

export const ACCOUNT_TYPES = ['new', 'transfer', 'import'] as const;
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
  /** For `transfer` and `import`. */
  accountId?: string;
  supportLevel: SupportPlan;
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
): { ok: true; order: PurchaseOrder } | { ok: false; problems: ParamProblem[] } {
  const problems: ParamProblem[] = [];
  const typeText = param(PARAM.accountType).toLowerCase() || 'new';
  const accountType = (ACCOUNT_TYPES as readonly string[]).includes(typeText) ? (typeText as AccountType) : undefined;
  if (accountType === undefined) {
    problems.push({ param: PARAM.accountType, value: param(PARAM.accountType), message: `${JSON.stringify(param(PARAM.accountType))} is not an account type; choose new, transfer or import` });
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
