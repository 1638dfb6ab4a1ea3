/**
 * The reseller's account models (FULFILLMENT.md "Account models"): which e-mail
 * domains a member account of a payer may use. Pure.
 *
 * - `spam` (solution provider account model): every member's e-mail domain is
 *   one of the provider's domains.
 * - `ecam` (end customer account model): members use the customer's own domain,
 *   never the provider's.
 * Without a model, any domain is accepted.
 */
export type AccountModel = 'spam' | 'ecam';

export interface AccountModelRules {
  model?: AccountModel;
  /** The provider's e-mail domains, lower case (e.g. `reseller.example`). */
  providerDomains: string[];
}

function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** True when `domain` is `root` or one of its subdomains. */
function within(domain: string, root: string): boolean {
  return domain === root || domain.endsWith(`.${root}`);
}

/** A sentence when the e-mail's domain breaks the payer's model, else undefined. */
export function emailDomainProblem(email: string, rules: AccountModelRules): string | undefined {
  if (rules.model === undefined) return undefined;
  const domain = domainOf(email);
  const roots = rules.providerDomains.map((d) => d.toLowerCase());
  const isProvider = roots.some((root) => within(domain, root));
  if (rules.model === 'spam' && !isProvider) {
    return `this payer uses the solution provider account model: the e-mail must be on ${roots.join(' or ')}, not ${domain}`;
  }
  if (rules.model === 'ecam' && isProvider) {
    return `this payer uses the end customer account model: the e-mail must be on the customer's own domain, not the provider's ${domain}`;
  }
  return undefined;
}
