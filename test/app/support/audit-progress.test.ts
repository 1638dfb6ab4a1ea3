/**
 * The audit's progress (by accounts) and its stop on a signal: between
 * accounts, the plans detected so far kept, the next audit asking only the
 * others. Stand-ins only; the abort comes from the stand-ins themselves, at a
 * chosen account, never from a timer.
 */
import { describe, expect, it } from 'vitest';
import catalogJson from '../../../config/support-plans.json' with { type: 'json' };
import type { Progress } from '../../../src/app/ports.js';
import { auditOrganization } from '../../../src/app/support/audit-organization.js';
import { detectWithCache, type SupportPlanCache, type SupportPlanDetection } from '../../../src/app/support/detect-plans.js';
import { ConnectorError } from '../../../src/domain/errors.js';
import type { Detection } from '../../../src/domain/support-detection.js';
import type { SupportCatalog } from '../../../src/domain/support-fee.js';
import { payerOrganization as organization } from '../../support/payer-organization.js';

const PAYER = '111111111111';
const PERIOD = '2026-10';
const MEMBERS = ['222222222201', '222222222202', '222222222203', '222222222204', '222222222205'];
const catalog = catalogJson as unknown as SupportCatalog;
const now = (): Date => new Date('2026-11-05T00:00:00Z');

const detection = (accountId: string): Detection => ({ accountId, period: PERIOD, plan: 'business', reason: 'urgent allowed', checkedAt: now().toISOString() });

class MemoryCache implements SupportPlanCache {
  readonly stored = new Map<string, Detection>();
  get(accountId: string, period: string): Detection | undefined {
    return this.stored.get(`${accountId}/${period}`);
  }
  put(d: Detection): void {
    this.stored.set(`${d.accountId}/${d.period}`, d);
  }
}

/** A detector that answers each account, and calls `after(accountId)` once it has: where a test aborts. */
class CountingDetector implements SupportPlanDetection {
  readonly asked: string[] = [];
  constructor(private readonly after: (accountId: string) => void = () => undefined) {}
  async detectAll(accountIds: readonly string[], _period: string, signal: AbortSignal): Promise<Detection[]> {
    const out: Detection[] = [];
    for (const accountId of accountIds) {
      if (signal.aborted) throw new ConnectorError('ABORTED', `support plan detection of account ${accountId} was aborted`);
      this.asked.push(accountId);
      out.push(detection(accountId));
      this.after(accountId);
    }
    return out;
  }
}

const progressOf = (events: Progress[]): string[] => events.map((p) => `${p.phase} ${p.done}/${p.total ?? '?'} ${p.unit}`);

describe('detectWithCache() stopped by a signal', () => {
  it('starts no account after the abort, keeps the detections made, and the next call asks only the others', async () => {
    const cache = new MemoryCache();
    const controller = new AbortController();
    const first = new CountingDetector((accountId) => {
      if (accountId === MEMBERS[1]) controller.abort(new Error('SIGTERM'));
    });
    const seen: string[] = [];

    const stopped = await detectWithCache(cache, first, MEMBERS, PERIOD, controller.signal, { concurrency: 1, onDetected: (d) => seen.push(d.accountId) }).catch((e: unknown) => e);

    expect(stopped).toBeInstanceOf(ConnectorError);
    expect(stopped).toMatchObject({ code: 'ABORTED', message: expect.stringContaining('after 2 of 5 accounts') });
    expect(first.asked).toEqual(MEMBERS.slice(0, 2));
    expect([...cache.stored.keys()]).toEqual(MEMBERS.slice(0, 2).map((a) => `${a}/${PERIOD}`));
    expect(seen).toEqual(MEMBERS.slice(0, 2));

    const second = new CountingDetector();
    const resumed: string[] = [];
    const all = await detectWithCache(cache, second, MEMBERS, PERIOD, new AbortController().signal, { onDetected: (d) => resumed.push(d.accountId) });

    expect(second.asked).toEqual(MEMBERS.slice(2));
    expect(all.map((d) => d.accountId)).toEqual(MEMBERS);
    // The stored ones are told first, then each asked one.
    expect(resumed).toEqual(MEMBERS);
  });
});

describe('auditOrganization() progress and interruption', () => {
  it('reports the members whose plan is known, from 0 to all of them', async () => {
    const events: Progress[] = [];
    await auditOrganization(
      {
        organizations: organization(...MEMBERS.slice(0, 3)).of(PAYER),
        catalog,
        now,
        onProgress: (p) => events.push(p),
        detect: async (accounts, _signal, onDetected) => {
          for (const a of accounts) onDetected?.(a);
          return new Map(accounts.map((a) => [a, { plan: 'business' as const }]));
        },
      },
      { payer: { accountId: PAYER, providerDomains: [] }, subscriptions: [], signal: new AbortController().signal },
    );
    expect(progressOf(events)).toEqual([`audit payer ${PAYER} 0/3 accounts`, `audit payer ${PAYER} 1/3 accounts`, `audit payer ${PAYER} 2/3 accounts`, `audit payer ${PAYER} 3/3 accounts`]);
  });

  it('without detection goes from 0 to all members at once', async () => {
    const events: Progress[] = [];
    await auditOrganization(
      { organizations: organization(...MEMBERS.slice(0, 2)).of(PAYER), catalog, now, onProgress: (p) => events.push(p) },
      { payer: { accountId: PAYER, providerDomains: [] }, subscriptions: [], signal: new AbortController().signal },
    );
    expect(progressOf(events)).toEqual([`audit payer ${PAYER} 0/2 accounts`, `audit payer ${PAYER} 2/2 accounts`]);
  });

  it('aborted between accounts: stops with ABORTED saying it was interrupted and how far it got', async () => {
    const controller = new AbortController();
    const cache = new MemoryCache();
    const detector = new CountingDetector((accountId) => {
      if (accountId === MEMBERS[2]) controller.abort(new Error('SIGTERM'));
    });
    const events: Progress[] = [];

    const error = await auditOrganization(
      {
        organizations: organization(...MEMBERS).of(PAYER),
        catalog,
        now,
        onProgress: (p) => events.push(p),
        detect: async (accounts, signal, onDetected) =>
          new Map((await detectWithCache(cache, detector, accounts, PERIOD, signal, { concurrency: 1, ...(onDetected ? { onDetected: (d) => onDetected(d.accountId) } : {}) })).map((d) => [d.accountId, { plan: d.plan }])),
      },
      { payer: { accountId: PAYER, providerDomains: [] }, subscriptions: [], signal: controller.signal },
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).code).toBe('ABORTED');
    expect((error as ConnectorError).message).toBe(`the audit of payer ${PAYER} was interrupted by a signal after 3/5 accounts; run it again to finish (the plans detected are kept)`);
    expect(detector.asked).toEqual(MEMBERS.slice(0, 3));
    expect(cache.stored.size).toBe(3);
    expect(progressOf(events).at(-1)).toBe(`audit payer ${PAYER} 3/5 accounts`);
  });

  it('aborted before it starts: asks nothing of the organization', async () => {
    const controller = new AbortController();
    controller.abort(new Error('SIGTERM'));
    const org = organization(...MEMBERS).of(PAYER);
    await expect(
      auditOrganization({ organizations: org, catalog, now }, { payer: { accountId: PAYER, providerDomains: [] }, subscriptions: [], signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'ABORTED', message: expect.stringContaining('interrupted by a signal') });
    expect(org.count('listAccounts')).toBe(0);
  });
});
