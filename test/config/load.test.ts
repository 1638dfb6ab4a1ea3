import { describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAssets, loadConfig } from '../../src/config/load.js';
import { tempDir, writeJson } from '../support/run-cli.js';

describe('loadConfig()', () => {
  it('accepts the dry-run shape with only payers, filling every default', async () => {
    const dir = await tempDir();
    const { config, catalog } = await loadConfig(await writeJson(dir, 'c.json', { payers: [{ accountId: '111111111111' }] }));
    expect(config.rating).toEqual({ listPrice: 'unblended', includeTax: false, excludeLineItemTypes: [], supportPlanSource: 'ordered', recordGranularity: 'service', amountDecimals: 2 });
    expect(config.items).toEqual({ awsUsageMpn: 'AWS_USAGE', marketplaceUsageMpn: 'AWS_MARKETPLACE_USAGE', supportMpn: 'AWS_SUPPORT' });
    expect(config.workbook.recordsSheetName).toBe('usage_records');
    expect(config.connect).toBeUndefined();
    expect(config.schedule).toBeUndefined();
    expect(catalog.tables.length).toBe(7);
  });

  it('accepts the daemon sections when given', async () => {
    const dir = await tempDir();
    const { config } = await loadConfig(
      await writeJson(dir, 'c.json', { payers: [{ accountId: '111111111111' }], connect: { productIds: ['PRD-411-678-887'] }, schedule: {} }),
    );
    expect(config.connect).toEqual({ apiUrl: 'https://api.connect.cloudblue.com/public/v1', productIds: ['PRD-411-678-887'], pollIntervalMs: 60000 });
    expect(config.schedule).toEqual({ cron: '0 0 5 * *', timezone: 'UTC' });
  });

  it('refuses a payer listed twice, an unknown setting and a JSON error, naming each', async () => {
    const dir = await tempDir();
    const twice = loadConfig(await writeJson(dir, 'a.json', { payers: [{ accountId: '111111111111' }, { accountId: '111111111111' }], rating: { markup: 2 } }));
    await expect(twice).rejects.toThrow(/payers\.1\.accountId: payer 111111111111 is listed twice/);
    await expect(twice).rejects.toThrow(/rating: Unrecognized key: "markup"/);
    const broken = join(dir, 'b.json');
    await writeFile(broken, '{"payers": [');
    await expect(loadConfig(broken)).rejects.toThrow(/b\.json is not valid JSON/);
    await expect(loadConfig(join(dir, 'missing.json'))).rejects.toThrow(/cannot read .*missing\.json/);
  });

  it('refuses fee tables that overlap', async () => {
    const dir = await tempDir();
    const table = { id: 'x', plan: 'developer', validFrom: null, validUntil: null, minimumUsd: '29', bands: [{ upToUsd: null, rate: '0.03' }] };
    await writeJson(dir, 'plans.json', { productCodes: {}, tables: [table, { ...table, id: 'y' }] });
    const config = await writeJson(dir, 'c.json', { payers: [{ accountId: '111111111111' }], supportPlansFile: 'plans.json' });
    await expect(loadConfig(config)).rejects.toThrow(/tables x and y of plan developer are both valid/);
  });
});

describe('loadAssets()', () => {
  it('names every bad asset field', async () => {
    const dir = await tempDir();
    const path = await writeJson(dir, 'assets.json', [{ assetId: 'AS-1', accountId: '12', status: 'active' }, { accountId: '222222222222' }]);
    const error = loadAssets(path);
    await expect(error).rejects.toThrow(/0\.accountId: must be 12 digits/);
    await expect(error).rejects.toThrow(/1\.assetId/);
  });
});
