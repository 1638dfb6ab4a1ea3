import { describe, expect, it } from 'vitest';
import { neutralise } from '../../src/domain/neutralise.js';

describe('neutralise()', () => {
  it.each([
    ['=HYPERLINK("http://x","y")', `'=HYPERLINK("http://x","y")`],
    ['+1+1', "'+1+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', "'\rcmd"],
  ])('prefixes %j with a single quote', (input, expected) => {
    expect(neutralise(input)).toBe(expected);
  });

  it.each([
    ['Amazon Elastic Compute Cloud'],
    ['123456789012'],
    ['a=b'],
    [' =1+1'],
    ["'already quoted"],
    [''],
  ])('leaves %j unchanged', (input) => {
    expect(neutralise(input)).toBe(input);
  });

  it('prefixes only once, however many trigger characters follow', () => {
    expect(neutralise('==+-@')).toBe("'==+-@");
  });
});
