/** A run of the ledger as the metrics and admin tests build them. */
import type { RunRecord } from '../../src/app/usage/ports.js';

/** A finished, succeeded scheduled run v1 of payer 123456789012 for 2026-02; `fields` replace any of it. */
export const runRecord = (fields: Partial<RunRecord> = {}): RunRecord => ({
  payerAccountId: '123456789012',
  period: '2026-02',
  version: 1,
  dryRun: false,
  step: 'done',
  outcome: 'succeeded',
  trigger: 'schedule',
  startedAt: '2026-03-05T00:00:00.000Z',
  updatedAt: '2026-03-05T00:10:00.000Z',
  ...fields,
});
