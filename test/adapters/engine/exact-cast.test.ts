import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CurAggregateRequest } from '../../../src/app/ports.js';
import { Money } from '../../../src/domain/money.js';
import { closingSources, readAll, row, tempDir, writeCsv } from './cur-fixtures.js';

const source = closingSources();
const request: CurAggregateRequest = { period: '2026-10', listPrice: 'unblended', granularity: 'service' };

describe('the view’s exact amount cast (fast 64-bit path, 128-bit fallback)', () => {
  it('sums values on both sides of 10^6 exactly', async () => {
    const amounts = ['999999.999999999999', '1000000.000000000001', '-1234567.5', '1.2E7', '123456789012345678.123456789012', '0.000000000001', '-0.5', '7.7E-5'];
    const path = await writeCsv(join(await tempDir(), 'cur.csv'), amounts.map((cost) => row({ cost })));
    const result = await readAll(source(path).aggregate(request));
    const engine = result.groups.reduce((t, g) => t.plus(g.unblendedUsd), new Money(0));
    const expected = amounts.reduce((t, a) => t.plus(a), new Money(0));
    expect(engine.toFixed()).toBe(expected.toFixed());
    expect(result.groups.map((g) => g.maxUnblendedUsd)).toEqual(['123456789012345678.123456789012']);
  });

  it('reads surrounding blanks, blank and empty cells (zero) and a big value in one file', async () => {
    const amounts = [' 2.5 ', ' ', '', '   ', ' 1000000.25', '+1.5', '.5'];
    const path = await writeCsv(join(await tempDir(), 'cur.csv'), amounts.map((cost) => row({ cost })));
    const [group] = (await readAll(source(path).aggregate(request))).groups;
    expect(group).toMatchObject({ rows: 7, unblendedUsd: '1000004.750000000000', maxUnblendedUsd: '1000000.250000000000' });
  });

  it.each(['1_000', ' 1_000 ', '1000000_0'])('refuses the digit separator in %j, naming its row', async (cost) => {
    const path = await writeCsv(join(await tempDir(), 'cur.csv'), [row(), row({ cost })]);
    const error = await readAll(source(path).aggregate(request)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CUR_INPUT', where: { file: path, row: 2, column: 'lineItem/UnblendedCost', value: cost } });
  });

  it('rounds beyond 12 decimals alike on both paths', async () => {
    const amounts = ['0.0000000000005', '-0.0000000000005', '2000000.0000000000005'];
    const path = await writeCsv(join(await tempDir(), 'cur.csv'), amounts.map((cost) => row({ cost })));
    const [group] = (await readAll(source(path).aggregate(request))).groups;
    expect(group!.unblendedUsd).toBe('2000000.000000000001');
  });
});
