/**
 * Path parameters: no value can change which path is called. Every attempt is either refused before
 * anything is sent, or arrives at the upstream as one encoded segment of the operation's template.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { loadCatalog, type CatalogEntry } from '../../src/catalog/index';
import { basePath } from '../../src/proxy/index';
import { call, entry, operation, param, removeTempDirs, startUpstream, textOf, type Upstream } from './helpers';

let upstream: Upstream;
let profile: CatalogEntry;
const TEMPLATE = /^\/v1\/users\/[^/?#]+\/profile$/;

beforeAll(async () => {
  upstream = startUpstream();
  profile = await operation('GET', '/users/{id}/profile', { parameters: [param('id', 'path', { type: 'string' })] }, { servers: [{ url: '/v1' }] });
});
afterAll(async () => {
  await upstream.stop();
  removeTempDirs();
});

describe('traversal attempts are refused and nothing is sent', () => {
  const attempts: [string, string][] = [
    ['dot-dot', '..'],
    ['dot', '.'],
    ['encoded dot-dot', '%2e%2e'],
    ['encoded dot-dot, upper case', '%2E%2E'],
    ['half-encoded dot-dot', '.%2E'],
    ['half-encoded dot-dot, other half', '%2e.'],
    ['double-encoded dot-dot', '%252e%252e'],
    ['slash', 'a/b'],
    ['dot-dot then path', 'a/../admin'],
    ['encoded slash', '%2F'],
    ['encoded slash, lower case', 'a%2fb'],
    ['double-encoded slash', '%252F'],
    ['triple-encoded slash', '%25252F'],
    ['backslash', '\\'],
    ['backslash traversal', '..\\admin'],
    ['encoded backslash', '%5C'],
    ['double-encoded backslash', '%255c'],
    ['line feed', '\n'],
    ['CRLF', 'a\r\nb'],
    ['NUL', 'a\u0000b'],
    ['encoded NUL', '%00'],
    ['encoded line feed', 'x%0Ay'],
    ['DEL', '\u007f'],
    ['empty', ''],
    ['full-width dot-dot', '．．'],
    ['full-width slash', 'a／b'],
    ['overlong UTF-8 slash', '%C0%AF'],
  ];
  for (const [label, value] of attempts) {
    test(`${label}: ${JSON.stringify(value)}`, async () => {
      const before = upstream.requests.length;
      const result = await call(profile, { id: value }, { upstream: upstream.url });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toStartWith('Invalid argument "id": ');
      expect(upstream.requests.length).toBe(before);
    });
  }

  test('a traversal in a list (simple style) is refused too', async () => {
    const list = await operation('GET', '/tags/{tags}', { parameters: [param('tags', 'path', { type: 'array', items: { type: 'string' } })] });
    const result = await call(list, { tags: ['a', '..'] }, { upstream: upstream.url });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('"tags"');
  });
});

describe('allowed values arrive encoded, as one segment of the template', () => {
  const cases: [unknown, string][] = [
    ['alice', 'alice'],
    ['a b', 'a%20b'],
    ['x?admin=true', 'x%3Fadmin%3Dtrue'],
    ['x#frag', 'x%23frag'],
    ['a..b', 'a..b'],
    ['...', '...'],
    ['ü', '%C3%BC'],
    ['100%', '100%25'],
    ['%41', '%2541'],
    ["it's(*)!", 'it%27s%28%2A%29%21'],
    ['a;b=c,d', 'a%3Bb%3Dc%2Cd'],
  ];
  for (const [value, encoded] of cases) {
    test(`${JSON.stringify(value)} → ${encoded}`, async () => {
      const result = await call(profile, { id: value }, { upstream: upstream.url });
      expect(result.isError).toBeFalsy();
      const last = upstream.requests.at(-1)!;
      expect(last.target).toBe(`/v1/users/${encoded}/profile`);
      expect(last.target).toMatch(TEMPLATE);
    });
  }

  test('random values: either refused, or exactly one segment that decodes back to the value', async () => {
    const alphabet = ['a', 'Z', '0', '.', '..', '/', '\\', '%', '%2e', '%2f', '%5c', '%25', '?', '#', '&', '=', ' ', '\t', '\r', '\n', '\u0000', 'é', '．', '／', '~', '+', ';', ','];
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let sent = 0;
    for (let i = 0; i < 300; i++) {
      const value = Array.from({ length: 1 + Math.floor(random() * 4) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const before = upstream.requests.length;
      const result = await call(profile, { id: value }, { upstream: upstream.url });
      if (result.isError) {
        expect(upstream.requests.length).toBe(before);
        continue;
      }
      sent++;
      const target = upstream.requests.at(-1)!.target;
      expect(target).toMatch(TEMPLATE);
      expect(decodeURIComponent(target.split('/')[3]!)).toBe(value);
    }
    expect(sent).toBeGreaterThan(20);
  });
});

describe('styles', () => {
  test('simple: numbers, lists and objects (explode on and off)', async () => {
    const op = await operation('GET', '/a/{n}/{list}/{obj}/{exploded}', {
      parameters: [
        param('n', 'path', { type: 'integer' }),
        param('list', 'path', { type: 'array', items: { type: 'string' } }),
        param('obj', 'path', { type: 'object' }),
        param('exploded', 'path', { type: 'object' }, { explode: true }),
      ],
    });
    await call(op, { n: 7, list: ['x', 'y z'], obj: { R: 1, G: 2 }, exploded: { R: 1, G: 2 } }, { upstream: upstream.url });
    expect(upstream.requests.at(-1)!.target).toBe('/a/7/x,y%20z/R,1,G,2/R=1,G=2');
  });

  test('label and matrix', async () => {
    const op = await operation('GET', '/b/{label}{matrix}/{exploded}', {
      parameters: [
        param('label', 'path', { type: 'array', items: { type: 'string' } }, { style: 'label' }),
        param('matrix', 'path', { type: 'string' }, { style: 'matrix' }),
        param('exploded', 'path', { type: 'array', items: { type: 'string' } }, { style: 'matrix', explode: true }),
      ],
    });
    await call(op, { label: ['a', 'b'], matrix: 'c', exploded: ['d', 'e'] }, { upstream: upstream.url });
    expect(upstream.requests.at(-1)!.target).toBe('/b/.a,b;matrix=c/;exploded=d;exploded=e');
  });

  test('a missing path argument is an error naming it', async () => {
    const result = await call(profile, {}, { upstream: upstream.url });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('Invalid argument "id": is required (it is part of the URL path)');
  });
});

describe('base URL: the host is always the configured one', () => {
  const up = (href: string) => new URL(href.replace(/\/+$/, ''));
  const cases: [string, string, string][] = [
    ['http://api.test', '/v1', '/v1'],
    ['http://api.test', '', ''],
    ['http://api.test', 'v1', '/v1'],
    ['http://api.test', 'https://elsewhere.example.com/v2', '/v2'],
    ['http://api.test/api', 'https://api.test/api/v2', '/api/v2'],
    ['http://api.test/api/v2', '/v2', '/api/v2'],
    ['http://api.test/gateway', '/v2', '/gateway/v2'],
    ['http://api.test/v1', '', '/v1'],
    ['http://api.test', '//evil.example.com/x', '/evil.example.com/x'],
    ['http://api.test', '/a/../b/', '/b'],
  ];
  for (const [upstreamUrl, server, expected] of cases) {
    test(`${upstreamUrl} + ${JSON.stringify(server)} → ${JSON.stringify(expected)}`, () => {
      expect(basePath(up(upstreamUrl), server)).toBe(expected);
    });
  }

  test('an absolute server URL on another host: the request still goes to the configured upstream', async () => {
    const op = await operation('GET', '/ping', {}, { servers: [{ url: 'https://evil.example.com/v2' }] });
    await call(op, {}, { upstream: upstream.url, headers: { 'X-API-Key': 'key-for-the-real-api' } });
    const last = upstream.requests.at(-1)!;
    expect(last.target).toBe('/v2/ping');
    expect(last.headers.get('x-api-key')).toBe('key-for-the-real-api');
  });

  test('a server variable without a default is a clear error', async () => {
    const op = await operation('GET', '/ping', {}, { servers: [{ url: '/{version}' }] });
    const result = await call(op, {}, { upstream: upstream.url });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('{version}');
  });

  test('the demo API (Swagger 2.0, host localhost:4010, basePath /v1) is called on the configured upstream', async () => {
    const { catalog } = await loadCatalog(join(import.meta.dir, '..', '..', 'src', 'demo', 'swagger.json'));
    const getDatabase = entry(catalog, 'get_database');
    await call(getDatabase, { projectId: 'prj_1', databaseId: 'db 2' }, { upstream: upstream.url });
    expect(upstream.requests.at(-1)!.target).toBe('/v1/projects/prj_1/databases/db%202');
  });
});
