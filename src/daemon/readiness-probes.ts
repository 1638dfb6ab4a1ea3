/**
 * What the daemon's `/readyz` checks beyond the state database and the last
 * poll cycle: the platform answers with the configured key, and each payer's
 * AWS access reaches that payer's organization. Run by `startReadiness` at start
 * and on its interval, never per scrape (one Organizations call per payer per
 * round, through the daemon's call limiter).
 */
import { path, type ConnectHttpClient } from '../adapters/connect/http-client.js';
import type { OrganizationsFactory } from '../app/orders/ports.js';
import type { OrderPayer } from '../app/orders/request-work.js';
import type { ReadinessProbe } from './admin-server.js';

export interface ReadinessSources {
  http: Pick<ConnectHttpClient, 'getJson'>;
  organizations: OrganizationsFactory;
  productIds: readonly string[];
  payers: readonly OrderPayer[];
}

export function daemonReadinessProbes(sources: ReadinessSources): ReadinessProbe[] {
  const productId = sources.productIds[0];
  const probes: ReadinessProbe[] = [];
  if (productId !== undefined) {
    // A product the connector serves: proves the URL, the key and its permissions in one cheap call.
    probes.push({ name: 'platform', check: async (signal) => void (await sources.http.getJson(path`/products/${productId}`, signal)) });
  }
  for (const payer of sources.payers) {
    probes.push({
      name: `payer ${payer.accountId} AWS access`,
      check: async (signal) => {
        const access = { accountId: payer.accountId, ...(payer.roleArn ? { roleArn: payer.roleArn } : {}), ...(payer.externalId ? { externalId: payer.externalId } : {}) };
        const org = await sources.organizations.forPayer(access).describeOrganization(signal);
        if (org.managementAccountId !== payer.accountId) {
          throw new Error(`the credentials reach the organization of ${org.managementAccountId}, not payer ${payer.accountId}`);
        }
      },
    });
  }
  return probes;
}
