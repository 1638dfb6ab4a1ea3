/**
 * Change (FULFILLMENT.md "Change"): a new `support_level` is approved with a
 * manual action (AWS has no API for support plans). A change of the account's
 * root e-mail cannot be made through AWS APIs and is failed with that reason.
 */
import { checkSupportLevel, isAccountId, PARAM } from '../../domain/orders/order-params.js';
import type { Outcome, RequestWork } from './request-work.js';

export async function change(work: RequestWork): Promise<Outcome> {
  const accountId = work.param(PARAM.awsAccountId);
  if (!isAccountId(accountId)) {
    return work.fail(`the subscription has no AWS account id (${JSON.stringify(accountId)}); nothing can be changed`, 'validate');
  }
  const support = checkSupportLevel(work.param(PARAM.supportLevel));
  if (support.problem) return work.inquire([support.problem], 'validate');
  const plan = support.plan ?? work.payer().defaultSupportLevel;

  const email = work.param(PARAM.accountEmail);
  if (email !== '') {
    const account = await work.organizations().describeAccount(accountId, work.signal);
    if (account && account.email.toLowerCase() !== email.toLowerCase()) {
      return work.fail(
        `the root e-mail of AWS account ${accountId} cannot be changed through AWS APIs (ordered ${email}, the account has another); the account's owner changes it in the AWS console`,
        'check-email',
      );
    }
  }

  const detail = `set support plan ${plan} on account ${accountId} in the AWS console`;
  work.manualAction({ kind: 'set-support-plan', accountId, detail });
  return work.approve({}, 'approve', `support level ${plan}; manual action: ${detail}`);
}
