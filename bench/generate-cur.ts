/**
 * Synthetic CUR month for the benchmark: a legacy-header CUR CSV (optionally
 * gzip, or Parquet converted by DuckDB's COPY) with a realistic mix of accounts,
 * services and line item types; or (`generateCurForGroups`) a CUR that yields a
 * chosen number of result groups for one payer at `usage-type` granularity.
 *
 * - Deterministic: a seeded mulberry32 PRNG; the same options give the same bytes.
 * - Amounts are built as text from random integers (an integer count of
 *   1e-10 USD, always a safe integer), never from a formatted float. They have
 *   up to 10 decimals; tiny ones are sometimes in CUR's `1.304297E-4` style;
 *   a few cells are empty.
 * - Streams with backpressure in ~1 MiB chunks, so millions of rows need
 *   little memory.
 *
 * The first rows are a fixed "prelude": one row of every line item type, one
 * support fee row per account with a support plan, one row per Marketplace
 * product. After that rows are drawn at random in realistic proportions
 * (mostly Usage; ~3% Marketplace).
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export interface GenerateCurOptions {
  /** Data rows to write (the header line is extra). */
  rows: number;
  /** Output file. */
  path: string;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Linked accounts including the payer's own (default 40). */
  accounts?: number;
  /** Services (AWS product codes) to use (default 60). */
  services?: number;
  /** Payer account id, 12 digits (default `111111111111`). */
  payer?: string;
  /** Billing period `YYYY-MM` (default `2026-10`). */
  period?: string;
  /** gzip-compress the output (default false); same as `format: 'gzip'`. */
  gzip?: boolean;
  /** `csv` (default), `gzip` (gzip-compressed CSV) or `parquet` (see `CurFileFormat`). */
  format?: CurOutputFormat;
}

/**
 * How a generated CUR is written: CSV, gzip-compressed CSV, or Parquet as AWS writes
 * it (snake_case column names, amounts DOUBLE, the billing period TIMESTAMP).
 */
export type CurOutputFormat = 'csv' | 'gzip' | 'parquet';

export interface GenerateCurResult {
  path: string;
  /** Size of the written file in bytes. */
  bytes: number;
  /** Data rows written. */
  rows: number;
}

/** The legacy CUR columns the generator writes, in order. */
export const GENERATED_CUR_HEADER = [
  'identity/LineItemId',
  'bill/BillingEntity',
  'bill/BillType',
  'bill/PayerAccountId',
  'bill/BillingPeriodStartDate',
  'bill/BillingPeriodEndDate',
  'lineItem/UsageAccountId',
  'lineItem/LineItemType',
  'lineItem/UsageStartDate',
  'lineItem/UsageEndDate',
  'lineItem/ProductCode',
  'lineItem/UsageType',
  'lineItem/Operation',
  'lineItem/ResourceId',
  'lineItem/UsageAmount',
  'lineItem/CurrencyCode',
  'lineItem/UnblendedCost',
  'product/ProductName',
  'product/region',
  'pricing/publicOnDemandCost',
  'reservation/ReservationARN',
] as const;

/** Every line item type the generator writes (the prelude has one row of each). */
export const GENERATED_LINE_ITEM_TYPES = [
  'Usage',
  'DiscountedUsage',
  'SavingsPlanCoveredUsage',
  'SavingsPlanNegation',
  'SavingsPlanRecurringFee',
  'SavingsPlanUpfrontFee',
  'RIFee',
  'Fee',
  'Credit',
  'Refund',
  'BundledDiscount',
  'Tax',
  'SppDiscount',
  'EdpDiscount',
  'PrivateRateDiscount',
  'RiVolumeDiscount',
  'DistributorDiscount',
  'Discount',
  'FlatRateSubscription',
] as const;

type LineItemType = (typeof GENERATED_LINE_ITEM_TYPES)[number];
/** What the body draws: a line item type, or a Marketplace usage row. */
type Kind = LineItemType | 'Marketplace';

/** [product code, product name, 5 usage types, operations] — real AWS names. */
const SERVICE_CATALOG: readonly (readonly [string, string, string, string])[] = [
  ['AmazonEC2', 'Amazon Elastic Compute Cloud', 'BoxUsage:m6i.large|BoxUsage:t3.medium|EBS:VolumeUsage.gp3|NatGateway-Hours|DataTransfer-Regional-Bytes', 'RunInstances|CreateVolume-Gp3|NatGateway'],
  ['AmazonS3', 'Amazon Simple Storage Service', 'TimedStorage-ByteHrs|Requests-Tier1|Requests-Tier2|TimedStorage-INT-FA-ByteHrs|DataTransfer-Out-Bytes', 'StandardStorage|PutObject|GetObject'],
  ['AmazonRDS', 'Amazon Relational Database Service', 'InstanceUsage:db.t3.medium|InstanceUsage:db.r6g.large|RDS:GP2-Storage|Aurora:StorageIOUsage|RDS:ChargedBackupUsage', 'CreateDBInstance:0002|CreateDBInstance:0016'],
  ['AWSLambda', 'AWS Lambda', 'Lambda-GB-Second|Request|Lambda-GB-Second-ARM|Request-ARM|Lambda-Provisioned-GB-Second', 'Invoke'],
  ['AmazonCloudWatch', 'AmazonCloudWatch', 'CW:MetricMonitorUsage|CW:Requests|DataProcessing-Bytes|TimedStorage-ByteHrs|CW:AlarmMonitorUsage', 'MetricStorage|GetMetricData|PutLogEvents'],
  ['AmazonRoute53', 'Amazon Route 53', 'HostedZone|DNS-Queries|Health-Check-AWS|Intra-AWS-DNS-Queries|LBR-Queries', 'HostedZone|Query'],
  ['AWSDataTransfer', 'AWS Data Transfer', 'DataTransfer-Out-Bytes|DataTransfer-In-Bytes|DataTransfer-Regional-Bytes|USW2-AWS-Out-Bytes|CloudFront-Out-Bytes', 'RunInstances|PublicIP-Out'],
  ['AmazonDynamoDB', 'Amazon DynamoDB', 'ReadRequestUnits|WriteRequestUnits|TimedStorage-ByteHrs|ReadCapacityUnit-Hrs|TimedBackupStorage-ByteHrs', 'PayPerRequestThroughput|StandardStorage'],
  ['AmazonVPC', 'Amazon Virtual Private Cloud', 'PublicIPv4:InUseAddress|VpcEndpoint-Hours|VpcEndpoint-Bytes|VPN-Usage-Hours:ipsec.1|TransitGateway-Hours', 'AssociateAddressVPC|VpcEndpoint'],
  ['AmazonCloudFront', 'Amazon CloudFront', 'US-DataTransfer-Out-Bytes|EU-DataTransfer-Out-Bytes|US-Requests-Tier1|US-Requests-Tier2-HTTPS|Invalidations', 'GET|GET-Origin'],
  ['AmazonECS', 'Amazon Elastic Container Service', 'Fargate-vCPU-Hours:perCPU|Fargate-GB-Hours|Fargate-EphemeralStorage-GB-Hours|ECS-EC2-vCPU-Hours|ECS-EC2-GB-Hours', 'FargateTask'],
  ['AmazonEKS', 'Amazon Elastic Container Service for Kubernetes', 'AmazonEKS-Hours:perCluster|AmazonEKS-Hours:extendedSupport|Fargate-vCPU-Hours:perCPU|Fargate-GB-Hours|EKS-AutoMode-Hours', 'CreateOperation'],
  ['AmazonECR', 'Amazon EC2 Container Registry (ECR)', 'TimedStorage-ByteHrs|DataTransfer-Out-Bytes|DataTransfer-Regional-Bytes|PullThroughCache|Scanning', 'StorageOperation'],
  ['AmazonElastiCache', 'Amazon ElastiCache', 'NodeUsage:cache.t3.medium|NodeUsage:cache.r6g.large|ElastiCache:ServerlessStorage|ElastiCache:ECPU|ElastiCache:BackupUsage', 'CreateCacheCluster:0002'],
  ['AmazonRedshift', 'Amazon Redshift', 'Node:ra3.xlplus|RMS:ManagedStorage|RedshiftServerless:Usage|Node:dc2.large|PaidSnapshots', 'RunComputeNode:0001'],
  ['AmazonES', 'Amazon OpenSearch Service', 'ESInstance:r6g.large|ES:GP3-Storage|ESInstance:t3.medium|ES:PIOPS|ServerlessOCU', 'ESDomain'],
  ['AmazonSNS', 'Amazon Simple Notification Service', 'Requests-Tier1|DeliveryAttempts-HTTP|DeliveryAttempts-SMTP|SMS-Sent|DataTransfer-Out-Bytes', 'Publish|Notification'],
  ['AWSQueueService', 'Amazon Simple Queue Service', 'Requests-RBP|Requests-FIFO-RBP|DataTransfer-Out-Bytes|Requests-Tier1|DataTransfer-In-Bytes', 'ReceiveMessage|SendMessage'],
  ['AmazonKinesis', 'Amazon Kinesis', 'Storage-ShardHour|PutRequestPayloadUnits|OnDemand-StreamHour|OnDemand-BilledIncomingBytes|ExtendedRetention-ShardHour', 'shardHourStorage'],
  ['AmazonKinesisFirehose', 'Amazon Kinesis Firehose', 'BilledBytes|FormatConversion|VpcDelivery|DynamicPartitioning|BilledBytes-Vended', 'PutRecordBatch'],
  ['AWSGlue', 'AWS Glue', 'ETL-DPU-Hour|Crawler-DPU-Hour|Catalog-Request|Catalog-Storage|DataBrew-Node-Hour', 'Jobrun|CrawlerRun'],
  ['AmazonAthena', 'Amazon Athena', 'DataScannedInTB|DPU-Hour|ProvisionedCapacity-DPU|Federated-Query|Notebook-DPU', 'RunQuery'],
  ['AmazonSageMaker', 'Amazon SageMaker', 'Notebk:ml.t3.medium|Host:ml.m5.large|Train:ml.g5.xlarge|Processing:ml.m5.xlarge|Studio:VolumeUsage.gp2', 'RunInstance|CreateEndpoint'],
  ['AmazonEFS', 'Amazon Elastic File System', 'TimedStorage-ByteHrs|IATimedStorage-ByteHrs|DataAccess-Bytes|ProvisionedTP-MiBpsHrs|ElasticThroughput-Bytes', 'Storage'],
  ['AmazonFSx', 'Amazon FSx', 'Storage:SSD|ThroughputCapacity|BackupUsage|Storage:HDD|SSD-IOPS', 'CreateFileSystem'],
  ['AWSBackup', 'AWS Backup', 'WarmStorage-ByteHrs-EBS|WarmStorage-ByteHrs-EFS|ColdStorage-ByteHrs|Restore-Bytes|CrossRegion-Bytes', 'Storage'],
  ['AWSCloudTrail', 'AWS CloudTrail', 'PaidEventsRecorded|DataEventsRecorded|InsightsEvents|LakeIngestion-Bytes|PaidEventsAnalyzed', 'None'],
  ['AWSConfig', 'AWS Config', 'ConfigurationItemRecorded|ConfigRuleEvaluations|ConformancePackEvaluations|PeriodicConfigurationItem|CustomConfigItem', 'None'],
  ['AWSSecretsManager', 'AWS Secrets Manager', 'AWSSecretsManager-Secrets|AWSSecretsManagerAPIRequest|AWSSecretsManager-Rotation|AWSSecretsManager-Replica|AWSSecretsManager-Secrets-Usage', 'StoreSecret|GetSecretValue'],
  ['awskms', 'AWS Key Management Service', 'KMS-Keys|KMS-Requests|KMS-Requests-Asymmetric|KMS-Requests-GenerateDataKeyPair|KMS-Keys-Rotation', 'CreateKey|Decrypt'],
  ['AmazonGuardDuty', 'Amazon GuardDuty', 'PaidEventsAnalyzed|PaidS3DataEventsAnalyzed|PaidVPCFlowLogsBytes|PaidDNSLogsBytes|PaidRuntimeMonitoring-vCPU-Hours', 'None'],
  ['AWSSecurityHub', 'AWS Security Hub', 'PaidComplianceCheck|PaidFindingsIngested|PaidAutomationRule|PaidStandardsCheck|PaidInsights', 'None'],
  ['AmazonInspectorV2', 'Amazon Inspector', 'EC2InstanceScan|ECRImageScan|LambdaFunctionScan|LambdaCodeScan|ECRRescan', 'Scan'],
  ['awswaf', 'AWS WAF', 'WebACL|Rule|Request|BotControl-Request|ManagedRuleGroup', 'None'],
  ['AmazonApiGateway', 'Amazon API Gateway', 'ApiGatewayRequest|ApiGatewayHttpRequest|ApiGatewayCacheUsage:0.5|ApiGatewayMessage|ApiGatewayMinute', 'ApiGatewayRequest'],
  ['AmazonStates', 'AWS Step Functions', 'StateTransition|ExpressWorkflow-Requests|ExpressWorkflow-Duration-GB-Second|StateTransition-Free|ExpressWorkflow-Requests-Free', 'StateTransition'],
  ['AmazonSES', 'Amazon Simple Email Service', 'Recipients|Message|AttachmentsSize-Bytes|DedicatedIP|VDM-Messages', 'Send'],
  ['AmazonCognito', 'Amazon Cognito', 'CognitoUserPoolsMAU|CognitoUserPoolsAdvancedSecurity|CognitoSAMLMAU|CognitoM2MTokenRequests|CognitoSync', 'CognitoUserPoolMAU'],
  ['CodeBuild', 'CodeBuild', 'Build-Min:Linux:g1.small|Build-Min:Linux:g1.medium|Build-Min:ARM:g1.small|Build-Min:Lambda:1GB|Build-Min:Linux:g1.large', 'LinuxBuild'],
  ['AWSCodePipeline', 'AWS CodePipeline', 'activePipeline|ActionExecutionMinute|V2-Pipeline|activePipeline-free|ActionExecutionMinute-free', 'None'],
  ['AmazonMQ', 'Amazon MQ', 'BrokerUsage:mq.m5.large|TimedStorage-ByteHrs|BrokerUsage:mq.t3.micro|BrokerUsage:mq.m7g.large|EBS:Storage', 'CreateBroker'],
  ['AmazonMSK', 'Amazon Managed Streaming for Apache Kafka', 'Kafka.m5.large|Kafka.Storage.GP2|Serverless-ClusterHours|Serverless-PartitionHours|Kafka.t3.small', 'RunBroker'],
  ['AWSDirectConnect', 'AWS Direct Connect', 'PortUsage:1G|DataXfer-Out:US|PortUsage:10G|HostedPort:500M|DataXfer-Out:EU', 'DirectConnectPortUsage'],
  ['AWSTransfer', 'AWS Transfer Family', 'ProtocolHours|UploadBytes|DownloadBytes|ConnectorCalls|MessagesSent', 'SFTP'],
  ['AmazonLightsail', 'Amazon Lightsail', 'BundleUsage:2GB|BundleUsage:4GB|LoadBalancerUsage|SnapshotUsage|DatabaseUsage', 'Instance'],
  ['AmazonWorkSpaces', 'Amazon WorkSpaces', 'AutoStop-Standard|AlwaysOn-Performance|AutoStop-Power|RootVolume|UserVolume', 'RunInstances'],
  ['AmazonQuickSight', 'Amazon QuickSight', 'QS-User-Enterprise-Month|QS-Reader-Sessions|SPICE-Capacity|QS-Author-Pro|QS-Reader-Capacity', 'Subscription'],
  ['AWSSystemsManager', 'AWS Systems Manager', 'AWS-SSM-Tier1:APIRequest|OpsItems|AdvancedInstance|ParameterStore-APIs|Automation-Steps', 'None'],
  ['AWSXRay', 'AWS X-Ray', 'XRay-TracesStored|XRay-TracesAccessed|XRay-InsightsScanned|XRay-TracesStored-Sampled|XRay-Free', 'None'],
  ['AmazonTimestream', 'Amazon Timestream', 'MagneticStore-ByteHrs|MemoryStore-ByteHrs|QueryTCU-Hours|WriteRecords|InfluxDB-Hours', 'None'],
  ['AmazonDocDB', 'Amazon DocumentDB (with MongoDB compatibility)', 'InstanceUsage:db.r6g.large|StorageUsage|StorageIOUsage|BackupUsage|InstanceUsage:db.t3.medium', 'CreateDBInstance:0009'],
  ['AmazonNeptune', 'Amazon Neptune', 'InstanceUsage:db.r6g.large|StorageUsage|StorageIOUsage|ServerlessUsage|BackupUsage', 'CreateDBInstance:0013'],
  ['AWSAmplify', 'AWS Amplify', 'BuildDuration|DataStorage|DataTransferOut|SSRRequest|SSRDuration', 'Build'],
  ['AWSEvents', 'CloudWatch Events', 'Event-64K-Chunks|CustomEvents|Pipes-Requests|Scheduler-Invocations|ArchiveStorage', 'PutEvents'],
  ['AmazonTextract', 'Amazon Textract', 'PagesforDetectText|PagesforAnalyzeForms|PagesforAnalyzeTables|PagesforQueries|PagesforExpense', 'DetectText'],
  ['AmazonRekognition', 'Amazon Rekognition', 'ImagesProcessed-Tier1|VideoProcessed|FaceVectorsStored|CustomLabels-Inference|ImagesProcessed-Tier2', 'DetectLabels'],
  ['AmazonTranslate', 'Amazon Translate', 'TranslateText|TranslateDocument|ActiveCustomTranslation|RealtimeTranslation|BatchTranslation', 'TranslateText'],
  ['AmazonPolly', 'Amazon Polly', 'SynthesizeSpeechChars|SynthesizeSpeechNeuralChars|SynthesizeSpeechLongFormChars|SynthesizeSpeechGenerativeChars|LexiconStorage', 'SynthesizeSpeech'],
  ['AWSELB', 'Elastic Load Balancing', 'LoadBalancerUsage|LCUUsage|DataProcessing-Bytes|NLB-LCUUsage|GWLB-LCUUsage', 'LoadBalancing:Application'],
  ['AmazonBedrock', 'Amazon Bedrock', 'InputTokenCount|OutputTokenCount|ProvisionedThroughput-Hours|KnowledgeBase-Requests|Guardrails-TextUnits', 'InvokeModelInference'],
  ['AWSCostExplorer', 'AWS Cost Explorer', 'APIRequest|HourlyResourceMonitoring|CostAnomalyMonitors|RightsizingRequest|ReportsRequest', 'GetCostAndUsage'],
];

const REGIONS: readonly (readonly [string, string])[] = [
  ['us-east-1', ''],
  ['us-west-2', 'USW2-'],
  ['eu-west-1', 'EU-'],
  ['eu-central-1', 'EUC1-'],
  ['ap-northeast-1', 'APN1-'],
];

/** Marketplace products: [product code, product name]; two names start with `=` and `@`. */
const MARKETPLACE_CATALOG: readonly (readonly [string, string])[] = [
  ['prod-abc123xyz', '=HYPERLINK("x")  Analytics'],
  ['prod-9x8y7z6w5v4u', '@risk Security Scanner'],
  ['prod-4hn2kq8zt5wy', 'Acme Log Analytics (SaaS)'],
  ['prod-7qm3vd2rk9pe', 'Orbit Observability, Enterprise'],
  ['prod-c5t8jw1nb6ax', 'Nimbus Managed Kafka'],
  ['prod-e2uy6hs4lo8f', 'Vector Firewall Appliance'],
  ['prod-r3gk5mz7wq1t', 'Datahaven Backup Vault'],
  ['prod-h8dn2xp6cv4s', 'Lumen ML Feature Store'],
];

const SP_NAME = 'Savings Plans for AWS Compute usage';
const SUPPORT_PRODUCTS = ['AWSSupportBusiness', 'AWSDeveloperSupport', 'AWSSupportEnterprise'] as const;
const SUPPORT_NAMES: Record<(typeof SUPPORT_PRODUCTS)[number], string> = {
  AWSSupportBusiness: 'AWS Support (Business)',
  AWSDeveloperSupport: 'AWS Support (Developer)',
  AWSSupportEnterprise: 'AWS Support (Enterprise)',
};

/** Body weights per 10,000 rows; SavingsPlanCoveredUsage is written with its negation right after. */
const KIND_WEIGHTS: readonly (readonly [Kind, number])[] = [
  ['Usage', 7865],
  ['Marketplace', 300],
  ['DiscountedUsage', 500],
  ['SavingsPlanCoveredUsage', 400],
  ['Tax', 150],
  ['Credit', 60],
  ['Refund', 15],
  ['Fee', 25],
  ['RIFee', 40],
  ['SavingsPlanRecurringFee', 20],
  ['SavingsPlanUpfrontFee', 5],
  ['BundledDiscount', 30],
  ['SppDiscount', 200],
  ['EdpDiscount', 200],
  ['PrivateRateDiscount', 60],
  ['RiVolumeDiscount', 20],
  ['DistributorDiscount', 60],
  ['Discount', 40],
  ['FlatRateSubscription', 10],
];

/** mulberry32: a small, fast, seedable 32-bit PRNG. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** All 1,024 two-character base32 strings, for fast id building. */
const BASE32_PAIRS: readonly string[] = Array.from({ length: 1024 }, (_, i) => BASE32[i >> 5]! + BASE32[i & 31]!);

interface Service {
  code: string;
  name: string;
  /** Usage types per region index (region prefix applied). */
  usageTypes: readonly (readonly string[])[];
  operations: readonly string[];
}

interface Account {
  id: string;
  region: number;
  support: (typeof SUPPORT_PRODUCTS)[number] | undefined;
  riArn: string;
}

interface Period {
  start: string;
  end: string;
  hourStarts: string[];
  hourEnds: string[];
}

/** The varying fields of one generated CSV line (defaults: AWS, Anniversary, qty 1.0, empty). */
interface CurLine {
  entity?: string;
  billType?: string;
  account: Account;
  type: string;
  /** Index into the period's hours; -1 for a monthly row. */
  hour: number;
  code: string;
  /** CSV-ready product name. */
  name: string;
  /** No region (Marketplace, Savings Plans, support, global services). */
  global?: boolean;
  usageType?: string;
  operation?: string;
  resource?: string;
  qty?: string;
  cost: string;
  onDemand?: string;
  ri?: string;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function parsePeriod(period: string): Period {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(period);
  if (m === null) throw new RangeError(`period must be YYYY-MM, got ${JSON.stringify(period)}`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const next = month === 12 ? `${year + 1}-01` : `${year}-${pad2(month + 1)}`;
  const start = `${period}-01T00:00:00Z`;
  const end = `${next}-01T00:00:00Z`;
  const hourStarts: string[] = [];
  const hourEnds: string[] = [];
  for (let d = 1; d <= days; d++) {
    for (let h = 0; h < 24; h++) {
      hourStarts.push(`${period}-${pad2(d)}T${pad2(h)}:00:00Z`);
      hourEnds.push(h < 23 ? `${period}-${pad2(d)}T${pad2(h + 1)}:00:00Z` : d < days ? `${period}-${pad2(d + 1)}T00:00:00Z` : end);
    }
  }
  return { start, end, hourStarts, hourEnds };
}

/**
 * Writes a synthetic legacy-header CUR CSV of `options.rows` rows to `options.path`.
 * Resolves when the file is fully written and closed.
 */
export async function generateCur(options: GenerateCurOptions): Promise<GenerateCurResult> {
  const rows = options.rows;
  const accountCount = options.accounts ?? 40;
  const serviceCount = options.services ?? 60;
  const payer = options.payer ?? '111111111111';
  if (!Number.isSafeInteger(rows) || rows < 0) throw new RangeError(`rows must be a whole number >= 0, got ${rows}`);
  if (!Number.isSafeInteger(accountCount) || accountCount < 1) throw new RangeError(`accounts must be >= 1, got ${accountCount}`);
  if (!Number.isSafeInteger(serviceCount) || serviceCount < 1) throw new RangeError(`services must be >= 1, got ${serviceCount}`);
  if (!/^\d{12}$/.test(payer)) throw new RangeError(`payer must be 12 digits, got ${JSON.stringify(payer)}`);
  const period = parsePeriod(options.period ?? '2026-10');
  const rand = mulberry32(options.seed ?? 1);
  /** A random integer in [0, n), n <= 2^32. */
  const int = (n: number): number => rand() % n;

  /** Four random lowercase hex digits. */
  const hex4 = (): string => (int(0x10000) + 0x10000).toString(16).slice(1);

  // ── catalog ────────────────────────────────────────────────────────────────
  const services: Service[] = [];
  for (let i = 0; i < serviceCount; i++) {
    const entry = SERVICE_CATALOG[i % SERVICE_CATALOG.length]!;
    const round = Math.floor(i / SERVICE_CATALOG.length);
    const code = round === 0 ? entry[0] : `${entry[0]}${round + 1}`;
    const name = round === 0 ? entry[1] : `${entry[1]} ${round + 1}`;
    const base = entry[2].split('|');
    services.push({
      code,
      name: csvField(name),
      usageTypes: REGIONS.map(([, prefix]) => base.map((ut) => prefix + ut)),
      operations: entry[3].split('|'),
    });
  }
  const serviceByCode = new Map(services.map((s) => [s.code, s]));
  const pick = (code: string): Service => serviceByCode.get(code) ?? services[0]!;

  const seen = new Set<string>([payer]);
  const accounts: Account[] = [];
  for (let i = 0; i < accountCount; i++) {
    let id = payer;
    if (i > 0) {
      do id = `${100000 + int(900000)}${String(int(1000000)).padStart(6, '0')}`;
      while (seen.has(id));
      seen.add(id);
    }
    const support = i === 0 ? undefined : i % 3 === 1 ? 'AWSSupportBusiness' : i % 7 === 2 ? 'AWSDeveloperSupport' : i % 11 === 5 ? 'AWSSupportEnterprise' : undefined;
    const region = int(REGIONS.length);
    const riArn = `arn:aws:ec2:${REGIONS[region]![0]}:${id}:reserved-instances/${hex4()}${hex4()}-${hex4()}-4${hex4().slice(1)}-8${hex4().slice(1)}-${hex4()}${hex4()}${hex4()}`;
    accounts.push({ id, region, support, riArn });
  }
  const marketplace = MARKETPLACE_CATALOG.map(([code, name]) => [code, csvField(name)] as const);

  // ── cumulative kind table ──────────────────────────────────────────────────
  const kindTable: Kind[] = [];
  for (const [kind, weight] of KIND_WEIGHTS) for (let w = 0; w < weight; w++) kindTable.push(kind);

  // ── text builders (integers in, text out) ─────────────────────────────────
  /** 52-character base32 line item id. */
  const lineItemId = (): string => {
    let s = '';
    for (let k = 0; k < 8; k++) {
      const x = rand();
      s += BASE32_PAIRS[x & 1023]! + BASE32_PAIRS[(x >>> 10) & 1023]! + BASE32_PAIRS[(x >>> 20) & 1023]!;
    }
    const y = rand();
    return s + BASE32_PAIRS[y & 1023]! + BASE32_PAIRS[(y >>> 10) & 1023]!;
  };

  /** A random amount as an integer count of 1e-10 USD (< 1e14, a safe integer). */
  const amountUnits = (): number => {
    const c = int(100);
    if (c < 15) return int(10_000_000); // < 0.001 USD
    const frac = int(100_000) * 100_000 + int(100_000);
    if (c < 45) return frac;
    const digits = c < 70 ? 1 : c < 87 ? 2 : c < 97 ? 3 : 4;
    const low = 10 ** (digits - 1);
    return (low + int(9 * low)) * 10_000_000_000 + frac;
  };
  /** Fee-like amount: whole cents, `digits` integer digits. */
  const centsUnits = (digits: number): number => {
    const low = 10 ** (digits - 1);
    return (low + int(9 * low)) * 10_000_000_000 + int(100) * 100_000_000;
  };
  /** The amount as CUR writes it: Java-style trimmed, 10-decimal padded, or E-notation when tiny. */
  const fmt = (units: number): string => {
    if (units === 0) return '0.0';
    const s = String(units);
    const style = int(10);
    if (units < 10_000_000 && style < 5) {
      const mantissa = s.length > 1 ? `${s[0]}.${s.slice(1).replace(/0+$/, '') || '0'}` : `${s}.0`;
      return `${mantissa}E-${11 - s.length}`;
    }
    const intPart = s.length > 10 ? s.slice(0, s.length - 10) : '0';
    const frac = s.length > 10 ? s.slice(s.length - 10) : s.padStart(10, '0');
    if (style < 7) return `${intPart}.${frac.replace(/0+$/, '') || '0'}`;
    return `${intPart}.${frac}`;
  };
  const negative = (text: string): string => (text === '0.0' ? text : `-${text}`);
  /** Public on-demand cost for a usage row of `units` unblended. */
  const onDemand = (units: number): string => {
    const c = int(100);
    if (c < 70) return fmt(units);
    if (c < 92) return fmt(units + ((units - (units % 100)) / 100) * (1 + int(40)));
    if (c < 96) return '';
    return '0.0';
  };
  const quantity = (): string => `${int(5000)}.${String(int(10000)).padStart(4, '0')}`;
  const resourceFor = (service: Service, account: Account): string => {
    if (int(10) < 4) return '';
    const region = REGIONS[account.region]![0];
    const suffix = hex4() + hex4();
    switch (service.code) {
      case 'AmazonEC2':
        return `i-0${suffix}${hex4()}${hex4()}`;
      case 'AmazonS3':
        return `bucket-${account.id.slice(0, 4)}-${suffix}`;
      default:
        return `arn:aws:${service.code.toLowerCase()}:${region}:${account.id}:resource/${suffix}`;
    }
  };
  const pickAccount = (): Account => accounts[Math.min(int(accountCount), int(accountCount))]!;
  const pickService = (): Service => services[Math.min(int(serviceCount), int(serviceCount))]!;

  // ── output ─────────────────────────────────────────────────────────────────
  const format = outputFormat(options);
  const out = openOutput(format === 'parquet' ? `${options.path}.tmp.csv` : options.path, format === 'gzip');
  const sink = out.sink;
  const done = out.done;
  let buf = `${GENERATED_CUR_HEADER.join(',')}\n`;
  const flush = async (): Promise<void> => {
    const chunk = buf;
    buf = '';
    await out.write(chunk);
  };

  const payerPeriod = `${payer},${period.start},${period.end}`;
  const hours = period.hourStarts.length;
  let written = 0;
  let pendingNegation = '';

  /** One CSV line; `hour` indexes the period's hours, -1 for a monthly row. */
  const line = (f: CurLine): string => {
    const start = f.hour < 0 ? period.start : period.hourStarts[f.hour]!;
    const end = f.hour < 0 ? period.end : period.hourEnds[f.hour]!;
    const region = f.global ? '' : REGIONS[f.account.region]![0];
    return `${lineItemId()},${f.entity ?? 'AWS'},${f.billType ?? 'Anniversary'},${payerPeriod},${f.account.id},${f.type},${start},${end},${f.code},${f.usageType ?? ''},${f.operation ?? ''},${f.resource ?? ''},${f.qty ?? '1.0'},USD,${f.cost},${f.name},${region},${f.onDemand ?? ''},${f.ri ?? ''}\n`;
  };

  /** One row of `kind` (SavingsPlanCoveredUsage also queues its negation). */
  const rowOf = (kind: Kind, account: Account): string => {
    const r = account.region;
    switch (kind) {
      case 'Usage': {
        const s = pickService();
        const units = amountUnits();
        const empty = int(200) === 0;
        return line({
          account, type: kind, hour: int(hours), code: s.code, name: s.name,
          usageType: s.usageTypes[r]![int(5)]!, operation: s.operations[int(s.operations.length)]!,
          resource: resourceFor(s, account), qty: quantity(),
          cost: empty ? '' : fmt(units), onDemand: empty ? '' : onDemand(units),
        });
      }
      case 'Marketplace': {
        const [code, name] = marketplace[int(marketplace.length)]!;
        return line({
          entity: 'AWS Marketplace', account, type: 'Usage', hour: int(hours), code, name, global: true,
          usageType: `${REGIONS[r]![1] || 'USE1-'}MP:Units`, operation: 'Subscribe', qty: quantity(), cost: fmt(amountUnits()),
        });
      }
      case 'DiscountedUsage': {
        const s = pick(int(2) === 0 ? 'AmazonEC2' : 'AmazonRDS');
        return line({
          account, type: kind, hour: int(hours), code: s.code, name: s.name,
          usageType: s.usageTypes[r]![int(2)]!, operation: s.operations[0]!, resource: resourceFor(s, account),
          cost: int(2) === 0 ? '0.0' : '0', onDemand: onDemand(amountUnits()), ri: account.riArn,
        });
      }
      case 'SavingsPlanCoveredUsage': {
        const s = pick(['AmazonEC2', 'AWSLambda', 'AmazonECS'][int(3)]!);
        const units = amountUnits();
        const cost = fmt(units);
        const common = { account, hour: int(hours), code: s.code, name: s.name, usageType: s.usageTypes[r]![int(2)]!, operation: s.operations[0]! };
        const covered = line({ ...common, type: kind, resource: resourceFor(s, account), qty: quantity(), cost, onDemand: onDemand(units) });
        pendingNegation = line({ ...common, type: 'SavingsPlanNegation', cost: negative(cost) });
        return covered;
      }
      case 'SavingsPlanRecurringFee':
        return line({
          account, type: kind, hour: -1, code: 'ComputeSavingsPlans', name: SP_NAME, global: true,
          usageType: 'ComputeSP:1yrNoUpfront', qty: '744.0', cost: fmt(centsUnits(1 + int(4))),
        });
      case 'SavingsPlanUpfrontFee':
        return line({
          account, type: kind, billType: 'Purchase', hour: -1, code: 'ComputeSavingsPlans', name: SP_NAME, global: true,
          usageType: 'ComputeSP:1yrAllUpfront', cost: fmt(centsUnits(3 + int(2))),
        });
      case 'RIFee': {
        const s = pick('AmazonEC2');
        return line({
          account, type: kind, hour: -1, code: s.code, name: s.name, usageType: `${REGIONS[r]![1]}HeavyUsage:m6i.large`,
          operation: 'RunInstances', qty: '744.0', cost: fmt(centsUnits(1 + int(3))), ri: account.riArn,
        });
      }
      case 'Fee': {
        if (int(5) < 3) {
          // RI purchase (upfront): carries the reservation ARN.
          const s = pick('AmazonEC2');
          return line({
            account, type: kind, billType: 'Purchase', hour: -1, code: s.code, name: s.name,
            usageType: `${REGIONS[r]![1]}HeavyUsage:c6i.large`, operation: 'RunInstances', cost: fmt(centsUnits(3 + int(2))), ri: account.riArn,
          });
        }
        const s = pick('AmazonRoute53');
        return line({ account, type: kind, hour: -1, code: s.code, name: s.name, global: true, usageType: 'Domain-Registration-com', operation: 'RegisterDomain', cost: '15.0' });
      }
      case 'FlatRateSubscription': {
        const s = pick('AmazonCloudFront');
        return line({ account, type: kind, hour: -1, code: s.code, name: s.name, global: true, usageType: 'FlatRatePlan-Pro', cost: ['15.0', '200.0', '1000.0'][int(3)]! });
      }
      case 'Tax': {
        const s = pickService();
        return line({ account, type: kind, hour: -1, code: s.code, name: s.name, cost: int(100) === 0 ? '' : fmt(centsUnits(1 + int(3))) });
      }
      case 'BundledDiscount': {
        const s = pick(int(2) === 0 ? 'AmazonCloudFront' : 'AWSDataTransfer');
        return line({ account, type: kind, hour: -1, code: s.code, name: s.name, usageType: s.usageTypes[r]![0]!, cost: negative(fmt(amountUnits())) });
      }
      default: {
        // Credit, Refund and the discount types: negative, monthly, on a service.
        const s = pickService();
        return line({ account, type: kind, hour: -1, code: s.code, name: s.name, cost: negative(fmt(amountUnits())) });
      }
    }
  };

  // ── prelude: every type, every support account, every Marketplace product ──
  const prelude: string[] = [];
  for (const type of GENERATED_LINE_ITEM_TYPES) {
    if (type === 'SavingsPlanNegation') continue; // written right after its covered usage
    prelude.push(rowOf(type, accounts[prelude.length % accountCount]!));
    if (type === 'SavingsPlanCoveredUsage') {
      prelude.push(pendingNegation);
      pendingNegation = '';
    }
  }
  for (const account of accounts) {
    if (account.support === undefined) continue;
    const fee = account.support === 'AWSSupportEnterprise' ? fmt(centsUnits(4)) : account.support === 'AWSDeveloperSupport' ? fmt(centsUnits(2)) : fmt(centsUnits(3));
    prelude.push(line({ account, type: 'Fee', hour: -1, code: account.support, name: SUPPORT_NAMES[account.support], global: true, usageType: 'Dollar', cost: fee }));
  }
  for (let m = 0; m < marketplace.length; m++) prelude.push(rowOf('Marketplace', accounts[(m * 7) % accountCount]!));

  // ── write ──────────────────────────────────────────────────────────────────
  try {
    for (const row of prelude) {
      if (written >= rows) break;
      buf += row;
      written++;
    }
    while (written < rows) {
      if (pendingNegation !== '') {
        buf += pendingNegation;
        pendingNegation = '';
      } else {
        let kind = kindTable[int(kindTable.length)]!;
        if (kind === 'SavingsPlanCoveredUsage' && written + 1 >= rows) kind = 'Usage';
        buf += rowOf(kind, pickAccount());
      }
      written++;
      if (buf.length >= 1 << 20) await flush();
    }
    if (buf.length > 0) await flush();
    sink.end();
    await done;
  } catch (error) {
    out.destroy();
    throw error;
  }
  return finishOutput(format, options.path, written);
}

function outputFormat(options: { gzip?: boolean; format?: CurOutputFormat }): CurOutputFormat {
  const format = options.format ?? (options.gzip ? 'gzip' : 'csv');
  if (format !== 'csv' && format !== 'gzip' && format !== 'parquet') throw new RangeError(`format must be csv, gzip or parquet, got ${JSON.stringify(format)}`);
  return format;
}

interface Output {
  sink: Writable;
  /** Settles when the file is written and closed. */
  done: Promise<void>;
  /** Writes with backpressure. */
  write(chunk: string): Promise<void>;
  destroy(): void;
}

/** A file (through gzip when asked) written in chunks with backpressure. */
function openOutput(path: string, gzipped: boolean): Output {
  const file = createWriteStream(path);
  const gzip = gzipped ? createGzip() : undefined;
  const sink: Writable = gzip ?? file;
  const done = gzip ? pipeline(gzip, file) : finished(file);
  done.catch(() => undefined); // observed by the caller; avoid an unhandled rejection meanwhile
  return {
    sink,
    done,
    write: async (chunk) => {
      if (!sink.write(chunk)) await Promise.race([once(sink, 'drain'), done]);
    },
    destroy: () => {
      sink.destroy();
      file.destroy();
    },
  };
}

/** Parquet: converts the temporary CSV by DuckDB's COPY, then removes it. Returns the result. */
async function finishOutput(format: CurOutputFormat, path: string, rows: number): Promise<GenerateCurResult> {
  if (format === 'parquet') {
    const csv = `${path}.tmp.csv`;
    try {
      await csvToParquet(csv, path);
    } finally {
      await rm(csv, { force: true });
    }
  }
  const { size } = await stat(path);
  return { path, bytes: size, rows };
}

const PARQUET_DOUBLES = new Set(['lineItem/UsageAmount', 'lineItem/UnblendedCost', 'pricing/publicOnDemandCost']);
const PARQUET_TIMESTAMPS = new Set(['bill/BillingPeriodStartDate', 'bill/BillingPeriodEndDate', 'lineItem/UsageStartDate', 'lineItem/UsageEndDate']);

/** Rewrites a generated CSV as Parquet the way AWS types it (see `CurOutputFormat`). */
async function csvToParquet(csv: string, parquet: string): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const lit = (text: string): string => `'${text.replaceAll("'", "''")}'`;
  const columns = GENERATED_CUR_HEADER.map((h, i) => {
    const name = `"${toSnake(h)}"`;
    if (PARQUET_DOUBLES.has(h)) return `CAST(c${i} AS DOUBLE) AS ${name}`;
    if (PARQUET_TIMESTAMPS.has(h)) return `CAST(replace(c${i}, 'Z', '') AS TIMESTAMP) AS ${name}`;
    return `c${i} AS ${name}`;
  });
  const types = GENERATED_CUR_HEADER.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ');
  const instance = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '1GB', preserve_insertion_order: 'true' });
  const connection = await instance.connect();
  try {
    await connection.run(
      `COPY (SELECT ${columns.join(', ')} FROM read_csv(${lit(csv)}, header = true, auto_detect = false, columns = {${types}}, delim = ',', quote = '"', escape = '"')) ` +
        `TO ${lit(parquet)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** `lineItem/UnblendedCost` → `line_item_unblended_cost` (as AWS names Parquet CUR columns). */
function toSnake(header: string): string {
  return header
    .replace(/([A-Z])/g, '_$1')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export interface GenerateCurForGroupsOptions {
  /** Result groups wanted at `usage-type` granularity (≥ 1). */
  groups: number;
  /** Output file. */
  path: string;
  /** Payer account id, 12 digits (default `111111111111`); every account is linked to it. */
  payer?: string;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Billing period `YYYY-MM` (default `2026-10`). */
  period?: string;
  /** `csv` (default), `gzip` or `parquet`. */
  format?: CurOutputFormat;
}

export interface GenerateCurForGroupsResult extends GenerateCurResult {
  /** Result groups the file yields at `usage-type` granularity (= `groups` asked). */
  groups: number;
  /** Linked accounts written. */
  accounts: number;
}

/** Services and usage types per account in `generateCurForGroups`: 50 × 20 = 1,000 groups per account. */
export const GROUPS_SERVICES = 50;
export const GROUPS_USAGE_TYPES = 20;

/**
 * Writes a CUR of one payer that yields exactly `groups` result groups at
 * `usage-type` granularity (payer, period, account, Usage, product, AWS, USD, usage
 * type): group g is account ⌊g / 1,000⌋, service ⌊g / 20⌋ mod 50, usage type g mod 20,
 * so 1,000,000 groups are 1,000 accounts × 50 services × 20 usage types. Each group
 * has one row, and about half a second one (≈ 1.5 rows a group); the rows come in a
 * scrambled order, as in a real CUR. Same header and row shape as `generateCur`.
 */
export async function generateCurForGroups(options: GenerateCurForGroupsOptions): Promise<GenerateCurForGroupsResult> {
  const { groups } = options;
  const payer = options.payer ?? '111111111111';
  if (!Number.isSafeInteger(groups) || groups < 1) throw new RangeError(`groups must be a whole number >= 1, got ${groups}`);
  if (!/^\d{12}$/.test(payer)) throw new RangeError(`payer must be 12 digits, got ${JSON.stringify(payer)}`);
  const period = parsePeriod(options.period ?? '2026-10');
  const rand = mulberry32(options.seed ?? 1);
  const int = (n: number): number => rand() % n;
  const perAccount = GROUPS_SERVICES * GROUPS_USAGE_TYPES;
  const accountCount = Math.ceil(groups / perAccount);
  // Account ids: the payer's own first, then distinct 12-digit ids in a fixed order.
  const accounts = Array.from({ length: accountCount }, (_, i) => (i === 0 ? payer : String(200000000000 + i * 7919).padStart(12, '0')));
  const services = Array.from({ length: GROUPS_SERVICES }, (_, i) => {
    const entry = SERVICE_CATALOG[i % SERVICE_CATALOG.length]!;
    const base = entry[2].split('|');
    // 20 usage types: the 5 of the catalog in each of the 4 first regions.
    const usageTypes = Array.from({ length: GROUPS_USAGE_TYPES }, (_, u) => `${REGIONS[Math.floor(u / base.length) % REGIONS.length]![1]}${base[u % base.length]!}`);
    return { code: entry[0], name: csvField(entry[1]), usageTypes, operation: entry[3].split('|')[0]! };
  });
  const lineItemId = (): string => {
    let s = '';
    for (let k = 0; k < 8; k++) {
      const x = rand();
      s += BASE32_PAIRS[x & 1023]! + BASE32_PAIRS[(x >>> 10) & 1023]! + BASE32_PAIRS[(x >>> 20) & 1023]!;
    }
    return s + BASE32_PAIRS[rand() & 1023]!;
  };
  /** An amount of up to 3 integer digits and 10 decimals, trimmed as CUR writes it. */
  const amount = (): string => {
    const frac = String(int(100_000) * 100_000 + int(100_000)).padStart(10, '0').replace(/0+$/, '');
    return `${int(1000)}.${frac || '0'}`;
  };
  const hours = period.hourStarts.length;
  const payerPeriod = `${payer},${period.start},${period.end}`;
  const line = (g: number): string => {
    const account = accounts[Math.floor(g / perAccount)]!;
    const service = services[Math.floor(g / GROUPS_USAGE_TYPES) % GROUPS_SERVICES]!;
    const usageType = service.usageTypes[g % GROUPS_USAGE_TYPES]!;
    const hour = int(hours);
    const cost = amount();
    return `${lineItemId()},AWS,Anniversary,${payerPeriod},${account},Usage,${period.hourStarts[hour]!},${period.hourEnds[hour]!},${service.code},${usageType},${service.operation},,${int(5000)}.${String(int(10000)).padStart(4, '0')},USD,${cost},${service.name},us-east-1,${cost},\n`;
  };
  // A full-period permutation g → (g·step + offset) mod groups scrambles the order in O(1) memory.
  const coprime = (n: number, from: number): number => {
    const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
    let step = from % n || 1;
    while (gcd(step, n) !== 1) step += 1;
    return step;
  };
  const passes = [
    { step: coprime(groups, 2_654_435_761 % 1_000_003), offset: int(groups) },
    { step: coprime(groups, 40_503), offset: int(groups) },
  ];

  const format = outputFormat(options);
  const out = openOutput(format === 'parquet' ? `${options.path}.tmp.csv` : options.path, format === 'gzip');
  let buf = `${GENERATED_CUR_HEADER.join(',')}\n`;
  let written = 0;
  try {
    for (const [p, { step, offset }] of passes.entries()) {
      for (let i = 0; i < groups; i++) {
        // The second pass writes a second row for about half the groups.
        if (p === 1 && int(2) === 0) continue;
        buf += line((i * step + offset) % groups);
        written++;
        if (buf.length >= 1 << 20) {
          await out.write(buf);
          buf = '';
        }
      }
    }
    await out.write(buf);
    out.sink.end();
    await out.done;
  } catch (error) {
    out.destroy();
    throw error;
  }
  return { ...(await finishOutput(format, options.path, written)), groups, accounts: accountCount };
}
