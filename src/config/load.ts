/**
 * Loads configuration once: the config file, the support fee tables and (for dry
 * runs) the assets file. Every problem is listed at once, each naming the file
 * and the setting.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { ConnectorError, type ErrorCode } from '../domain/errors.js';
import { catalogProblems, type SupportCatalog } from '../domain/support-fee.js';
import { assetsSchema, configSchema, supportCatalogSchema, type AssetRecord, type Config } from './schema.js';
import { applyEnvironment } from './env.js';
import { issueLines, type SettingSource } from './setting-names.js';

/** The folder of this package: the nearest parent of this module with a package.json (works from src/, dist/src/ and the image's /app). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The version in this package's package.json (read at run time: the same from src/, dist/ and the image's /app). */
export function packageVersion(): string {
  const file = join(packageRoot(), 'package.json');
  const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string') throw new ConnectorError('INTERNAL', `${file} has no version`, { where: { file } });
  return version;
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

function parseWith<T>(schema: z.ZodType<T>, value: unknown, file: string, code: ErrorCode, what: string, sources: readonly SettingSource[] = []): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const lines = issueLines(file, schema, parsed.error, sources);
    throw new ConnectorError(code, `${what} has ${lines.length} problem(s):\n  ${lines.join('\n  ')}`, { where: { file } });
  }
  return parsed.data;
}

export interface LoadedConfig {
  file: string;
  config: Config;
  catalog: SupportCatalog;
  catalogFile: string;
  /** The environment variables whose values replaced the file's (`NATIVE_RATING_STATE_PATH`...), in table order. */
  overrides: string[];
}

/**
 * Reads and checks the config file and the fee tables it points to. `env`: the
 * variables put over the file's settings (`ENVIRONMENT` in env.ts: `CONNECT_API_URL`,
 * `NATIVE_RATING_STATE_PATH`...), checked by the same schema; a bad one is named
 * with its setting. Default: none (a composition root passes `process.env`).
 */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = {}): Promise<LoadedConfig> {
  const { raw, applied } = applyEnvironment(await readJson(file, 'CONFIG_INVALID'), env);
  const config = parseWith(configSchema, raw, file, 'CONFIG_INVALID', 'configuration', applied);
  const catalogFile = config.supportPlansFile === undefined ? BUNDLED_SUPPORT_PLANS : resolve(dirname(file), config.supportPlansFile);
  const catalog = parseWith(supportCatalogSchema, await readJson(catalogFile, 'CONFIG_INVALID'), catalogFile, 'CONFIG_INVALID', 'support fee tables');
  const problems = catalogProblems(catalog);
  if (problems.length > 0) {
    throw new ConnectorError('CONFIG_INVALID', `support fee tables have ${problems.length} problem(s):\n  ${problems.map((p) => `${catalogFile}: ${p}`).join('\n  ')}`, {
      where: { file: catalogFile },
    });
  }
  return { file, config, catalog: { productCodes: catalog.productCodes, tables: catalog.tables }, catalogFile, overrides: applied.map((a) => a.variable) };
}

/** Reads and checks an assets file (dry runs): each asset maps a linked account to a subscription. */
export async function loadAssets(file: string): Promise<AssetRecord[]> {
  return parseWith(assetsSchema, await readJson(file, 'ASSETS_INVALID'), file, 'ASSETS_INVALID', 'assets file');
}
