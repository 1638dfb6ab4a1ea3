/**
 * Gathers the facts of one payer organization and audits them (issue 5): the
 * members (ListAccounts), open invitations, the subscriptions, the month's CUR
 * (usage per account, the plan AWS billed in the support rows) and the plans
 * detected through the Support API. The rules themselves are `auditPayer`.
 */
import type { CurGroup } from '../../domain/cur.js';
import { auditPayer, type AuditMember, type AuditSubscription, type AuditTransfer, type Finding, type SeenPlan } from '../../domain/audit.js';
import { ConnectorError } from '../../domain/errors.js';
import { MoneySum, toExactText } from '../../domain/money.js';
import type { AccountModel } from '../../domain/orders/account-model.js';
import { detectPlans } from '../../domain/support-lines.js';
import type { PlanEvidence } from '../../domain/support-detection.js';
import type { SupportCatalog } from '../../domain/support-fee.js';
import { transfersOf, type OrganizationsPort, type ResponsibilityTransfer } from '../orders/ports.js';
import type { CurAggregate, CurSource, Progress } from '../ports.js';

export interface AuditPayerSettings {
  accountId: string;
  supportPlan?: string;
  deliveryModel?: string;
  accountModel?: AccountModel;
  providerDomains: string[];
  /** The read-only role assumed in members (`payers[].supportRole.name`), named in what to do. */
  supportRoleName?: string;
}

/** A member's detected plan and what it rests on (absent from a stand-in that gives none). */
export interface MemberPlan {
  plan: SeenPlan;
  evidence?: PlanEvidence;
}

export interface AuditOrganizationDeps {
  organizations: OrganizationsPort;
  /** The month's CUR, when a period is audited. */
  cur?: CurSource;
  catalog: SupportCatalog;
  /**
   * Detected plans by account (the Support API, cached per month); absent: not
   * detected. `onDetected` is told each account as its plan is known (progress).
   */
  detect?: (accountIds: string[], signal: AbortSignal, onDetected?: (accountId: string) => void) => Promise<Map<string, MemberPlan>>;
  now: () => Date;
  /**
   * Progress for a person: the CUR scan's own, then `audit payer <id>` in
   * `accounts` (members whose plan is known, of all members), from 0 to the total.
   */
  onProgress?: (progress: Progress) => void;
}

export interface AuditOrganizationInput {
  payer: AuditPayerSettings;
  subscriptions: AuditSubscription[];
  /** `YYYY-MM`: the month whose CUR is compared; absent: no CUR signals. */
  period?: string;
  inviteStaleDays?: number;
  /**
   * The payer's inbound billing transfers (ListInboundResponsibilityTransfers, issue 13),
   * checked against the billing-transfer subscriptions; absent: not listed, no transfer rule runs.
   */
  transfers?: AuditTransfer[];
  signal: AbortSignal;
}

/** A customer's line of the audit: its plans side by side and what the month billed. */
export interface PlanComparison {
  accountId: string;
  /** The subscription's customer name, where known. */
  customer?: string;
  assetId?: string;
  ordered?: string;
  detected?: SeenPlan;
  /** What the detected plan rests on: the severity codes returned, or the error and why. */
  evidence?: PlanEvidence;
  billed?: string;
  /** The month's CUR usage (Σ unblended cost), exact decimal text. */
  usageUsd: string;
}

export interface OrganizationAudit {
  payerAccountId: string;
  period?: string;
  generatedAt: string;
  findings: Finding[];
  plans: PlanComparison[];
  /** Σ `plans[].usageUsd`, exact decimal text (display rounds it). */
  usageTotalUsd: string;
}

/**
 * What the month's CUR says of each account of `payerAccountId`: its usage (exact
 * Σ of unblended cost) and the plan billed in its support rows. Reads the stream
 * once, batch by batch, holding only the sums and the support groups (a few per
 * account), never the whole month; the other payers' groups are skipped.
 */
async function monthSignals(aggregate: CurAggregate, payerAccountId: string, catalog: SupportCatalog): Promise<{ usage: Map<string, MoneySum>; billed: Map<string, string> }> {
  const usage = new Map<string, MoneySum>();
  const support: CurGroup[] = [];
  for await (const batch of aggregate.groups) {
    for (const g of batch) {
      if (g.payerAccountId !== payerAccountId) continue;
      const sum = usage.get(g.accountId) ?? new MoneySum();
      sum.add(g.unblendedUsd);
      usage.set(g.accountId, sum);
      // The groups `detectPlans` reads: the catalog's support product codes.
      if (Object.prototype.hasOwnProperty.call(catalog.productCodes, g.productCode)) support.push(g);
    }
  }
  const billed = new Map<string, string>([...detectPlans(support, catalog)].map(([account, d]) => [account, d.plan]));
  return { usage, billed };
}

/**
 * The payer's inbound billing transfers for the audit, when its Organizations adapter
 * lists them (`transfersOf`; a stand-in without them: none listed, no transfer rule).
 * A transfer's invitation date is its open handshake's `requestedAt`. AWS refusing the
 * listing (AWS_ACCESS_DENIED: a role without the permission) is reported, not fatal:
 * the rest of the audit stands.
 */
async function inboundTransfers(
  organizations: OrganizationsPort,
  invitations: ReadonlyArray<{ id: string; requestedAt?: string }>,
  signal: AbortSignal,
): Promise<{ transfers?: AuditTransfer[]; unlisted?: string }> {
  const port = transfersOf(organizations);
  if (port === undefined) return {};
  let listed: ResponsibilityTransfer[];
  try {
    listed = await port.listInboundTransfers(signal);
  } catch (error) {
    if (error instanceof ConnectorError && error.code === 'AWS_ACCESS_DENIED') return { unlisted: error.message };
    throw error;
  }
  const sentAt = new Map(invitations.flatMap((h) => (h.requestedAt === undefined ? [] : [[h.id, h.requestedAt] as const])));
  return {
    transfers: listed.map((t): AuditTransfer => {
      const requestedAt = t.handshakeId === undefined ? undefined : sentAt.get(t.handshakeId);
      return {
        id: t.id,
        status: t.status,
        // An invitation by e-mail names no account until accepted: the e-mail stands in for it.
        sourceManagementAccountId: t.sourceAccountId ?? t.sourceEmail ?? '',
        startTimestamp: t.startAt ?? '',
        ...(requestedAt === undefined ? {} : { requestedAt }),
        ...(t.endAt === undefined ? {} : { endTimestamp: t.endAt }),
      };
    }),
  };
}

/**
 * Audits one payer's organization. Stops between steps and between accounts
 * once `input.signal` aborts, with `ConnectorError('ABORTED')` saying how far
 * it got (the plans detected so far are kept by the detection's cache).
 */
export async function auditOrganization(deps: AuditOrganizationDeps, input: AuditOrganizationInput): Promise<OrganizationAudit> {
  const { payer, signal } = input;
  const phase = `audit payer ${payer.accountId}`;
  let total = 0;
  const known = new Set<string>();
  const interruptions = new WeakSet<ConnectorError>();
  const interrupted = (cause?: unknown): ConnectorError => {
    const error = new ConnectorError('ABORTED', `the audit of payer ${payer.accountId} was interrupted by a signal after ${known.size}/${total} accounts; run it again to finish (the plans detected are kept)`, {
      where: { payer: payer.accountId },
      ...(cause === undefined ? {} : { cause }),
    });
    interruptions.add(error);
    return error;
  };
  /** Runs one step; once the signal has aborted, whatever the step threw, the audit says it was interrupted. */
  const step = async <T>(work: () => Promise<T>): Promise<T> => {
    if (signal.aborted) throw interrupted();
    try {
      const result = await work();
      if (signal.aborted) throw interrupted();
      return result;
    } catch (error) {
      if (!signal.aborted) throw error;
      throw error instanceof ConnectorError && interruptions.has(error) ? error : interrupted(error);
    }
  };

  const accounts = await step(() => deps.organizations.listAccounts(signal));
  const invitations = await step(() => deps.organizations.listOpenInvitations(signal));
  const listed = input.transfers === undefined ? await step(() => inboundTransfers(deps.organizations, invitations, signal)) : { transfers: input.transfers };
  const members = accounts.map((a) => a.id).filter((id) => id !== payer.accountId);
  total = members.length;
  const report = (): void => deps.onProgress?.({ phase, done: known.size, total, unit: 'accounts' });
  report();

  const { cur } = deps;
  const { period } = input;
  const { usage, billed } =
    cur && period
      ? await step(async () =>
          monthSignals(
            await cur.aggregate({ period, listPrice: 'unblended', granularity: 'service', signal, ...(deps.onProgress ? { onProgress: deps.onProgress } : {}) }),
            payer.accountId,
            deps.catalog,
          ),
        )
      : { usage: new Map<string, MoneySum>(), billed: new Map<string, string>() };
  const memberSet = new Set(members);
  const onDetected = (accountId: string): void => {
    if (!memberSet.has(accountId) || known.has(accountId)) return;
    known.add(accountId);
    report();
  };
  const { detect } = deps;
  const detected = detect ? await step(() => detect(members, signal, onDetected)) : new Map<string, MemberPlan>();
  // Every member is accounted for now (detected, or not asked): the progress ends at its total.
  if (known.size < total) {
    for (const id of members) known.add(id);
    report();
  }

  const auditMembers: AuditMember[] = accounts.map((a) => {
    const seen = detected.get(a.id);
    const cause = seen?.evidence?.cause;
    return {
      accountId: a.id,
      email: a.email,
      state: a.state,
      ...(seen ? { detectedPlan: seen.plan } : {}),
      ...(cause !== undefined ? { undetectable: cause } : {}),
      ...(billed.has(a.id) ? { billedPlan: billed.get(a.id) } : {}),
    };
  });
  // Accounts seen only in the CUR (not, or no longer, in the organization) keep their billed plan.
  const inOrg = new Set(accounts.map((a) => a.id));
  for (const [id, plan] of billed) if (!inOrg.has(id)) auditMembers.push({ accountId: id, email: '', billedPlan: plan });
  const usageUsd = new Map([...usage].map(([account, sum]) => [account, toExactText(sum.value())]));
  const today = deps.now().toISOString().slice(0, 10);
  const findings = auditPayer({
    payerAccountId: payer.accountId,
    ...(payer.supportPlan ? { payerPlan: payer.supportPlan } : {}),
    ...(payer.deliveryModel ? { deliveryModel: payer.deliveryModel } : {}),
    ...(payer.accountModel ? { accountModel: payer.accountModel } : {}),
    providerDomains: payer.providerDomains,
    members: auditMembers,
    subscriptions: input.subscriptions,
    usageUsd,
    // An invitation without a date (not given by AWS) counts from today: never called stale on a guess.
    invitations: invitations.map((h) => ({ accountId: h.accountId, sentOn: h.requestedAt?.slice(0, 10) ?? today })),
    today,
    ...(input.inviteStaleDays === undefined ? {} : { inviteStaleDays: input.inviteStaleDays }),
    ...(payer.supportRoleName ? { supportRoleName: payer.supportRoleName } : {}),
    ...(listed.transfers === undefined ? {} : { transfers: listed.transfers }),
    ...(listed.unlisted === undefined ? {} : { transfersUnlisted: listed.unlisted }),
  });

  const bySubscription = new Map(input.subscriptions.map((s) => [s.accountId, s]));
  const plans: PlanComparison[] = [...new Set([...members, ...usageUsd.keys()])]
    .filter((id) => id !== payer.accountId)
    .sort()
    .map((id) => {
      const s = bySubscription.get(id);
      const seen = detected.get(id);
      return {
        accountId: id,
        ...(s?.customer ? { customer: s.customer } : {}),
        ...(s ? { assetId: s.assetId, ordered: s.supportLevel } : {}),
        ...(seen ? { detected: seen.plan, ...(seen.evidence ? { evidence: seen.evidence } : {}) } : {}),
        ...(billed.has(id) ? { billed: billed.get(id) } : {}),
        usageUsd: usageUsd.get(id) ?? '0',
      };
    });
  const usageTotal = new MoneySum();
  for (const p of plans) usageTotal.add(p.usageUsd);
  return {
    payerAccountId: payer.accountId,
    ...(input.period ? { period: input.period } : {}),
    generatedAt: deps.now().toISOString(),
    findings,
    plans,
    usageTotalUsd: toExactText(usageTotal.value()),
  };
}
