/**
 * Loads configuration once: the config file, the support fee tables and (for dry
 * runs) the assets file. Every problem is listed at once, each naming the file
 * and the setting.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { ConnectorError, type ErrorCode } from '../domain/errors.js';
import { catalogProblems, type SupportCatalog } from '../domain/support-fee.js';
import { assetsSchema, configSchema, supportCatalogSchema, type AssetRecord, type Config } from './schema.js';
import { issueLines } from './setting-names.js';

/** The package folder: the nearest parent of this module with a package.json (works from src/ and dist/src/). */
/** The folder of this package (where package.json is), for bundled files. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The bundled fee tables: `<package>/config/support-plans.json`. */
export const BUNDLED_SUPPORT_PLANS = join(packageRoot(), 'config', 'support-plans.json');

async function readJson(file: string, code: ErrorCode): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ConnectorError(code, `cannot read ${file}: ${(cause as Error).message}`, { where: { file }, cause });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ConnectorError(code, `${file} is not valid JSON: ${(cause as Error).message}`, { where: { file }, cause });
  }
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, file: string, code: ErrorCode, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const lines = issueLines(file, schema, parsed.error);
    throw new ConnectorError(code, `${what} has ${lines.length} problem(s):\n  ${lines.join('\n  ')}`, { where: { file } });
  }
  return parsed.data;
}

export interface LoadedConfig {
  file: string;
  config: Config;
  catalog: SupportCatalog;
  catalogFile: string;
}

/** Reads and checks the config file and the fee tables it points to. */
export async function loadConfig(file: string): Promise<LoadedConfig> {
  const config = parseWith(configSchema, await readJson(file, 'CONFIG_INVALID'), file, 'CONFIG_INVALID', 'configuration');
  const catalogFile = config.supportPlansFile === undefined ? BUNDLED_SUPPORT_PLANS : resolve(dirname(file), config.supportPlansFile);
  const catalog = parseWith(supportCatalogSchema, await readJson(catalogFile, 'CONFIG_INVALID'), catalogFile, 'CONFIG_INVALID', 'support fee tables');
  const problems = catalogProblems(catalog);
  if (problems.length > 0) {
    throw new ConnectorError('CONFIG_INVALID', `support fee tables have ${problems.length} problem(s):\n  ${problems.map((p) => `${catalogFile}: ${p}`).join('\n  ')}`, {
      where: { file: catalogFile },
    });
  }
  return { file, config, catalog: { productCodes: catalog.productCodes, tables: catalog.tables }, catalogFile };
}

/** Reads and checks an assets file (dry runs): each asset maps a linked account to a subscription. */
export async function loadAssets(file: string): Promise<AssetRecord[]> {
  return parseWith(assetsSchema, await readJson(file, 'ASSETS_INVALID'), file, 'ASSETS_INVALID', 'assets file');
}
