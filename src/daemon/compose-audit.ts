/**
 * Composition root of the organization audit (issue 5): builds, once, what
 * `auditOrganization` needs from the configuration and the environment — the
 * platform's client (the subscriptions), one Organizations factory (the
 * daemon's, with its call limiter, when given), the support plan store on the
 * state database and one Support API detector per payer — and, per call, the
 * month's CUR source (local files with the embedded engine, or the payer's
 * Athena table). The CLI's `audit` and the daemon's month (before each payer)
 * come through here.
 */
import { STSClient } from '@aws-sdk/client-sts';
import { AthenaCurSource } from '../adapters/aws/athena-cur-source.js';
import { logAwsCalls, type CallLog } from '../adapters/aws/call-log.js';
import { awsClientOptions, awsTimeouts } from '../adapters/aws/client-options.js';
import { payerCredentials } from '../adapters/aws/credentials.js';
import { AwsOrganizationsFactory } from '../adapters/aws/organizations-factory.js';
import { DEFAULT_SUPPORT_ROLE_NAME, SupportPlanDetector } from '../adapters/aws/support-plans.adapter.js';
import { ConnectMonthPlatform } from '../adapters/connect/month-platform.js';
import type { ConnectHttpClient } from '../adapters/connect/http-client.js';
import type { Progress } from '../app/ports.js';
import { DuckDbCurSource } from '../adapters/engine/duckdb-cur-source.js';
import type { OrganizationsFactory } from '../app/orders/ports.js';
import type { CurSource } from '../app/ports.js';
import type { AssetLike } from '../app/subscriptions.js';
import { auditOrganization, type AuditOrganizationDeps, type OrganizationAudit } from '../app/support/audit-organization.js';
import { detectWithCache } from '../app/support/detect-plans.js';
import { assetsToSubscriptions, paramValue } from '../app/usage/platform-assets.js';
import { awsEndpoints, externalIdsOf } from '../config/env.js';
import type { LoadedConfig } from '../config/load.js';
import type { AssetRecord, PayerConfig } from '../config/schema.js';
import type { AuditSubscription } from '../domain/audit.js';
import { ConnectorError } from '../domain/errors.js';
import { evidenceOf } from '../domain/support-detection.js';
import { addDays, CLOSE_WAIT_DAYS } from '../domain/orders/countdown.js';
import { openStateDatabase, type StateDatabase } from '../store/database.js';
import { SqliteSupportPlanStore } from '../store/support-plans.store.js';

/** Detected plans by account, for the accounts asked; the Support API's answer or a stand-in's. */
export type DetectPlans = NonNullable<AuditOrganizationDeps['detect']>;

/** What the audit reads from the environment: read by the caller (a composition root), never below. */
export interface AuditEnv {
  /** `CONNECT_API_KEY`: with `connect` in the configuration, the subscriptions come from the platform's assets. */
  apiKey?: string;
  /** The environment: the payers' `externalIdEnv` variables and `AWS_ENDPOINT_URL_*`. */
  variables: NodeJS.ProcessEnv;
  /** For tests and the sandbox: the Organizations endpoint (else the SDK's, honouring AWS_ENDPOINT_URL_ORGANIZATIONS). Unused when `organizations` is given. */
  organizationsEndpoint?: string;
  /** Detected plans in place of the Support API (a test's, the sandbox's); absent: the Support API, cached in the state database. */
  detect?: DetectPlans;
}

export interface AuditComposeOptions {
  now: () => Date;
  /** The Organizations factory to share (the daemon's, with its call limiter); otherwise one is built for this runtime. */
  organizations?: OrganizationsFactory;
  /** The platform's HTTP client to share (the daemon's); otherwise one is built. */
  http?: ConnectHttpClient;
  /** An open state database to share (the daemon's): never closed here. Otherwise the configured one is opened at the first detection and closed by `close()`. */
  state?: StateDatabase;
  /** A remark for a person (the audit goes on): e.g. auditing without subscriptions. */
  onNote?: (text: string) => void;
  /** The audit's progress: the CUR scan, then the accounts whose plan is known. */
  onProgress?: (progress: Progress) => void;
  /** Every AWS call at debug level (`LOG_LEVEL=debug`). */
  callLog?: CallLog;
}

/** One payer's audit. */
export interface AuditPayerRequest {
  /** A payer of the configuration (`payers[].accountId`). */
  payerAccountId: string;
  /** `YYYY-MM`: the month whose CUR is compared and whose detections are cached; absent: no CUR signals, detections cached for the current month. */
  period?: string;
  /** Local CUR files (a file or a folder), read with the embedded engine; absent: the payer's Athena table, when it has one. Read only with `period`. */
  cur?: string;
  /** The subscriptions as assets (an assets file's records; those of other payers are left out); absent: the platform's assets, when it is configured. */
  assets?: readonly AssetRecord[];
  /** Ask the Support API for each member's plan. Default true; ignored when `AuditEnv.detect` is given. */
  detect?: boolean;
}

export interface AuditRuntime {
  /** Gathers the payer's facts and audits them. Throws `ConnectorError` (CONFIG_INVALID for a payer not in the configuration, the adapters' codes otherwise). */
  auditPayer(request: AuditPayerRequest, signal: AbortSignal): Promise<OrganizationAudit>;
  /** Closes the state database this runtime opened (a shared one stays open). */
  close(): void;
}

/** A subscription as the audit reads it: ordered level (default business), the closure day of a cancelled one (its countdown end − 60 days), the customer's name where known. */
function toAuditSubscription(a: AssetLike, deliveryModel?: string, customer?: string): AuditSubscription {
  return {
    assetId: a.assetId,
    accountId: a.accountId,
    supportLevel: a.supportLevel || 'business',
    status: a.status,
    ...(a.billUntil ? { closedAt: addDays(a.billUntil, -CLOSE_WAIT_DAYS) } : {}),
    ...(deliveryModel ? { deliveryModel } : {}),
    ...(customer ? { customer } : {}),
    // A billing-transfer subscription names another organization's management account (issue 13).
    ...(typeof a.accountType === 'string' && a.accountType !== '' ? { accountType: a.accountType } : {}),
  };
}

/** The assets file's optional `customer` (the customer's name), when it is non-blank text. */
function customerOf(record: AssetRecord): string | undefined {
  const value: unknown = record['customer'];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** `AWS_ENDPOINT_URL_SUPPORT`, else `AWS_ENDPOINT_URL` (blank counts as unset), as the SDK reads them. */
function supportEndpoint(variables: NodeJS.ProcessEnv): string | undefined {
  for (const name of ['AWS_ENDPOINT_URL_SUPPORT', 'AWS_ENDPOINT_URL']) {
    const value = variables[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

/**
 * Builds the audit's adapters once; `auditPayer` may be called any number of
 * times (one payer at a time or several at once). Nothing is called, and no
 * state database opened, before the first `auditPayer`.
 */
export function composeAudit(loaded: LoadedConfig, env: AuditEnv, options: AuditComposeOptions): AuditRuntime {
  const { config } = loaded;
  const externalIds = externalIdsOf(env.variables, config);
  const endpoints = awsEndpoints(env.variables);
  const support = supportEndpoint(env.variables);
  const organizations = options.organizations ?? new AwsOrganizationsFactory({
      region: config.aws.region,
      maxAttempts: config.aws.maxAttempts,
      maxConcurrent: config.aws.maxConcurrentCalls,
      maxCallsPerSecond: config.aws.maxCallsPerSecond,
      timeouts: awsTimeouts(config),
      ...(env.organizationsEndpoint ? { endpoint: env.organizationsEndpoint } : {}),
      ...(options.callLog ? { callLog: options.callLog } : {}),
    });
  const connect = config.connect;
  const platform =
    options.http ? new ConnectMonthPlatform(options.http) : connect && env.apiKey ? new ConnectMonthPlatform({ apiUrl: connect.apiUrl, apiKey: env.apiKey, timeoutMs: connect.timeoutMs, retries: connect.retries }) : undefined;

  let opened: StateDatabase | undefined;
  let store: SqliteSupportPlanStore | undefined;
  const plans = (): SqliteSupportPlanStore => {
    if (!store) {
      const state = options.state ?? (opened = openStateDatabase(config.state.path));
      store = new SqliteSupportPlanStore(state.db);
    }
    return store;
  };
  const logged = (sts: STSClient): STSClient => (options.callLog ? logAwsCalls(sts, options.callLog) : sts);
  const detectors = new Map<string, SupportPlanDetector>();
  const detectorOf = (payer: PayerConfig, externalId: string | undefined): SupportPlanDetector => {
    const known = detectors.get(payer.accountId);
    if (known) return known;
    // Role chaining: the payer's credentials (its role, when it has one) assume the read-only role in each member.
    const payerCreds = payer.roleArn
      ? payerCredentials(
          { accountId: payer.accountId, roleArn: payer.roleArn, ...(externalId ? { externalId } : {}) },
          { sts: logged(new STSClient({ ...awsClientOptions(awsTimeouts(config)), region: 'us-east-1', ...(endpoints.sts ? { endpoint: endpoints.sts } : {}) })) },
        )
      : undefined;
    const detector = new SupportPlanDetector({
      roleName: payer.supportRole?.name ?? DEFAULT_SUPPORT_ROLE_NAME,
      ...(payer.supportRole?.externalId ? { externalId: payer.supportRole.externalId } : {}),
      ...(payerCreds ? { credentials: payerCreds } : {}),
      ...(endpoints.sts ? { stsEndpoint: endpoints.sts } : {}),
      ...(support ? { supportEndpoint: support } : {}),
      maxAttempts: loaded.config.aws.maxAttempts,
      maxConcurrent: config.aws.maxConcurrentCalls,
      maxCallsPerSecond: config.aws.maxCallsPerSecond,
      timeouts: awsTimeouts(config),
      now: options.now,
      ...(options.callLog ? { callLog: options.callLog } : {}),
    });
    detectors.set(payer.accountId, detector);
    return detector;
  };

  const subscriptionsOf = async (payer: PayerConfig, request: AuditPayerRequest, signal: AbortSignal): Promise<AuditSubscription[]> => {
    if (request.assets !== undefined) {
      return request.assets.filter((a) => a.payerAccountId === undefined || a.payerAccountId === payer.accountId).map((a) => toAuditSubscription(a, a.deliveryModel, customerOf(a)));
    }
    if (!platform || !connect) {
      options.onNote?.('no --assets and no platform (connect + CONNECT_API_KEY): auditing without subscriptions');
      return [];
    }
    const listed = await platform.listAssets(connect.productIds, signal);
    // The subscription's delivery model, when the product has a `delivery_model` parameter.
    const delivery = new Map(listed.map((a) => [a.id, paramValue(a, 'delivery_model')]));
    // The customer's name: the asset's tiers.customer.name.
    const customers = new Map(listed.map((a) => [a.id, a.customer.name.trim()]));
    const { assets } = assetsToSubscriptions(listed, options.now(), { resellerPayers: new Map(), defaultPayer: config.payers.length === 1 ? payer.accountId : undefined });
    return assets.filter((a) => a.payerAccountId === payer.accountId).map((a) => toAuditSubscription(a, delivery.get(a.assetId), customers.get(a.assetId)));
  };

  const curOf = (payer: PayerConfig, request: AuditPayerRequest, externalId: string | undefined): (CurSource & { close?: () => Promise<void> }) | undefined => {
    if (request.period === undefined) return undefined;
    if (request.cur !== undefined) return new DuckDbCurSource(request.cur, { memoryLimit: config.engine.memoryLimit, threads: config.engine.threads });
    const a = payer.athena;
    if (!a) return undefined;
    return new AthenaCurSource({
      payerAccountId: payer.accountId,
      database: a.database,
      table: a.table,
      layout: a.layout,
      region: a.region,
      runVersion: 1,
      ...(a.workgroup ? { workgroup: a.workgroup } : {}),
      ...(a.outputLocation ? { outputLocation: a.outputLocation } : {}),
      ...(payer.roleArn ? { roleArn: payer.roleArn } : {}),
      ...(externalId ? { externalId } : {}),
      endpoints,
      timeouts: awsTimeouts(config),
      ...(options.callLog ? { callLog: options.callLog } : {}),
    });
  };

  const detectOf = (payer: PayerConfig, request: AuditPayerRequest, externalId: string | undefined): DetectPlans | undefined => {
    if (env.detect) return env.detect;
    if (request.detect === false) return undefined;
    const cache = plans();
    const detector = detectorOf(payer, externalId);
    const month = request.period ?? options.now().toISOString().slice(0, 7);
    return async (accounts, signal, onDetected) =>
      new Map(
        (await detectWithCache(cache, detector, accounts, month, signal, onDetected ? { onDetected: (d) => onDetected(d.accountId) } : {})).map((d) => [d.accountId, { plan: d.plan, evidence: evidenceOf(d) }]),
      );
  };

  return {
    async auditPayer(request, signal) {
      const payer = config.payers.find((p) => p.accountId === request.payerAccountId);
      if (!payer) {
        throw new ConnectorError('CONFIG_INVALID', `payer ${JSON.stringify(request.payerAccountId)} is not in ${loaded.file} payers[]`, {
          where: { file: loaded.file, setting: 'payers', value: request.payerAccountId },
        });
      }
      const subscriptions = await subscriptionsOf(payer, request, signal);
      const externalId = externalIds.get(payer.accountId);
      const port = organizations.forPayer({ accountId: payer.accountId, ...(payer.roleArn ? { roleArn: payer.roleArn } : {}), ...(externalId ? { externalId } : {}) });
      const cur = curOf(payer, request, externalId);
      try {
        const detect = detectOf(payer, request, externalId);
        return await auditOrganization(
          { organizations: port, ...(cur ? { cur } : {}), catalog: loaded.catalog, ...(detect ? { detect } : {}), now: options.now, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
          {
            payer: {
              accountId: payer.accountId,
              ...(payer.supportPlan ? { supportPlan: payer.supportPlan } : {}),
              ...(payer.deliveryModel ? { deliveryModel: payer.deliveryModel } : {}),
              ...(payer.accountModel ? { accountModel: payer.accountModel } : {}),
              providerDomains: payer.providerDomains,
              supportRoleName: payer.supportRole?.name ?? DEFAULT_SUPPORT_ROLE_NAME,
            },
            subscriptions,
            ...(request.period ? { period: request.period } : {}),
            inviteStaleDays: config.inviteStaleDays,
            signal,
          },
        );
      } finally {
        await cur?.close?.();
      }
    },
    close() {
      opened?.close();
      opened = undefined;
      store = undefined;
    },
  };
}
