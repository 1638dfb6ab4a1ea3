import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Detection } from '../../src/domain/support-detection.js';
import { openStateDatabase, type StateDatabase } from '../../src/store/database.js';
import { SqliteSupportPlanStore } from '../../src/store/support-plans.store.js';

const BUSINESS: Detection = {
  accountId: '222222222222',
  period: '2026-10',
  plan: 'business',
  codes: ['low', 'normal', 'high', 'urgent'],
  reason: 'the account\u2019s highest severity is urgent',
  checkedAt: '2026-11-05T10:00:00.000Z',
};
const BASIC: Detection = {
  accountId: '111111111111',
  period: '2026-10',
  plan: 'basic-or-developer',
  error: 'SubscriptionRequiredException: AWS Premium Support Subscription is required',
  reason: 'the Support API answered SubscriptionRequiredException',
  checkedAt: '2026-11-05T10:00:01.000Z',
};

let state: StateDatabase;

beforeEach(() => {
  state = openStateDatabase(':memory:');
});

afterEach(() => {
  state.close();
});

describe('SqliteSupportPlanStore', () => {
  it('gives back a stored detection with its codes', () => {
    const store = new SqliteSupportPlanStore(state.db);
    store.put(BUSINESS);
    expect(store.get('222222222222', '2026-10')).toEqual(BUSINESS);
  });

  it('gives back a refusal with its error and no codes', () => {
    const store = new SqliteSupportPlanStore(state.db);
    store.put(BASIC);
    expect(store.get('111111111111', '2026-10')).toEqual(BASIC);
  });

  it('keeps one detection per account and period, the latest', () => {
    const store = new SqliteSupportPlanStore(state.db);
    store.put({ ...BUSINESS, plan: 'unknown', codes: undefined, error: 'Throttling: Rate exceeded' } as Detection);
    store.put(BUSINESS);
    expect(store.get('222222222222', '2026-10')).toEqual(BUSINESS);
    expect(store.list('2026-10')).toHaveLength(1);
  });

  it('keeps periods apart and has nothing for an unseen one', () => {
    const store = new SqliteSupportPlanStore(state.db);
    store.put(BUSINESS);
    store.put({ ...BUSINESS, period: '2026-11', plan: 'enterprise-class', codes: ['critical'] });
    expect(store.get('222222222222', '2026-10')?.plan).toBe('business');
    expect(store.get('222222222222', '2026-11')?.plan).toBe('enterprise-class');
    expect(store.get('222222222222', '2026-09')).toBeUndefined();
  });

  it('lists a period by account id', () => {
    const store = new SqliteSupportPlanStore(state.db);
    store.put(BUSINESS);
    store.put(BASIC);
    expect(store.list('2026-10').map((d) => d.accountId)).toEqual(['111111111111', '222222222222']);
    expect(store.list('2026-12')).toEqual([]);
  });

  it('fails with STATE on a row whose plan it does not know', () => {
    const store = new SqliteSupportPlanStore(state.db);
    state.db.prepare("INSERT INTO support_plan_detections VALUES ('333333333333', '2026-10', 'gold', NULL, NULL, 'r', 't')").run();
    expect(() => store.get('333333333333', '2026-10')).toThrow(expect.objectContaining({ code: 'STATE' }));
  });
});
