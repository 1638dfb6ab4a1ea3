import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { closingSources, row, tempDir, writeCsv, readAll } from './cur-fixtures.js';

const source = closingSources();

/** A folder: a.csv all fine; b.csv.gz (snake_case) with another month at data row 3 and EUR at data row 4. */
async function folder(): Promise<{ dir: string; b: string }> {
  const dir = await tempDir();
  await writeCsv(join(dir, 'a.csv'), [row(), row({ payer: '999988887777', period: '2026-09-01T00:00:00.000Z', currency: 'EUR' })]);
  const b = await writeCsv(
    join(dir, 'b.csv.gz'),
    [row(), row({ currency: '' }), row({ period: '2026-09-01T00:00:00.000Z' }), row({ currency: 'EUR' }), row({ period: '2026-11-01' })],
    { style: 'snake', gzip: true, extra: true },
  );
  return { dir, b };
}

describe('DuckDbCurSource.locate()', () => {
  it('names the first row of the payer whose billing period is another month', async () => {
    const { dir, b } = await folder();
    const s = source(dir);
    const result = await readAll(s.aggregate({ period: '2026-10', listPrice: 'unblended', granularity: 'service' }));
    // The adapter reports other months as groups; the use case rejects them and asks locate() where.
    expect([...new Set(result.groups.map((g) => g.periodStart))].sort()).toEqual(['2026-09-01', '2026-10-01', '2026-11-01']);
    expect(await s.locate('111122223333', { kind: 'period-not', period: '2026-10' })).toEqual({
      file: b,
      row: 3,
      column: 'bill_billing_period_start_date',
      value: '2026-09-01T00:00:00.000Z',
    });
  });

  it('names the first row of the payer with a currency other than USD (empty is fine)', async () => {
    const { dir, b } = await folder();
    expect(await source(dir).locate('111122223333', { kind: 'currency-not-usd' })).toEqual({
      file: b,
      row: 4,
      column: 'line_item_currency_code',
      value: 'EUR',
    });
  });

  it('looks only at the rows of the payer asked for', async () => {
    const { dir } = await folder();
    const s = source(dir);
    expect(await s.locate('999988887777', { kind: 'currency-not-usd' })).toMatchObject({ file: join(dir, 'a.csv'), row: 2, value: 'EUR' });
    expect(await s.locate('999988887777', { kind: 'period-not', period: '2026-09' })).toBeUndefined();
    expect(await s.locate('000000000000', { kind: 'period-not', period: '2026-10' })).toBeUndefined();
  });

  it('returns undefined when every row of the payer is fine', async () => {
    const dir = await tempDir();
    const path = await writeCsv(join(dir, 'cur.csv'), [row(), row({ period: '2026-10-01' })], { style: 'legacy' });
    const s = source(path);
    expect(await s.locate('111122223333', { kind: 'period-not', period: '2026-10' })).toBeUndefined();
    expect(await s.locate('111122223333', { kind: 'currency-not-usd' })).toBeUndefined();
  });
});
