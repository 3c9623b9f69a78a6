/**
 * Request bodies arrive as the upstream expects them: JSON, urlencoded forms, multipart forms with files.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { loadCatalog } from '../../src/catalog/index';
import { build, call, entry, oas30, operation, param, textOf, upstreamForThisFile, type Recorded } from './helpers';

const upstream = upstreamForThisFile();

const form = (recorded: Recorded) => new Response(recorded.body, { headers: { 'content-type': recorded.contentType ?? '' } }).formData();
const body = (contentType: string, schema: unknown, required = true) => ({ requestBody: { required, content: { [contentType]: { schema } } } });

describe('JSON', () => {
  test('fields become one object (the demo API: create_project)', async () => {
    const { catalog } = await loadCatalog(join(import.meta.dir, '..', '..', 'src', 'demo', 'swagger.json'));
    const result = await call(entry(catalog, 'create_project'), { name: 'shop', org_id: 'org_1' }, { upstream: upstream.url });
    expect(result.isError).toBeFalsy();
    const last = upstream.requests.at(-1)!;
    expect(last.method).toBe('POST');
    expect(last.target).toBe('/v1/projects');
    expect(last.contentType).toBe('application/json');
    expect(JSON.parse(last.text)).toEqual({ name: 'shop', org_id: 'org_1' });
  });

  test('a field named __proto__ is an ordinary property on the wire', async () => {
    const op = await operation('POST', '/j', body('application/json', JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"},"a":{"type":"integer"}}}')));
    await call(op, JSON.parse('{"__proto__":"x","a":1}'), { upstream: upstream.url });
    expect(upstream.requests.at(-1)!.text).toBe('{"__proto__":"x","a":1}');
  });

  test('a whole body (a list) is sent as it is, with a vendor JSON type', async () => {
    const op = await operation('PUT', '/j', body('application/vnd.api+json', { type: 'array', items: { type: 'integer' } }));
    await call(op, { body: [1, 2, 3] }, { upstream: upstream.url });
    const last = upstream.requests.at(-1)!;
    expect(last.contentType).toBe('application/vnd.api+json');
    expect(last.text).toBe('[1,2,3]');
  });

  test('an optional body with no fields given is not sent; a required one is sent empty', async () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    await call(await operation('POST', '/j', body('application/json', schema, false)), {}, { upstream: upstream.url });
    expect(upstream.requests.at(-1)!.body.length).toBe(0);
    expect(upstream.requests.at(-1)!.contentType).toBeNull();
    await call(await operation('POST', '/j', body('application/json', schema, true)), {}, { upstream: upstream.url });
    expect(upstream.requests.at(-1)!.text).toBe('{}');
  });
});

describe('application/x-www-form-urlencoded', () => {
  test('Swagger 2.0 formData fields', async () => {
    const catalog = await build({
      swagger: '2.0',
      info: { title: 't', version: '1' },
      paths: {
        '/token': {
          post: {
            operationId: 'token',
            consumes: ['application/x-www-form-urlencoded'],
            parameters: [
              { name: 'grant_type', in: 'formData', type: 'string', required: true },
              { name: 'scope', in: 'formData', type: 'array', items: { type: 'string' } },
              { name: 'remember', in: 'formData', type: 'boolean' },
            ],
            responses: { '204': { description: 'none' } },
          },
        },
      },
    });
    await call(entry(catalog, 'token'), { grant_type: 'password & more=1', scope: ['read', 'write'], remember: true }, { upstream: upstream.url });
    const last = upstream.requests.at(-1)!;
    expect(last.contentType).toStartWith('application/x-www-form-urlencoded');
    // an array field without collectionFormat is csv, Swagger 2.0's default
    expect([...new URLSearchParams(last.text)]).toEqual([['grant_type', 'password & more=1'], ['scope', 'read,write'], ['remember', 'true']]);
  });

  test('nested objects are JSON text without an encoding (OpenAPI 3.1.1: an object field defaults to application/json)', async () => {
    const op = await operation('POST', '/f', body('application/x-www-form-urlencoded', { type: 'object', properties: { name: { type: 'string' }, address: { type: 'object', properties: { city: { type: 'string' } } } } }));
    await call(op, { name: 'Ada', address: { city: 'Oslo' } }, { upstream: upstream.url });
    expect([...new URLSearchParams(upstream.requests.at(-1)!.text)]).toEqual([['name', 'Ada'], ['address', '{"city":"Oslo"}']]);
  });
});

describe('multipart/form-data', () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 255, 1, 2]);
  const upload = () =>
    operation(
      'POST',
      '/upload',
      body('multipart/form-data', {
        type: 'object',
        properties: { file: { type: 'string', format: 'binary' }, title: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } }, meta: { type: 'object' } },
      }),
    );

  test('a binary field given as base64 arrives as the original bytes; other fields as text parts', async () => {
    const result = await call(await upload(), { file: Buffer.from(png).toString('base64'), title: 'Logo', tags: ['a', 'b'], meta: { x: 1 } }, { upstream: upstream.url });
    expect(result.isError).toBeFalsy();
    const last = upstream.requests.at(-1)!;
    expect(last.contentType).toStartWith('multipart/form-data; boundary=');
    const parts = await form(last);
    const file = parts.get('file') as File;
    expect(file).toBeInstanceOf(Blob);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(png);
    // Bun's parser sniffs the bytes for `file.type`; the part header is what was sent
    expect(last.text).toContain('Content-Disposition: form-data; name="file"; filename="file"\r\nContent-Type: application/octet-stream\r\n');
    expect(parts.get('title')).toBe('Logo');
    expect(parts.getAll('tags')).toEqual(['a', 'b']);
    expect(parts.get('meta')).toBe('{"x":1}');
  });

  test('a data: URL gives the part its media type; URL-safe base64 and line breaks are accepted', async () => {
    await call(await upload(), { file: `data:image/png;base64,${Buffer.from(png).toString('base64')}` }, { upstream: upstream.url });
    const file = (await form(upstream.requests.at(-1)!)).get('file') as File;
    expect(upstream.requests.at(-1)!.text).toContain('filename="file"\r\nContent-Type: image/png\r\n');
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(png);
    const urlSafe = Buffer.from(png).toString('base64url').replace(/(.{4})/g, '$1\n');
    await call(await upload(), { file: urlSafe }, { upstream: upstream.url });
    expect(new Uint8Array(await ((await form(upstream.requests.at(-1)!)).get('file') as File).arrayBuffer())).toEqual(png);
  });

  test('plain text in a binary field is refused, naming the argument', async () => {
    const before = upstream.requests.length;
    const result = await call(await upload(), { file: 'hello, world!' }, { upstream: upstream.url });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toStartWith('Invalid argument "file": must be base64-encoded');
    expect(upstream.requests.length).toBe(before);
  });

  test('Swagger 2.0 `type: file`', async () => {
    const catalog = await build({
      swagger: '2.0',
      info: { title: 't', version: '1' },
      paths: { '/avatar': { post: { operationId: 'avatar', consumes: ['multipart/form-data'], parameters: [{ name: 'image', in: 'formData', type: 'file', required: true }], responses: { '204': { description: 'none' } } } } },
    });
    await call(entry(catalog, 'avatar'), { image: Buffer.from('GIF89a').toString('base64') }, { upstream: upstream.url });
    const file = (await form(upstream.requests.at(-1)!)).get('image') as File;
    expect(await file.text()).toBe('GIF89a');
  });
});

describe('other media types', () => {
  test('text/plain: the string as it is', async () => {
    const op = await operation('POST', '/t', body('text/plain', { type: 'string' }));
    await call(op, { body: 'line 1\nline 2' }, { upstream: upstream.url });
    const last = upstream.requests.at(-1)!;
    expect(last.contentType).toBe('text/plain');
    expect(last.text).toBe('line 1\nline 2');
  });

  test('application/octet-stream with a binary schema: base64 decoded', async () => {
    const op = await operation('PUT', '/blob', body('application/octet-stream', { type: 'string', format: 'binary' }));
    await call(op, { body: Buffer.from([0, 1, 2, 255]).toString('base64') }, { upstream: upstream.url });
    const last = upstream.requests.at(-1)!;
    expect(last.contentType).toBe('application/octet-stream');
    expect([...last.body]).toEqual([0, 1, 2, 255]);
  });

  test('a required whole body that is missing is an error naming it', async () => {
    const op = await operation('POST', '/t', body('text/plain', { type: 'string' }));
    const result = await call(op, {}, { upstream: upstream.url });
    expect(textOf(result)).toBe('Invalid argument "body": is required (it is the request body)');
  });

  test('query, header and body together (an OpenAPI 3 document)', async () => {
    const catalog = await build(
      oas30({
        '/items/{id}': {
          patch: {
            operationId: 'patch_item',
            parameters: [param('id', 'path', { type: 'integer' }), param('dry_run', 'query', { type: 'boolean' }), param('X-Trace', 'header', { type: 'string' })],
            requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { name: { type: 'string' } } } } } },
            responses: { '204': { description: 'none' } },
          },
        },
      }),
    );
    await call(entry(catalog, 'patch_item'), { id: 5, dry_run: true, 'X-Trace': 't1', name: 'n' }, { upstream: upstream.url });
    const last = upstream.requests.at(-1)!;
    expect([last.method, last.target, last.headers.get('x-trace'), last.text]).toEqual(['PATCH', '/items/5?dry_run=true', 't1', '{"name":"n"}']);
  });
});
