/** Detected support plans in the state database: one row per member account and billing period. */
import type Database from 'better-sqlite3';
import type { SupportPlanCache } from '../app/support/detect-plans.js';
import { ConnectorError } from '../domain/errors.js';
import type { DetectedSupportPlan, Detection } from '../domain/support-detection.js';
import { inState } from './database.js';

interface DetectionRow {
  account_id: string;
  period: string;
  plan: string;
  codes: string | null;
  error: string | null;
  reason: string;
  checked_at: string;
}

interface PutParams {
  accountId: string;
  period: string;
  plan: string;
  codes: string | null;
  error: string | null;
  reason: string;
  checkedAt: string;
}

const PLANS: readonly string[] = ['enterprise-class', 'business', 'developer', 'basic-or-developer', 'unknown'] satisfies DetectedSupportPlan[];

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function detectionOf(row: DetectionRow): Detection {
  if (!PLANS.includes(row.plan)) {
    throw new ConnectorError('STATE', `state database: support plan detection of account ${row.account_id} for ${row.period} has an unknown plan "${row.plan}"`);
  }
  const detection: Detection = {
    accountId: row.account_id,
    period: row.period,
    plan: row.plan as DetectedSupportPlan,
    reason: row.reason,
    checkedAt: row.checked_at,
  };
  if (row.codes !== null) {
    const codes = parseJson(row.codes);
    if (!Array.isArray(codes) || !codes.every((c): c is string => typeof c === 'string')) {
      throw new ConnectorError('STATE', `state database: severity codes of account ${row.account_id} for ${row.period} are not a list of strings`);
    }
    detection.codes = codes;
  }
  if (row.error !== null) detection.error = row.error;
  return detection;
}

/** `SupportPlanCache` on the `support_plan_detections` table (schema version 3). */
export class SqliteSupportPlanStore implements SupportPlanCache {
  private readonly upsertRow: Database.Statement<PutParams>;
  private readonly selectOne: Database.Statement<[string, string], DetectionRow>;
  private readonly selectPeriod: Database.Statement<[string], DetectionRow>;

  /** `db` is `StateDatabase.db`, already migrated. */
  constructor(db: Database.Database) {
    const what = 'prepare the support plan detections';
    this.upsertRow = inState(what, () =>
      db.prepare<PutParams>(
        `INSERT INTO support_plan_detections (account_id, period, plan, codes, error, reason, checked_at)
         VALUES (@accountId, @period, @plan, @codes, @error, @reason, @checkedAt)
         ON CONFLICT (account_id, period) DO UPDATE SET
           plan = excluded.plan,
           codes = excluded.codes,
           error = excluded.error,
           reason = excluded.reason,
           checked_at = excluded.checked_at`,
      ),
    );
    this.selectOne = inState(what, () =>
      db.prepare<[string, string], DetectionRow>('SELECT * FROM support_plan_detections WHERE account_id = ? AND period = ?'),
    );
    this.selectPeriod = inState(what, () =>
      db.prepare<[string], DetectionRow>('SELECT * FROM support_plan_detections WHERE period = ? ORDER BY account_id'),
    );
  }

  /** The stored detection of `accountId` for `period` (`YYYY-MM`), or undefined. */
  get(accountId: string, period: string): Detection | undefined {
    const row = inState(`read the support plan of account ${accountId} for ${period}`, () => this.selectOne.get(accountId, period));
    return row === undefined ? undefined : detectionOf(row);
  }

  /** Stores `detection`, replacing an earlier one of the same account and period. */
  put(detection: Detection): void {
    inState(`store the support plan of account ${detection.accountId} for ${detection.period}`, () =>
      this.upsertRow.run({
        accountId: detection.accountId,
        period: detection.period,
        plan: detection.plan,
        codes: detection.codes === undefined ? null : JSON.stringify(detection.codes),
        error: detection.error ?? null,
        reason: detection.reason,
        checkedAt: detection.checkedAt,
      }),
    );
  }

  /** Every detection of `period`, by account id. */
  list(period: string): Detection[] {
    return inState(`list the support plans for ${period}`, () => this.selectPeriod.all(period)).map(detectionOf);
  }
}
