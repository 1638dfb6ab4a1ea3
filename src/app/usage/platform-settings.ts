/**
 * What a month reads from the platform before it rates (issue 4 "Settings from
 * the platform", "Assets from the platform"): the subscriptions from the
 * assets, each payer's marketplace settings, the resellers' own payers
 * (`enableMultiplePayer`) and each payer's contract. An asset's payer: its
 * saved `payer_account_id`; else its reseller's own payer (approved tier
 * configuration); else the marketplace's `payerAccountId`; else, with one
 * configured payer, that one. With several payers an asset of no known payer is
 * reported and not billed.
 */
import type { RequestParam } from '../orders/ports.js';
import type { AssetLike } from '../subscriptions.js';
import type { MonthPlatformPort } from './month-platform.js';
import { assetsToSubscriptions, marketplacesOf } from './platform-assets.js';

/** The platform reads of this step: the month's port, and the resellers' approved tier configurations. */
export interface PlatformSettingsPort extends MonthPlatformPort {
  /** The approved tier configuration's parameters of a reseller account for a product, or undefined. */
  getTierConfigParams(tierAccountId: string, productId: string, signal: AbortSignal): Promise<RequestParam[] | undefined>;
}

export interface FromPlatform {
  assets: AssetLike[];
  /** Marketplace configuration values by payer (customMarkup, fxRate, marketplaceCurrency...). */
  settings: Map<string, Record<string, string>>;
  /** The contract of each payer's assets (the usage file's contract, unless `payers[].usage.contractId`). */
  contracts: Map<string, string>;
  /** Assets not billed and why, for the operator. */
  notes: string[];
}

/** Reads the subscriptions and settings of `productIds` for the configured payers. */
export async function readPlatformSettings(
  platform: PlatformSettingsPort,
  input: { productIds: string[]; payerIds: string[]; now: Date },
  signal: AbortSignal,
): Promise<FromPlatform> {
  const listed = await platform.listAssets(input.productIds, signal);
  const notes: string[] = [];

  // Resellers with their own payer (enableMultiplePayer): their approved settings, by tier1 account.
  const resellerPayers = new Map<string, string>();
  const resellerValues = new Map<string, Record<string, string>>();
  const pairs = new Map<string, { accountId: string; productId: string }>();
  for (const a of listed) if (a.tier1) pairs.set(`${a.tier1.id}/${a.productId}`, { accountId: a.tier1.id, productId: a.productId });
  for (const { accountId, productId } of pairs.values()) {
    const params = (await platform.getTierConfigParams(accountId, productId, signal)) ?? [];
    const values = Object.fromEntries(params.filter((p) => p.value.trim() !== '').map((p) => [p.id, p.value.trim()]));
    if (values.payerAccountId) {
      resellerPayers.set(accountId, values.payerAccountId);
      resellerValues.set(accountId, values);
    }
  }
  const byId = new Map(listed.map((a) => [a.id, a]));
  const only = input.payerIds.length === 1 ? input.payerIds[0] : undefined;

  // Per marketplace: its settings, and its payerAccountId as the default payer of its assets.
  const assets: AssetLike[] = [];
  const settings = new Map<string, Record<string, string>>();
  const contracts = new Map<string, string>();
  const productId = input.productIds[0] ?? '';
  for (const market of [...marketplacesOf(listed), undefined]) {
    const group = listed.filter((a) => a.marketplaceId === market);
    if (group.length === 0) continue;
    let values: Record<string, string> = {};
    if (market !== undefined) {
      values = await platform.marketplaceConfiguration(productId, market, signal);
      const currency = values.marketplaceCurrency ?? (await platform.marketplaceCurrency(market, signal));
      if (currency) values = { ...values, marketplaceCurrency: currency };
    }
    const defaultPayer = values.payerAccountId || only;
    const found = assetsToSubscriptions(group, input.now, { resellerPayers, ...(defaultPayer ? { defaultPayer } : {}) });
    for (const p of found.problems) notes.push(`asset ${p.assetId}: ${p.message}`);
    for (const a of found.assets) {
      if (a.payerAccountId === undefined) {
        notes.push(`asset ${a.assetId}: no payer (payer_account_id, reseller settings, marketplace payerAccountId) and several payers are configured: not billed`);
        continue;
      }
      assets.push(a);
      // A reseller's own payer takes the reseller's settings over the marketplace's.
      const reseller = byId.get(a.assetId)?.tier1?.id;
      const own = reseller !== undefined && resellerPayers.get(reseller) === a.payerAccountId ? resellerValues.get(reseller) : undefined;
      if (!settings.has(a.payerAccountId)) settings.set(a.payerAccountId, { ...values, ...own });
      const contract = byId.get(a.assetId)?.contractId;
      if (contract && !contracts.has(a.payerAccountId)) contracts.set(a.payerAccountId, contract);
    }
  }
  return { assets, settings, contracts, notes };
}

/** The settings a payer may take from the platform. */
export const PLATFORM_SETTINGS = ['customMarkup', 'customMarkupMarketplace', 'fxRate', 'marketplaceCurrency'] as const;

/** What of a payer's configuration the platform can fill. */
export interface PayerSettingsLike {
  customMarkup?: string | undefined;
  customMarkupMarketplace?: string | undefined;
  fxRate?: string | undefined;
  marketplaceCurrency?: string | undefined;
  roleArn?: string | undefined;
  externalId?: string | undefined;
  externalIdEnv?: string | undefined;
  athena?: { database: string; table: string; region: string; layout: 'legacy' | 'cur2'; workgroup?: string | undefined; outputLocation?: string | undefined } | undefined;
}

/** The payer's parameters: the file's explicit values win; the platform fills the rest (money, role, Athena). */
export function withPlatformSettings<T extends PayerSettingsLike>(payer: T, platform: Record<string, string> | undefined): T {
  if (!platform) return payer;
  const filled: PayerSettingsLike = {};
  for (const key of PLATFORM_SETTINGS) {
    const value = platform[key];
    if (payer[key] === undefined && value !== undefined && value !== '') filled[key] = value;
  }
  if (payer.roleArn === undefined && platform.payerRoleArn) filled.roleArn = platform.payerRoleArn;
  if (payer.externalId === undefined && payer.externalIdEnv === undefined && platform.payerExternalId) filled.externalId = platform.payerExternalId;
  if (payer.athena === undefined && platform.database && platform.table) {
    // Identifiers are checked again by the Athena source ([A-Za-z0-9_]+): these values are typed by people.
    filled.athena = {
      database: platform.database,
      table: platform.table,
      region: platform.region || 'us-east-1',
      layout: 'cur2',
      ...(platform.workgroup ? { workgroup: platform.workgroup } : {}),
      ...(platform.outputLocation ? { outputLocation: platform.outputLocation } : {}),
    };
  }
  return { ...payer, ...filled };
}
