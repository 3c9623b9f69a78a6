/**
 * Client ID Metadata Documents fetched over real HTTPS (a throwaway self-signed certificate) from a server that
 * counts its requests: the document rules, redirects, size and time limits, caching, and SSRF refusals that happen
 * before any request is sent.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { ClientMetadataError, type ClientMetadataErrorCode } from '../../src/oauth/client-metadata';
import {
  CIMD_LIMITS,
  ClientMetadataDocuments,
  isClientIdUrl,
  nonPublicAddressReason,
  parseClientIdUrl,
  type CimdOptions,
  type DocumentFetch,
} from '../../src/oauth/cimd';
import { removeTempDirs } from '../fixtures/temp';
import { selfSignedCertificate, type TestCertificate } from './fixtures/tls';

/** The name the documents are served under. It is not in DNS: only the `resolve` hook knows it is 127.0.0.1. */
const HOST = 'cimd.test';

let certificate: TestCertificate;
let server: ReturnType<typeof Bun.serve>;
let origin: string;
/** Requests per path, and every Host header seen. */
const hits = new Map<string, number>();
const hostHeaders: string[] = [];
/** Chunks the endless stream has handed out, and whether the client hung up on it. */
let streamed = 0;
let endlessCancelled = false;

const idFor = (path: string) => `${origin}${path}`;
const count = (path: string) => hits.get(path) ?? 0;
const totalHits = () => [...hits.values()].reduce((sum, n) => sum + n, 0);

function documentFor(path: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: idFor(path),
    client_name: 'Test Client',
    redirect_uris: ['http://127.0.0.1:3000/callback', 'cursor://test.client/oauth/callback'],
    token_endpoint_auth_method: 'none',
    ...extra,
  };
}

const json = (body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json', ...headers } });

function route(request: Request): Response | Promise<Response> {
  const path = new URL(request.url).pathname;
  switch (path) {
    case '/good.json':
    case '/other.json':
      return json(documentFor(path));
    case '/vendor-type.json':
      return new Response(JSON.stringify(documentFor(path)), { headers: { 'content-type': 'application/vnd.client+json; charset=utf-8' } });
    case '/max-age.json':
      return json(documentFor(path), { 'cache-control': 'public, max-age=120' });
    case '/huge-max-age.json':
      return json(documentFor(path), { 'cache-control': 'max-age=31536000' });
    case '/zero-max-age.json':
      return json(documentFor(path), { 'cache-control': 'max-age=0' });
    case '/no-store.json':
      return json(documentFor(path), { 'cache-control': 'no-store' });
    case '/mismatch.json':
      return json(documentFor(path, { client_id: idFor('/good.json') }));
    case '/default-port.json':
      return json(documentFor(path, { client_id: `https://${HOST}:443/default-port.json` }));
    case '/no-client-id.json': {
      const { client_id: _, ...rest } = documentFor(path);
      return json(rest);
    }
    case '/secret.json':
      return json(documentFor(path, { client_secret: 'not-so-secret' }));
    case '/secret-post.json':
      return json(documentFor(path, { token_endpoint_auth_method: 'client_secret_post' }));
    case '/bad-redirect.json':
      return json(documentFor(path, { redirect_uris: ['javascript:alert(1)'] }));
    case '/redirect':
      return new Response(null, { status: 302, headers: { location: '/good.json' } });
    case '/redirect-307':
      return new Response(null, { status: 307, headers: { location: `${origin}/good.json` } });
    case '/not-found.json':
      return new Response('nope', { status: 404 });
    case '/server-error.json':
      return new Response('down', { status: 500 });
    case '/text.json':
      return new Response(JSON.stringify(documentFor(path)), { headers: { 'content-type': 'text/plain' } });
    case '/html.json':
      return new Response(JSON.stringify(documentFor(path)), { headers: { 'content-type': 'text/html' } });
    case '/no-type.json':
      return new Response(new Blob([JSON.stringify(documentFor(path))]).stream());
    case '/invalid.json':
      return new Response('{"client_id": ', { headers: { 'content-type': 'application/json' } });
    case '/array.json':
      return json([documentFor(path)]);
    case '/latin1.json':
      return new Response(new Uint8Array([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]), { headers: { 'content-type': 'application/json' } });
    case '/big.json':
      return json(documentFor(path, { padding: 'x'.repeat(100_000) }));
    case '/just-fits.json': {
      const body = JSON.stringify(documentFor(path, { padding: '' }));
      return json(documentFor(path, { padding: 'x'.repeat(CIMD_LIMITS.maxBytes - body.length) }));
    }
    case '/endless.json':
      // chunked, no Content-Length, never ends: reading it all would never finish
      return new Response(
        new ReadableStream({
          pull(controller) {
            streamed++;
            controller.enqueue(new TextEncoder().encode(' '.repeat(4096)));
          },
          cancel() {
            endlessCancelled = true;
          },
        }),
        { headers: { 'content-type': 'application/json' } },
      );
    case '/slow.json':
      return Bun.sleep(3_000).then(() => json(documentFor(path)));
    case '/slow-body.json':
      return new Response(
        new ReadableStream({
          async start(controller) {
            controller.enqueue(new TextEncoder().encode('{"client_id":'));
            await Bun.sleep(3_000);
            controller.close();
          },
        }),
        { headers: { 'content-type': 'application/json' } },
      );
    case '/delayed.json':
      return Bun.sleep(100).then(() => json(documentFor(path)));
    default:
      return new Response('no such document', { status: 404 });
  }
}

beforeAll(async () => {
  certificate = await selfSignedCertificate([HOST, 'localhost'], ['127.0.0.1']);
  server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    tls: { cert: certificate.cert, key: certificate.key },
    fetch(request) {
      const path = new URL(request.url).pathname;
      hits.set(path, count(path) + 1);
      hostHeaders.push(request.headers.get('host') ?? '');
      return route(request);
    },
  });
  origin = `https://${HOST}:${server.port}`;
});

afterAll(() => {
  server.stop(true);
  removeTempDirs();
});

beforeEach(() => {
  hits.clear();
  hostHeaders.length = 0;
});

/** fetch that trusts the test certificate, keeping every other option (the TLS server name above all). */
const trustingFetch: DocumentFetch = (url, init) => fetch(url, { ...init, tls: { ...init.tls, ca: certificate.cert } });

/** Resolves every host to 127.0.0.1 and counts lookups. */
function loopbackResolver() {
  const lookups: string[] = [];
  return { lookups, resolve: async (host: string) => (lookups.push(host), ['127.0.0.1']) };
}

/** A fetcher for the test server: private addresses allowed, the test CA trusted, a clock the test moves. */
function testDocuments(options: CimdOptions = {}) {
  const clock = { now: 1_000_000 };
  const resolver = loopbackResolver();
  const documents = new ClientMetadataDocuments({
    allowPrivateAddressesForTests: true,
    resolve: resolver.resolve,
    fetch: trustingFetch,
    now: () => clock.now,
    ...options,
  });
  return { documents, clock, lookups: resolver.lookups };
}

async function failure(work: Promise<unknown>): Promise<ClientMetadataError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof ClientMetadataError) return error;
    throw error;
  }
  throw new Error('expected a ClientMetadataError');
}

describe('a good document', () => {
  test('is fetched over HTTPS, checked and returned as ClientMetadata', async () => {
    const { documents } = testDocuments();
    const metadata = await documents.get(idFor('/good.json'));
    expect(metadata).toEqual({
      clientName: 'Test Client',
      // not said in the document: both redirect URIs lead to the user's device
      applicationType: 'native',
      redirectUris: ['http://127.0.0.1:3000/callback', 'cursor://test.client/oauth/callback'],
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      tokenEndpointAuthMethod: 'none',
    });
    expect(count('/good.json')).toBe(1);
  });

  test('the connection goes to the resolved address; the name travels in Host and TLS (SNI + certificate check)', async () => {
    // cimd.test is not in DNS: the request can only have arrived because it was sent to the checked address
    const { documents, lookups } = testDocuments();
    await documents.get(idFor('/good.json'));
    expect(lookups).toEqual([HOST]);
    expect(hostHeaders).toEqual([`${HOST}:${server.port}`]);
  });

  test('a host the certificate does not cover is refused, even at the right address', async () => {
    const { documents } = testDocuments();
    const error = await failure(documents.get(`https://evil.test:${server.port}/good.json`));
    expect(error.error).toBe('invalid_client');
    expect(error.error_description).toContain('could not be fetched');
    expect(error.error_description).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  test('without the test CA the self-signed certificate is refused', async () => {
    const { documents } = testDocuments({ fetch: fetch });
    const error = await failure(documents.get(idFor('/good.json')));
    expect(error.error).toBe('invalid_client');
    expect(error.error_description).toContain('could not be fetched');
  });

  test('a +json vendor content type with a charset is accepted', async () => {
    const { documents } = testDocuments();
    expect((await documents.get(idFor('/vendor-type.json'))).clientName).toBe('Test Client');
  });

  test('a document of exactly the size cap is accepted', async () => {
    const { documents } = testDocuments();
    expect((await documents.get(idFor('/just-fits.json'))).clientName).toBe('Test Client');
  });

  test('callers get their own copy: changing it does not change the cached one', async () => {
    const { documents } = testDocuments();
    const first = await documents.get(idFor('/good.json'));
    first.redirectUris.push('https://evil.example/cb');
    expect((await documents.get(idFor('/good.json'))).redirectUris).toHaveLength(2);
  });

  test('an address that refuses the connection is skipped for the next checked one', async () => {
    // 127.0.0.2 is loopback on Linux, but the server listens on 127.0.0.1 only
    const { documents } = testDocuments({ resolve: async () => ['127.0.0.2', '127.0.0.1'] });
    expect((await documents.get(idFor('/good.json'))).clientName).toBe('Test Client');
    expect(count('/good.json')).toBe(1);
  });

  test('the system resolver is used by default (localhost)', async () => {
    const documents = new ClientMetadataDocuments({ allowPrivateAddressesForTests: true, fetch: trustingFetch });
    const id = `https://localhost:${server.port}/good.json`;
    // the document names cimd.test, so the client_id check fails, but only after a real fetch through localhost
    const error = await failure(documents.get(id));
    expect(error.error_description).toContain('names the client_id');
    expect(count('/good.json')).toBe(1);
  });
});

describe('documents that are refused', () => {
  const cases: [path: string, code: ClientMetadataErrorCode, words: string][] = [
    ['/mismatch.json', 'invalid_client_metadata', 'names the client_id'],
    ['/default-port.json', 'invalid_client_metadata', 'names the client_id'],
    ['/no-client-id.json', 'invalid_client_metadata', 'has no client_id'],
    ['/secret.json', 'invalid_client_metadata', 'client_secret must not appear in a client ID metadata document'],
    ['/secret-post.json', 'invalid_client_metadata', 'token_endpoint_auth_method "client_secret_post" is not allowed'],
    ['/bad-redirect.json', 'invalid_redirect_uri', 'uses the scheme "javascript:"'],
    ['/redirect', 'invalid_client', 'redirects are not followed'],
    ['/redirect-307', 'invalid_client', 'answered with a redirect (HTTP 307)'],
    ['/not-found.json', 'invalid_client', 'answered HTTP 404; expected 200'],
    ['/server-error.json', 'invalid_client', 'answered HTTP 500'],
    ['/text.json', 'invalid_client_metadata', 'has the content type "text/plain"; it must be served as application/json'],
    ['/html.json', 'invalid_client_metadata', '"text/html"'],
    ['/no-type.json', 'invalid_client_metadata', 'content type'],
    ['/invalid.json', 'invalid_client_metadata', 'is not valid JSON'],
    ['/array.json', 'invalid_client_metadata', 'must be a JSON object'],
    ['/latin1.json', 'invalid_client_metadata', 'is not valid UTF-8'],
    ['/big.json', 'invalid_client_metadata', `is larger than ${CIMD_LIMITS.maxBytes} bytes`],
  ];
  for (const [path, code, words] of cases) {
    test(`${path}: ${code} — ${words}`, async () => {
      const { documents } = testDocuments();
      const error = await failure(documents.get(idFor(path)));
      expect(error.error).toBe(code);
      expect(error.error_description).toContain(words);
      expect(error.error_description).toContain(idFor(path));
      expect(count(path)).toBe(1);
    });
  }

  test('a redirect is not followed: the target is never requested', async () => {
    const { documents } = testDocuments();
    await failure(documents.get(idFor('/redirect')));
    expect(count('/good.json')).toBe(0);
  });

  test('an endless chunked body (no Content-Length) is cut off at the cap, not read to the end', async () => {
    const { documents } = testDocuments();
    streamed = 0;
    endlessCancelled = false;
    const started = performance.now();
    const error = await failure(documents.get(idFor('/endless.json')));
    expect(error.error_description).toContain(`is larger than ${CIMD_LIMITS.maxBytes} bytes`);
    expect(performance.now() - started).toBeLessThan(2_000);
    // the connection was closed, so the server stops producing (what it wrote meanwhile sat in socket buffers)
    for (let i = 0; i < 100 && !endlessCancelled; i++) await Bun.sleep(10);
    expect(endlessCancelled).toBe(true);
    const produced = streamed;
    await Bun.sleep(100);
    expect(streamed).toBe(produced);
  });

  test('a smaller cap applies to a body that would pass the default one', async () => {
    const { documents } = testDocuments({ maxBytes: 100 });
    expect((await failure(documents.get(idFor('/good.json')))).error_description).toContain('is larger than 100 bytes');
  });

  test('a slow server: the whole exchange has a deadline (headers)', async () => {
    const { documents } = testDocuments({ timeoutMs: 300 });
    const started = performance.now();
    const error = await failure(documents.get(idFor('/slow.json')));
    expect(error.error).toBe('invalid_client');
    expect(error.error_description).toContain('did not arrive within 0.3 s');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  test('a slow server: the whole exchange has a deadline (body)', async () => {
    const { documents } = testDocuments({ timeoutMs: 300 });
    const started = performance.now();
    const error = await failure(documents.get(idFor('/slow-body.json')));
    expect(error.error_description).toContain('did not arrive within 0.3 s');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  test('a slow resolver counts against the deadline too', async () => {
    const { documents } = testDocuments({ timeoutMs: 200, resolve: () => Bun.sleep(5_000).then(() => ['127.0.0.1']) });
    const error = await failure(documents.get(idFor('/good.json')));
    expect(error.error_description).toContain('did not arrive within 0.2 s');
    expect(totalHits()).toBe(0);
  });

  test('a host that does not resolve', async () => {
    const { documents } = testDocuments({ resolve: () => Promise.reject(new Error('ENOTFOUND')) });
    const error = await failure(documents.get(idFor('/good.json')));
    expect(error.error).toBe('invalid_client');
    expect(error.error_description).toContain(`the host "${HOST}" of client_id`);
    expect(error.detail).toContain('ENOTFOUND');
  });

  test('a connection that is refused', async () => {
    const closed = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
    const port = closed.port;
    closed.stop(true);
    const { documents } = testDocuments();
    const error = await failure(documents.get(`https://${HOST}:${port}/good.json`));
    expect(error.error).toBe('invalid_client');
    expect(error.error_description).toContain('could not be fetched');
  });
});

describe('client_id URLs refused before any request', () => {
  const cases: [id: string, words: string][] = [
    ['http://cimd.test/client.json', 'is not an https:// URL'],
    ['HTTPS://cimd.test/client.json', 'is not an https:// URL'],
    ['https://cimd.test', 'has no path'],
    ['https://cimd.test/', 'has no path'],
    ['https://cimd.test/?client', 'has no path'],
    ['https://cimd.test/client.json#frag', 'has a fragment'],
    ['https://cimd.test/client.json#', 'has a fragment'],
    ['https://user@cimd.test/client.json', 'contains user information'],
    ['https://user:pw@cimd.test/client.json', 'contains user information'],
    ['https://@cimd.test/client.json', 'contains user information'],
    ['https://cimd.test/./client.json', 'has "." or ".." path segments'],
    ['https://cimd.test/a/../client.json', 'has "." or ".." path segments'],
    ['https://cimd.test/a/%2e%2E/client.json', 'has "." or ".." path segments'],
    ['https://cimd.test/a/.%2e', 'has "." or ".." path segments'],
    ['https://CIMD.test/client.json', 'is not written in its normal form; write it as "https://cimd.test/client.json"'],
    ['https://cimd.test:443/client.json', 'is not written in its normal form'],
    ['https://cimd.test/a b.json', 'is not written in its normal form'],
    ['https://cimd.test\\client.json', 'is not written in its normal form'],
    ['https://[::1/x', 'is not a valid URL'],
    [`https://cimd.test/${'a'.repeat(2000)}`, 'is longer than 2000 characters'],
  ];
  for (const [id, words] of cases) {
    test(`${id.slice(0, 60)} — ${words}`, async () => {
      const { documents, lookups } = testDocuments();
      const error = await failure(documents.get(id));
      expect(error.error).toBe('invalid_client');
      expect(error.error_description).toContain(words);
      expect(lookups).toEqual([]);
      expect(totalHits()).toBe(0);
    });
  }

  test('isClientIdUrl: https:// only', () => {
    expect(isClientIdUrl('https://app.example.com/client.json')).toBe(true);
    expect(isClientIdUrl('http://app.example.com/client.json')).toBe(false);
    expect(isClientIdUrl('3f2a9c1e-client')).toBe(false);
    expect(isClientIdUrl('')).toBe(false);
  });

  test('parseClientIdUrl keeps a query (discouraged, but allowed)', () => {
    expect(parseClientIdUrl('https://app.example.com/client.json?v=2').search).toBe('?v=2');
  });
});

describe('SSRF: non-public addresses are refused before any request is sent', () => {
  /** A fetcher WITHOUT the test flag whose resolver says `addresses`. */
  function strictDocuments(addresses: string[]) {
    const lookups: string[] = [];
    const documents = new ClientMetadataDocuments({ resolve: async (host) => (lookups.push(host), addresses), fetch: trustingFetch });
    return { documents, lookups };
  }

  const resolved: [addresses: string[], reason: string][] = [
    [['10.0.0.5'], 'a private address'],
    [['172.16.3.4'], 'a private address'],
    [['192.168.1.1'], 'a private address'],
    [['127.0.0.1'], 'a loopback address'],
    [['169.254.169.254'], 'a link-local address'],
    [['100.64.0.1'], 'a shared (carrier-grade NAT) address'],
    [['0.0.0.0'], 'the unspecified address'],
    [['255.255.255.255'], 'the broadcast address'],
    [['224.0.0.1'], 'a multicast address'],
    [['::1'], 'a loopback address'],
    [['::'], 'the unspecified address'],
    [['::ffff:127.0.0.1'], 'the IPv4-mapped form of a loopback address'],
    [['::ffff:a9fe:a9fe'], 'the IPv4-mapped form of a link-local address'],
    [['64:ff9b::10.0.0.1'], 'the NAT64 form of a private address'],
    [['2002:7f00:1::'], 'the 6to4 form of a loopback address'],
    [['fd00::1'], 'a unique-local address'],
    [['fe80::1%eth0'], 'a link-local address'],
    [['ff02::1'], 'a multicast address'],
    // one bad address among good ones is enough: which one gets connected to is not ours to choose
    [['93.184.216.34', '10.0.0.5'], 'a private address'],
    [['2606:2800:220:1:248:1893:25c8:1946', '::1'], 'a loopback address'],
  ];
  for (const [addresses, reason] of resolved) {
    test(`a host resolving to ${addresses.join(', ')} → ${reason}`, async () => {
      const { documents, lookups } = strictDocuments(addresses);
      const error = await failure(documents.get(idFor('/good.json')));
      expect(error.error).toBe('invalid_client');
      // the caller learns only that the host is not public; which address, only the log does
      expect(error.error_description).toBe(`the host "${HOST}" of client_id ${idFor('/good.json')} does not resolve to a public internet address`);
      expect(error.detail).toContain(reason);
      expect(lookups).toEqual([HOST]);
      expect(totalHits()).toBe(0);
    });
  }

  const literals: [id: string, reason: string][] = [
    ['https://127.0.0.1/x', 'a loopback address'],
    ['https://10.0.0.5/x', 'a private address'],
    ['https://169.254.169.254/latest/meta-data', 'a link-local address'],
    ['https://[::1]/x', 'a loopback address'],
    ['https://[fd00::1]/x', 'a unique-local address'],
    ['https://[::ffff:7f00:1]/x', 'the IPv4-mapped form of a loopback address'],
  ];
  for (const [id, reason] of literals) {
    test(`IP-literal host ${id} → ${reason}`, async () => {
      const { documents, lookups } = strictDocuments(['93.184.216.34']);
      const error = await failure(documents.get(id));
      expect(error.error).toBe('invalid_client');
      expect(error.error_description).toContain(`points at ${reason}`);
      expect(lookups).toEqual([]);
      expect(totalHits()).toBe(0);
    });
  }

  test('IPv4 shorthands (0x7f.1, 2130706433, 017700000001) and an IPv4-mapped literal are refused: URL rewrites them', async () => {
    const { documents, lookups } = strictDocuments(['93.184.216.34']);
    for (const [id, normal] of [
      ['https://0x7f.1/x', 'https://127.0.0.1/x'],
      ['https://2130706433/x', 'https://127.0.0.1/x'],
      ['https://017700000001/x', 'https://127.0.0.1/x'],
      ['https://[::ffff:127.0.0.1]/x', 'https://[::ffff:7f00:1]/x'],
    ]) {
      const error = await failure(documents.get(id!));
      expect(error.error_description).toContain(`write it as "${normal}"`);
      // and in normal form it is refused for what it is
      expect((await failure(documents.get(normal!))).error_description).toContain('loopback address');
    }
    expect(lookups).toEqual([]);
    expect(totalHits()).toBe(0);
  });

  test('the refusal is cached like any failure: asking again does not resolve again', async () => {
    const { documents, lookups } = strictDocuments(['10.0.0.5']);
    await failure(documents.get(idFor('/good.json')));
    await failure(documents.get(idFor('/good.json')));
    expect(lookups).toHaveLength(1);
  });

  test('public addresses pass the check; the request is addressed to the checked address, the name kept for Host and TLS', async () => {
    // Observe the attempt without letting it leave the machine
    const attempts: { url: string; host: string | null; serverName: string | undefined }[] = [];
    const observe: DocumentFetch = async (url, init) => {
      attempts.push({ url, host: new Headers(init.headers).get('host'), serverName: init.tls?.serverName });
      throw new Error('offline');
    };
    for (const address of ['198.51.99.1', '2606:4700:4700::1111']) {
      const documents = new ClientMetadataDocuments({ resolve: async () => [address], fetch: observe });
      const error = await failure(documents.get('https://app.example.com/oauth/client.json?v=1'));
      expect(error.error_description).toContain('could not be fetched (offline)');
    }
    expect(attempts).toEqual([
      { url: 'https://198.51.99.1/oauth/client.json?v=1', host: 'app.example.com', serverName: 'app.example.com' },
      { url: 'https://[2606:4700:4700::1111]/oauth/client.json?v=1', host: 'app.example.com', serverName: 'app.example.com' },
    ]);
  });
});

describe('DNS rebinding', () => {
  test('the name is resolved once; a different answer at connect time cannot redirect the request', async () => {
    // A rebinding DNS server answers a public address to the check and a private one to whoever asks next
    const answers = [['198.51.99.1'], ['127.0.0.1']];
    let lookups = 0;
    const urls: string[] = [];
    const documents = new ClientMetadataDocuments({
      resolve: async () => answers[Math.min(lookups++, 1)]!,
      fetch: async (url) => {
        urls.push(url);
        throw new Error('offline');
      },
    });
    await failure(documents.get('https://rebind.example/client.json'));
    expect(lookups).toBe(1);
    expect(urls).toEqual(['https://198.51.99.1/client.json']);
  });
});

describe('nonPublicAddressReason', () => {
  const publicAddresses = ['8.8.8.8', '93.184.216.34', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'];
  for (const address of publicAddresses) {
    test(`${address} is public`, () => {
      expect(nonPublicAddressReason(address)).toBeNull();
    });
  }
  const special: [string, string][] = [
    ['0.1.2.3', '"this network"'],
    ['127.255.255.254', 'loopback'],
    ['172.31.255.255', 'private'],
    ['192.0.0.8', 'IETF protocol assignment'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['240.0.0.1', 'reserved'],
    ['::ffff:0:7f00:1', 'the IPv4-translated form of a loopback'],
    ['::7f00:1', 'reserved'],
    ['64:ff9b:1::1', 'local-use translation'],
    ['100::1', 'discard-only'],
    ['2001::1', 'IETF protocol assignment'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['fec0::1', 'site-local'],
    ['4000::1', 'reserved'],
    ['[::1]', 'loopback'],
    ['not-an-address', 'not an IP address'],
    ['1.2.3', 'not an IP address'],
    ['1::2::3', 'not an IP address'],
    ['1:2:3:4:5:6:7:8:9', 'not an IP address'],
  ];
  for (const [address, reason] of special) {
    test(`${address} → ${reason}`, () => {
      expect(nonPublicAddressReason(address)).toContain(reason);
    });
  }
});

describe('caching', () => {
  test('a document is reused for its max-age; after it, fetched again', async () => {
    const { documents, clock } = testDocuments();
    await documents.get(idFor('/max-age.json'));
    clock.now += 119_000;
    await documents.get(idFor('/max-age.json'));
    expect(count('/max-age.json')).toBe(1);
    clock.now += 2_000;
    await documents.get(idFor('/max-age.json'));
    expect(count('/max-age.json')).toBe(2);
  });

  test('without Cache-Control: 5 minutes', async () => {
    const { documents, clock } = testDocuments();
    await documents.get(idFor('/good.json'));
    clock.now += 299_000;
    await documents.get(idFor('/good.json'));
    expect(count('/good.json')).toBe(1);
    clock.now += 2_000;
    await documents.get(idFor('/good.json'));
    expect(count('/good.json')).toBe(2);
  });

  test('max-age is clamped: at most 24 h, at least 60 s', async () => {
    const { documents, clock } = testDocuments();
    await documents.get(idFor('/huge-max-age.json'));
    await documents.get(idFor('/zero-max-age.json'));
    clock.now += 59_000;
    await documents.get(idFor('/zero-max-age.json'));
    expect(count('/zero-max-age.json')).toBe(1);
    clock.now += 24 * 3600_000;
    await documents.get(idFor('/huge-max-age.json'));
    expect(count('/huge-max-age.json')).toBe(2);
  });

  test('no-store: usable for this request, fetched again every time', async () => {
    const { documents } = testDocuments();
    expect((await documents.get(idFor('/no-store.json'))).clientName).toBe('Test Client');
    await documents.get(idFor('/no-store.json'));
    await documents.get(idFor('/no-store.json'));
    expect(count('/no-store.json')).toBe(3);
  });

  test('a failure is remembered for 30 s, then tried again', async () => {
    const { documents, clock } = testDocuments();
    const first = await failure(documents.get(idFor('/server-error.json')));
    clock.now += 29_000;
    const second = await failure(documents.get(idFor('/server-error.json')));
    expect(second.error_description).toBe(first.error_description);
    expect(count('/server-error.json')).toBe(1);
    clock.now += 2_000;
    await failure(documents.get(idFor('/server-error.json')));
    expect(count('/server-error.json')).toBe(2);
  });

  test('concurrent gets of one client_id share one request', async () => {
    const { documents } = testDocuments();
    const results = await Promise.all(Array.from({ length: 10 }, () => documents.get(idFor('/delayed.json'))));
    expect(results.every((metadata) => metadata.clientName === 'Test Client')).toBe(true);
    expect(count('/delayed.json')).toBe(1);
  });

  test('concurrent gets of a failing client_id share one request and one error', async () => {
    const { documents } = testDocuments();
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => documents.get(idFor('/server-error.json'))));
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    expect(count('/server-error.json')).toBe(1);
  });

  test('different client_ids are cached separately', async () => {
    const { documents } = testDocuments();
    await documents.get(idFor('/good.json'));
    await documents.get(idFor('/other.json'));
    await documents.get(idFor('/good.json'));
    expect(count('/good.json')).toBe(1);
    expect(count('/other.json')).toBe(1);
  });

  test(`at most ${CIMD_LIMITS.maxEntries} entries: the oldest is dropped`, async () => {
    const lookups: string[] = [];
    // every host resolves to a private address: a cheap failure that is cached like any other
    const documents = new ClientMetadataDocuments({ resolve: async (host) => (lookups.push(host), ['10.0.0.1']) });
    const id = (i: number) => `https://client${i}.example/metadata.json`;
    for (let i = 0; i <= CIMD_LIMITS.maxEntries; i++) await failure(documents.get(id(i)));
    expect(lookups).toHaveLength(CIMD_LIMITS.maxEntries + 1);
    await failure(documents.get(id(CIMD_LIMITS.maxEntries)));
    await failure(documents.get(id(1)));
    expect(lookups).toHaveLength(CIMD_LIMITS.maxEntries + 1);
    await failure(documents.get(id(0)));
    expect(lookups).toHaveLength(CIMD_LIMITS.maxEntries + 2);
  });

  test('malformed client_ids are not cached (they cost nothing to refuse)', async () => {
    const { documents } = testDocuments();
    for (let i = 0; i < 3; i++) await failure(documents.get('https://cimd.test/'));
    expect(totalHits()).toBe(0);
  });
});
