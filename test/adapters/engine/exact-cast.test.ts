import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Money } from '../../../src/domain/money.js';
import { closingSources, row, tempDir, writeCsv, readAll } from './cur-fixtures.js';

const source = closingSources();

describe('the view’s exact amount cast (fast 64-bit path, 128-bit fallback)', () => {
  it('sums values on both sides of 10^6 exactly', async () => {
    const amounts = ['999999.999999999999', '1000000.000000000001', '-1234567.5', '1.2E7', '123456789012345678.123456789012', '0.000000000001', '-0.5', '7.7E-5'];
    const path = await writeCsv(join(await tempDir(), 'cur.csv'), amounts.map((cost) => row({ cost })));
    const result = await readAll(source(path).aggregate({ period: '2026-10', listPrice: 'unblended', granularity: 'service' }));
    const engine = result.groups.reduce((t, g) => t.plus(g.unblendedUsd), new Money(0));
    const expected = amounts.reduce((t, a) => t.plus(a), new Money(0));
    expect(engine.toFixed()).toBe(expected.toFixed());
    expect(result.groups.map((g) => g.maxUnblendedUsd)).toEqual(['123456789012345678.123456789012']);
  });
});
