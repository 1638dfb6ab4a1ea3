/**
 * The sandbox seed: load it from one JSON file or a folder of them, validate it
 * (every problem listed at once, each naming the file and the field) and expand
 * the compact forms. The format is in seed.schema.ts; fixtures/orders/ is an example.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { ConnectorError } from '../domain/errors.js';
import { expandRequest, expandTierConfig, platformTime, DEFAULT_CREATED_BASE_MS } from './seed.expand.js';
import {
  compactRequestSchema,
  compactTierConfigSchema,
  DEFAULT_API_KEY,
  fullRequestSchema,
  fullTierConfigSchema,
  seedFileSchema,
  type ConnectRequest,
  type ConnectTierConfigRequest,
  type AssetSeed,
  type MarketplaceSeed,
  type OrganizationSeed,
  type ProductSeed,
  type Seed,
} from './seed.schema.js';

/** The benchmark seed generator (seed.generate.ts). */
export { generateRequests, type GenerateOptions } from './seed.generate.js';
/** The seed format: schemas, shapes and defaults (seed.schema.ts). */
export * from './seed.schema.js';

interface Located<T> {
  value: T;
  file: string;
  path: string;
}

interface Part {
  file: string;
  apiKey?: string;
  products: Located<ProductSeed>[];
  requests: Located<Record<string, unknown>>[];
  tierConfigRequests: Located<Record<string, unknown>>[];
  organizations: Located<OrganizationSeed>[];
  assets: Located<AssetSeed>[];
  marketplaces: Located<MarketplaceSeed>[];
}

function issueLines(file: string, prefix: string, error: z.ZodError): string[] {
  return error.issues.map((i) => `${file}: ${[prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(top level)'}: ${i.message}`);
}

function located<T>(values: T[], file: string, section: string): Located<T>[] {
  return values.map((value, i) => ({ value, file, path: `${section}.${i}` }));
}

function parsePart(value: unknown, file: string, problems: string[]): Part | undefined {
  const parsed = seedFileSchema.safeParse(value);
  if (!parsed.success) {
    problems.push(...issueLines(file, '', parsed.error));
    return undefined;
  }
  const data = parsed.data;
  return {
    file,
    ...(data.apiKey === undefined ? {} : { apiKey: data.apiKey }),
    products: located(data.products, file, 'products'),
    requests: located(data.requests, file, 'requests'),
    tierConfigRequests: located(data.tierConfigRequests, file, 'tierConfigRequests'),
    organizations: located(data.organizations, file, 'organizations'),
    assets: located(data.assets, file, 'assets'),
    marketplaces: located(data.marketplaces, file, 'marketplaces'),
  };
}

function duplicates<T>(items: Located<T>[], key: (v: T) => string, what: string, problems: string[]): void {
  const seen = new Map<string, Located<T>>();
  for (const item of items) {
    const k = key(item.value);
    const first = seen.get(k);
    if (first) problems.push(`${item.file}: ${item.path}: ${what} ${k} is also at ${first.file}: ${first.path}`);
    else seen.set(k, item);
  }
}

function checkOrganization(org: OrganizationSeed, where: string, problems: string[]): void {
  const rootId = org.rootId ?? `r-${org.payerAccountId.slice(-4)}`;
  const parents = new Set([rootId, ...org.organizationalUnits.map((o) => o.id)]);
  org.organizationalUnits.forEach((ou, i) => {
    if (ou.parent !== undefined && !parents.has(ou.parent)) problems.push(`${where}.organizationalUnits.${i}.parent: ${ou.parent} is neither the root ${rootId} nor an OU of this organization`);
  });
  const ids = new Set<string>([org.payerAccountId]);
  const emails = new Set<string>(org.email === undefined ? [] : [org.email.toLowerCase()]);
  org.accounts.forEach((a, i) => {
    if (a.id === org.payerAccountId) return;
    if (ids.has(a.id)) problems.push(`${where}.accounts.${i}.id: account ${a.id} is listed twice`);
    ids.add(a.id);
    if (emails.has(a.email.toLowerCase())) problems.push(`${where}.accounts.${i}.email: ${a.email} is used by another account`);
    emails.add(a.email.toLowerCase());
    if (a.parent !== undefined && !parents.has(a.parent)) problems.push(`${where}.accounts.${i}.parent: ${a.parent} is neither the root ${rootId} nor an OU of this organization`);
  });
  org.outsideAccounts.forEach((a, i) => {
    if (ids.has(a.id)) problems.push(`${where}.outsideAccounts.${i}.id: account ${a.id} is already a member of this organization`);
  });
}

function buildRequest(raw: Located<Record<string, unknown>>, index: number, products: Map<string, ProductSeed>, problems: string[]): ConnectRequest | undefined {
  if ('asset' in raw.value) {
    const parsed = fullRequestSchema.safeParse(raw.value);
    if (!parsed.success) return void problems.push(...issueLines(raw.file, raw.path, parsed.error));
    const full = parsed.data as ConnectRequest;
    if (!products.has(full.asset.product.id)) return void problems.push(`${raw.file}: ${raw.path}.asset.product.id: product ${full.asset.product.id} is not in the seed's products`);
    const created = full.created ?? platformTime(DEFAULT_CREATED_BASE_MS + index * 60_000);
    return { ...full, created, updated: full.updated ?? created };
  }
  const parsed = compactRequestSchema.safeParse(raw.value);
  if (!parsed.success) return void problems.push(...issueLines(raw.file, raw.path, parsed.error));
  const product = products.get(parsed.data.productId);
  if (!product) return void problems.push(`${raw.file}: ${raw.path}.productId: product ${parsed.data.productId} is not in the seed's products`);
  const lines: string[] = [];
  const request = expandRequest(parsed.data, product, index, lines);
  problems.push(...lines.map((l) => `${raw.file}: ${raw.path}.params: ${l}`));
  return request;
}

function buildTierConfig(raw: Located<Record<string, unknown>>, index: number, products: Map<string, ProductSeed>, problems: string[]): ConnectTierConfigRequest | undefined {
  if ('configuration' in raw.value) {
    const parsed = fullTierConfigSchema.safeParse(raw.value);
    if (!parsed.success) return void problems.push(...issueLines(raw.file, raw.path, parsed.error));
    const full = parsed.data as ConnectTierConfigRequest;
    const productId = full.configuration.product.id;
    if (!products.has(productId)) return void problems.push(`${raw.file}: ${raw.path}.configuration.product.id: product ${productId} is not in the seed's products`);
    return full;
  }
  const parsed = compactTierConfigSchema.safeParse(raw.value);
  if (!parsed.success) return void problems.push(...issueLines(raw.file, raw.path, parsed.error));
  const product = products.get(parsed.data.productId);
  if (!product) return void problems.push(`${raw.file}: ${raw.path}.productId: product ${parsed.data.productId} is not in the seed's products`);
  return expandTierConfig(parsed.data, product, index);
}

/** Validates and expands merged parts; throws one error listing every problem. */
function build(parts: Part[], problems: string[]): Seed {
  const keys = parts.filter((p) => p.apiKey !== undefined);
  if (keys.length > 1) problems.push(`${keys[1]?.file}: apiKey: also given in ${keys[0]?.file}; give it once`);
  const products = parts.flatMap((p) => p.products);
  duplicates(products, (p) => p.id, 'product', problems);
  const productById = new Map(products.map((p) => [p.value.id, p.value]));

  const requests: Located<ConnectRequest>[] = [];
  parts
    .flatMap((p) => p.requests)
    .forEach((raw, index) => {
      const request = buildRequest(raw, index, productById, problems);
      if (request) requests.push({ ...raw, value: request });
    });
  duplicates(requests, (r) => r.id, 'request', problems);
  const tierConfigRequests: Located<ConnectTierConfigRequest>[] = [];
  parts
    .flatMap((p) => p.tierConfigRequests)
    .forEach((raw, index) => {
      const tcr = buildTierConfig(raw, index, productById, problems);
      if (tcr) tierConfigRequests.push({ ...raw, value: tcr });
    });
  duplicates(tierConfigRequests, (r) => r.id, 'tier configuration request', problems);

  const organizations = parts.flatMap((p) => p.organizations);
  duplicates(organizations, (o) => o.payerAccountId, 'organization of payer', problems);
  for (const org of organizations) checkOrganization(org.value, `${org.file}: ${org.path}`, problems);
  const assets = parts.flatMap((p) => p.assets);
  const requestAssets = new Set(requests.map((r) => r.value.asset.id));
  duplicates(assets, (a) => a.id, 'asset', problems);
  for (const a of assets) {
    if (!productById.has(a.value.productId)) problems.push(`${a.file}: ${a.path}.productId: product ${a.value.productId} is not in the seed's products`);
    if (requestAssets.has(a.value.id)) problems.push(`${a.file}: ${a.path}.id: asset ${a.value.id} has requests: seed assets are for assets without one`);
  }
  const marketplaces = parts.flatMap((p) => p.marketplaces);
  duplicates(marketplaces, (m) => m.id, 'marketplace', problems);

  if (problems.length > 0) {
    throw new ConnectorError('CONFIG_INVALID', `sandbox seed has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`, { where: { file: parts[0]?.file ?? '' } });
  }
  return {
    apiKey: keys[0]?.apiKey ?? DEFAULT_API_KEY,
    products: products.map((p) => p.value),
    requests: requests.map((r) => r.value),
    tierConfigRequests: tierConfigRequests.map((r) => r.value),
    organizations: organizations.map((o) => o.value),
    assets: assets.map((a) => a.value),
    marketplaces: marketplaces.map((m) => m.value),
  };
}

/**
 * Validates a seed given as a value (compact or full requests; an already
 * parsed `Seed` is valid input too). `source` names it in error messages.
 * Throws `ConnectorError` CONFIG_INVALID listing every problem.
 */
export function parseSeed(value: unknown, source = 'seed'): Seed {
  const problems: string[] = [];
  const part = parsePart(structuredClone(value), source, problems);
  return build(part ? [part] : [], problems);
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ConnectorError('CONFIG_INVALID', `cannot read seed ${file}: ${(cause as Error).message}`, { where: { file }, cause });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ConnectorError('CONFIG_INVALID', `seed ${file} is not valid JSON: ${(cause as Error).message}`, { where: { file }, cause });
  }
}

/**
 * Loads a seed from one JSON file, or from every `*.json` file of a folder (in
 * name order; their sections are concatenated, `apiKey` may be given once).
 */
export async function loadSeed(pathOrFolder: string): Promise<Seed> {
  let files: string[];
  try {
    const info = await stat(pathOrFolder);
    files = info.isDirectory()
      ? (await readdir(pathOrFolder))
          .filter((n) => n.endsWith('.json'))
          .sort()
          .map((n) => join(pathOrFolder, n))
      : [pathOrFolder];
  } catch (cause) {
    throw new ConnectorError('CONFIG_INVALID', `cannot read seed ${pathOrFolder}: ${(cause as Error).message}`, { where: { file: pathOrFolder }, cause });
  }
  if (files.length === 0) throw new ConnectorError('CONFIG_INVALID', `seed folder ${pathOrFolder} has no .json file`, { where: { file: pathOrFolder } });
  const problems: string[] = [];
  const parts: Part[] = [];
  for (const file of files) {
    const part = parsePart(await readJson(file), file, problems);
    if (part) parts.push(part);
  }
  return build(parts, problems);
}
