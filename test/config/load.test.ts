import type { ConnectorError } from '../../src/domain/errors.js';
import { describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAssets, loadConfig } from '../../src/config/load.js';
import { tempDir, writeJson } from '../support/run-cli.js';

describe('loadConfig()', () => {
  it('accepts the dry-run shape with only payers, filling every default', async () => {
    const dir = await tempDir();
    const { config, catalog } = await loadConfig(await writeJson(dir, 'c.json', { payers: [{ accountId: '111111111111' }] }));
    expect(config.rating).toEqual({ listPrice: 'unblended', includeTax: false, excludeLineItemTypes: [], supportPlanSource: 'ordered', recordGranularity: 'service', amountDecimals: 2, maxMarkup: '5', fxRange: { min: '0.0001', max: '100000' } });
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
    expect(config.connect).toEqual({ apiUrl: 'https://api.connect.cloudblue.com/public/v1', productIds: ['PRD-411-678-887'], timeoutMs: 30000, pageSize: 100, retries: 3 });
    expect(config.schedule).toEqual({ cron: '0 0 5 * *', timezone: 'UTC' });
    expect(config.state).toEqual({ path: './data/native-rating.db', outputDir: './data/runs' });
    expect(config.orders).toEqual({ concurrency: 4 });
    expect(config.aws).toEqual({ region: 'us-east-1', maxConcurrentCalls: 4, maxCallsPerSecond: 5, maxAttempts: 5, connectTimeoutMs: 5000, requestTimeoutMs: 30000 });
  });

  it("takes a payer's Athena settings and refuses a table name that is not [A-Za-z0-9_]+", async () => {
    const dir = await tempDir();
    const good = await loadConfig(
      await writeJson(dir, 'a.json', { payers: [{ accountId: '111111111111', athena: { database: 'cid_data_export', table: 'cur2', workgroup: 'primary', outputLocation: 's3://bucket/athena/' } }] }),
    );
    expect(good.config.payers[0]?.athena).toEqual({ database: 'cid_data_export', table: 'cur2', workgroup: 'primary', outputLocation: 's3://bucket/athena/', region: 'us-east-1', layout: 'cur2' });
    expect(good.config.admin).toBeUndefined();
    const bad = loadConfig(await writeJson(dir, 'b.json', { payers: [{ accountId: '111111111111', athena: { database: 'db', table: 'cur; DROP TABLE x' } }] }));
    await expect(bad).rejects.toThrow(/payers\[0\]\.athena\.table: must be \[A-Za-z0-9_\]\+/);
  });

  it("takes issue 5's payer settings, the account model in either case, and refuses a bad support role name", async () => {
    const dir = await tempDir();
    const good = await loadConfig(
      await writeJson(dir, 'g5.json', { payers: [{ accountId: '111111111111', accountModel: 'SPAM', providerDomains: ['reseller.example'], supportPlan: 'business', deliveryModel: 'resold', supportRole: { externalId: 'ext-1234' } }] }),
    );
    expect(good.config.payers[0]).toMatchObject({ accountModel: 'spam', supportPlan: 'business', deliveryModel: 'resold', supportRole: { name: 'PartnerReadOnlySupportRole', externalId: 'ext-1234' } });
    const bad = loadConfig(await writeJson(dir, 'b5.json', { payers: [{ accountId: '111111111111', supportRole: { name: 'bad role!' } }] }));
    await expect(bad).rejects.toThrow(/payers\[0\]\.supportRole\.name: must be an IAM role name/);
  });

  it('takes the order settings of issue 3 and names each bad one', async () => {
    const dir = await tempDir();
    const good = await loadConfig(
      await writeJson(dir, 'g.json', {
        payers: [{ accountId: '111111111111', roleArn: 'arn:aws:iam::111111111111:role/NativeRating', externalIdEnv: 'PAYER_EXTERNAL_ID', accountModel: 'spam', providerDomains: ['reseller.example'] }],
        connect: { productIds: ['PRD-411-678-887'], activationTemplateId: 'TL-111-111-111' },
        state: { path: '/var/lib/native-rating/state.db' },
        pollIntervalMs: 30000,
      }),
    );
    expect(good.config.payers[0]).toMatchObject({ roleArn: 'arn:aws:iam::111111111111:role/NativeRating', defaultSupportLevel: 'business' });
    expect(good.config.pollIntervalMs).toBe(30000);
    const bad = loadConfig(
      await writeJson(dir, 'b.json', {
        payers: [{ accountId: '111111111111', roleArn: 'role/x', accountModel: 'spam' }],
        connect: { productIds: ['PRD-1'], activationTemplateId: 'template' },
        pollIntervalMs: 10,
      }),
    );
    await expect(bad).rejects.toThrow(/payers\[0\]\.roleArn: must be an IAM role ARN/);
    await expect(bad).rejects.toThrow(/payers\[0\]\.providerDomains: the spam account model needs/);
    await expect(bad).rejects.toThrow(/connect\.activationTemplateId: must be a template id/);
    await expect(bad).rejects.toThrow(/pollIntervalMs/);
  });

  it('refuses a payer listed twice, an unknown setting and a JSON error, naming each', async () => {
    const dir = await tempDir();
    const twice = loadConfig(await writeJson(dir, 'a.json', { payers: [{ accountId: '111111111111' }, { accountId: '111111111111' }], rating: { markup: 2 } }));
    await expect(twice).rejects.toThrow(/payers\[1\]\.accountId: payer 111111111111 is listed twice/);
    await expect(twice).rejects.toThrow(/rating\.markup: unknown setting \(known here: listPrice, /);
    const broken = join(dir, 'b.json');
    await writeFile(broken, '{"payers": [');
    await expect(loadConfig(broken)).rejects.toThrow(/b\.json is not valid JSON/);
    await expect(loadConfig(join(dir, 'missing.json'))).rejects.toThrow(/cannot read .*missing\.json/);
  });

  it.each([
    ['marketplaceCurency', 'marketplaceCurrency'],
    ['fxrate', 'fxRate'],
    ['customMarkupp', 'customMarkup'],
    ['customMarkupMarketPlace', 'customMarkupMarketplace'],
  ])('refuses the misspelt payer setting %s, naming the setting it means (%s)', async (typo, meant) => {
    const dir = await tempDir();
    const file = await writeJson(dir, 'c.json', { payers: [{ accountId: '111111111111', [typo]: '0.9' }] });
    const error = (await loadConfig(file).catch((e: unknown) => e)) as ConnectorError;
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', where: { file } });
    expect(error.message).toContain(`${file}: payers[0].${typo}: unknown setting; did you mean ${meant}?`);
  });

  it('names an unknown setting at any depth, and every one at once', async () => {
    const dir = await tempDir();
    const file = await writeJson(dir, 'c.json', { payers: [{ accountId: '111111111111', athena: { database: 'd', table: 't', regoin: 'us-east-1' } }], ratingg: {}, state: { paht: 'x.db' } });
    const error = (await loadConfig(file).catch((e: unknown) => e)) as ConnectorError;
    expect(error.message).toContain('configuration has 3 problem(s)');
    expect(error.message).toContain('payers[0].athena.regoin: unknown setting; did you mean region?');
    expect(error.message).toContain('ratingg: unknown setting; did you mean rating?');
    expect(error.message).toContain('state.paht: unknown setting; did you mean path?');
  });

  it.each([
    ['0 0 0 5 * *', 'must have five fields (minute hour day month weekday), e.g. "0 0 5 * *": a sixth field (seconds)'],
    ['0 0 5 *', 'must have five fields (minute hour day month weekday), e.g. "0 0 5 * *": 4 given'],
    ['0 0 32 * *', '"0 0 32 * *" is not a valid cron expression'],
  ])('refuses schedule.cron %j at load, saying why', async (cron, why) => {
    const dir = await tempDir();
    const file = await writeJson(dir, 'c.json', { payers: [{ accountId: '111111111111' }], schedule: { cron } });
    const error = (await loadConfig(file).catch((e: unknown) => e)) as ConnectorError;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(`schedule.cron: ${why}`);
  });

  it('refuses a schedule.timezone that is not an IANA zone, and takes one that is', async () => {
    const dir = await tempDir();
    const bad = (await loadConfig(await writeJson(dir, 'a.json', { payers: [{ accountId: '111111111111' }], schedule: { timezone: 'Europe/Madird' } })).catch((e: unknown) => e)) as ConnectorError;
    expect(bad.message).toContain('schedule.timezone: "Europe/Madird" is not an IANA time zone');
    const good = await loadConfig(await writeJson(dir, 'b.json', { payers: [{ accountId: '111111111111' }], schedule: { timezone: 'Europe/Madrid', cron: '0 6 5 * *' } }));
    expect(good.config.schedule).toEqual({ timezone: 'Europe/Madrid', cron: '0 6 5 * *' });
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
    await expect(error).rejects.toThrow(/\[0\]\.accountId: must be 12 digits/);
    await expect(error).rejects.toThrow(/\[1\]\.assetId/);
  });
});
