import { afterEach, describe, expect, it } from 'vitest';
import { CANNOT_SUSPEND } from '../../../src/app/orders/fulfil-request.js';
import { runCycle } from '../../../src/app/orders/process-cycle.js';
import { harness, request, type Harness } from '../../support/orders-fakes.js';

const signal = new AbortController().signal;
const cycle = (h: Harness) => runCycle(h.deps, { signal });
const ID = 'PR-0004-0004-0004-001';
let h: Harness;
afterEach(() => h?.close());

describe('change', () => {
  it('approves a support_level change with a manual action', async () => {
    h = harness([request(ID, 'change', { aws_account_id: '444444444444', support_level: 'enterprise' })]);
    const done = await cycle(h);
    expect(done.requests[0]?.kind).toBe('approved');
    expect(h.deps.manualActions.list({ open: true })).toMatchObject([{ kind: 'set-support-plan', accountId: '444444444444', detail: 'set support plan enterprise on account 444444444444 in the AWS console' }]);
  });

  it('inquires on an unknown support_level', async () => {
    h = harness([request(ID, 'change', { aws_account_id: '444444444444', support_level: 'diamond' })]);
    await cycle(h);
    expect(h.platform.status(ID)).toBe('inquiring');
    expect(h.platform.param(ID, 'support_level')?.valueError).toContain('is not a support level');
  });

  it('fails a change of the root e-mail: AWS has no API for it', async () => {
    h = harness([request(ID, 'change', { aws_account_id: '444444444444', account_email: 'new@acme.example', support_level: 'business' })]);
    h.org.addAccount('444444444444', 'old@acme.example');
    await cycle(h);
    expect(h.platform.status(ID)).toBe('failed');
    expect(h.platform.failReasons.get(ID)).toContain('cannot be changed through AWS APIs');
  });
});

describe('suspend and resume', () => {
  it.each(['suspend', 'resume'])('fails a %s at once with the reason', async (type) => {
    h = harness([request(ID, type, { aws_account_id: '444444444444' })]);
    await cycle(h);
    expect(h.platform.status(ID)).toBe('failed');
    expect(h.platform.failReasons.get(ID)).toBe(CANNOT_SUSPEND);
    expect(h.org.calls).toHaveLength(0);
  });
});
