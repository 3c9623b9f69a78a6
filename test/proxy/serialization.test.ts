/**
 * Issue 20, "Calls that fit": every serialisation rule of OpenAPI (style/explode, allowReserved, content
 * parameters, the Encoding Object) and Swagger 2.0 (collectionFormat), checked byte for byte on the wire of a real
 * upstream: the raw request target, the raw `Cookie` and header values, the raw form and multipart bodies.
 * @see https://spec.openapis.org/oas/v3.1.1#style-examples
 */
import { describe, expect, test } from 'bun:test';
import type { CatalogEntry } from '../../src/catalog/index';
import { accepts } from '../catalog/helpers';
import { build, call, entry, oas30, operation, param, textOf, upstreamForThisFile, type Recorded } from './helpers';

const upstream = upstreamForThisFile();

const list = { type: 'array', items: { type: 'string' } };
const color = { type: 'object', properties: { R: { type: 'integer' }, G: { type: 'integer' }, B: { type: 'integer' } } };
const rgb = { R: 100, G: 200, B: 150 };
const blues = ['blue', 'black', 'brown'];
const noContent = { '204': { description: 'none' } };

async function send(op: CatalogEntry, args: Record<string, unknown>): Promise<Recorded> {
  const before = upstream.requests.length;
  const result = await call(op, args, { upstream: upstream.url });
  expect(result.isError ? textOf(result) : 'sent').toBe('sent');
  expect(upstream.requests.length).toBe(before + 1);
  return upstream.requests.at(-1)!;
}

/** Calls and expects an error naming `argument`, with nothing sent. */
async function refused(op: CatalogEntry, args: Record<string, unknown>, argument: string): Promise<string> {
  const before = upstream.requests.length;
  const result = await call(op, args, { upstream: upstream.url });
  expect(result.isError).toBe(true);
  expect(textOf(result)).toStartWith(`Invalid argument "${argument}": `);
  expect(upstream.requests.length).toBe(before);
  return textOf(result);
}

const swagger = (paths: Record<string, unknown>) => ({ swagger: '2.0', info: { title: 't', version: '1' }, paths });

describe('path: simple (the default), label, matrix — the OpenAPI style table', () => {
  // [style, explode, string, array, object] as OpenAPI 3.1.1's table writes them (label not exploded: RFC 6570's comma)
  const table = [
    ['simple', false, 'blue', 'blue,black,brown', 'R,100,G,200,B,150'],
    ['simple', true, 'blue', 'blue,black,brown', 'R=100,G=200,B=150'],
    ['label', false, '.blue', '.blue,black,brown', '.R,100,G,200,B,150'],
    ['label', true, '.blue', '.blue.black.brown', '.R=100.G=200.B=150'],
    ['matrix', false, ';color=blue', ';color=blue,black,brown', ';color=R,100,G,200,B,150'],
    ['matrix', true, ';color=blue', ';color=blue;color=black;color=brown', ';R=100;G=200;B=150'],
  ] as const;
  for (const [style, explode, string, array, object] of table) {
    test(`${style}, explode ${explode}`, async () => {
      const more = style === 'simple' && !explode ? {} : { style, explode };
      for (const [schema, value, expected] of [[{ type: 'string' }, 'blue', string], [list, blues, array], [color, rgb, object]] as const) {
        const op = await operation('GET', '/p/{color}', { parameters: [param('color', 'path', schema, { required: true, ...more })] });
        expect((await send(op, { color: value })).target).toBe(`/p/${expected}`);
      }
    });
  }

  test('a value is encoded inside its piece; a "/" in it is refused, naming the argument', async () => {
    const op = await operation('GET', '/p/{color}', { parameters: [param('color', 'path', list, { required: true, style: 'label' })] });
    expect((await send(op, { color: ['a b', 'c.d', 'e,f'] })).target).toBe('/p/.a%20b,c.d,e%2Cf');
    await refused(op, { color: ['a/b'] }, 'color');
  });
});

describe('query: form (the default), spaceDelimited, pipeDelimited, deepObject — the OpenAPI style table', () => {
  const table = [
    ['form', true, 'color=blue', 'color=blue&color=black&color=brown', 'R=100&G=200&B=150'],
    ['form', false, 'color=blue', 'color=blue,black,brown', 'color=R,100,G,200,B,150'],
    ['spaceDelimited', false, 'color=blue', 'color=blue%20black%20brown', 'color=R%20100%20G%20200%20B%20150'],
    ['pipeDelimited', false, 'color=blue', 'color=blue|black|brown', 'color=R|100|G|200|B|150'],
    ['deepObject', true, undefined, undefined, 'color[R]=100&color[G]=200&color[B]=150'],
  ] as const;
  for (const [style, explode, string, array, object] of table) {
    test(`${style}, explode ${explode}`, async () => {
      const more = style === 'form' && explode ? {} : { style, explode };
      const cases = [[{ type: 'string' }, 'blue', string], [list, blues, array], [color, rgb, object]] as const;
      for (const [schema, value, expected] of cases) {
        if (expected === undefined) continue;
        const op = await operation('GET', '/q', { parameters: [param('color', 'query', schema, more)] });
        expect((await send(op, { color: value })).target).toBe(`/q?${expected}`);
      }
    });
  }
});

describe('query: allowReserved', () => {
  const reserved = ":/?#[]@!$&'()*+,;=";
  const op = (more: Record<string, unknown>) => operation('GET', '/q', { parameters: [param('url', 'query', { type: 'string' }, more), param('next', 'query', { type: 'string' })] });

  test('false (the default): every reserved character is percent-encoded', async () => {
    const sent = await send(await op({}), { url: reserved });
    expect(sent.target).toBe('/q?url=%3A%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D');
    expect(sent.url.searchParams.get('url')).toBe(reserved);
  });

  test('true: reserved characters are sent as they are, except those OpenAPI leaves the application to encode ([ ] # & = +)', async () => {
    const sent = await send(await op({ allowReserved: true }), { url: `${reserved} é`, next: 'x' });
    // `'` is the one exception on the wire: the WHATWG URL parser (so `fetch`) encodes it in an http(s) query
    expect(sent.target).toBe('/q?url=:/?%23%5B%5D@!$%26%27()*%2B,;%3D%20%C3%A9&next=x');
    // the value cannot add a parameter or cut the URL: the API reads back exactly what was given
    expect([...sent.url.searchParams]).toEqual([['url', `${reserved} é`], ['next', 'x']]);
  });

  test('true: percent-encoded triples pass through unchanged; a lone % is encoded', async () => {
    const sent = await send(await op({ allowReserved: true }), { url: 'https://x.example/a%2Fb?q=1%zz%' });
    expect(sent.target).toBe('/q?url=https://x.example/a%2Fb?q%3D1%25zz%25');
  });

  test('true with a list (form, explode off): the delimiter stays a comma, items keep their reserved characters', async () => {
    const lists = await operation('GET', '/q', { parameters: [param('paths', 'query', list, { allowReserved: true, explode: false })] });
    expect((await send(lists, { paths: ['/a/b', 'c:d'] })).target).toBe('/q?paths=/a/b,c:d');
  });

  test('the catalog keeps it on query parameters only', async () => {
    const op = await operation('GET', '/q/{p}', { parameters: [param('q', 'query', { type: 'string' }, { allowReserved: true }), param('p', 'path', { type: 'string' }, { required: true, allowReserved: true })] });
    expect(op.target.parameters.map((p) => [p.name, p.allowReserved ?? false])).toEqual([['p', false], ['q', true]]);
  });
});

describe('parameters described by content (not schema)', () => {
  const jsonContent = (schema: unknown) => ({ content: { 'application/json': { schema } } });
  const filter = { type: 'object', properties: { size: { type: 'integer' }, name: { type: 'string' } } };

  test('query: the JSON text, percent-encoded as one value (a string too, with its quotes)', async () => {
    const op = await operation('GET', '/q', { parameters: [{ name: 'filter', in: 'query', ...jsonContent(filter) }, { name: 's', in: 'query', ...jsonContent({ type: 'string' }) }] });
    expect(op.target.parameters.map((p) => p.contentType)).toEqual(['application/json', 'application/json']);
    expect((await send(op, { filter: { size: 2, name: 'a b' }, s: 'x' })).target).toBe('/q?filter=%7B%22size%22%3A2%2C%22name%22%3A%22a%20b%22%7D&s=%22x%22');
  });

  test('header: the JSON text, non-ASCII escaped so that it stays the same JSON and a valid header', async () => {
    const op = await operation('GET', '/h', { parameters: [{ name: 'X-Filter', in: 'header', ...jsonContent(filter) }] });
    const sent = await send(op, { 'X-Filter': { size: 1, name: 'José' } });
    expect(sent.headers.get('x-filter')).toBe('{"size":1,"name":"Jos\\u00e9"}');
    expect(JSON.parse(sent.headers.get('x-filter')!)).toEqual({ size: 1, name: 'José' });
  });

  test('path and cookie: the JSON text, percent-encoded', async () => {
    const op = await operation('GET', '/p/{id}', { parameters: [{ name: 'id', in: 'path', required: true, ...jsonContent({ type: 'array', items: { type: 'integer' } }) }, { name: 'prefs', in: 'cookie', ...jsonContent(filter) }] });
    const sent = await send(op, { id: [1, 2], prefs: { size: 3 } });
    expect(sent.target).toBe('/p/%5B1%2C2%5D');
    expect(sent.headers.get('cookie')).toBe('prefs=%7B%22size%22%3A3%7D');
  });
});

describe('header: simple (the default)', () => {
  test('lists and objects, explode off and on', async () => {
    const op = await operation('GET', '/h', {
      parameters: [param('X-List', 'header', list), param('X-Obj', 'header', color), param('X-Exploded', 'header', color, { explode: true })],
    });
    const { headers } = await send(op, { 'X-List': blues, 'X-Obj': rgb, 'X-Exploded': rgb });
    expect([headers.get('x-list'), headers.get('x-obj'), headers.get('x-exploded')]).toEqual(['blue,black,brown', 'R,100,G,200,B,150', 'R=100,G=200,B=150']);
  });
});

describe('cookie: form (the default), and OpenAPI 3.2’s cookie style', () => {
  test('form, explode (the default): RFC 6570 form expansion, one cookie per parameter', async () => {
    const op = await operation('GET', '/c', { parameters: [param('ids', 'cookie', { type: 'array', items: { type: 'integer' } }), param('color', 'cookie', color), param('s', 'cookie', { type: 'string' })] });
    expect((await send(op, { ids: [3, 4], color: { R: 1, G: 2 }, s: 'a b;c' })).headers.get('cookie')).toBe('ids=3&ids=4; R=1&G=2; s=a%20b%3Bc');
  });

  test('form, explode off: comma-separated', async () => {
    const op = await operation('GET', '/c', { parameters: [param('ids', 'cookie', { type: 'array', items: { type: 'integer' } }, { explode: false }), param('color', 'cookie', color, { explode: false })] });
    expect((await send(op, { ids: [3, 4], color: { R: 1, G: 2 } })).headers.get('cookie')).toBe('ids=3,4; color=R,1,G,2');
  });

  test('cookie style (3.2): each pair a cookie of its own, unescaped; explode off joins with commas', async () => {
    const op = await operation('GET', '/c', { parameters: [param('ids', 'cookie', { type: 'array', items: { type: 'string' } }, { style: 'cookie' }), param('one', 'cookie', list, { style: 'cookie', explode: false })] });
    expect(op.target.parameters.map((p) => p.explode)).toEqual([true, false]);
    expect((await send(op, { ids: ['a', 'b'], one: ['x', 'y'] })).headers.get('cookie')).toBe('ids=a; ids=b; one=x,y');
  });

  test('cookie style: a value a cookie cannot carry unescaped is refused, and nothing is sent', async () => {
    const op = await operation('GET', '/c', { parameters: [param('ids', 'cookie', list, { style: 'cookie' })] });
    for (const bad of ['a;b', 'a b', 'a"b', 'é']) expect(await refused(op, { ids: [bad] }, 'ids')).toContain('sent as a cookie');
  });
});

describe('Swagger 2.0 collectionFormat', () => {
  const item = (name: string, where: string, collectionFormat?: string) => ({ name, in: where, type: 'array', items: { type: 'string' }, ...(collectionFormat ? { collectionFormat } : {}), ...(where === 'path' ? { required: true } : {}) });
  const ab = ['a', 'b'];

  test('path: csv (the default), ssv, pipes, tsv', async () => {
    const catalog = await build(swagger({ '/p/{csv}/{ssv}/{pipes}/{tsv}': { get: { operationId: 'p', parameters: [item('csv', 'path'), item('ssv', 'path', 'ssv'), item('pipes', 'path', 'pipes'), item('tsv', 'path', 'tsv')], responses: noContent } } }));
    expect((await send(entry(catalog, 'p'), { csv: ab, ssv: ab, pipes: ab, tsv: ab })).target).toBe('/p/a,b/a%20b/a|b/a%09b');
  });

  test('header: csv, ssv, pipes, tsv; multi (query and formData only) is read as csv', async () => {
    const names = ['csv', 'ssv', 'pipes', 'tsv', 'multi'];
    const catalog = await build(swagger({ '/h': { get: { operationId: 'h', parameters: names.map((n) => item(`X-${n}`, 'header', n)), responses: noContent } } }));
    const { headers } = await send(entry(catalog, 'h'), Object.fromEntries(names.map((n) => [`X-${n}`, ab])));
    expect(names.map((n) => headers.get(`x-${n}`))).toEqual(['a,b', 'a b', 'a|b', 'a\tb', 'a,b']);
  });

  test('query: csv (the default), ssv, pipes, tsv, multi', async () => {
    const catalog = await build(swagger({ '/q': { get: { operationId: 'q', parameters: [item('csv', 'query'), item('ssv', 'query', 'ssv'), item('pipes', 'query', 'pipes'), item('tsv', 'query', 'tsv'), item('multi', 'query', 'multi')], responses: noContent } } }));
    expect((await send(entry(catalog, 'q'), { csv: ab, ssv: ab, pipes: ab, tsv: ab, multi: ab })).target).toBe('/q?csv=a,b&ssv=a%20b&pipes=a|b&tsv=a%09b&multi=a&multi=b');
  });

  const formOperation = (consumes: string) =>
    build(swagger({ '/f': { post: { operationId: 'f', consumes: [consumes], parameters: [item('csv', 'formData'), item('ssv', 'formData', 'ssv'), item('pipes', 'formData', 'pipes'), item('multi', 'formData', 'multi'), { name: 'note', in: 'formData', type: 'string' }], responses: noContent } } }));

  test('formData, urlencoded: csv, ssv, pipes, multi', async () => {
    const sent = await send(entry(await formOperation('application/x-www-form-urlencoded'), 'f'), { csv: ['a', 'b,c'], ssv: ab, pipes: ab, multi: ab, note: 'x&y=z' });
    expect(sent.contentType).toBe('application/x-www-form-urlencoded');
    expect(sent.text).toBe('csv=a,b%2Cc&ssv=a%20b&pipes=a|b&multi=a&multi=b&note=x%26y%3Dz');
  });

  test('formData, multipart: csv, ssv and pipes one part each, multi a part per item', async () => {
    const sent = await send(entry(await formOperation('multipart/form-data'), 'f'), { csv: ab, ssv: ab, pipes: ab, multi: ab, note: 'x' });
    expect(parts(sent)).toEqual([
      { head: 'Content-Disposition: form-data; name="csv"', body: 'a,b' },
      { head: 'Content-Disposition: form-data; name="ssv"', body: 'a b' },
      { head: 'Content-Disposition: form-data; name="pipes"', body: 'a|b' },
      { head: 'Content-Disposition: form-data; name="multi"', body: 'a' },
      { head: 'Content-Disposition: form-data; name="multi"', body: 'b' },
      { head: 'Content-Disposition: form-data; name="note"', body: 'x' },
    ]);
  });

  test('allowEmptyValue: an empty query value is sent as "name="', async () => {
    const catalog = await build(swagger({ '/q': { get: { operationId: 'q', parameters: [{ name: 'cursor', in: 'query', type: 'string', allowEmptyValue: true }], responses: noContent } } }));
    expect((await send(entry(catalog, 'q'), { cursor: '' })).target).toBe('/q?cursor=');
  });
});

/** The parts of a multipart body as sent: each part's header lines and its body (latin1, so bytes survive). */
function parts(recorded: Recorded): { head: string; body: string }[] {
  const boundary = /^multipart\/form-data; boundary=(\S+)$/.exec(recorded.contentType ?? '')?.[1];
  expect(boundary).toBeDefined();
  const raw = Buffer.from(recorded.body).toString('latin1');
  expect(raw.endsWith(`\r\n--${boundary}--\r\n`)).toBe(true);
  const pieces = raw.slice(0, -`\r\n--${boundary}--\r\n`.length).split(`\r\n--${boundary}\r\n`);
  expect(pieces[0]!.startsWith(`--${boundary}\r\n`)).toBe(true);
  pieces[0] = pieces[0]!.slice(`--${boundary}\r\n`.length);
  return pieces.map((piece) => {
    const at = piece.indexOf('\r\n\r\n');
    return { head: piece.slice(0, at), body: piece.slice(at + 4) };
  });
}

const formBody = (contentType: string, schema: unknown, encoding?: Record<string, unknown>) => ({ requestBody: { required: true, content: { [contentType]: { schema, ...(encoding ? { encoding } : {}) } } } });

describe('application/x-www-form-urlencoded and the Encoding Object', () => {
  const schema = {
    type: 'object',
    properties: { id: { type: 'string' }, address: { type: 'object', properties: { city: { type: 'string' }, zip: { type: 'string' } } }, tags: list },
  };
  const value = { id: 'a b', address: { city: 'Oslo', zip: '0150' }, tags: ['x', 'y'] };

  test('no encoding: scalars as text, an object as JSON text, a list repeats its key', async () => {
    const sent = await send(await operation('POST', '/f', formBody('application/x-www-form-urlencoded', schema)), value);
    expect(sent.text).toBe('id=a%20b&address=%7B%22city%22%3A%22Oslo%22%2C%22zip%22%3A%220150%22%7D&tags=x&tags=y');
  });

  test('style form, explode on: an object becomes a pair per property', async () => {
    const sent = await send(await operation('POST', '/f', formBody('application/x-www-form-urlencoded', schema, { address: { style: 'form' }, tags: { explode: false } })), value);
    expect(sent.text).toBe('id=a%20b&city=Oslo&zip=0150&tags=x,y');
  });

  test('deepObject, pipeDelimited, and contentType application/json for a string (its JSON text)', async () => {
    const op = await operation('POST', '/f', formBody('application/x-www-form-urlencoded', schema, { address: { style: 'deepObject', explode: true }, tags: { style: 'pipeDelimited', explode: false }, id: { contentType: 'application/json' } }));
    expect((await send(op, value)).text).toBe('id=%22a%20b%22&address[city]=Oslo&address[zip]=0150&tags=x|y');
  });

  test('allowReserved: reserved characters kept, & = + # still encoded', async () => {
    const op = await operation('POST', '/f', formBody('application/x-www-form-urlencoded', { type: 'object', properties: { next: { type: 'string' } } }, { next: { allowReserved: true } }));
    expect((await send(op, { next: '/a?b=c&d#e+f' })).text).toBe('next=/a?b%3Dc%26d%23e%2Bf');
  });

  test('a body that is one argument (a map) follows the encoding of its properties too', async () => {
    const op = await operation('POST', '/f', formBody('application/x-www-form-urlencoded', { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } }, { tags: { explode: false } }));
    expect(op.target.body?.mode).toBe('whole');
    expect((await send(op, { body: { tags: ['a', 'b'], other: ['c', 'd'] } })).text).toBe('tags=a,b&other=c&other=d');
  });
});

describe('multipart/form-data, written by hand', () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 255]);
  const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
  const address = { type: 'object', properties: { city: { type: 'string' } } };
  const schema = {
    type: 'object',
    properties: {
      title: { type: 'string' },
      count: { type: 'integer' },
      meta: { type: 'object', additionalProperties: true },
      addresses: { type: 'array', items: address },
      tags: list,
      file: { type: 'string', format: 'binary' },
      photos: { type: 'array', items: { type: 'string', format: 'binary' } },
    },
  };

  test('defaults: text parts without Content-Type, objects as JSON parts (one per list item), files with a filename and application/octet-stream', async () => {
    const op = await operation('POST', '/m', formBody('multipart/form-data', schema));
    expect((op.tool.inputSchema.properties as Record<string, Record<string, unknown>>).file!.contentEncoding).toBe('base64');
    const b64 = Buffer.from(png).toString('base64');
    const sent = await send(op, { title: 'Été', count: 2, meta: { a: [1] }, addresses: [{ city: 'Oslo' }, { city: 'Rome' }], tags: ['x', 'y'], file: b64, photos: [b64, `data:image/png;base64,${b64}`] });
    expect(sent.contentType).toMatch(/^multipart\/form-data; boundary=----portico-[0-9a-f]{32}$/);
    const disposition = (name: string, file = false) => `Content-Disposition: form-data; name="${name}"${file ? `; filename="${name}"` : ''}`;
    expect(parts(sent)).toEqual([
      { head: disposition('title'), body: latin1(new TextEncoder().encode('Été')) },
      { head: disposition('count'), body: '2' },
      { head: `${disposition('meta')}\r\nContent-Type: application/json`, body: '{"a":[1]}' },
      { head: `${disposition('addresses')}\r\nContent-Type: application/json`, body: '{"city":"Oslo"}' },
      { head: `${disposition('addresses')}\r\nContent-Type: application/json`, body: '{"city":"Rome"}' },
      { head: disposition('tags'), body: 'x' },
      { head: disposition('tags'), body: 'y' },
      { head: `${disposition('file', true)}\r\nContent-Type: application/octet-stream`, body: latin1(png) },
      { head: `${disposition('photos', true)}\r\nContent-Type: application/octet-stream`, body: latin1(png) },
      { head: `${disposition('photos', true)}\r\nContent-Type: image/png`, body: latin1(png) },
    ]);
    // a standard parser reads JSON parts as fields, not files, and the files as files
    const form = await new Response(sent.body, { headers: { 'content-type': sent.contentType! } }).formData();
    expect(form.get('meta')).toBe('{"a":[1]}');
    expect(form.getAll('tags')).toEqual(['x', 'y']);
    expect(new Uint8Array(await (form.get('file') as File).arrayBuffer())).toEqual(png);
  });

  test('encoding contentType: a file gets the first concrete type of a list; a scalar declared JSON is its JSON text; text/plain is said', async () => {
    const op = await operation('POST', '/m', formBody('multipart/form-data', schema, { file: { contentType: 'image/*, image/png, image/jpeg' }, title: { contentType: 'application/json' }, tags: { contentType: 'text/plain; charset=utf-8' } }));
    const sent = await send(op, { file: Buffer.from(png).toString('base64'), title: 'T', tags: ['x'] });
    expect(parts(sent).map((part) => part.head.split('\r\n')[1] ?? '')).toEqual(['Content-Type: application/json', 'Content-Type: text/plain; charset=utf-8', 'Content-Type: image/png']);
    expect(parts(sent)[0]!.body).toBe('"T"');
  });

  test('encoding style/explode: a list in one part, an object as pairs', async () => {
    const op = await operation('POST', '/m', formBody('multipart/form-data', schema, { tags: { style: 'form', explode: false }, meta: { style: 'deepObject', explode: true } }));
    expect(parts(await send(op, { tags: ['x', 'y'], meta: { a: 1, b: 'two' } }))).toEqual([
      { head: 'Content-Disposition: form-data; name="meta[a]"', body: '1' },
      { head: 'Content-Disposition: form-data; name="meta[b]"', body: 'two' },
      { head: 'Content-Disposition: form-data; name="tags"', body: 'x,y' },
    ]);
  });

  test('a map of files (a body that is one argument): each entry a file part, by additionalProperties', async () => {
    const op = await operation('POST', '/m', formBody('multipart/form-data', { type: 'object', additionalProperties: { type: 'string', format: 'binary' } }));
    const sent = await send(op, { body: { a: Buffer.from('x').toString('base64') } });
    expect(parts(sent)).toEqual([{ head: 'Content-Disposition: form-data; name="a"; filename="a"\r\nContent-Type: application/octet-stream', body: 'x' }]);
  });

  test('names are quoted as browsers quote them: " CR LF percent-encoded', async () => {
    const op = await operation('POST', '/m', formBody('multipart/form-data', { type: 'object', additionalProperties: { type: 'string' } }));
    expect(parts(await send(op, { body: { 'a"b\r\nContent-Type: evil': 'v' } }))).toEqual([{ head: 'Content-Disposition: form-data; name="a%22b%0D%0AContent-Type: evil"', body: 'v' }]);
  });

  test('a value holding a boundary-like line cannot end its part: the boundary is never inside a part', async () => {
    const op = await operation('POST', '/m', formBody('multipart/form-data', schema));
    const sneaky = '\r\n------portico-00000000000000000000000000000000--\r\n';
    const sent = await send(op, { title: sneaky });
    expect(parts(sent)).toEqual([{ head: 'Content-Disposition: form-data; name="title"', body: sneaky }]);
  });

  test('a data: URL whose media type is not one (a line break in it) is refused, naming the argument, and nothing is sent', async () => {
    const op = await operation('POST', '/m', formBody('multipart/form-data', schema));
    for (const bad of ['data:\r\nX-Evil: 1\r\nimage/png;base64,AAAA', 'data:image/png\r\nX: y;base64,AAAA', 'data:not a type;base64,AAAA']) {
      expect(await refused(op, { file: bad }, 'file')).toContain('media type');
    }
  });

  test('an OpenAPI 3 document end to end: the catalog carries the encoding', async () => {
    const catalog = await build(oas30({ '/up': { post: { operationId: 'up', ...formBody('multipart/form-data', schema, { tags: { explode: false }, file: { contentType: 'image/png' } }), responses: noContent } } }));
    expect(entry(catalog, 'up').target.body).toMatchObject({ mode: 'fields', encoding: { tags: { style: 'form', explode: false, allowReserved: false }, file: { contentType: 'image/png' } } });
  });
});

describe('the input schema offers no nesting a style has no rule for', () => {
  const scalar = { type: ['string', 'number', 'boolean'] };
  const properties = (op: CatalogEntry) => op.tool.inputSchema.properties as Record<string, Record<string, unknown>>;

  test('free-form members (a header map, an untyped list, a member that may be an object) become scalars', async () => {
    const op = await operation('GET', '/n', {
      parameters: [
        param('X-Map', 'header', { type: 'object' }, { explode: true }),
        param('any', 'query', { type: 'array', items: {} }, { explode: false }),
        param('open', 'query', { type: 'array' }),
        param('mixed', 'query', { type: 'object', properties: { a: { type: ['object', 'string'] } }, additionalProperties: false }),
      ],
    });
    const props = properties(op);
    expect(props['X-Map']).toEqual({ type: 'object', additionalProperties: scalar });
    expect(props.any).toEqual({ type: 'array', items: scalar });
    expect(props.open).toEqual({ type: 'array', items: scalar });
    expect(props.mixed).toEqual({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false });
    expect(accepts(props['X-Map'], { a: 1, b: 'x', c: true })).toBe(true);
    expect(accepts(props['X-Map'], { a: { nested: 1 } })).toBe(false);
    expect(accepts(props.any, [['x']])).toBe(false);
    expect((await send(op, { 'X-Map': { a: 1, b: 'x' }, any: ['p', 2], mixed: { a: 's' } })).headers.get('x-map')).toBe('a=1,b=x');
  });

  test('deepObject (which nests with brackets), content parameters (JSON) and scalar members are left as written', async () => {
    const op = await operation('GET', '/n', {
      parameters: [
        param('filter', 'query', { type: 'object' }, { style: 'deepObject', explode: true }),
        { name: 'json', in: 'query', content: { 'application/json': { schema: { type: 'object' } } } },
        param('ids', 'query', { type: 'array', items: { type: 'integer' } }),
      ],
    });
    expect(properties(op)).toEqual({ filter: { type: 'object' }, json: { type: 'object' }, ids: { type: 'array', items: { type: 'integer' } } });
    expect((await send(op, { filter: { size: { min: 1 } }, json: { a: [1] }, ids: [1, 2] })).target).toBe('/n?filter[size][min]=1&json=%7B%22a%22%3A%5B1%5D%7D&ids=1&ids=2');
  });

  test('a member the document types only as an object stays, and is sent as JSON text (the one shape with no rule)', async () => {
    const op = await operation('GET', '/n', { parameters: [param('X-Obj', 'header', { type: 'object', properties: { inner: { type: 'object', properties: { a: { type: 'integer' } } } } })] });
    expect(properties(op)['X-Obj']!.properties).toEqual({ inner: { type: 'object', properties: { a: { type: 'integer' } } } });
    expect((await send(op, { 'X-Obj': { inner: { a: 1 } } })).headers.get('x-obj')).toBe('inner,{"a":1}');
  });

  test('a styled form field is held the same way; an unstyled one (JSON by default) is not', async () => {
    const op = await operation('POST', '/f', formBody('application/x-www-form-urlencoded', { type: 'object', properties: { styled: { type: 'object' }, plain: { type: 'object' } } }, { styled: { style: 'form', explode: true } }));
    expect(properties(op)).toEqual({ styled: { type: 'object', additionalProperties: scalar }, plain: { type: 'object' } });
    expect((await send(op, { styled: { a: 1 }, plain: { b: { c: 2 } } })).text).toBe('a=1&plain=%7B%22b%22%3A%7B%22c%22%3A2%7D%7D');
  });
});
