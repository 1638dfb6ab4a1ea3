/**
 * The audit of one payer organization against the reseller's rules (issue 5,
 * FULFILLMENT.md "Account models and support plans"). Pure: the facts in, the
 * findings out; each finding names its accounts and says what to do.
 */
import { emailDomainProblem, type AccountModel } from './orders/account-model.js';
import { daysBetween } from './orders/countdown.js';
import { UNDETECTABLE_CAUSES, type UndetectableCause } from './support-detection.js';

export type Severity = 'error' | 'warning' | 'info';

export type AuditRule =
  | 'payer-on-basic'
  | 'member-plan-not-allowed'
  | 'delivery-model-mixed'
  | 'email-domain'
  | 'usage-without-subscription'
  | 'subscription-account-left'
  | 'closed-account-usage'
  | 'invitation-stale'
  | 'plan-mismatch'
  | 'plan-undetectable'
  | 'transfers-unlisted'
  | 'transfer-stale'
  | 'transfer-ended'
  | 'transfer-without-subscription'
  | 'subscription-without-transfer';

export interface Finding {
  rule: AuditRule;
  severity: Severity;
  accounts: string[];
  message: string;
  /** What a person should do. */
  action: string;
  /** For `plan-undetectable`: why these accounts' plans could not be told (one finding per cause). */
  cause?: UndetectableCause;
}

/** A plan as detection reports it (`enterprise-class` covers Enterprise, On-Ramp and the new paid plans). */
export type SeenPlan = 'basic' | 'developer' | 'business' | 'enterprise-class' | 'basic-or-developer' | 'unknown';

export interface AuditMember {
  accountId: string;
  /** '' for an account known only from the CUR. */
  email: string;
  /** `Account.State`; absent when the account is not (or no longer) in the organization. */
  state?: string;
  /** From detection (DescribeSeverityLevels); undefined when not checked. */
  detectedPlan?: SeenPlan;
  /** The plan AWS billed in the month's CUR support rows, if any. */
  billedPlan?: string;
  /** Why detection could not tell the plan (`unknown`, `basic-or-developer`); undefined when it could or was not asked. */
  undetectable?: UndetectableCause;
}

export interface AuditSubscription {
  assetId: string;
  accountId: string;
  /** Ordered support level. */
  supportLevel: string;
  status: string;
  deliveryModel?: string;
  /** `YYYY-MM-DD` of the closure, for cancelled ones. */
  closedAt?: string;
  /** The customer's name (the platform asset's customer, or the assets file's `customer`), where known. */
  customer?: string;
  /** The order's `account_type`; `billing-transfer`: `accountId` is a transferred organization's management account, not a member. */
  accountType?: string;
}

/**
 * An inbound billing transfer of the payer (Organizations ListInboundResponsibilityTransfers,
 * issue 13): AWS's `Status` is REQUESTED, ACCEPTED, DECLINED, EXPIRED, CANCELED or WITHDRAWN.
 */
export interface AuditTransfer {
  /** `rt-...` */
  id: string;
  status: string;
  /** The source organization's management account (the bill-source account). */
  sourceManagementAccountId: string;
  /** ISO 8601: when the payer starts paying the source organization's bill. */
  startTimestamp: string;
  /** ISO 8601: when the invitation was sent, where AWS says. */
  requestedAt?: string;
  /** ISO 8601: the end of the last transferred month, once withdrawn. */
  endTimestamp?: string;
}

/** The `account_type` of a billing-transfer subscription. */
export const BILLING_TRANSFER_ACCOUNT_TYPE = 'billing-transfer';

export interface AuditInput {
  payerAccountId: string;
  /** The payer's own plan. */
  payerPlan?: string;
  deliveryModel?: string;
  accountModel?: AccountModel;
  providerDomains: string[];
  members: AuditMember[];
  subscriptions: AuditSubscription[];
  /** CUR usage (USD, exact text) by account for the audited month. */
  usageUsd: Map<string, string>;
  /** Open invitations: account and the day sent (`YYYY-MM-DD`). */
  invitations: Array<{ accountId: string; sentOn: string }>;
  /** `YYYY-MM-DD` today (the clock is passed in). */
  today: string;
  /** Days after which an unaccepted invitation is stale (default 7). */
  inviteStaleDays?: number;
  /** The read-only role assumed in members (`payers[].supportRole.name`), named in what to do. Default `PartnerReadOnlySupportRole`. */
  supportRoleName?: string;
  /** The payer's inbound billing transfers; absent: not listed, and no transfer rule runs. */
  transfers?: AuditTransfer[];
  /** Why the transfers could not be listed (AWS's refusal), when they could not: reported, never a silent "no transfers". */
  transfersUnlisted?: string;
}

const ENTERPRISE_CLASS = new Set(['enterprise', 'enterprise-on-ramp', 'business-plus', 'unified-operations', 'enterprise-class']);
const classOf = (plan: string): string => (ENTERPRISE_CLASS.has(plan) ? 'enterprise-class' : plan);

/** The member plans a payer's plan allows (FULFILLMENT.md), or undefined when any is allowed. */
function allowedMemberPlans(payerPlan: string): Set<string> | undefined {
  if (payerPlan === 'business') return new Set(['basic', 'developer', 'business', 'basic-or-developer']);
  if (ENTERPRISE_CLASS.has(payerPlan)) return new Set(['enterprise-class']);
  return undefined;
}

function memberPlanFindings(input: AuditInput): Finding[] {
  const findings: Finding[] = [];
  if (input.payerPlan === 'basic') {
    findings.push({
      rule: 'payer-on-basic',
      severity: 'warning',
      accounts: [input.payerAccountId],
      message: `payer ${input.payerAccountId} is on Basic support: members are billed at public list minimums and the payer gets no solution-provider discount`,
      action: 'move the payer to Business or Enterprise support',
    });
  }
  const allowed = input.payerPlan === undefined ? undefined : allowedMemberPlans(input.payerPlan);
  if (allowed) {
    const wrong = input.members.filter((m) => m.detectedPlan !== undefined && m.detectedPlan !== 'unknown' && !allowed.has(classOf(m.detectedPlan)));
    if (wrong.length > 0) {
      findings.push({
        rule: 'member-plan-not-allowed',
        severity: 'error',
        accounts: wrong.map((m) => m.accountId),
        message: `a payer on ${input.payerPlan} support allows member plans ${[...allowed].filter((p) => p !== 'basic-or-developer').join(', ')}; these members are on ${[...new Set(wrong.map((m) => m.detectedPlan))].join(', ')}`,
        action: 'change the members\u2019 support plans in the AWS console, or move them to a payer whose plan allows theirs',
      });
    }
  }
  return findings;
}

function consistencyFindings(input: AuditInput): Finding[] {
  const findings: Finding[] = [];
  const models = new Map<string, string[]>();
  for (const s of input.subscriptions) {
    if (s.deliveryModel === undefined || s.deliveryModel === '') continue;
    models.set(s.deliveryModel, [...(models.get(s.deliveryModel) ?? []), s.accountId]);
  }
  const expected = input.deliveryModel;
  const off = expected === undefined ? (models.size > 1 ? [...models.entries()].slice(1) : []) : [...models.entries()].filter(([m]) => m !== expected);
  if (off.length > 0) {
    findings.push({
      rule: 'delivery-model-mixed',
      severity: 'error',
      accounts: off.flatMap(([, accounts]) => accounts),
      message: `support delivery must be the same for every member of payer ${input.payerAccountId}${expected ? ` (${expected})` : ''}; these subscriptions say ${off.map(([m]) => m).join(', ')}`,
      action: 'correct the subscriptions\u2019 delivery model, or move the accounts to a payer of that model',
    });
  }
  if (input.accountModel !== undefined) {
    const rules = { model: input.accountModel, providerDomains: input.providerDomains };
    const broken = input.members.filter((m) => m.accountId !== input.payerAccountId && m.state !== undefined && m.email !== '' && emailDomainProblem(m.email, rules) !== undefined);
    if (broken.length > 0) {
      findings.push({
        rule: 'email-domain',
        severity: 'error',
        accounts: broken.map((m) => m.accountId),
        message: `${broken.length} member e-mail(s) break the ${input.accountModel.toUpperCase()} account model: ${emailDomainProblem(broken[0]?.email ?? '', rules) ?? ''}`,
        action: 'change the accounts\u2019 root e-mail in the AWS console to a domain the model allows',
      });
    }
  }
  return findings;
}

function accountFindings(input: AuditInput): Finding[] {
  const findings: Finding[] = [];
  const subscribed = new Set(input.subscriptions.filter((s) => s.status !== 'terminated').map((s) => s.accountId));
  const members = new Map(input.members.map((m) => [m.accountId, m]));
  const unbilled = [...input.usageUsd.entries()].filter(([account, usd]) => account !== input.payerAccountId && !subscribed.has(account) && !input.subscriptions.some((s) => s.accountId === account) && usd !== '0');
  if (unbilled.length > 0) {
    findings.push({
      rule: 'usage-without-subscription',
      severity: 'error',
      accounts: unbilled.map(([a]) => a),
      message: `${unbilled.length} account(s) have CUR usage and no subscription: ${unbilled.map(([a, usd]) => `${a} ${usd} USD`).join(', ')}`,
      action: 'order a subscription for each account (import), or close the account',
    });
  }
  // A billing-transfer subscription names another organization's management account: never a member (transferFindings checks it).
  const left = input.subscriptions.filter(
    (s) => s.status !== 'terminated' && s.accountType !== BILLING_TRANSFER_ACCOUNT_TYPE && (members.get(s.accountId) === undefined || members.get(s.accountId)?.state === undefined),
  );
  if (left.length > 0) {
    findings.push({
      rule: 'subscription-account-left',
      severity: 'error',
      accounts: left.map((s) => s.accountId),
      message: `${left.length} active subscription(s) name an account that is not in the organization: ${left.map((s) => `${s.assetId} (${s.accountId})`).join(', ')}`,
      action: 'cancel the subscription, or invite the account back',
    });
  }
  const closing = input.subscriptions.filter((s) => s.closedAt !== undefined && (input.usageUsd.get(s.accountId) ?? '0') !== '0');
  if (closing.length > 0) {
    findings.push({
      rule: 'closed-account-usage',
      severity: 'info',
      accounts: closing.map((s) => s.accountId),
      message: `closed account(s) still have usage inside their 60-day countdown (expected, billed): ${closing.map((s) => `${s.accountId} ${input.usageUsd.get(s.accountId) ?? '0'} USD`).join(', ')}`,
      action: 'nothing: the countdown bills this last usage',
    });
  }
  return findings;
}

function pendingFindings(input: AuditInput): Finding[] {
  const findings: Finding[] = [];
  const staleDays = input.inviteStaleDays ?? 7;
  const stale = input.invitations.filter((i) => daysBetween(i.sentOn, input.today) >= staleDays);
  if (stale.length > 0) {
    findings.push({
      rule: 'invitation-stale',
      severity: 'warning',
      accounts: stale.map((i) => i.accountId),
      message: `${stale.length} invitation(s) not accepted after ${staleDays} days: ${stale.map((i) => `${i.accountId} (sent ${i.sentOn})`).join(', ')}`,
      action: 'remind the account owners to accept in the AWS console (Organizations > Invitations); invitations expire after 15 days',
    });
  }
  const members = new Map(input.members.map((m) => [m.accountId, m]));
  const mismatched = input.subscriptions.filter((s) => {
    const m = members.get(s.accountId);
    if (!m || s.status === 'terminated') return false;
    const ordered = classOf(s.supportLevel);
    const detected = m.detectedPlan;
    const detectedDiffers = detected !== undefined && detected !== 'unknown' && !(detected === 'basic-or-developer' && (ordered === 'basic' || ordered === 'developer')) && classOf(detected) !== ordered;
    const billedDiffers = m.billedPlan !== undefined && classOf(m.billedPlan) !== ordered;
    return detectedDiffers || billedDiffers;
  });
  if (mismatched.length > 0) {
    findings.push({
      rule: 'plan-mismatch',
      severity: 'warning',
      accounts: mismatched.map((s) => s.accountId),
      message: `ordered, detected and billed plans differ: ${mismatched
        .map((s) => `${s.accountId} ordered ${s.supportLevel}, detected ${members.get(s.accountId)?.detectedPlan ?? '-'}, billed ${members.get(s.accountId)?.billedPlan ?? '-'}`)
        .join('; ')}`,
      action: 'set the plan in the AWS console to what was ordered, or change the order; the connector bills what was ordered',
    });
  }
  return findings;
}

/** Transfer statuses that mean the payer pays, or is about to pay, the source organization's bill (a withdrawn one runs to its end day). */
const LIVE_TRANSFER = new Set(['REQUESTED', 'ACCEPTED', 'WITHDRAWN']);

/**
 * The billing transfers against the subscriptions (issue 13): invitations waiting
 * longer than `inviteStaleDays`, declined or expired ones, an accepted transfer no
 * subscription bills, and a billing-transfer subscription with no transfer.
 */
function transferFindings(input: AuditInput): Finding[] {
  const findings: Finding[] = [];
  if (input.transfersUnlisted !== undefined) {
    findings.push({
      rule: 'transfers-unlisted',
      severity: 'warning',
      accounts: [input.payerAccountId],
      message: `the billing transfers of payer ${input.payerAccountId} could not be listed: ${input.transfersUnlisted}`,
      action: "allow organizations:ListInboundResponsibilityTransfers to the payer's role (README, billing transfer permissions), then audit again",
    });
  }
  const transfers = input.transfers;
  if (transfers === undefined) return findings;
  const staleDays = input.inviteStaleDays ?? 7;
  const day = (iso: string | undefined): string => iso?.slice(0, 10) ?? input.today;
  // An invitation without a date counts from today: never called stale on a guess.
  const stale = transfers.filter((t) => t.status === 'REQUESTED' && daysBetween(day(t.requestedAt), input.today) >= staleDays);
  if (stale.length > 0) {
    findings.push({
      rule: 'transfer-stale',
      severity: 'warning',
      accounts: stale.map((t) => t.sourceManagementAccountId),
      message: `${stale.length} billing transfer invitation(s) not accepted after ${staleDays} days: ${stale.map((t) => `${t.id} to ${t.sourceManagementAccountId} (sent ${day(t.requestedAt)}, start ${t.startTimestamp.slice(0, 10) || "unknown"})`).join(', ')}`,
      action: 'remind the customer to accept in the AWS Billing console (Billing transfer > Inbound invitations) before the start date, or the invitation expires',
    });
  }
  const ended = transfers.filter((t) => t.status === 'DECLINED' || t.status === 'EXPIRED');
  if (ended.length > 0) {
    findings.push({
      rule: 'transfer-ended',
      severity: 'warning',
      accounts: ended.map((t) => t.sourceManagementAccountId),
      message: `${ended.length} billing transfer(s) declined or expired: ${ended.map((t) => `${t.id} to ${t.sourceManagementAccountId} ${t.status}`).join(', ')}`,
      action: 'nothing is billed for these organizations; order the transfer again if the customer still wants it, or close the request',
    });
  }
  const transferSubs = input.subscriptions.filter((s) => s.accountType === BILLING_TRANSFER_ACCOUNT_TYPE && s.status !== 'terminated');
  const subscribed = new Set(transferSubs.map((s) => s.accountId));
  const unbilled = transfers.filter((t) => t.status === 'ACCEPTED' && !subscribed.has(t.sourceManagementAccountId));
  if (unbilled.length > 0) {
    findings.push({
      rule: 'transfer-without-subscription',
      severity: 'error',
      accounts: unbilled.map((t) => t.sourceManagementAccountId),
      message: `${unbilled.length} accepted billing transfer(s) have no billing-transfer subscription: the payer pays these organizations' bills and bills no one: ${unbilled.map((t) => `${t.id} (${t.sourceManagementAccountId})`).join(', ')}`,
      action: 'order a billing-transfer subscription for the organization (aws_account_id = its management account), or withdraw the transfer in the AWS Billing console',
    });
  }
  // A withdrawn transfer stays live through its end day; without one it is taken as still running.
  const isLive = (t: AuditTransfer): boolean => LIVE_TRANSFER.has(t.status) && !(t.status === 'WITHDRAWN' && t.endTimestamp !== undefined && day(t.endTimestamp) < input.today);
  const live = new Set(transfers.filter(isLive).map((t) => t.sourceManagementAccountId));
  const orphans = transferSubs.filter((s) => !live.has(s.accountId));
  if (orphans.length > 0) {
    findings.push({
      rule: 'subscription-without-transfer',
      severity: 'error',
      accounts: orphans.map((s) => s.accountId),
      message: `${orphans.length} billing-transfer subscription(s) have no inbound transfer of the payer: nothing of these organizations reaches the payer's CUR: ${orphans.map((s) => `${s.assetId} (${s.accountId})`).join(', ')}`,
      action: 'invite the organization again (order the transfer), or cancel the subscription',
    });
  }
  return findings;
}

/** Where the role template is and where the README explains it: named in what to do. */
export const SUPPORT_ROLE_TEMPLATE = 'config/cloudformation/partner-read-only-support-role.yaml';
export const SUPPORT_ROLE_README = 'README, "The read-only support role in member accounts"';
/** The AWS managed policy that allows DescribeSeverityLevels (the template attaches it). */
export const SUPPORT_USER_POLICY = 'arn:aws:iam::aws:policy/job-function/SupportUser';

/** Severity, what happened and what to do, for each reason a plan could not be told. */
function undetectableText(cause: UndetectableCause, count: number, input: AuditInput): Pick<Finding, 'severity' | 'message' | 'action'> {
  const role = input.supportRoleName ?? 'PartnerReadOnlySupportRole';
  const payer = input.payerAccountId;
  const n = `${count} account(s)`;
  switch (cause) {
    case 'role-not-assumable':
      return {
        severity: 'warning',
        message: `support plan not detected in ${n}: the payer may not assume ${role} (AccessDenied): the role is missing, does not trust payer ${payer}, or the external id does not match`,
        action: `deploy the role template ${SUPPORT_ROLE_TEMPLATE} in each account with PayerAccountId=${payer} and the external id you gave the customer (${SUPPORT_ROLE_README}); where it is deployed, check that RoleName is ${role} and its ExternalId matches payers[].supportRole.externalId`,
      };
    case 'support-api-denied':
      return {
        severity: 'warning',
        message: `support plan not detected in ${n}: ${role} was assumed but may not call DescribeSeverityLevels (AccessDeniedException)`,
        action: `attach the AWS managed policy SupportUser (${SUPPORT_USER_POLICY}) to ${role} in each account, or redeploy the role template ${SUPPORT_ROLE_TEMPLATE}, which attaches it (${SUPPORT_ROLE_README})`,
      };
    case 'subscription-required':
      return {
        severity: 'info',
        message: `${n} answered SubscriptionRequiredException: the Support API is closed to Basic and Developer plans alike, so the plan is Basic or Developer and the two cannot be told apart`,
        action: 'nothing when Basic or Developer was ordered (a Business or higher order shows as plan-mismatch); audit with --period to compare the CUR’s support rows, where Developer is billed',
      };
    case 'throttled-or-unavailable':
      return {
        severity: 'warning',
        message: `support plan not detected in ${n}: AWS throttled the calls, did not answer in time, or could not be reached`,
        action: 'run the audit again later: the plans detected are kept and only these accounts are asked again; if it persists, lower aws.maxCallsPerSecond or raise aws.requestTimeoutMs',
      };
    case 'unrecognised-codes':
      return {
        severity: 'warning',
        message: `support plan not detected in ${n}: DescribeSeverityLevels returned severity codes that match no known plan (the codes are in the plans’ evidence)`,
        action: 'check the accounts’ plans in the AWS console (Support Center) and report the codes to the connector’s maintainers',
      };
    case 'other':
      return {
        severity: 'warning',
        message: `support plan not detected in ${n}: the detection failed (each account’s error is in the plans’ evidence)`,
        action: 'read each account’s error in the plans’ evidence, correct the cause, and run the audit again',
      };
  }
}

/**
 * Members whose plan detection could not tell, one finding per cause (in the
 * order of `UNDETECTABLE_CAUSES`). A `basic-or-developer` account whose CUR
 * support rows billed Basic or Developer is told apart there, and left out.
 */
function undetectableFindings(input: AuditInput): Finding[] {
  const byCause = new Map<UndetectableCause, string[]>();
  for (const m of input.members) {
    if (m.undetectable === undefined || m.accountId === input.payerAccountId) continue;
    if (m.undetectable === 'subscription-required' && (m.billedPlan === 'basic' || m.billedPlan === 'developer')) continue;
    byCause.set(m.undetectable, [...(byCause.get(m.undetectable) ?? []), m.accountId]);
  }
  return UNDETECTABLE_CAUSES.flatMap((cause) => {
    const accounts = byCause.get(cause);
    if (accounts === undefined) return [];
    return [{ rule: 'plan-undetectable' as const, cause, accounts, ...undetectableText(cause, accounts.length, input) }];
  });
}

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Every finding of one payer, most severe first. */
export function auditPayer(input: AuditInput): Finding[] {
  return [...memberPlanFindings(input), ...consistencyFindings(input), ...accountFindings(input), ...pendingFindings(input), ...transferFindings(input), ...undetectableFindings(input)].sort(
    (a, b) => ORDER[a.severity] - ORDER[b.severity],
  );
}
