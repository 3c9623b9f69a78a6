/**
 * Headers and cookies: declared parameters only, no line breaks, never the transport's or the credential's
 * headers; the deployment's credential always present and always last.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { CatalogEntry } from '../../src/catalog/index';
import { FORBIDDEN_HEADERS, resolveProxyOptions } from '../../src/proxy/index';
import { call, operation, param, removeTempDirs, startUpstream, textOf, type Upstream } from './helpers';

let upstream: Upstream;
let withHeader: CatalogEntry;
const credential = { 'X-API-Key': 'sk_live_deployment_key' };

beforeAll(async () => {
  upstream = startUpstream();
  withHeader = await operation('GET', '/h', {
    parameters: [param('X-Request-Id', 'header', { type: 'string' }), param('X-Tags', 'header', { type: 'array', items: { type: 'string' } })],
  });
});
afterAll(async () => {
  await upstream.stop();
  removeTempDirs();
});

describe('header parameters', () => {
  test('are sent (lists comma-separated), with the credential', async () => {
    const result = await call(withHeader, { 'X-Request-Id': 'abc-123', 'X-Tags': ['a', 'b'] }, { upstream: upstream.url, headers: credential });
    expect(result.isError).toBeFalsy();
    const { headers } = upstream.requests.at(-1)!;
    expect(headers.get('x-request-id')).toBe('abc-123');
    expect(headers.get('x-tags')).toBe('a,b');
    expect(headers.get('x-api-key')).toBe('sk_live_deployment_key');
  });

  for (const [label, value] of [
    ['CRLF', 'a\r\nX-Admin: true'],
    ['LF', 'a\nX-Admin: true'],
    ['CR', 'a\rb'],
    ['NUL', 'a\u0000b'],
    ['other control characters', 'a\u0007b'],
    ['non-ASCII', 'é'],
    ['Unicode line separator', 'a\u2028b'],
  ] as const) {
    test(`${label} in a value is refused, naming the argument, and nothing is sent`, async () => {
      const before = upstream.requests.length;
      const result = await call(withHeader, { 'X-Request-Id': value }, { upstream: upstream.url });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toStartWith('Invalid argument "X-Request-Id": ');
      expect(upstream.requests.length).toBe(before);
    });
  }

  test('an over-long value is refused', async () => {
    const result = await call(withHeader, { 'X-Request-Id': 'x'.repeat(9000) }, { upstream: upstream.url });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('too long');
  });
});

describe('headers no argument can set', () => {
  // the catalog offers none of them as an argument (what a schema offers, the gateway sends: `NEVER_SENT_HEADERS`);
  // a binding that reaches the proxy anyway (a hand-made target) is refused there too, before anything is sent
  const names = ['Cookie', 'Host', 'Content-Length', 'Transfer-Encoding', 'X-Forwarded-For', 'Connection', 'Proxy-Authorization'];
  for (const name of names) {
    test(`${name}`, async () => {
      expect(FORBIDDEN_HEADERS.has(name.toLowerCase())).toBe(true);
      const op = await operation('GET', '/h', { parameters: [param(name, 'header', { type: 'string' })] });
      expect(op.target.parameters).toHaveLength(0);
      expect(Object.keys(op.tool.inputSchema.properties ?? {})).toEqual([]);
      const forced = { ...op, target: { ...op.target, parameters: [{ argument: 'h', name, in: 'header' as const, required: false, style: 'simple', explode: false }] } };
      const before = upstream.requests.length;
      const result = await call(forced, { h: 'evil.example.com' }, { upstream: upstream.url });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(`"${name}", which Portico never lets an argument set`);
      expect(upstream.requests.length).toBe(before);
    });
  }

  test('Authorization declared as a parameter never becomes a tool argument', async () => {
    const op = await operation('GET', '/h', { parameters: [param('Authorization', 'header', { type: 'string' })] });
    expect(op.target.parameters).toHaveLength(0);
    await call(op, { Authorization: 'Bearer stolen' }, { upstream: upstream.url, headers: { Authorization: 'Bearer deployment-token' } });
    expect(upstream.requests.at(-1)!.headers.get('authorization')).toBe('Bearer deployment-token');
  });

  test("the credential's own header name cannot be set by an argument", async () => {
    const op = await operation('GET', '/h', { parameters: [param('X-API-Key', 'header', { type: 'string' })] });
    const before = upstream.requests.length;
    const result = await call(op, { 'X-API-Key': 'attacker-key' }, { upstream: upstream.url, headers: credential });
    expect(result.isError).toBe(true);
    expect(upstream.requests.length).toBe(before);
  });

  test('without a credential configured, no Authorization header is sent at all', async () => {
    await call(withHeader, {}, { upstream: upstream.url });
    const { headers } = upstream.requests.at(-1)!;
    expect(headers.has('authorization')).toBe(false);
    expect(headers.has('cookie')).toBe(false);
  });
});

describe('cookie parameters', () => {
  test('are sent in one Cookie header, values encoded', async () => {
    const op = await operation('GET', '/c', { parameters: [param('session', 'cookie', { type: 'string' }), param('ids', 'cookie', { type: 'array', items: { type: 'integer' } }, { explode: false })] });
    await call(op, { session: 'a b;c=d', ids: [3, 4, 5] }, { upstream: upstream.url });
    expect(upstream.requests.at(-1)!.headers.get('cookie')).toBe('session=a%20b%3Bc%3Dd; ids=3,4,5');
  });

  test('a credential cookie comes first and cannot be overridden by an argument of the same name', async () => {
    const op = await operation('GET', '/c', { parameters: [param('sid', 'cookie', { type: 'string' }), param('theme', 'cookie', { type: 'string' })] });
    const options = { upstream: upstream.url, headers: { Cookie: 'sid=deployment-session-id' } };
    await call(op, { theme: 'dark' }, options);
    expect(upstream.requests.at(-1)!.headers.get('cookie')).toBe('sid=deployment-session-id; theme=dark');
    const result = await call(op, { sid: 'attacker' }, options);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toStartWith('Invalid argument "sid": ');
  });
});

describe('options', () => {
  test('bad options are our own misuse: a TypeError with a code', () => {
    expect(() => resolveProxyOptions({ upstream: 'not a url' })).toThrow(TypeError);
    expect(() => resolveProxyOptions({ upstream: 'ftp://x' })).toThrow('"upstream" must be an http(s) URL');
    expect(() => resolveProxyOptions({ upstream: 'http://user:pw@x' })).toThrow('user name or password');
    expect(() => resolveProxyOptions({ upstream: 'http://x', headers: { 'Bad Name': 'v' } })).toThrow('invalid header name');
    expect(() => resolveProxyOptions({ upstream: 'http://x', headers: { 'X-Key': 'a\r\nb' } })).toThrow('control characters');
    expect(() => resolveProxyOptions({ upstream: 'http://x', maxResponseBytes: 0 })).toThrow('"maxResponseBytes"');
    try {
      resolveProxyOptions({ upstream: 'nope' });
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ERR_INVALID_ARG_VALUE');
    }
  });
});
