/**
 * The rating's inputs and outputs (RATING.md §2–§8), shared by the rating, the
 * use cases and the report. Amounts are decimal strings.
 */
import type { ListPriceMode, RecordGranularity } from './cur.js';
import type { AppliedCurrency, AppliedMarkup } from './parameters.js';
import type { SupportCatalog, SupportPlan } from './support-fee.js';
import type { AccountSupport } from './support-lines.js';
import type { CurGroup } from './cur.js';
import type { AppliedLine, PayerLines } from './custom-lines.js';
import type { PartnerLedSupport } from './margin.js';

export interface RatingSettings {
  listPrice: ListPriceMode;
  includeTax: boolean;
  excludeLineItemTypes: string[];
  supportPlanSource: 'ordered' | 'detected';
  recordGranularity: RecordGranularity;
  /** Decimal places of a billed record amount (default 2). */
  amountDecimals: number;
  /** The largest markup billed (decimal text; `DEFAULT_LIMITS.maxMarkup` when absent). */
  maxMarkup?: string | undefined;
  /** The fx rates billed, both ends included (`DEFAULT_LIMITS.fxRange` when absent). */
  fxRange?: { min: string; max: string } | undefined;
}

export interface PayerParameters {
  accountId: string;
  marketplaceCurrency?: string;
  fxRate?: string;
  customMarkup?: string;
  customMarkupMarketplace?: string;
  /** Partner-Led Support discount on the distributor's support cost (MARGIN.md §3); absent: none. */
  partnerLedSupport?: PartnerLedSupport | undefined;
}

/** A subscription (asset) that bills a linked account. */
export interface Subscription {
  assetId: string;
  accountId: string;
  /** `support_level` as ordered; '' = default (business). */
  supportLevel: string;
  /** The customer's name (the platform asset's tiers.customer.name, or the assets file's `customer`), where known. */
  customerName?: string;
  /**
   * A billing-transfer subscription (`account_type` = `billing-transfer`): `accountId` is the
   * source organization's management account, and every account whose CUR rows that
   * organization billed (`bill_payer_account_id` = `accountId`, docs/billing-transfer.md)
   * bills to it, with its support level. Absent: the subscription covers `accountId` only.
   */
  coversOrganization?: boolean;
}

export interface RatePayerInput {
  payer: PayerParameters;
  /** `YYYY-MM`. */
  period: string;
  settings: RatingSettings;
  /** The payer's groups only. */
  groups: CurGroup[];
  /** Subscriptions by linked account, or 'all' to bill every account as its own customer. */
  subscriptions: ReadonlyMap<string, Subscription> | 'all';
  catalog: SupportCatalog;
  /** ISO 4217 codes accepted for `marketplaceCurrency` (empty = any three capitals). */
  knownCurrencies: ReadonlySet<string>;
  /** Custom lines and credits (MARGIN.md §4) and the flat credits' balances carried in; absent: none. */
  lines?: PayerLines;
}

/** `fee` and `credit`: custom lines' records (MARGIN.md §4; categories custom_lines and credits). */
export type RecordKind = 'aws' | 'marketplace' | 'support' | 'fee' | 'credit';

export interface RatedRecord {
  recordId: string;
  accountId: string;
  assetId: string | null;
  kind: RecordKind;
  billingEntity: string;
  productCode: string;
  usageType: string;
  /** Service name (or product code when the CUR has none). */
  note: string;
  lineItemTypes: string[];
  listUsd: string;
  markup: string;
  markedUsd: string;
  /** Billed amount before rounding, in the payer's currency. */
  billedExact: string;
  /** Billed amount rounded once to amountDecimals, ROUND_HALF_UP. */
  billed: string;
  supportPlan?: SupportPlan;
  supportTable?: string;
  /** A custom line's record: the line's id. */
  lineId?: string;
}

export interface RatedAccount {
  accountId: string;
  assetId: string | null;
  /** The subscription's customer name, where known (`Subscription.customerName`). */
  customerName?: string;
  support: AccountSupport;
  ratedListUsd: string;
  markedUsd: string;
  billedTotal: string;
  /** Σ unrounded − Σ rounded, in the payer's currency. */
  roundingResidual: string;
  records: RatedRecord[];
  droppedZeroRecords: number;
}

export interface Reconciliation {
  curTotalUsd: string;
  ratedUnblendedUsd: string;
  ratedListUsd: string;
  excludedUsd: Record<string, string>;
  unassignedUsd: string;
  onDemandUpliftUsd: string;
  holds: boolean;
  /** MARGIN.md §5, present when lines were given: file total = Σ usage, Marketplace and support + Σ fees + Σ credits. */
  lines?: LinesReconciliation;
}

/** The file total with custom lines, per payer and for each customer with a line (billing currency, rounded record sums). */
export interface LinesReconciliation {
  ratedBilled: string;
  fees: string;
  credits: string;
  fileTotal: string;
  customers: { accountId: string; ratedBilled: string; fees: string; credits: string; billedTotal: string }[];
  holds: boolean;
}

export interface RatingProblem {
  code: 'MARKUP_INVALID' | 'FX_INVALID' | 'CONFIG_INVALID' | 'PERIOD_MISMATCH' | 'CURRENCY_NOT_USD' | 'SUPPORT_TABLE_MISSING' | 'RECONCILIATION_FAILED' | 'CUR_EMPTY';
  message: string;
  setting?: string;
  value?: string;
  account?: string;
}

export interface RatedPayer {
  payerAccountId: string;
  period: string;
  currency: AppliedCurrency;
  listPrice: ListPriceMode;
  markups: { customMarkup: AppliedMarkup; customMarkupMarketplace: AppliedMarkup };
  reconciliation: Reconciliation;
  accounts: RatedAccount[];
  unassigned: { accountId: string; unblendedUsd: string }[];
  billedTotal: string;
  records: RatedRecord[];
  droppedZeroRecords: number;
  supportPlanMismatches: { accountId: string; ordered: SupportPlan; detected: string }[];
  warnings: string[];
  rowsRated: number;
  /** The custom lines applied (MARGIN.md §6 `lines`), by account; absent when none were given. */
  lines?: AppliedLine[];
}

export type RatingOutcome = { ok: true; payer: RatedPayer } | { ok: false; problems: RatingProblem[]; reconciliation?: Reconciliation };

/** What `startPayerRating` needs: a `RatePayerInput` without the groups, which arrive one account at a time. */
export type PayerRatingInput = Omit<RatePayerInput, 'groups'>;

/** A rated account without its records (they went out as the account was rated). */
export type RatedAccountSummary = Omit<RatedAccount, 'records'>;

/**
 * A rated payer without its records: everything `RatedPayer` carries but `records`
 * and `accounts[].records`, so its size grows with accounts, never with records.
 */
export interface RatedPayerSummary extends Omit<RatedPayer, 'records' | 'accounts'> {
  accounts: RatedAccountSummary[];
  /** How many records the accounts returned in all (the file's record count). */
  recordCount: number;
}

export type PayerRatingOutcome = { ok: true; payer: RatedPayerSummary } | { ok: false; problems: RatingProblem[]; reconciliation?: Reconciliation };
