/**
 * The closed set of failures the connector names. Expected business failures are
 * returned as values (`RatingProblem`), exceptions carry a `ConnectorError`.
 */
export type ErrorCode =
  | 'CONFIG_INVALID' // a setting is missing or malformed
  | 'CUR_INPUT' // a CUR file, row or column is unusable
  | 'CUR_EMPTY' // no CUR rows where some were expected
  | 'PERIOD_MISMATCH' // a CUR row of another billing period
  | 'CURRENCY_NOT_USD' // line_item_currency_code other than USD
  | 'MARKUP_INVALID' // customMarkup / customMarkupMarketplace not a decimal
  | 'FX_INVALID' // fxRate missing or not > 0 for a non-USD currency
  | 'SUPPORT_TABLE_MISSING' // no fee table valid for the plan and period
  | 'PAYER_NOT_CONFIGURED' // a payer in the CUR has no settings
  | 'RECONCILIATION_FAILED' // the reconciliation identity or file total does not hold
  | 'ASSETS_INVALID' // the assets file is unusable
  | 'IO' // reading or writing a file failed
  | 'PLATFORM_HTTP' // the platform answered with an error status (4xx other than 429, or 5xx after retries)
  | 'PLATFORM_RESPONSE' // the platform's answer does not have the shape CONNECT.md gives (names the field)
  | 'PLATFORM_UNREACHABLE' // network error or timeout talking to the platform, after retries
  | 'AWS_ACCESS_DENIED' // the credentials or role may not make this AWS call
  | 'AWS_THROTTLED' // AWS kept throttling after the SDK's retries
  | 'AWS_CONCURRENT_MODIFICATION' // Organizations is busy with another change; try again later
  | 'AWS_NOT_FOUND' // the AWS object (account, handshake, OU) does not exist
  | 'AWS_CONSTRAINT' // AWS refused for a business rule (`where.value` holds AWS's Reason, e.g. ALREADY_IN_AN_ORGANIZATION)
  | 'AWS_CALL' // any other AWS error (names the operation and AWS's error name)
  | 'STATE' // the local database is unusable (open, migrate, write)
  | 'ABORTED' // the work was stopped by a signal
  | 'INTERNAL'; // a broken invariant: a bug

/** Where a problem was found, so an operator can go straight to it. */
export interface ProblemLocation {
  file?: string;
  row?: number;
  column?: string;
  setting?: string;
  value?: string;
  payer?: string;
  account?: string;
}

export class ConnectorError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly where: ProblemLocation;

  constructor(
    code: ErrorCode,
    message: string,
    options: { where?: ProblemLocation; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConnectorError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.where = options.where ?? {};
  }
}

/** Every `catch` goes through here: anything thrown becomes a `ConnectorError`. */
export function coerceError(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  if (error instanceof Error) return new ConnectorError('INTERNAL', error.message, { cause: error });
  return new ConnectorError('INTERNAL', String(error));
}
