import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUPS_SERVICES, GROUPS_USAGE_TYPES, generateCur, generateCurForGroups } from '../../bench/generate-cur.js';
import { DuckDbCurSource } from '../../src/adapters/engine/duckdb-cur-source.js';
import { runEngineLimit } from '../../src/adapters/engine/engine-limit.js';
import type { CurAggregateRequest } from '../../src/app/ports.js';
import type { CurGroup } from '../../src/domain/cur.js';
import { Money } from '../../src/domain/money.js';

const byUsageType: CurAggregateRequest = { period: '2026-10', listPrice: 'unblended', granularity: 'usage-type' };

async function groupsOf(path: string, request: CurAggregateRequest = byUsageType): Promise<CurGroup[]> {
  const source = new DuckDbCurSource(path, { memoryLimit: '256MB' });
  try {
    const all: CurGroup[] = [];
    for await (const batch of (await source.aggregate(request)).groups) all.push(...batch);
    return all;
  } finally {
    await source.close();
  }
}

/** Groups in a stable order (the query orders by payer and account only). */
const sorted = (groups: CurGroup[]): CurGroup[] => [...groups].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
const total = (groups: CurGroup[]): string => groups.reduce((t, g) => t.plus(g.unblendedUsd), new Money(0)).toFixed();

describe('generateCurForGroups()', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'generate-cur-groups-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a CUR of one payer that yields exactly the groups asked for at usage-type granularity', async () => {
    const path = join(dir, 'g.csv');
    const result = await generateCurForGroups({ groups: 2500, path, payer: '123456789012', seed: 3 });
    expect(result).toMatchObject({ path, groups: 2500, accounts: 3 });
    expect(result.rows).toBeGreaterThan(2500 * 1.3);
    expect(result.rows).toBeLessThan(2500 * 1.7);
    const groups = await groupsOf(path);
    expect(groups).toHaveLength(2500);
    expect(groups.reduce((n, g) => n + g.rows, 0)).toBe(result.rows);
    expect(new Set(groups.map((g) => g.payerAccountId))).toEqual(new Set(['123456789012']));
    expect(new Set(groups.map((g) => g.accountId)).size).toBe(3);
    expect(new Set(groups.map((g) => g.productCode)).size).toBe(GROUPS_SERVICES);
    expect(new Set(groups.map((g) => g.usageType)).size).toBeGreaterThanOrEqual(GROUPS_USAGE_TYPES);
    expect(groups.every((g) => g.rows === 1 || g.rows === 2)).toBe(true);
    // At service granularity the same file folds into accounts × services.
    expect(await groupsOf(path, { ...byUsageType, granularity: 'service' })).toHaveLength(2 * GROUPS_SERVICES + Math.ceil(500 / GROUPS_USAGE_TYPES));
  });

  it('writes the same groups as gzip CSV and as Parquet', async () => {
    const csv = await generateCurForGroups({ groups: 1200, path: join(dir, 'same.csv'), seed: 5 });
    const gz = await generateCurForGroups({ groups: 1200, path: join(dir, 'same.csv.gz'), seed: 5, format: 'gzip' });
    const parquet = await generateCurForGroups({ groups: 1200, path: join(dir, 'same.parquet'), seed: 5, format: 'parquet' });
    expect(gz.rows).toBe(csv.rows);
    expect(parquet.rows).toBe(csv.rows);
    const [a, b, c] = await Promise.all([groupsOf(csv.path), groupsOf(gz.path), groupsOf(parquet.path)]);
    expect(sorted(b)).toEqual(sorted(a));
    expect(c).toHaveLength(1200);
    expect(total(c)).toBe(total(a));
  });

  it('refuses a group count that is not a positive whole number', async () => {
    await expect(generateCurForGroups({ groups: 0, path: join(dir, 'x.csv') })).rejects.toThrow(/groups/);
  });
});

describe('generateCur() as Parquet', () => {
  it('writes the rows AWS-typed (DOUBLE amounts, TIMESTAMP period) with the same totals as the CSV', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'generate-cur-parquet-'));
    try {
      const csv = await generateCur({ rows: 3000, path: join(dir, 'cur.csv'), seed: 9 });
      const parquet = await generateCur({ rows: 3000, path: join(dir, 'cur.parquet'), seed: 9, format: 'parquet' });
      expect(parquet.rows).toBe(3000);
      const [a, b] = await Promise.all([groupsOf(csv.path), groupsOf(parquet.path)]);
      expect(b).toHaveLength(a.length);
      expect(total(b)).toBe(total(a));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('runEngineLimit()', () => {
  it('groups on the same keys as the rating query', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'engine-limit-'));
    try {
      const csv = await generateCur({ rows: 3000, path: join(dir, 'cur.csv'), seed: 9 });
      for (const granularity of ['service', 'usage-type'] as const) {
        for (const listPrice of ['unblended', 'on-demand'] as const) {
          const request = { ...byUsageType, granularity, listPrice };
          const limit = await runEngineLimit(csv.path, request, { memoryLimit: '256MB' });
          expect(limit, `${granularity} ${listPrice}`).toEqual({ groups: (await groupsOf(csv.path, request)).length, rows: 3000 });
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
