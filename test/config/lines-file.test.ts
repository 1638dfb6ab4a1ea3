/** A dry run's lines file (`--lines`): its shape and rules, every problem named with the file, the line and the value. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLinesFile, parseLinesFile } from '../../src/config/lines-file.js';
import { ConnectorError } from '../../src/domain/errors.js';
import { tempDir } from '../support/run-cli.js';

const RULES = { amountDecimals: 2 };
const CREDIT = { id: 'welcome', kind: 'credit', assetId: 'AS-1', amount: '100', from: '2026-01', description: 'Welcome credit', remaining: '40' };

const problems = (value: unknown): string => {
  try {
    parseLinesFile('lines.json', value, RULES);
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).code).toBe('CONFIG_INVALID');
    return (error as Error).message;
  }
  throw new Error('no problem found');
};

describe('parseLinesFile()', () => {
  it('gives the lines, a flat credit with its remaining', () => {
    expect(parseLinesFile('lines.json', [CREDIT, { id: 'fee', kind: 'fee', payerAccountId: '111111111111', percent: '3', of: 'aws', from: '2026-01', to: '2026-03', description: 'Fee' }], RULES)).toEqual([
      { id: 'welcome', kind: 'credit', assetId: 'AS-1', amount: '100', from: '2026-01', description: 'Welcome credit', remaining: '40' },
      { id: 'fee', kind: 'fee', payerAccountId: '111111111111', percent: '3', of: 'aws', from: '2026-01', to: '2026-03', description: 'Fee' },
    ]);
  });

  it('names the file, the line and the value of each problem, all at once', () => {
    const message = problems([
      { ...CREDIT, id: 'a', amount: '10.999', remaining: undefined },
      { ...CREDIT, id: 'b', amount: undefined, percent: '101', of: 'total', remaining: undefined },
      { ...CREDIT, id: 'c', from: '2026-06', to: '2026-01', remaining: undefined },
    ]);
    expect(message).toContain('lines file has 3 problem(s)');
    expect(message).toContain('lines.json: [0] (line "a"): amount "10.999" has 3 decimals; the billing currency has 2');
    expect(message).toContain('lines.json: [1] (line "b"): percent "101" is over 100');
    expect(message).toContain('lines.json: [2] (line "c"): the range ends before it starts: to "2026-01" is before from "2026-06"');
  });

  it('refuses a JSON number for an amount, saying to quote it', () => {
    expect(problems([{ ...CREDIT, amount: 100 }])).toContain('lines.json: [0].amount: amount must be a string (quote it: "100"), not 100');
  });

  it('refuses an unknown field, naming the closest known one', () => {
    expect(problems([{ ...CREDIT, ammount: '5' }])).toContain('lines.json: [0].ammount: unknown setting; did you mean amount?');
  });

  it('refuses an id given twice', () => {
    expect(problems([CREDIT, { ...CREDIT, assetId: 'AS-2' }])).toContain('lines.json: [1] (line "welcome"): id "welcome" is already the id of line [0]');
  });

  it('refuses a file that is not an array', () => {
    expect(problems({ lines: [] })).toContain('must be an array of lines');
  });
});

describe('loadLinesFile()', () => {
  it('names the file it cannot read or parse', async () => {
    const dir = await tempDir();
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '[{ "id": ');
    await expect(loadLinesFile(join(dir, 'none.json'), RULES)).rejects.toThrow(`cannot read the lines file ${join(dir, 'none.json')}`);
    await expect(loadLinesFile(broken, RULES)).rejects.toThrow(`the lines file ${broken} is not valid JSON`);
  });
});
