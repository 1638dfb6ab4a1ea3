import { beforeAll, describe, expect, it } from 'vitest';
import { ConnectContract, ERRATA } from '../support/connect-contract.js';

let contract: ConnectContract;
beforeAll(async () => {
  contract = await ConnectContract.load();
});

describe('ConnectContract (the oracle itself)', () => {
  it('accepts a documented RQL filter and paging', () => {
    expect(contract.checkRequest({ method: 'GET', path: '/requests', query: 'and(eq(status,pending),in(asset.product.id,(PRD-1)))&ordering(created)&limit=100&offset=0' })).toEqual([]);
  });

  it('names a query parameter the list does not document', () => {
    expect(contract.checkRequest({ method: 'GET', path: '/requests', query: 'order_by=created&limit=100' }).join('\n')).toMatch(/order_by/);
  });

  it('names an RQL field that is not a filter, and a lookup a filter lacks', () => {
    const problems = contract.checkRequest({ method: 'GET', path: '/tier/config-requests', query: 'and(like(status,pend*),eq(nonsense,1))' });
    expect(problems.join('\n')).toMatch(/status takes eq, in, not like/);
    expect(problems.join('\n')).toMatch(/nonsense is not a filter/);
  });

  it('names an ordering field the list cannot order by', () => {
    expect(contract.checkRequest({ method: 'GET', path: '/usage/files', query: 'ordering(external_id)' }).join('\n')).toMatch(/external_id is not an ordering field/);
  });

  it('refuses a body field of the wrong type and an unknown operation', () => {
    expect(contract.checkRequest({ method: 'POST', path: '/usage/files', body: { name: 1 } }).join('\n')).toMatch(/requestBody\/name must be string/);
    expect(contract.checkRequest({ method: 'DELETE', path: '/usage/files/UF-1' })).toEqual(['DELETE /usage/files/UF-1: the API has no such operation']);
  });

  it('judges answers by the documented status code and schema', () => {
    expect(contract.checkResponse({ method: 'POST', path: '/usage/files', status: 201, response: { id: 'UF-1', product_id: 'PRD-1', marketplace: 'MP-1' } })).toEqual([]);
    expect(contract.checkResponse({ method: 'POST', path: '/usage/files', status: 200, response: { id: 'UF-1' } }).join('\n')).toMatch(/answers 201, not 200/);
    expect(contract.checkResponse({ method: 'GET', path: '/usage/files/UF-1', status: 200, response: { id: 'UF-1', status: 'weird' } }).join('\n')).toMatch(/status must be equal to one of the allowed values/);
  });

  it('reads multipart uploads by field name', () => {
    expect(contract.checkRequest({ method: 'POST', path: '/usage/files/UF-1/upload', multipartFields: ['usage_file'] })).toEqual([]);
    expect(contract.checkRequest({ method: 'POST', path: '/usage/files/UF-1/upload', multipartFields: ['file'] }).join('\n')).toMatch(/multipart field file/);
  });

  it('tolerates only the description defects it proves are still in the description', () => {
    for (const erratum of ERRATA) expect({ why: erratum.why, present: erratum.present(contract.definition) }).toEqual({ why: erratum.why, present: true });
    expect(contract.erratumOf("GET /tier/config-requests → 200: /0/params must be string {}")).toBe(ERRATA[0]);
    expect(contract.erratumOf('GET /tier/config-requests → 200: /0/status must be equal to one of the allowed values')).toBeUndefined();
  });

  it('does not require a writeOnly property in an answer, nor a readOnly one in a request', () => {
    // dp.PayAsYouGo requires `ppu`, which is writeOnly.
    const product = { id: 'PRD-1', external_id: 'x', purchase_model: 'single', capabilities: { ppu: { schema: 'PR' } } };
    expect(contract.checkResponse({ method: 'GET', path: '/products/PRD-1', status: 200, response: product })).toEqual([]);
  });
});
