/**
 * Placing an account and the support-level manual action (FULFILLMENT.md
 * "Placing an account", "Support level"). Both are safe to run again: the move
 * happens only when the parent differs, the OU is looked up by name before it is
 * created, and a manual action exists once per request.
 */
import { ConnectorError } from '../../domain/errors.js';
import type { SupportPlan } from '../../domain/support-fee.js';
import { onceInCycle, type RequestWork } from './request-work.js';

/** OU ids per Organizations: `ou-` then root and OU parts. */
const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
/** AWS allows 1–128 characters for an OU name. */
const MAX_OU_NAME = 128;

/** Where the account should live: the configured OU, or one named after the customer (created under the root when missing). */
async function targetParent(work: RequestWork): Promise<string> {
  const orgs = work.organizations();
  if (work.config('organizationalUnitEnabled').toLowerCase() === 'yes') {
    const ou = work.config('organizationalUnitId');
    if (!OU_ID.test(ou)) {
      throw new ConnectorError('CONFIG_INVALID', `organizationalUnitEnabled is Yes but organizationalUnitId ${JSON.stringify(ou)} is not an OU id (ou-xxxx-xxxxxxxx)`, {
        where: { setting: 'organizationalUnitId', value: ou },
      });
    }
    return ou;
  }
  const name = work.customerName.trim().slice(0, MAX_OU_NAME);
  if (name === '') throw new ConnectorError('CONFIG_INVALID', `request ${work.id}: the customer has no name to name its organizational unit after`);
  // One look-up (and at most one creation) per customer and cycle, shared by its requests.
  return onceInCycle(work.deps.cycle.customerOus, `${work.payer().accountId}:${name}`, async () => {
    const root = await orgs.rootId(work.signal);
    const existing = await orgs.findOrganizationalUnit(root, name, work.signal);
    return existing ?? (await orgs.createOrganizationalUnit(root, name, work.signal));
  });
}

/** Moves the account to its OU unless it is there already. Returns the OU id. */
export async function placeAccount(work: RequestWork, accountId: string): Promise<string> {
  const target = await targetParent(work);
  const orgs = work.organizations();
  const parent = await orgs.parentOf(accountId, work.signal);
  if (parent !== target) await orgs.moveAccount(accountId, parent, target, work.signal);
  return target;
}

/**
 * AWS has no API to set a support plan: when the ordered level is not what the
 * payer gives by default, a person must set it. Returns the sentence, or undefined.
 */
export function supportLevelAction(work: RequestWork, accountId: string, ordered: SupportPlan): string | undefined {
  if (ordered === work.payer().defaultSupportLevel) return undefined;
  const detail = `set support plan ${ordered} on account ${accountId} in the AWS console`;
  work.manualAction({ kind: 'set-support-plan', accountId, detail });
  return detail;
}
