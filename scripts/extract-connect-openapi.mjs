#!/usr/bin/env node
/**
 * Copies the parts of CloudBlue's Connect OpenAPI description (v37, Apache-2.0)
 * that the connector and its sandbox use into fixtures/connect-openapi/, so a
 * clean clone runs the contract tests without ../shared:
 *
 *   node scripts/extract-connect-openapi.mjs [../shared/data/connect-openapi-v37.yml]
 *
 * The paths are listed below; every `$ref` they reach is copied with them.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

/** path → methods used by the connector, the sandbox or the official SDK test. */
export const USED_PATHS = {
  '/requests': ['get'],
  '/requests/{id}': ['get', 'put'],
  '/requests/{id}/approve': ['post'],
  '/requests/{id}/fail': ['post'],
  '/requests/{id}/inquire': ['post'],
  '/requests/{id}/pend': ['post'],
  '/conversations': ['get'],
  '/conversations/{conversation_id}/messages': ['get', 'post'],
  '/products/{product_id}': ['get'],
  '/products/{product_product_id}/templates': ['get'],
  '/products/{product_product_id}/parameters': ['get'],
  '/products/{product_product_id}/items': ['get'],
  '/products/{product_product_id}/configurations': ['get'],
  '/tier/config-requests': ['get'],
  '/tier/config-requests/{id}': ['get', 'put'],
  '/tier/config-requests/{id}/approve': ['post'],
  '/tier/config-requests/{id}/fail': ['post'],
  '/tier/config-requests/{id}/inquire': ['post'],
  '/tier/config-requests/{id}/pend': ['post'],
  '/tier/configs': ['get'],
  '/assets': ['get'],
  '/assets/{id}': ['get'],
  '/marketplaces/{id}': ['get'],
  '/usage/files': ['get', 'post'],
  '/usage/files/{id}': ['get', 'put'],
  '/usage/files/{id}/upload': ['post'],
  '/usage/files/{id}/submit': ['post'],
  '/usage/files/{id}/delete': ['post'],
  '/usage/files/{id}/accept': ['post'],
  '/usage/files/{id}/reject': ['post'],
  '/usage/files/{id}/close': ['post'],
  '/usage/files/{id}/reprocess': ['post'],
  '/usage/products/{id}/template': ['get'],
};

const here = dirname(fileURLToPath(import.meta.url));
const source = process.argv[2] ?? join(here, '..', '..', 'shared', 'data', 'connect-openapi-v37.yml');
const doc = YAML.parse(readFileSync(source, 'utf8'));

const paths = {};
for (const [path, methods] of Object.entries(USED_PATHS)) {
  const item = doc.paths[path];
  if (!item) throw new Error(`${path} is not in ${source}`);
  const kept = {};
  for (const key of Object.keys(item)) if (methods.includes(key) || key === 'parameters') kept[key] = item[key];
  for (const method of methods) if (!kept[method]) throw new Error(`${method.toUpperCase()} ${path} is not in ${source}`);
  paths[path] = kept;
}

/** Copies every component a `$ref` reaches, transitively. */
const components = {};
const seen = new Set();
const visit = (node) => {
  if (Array.isArray(node)) return node.forEach(visit);
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/') && !seen.has(value)) {
      seen.add(value);
      const [, , kind, name] = value.split('/');
      const target = doc.components?.[kind]?.[name];
      if (target === undefined) throw new Error(`${value} is not in ${source}`);
      (components[kind] ??= {})[name] = target;
      visit(target);
    } else visit(value);
  }
};
visit(paths);
components.securitySchemes = doc.components.securitySchemes;
for (const kind of Object.keys(components)) components[kind] = Object.fromEntries(Object.entries(components[kind]).sort(([a], [b]) => a.localeCompare(b)));

const subset = {
  openapi: doc.openapi,
  info: {
    title: doc.info.title,
    version: doc.info.version,
    description:
      'The parts of the CloudBlue Connect API description (OpenAPI 3.0.3, version 37.0, generated 2025-05-30) that native-rating uses, ' +
      'copied unchanged by scripts/extract-connect-openapi.mjs. Source: file tests/data/specs.yml of cloudblue/connect-python-openapi-client, ' +
      'Copyright CloudBlue, licensed under the Apache License 2.0 (see LICENSE.txt beside this file).',
  },
  servers: doc.servers,
  security: doc.security,
  paths,
  components,
};
const outDir = join(here, '..', 'fixtures', 'connect-openapi');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'connect-openapi-v37.subset.json'), `${JSON.stringify(subset, null, 1)}\n`);
writeFileSync(join(outDir, 'LICENSE.txt'), readFileSync(join(dirname(source), 'connect-openapi-LICENSE.txt'), 'utf8'));
console.log(`${Object.keys(paths).length} paths, ${seen.size} components → ${outDir}`);
