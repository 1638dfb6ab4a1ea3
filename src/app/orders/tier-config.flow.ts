/**
 * Tier configuration requests (CONNECT.md): a reseller's own settings when
 * `enableMultiplePayer` is Yes. Everything in them is typed by a person, so each
 * value is checked before it is approved, and the payer's organization is asked
 * whether the account is its management account: a bad one gets `value_error`
 * and the request is failed with the reason; good ones are approved with the
 * tier template.
 */
import { coerceError } from '../../domain/errors.js';
import { parseMarkup } from '../../domain/parameters.js';
import { isAccountId, type ParamProblem } from '../../domain/orders/order-params.js';
import { templateFor, type OrderDeps } from './request-work.js';
import type { RequestResult } from './fulfil-request.js';
import type { TierConfigRequest } from './ports.js';

const YES_NO = /^(yes|no)$/i;
const IDENTIFIER = /^[A-Za-z0-9_]+$/;
const WORKGROUP = /^[A-Za-z0-9._-]{1,128}$/;
const ROLE_ARN = /^arn:aws:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/;
const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
const CURRENCY = /^[A-Z]{3}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;

type Check = (value: string, deps: OrderDeps) => string | undefined;

const pattern = (re: RegExp, what: string): Check => (value) => (re.test(value) ? undefined : `${JSON.stringify(value)} is not ${what}`);

const CHECKS: Record<string, Check> = {
  customMarkup: (value) => (parseMarkup('customMarkup', value).ok ? undefined : `${JSON.stringify(value)} is not a plain decimal number (use a dot, e.g. "1.1"; no exponent, no separators)`),
  customMarkupMarketplace: (value) => (parseMarkup('customMarkupMarketplace', value).ok ? undefined : `${JSON.stringify(value)} is not a plain decimal number (use a dot, e.g. "1.05"; no exponent, no separators)`),
  fxRate: (value) => (/^\d+(\.\d+)?$/.test(value) && /[1-9]/.test(value) ? undefined : `${JSON.stringify(value)} is not a positive decimal number such as "0.92"`),
  marketplaceCurrency: pattern(CURRENCY, 'a 3-letter currency code such as EUR'),
  enableMultiplePayer: pattern(YES_NO, 'Yes or No'),
  organizationalUnitEnabled: pattern(YES_NO, 'Yes or No'),
  organizationalUnitId: pattern(OU_ID, 'an organizational unit id (ou-xxxx-xxxxxxxx)'),
  payerAccountId: (value, deps) => {
    if (!isAccountId(value)) return `${JSON.stringify(value)} is not an AWS account id: it must be exactly 12 digits`;
    if (!deps.settings.payers.some((p) => p.accountId === value)) return `payer ${value} is not set up in this connector; ask the distributor to add it`;
    return undefined;
  },
  payerRoleArn: pattern(ROLE_ARN, 'an IAM role ARN (arn:aws:iam::123456789012:role/Name)'),
  database: pattern(IDENTIFIER, 'an Athena database name (letters, digits, _)'),
  table: pattern(IDENTIFIER, 'an Athena table name (letters, digits, _)'),
  workgroup: pattern(WORKGROUP, 'an Athena workgroup name'),
  outputLocation: pattern(S3_URI, 'an S3 location (s3://bucket/prefix/)'),
  region: pattern(REGION, 'an AWS region such as us-east-1'),
};

/** Problems in the TCR's filled parameters (empty ones are the platform's business: required is enforced there). */
export function checkTierParams(tcr: TierConfigRequest, deps: OrderDeps): ParamProblem[] {
  const problems: ParamProblem[] = [];
  for (const p of tcr.params) {
    const check = CHECKS[p.id];
    const value = p.value.trim();
    if (check === undefined || value === '') continue;
    const message = check(value, deps);
    if (message !== undefined) problems.push({ param: p.id, value, message });
  }
  return problems;
}

/** The TCR's value of a parameter, trimmed ('' when absent). */
const valueOf = (tcr: TierConfigRequest, id: string): string => tcr.params.find((p) => p.id === id)?.value.trim() ?? '';

/**
 * The payer check of issue 4: reach the payer (through `payerRoleArn` and
 * `payerExternalId` when given) and make sure the account is its
 * organization's management account (DescribeOrganization). A sentence when not.
 */
async function payerProblem(tcr: TierConfigRequest, deps: OrderDeps, signal: AbortSignal): Promise<ParamProblem | undefined> {
  const payerAccountId = valueOf(tcr, 'payerAccountId');
  if (payerAccountId === '') return undefined;
  const configured = deps.settings.payers.find((p) => p.accountId === payerAccountId);
  const roleArn = valueOf(tcr, 'payerRoleArn') || configured?.roleArn;
  const externalId = valueOf(tcr, 'payerExternalId') || configured?.externalId;
  try {
    const org = await deps.organizations.forPayer({ accountId: payerAccountId, ...(roleArn ? { roleArn } : {}), ...(externalId ? { externalId } : {}) }).describeOrganization(signal);
    if (org.managementAccountId === payerAccountId) return undefined;
    return { param: 'payerAccountId', value: payerAccountId, message: `account ${payerAccountId} is not the management account of its AWS organization (${org.id} is managed by ${org.managementAccountId})` };
  } catch (error) {
    const e = coerceError(error);
    if (e.code !== 'AWS_ACCESS_DENIED') throw e;
    const how = roleArn ? `the role ${roleArn}` : 'the connector\'s credentials';
    return { param: roleArn ? 'payerRoleArn' : 'payerAccountId', value: roleArn ?? payerAccountId, message: `${how} cannot read the organization of payer ${payerAccountId}: ${e.message}` };
  }
}

/**
 * Handles one TCR once; never throws. Bad settings get `value_error` and the
 * request is failed with the reason (issue 4: "approve, or fail with the reason");
 * the reseller submits corrected settings as a new request.
 */
export async function fulfilTierConfig(tcr: TierConfigRequest, deps: OrderDeps, signal: AbortSignal): Promise<RequestResult> {
  const base = { requestId: tcr.id, type: `tier-config/${tcr.type}` };
  try {
    const problems = checkTierParams(tcr, deps);
    if (problems.length === 0) {
      const payer = await payerProblem(tcr, deps, signal);
      if (payer) problems.push(payer);
    }
    if (problems.length > 0) {
      const reason = problems.map((p) => `${p.param}: ${p.message}`).join('; ');
      await deps.platform.updateTierConfigParams(tcr.id, problems.map((p) => ({ id: p.param, valueError: p.message })), signal);
      await deps.platform.failTierConfig(tcr.id, reason, signal);
      return { ...base, kind: 'failed', step: 'validate', message: reason };
    }
    const cleared = tcr.params.filter((p) => p.valueError !== '').map((p) => ({ id: p.id, valueError: '' }));
    if (cleared.length > 0) await deps.platform.updateTierConfigParams(tcr.id, cleared, signal);
    const templateId = deps.settings.tierTemplateId ?? (await templateFor(deps, tcr.productId, `tier${tcr.tierLevel ?? 1}`, signal));
    await deps.platform.approveTierConfig(tcr.id, templateId, signal);
    return { ...base, kind: 'approved', step: 'approve', message: `settings of reseller ${tcr.accountId} approved` };
  } catch (error) {
    const e = coerceError(error);
    return { ...base, kind: 'error', step: 'error', message: `${e.code}: ${e.message}`, retryable: e.retryable, errorCode: e.code };
  }
}
