import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCycle } from '../../../src/app/orders/process-cycle.js';
import { harness, PAYER, request, type Harness } from '../../support/orders-fakes.js';

const signal = new AbortController().signal;
const cycle = (h: Harness) => runCycle(h.deps, { signal });
const ID = 'PR-0005-0005-0005-001';
const ACCOUNT = '555555555555';
let h: Harness;
afterEach(() => h?.close());

const cancelOf = (params: Record<string, string> = {}) => request(ID, 'cancel', { aws_account_id: ACCOUNT, ...params });

describe('cancel: the 60-day close countdown, keyed on Account.State', () => {
  it('while ACTIVE stays pending, leaves the close note once and a close-account manual action', async () => {
    h = harness([cancelOf()]);
    h.org.addAccount(ACCOUNT, 'x@y.example', 'ACTIVE');
    const first = await cycle(h);
    await cycle(h);
    expect(first.requests[0]).toMatchObject({ kind: 'pending', step: 'wait-closure' });
    expect(h.platform.notes.get(ID)).toHaveLength(1);
    expect(h.platform.notes.get(ID)?.[0]).toContain(`Close AWS account ${ACCOUNT} in the AWS console`);
    expect(h.deps.manualActions.list({ open: true })).toMatchObject([{ kind: 'close-account', accountId: ACCOUNT }]);
    expect(h.platform.param(ID, 'account_closed_at')).toBeUndefined();
  });

  it.each(['PENDING_CLOSURE', 'SUSPENDED', 'CLOSED'])('saves account_closed_at = today (UTC) the first time it is seen %s', async (state) => {
    h = harness([cancelOf()]);
    h.org.addAccount(ACCOUNT, 'x@y.example', state);
    h.clock.set('2026-11-26T23:59:59Z');
    const done = await cycle(h);
    expect(done.requests[0]).toMatchObject({ kind: 'pending', step: 'countdown' });
    expect(h.platform.param(ID, 'account_closed_at')?.value).toBe('2026-11-26');
    expect(h.deps.countdowns.get(ID)).toEqual({ requestId: ID, accountId: ACCOUNT, payerAccountId: PAYER, closedAt: '2026-11-26', dueOn: '2027-01-25' });
  });

  it('counts an account that left the organization as closed', async () => {
    h = harness([cancelOf()]);
    await cycle(h);
    expect(h.platform.param(ID, 'account_closed_at')?.value).toBe('2026-11-26');
  });

  it('is still pending on day 59 and approved on day 60', async () => {
    h = harness([cancelOf()]);
    h.org.addAccount(ACCOUNT, 'x@y.example', 'CLOSED');
    await cycle(h);
    h.clock.set('2027-01-24T23:59:59Z'); // closed 2026-11-26 + 59 days
    const day59 = await cycle(h);
    expect(day59.requests[0]).toMatchObject({ kind: 'pending', step: 'countdown' });
    expect(day59.requests[0]?.message).toContain('1 days left');
    expect(h.platform.status(ID)).toBe('pending');
    h.clock.set('2027-01-25T00:00:00Z'); // day 60
    const day60 = await cycle(h);
    expect(day60.requests[0]?.kind).toBe('approved');
    expect(h.platform.status(ID)).toBe('approved');
    expect(h.deps.countdowns.get(ID)).toBeUndefined();
  });

  it('keeps the first closure date when the account state changes later (PENDING_CLOSURE then CLOSED)', async () => {
    h = harness([cancelOf()]);
    h.org.addAccount(ACCOUNT, 'x@y.example', 'PENDING_CLOSURE');
    await cycle(h);
    h.clock.set('2026-12-20T10:00:00Z');
    h.org.addAccount(ACCOUNT, 'x@y.example', 'CLOSED');
    await cycle(h);
    expect(h.platform.param(ID, 'account_closed_at')?.value).toBe('2026-11-26');
  });

  it('survives a restart with a lost local database: the date on the request decides, nothing approves early', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nr-cancel-'));
    h = harness([cancelOf()], {}, [], join(dir, 'a.db'));
    h.org.addAccount(ACCOUNT, 'x@y.example', 'CLOSED');
    await cycle(h);
    const platform = h.platform;
    h.close();
    // A new process with a fresh database, on day 30: the request still holds account_closed_at.
    h = harness([], {}, [], join(dir, 'b.db'));
    for (const [id, r] of platform.requests) h.platform.requests.set(id, r);
    h.org.addAccount(ACCOUNT, 'x@y.example', 'CLOSED');
    h.clock.set('2026-12-26T12:00:00Z');
    const mid = await cycle(h);
    expect(mid.requests[0]?.message).toContain('30 days left');
    expect(h.platform.status(ID)).toBe('pending');
    expect(h.deps.countdowns.get(ID)?.closedAt).toBe('2026-11-26');
    h.clock.set('2027-01-25T00:00:01Z');
    await cycle(h);
    expect(h.platform.status(ID)).toBe('approved');
  });

  it('approves a cancel whose saved date is more than 60 days ago without asking AWS', async () => {
    h = harness([cancelOf({ account_closed_at: '2026-09-26' })]);
    const done = await cycle(h);
    expect(done.requests[0]?.kind).toBe('approved');
    expect(h.org.calls).toHaveLength(0);
  });

  it('never approves when the saved date is unreadable: an error for the operator', async () => {
    h = harness([cancelOf({ account_closed_at: '26/09/2026' })]);
    const done = await cycle(h);
    expect(done.requests[0]).toMatchObject({ kind: 'error', errorCode: 'CONFIG_INVALID' });
    expect(h.platform.status(ID)).toBe('pending');
  });

  it('never approves a cancel without an account id', async () => {
    h = harness([request(ID, 'cancel', {})]);
    const done = await cycle(h);
    expect(done.requests[0]?.kind).toBe('error');
    expect(h.platform.status(ID)).toBe('pending');
  });

  it('keeps the request pending when saving account_closed_at fails, and saves it on the next cycle', async () => {
    h = harness([cancelOf()]);
    h.org.addAccount(ACCOUNT, 'x@y.example', 'CLOSED');
    h.platform.failNext('updateRequestParams');
    const first = await cycle(h);
    expect(first.requests[0]?.kind).toBe('error');
    expect(h.deps.countdowns.get(ID)).toBeUndefined();
    await cycle(h);
    expect(h.platform.param(ID, 'account_closed_at')?.value).toBe('2026-11-26');
  });
});
