/**
 * `npx native-rating audit --payer 111111111111 [--period 2026-10] [--format table|json|html] [--out <file>]`:
 * the organization of one payer against the reseller's rules (issue 5). Members
 * come from Organizations; subscriptions from `--assets` or the platform's
 * assets; the month's CUR (`--cur`, else the payer's Athena table) when a period is given.
 */
import { writeFile } from 'node:fs/promises';
import { AthenaCurSource } from '../adapters/aws/athena-cur-source.js';
import { STSClient } from '@aws-sdk/client-sts';
import { payerCredentials } from '../adapters/aws/credentials.js';
import { AwsOrganizationsFactory } from '../adapters/aws/organizations-factory.js';
import { SupportPlanDetector } from '../adapters/aws/support-plans.adapter.js';
import { detectWithCache } from '../app/support/detect-plans.js';
import { openStateDatabase } from '../store/database.js';
import { SqliteSupportPlanStore } from '../store/support-plans.store.js';
import { ConnectMonthPlatform } from '../adapters/connect/month-platform.js';
import { DuckDbCurSource } from '../adapters/engine/duckdb-cur-source.js';
import type { CurSource } from '../app/ports.js';
import { auditOrganization, type AuditOrganizationDeps, type OrganizationAudit } from '../app/support/audit-organization.js';
import { assetsToSubscriptions, paramValue } from '../app/usage/platform-assets.js';
import { externalIdsOf } from '../config/env.js';
import { loadAssets, loadConfig } from '../config/load.js';
import type { AuditSubscription, SeenPlan } from '../domain/audit.js';
import { ConnectorError } from '../domain/errors.js';
import { addDays, CLOSE_WAIT_DAYS } from '../domain/orders/countdown.js';
import type { AssetLike } from '../app/subscriptions.js';
import { auditHtml, auditTable } from './audit-output.js';
import type { CommandIo } from './rate.command.js';

export interface AuditOptions {
  payer: string;
  config: string;
  period?: string;
  format?: string;
  out?: string;
  cur?: string;
  assets?: string;
  /** Detect each member's plan through the Support API (default true; `--no-detect`). */
  detect?: boolean;
}

export interface AuditEnv {
  apiKey?: string;
  variables: NodeJS.ProcessEnv;
  /** For tests and the sandbox: the Organizations endpoint (else the SDK's, honouring AWS_ENDPOINT_URL_ORGANIZATIONS). */
  organizationsEndpoint?: string;
  /** Detected plans (the Support API); absent: not detected in this run. */
  detect?: AuditOrganizationDeps['detect'];
}

const FORMATS = ['table', 'json', 'html'];

/** A subscription as the audit reads it: ordered level (default business), and the closure day of a cancelled one (its countdown end − 60 days). */
function toAuditSubscription(a: AssetLike, deliveryModel?: string): AuditSubscription {
  return {
    assetId: a.assetId,
    accountId: a.accountId,
    supportLevel: a.supportLevel || 'business',
    status: a.status,
    ...(a.billUntil ? { closedAt: addDays(a.billUntil, -CLOSE_WAIT_DAYS) } : {}),
    ...(deliveryModel ? { deliveryModel } : {}),
  };
}

export async function runAudit(options: AuditOptions, io: CommandIo, env: AuditEnv, signal: AbortSignal = new AbortController().signal): Promise<OrganizationAudit> {
  const format = options.format ?? 'table';
  if (!FORMATS.includes(format)) throw new ConnectorError('CONFIG_INVALID', `--format ${JSON.stringify(format)} is not one of ${FORMATS.join(', ')}`, { where: { setting: '--format', value: format } });
  if (format === 'html' && options.out === undefined) throw new ConnectorError('CONFIG_INVALID', '--format html writes a page: give --out <file.html>', { where: { setting: '--out' } });
  if (options.period !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(options.period)) throw new ConnectorError('CONFIG_INVALID', `--period ${JSON.stringify(options.period)} is not YYYY-MM`, { where: { setting: '--period', value: options.period } });
  const loaded = await loadConfig(options.config);
  const { config } = loaded;
  const payer = config.payers.find((p) => p.accountId === options.payer);
  if (!payer) throw new ConnectorError('CONFIG_INVALID', `--payer ${JSON.stringify(options.payer)} is not in ${options.config} payers[]`, { where: { file: options.config, setting: 'payers', value: options.payer } });

  let subscriptions: AuditSubscription[] = [];
  if (options.assets !== undefined) {
    subscriptions = (await loadAssets(options.assets))
      .filter((a) => a.payerAccountId === undefined || a.payerAccountId === payer.accountId)
      .map((a) => toAuditSubscription(a, a.deliveryModel));
  } else if (config.connect && env.apiKey) {
    const platform = new ConnectMonthPlatform({ apiUrl: config.connect.apiUrl, apiKey: env.apiKey, timeoutMs: config.connect.timeoutMs, retries: config.connect.retries });
    const listed = await platform.listAssets(config.connect.productIds, signal);
    // The subscription's delivery model, when the product has a `delivery_model` parameter.
    const delivery = new Map(listed.map((a) => [a.id, paramValue(a, 'delivery_model')]));
    const { assets } = assetsToSubscriptions(listed, io.now(), { resellerPayers: new Map(), defaultPayer: config.payers.length === 1 ? payer.accountId : undefined });
    subscriptions = assets
      .filter((a) => a.payerAccountId === payer.accountId)
      .map((a) => toAuditSubscription(a, delivery.get(a.assetId)));
  } else {
    io.stderr('no --assets and no platform (connect + CONNECT_API_KEY): auditing without subscriptions\n');
  }

  const externalId = externalIdsOf(env.variables, config).get(payer.accountId);
  const organizations = new AwsOrganizationsFactory({ ...(env.organizationsEndpoint ? { endpoint: env.organizationsEndpoint } : {}) }).forPayer({
    accountId: payer.accountId,
    ...(payer.roleArn ? { roleArn: payer.roleArn } : {}),
    ...(externalId ? { externalId } : {}),
  });
  let cur: CurSource | undefined;
  let local: DuckDbCurSource | undefined;
  if (options.period !== undefined) {
    if (options.cur !== undefined) cur = local = new DuckDbCurSource(options.cur, { memoryLimit: config.engine.memoryLimit, threads: config.engine.threads });
    else if (payer.athena) {
      const a = payer.athena;
      cur = new AthenaCurSource({ payerAccountId: payer.accountId, database: a.database, table: a.table, layout: a.layout, region: a.region, runVersion: 1, ...(a.workgroup ? { workgroup: a.workgroup } : {}), ...(a.outputLocation ? { outputLocation: a.outputLocation } : {}), ...(payer.roleArn ? { roleArn: payer.roleArn } : {}), ...(externalId ? { externalId } : {}) });
    }
  }
  const state = options.detect === false || env.detect ? undefined : openStateDatabase(config.state.path);
  let detect = env.detect;
  if (state) {
    // Role chaining: the payer's credentials (its role, when it has one) assume the read-only role in each member.
    const payerCreds = payer.roleArn ? payerCredentials({ accountId: payer.accountId, roleArn: payer.roleArn, ...(externalId ? { externalId } : {}) }, { sts: new STSClient({ region: 'us-east-1' }) }) : undefined;
    const detector = new SupportPlanDetector({
      roleName: payer.supportRole?.name ?? 'PartnerReadOnlySupportRole',
      ...(payer.supportRole?.externalId ? { externalId: payer.supportRole.externalId } : {}),
      ...(payerCreds ? { credentials: payerCreds } : {}),
    });
    const store = new SqliteSupportPlanStore(state.db);
    const month = options.period ?? io.now().toISOString().slice(0, 7);
    detect = async (accounts, s) => new Map((await detectWithCache(store, detector, accounts, month, s)).map((d) => [d.accountId, d.plan]));
  }
  try {
    const audit = await auditOrganization(
      { organizations, ...(cur ? { cur } : {}), catalog: loaded.catalog, ...(detect ? { detect } : {}), now: io.now },
      {
        payer: { accountId: payer.accountId, ...(payer.supportPlan ? { supportPlan: payer.supportPlan } : {}), ...(payer.deliveryModel ? { deliveryModel: payer.deliveryModel } : {}), ...(payer.accountModel ? { accountModel: payer.accountModel } : {}), providerDomains: payer.providerDomains },
        subscriptions,
        ...(options.period ? { period: options.period } : {}),
        inviteStaleDays: config.inviteStaleDays,
        signal,
      },
    );
    const text = format === 'json' ? `${JSON.stringify(audit, null, 2)}\n` : format === 'html' ? auditHtml(audit) : auditTable(audit);
    if (options.out !== undefined) {
      await writeFile(options.out, text, 'utf8');
      io.stdout(`${auditTable(audit).split('\n')[0] ?? ''}\nwritten: ${options.out}\n`);
    } else io.stdout(text);
    return audit;
  } finally {
    local?.close();
    state?.close();
  }
}

/** Plans detected elsewhere (e.g. a file of a previous detection), for callers that have them. */
export type DetectedPlans = Map<string, SeenPlan>;
