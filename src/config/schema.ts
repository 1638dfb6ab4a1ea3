/**
 * The one configuration schema. A dry run needs `payers` and `rating`; the
 * sections only the daemon uses (`connect`, `aws`, `schedule`) are optional.
 * Money parameters are strings: a JSON number would already be binary floating
 * point, so it is refused with a message that says to quote it. Whether a markup
 * or rate is a usable decimal is decided per payer by the rating (one bad payer
 * never stops the others).
 */
import { z } from 'zod';

const ACCOUNT_ID = /^\d{12}$/;
const decimalParameter = (name: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? undefined : `${name} must be a quoted decimal string such as "1.1", not ${JSON.stringify(issue.input)}`) })
    .optional();

export const payerSchema = z
  .object({
    accountId: z.string().regex(ACCOUNT_ID, 'must be 12 digits'),
    marketplaceCurrency: z.string().optional(),
    fxRate: decimalParameter('fxRate'),
    customMarkup: decimalParameter('customMarkup'),
    customMarkupMarketplace: decimalParameter('customMarkupMarketplace'),
  })
  .loose();

export const ratingSchema = z
  .object({
    listPrice: z.enum(['unblended', 'on-demand']).default('unblended'),
    includeTax: z.boolean().default(false),
    excludeLineItemTypes: z.array(z.string().regex(/^[A-Za-z]+$/, 'must be a CUR line item type such as Credit')).default([]),
    supportPlanSource: z.enum(['ordered', 'detected']).default('ordered'),
    recordGranularity: z.enum(['service', 'usage-type']).default('service'),
    amountDecimals: z.number().int().min(0).max(6).default(2),
  })
  .strict();

export const itemsSchema = z
  .object({
    awsUsageMpn: z.string().min(1).default('AWS_USAGE'),
    marketplaceUsageMpn: z.string().min(1).default('AWS_MARKETPLACE_USAGE'),
    supportMpn: z.string().min(1).default('AWS_SUPPORT'),
  })
  .strict();

export const workbookSchema = z
  .object({
    /** CONNECT.md: the sheet name is a setting (`usage_records` is what the official SDKs upload). */
    recordsSheetName: z.string().min(1).max(31).default('usage_records'),
  })
  .strict();

export const engineSchema = z
  .object({
    /** DuckDB memory limit, e.g. "600MB". */
    memoryLimit: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'must be like "600MB"').default('600MB'),
    threads: z.number().int().min(1).max(64).default(2),
  })
  .strict();

/** Daemon only (issue 3/4): the platform's API. The API key comes from CONNECT_API_KEY, never from this file. */
export const connectSchema = z
  .object({
    apiUrl: z.url().default('https://api.connect.cloudblue.com/public/v1'),
    productIds: z.array(z.string().regex(/^PRD-[0-9-]+$/)).min(1),
    pollIntervalMs: z.number().int().min(1000).default(60_000),
  })
  .strict();

/** Daemon only: the monthly schedule. */
export const scheduleSchema = z
  .object({
    cron: z.string().default('0 0 5 * *'),
    timezone: z.string().default('UTC'),
  })
  .strict();

export const awsSchema = z.object({ region: z.string().default('us-east-1') }).strict();

export const configSchema = z
  .object({
    payers: z.array(payerSchema).min(1, 'list at least one payer'),
    rating: ratingSchema.prefault({}),
    items: itemsSchema.prefault({}),
    workbook: workbookSchema.prefault({}),
    engine: engineSchema.prefault({}),
    /** Path of the support fee tables, relative to the config file; default: the bundled config/support-plans.json. */
    supportPlansFile: z.string().optional(),
    connect: connectSchema.optional(),
    schedule: scheduleSchema.optional(),
    aws: awsSchema.optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.payers.forEach((p, i) => {
      if (seen.has(p.accountId)) ctx.addIssue({ code: 'custom', path: ['payers', i, 'accountId'], message: `payer ${p.accountId} is listed twice` });
      seen.add(p.accountId);
    });
  });

export type Config = z.infer<typeof configSchema>;
export type PayerConfig = z.infer<typeof payerSchema>;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const money = z.string().regex(/^\d+(\.\d+)?$/, 'must be a non-negative decimal string');

export const supportCatalogSchema = z
  .object({
    $comment: z.string().optional(),
    productCodes: z.record(
      z.string(),
      z.enum(['basic', 'developer', 'business', 'enterprise-on-ramp', 'enterprise', 'business-plus', 'unified-operations', 'unknown']),
    ),
    tables: z
      .array(
        z
          .object({
            id: z.string().min(1),
            plan: z.enum(['developer', 'business', 'enterprise-on-ramp', 'enterprise', 'business-plus', 'unified-operations']),
            validFrom: z.string().regex(DATE).nullable(),
            validUntil: z.string().regex(DATE).nullable(),
            minimumUsd: money,
            bands: z.array(z.object({ upToUsd: money.nullable(), rate: money }).strict()).min(1),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

/** One asset (subscription) of the assets file used by dry runs. */
export const assetSchema = z
  .object({
    assetId: z.string().min(1),
    accountId: z.string().regex(ACCOUNT_ID, 'must be 12 digits'),
    supportLevel: z.string().default(''),
    status: z.string().min(1),
    /** Last day (YYYY-MM-DD) a cancelled asset is still billed: its close countdown end. */
    billUntil: z.string().regex(DATE, 'must be YYYY-MM-DD').optional(),
    payerAccountId: z.string().regex(ACCOUNT_ID, 'must be 12 digits').optional(),
  })
  .loose();
export const assetsSchema = z.array(assetSchema);
export type AssetRecord = z.infer<typeof assetSchema>;
