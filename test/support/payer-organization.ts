/** A payer's organization over the stand-in, for the audit tests. */
import { FakeOrganizations, PAYER } from './orders-fakes.js';

/** Stand-in organizations where payer 111111111111 (payer@example.com) has `members`, each `<id>@example.com`. */
export function payerOrganization(...members: string[]): FakeOrganizations {
  const orgs = new FakeOrganizations();
  const org = orgs.of(PAYER);
  org.addAccount(PAYER, 'payer@example.com');
  for (const m of members) org.addAccount(m, `${m}@example.com`);
  return orgs;
}
