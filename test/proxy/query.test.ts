/**
 * Query parameters by OpenAPI style, as the upstream receives them.
 * @see https://spec.openapis.org/oas/v3.1.0#style-examples
 */
import { describe, expect, test } from 'bun:test';
import { build, call, entry, operation, param, upstreamForThisFile } from './helpers';

const upstream = upstreamForThisFile();

const list = { type: 'array', items: { type: 'string' } };
const color = { type: 'object', properties: { R: { type: 'integer' }, G: { type: 'integer' }, B: { type: 'integer' } } };

/** The query string the upstream received for one parameter `color` with these settings and value. */
async function queryFor(schema: unknown, more: Record<string, unknown>, value: unknown): Promise<string> {
  const op = await operation('GET', '/q', { parameters: [param('color', 'query', schema, more)] });
  const result = await call(op, { color: value }, { upstream: upstream.url });
  expect(result.isError).toBeFalsy();
  return upstream.requests.at(-1)!.target.replace(/^\/q\??/, '');
}

describe('form', () => {
  test('explode (the default): a list repeats the name', async () => {
    expect(await queryFor(list, {}, ['blue', 'black', 'brown'])).toBe('color=blue&color=black&color=brown');
  });
  test('explode off: a list is comma-separated, commas inside items encoded', async () => {
    expect(await queryFor(list, { explode: false }, ['blue', 'black,brown'])).toBe('color=blue,black%2Cbrown');
  });
  test('explode: an object becomes one parameter per property', async () => {
    expect(await queryFor(color, {}, { R: 100, G: 200, B: 150 })).toBe('R=100&G=200&B=150');
  });
  test('explode off: an object is name,value pairs', async () => {
    expect(await queryFor(color, { explode: false }, { R: 100, G: 200, B: 150 })).toBe('color=R,100,G,200,B,150');
  });
  test('scalars: booleans and numbers as their JSON text, strings fully encoded', async () => {
    const op = await operation('GET', '/q', {
      parameters: [param('flag', 'query', { type: 'boolean' }), param('n', 'query', { type: 'number' }), param('s', 'query', { type: 'string' })],
    });
    await call(op, { flag: false, n: 1.5, s: 'a&admin=1 +?#/' }, { upstream: upstream.url });
    const last = upstream.requests.at(-1)!;
    expect(last.target).toBe('/q?flag=false&n=1.5&s=a%26admin%3D1%20%2B%3F%23%2F');
    expect([...last.url.searchParams]).toEqual([['flag', 'false'], ['n', '1.5'], ['s', 'a&admin=1 +?#/']]);
  });
  test('omitted optional arguments are omitted; empty lists send nothing', async () => {
    const op = await operation('GET', '/q', { parameters: [param('a', 'query', { type: 'string' }), param('b', 'query', list)] });
    await call(op, { b: [] }, { upstream: upstream.url });
    expect(upstream.requests.at(-1)!.target).toBe('/q');
  });
});

describe('delimited', () => {
  test('spaceDelimited', async () => {
    expect(await queryFor(list, { style: 'spaceDelimited', explode: false }, ['blue', 'black', 'brown'])).toBe('color=blue%20black%20brown');
  });
  test('pipeDelimited', async () => {
    expect(await queryFor(list, { style: 'pipeDelimited', explode: false }, ['blue', 'black', 'a|b'])).toBe('color=blue|black|a%7Cb');
  });
  test('pipeDelimited object', async () => {
    expect(await queryFor(color, { style: 'pipeDelimited', explode: false }, { R: 100, G: 200 })).toBe('color=R|100|G|200');
  });
  test('explode on: delimited styles repeat the name like form', async () => {
    expect(await queryFor(list, { style: 'pipeDelimited', explode: true }, ['a', 'b'])).toBe('color=a&color=b');
  });
});

describe('deepObject', () => {
  test('properties in brackets', async () => {
    expect(await queryFor(color, { style: 'deepObject', explode: true }, { R: 100, G: 200, B: 150 })).toBe('color[R]=100&color[G]=200&color[B]=150');
  });
  test('nested objects continue the brackets, lists repeat the key, keys are encoded', async () => {
    const filter = { type: 'object', additionalProperties: true };
    const query = await queryFor(filter, { style: 'deepObject', explode: true }, { size: { min: 1 }, tag: ['a', 'b'], 'x]&y=': 'z' });
    expect(query).toBe('color[size][min]=1&color[tag]=a&color[tag]=b&color[x%5D%26y%3D]=z');
  });
});

describe('Swagger 2.0 collectionFormat', () => {
  test('csv, ssv, pipes, tsv, multi', async () => {
    const item = (name: string, collectionFormat: string) => ({ name, in: 'query', type: 'array', items: { type: 'string' }, collectionFormat });
    const catalog = await build({
      swagger: '2.0',
      info: { title: 't', version: '1' },
      paths: { '/c': { get: { operationId: 'c', parameters: [item('csv', 'csv'), item('ssv', 'ssv'), item('pipes', 'pipes'), item('tsv', 'tsv'), item('multi', 'multi')], responses: { '204': { description: 'none' } } } } },
    });
    const ab = ['a', 'b'];
    await call(entry(catalog, 'c'), { csv: ab, ssv: ab, pipes: ab, tsv: ab, multi: ab }, { upstream: upstream.url });
    expect(upstream.requests.at(-1)!.target).toBe('/c?csv=a,b&ssv=a%20b&pipes=a|b&tsv=a%09b&multi=a&multi=b');
  });
});
