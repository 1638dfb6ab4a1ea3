/**
 * A generated seed for the benchmark: `count` pending requests of mixed kinds,
 * with the organization members and outside accounts they need. The same count
 * (and options) always gives the same seed: no clock, no randomness.
 */
import type { SeedInput } from './seed.schema.js';

/** Options of `generateRequests`. */
export interface GenerateOptions {
  /** Default `PRD-411-678-887`. */
  productId?: string;
  /** Default `111111111111`. */
  payerAccountId?: string;
  /** Distinct customers (each one OU); default 50. */
  customers?: number;
}

/** The kinds, in the order requests cycle through them. */
export const GENERATED_KINDS = ['new', 'transfer', 'import', 'change', 'suspend', 'cancel', 'bad-input'] as const;

const digits = (prefix: string, n: number): string => `${prefix}${String(n).padStart(11, '0')}`;

function requestId(n: number): string {
  const d = String(n).padStart(12, '0');
  return `PR-${d.slice(0, 4)}-${d.slice(4, 8)}-${d.slice(8)}-001`;
}

/**
 * A seed with `count` pending requests cycling through new, transfer (of an
 * outside account that accepts), import, change of support level, suspend,
 * cancel (every other one of a CLOSED account closed long ago, so it approves)
 * and a new with a bad e-mail.
 */
export function generateRequests(count: number, options: GenerateOptions = {}): SeedInput {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a whole number ≥ 0, not ${count}`);
  const productId = options.productId ?? 'PRD-411-678-887';
  const payer = options.payerAccountId ?? '111111111111';
  const customers = Math.max(1, options.customers ?? 50);
  const requests: Array<Record<string, unknown>> = [];
  const accounts: Array<{ id: string; email: string; name: string; state?: 'ACTIVE' | 'CLOSED' }> = [];
  const outsideAccounts: Array<{ id: string; email: string; answer: 'accept' }> = [];
  let cancels = 0;

  for (let i = 0; i < count; i++) {
    const n = i + 1;
    const kind = GENERATED_KINDS[i % GENERATED_KINDS.length] as (typeof GENERATED_KINDS)[number];
    const customer = `Bench Customer ${String((i % customers) + 1).padStart(3, '0')}`;
    const base = { id: requestId(n), productId, customer };
    const member = (state: 'ACTIVE' | 'CLOSED' = 'ACTIVE'): string => {
      const id = digits('2', n);
      accounts.push({ id, email: `bench-member-${n}@customers.example`, name: `Bench member ${n}`, ...(state === 'ACTIVE' ? {} : { state }) });
      return id;
    };
    switch (kind) {
      case 'new':
      case 'bad-input':
        requests.push({
          ...base,
          type: 'purchase',
          params: {
            account_type: 'new',
            account_email: kind === 'new' ? `bench-new-${n}@customers.example` : `not-an-email-${n}`,
            account_name: `Bench account ${n}`,
            support_level: 'business',
          },
        });
        break;
      case 'transfer': {
        const id = digits('3', n);
        outsideAccounts.push({ id, email: `bench-outside-${n}@customers.example`, answer: 'accept' });
        requests.push({ ...base, type: 'purchase', params: { account_type: 'transfer', aws_account_id: id, support_level: 'business' } });
        break;
      }
      case 'import':
        requests.push({ ...base, type: 'purchase', params: { account_type: 'import', aws_account_id: member(), support_level: 'business' } });
        break;
      case 'change':
        requests.push({ ...base, type: 'change', params: { account_type: 'import', aws_account_id: member(), support_level: 'enterprise' } });
        break;
      case 'suspend':
        requests.push({ ...base, type: 'suspend', params: { account_type: 'import', aws_account_id: member(), support_level: 'business' } });
        break;
      case 'cancel': {
        cancels += 1;
        const closed = cancels % 2 === 0;
        const id = member(closed ? 'CLOSED' : 'ACTIVE');
        requests.push({
          ...base,
          type: 'cancel',
          params: { account_type: 'import', aws_account_id: id, support_level: 'business', ...(closed ? { account_closed_at: '2020-01-01' } : {}) },
        });
        break;
      }
    }
  }

  return {
    apiKey: 'SU-000-000-000:bench-secret',
    products: [
      {
        id: productId,
        name: 'AWS (benchmark)',
        templates: [
          { id: 'TL-111-111-111', name: 'Account ready', scope: 'asset', type: 'fulfillment' },
          { id: 'TL-222-222-222', name: 'Reseller settings accepted', scope: 'tier1', type: 'fulfillment' },
        ],
        configuration: {
          customMarkup: '1.1',
          customMarkupMarketplace: '1.05',
          fxRate: '0.92',
          marketplaceCurrency: 'EUR',
          organizationalUnitEnabled: 'No',
          payerAccountId: payer,
        },
      },
    ],
    requests,
    organizations: [{ payerAccountId: payer, name: 'Benchmark payer', accounts, outsideAccounts }],
  };
}
