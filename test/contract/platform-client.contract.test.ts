/**
 * Every call the platform client can send, against the sandbox, judged by the
 * platform's published OpenAPI description (fixtures/connect-openapi/): what the
 * client sends must be what the API accepts, and what the client parses must
 * be what the API answers. The list of client operations below is the client's
 * whole surface; a new call the client learns must be added here.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectPlatform } from '../../src/adapters/connect/connect-platform.js';
import { ConnectMonthPlatform } from '../../src/adapters/connect/month-platform.js';
import { ConnectUsageFiles } from '../../src/adapters/connect/usage-files.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import type { SeedInput } from '../../src/sandbox/seed.js';
import { ConnectContract, ContractRecorder } from '../support/connect-contract.js';

const PRODUCT = 'PRD-411-678-887';
const CONTRACT = 'CRD-00000-00000-00000';
const party = (n: number) => ({ id: `TA-0000-0000-000${n}`, name: `Reseller ${n}` });
const SEED: SeedInput = {
  apiKey: 'SU-000-000-000:contract-secret',
  products: [
    {
      id: PRODUCT,
      templates: [
        { id: 'TL-111-111-111', name: 'Ready', scope: 'asset', type: 'fulfillment' },
        { id: 'TL-222-222-222', name: 'Reseller ok', scope: 'tier1', type: 'fulfillment' },
      ],
      configuration: { customMarkup: '1.1', fxRate: '0.92' },
      contractId: CONTRACT,
    },
  ],
  requests: ['001', '002', '003', '004'].map((n) => ({
    id: `PR-2000-0000-0001-${n}`,
    type: 'purchase',
    productId: PRODUCT,
    customer: `Customer ${n}`,
    params: { account_type: 'new', account_email: `c${n}@example.com`, account_name: `Customer ${n}` },
  })),
  tierConfigRequests: [1, 2, 3].map((n) => ({ id: `TCR-000-000-000-00${n}`, productId: PRODUCT, account: party(n), params: { payerAccountId: '111111111111' } })),
  assets: [{ id: 'AS-3000-0000-0001', productId: PRODUCT, customer: 'Seeded Ltd', params: { aws_account_id: '222222222222' } }],
};

/** The client's whole surface: every operation of the description it calls (the probes before a resend included). */
const CLIENT_OPERATIONS = [
  'GET dp_request_list_listRequests',
  'GET dp_request_detail_retrieveRequest',
  'PUT dp_request_detail_updateRequest',
  'POST dp_request_approve_postApproveRequest',
  'POST dp_request_fail_postFailRequest',
  'POST dp_request_inquire_postInquireRequest',
  'GET conversations_conversations_list_listConversations',
  'GET conversations_conversation_messages_list_listMessages',
  'POST conversations_conversation_messages_list_createMessage',
  'GET dp_product_templates_list_listTemplates',
  'GET dp_tier_config_request_list_listTierConfigRequests',
  'PUT dp_tier_config_request_detail_updateTierConfigRequest',
  'POST dp_tier_config_request_approve_postApproveTierConfigRequest',
  'POST dp_tier_config_request_fail_postFailTierConfigRequest',
  'POST dp_tier_config_request_inquire_postInquireTierConfigRequest',
  'GET dp_tier_config_list_listTierConfigurations',
  'GET dp_asset_list_listSubscriptions',
  'GET dp_product_configurations_list_listProductConfigurationDataViews',
  'GET dp_marketplace_detail_retrieveMarketplace',
  'GET dp_products_detail_retrieveProductVersion',
  'GET usage_products_get_product_template_file_getGet_product_template_fileProduct',
  'POST usage_usage_file_list_createUsageFile',
  'GET usage_usage_file_list_listUsageFiles',
  'GET usage_usage_file_detail_retrieveUsageFile',
  'POST usage_usage_file_upload_usage_file_postUpload_usage_fileUsageFile',
  'POST usage_usage_file_submit_usage_file_postSubmit_usage_fileUsageFile',
  'POST usage_usage_file_delete_usage_file_postDelete_usage_fileUsageFile',
];

let sandbox: Sandbox;
let recorder: ContractRecorder;
let platform: ConnectPlatform;
let usage: ConnectUsageFiles;
let month: ConnectMonthPlatform;
const signal = new AbortController().signal;

beforeAll(async () => {
  recorder = new ContractRecorder(await ConnectContract.load());
  sandbox = await startSandbox({ seed: SEED, onExchange: recorder.onExchange });
  const options = { apiUrl: sandbox.platformUrl, apiKey: sandbox.apiKey, retries: 1, baseDelayMs: 0, sleep: async () => undefined };
  platform = new ConnectPlatform(options);
  usage = new ConnectUsageFiles(options);
  month = new ConnectMonthPlatform(options);
});
afterAll(async () => sandbox.close());

async function workbook(header: string[]): Promise<Uint8Array> {
  const book = new ExcelJS.Workbook();
  const records = book.addWorksheet('usage_records');
  records.addRow(header);
  const row: Record<string, string | number> = {
    record_id: 'r-1', record_note: 'Amazon EC2', item_search_criteria: 'item.mpn', item_search_value: 'AWS_USAGE', amount: 10.5, quantity: 1,
    start_time_utc: '2026-10-01 00:00:00', end_time_utc: '2026-10-31 23:59:59', asset_search_criteria: 'parameter.aws_account_id', asset_search_value: '222222222222', category_id: 'aws_services',
  };
  records.addRow(header.map((h) => row[h] ?? ''));
  book.addWorksheet('categories').addRows([['category_id', 'category_name', 'category_description'], ['aws_services', 'AWS', 'AWS usage']]);
  return new Uint8Array(await book.xlsx.writeBuffer());
}

describe('the platform client against the published contract', () => {
  it('fulfillment: lists, reads, updates, approves, fails and inquires requests, and keeps notes', async () => {
    const pending = await platform.listPendingRequests({ productIds: [PRODUCT], signal });
    expect(pending.map((r) => r.id)).toEqual(['PR-2000-0000-0001-001', 'PR-2000-0000-0001-002', 'PR-2000-0000-0001-003', 'PR-2000-0000-0001-004']);
    await expect(platform.getRequest('PR-2000-0000-0001-001', signal)).resolves.toMatchObject({ id: 'PR-2000-0000-0001-001', status: 'pending' });
    await platform.updateRequestParams('PR-2000-0000-0001-001', [{ id: 'aws_account_id', value: '900000000001' }], signal);
    await platform.approveRequest('PR-2000-0000-0001-001', 'TL-111-111-111', signal);
    await platform.failRequest('PR-2000-0000-0001-002', 'Refused', signal);
    await platform.updateRequestParams('PR-2000-0000-0001-003', [{ id: 'account_email', valueError: 'not an e-mail' }], signal);
    await platform.inquireRequest('PR-2000-0000-0001-003', signal);
    await platform.addRequestNote('PR-2000-0000-0001-004', 'Close the account in the AWS console', signal);
    await expect(platform.listRequestNotes('PR-2000-0000-0001-004', signal)).resolves.toEqual(['Close the account in the AWS console']);
    await expect(platform.listTemplates(PRODUCT, 'asset', signal)).resolves.toEqual(expect.arrayContaining([{ id: 'TL-111-111-111', name: 'Ready' }]));
    const state = sandbox.platform.state;
    expect(['001', '002', '003'].map((n) => state.request(`PR-2000-0000-0001-${n}`)?.status)).toEqual(['approved', 'failed', 'inquiring']);
  });

  it('an approve that met a 502 looks before sending again, and the request is approved once', async () => {
    sandbox.platform.addFault({ method: 'POST', pathPrefix: '/requests/PR-2000-0000-0001-004/approve', status: 502 });
    await platform.updateRequestParams('PR-2000-0000-0001-004', [{ id: 'aws_account_id', value: '900000000004' }], signal);
    await platform.approveRequest('PR-2000-0000-0001-004', 'TL-111-111-111', signal);
    expect(sandbox.platform.state.history('PR-2000-0000-0001-004').filter((h) => h.action === 'approve')).toHaveLength(1);
  });

  it('tier configuration: lists, updates, approves, fails and inquires, and reads approved settings', async () => {
    const tcrs = await platform.listPendingTierConfigRequests({ productIds: [PRODUCT], signal });
    expect(tcrs.map((t) => t.id)).toEqual(['TCR-000-000-000-001', 'TCR-000-000-000-002', 'TCR-000-000-000-003']);
    await platform.updateTierConfigParams('TCR-000-000-000-001', [{ id: 'payerAccountId', value: '111111111111' }], signal);
    await platform.approveTierConfig('TCR-000-000-000-001', 'TL-222-222-222', signal);
    await platform.failTierConfig('TCR-000-000-000-002', 'Unknown reseller', signal);
    await platform.inquireTierConfig('TCR-000-000-000-003', signal);
    await expect(platform.getTierConfigParams('TA-0000-0000-0001', PRODUCT, signal)).resolves.toEqual(expect.arrayContaining([expect.objectContaining({ id: 'payerAccountId', value: '111111111111' })]));
    const state = sandbox.platform.state;
    expect([1, 2, 3].map((n) => state.tierConfigRequest(`TCR-000-000-000-00${n}`)?.status)).toEqual(['approved', 'failed', 'inquiring']);
  });

  it('the month: assets, configuration values and the marketplace currency', async () => {
    const assets = await month.listAssets([PRODUCT], signal);
    expect(assets.map((a) => a.id)).toContain('AS-3000-0000-0001');
    await expect(month.marketplaceConfiguration(PRODUCT, 'MP-48301', signal)).resolves.toMatchObject({ customMarkup: '1.1', fxRate: '0.92' });
    await expect(month.marketplaceCurrency('MP-48301', signal)).resolves.toBe('EUR');
  });

  it('usage files: schema, template, create, find, upload, poll, submit and delete', async () => {
    await expect(usage.productUsageSchema(PRODUCT, signal)).resolves.toBe('PR');
    const columns = await usage.usageTemplateColumns(PRODUCT, signal);
    expect(columns).toContain('record_id');
    const file = await usage.create(
      { name: 'AWS usage', description: 'contract test', periodFrom: '2026-10-01', periodTo: '2026-10-31', currency: 'EUR', productId: PRODUCT, contractId: CONTRACT, externalId: '111111111111-2026-10-v1' },
      signal,
    );
    expect(file).toMatchObject({ status: 'draft', externalId: '111111111111-2026-10-v1', productId: PRODUCT });
    await expect(usage.findByExternalId(PRODUCT, '111111111111-2026-10-v1', signal)).resolves.toEqual([expect.objectContaining({ id: file.id })]);
    let current = await usage.upload(file.id, await workbook(columns ?? []), '111111111111-2026-10-v1.xlsx', signal);
    const seen = [current.status];
    for (let i = 0; i < 10 && !['ready', 'invalid'].includes(current.status); i += 1) seen.push((current = await usage.get(file.id, signal)).status);
    expect(seen).toContain('uploaded');
    expect(current).toMatchObject({ status: 'ready' });
    await expect(usage.submit(file.id, signal)).resolves.toMatchObject({ status: 'pending' });
    const other = await usage.create(
      { name: 'AWS usage v2', description: 'to delete', periodFrom: '2026-10-01', periodTo: '2026-10-31', currency: 'EUR', productId: PRODUCT, contractId: CONTRACT, externalId: '111111111111-2026-10-v2' },
      signal,
    );
    await usage.delete(other.id, signal);
    await expect(usage.get(other.id, signal)).resolves.toMatchObject({ status: 'deleted' });
  });

  it('every call sent and every answer parsed is what the description allows', () => {
    expect(recorder.violations()).toEqual([]);
    expect([...recorder.operations()].sort()).toEqual([...CLIENT_OPERATIONS].sort());
  });
});
