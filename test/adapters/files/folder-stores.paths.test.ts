/**
 * The folder stores write only inside their folder: a payer id or period that
 * would lead out of it (given straight to the store, past every id check) is
 * refused, and nothing is written anywhere.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderReportStore, FolderWorkbookStore, versionFolder } from '../../../src/adapters/files/folder-stores.js';
import type { PayerReport } from '../../../src/app/report.js';
import { tempDir } from '../../support/run-cli.js';

let base: string;
let out: string;

beforeEach(async () => {
  base = await tempDir('nr-paths-');
  out = join(base, 'runs', 'out');
  await mkdir(out, { recursive: true });
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const report = { payerAccountId: 'x', period: '2026-10', status: 'ok', errors: [] } as unknown as PayerReport;
async function* bytes(): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode('workbook');
}

/** Every file and folder under `dir`, relative to it. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe('versionFolder()', () => {
  it('gives the payer\'s period folder, and v<N> below it for later versions', () => {
    expect(versionFolder('out', '111111111111', '2026-10', 1)).toBe(join('out', '111111111111', '2026-10'));
    expect(versionFolder('out', '111111111111', '2026-10', 3)).toBe(join('out', '111111111111', '2026-10', 'v3'));
  });

  it.each([
    ['a payer id that climbs out', '../../etc', '2026-10'],
    ['a payer id that climbs out one level', '..', 'x'],
    ['an absolute period', '111111111111', '/etc'],
    ['a period that climbs out', '111111111111', '../../..'],
    ['ids that resolve to the folder itself', '.', '.'],
  ])('refuses %s with IO, naming the values and the folder', (_name, payer, period) => {
    expect(() => versionFolder(out, payer, period, 1)).toThrow(expect.objectContaining({ code: 'IO', message: expect.stringContaining(`would leave the output folder ${resolve(out)}`) }));
  });
});

describe('the folder stores given a payer id "../../etc"', () => {
  const key = { payerAccountId: '../../etc', period: '2026-10', version: 1 };

  it('writes no report, diff or workbook outside the output folder', async () => {
    const reports = new FolderReportStore(out);
    const workbooks = new FolderWorkbookStore(out);
    await expect(reports.write(key, report)).rejects.toMatchObject({ code: 'IO', message: expect.stringContaining('payer "../../etc"') });
    await expect(reports.writeDiff(key, { from: 1, to: 2 })).rejects.toMatchObject({ code: 'IO' });
    await expect(workbooks.put(key, bytes())).rejects.toMatchObject({ code: 'IO' });
    expect(() => reports.begin(key)).toThrow(expect.objectContaining({ code: 'IO' }));
    expect(existsSync(join(out, '..', '..', 'etc'))).toBe(false);
    expect(await tree(base)).toEqual(['runs', join('runs', 'out')]);
  });

  it('still writes a well-formed payer\'s report inside the folder', async () => {
    const path = await new FolderReportStore(out).write({ payerAccountId: '111111111111', period: '2026-10', version: 1 }, report);
    expect(path).toBe(join(out, '111111111111', '2026-10', 'report.json'));
    expect(existsSync(path)).toBe(true);
  });
});
