import { describe, expect, it } from 'vitest';
import { applyListQuery, MAX_LIMIT, matches, parseListQuery, parseRql, RqlError, valuesAt } from '../../src/sandbox/rql.js';

const items = [
  { id: 'PR-1', status: 'pending', created: '2026-11-02', asset: { product: { id: 'PRD-1' }, params: [{ id: 'a', value: 'x' }] }, note: 'big' },
  { id: 'PR-2', status: 'inquiring', created: '2026-11-01', asset: { product: { id: 'PRD-2' }, params: [{ id: 'b', value: 'y' }] }, note: 'small' },
  { id: 'PR-3', status: 'pending', created: '2026-11-03', asset: { product: { id: 'PRD-2' }, params: [] }, note: 'big' },
];

const ids = (query: string): string[] => applyListQuery(items, parseListQuery(query)).items.map((i) => i.id);

describe('parseRql()', () => {
  it('reads nested terms and value lists', () => {
    expect(parseRql('and(eq(status,pending),in(asset.product.id,(PRD-1,PRD-2)))')).toEqual({
      op: 'and',
      args: [
        { op: 'eq', args: ['status', 'pending'] },
        { op: 'in', args: ['asset.product.id', ['PRD-1', 'PRD-2']] },
      ],
    });
  });

  it('refuses unbalanced text', () => {
    expect(() => parseRql('eq(status,pending')).toThrow(RqlError);
    expect(() => parseRql('eq(status,pending))')).toThrow(RqlError);
  });
});

describe('matches() and valuesAt()', () => {
  it('searches arrays on a dotted path', () => {
    expect(valuesAt(items[0], 'asset.params.id')).toEqual(['a']);
    expect(matches(items[1], parseRql('eq(asset.params.value,y)'))).toBe(true);
  });

  it.each([
    ['or(eq(status,inquiring),eq(id,PR-3))', ['PR-2', 'PR-3']],
    ['not(eq(status,pending))', ['PR-2']],
    ['out(asset.product.id,(PRD-2))', ['PR-1']],
    ['ne(note,big)', ['PR-2']],
    ['like(id,PR-*)', ['PR-1', 'PR-2', 'PR-3']],
    ['ilike(note,BI*)', ['PR-1', 'PR-3']],
    ['gt(created,2026-11-01)', ['PR-1', 'PR-3']],
    ['le(created,2026-11-02)', ['PR-1', 'PR-2']],
  ])('%s', (query, expected) => {
    expect(ids(query)).toEqual(expected);
  });

  it('refuses an unknown operator', () => {
    expect(() => ids('near(status,pending)')).toThrow(/unknown RQL operator near/);
  });
});

describe('parseListQuery() and applyListQuery()', () => {
  it('orders, pages and drops fields', () => {
    expect(ids('order_by=-created')).toEqual(['PR-3', 'PR-1', 'PR-2']);
    expect(ids('ordering(created)&limit=1&offset=1')).toEqual(['PR-1']);
    const page = applyListQuery(items, parseListQuery('select(-asset.params,-note)&limit(2,0)'));
    expect(page.items[0]).toEqual({ id: 'PR-1', status: 'pending', created: '2026-11-02', asset: { product: { id: 'PRD-1' } } });
    expect(page.contentRange).toBe('items 0-1/3');
    expect(items[0]?.note).toBe('big');
  });

  it('defaults to 100 a page, cuts larger pages to 1000 and refuses a bad number', () => {
    expect(parseListQuery('').limit).toBe(100);
    expect(parseListQuery('limit=5000').limit).toBe(MAX_LIMIT);
    expect(() => parseListQuery('limit=-1')).toThrow(/limit must be a whole number/);
  });

  it('answers an empty page beyond the end with the total', () => {
    expect(applyListQuery(items, parseListQuery('offset=10')).contentRange).toBe('items 0-0/3');
  });
});

describe('parseListQuery(): encodings', () => {
  it('decodes each value of a raw RQL structure, so a value may hold ( ) , and @', () => {
    const query = parseListQuery(`and(eq(status,pending),in(note,(${encodeURIComponent('a,b (c)@x').replace(/\(/g, '%28').replace(/\)/g, '%29')},z)))`);
    expect(query.filters[0]?.args[1]).toEqual({ op: 'in', args: ['note', ['a,b (c)@x', 'z']] });
  });

  it('reads a piece whose commas or parentheses were encoded too', () => {
    expect(parseListQuery(encodeURIComponent('eq(id,PR-1)')).filters).toEqual([{ op: 'eq', args: ['id', 'PR-1'] }]);
    expect(parseListQuery('eq%28id%2CPR-1%29').filters).toEqual([{ op: 'eq', args: ['id', 'PR-1'] }]);
  });
});

describe('field names: aliases and the double-underscore form', () => {
  it('reads asset__product__id as asset.product.id in filters and ordering', () => {
    expect(ids('eq(asset__product__id,PRD-2)')).toEqual(['PR-2', 'PR-3']);
    expect(ids('asset__product__id=PRD-1')).toEqual(['PR-1']);
    expect(ids('ordering(-asset__product__id,created)')).toEqual(['PR-2', 'PR-3', 'PR-1']);
  });

  it('maps an aliased field to its dotted path, nested terms included', () => {
    const aliased = (query: string): string[] => applyListQuery(items, parseListQuery(query), { product_id: 'asset.product.id' }).items.map((i) => i.id);
    expect(aliased('and(in(product_id,(PRD-1,PRD-3)),eq(status,pending))')).toEqual(['PR-1']);
    expect(aliased('product_id=PRD-2&order_by=-created')).toEqual(['PR-3', 'PR-2']);
    expect(ids('product_id=PRD-2')).toEqual([]);
  });
});

describe('quoted values, null() and empty()', () => {
  it.each([
    ['eq(status,"pending")', ['PR-1', 'PR-3']],
    ["eq(status,'inquiring')", ['PR-2']],
    ['in(asset.product.id,("PRD-1","PRD-2"))&eq(note,"small")', ['PR-2']],
    ["in(asset.product.id,('PRD-1',PRD-9))", ['PR-1']],
    ['status="pending"&note=\'big\'', ['PR-1', 'PR-3']],
  ])('%s', (query, expected) => {
    expect(ids(query)).toEqual(expected);
  });

  it('keeps , ( ) inside quotes, raw or percent-encoded (as node-fetch sends the SDK\'s quotes)', () => {
    expect(parseRql('in(note,("a,b (c)",z))')).toEqual({ op: 'in', args: ['note', ['a,b (c)', 'z']] });
    expect(parseListQuery('like(note,%22*a%20b,c*%22)').filters).toEqual([{ op: 'like', args: ['note', '*a b,c*'] }]);
    expect(parseListQuery("eq(note,%22it's%22)").filters[0]?.args[1]).toBe("it's");
    expect(parseListQuery('eq(note,%27a,b%27)').filters[0]?.args[1]).toBe('a,b');
    expect(() => parseRql('eq(status,"pending)')).toThrow(/unclosed " at 10/);
  });

  it('reads null() as absent or null and empty() as the empty string', () => {
    const rows = [{ id: 'A', note: null }, { id: 'B', note: '' }, { id: 'C', note: 'x' }, { id: 'D' }];
    const rowIds = (query: string): string[] => applyListQuery(rows, parseListQuery(query)).items.map((r) => r.id);
    expect(rowIds('eq(note,null())')).toEqual(['A', 'D']);
    expect(rowIds('ne(note,null())')).toEqual(['B', 'C']);
    expect(rowIds('eq(note,empty())')).toEqual(['B']);
    expect(rowIds('note=null()')).toEqual(['A', 'D']);
    expect(() => parseRql('gt(note,null())')).toThrow(/gt\(\) takes a field and a value/);
  });
});
