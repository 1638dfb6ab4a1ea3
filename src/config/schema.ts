/**
 * The one configuration schema. A dry run needs `payers` and `rating`; the
 * order processing needs `connect` too. `aws`, `state`, `orders` and
 * `pollIntervalMs` have defaults; `schedule` is optional.
 * Money parameters are strings: a JSON number would already be binary floating
 * point, so it is refused with a message that says to quote it. Whether a markup
 * or rate is a usable decimal is decided per payer by the rating (one bad payer
 * never stops the others).
 */
import { validate as validateCron } from 'node-cron';
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
    /** Role in the payer to assume for Organizations (absent: the default credential chain is the payer). */
    roleArn: z.string().regex(/^arn:aws:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]+$/, 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/Name').optional(),
    /** The role's external id, when it is kept in this file (prefer `externalIdEnv`); never logged. */
    externalId: z.string().min(2).max(1224).regex(/^[\w+=,.@:/-]+$/, 'must be an STS external id (letters, digits, +=,.@:/-)').optional(),
    /** Where this payer's CUR is in Athena (issue 4); without it the payer is rated from local files only. */
    athena: z
      .object({
        database: z.string().regex(/^[A-Za-z0-9_]+$/, 'must be [A-Za-z0-9_]+ (it becomes an SQL identifier)'),
        table: z.string().regex(/^[A-Za-z0-9_]+$/, 'must be [A-Za-z0-9_]+ (it becomes an SQL identifier)'),
        workgroup: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be an Athena workgroup name').optional(),
        outputLocation: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'must be an S3 location such as s3://bucket/prefix/').optional(),
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1').default('us-east-1'),
        layout: z.enum(['legacy', 'cur2']).default('cur2'),
      })
      .strict()
      .optional(),
    /** The platform product and contract of this payer's usage file (default product: connect.productIds[0]). */
    usage: z
      .object({
        productId: z.string().regex(/^PRD-[0-9-]+$/, 'must be a product id such as PRD-411-678-887').optional(),
        contractId: z.string().regex(/^CRD-[0-9-]+$/, 'must be a contract id such as CRD-00000-00000-00000').optional(),
      })
      .strict()
      .optional(),
    /** Name of the environment variable holding the role's external id (a secret: never in this file). */
    externalIdEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name such as PAYER_EXTERNAL_ID').optional(),
    /** FULFILLMENT.md account model: SPAM (provider's domains) or ECAM (customer's own domains); either case. */
    accountModel: z
      .enum(['spam', 'ecam', 'SPAM', 'ECAM'])
      .transform((m) => m.toLowerCase() as 'spam' | 'ecam')
      .optional(),
    /** The payer's own AWS support plan (issue 5's audit: which member plans it allows). */
    supportPlan: z.enum(['basic', 'developer', 'business', 'enterprise-on-ramp', 'enterprise', 'business-plus', 'unified-operations']).optional(),
    /** How support is delivered to the members: the same for every member of a payer. */
    deliveryModel: z.enum(['resold', 'partner-led']).optional(),
    /** Partner-Led Support discount on the distributor's support cost (MARGIN.md §3): base + 0.05 per measure met, at most 0.40. */
    partnerLedSupport: z
      .object({
        baseDiscount: z
          .string({ error: (issue) => (issue.input === undefined ? 'baseDiscount is required' : `baseDiscount must be a quoted decimal string such as "0.25", not ${JSON.stringify(issue.input)}`) })
          // [0, 0.40] as text, no float: 0, or 0. followed by 0-3 and any digits, or by 4 and zeros.
          .regex(/^0(\.([0-3]\d*|40*))?$/, 'baseDiscount must be a decimal from "0" to "0.40" such as "0.25"'),
        caseQuality: z.boolean().default(false),
        caseOwnership: z.boolean().default(false),
        qualitySurvey: z.boolean().default(false),
      })
      .strict()
      .optional(),
    /** The read-only role in member accounts used to detect their support plan (issue 5). */
    supportRole: z
      .object({
        name: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (letters, digits and +=,.@_-, at most 64)').default('PartnerReadOnlySupportRole'),
        externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be an STS external id (letters, digits, +=,.@:/-)').optional(),
      })
      .strict()
      .optional(),
    /** The provider's e-mail domains, for the account model checks. */
    providerDomains: z.array(z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a domain such as reseller.example')).default([]),
    /** The support plan members get without a manual step. */
    defaultSupportLevel: z.enum(['basic', 'developer', 'business', 'enterprise-on-ramp', 'enterprise', 'business-plus', 'unified-operations']).default('business'),
  })
  // Strict: a misspelt money setting (`marketplaceCurency`, `fxrate`) must stop the run, not bill in USD at markup 1.
  .strict()
  .superRefine((payer, ctx) => {
    if (payer.externalId !== undefined && payer.externalIdEnv !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['externalId'], message: 'give externalId or externalIdEnv, not both' });
    }
    if (payer.accountModel === 'spam' && payer.providerDomains.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['providerDomains'], message: 'the spam account model needs the provider\'s domains' });
    }
  });

export const ratingSchema = z
  .object({
    listPrice: z.enum(['unblended', 'on-demand']).default('unblended'),
    includeTax: z.boolean().default(false),
    excludeLineItemTypes: z.array(z.string().regex(/^[A-Za-z]+$/, 'must be a CUR line item type such as Credit')).default([]),
    supportPlanSource: z.enum(['ordered', 'detected']).default('ordered'),
    recordGranularity: z.enum(['service', 'usage-type']).default('service'),
    amountDecimals: z.number().int().min(0).max(6).default(2),
    /** The largest markup billed: a larger customMarkup or customMarkupMarketplace is refused as a likely mistake (raise it on purpose). */
    maxMarkup: z.string().regex(/^\d+(\.\d+)?$/, 'must be a plain decimal string such as "5"').default('5'),
    /** The fx rates billed (USD → the payer's currency), both ends included: a rate outside is refused as a likely mistake. */
    fxRange: z
      .object({
        min: z.string().regex(/^\d+(\.\d+)?$/, 'must be a plain decimal string such as "0.0001"'),
        max: z.string().regex(/^\d+(\.\d+)?$/, 'must be a plain decimal string such as "100000"'),
      })
      .strict()
      .default({ min: '0.0001', max: '100000' }),
  })
  .strict();

export const itemsSchema = z
  .object({
    awsUsageMpn: z.string().min(1).default('AWS_USAGE'),
    marketplaceUsageMpn: z.string().min(1).default('AWS_MARKETPLACE_USAGE'),
    supportMpn: z.string().min(1).default('AWS_SUPPORT'),
    /** Item of custom lines and credits (MARGIN.md §4); absent: awsUsageMpn. */
    customLineMpn: z.string().min(1).optional(),
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
    apiUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://api.connect.cloudblue.com/public/v1' }).default('https://api.connect.cloudblue.com/public/v1'),
    productIds: z.array(z.string().regex(/^PRD-[0-9-]+$/)).min(1),
    /** Kept for configs written before `pollIntervalMs` moved to the top level; the top-level value wins. */
    pollIntervalMs: z.number().int().min(1000).optional(),
    /** Template for approvals; default: the product's first template of scope asset and type fulfillment. */
    activationTemplateId: z.string().regex(/^TL-[0-9A-Za-z-]+$/, 'must be a template id such as TL-123-456-789').optional(),
    /** Template for tier configuration approvals; default: the product's first template of scope tier1/tier2. */
    tierTemplateId: z.string().regex(/^TL-[0-9A-Za-z-]+$/, 'must be a template id such as TL-123-456-789').optional(),
    /** Per HTTP call. */
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    /** List page size (CONNECT.md: 100 is safe, up to 1000 expected to work). */
    pageSize: z.number().int().min(1).max(1000).default(100),
    /** Retries after the first try, on network errors, timeouts, 5xx and 429. */
    retries: z.number().int().min(0).max(10).default(3),
  })
  .strict();

/** Daemon only: the monthly schedule. */
export const scheduleSchema = z
  .object({
    /** Five fields: minute, hour, day of month, month, day of week (`0 0 5 * *`: 00:00 on the 5th). */
    cron: z
      .string()
      .default('0 0 5 * *')
      .superRefine((cron, ctx) => {
        const fields = cron.trim().split(/\s+/).filter((f) => f !== '').length;
        if (fields !== 5) {
          const why = fields === 6 ? 'a sixth field (seconds) would run the month every second of the minute it names' : `${fields} given`;
          ctx.addIssue({ code: 'custom', message: `must have five fields (minute hour day month weekday), e.g. "0 0 5 * *": ${why}` });
        } else if (!validateCron(cron)) {
          ctx.addIssue({ code: 'custom', message: `${JSON.stringify(cron)} is not a valid cron expression (e.g. "0 0 5 * *": 00:00 on the 5th)` });
        }
      }),
    /** IANA time zone the expression and the month are read in. */
    timezone: z
      .string()
      .default('UTC')
      .superRefine((zone, ctx) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: zone });
        } catch {
          ctx.addIssue({ code: 'custom', message: `${JSON.stringify(zone)} is not an IANA time zone (e.g. "UTC", "Europe/Madrid")` });
        }
      }),
  })
  .strict();

export const awsSchema = z
  .object({
    region: z.string().default('us-east-1'),
    /** AWS calls in flight at once, across all payers. */
    maxConcurrentCalls: z.number().int().min(1).max(64).default(4),
    /** AWS calls started per second, across all payers (Organizations throttles hard). */
    maxCallsPerSecond: z.number().min(0.1).max(100).default(5),
    /** SDK attempts per call (standard retry mode: throttling and 5xx are retried). */
    maxAttempts: z.number().int().min(1).max(10).default(5),
    /** How long an AWS connection may take to open, ms: a hung endpoint fails the attempt instead of stalling a cycle. */
    connectTimeoutMs: z.number().int().min(100).max(60_000).default(5_000),
    /** How long an AWS call may wait for its answer (or a result download may stay silent), ms. */
    requestTimeoutMs: z.number().int().min(1_000).max(600_000).default(30_000),
  })
  .strict();

/** Local state (issue 3): the embedded SQLite database. */
export const stateSchema = z
  .object({
    /** Relative to the current directory. */
    path: z.string({ error: 'must be a file path such as ./data/native-rating.db' }).min(1, 'must be a file path such as ./data/native-rating.db').default('./data/native-rating.db'),
    /** Where the daemon's monthly runs write their workbooks, reports and diffs. */
    outputDir: z.string({ error: 'must be a folder path such as ./data/runs' }).min(1, 'must be a folder path such as ./data/runs').default('./data/runs'),
  })
  .strict();

const PORT = 'must be a whole number from 0 to 65535 (0: any free port)';

/** The admin HTTP server (issue 4): health, readiness, metrics, runs, reprocess. The token comes from ADMIN_TOKEN. */
export const adminSchema = z
  .object({
    /** Loopback by default: expose it on purpose, behind a proxy or in a pod. */
    host: z.string({ error: 'must be an address such as 127.0.0.1, 0.0.0.0 or ::' }).min(1, 'must be an address such as 127.0.0.1, 0.0.0.0 or ::').default('127.0.0.1'),
    port: z.number({ error: PORT }).int(PORT).min(0, PORT).max(65535, PORT).default(8080),
  })
  .strict();

/** Order processing (issue 3). */
export const ordersSchema = z
  .object({
    /** Requests handled at once in a cycle. */
    concurrency: z.number().int().min(1).max(64).default(4),
  })
  .strict();

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
    aws: awsSchema.prefault({}),
    state: stateSchema.prefault({}),
    orders: ordersSchema.prefault({}),
    /** Present: the daemon serves the admin endpoint (health, readiness, metrics, runs, reprocess). */
    admin: adminSchema.optional(),
    /** Time between poll cycles of the daemon. */
    pollIntervalMs: z.number().int().min(1000).optional(),
    /** The audit: invitations not accepted after this many days are reported (issue 5). */
    inviteStaleDays: z.number().int().min(1).max(15).default(7),
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
    /** The support delivery model of the subscription, for the audit (`resold` or `partner-led`). */
    deliveryModel: z.enum(['resold', 'partner-led']).optional(),
    /** The customer's name, shown beside the account id in report.html and report.csv. */
    customer: z.string().trim().min(1, 'must not be empty').optional(),
  })
  .loose();
export const assetsSchema = z.array(assetSchema);
export type AssetRecord = z.infer<typeof assetSchema>;
