/**
 * The rules of the sandbox's billing transfers (Organizations'
 * InviteOrganizationToTransferResponsibility) that need no state: which account
 * can be invited as a transfer's source, and the month boundaries AWS requires of
 * `StartTimestamp` (the first instant of a month, UTC) and `EndTimestamp` (the
 * last second of a month, 23:59:59 UTC). Timestamps arrive as epoch seconds.
 */
import { AwsFault, type Organization } from './organizations.model.js';

/** 23:59:59 UTC on the last day of the month holding `ms` (epoch ms). */
export function endOfMonthMs(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - 1000;
}

function epochMs(value: unknown, member: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new AwsFault('InvalidInputException', `${member} is required (a timestamp).`, { Reason: 'INPUT_REQUIRED' });
  return Math.round(value * 1000);
}

/** `StartTimestamp`: the first instant of a month, not before the current month. */
export function checkStart(value: unknown, nowMs: number): number {
  const ms = epochMs(value, 'StartTimestamp');
  const d = new Date(ms);
  if (ms !== Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)) throw new AwsFault('InvalidInputException', `StartTimestamp ${d.toISOString()} is not the beginning of a month (UTC).`, { Reason: 'START_DATE_NOT_BEGINNING_OF_MONTH' });
  const now = new Date(nowMs);
  if (ms < Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)) throw new AwsFault('InvalidInputException', `StartTimestamp ${d.toISOString()} is in the past.`, { Reason: 'START_DATE_TOO_EARLY' });
  return ms;
}

/** `EndTimestamp` of a withdrawal: the end of a month (23:59:59 UTC), not before the month of `fromMs`. */
export function checkEnd(value: unknown, fromMs: number): number {
  const ms = epochMs(value, 'EndTimestamp');
  if (ms !== endOfMonthMs(ms)) throw new AwsFault('InvalidInputException', `EndTimestamp ${new Date(ms).toISOString()} is not 23:59:59 UTC on the last day of a month.`, { Reason: 'END_DATE_NOT_END_OF_MONTH' });
  if (ms < endOfMonthMs(fromMs)) throw new AwsFault('InvalidInputException', `EndTimestamp ${new Date(ms).toISOString()} is before the end of the current month.`, { Reason: 'END_DATE_TOO_EARLY' });
  return ms;
}

/**
 * The management account a transfer invitation names (`Target` ACCOUNT id or
 * EMAIL): another seeded payer (it accepts), or a seeded outside account (its
 * `answer`). The caller itself, a member of any organization, or an unknown
 * account is refused as AWS refuses them.
 */
export function transferSource(
  orgs: readonly Organization[],
  caller: Organization,
  target: { Type?: unknown; Id?: unknown },
): { id: string; email: string; answer: 'accept' | 'decline' | 'ignore' } {
  if (target.Type !== 'ACCOUNT' && target.Type !== 'EMAIL') throw new AwsFault('InvalidInputException', 'Target.Type must be ACCOUNT or EMAIL.', { Reason: 'INVALID_PARTY_TYPE_TARGET' });
  const id = typeof target.Id === 'string' ? target.Id : '';
  const byEmail = target.Type === 'EMAIL';
  const matches = (a: { id: string; email: string }): boolean => (byEmail ? a.email.toLowerCase() === id.toLowerCase() : a.id === id);
  for (const org of orgs) {
    const payer = org.accounts.get(org.payerAccountId);
    if (payer && matches(payer)) {
      if (org === caller) throw new AwsFault('HandshakeConstraintViolationException', 'The source and the target of a transfer cannot be the same account.', { Reason: 'SOURCE_AND_TARGET_CANNOT_MATCH' });
      return { id: payer.id, email: payer.email, answer: 'accept' };
    }
    const member = [...org.accounts.values()].find(matches);
    if (member) {
      throw new AwsFault('HandshakeConstraintViolationException', `Account ${member.id} is a member of organization ${org.orgId}, not its management account: only a management account can transfer its organization's bill.`, { Reason: 'ALREADY_IN_AN_ORGANIZATION' });
    }
  }
  const outside = orgs.flatMap((o) => [...o.outside.values()]).find(matches);
  if (!outside) throw new AwsFault('InvalidInputException', `You specified an invalid target: ${id} is no management account the sandbox knows.`, { Reason: byEmail ? 'INVALID_EMAIL_ADDRESS_TARGET' : 'INVALID_PARTY_TYPE_TARGET' });
  return { id: outside.id, email: outside.email, answer: outside.answer };
}
