/**
 * Tier configuration requests (CONNECT.md): a reseller's own settings when
 * `enableMultiplePayer` is Yes. Everything in them is typed by a person, so each
 * value is checked before it is approved: a bad one gets `value_error` and the
 * request is inquired; good ones are approved with the tier template.
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
  customMarkup: (value) => (parseMarkup('customMarkup', value).ok ? undefined : `${JSON.stringify(value)} is not a decimal number (use a dot, e.g. "1.1")`),
  customMarkupMarketplace: (value) => (parseMarkup('customMarkupMarketplace', value).ok ? undefined : `${JSON.stringify(value)} is not a decimal number (use a dot, e.g. "1.05")`),
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

/** Handles one TCR once; never throws. */
export async function fulfilTierConfig(tcr: TierConfigRequest, deps: OrderDeps, signal: AbortSignal): Promise<RequestResult> {
  const base = { requestId: tcr.id, type: `tier-config/${tcr.type}` };
  try {
    const problems = checkTierParams(tcr, deps);
    if (problems.length > 0) {
      const bad = new Set(problems.map((p) => p.param));
      const updates = [...problems.map((p) => ({ id: p.param, valueError: p.message })), ...tcr.params.filter((p) => p.valueError !== '' && !bad.has(p.id)).map((p) => ({ id: p.id, valueError: '' }))];
      await deps.platform.updateTierConfigParams(tcr.id, updates, signal);
      await deps.platform.inquireTierConfig(tcr.id, signal);
      return { ...base, kind: 'inquiring', step: 'validate', message: problems.map((p) => `${p.param}: ${p.message}`).join('; ') };
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
