/**
 * Custom lines and credits (MARGIN.md §4): fees and credits, flat or percent,
 * for one customer (`assetId`) or every billed customer of a payer
 * (`payerAccountId`), for one period or a range. Pure: a line is checked here
 * (every problem names the value), and a customer's lines of a period are
 * worked out here, in MARGIN.md's order, from the balances carried in; the
 * caller stores the balances that come out.
 */
import { Money, ZERO, parseDecimal, roundAmount, toExactText } from './money.js';
import type { RatedRecord } from './rating-types.js';
import { lineRecordId } from './record-id.js';

export const LINE_KINDS = ['fee', 'credit'] as const;
export type LineKind = (typeof LINE_KINDS)[number];

/** What a percent line is a percent of: the AWS usage and support records, the Marketplace records, or both. */
export const LINE_BASES = ['aws', 'marketplace', 'total'] as const;
export type LineBase = (typeof LINE_BASES)[number];

/** A checked line. Exactly one of `assetId`/`payerAccountId`, and one of `amount`/`percent` (with `of`). */
export interface CustomLine {
  /** Letters, digits, `-` and `_`, at most 40: it ends the record id. */
  id: string;
  kind: LineKind;
  /** One customer: the subscription (asset) id. */
  assetId?: string;
  /** Every billed customer of this payer. */
  payerAccountId?: string;
  /** Flat: a positive decimal in the billing currency, at most `amountDecimals` decimals. */
  amount?: string;
  /** Percent: a decimal in (0, 100]. */
  percent?: string;
  of?: LineBase;
  /** First period it applies to, `YYYY-MM`. */
  from: string;
  /** Last period it applies to, `YYYY-MM`; absent: open-ended. */
  to?: string;
  /** What the customer reads: the record note. */
  description: string;
  /** Lines file only: a flat credit's balance before the period (default: its amount). */
  remaining?: string;
}

/** A line as given (a lines file's object, `lines add`'s options): text, not yet checked. */
export type LineInput = { [K in keyof CustomLine]?: string | undefined };

/** One thing wrong with a line: the field, the value as given, and what is wrong, naming the value. */
export interface LineProblem {
  field: keyof CustomLine | 'line';
  value: string;
  message: string;
}

/** What a line is checked against. */
export interface LineRules {
  /** Decimal places of the billing currency (`rating.amountDecimals`). */
  amountDecimals: number;
  /** The subscriptions known (assets file or platform); absent: not checked. */
  knownAssets?: ReadonlySet<string>;
  /** Where `knownAssets` came from, for the message (`the assets file a.json`). */
  assetsOrigin?: string;
  /** The configured payers; absent: not checked. */
  knownPayers?: ReadonlySet<string>;
  /** Accept `remaining` (a lines file); `lines add` does not. */
  allowRemaining?: boolean;
}

export type ParsedLine = { ok: true; line: CustomLine } | { ok: false; problems: LineProblem[] };

const LINE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;
const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;
const PLAIN_DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const ACCOUNT_ID = /^\d{12}$/;
const HUNDRED = new Money(100);
/** The longest description a record note gets. */
export const MAX_DESCRIPTION = 255;

const quote = (text: string): string => JSON.stringify(text);
const given = (text: string | undefined): text is string => text !== undefined && text.trim() !== '';

/** True when `period` is `YYYY-MM` with a month 01–12. */
export function isPeriod(period: string): boolean {
  return PERIOD.test(period);
}

/** A plain decimal (no exponent, no separators), or undefined. */
function plainDecimal(text: string): Money | undefined {
  const t = text.trim();
  return PLAIN_DECIMAL.test(t) ? parseDecimal(t) : undefined;
}

/** The checks of a money amount (`amount`, `remaining`): decimal, sign, decimals. */
function amountProblem(field: 'amount' | 'remaining', text: string, decimals: number, zeroOk: boolean): LineProblem | undefined {
  const value = plainDecimal(text);
  if (value === undefined) return { field, value: text, message: `${field} ${quote(text)} is not a decimal number such as "25.00"` };
  if (zeroOk ? value.isNegative() && !value.isZero() : !value.isPositive() || value.isZero()) {
    return { field, value: text, message: `${field} ${quote(text)} must be ${zeroOk ? '0 or more' : 'positive (above 0)'}` };
  }
  if (value.decimalPlaces() > decimals) {
    return { field, value: text, message: `${field} ${quote(text)} has ${value.decimalPlaces()} decimals; the billing currency has ${decimals} (rating.amountDecimals)` };
  }
  return undefined;
}

/**
 * Checks a line as given and returns it typed (values trimmed), or every
 * problem found, each naming the value: an unknown kind, no scope or both, a
 * scope not known, both `amount` and `percent` or neither, an amount not
 * positive or with more decimals than the currency, a percent not in (0, 100],
 * `of` missing for a percent (or given for a flat amount), a bad period, a
 * range that ends before it starts, an empty description.
 */
export function parseLine(input: LineInput, rules: LineRules): ParsedLine {
  const problems: LineProblem[] = [];
  const problem = (field: LineProblem['field'], value: string | undefined, message: string): void => void problems.push({ field, value: value ?? '', message });
  const t = (text: string | undefined): string | undefined => (given(text) ? text.trim() : undefined);
  const id = t(input.id);
  const kind = t(input.kind);
  const assetId = t(input.assetId);
  const payerAccountId = t(input.payerAccountId);
  const amount = t(input.amount);
  const percent = t(input.percent);
  const of = t(input.of);
  const from = t(input.from);
  const to = t(input.to);
  const description = t(input.description);
  const remaining = t(input.remaining);

  if (id === undefined) problem('id', input.id, 'id is missing: give the line an id (letters, digits, - and _)');
  else if (!LINE_ID.test(id)) problem('id', id, `id ${quote(id)} must be letters, digits, - and _ (at most 40, starting with a letter or digit)`);
  if (kind === undefined) problem('kind', input.kind, 'kind is missing: fee or credit');
  else if (!(LINE_KINDS as readonly string[]).includes(kind)) problem('kind', kind, `kind ${quote(kind)} is not fee or credit`);

  if (assetId !== undefined && payerAccountId !== undefined) problem('line', `${assetId},${payerAccountId}`, `give assetId or payerAccountId, not both (assetId ${quote(assetId)}, payerAccountId ${quote(payerAccountId)})`);
  else if (assetId === undefined && payerAccountId === undefined) problem('line', '', 'give assetId (one customer) or payerAccountId (every customer of the payer)');
  if (assetId !== undefined && rules.knownAssets !== undefined && !rules.knownAssets.has(assetId)) {
    problem('assetId', assetId, `assetId ${quote(assetId)} is not a known subscription${rules.assetsOrigin ? ` (${rules.assetsOrigin})` : ''}`);
  }
  if (payerAccountId !== undefined) {
    if (!ACCOUNT_ID.test(payerAccountId)) problem('payerAccountId', payerAccountId, `payerAccountId ${quote(payerAccountId)} is not a 12-digit account id`);
    else if (rules.knownPayers !== undefined && !rules.knownPayers.has(payerAccountId)) problem('payerAccountId', payerAccountId, `payerAccountId ${quote(payerAccountId)} is not a configured payer (payers[])`);
  }

  if (amount !== undefined && percent !== undefined) problem('line', `${amount},${percent}`, `give amount or percent, not both (amount ${quote(amount)}, percent ${quote(percent)})`);
  else if (amount === undefined && percent === undefined) problem('line', '', 'give amount (flat) or percent (with of)');
  if (amount !== undefined) {
    const p = amountProblem('amount', amount, rules.amountDecimals, false);
    if (p) problems.push(p);
    if (of !== undefined && percent === undefined) problem('of', of, `of ${quote(of)} is only for a percent line (this one has amount ${quote(amount)})`);
  }
  if (percent !== undefined) {
    const value = plainDecimal(percent);
    if (value === undefined) problem('percent', percent, `percent ${quote(percent)} is not a decimal number such as "5" or "2.5"`);
    else if (value.greaterThan(HUNDRED)) problem('percent', percent, `percent ${quote(percent)} is over 100`);
    else if (!value.isPositive() || value.isZero()) problem('percent', percent, `percent ${quote(percent)} must be above 0`);
    if (of === undefined) problem('of', input.of, `of is missing: percent ${quote(percent)} of what (aws, marketplace or total)?`);
  }
  if (of !== undefined && !(LINE_BASES as readonly string[]).includes(of)) problem('of', of, `of ${quote(of)} is not aws, marketplace or total`);

  if (from === undefined) problem('from', input.from, 'from is missing: the first period, YYYY-MM');
  else if (!isPeriod(from)) problem('from', from, `from ${quote(from)} is not a period YYYY-MM`);
  if (to !== undefined && !isPeriod(to)) problem('to', to, `to ${quote(to)} is not a period YYYY-MM`);
  if (from !== undefined && to !== undefined && isPeriod(from) && isPeriod(to) && to < from) {
    problem('to', to, `the range ends before it starts: to ${quote(to)} is before from ${quote(from)}`);
  }

  if (description === undefined) problem('description', input.description, 'description is missing: the text the customer reads on the record');
  else if (description.length > MAX_DESCRIPTION) problem('description', `${description.slice(0, 40)}…`, `description is ${description.length} characters long; at most ${MAX_DESCRIPTION}`);

  if (remaining !== undefined) {
    if (rules.allowRemaining !== true) problem('remaining', remaining, `remaining ${quote(remaining)} is only for a lines file (the state database keeps the balance)`);
    else if (kind !== 'credit' || amount === undefined) problem('remaining', remaining, `remaining ${quote(remaining)} is only for a flat credit`);
    else {
      const p = amountProblem('remaining', remaining, rules.amountDecimals, true);
      if (p) problems.push(p);
      else if (plainDecimal(amount)?.lessThan(plainDecimal(remaining) ?? ZERO)) problem('remaining', remaining, `remaining ${quote(remaining)} is more than the credit's amount ${quote(amount)}`);
    }
  }

  if (problems.length > 0) return { ok: false, problems };
  const line: CustomLine = { id: id as string, kind: kind as LineKind, from: from as string, description: description as string };
  if (assetId !== undefined) line.assetId = assetId;
  if (payerAccountId !== undefined) line.payerAccountId = payerAccountId;
  if (amount !== undefined) line.amount = toExactText(plainDecimal(amount) as Money);
  if (percent !== undefined) line.percent = toExactText(plainDecimal(percent) as Money);
  if (of !== undefined) line.of = of as LineBase;
  if (to !== undefined) line.to = to;
  if (remaining !== undefined) line.remaining = toExactText(plainDecimal(remaining) as Money);
  return { ok: true, line };
}

/** True when the line applies to `period`: `from ≤ period ≤ to` (no `to`: open-ended). */
export function appliesTo(line: Pick<CustomLine, 'from' | 'to'>, period: string): boolean {
  return line.from <= period && (line.to === undefined || period <= line.to);
}

/** True for a flat credit: the only line with a balance that carries. */
export function isFlatCredit(line: Pick<CustomLine, 'kind' | 'amount'>): boolean {
  return line.kind === 'credit' && line.amount !== undefined;
}

/** The key of a flat credit's balance for one customer. */
export function balanceKey(lineId: string, accountId: string): string {
  return `${lineId}\u0000${accountId}`;
}

/** Fees first, then credits; each in order of `from`, then `id` (MARGIN.md §4). */
export function lineOrder(a: CustomLine, b: CustomLine): number {
  if (a.kind !== b.kind) return a.kind === 'fee' ? -1 : 1;
  if (a.from !== b.from) return a.from < b.from ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** One line as applied to one customer in one period (report.json `lines`). */
export interface AppliedLine {
  id: string;
  kind: LineKind;
  accountId: string;
  /** Signed, in the billing currency, `amountDecimals` places: positive for a fee, negative (or 0) for a credit. */
  amount: string;
  /** Flat credits: the balance before the period. */
  opening?: string;
  /** Flat credits: the balance carried to the next period. */
  remainingAfter?: string;
}

export interface AccountLinesInput {
  payerAccountId: string;
  period: string;
  accountId: string;
  /** The customer's subscription, null when billed without one (`--bill-all-accounts`). */
  assetId: string | null;
  /** The lines that may apply (any scope, any period: those that do are picked here). */
  lines: readonly CustomLine[];
  /** Flat credits' balances before the period, by `balanceKey`; absent: `remaining`, else the amount. */
  openings: ReadonlyMap<string, string>;
  amountDecimals: number;
  /** Σ of the customer's rounded records: `aws` its AWS usage and support records, `marketplace` its Marketplace ones. */
  base: { aws: Money; marketplace: Money };
}

export interface AccountLines {
  /** One record per line whose amount is not 0: fees (category custom_lines), then credits (category credits). */
  records: RatedRecord[];
  /** Every line that applied with a non-zero amount, and every flat credit that applied with a balance. */
  applied: AppliedLine[];
  /** Σ fee records and Σ credit records (≤ 0). */
  fees: Money;
  credits: Money;
}

/** True when the line's scope takes in this customer. */
export function inScope(line: CustomLine, payerAccountId: string, assetId: string | null): boolean {
  if (line.payerAccountId !== undefined) return line.payerAccountId === payerAccountId;
  return assetId !== null && line.assetId === assetId;
}

/** percent ÷ 100 × base, rounded once; 0 for a base at or below 0 (a line never turns the other way). */
function percentOf(percent: string, base: Money, decimals: number): Money {
  if (!base.isPositive() || base.isZero()) return ZERO;
  return roundAmount(new Money(percent).dividedBy(HUNDRED).times(base), decimals);
}

/**
 * A customer's lines of one period, in MARGIN.md §4's order: the base is the
 * sum of its rounded usage, Marketplace and support records; fees (percent of
 * `base(of)`, rounded once, or flat); then credits, by `from` then `id`, each
 * taking at most what is left of base + fees − credits already taken (never
 * below 0). A flat credit offers its balance; what it cannot use is carried
 * (`remainingAfter`). A percent credit does not carry. Lines that come to 0
 * give no record.
 */
export function accountLines(input: AccountLinesInput): AccountLines {
  const { payerAccountId, period, accountId, assetId, amountDecimals: decimals } = input;
  const lines = input.lines.filter((l) => appliesTo(l, period) && inScope(l, payerAccountId, assetId)).sort(lineOrder);
  const baseOf = (of: LineBase | undefined): Money => (of === 'aws' ? input.base.aws : of === 'marketplace' ? input.base.marketplace : input.base.aws.plus(input.base.marketplace));
  const records: RatedRecord[] = [];
  const applied: AppliedLine[] = [];
  let fees = ZERO;
  let credits = ZERO;
  const record = (line: CustomLine, signed: Money): void => {
    const text = signed.toFixed(decimals);
    records.push({
      recordId: lineRecordId(payerAccountId, period, accountId, line.id),
      accountId,
      assetId,
      kind: line.kind,
      billingEntity: '',
      productCode: line.kind === 'fee' ? 'custom-line' : 'credit',
      usageType: '',
      note: line.description,
      lineItemTypes: [],
      listUsd: '0',
      markup: '1',
      markedUsd: '0',
      billedExact: text,
      billed: text,
      lineId: line.id,
    });
  };
  for (const line of lines) {
    if (line.kind === 'fee') {
      const amount = line.percent !== undefined ? percentOf(line.percent, baseOf(line.of), decimals) : new Money(line.amount ?? '0');
      if (amount.isZero()) continue;
      fees = fees.plus(amount);
      record(line, amount);
      applied.push({ id: line.id, kind: 'fee', accountId, amount: amount.toFixed(decimals) });
      continue;
    }
    const leftover = baseOf('total').plus(fees).plus(credits);
    const left = leftover.isPositive() && !leftover.isZero() ? leftover : ZERO;
    if (line.percent !== undefined) {
      const offered = percentOf(line.percent, baseOf(line.of), decimals);
      const taken = Money.min(offered, left);
      if (taken.isZero()) continue;
      credits = credits.minus(taken);
      record(line, taken.negated());
      applied.push({ id: line.id, kind: 'credit', accountId, amount: taken.negated().toFixed(decimals) });
      continue;
    }
    const opening = new Money(input.openings.get(balanceKey(line.id, accountId)) ?? line.remaining ?? line.amount ?? '0');
    const taken = Money.max(ZERO, Money.min(opening, left));
    const after = opening.minus(taken);
    if (!taken.isZero()) {
      credits = credits.minus(taken);
      record(line, taken.negated());
    }
    if (!taken.isZero() || !after.isZero()) {
      applied.push({ id: line.id, kind: 'credit', accountId, amount: roundAmount(taken.negated(), decimals).toFixed(decimals), opening: opening.toFixed(decimals), remainingAfter: after.toFixed(decimals) });
    }
  }
  return { records, applied, fees, credits };
}

/** A payer's lines for the rating of one period: the lines, and the flat credits' balances carried in. */
export interface PayerLines {
  lines: readonly CustomLine[];
  /** By `balanceKey`; absent: the line's `remaining`, else its amount. */
  openings: ReadonlyMap<string, string>;
}
