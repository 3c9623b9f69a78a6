/**
 * Calling: deadlines, retries only where safe, a clear error when the API is down, connection reuse,
 * redirects that never take the credential to another host, cancellation.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { CatalogEntry } from '../../src/catalog/index';
import { callTool } from '../../src/proxy/index';
import { call, json, operation, param, removeTempDirs, startUpstream, textOf, type Upstream } from './helpers';

let upstream: Upstream;
const ops: Record<string, CatalogEntry> = {};
beforeAll(async () => {
  upstream = startUpstream();
  for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'POST', 'PATCH']) ops[method] = await operation(method, '/thing', {});
});
afterAll(async () => {
  await upstream.stop();
  removeTempDirs();
});

/** Answers with each status in turn, then 200. */
function sequence(...statuses: number[]) {
  let i = 0;
  upstream.answer(() => {
    const status = statuses[i++];
    return status ? new Response(`status ${status}`, { status }) : json({ ok: true });
  });
}

describe('timeouts', () => {
  test('an API that does not answer in time: a clear error within the deadline', async () => {
    upstream.answer(async () => {
      await Bun.sleep(3000);
      return json({ late: true });
    });
    const started = performance.now();
    const result = await call(ops.GET!, {}, { upstream: upstream.url, timeoutMs: 300 });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(`The API at ${upstream.url} did not answer GET /thing within 300 ms`);
  });

  test('the deadline covers the body too: a body that drips forever is stopped', async () => {
    upstream.answer(
      () =>
        new Response(
          new ReadableStream({
            async pull(controller) {
              await Bun.sleep(50);
              controller.enqueue(new TextEncoder().encode('.'));
            },
          }),
          { headers: { 'content-type': 'text/plain' } },
        ),
    );
    const started = performance.now();
    const result = await call(ops.GET!, {}, { upstream: upstream.url, timeoutMs: 400 });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(textOf(result)).toContain('did not answer GET /thing within 400 ms');
  });

  test('cancellation by the MCP client stops the call', async () => {
    upstream.answer(async () => {
      await Bun.sleep(3000);
      return json({});
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await call(ops.GET!, {}, { upstream: upstream.url }, controller.signal);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('The call to GET /thing was cancelled');
  });
});

describe('retries', () => {
  for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']) {
    test(`${method} is retried after 503 and 502`, async () => {
      sequence(503, 502);
      const before = upstream.requests.length;
      const result = await call(ops[method]!, {}, { upstream: upstream.url, retryDelayMs: 5 });
      expect(result.isError).toBeFalsy();
      expect(upstream.requests.length - before).toBe(3);
    });
  }

  for (const method of ['POST', 'PATCH']) {
    test(`${method} is never retried`, async () => {
      sequence(503);
      const before = upstream.requests.length;
      const result = await call(ops[method]!, {}, { upstream: upstream.url, retryDelayMs: 5 });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('503 Service Unavailable');
      expect(upstream.requests.length - before).toBe(1);
    });
  }

  test('500 is not retried (only 502/503/504)', async () => {
    sequence(500);
    const before = upstream.requests.length;
    await call(ops.GET!, {}, { upstream: upstream.url, retryDelayMs: 5 });
    expect(upstream.requests.length - before).toBe(1);
  });

  test('retries are bounded: after the last one, the API\'s answer is the result', async () => {
    sequence(504, 504, 504, 504);
    const before = upstream.requests.length;
    const result = await call(ops.GET!, {}, { upstream: upstream.url, retries: 2, retryDelayMs: 5 });
    expect(upstream.requests.length - before).toBe(3);
    expect(textOf(result)).toContain('504 Gateway Timeout');
  });

  test('Retry-After longer than the deadline: no retry, the 503 is reported with it', async () => {
    upstream.answer(() => new Response('busy', { status: 503, headers: { 'retry-after': '60' } }));
    const before = upstream.requests.length;
    const result = await call(ops.GET!, {}, { upstream: upstream.url, timeoutMs: 2000 });
    expect(upstream.requests.length - before).toBe(1);
    expect(textOf(result)).toContain('busy Retry after 60 s.');
  });
});

describe('the API is down', () => {
  let closedUrl: string;
  beforeAll(async () => {
    const gone = startUpstream();
    closedUrl = gone.url;
    await gone.stop();
  });

  test('GET: "cannot reach the API … connection refused", after the retries', async () => {
    const result = await call(ops.GET!, {}, { upstream: closedUrl, retryDelayMs: 5 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(`Cannot reach the API at ${closedUrl}: connection refused (3 attempts)`);
  });

  test('POST: the same, at once', async () => {
    const result = await call(ops.POST!, {}, { upstream: closedUrl });
    expect(textOf(result)).toBe(`Cannot reach the API at ${closedUrl}: connection refused`);
  });

  test('a host name that does not resolve', async () => {
    const result = await call(ops.GET!, {}, { upstream: 'http://no-such-host.invalid', retries: 0 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toStartWith('Cannot reach the API at http://no-such-host.invalid: ');
  });

  // A host that drops connection attempts: a listening socket that never accepts, its one-slot backlog
  // filled, so the kernel ignores further SYNs. Python makes such a socket in three lines; Bun always accepts.
  test.skipIf(!Bun.which('python3'))('a host that never accepts the connection: the connect timeout, not the total one', async () => {
    const script = "import socket,time\ns=socket.socket();s.bind(('127.0.0.1',0));s.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)";
    const python = Bun.spawn(['python3', '-c', script], { stdout: 'pipe' });
    const filler: { end(): void }[] = [];
    try {
      const port = Number(new TextDecoder().decode((await python.stdout.getReader().read()).value).trim());
      filler.push(await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } })); // fills the backlog
      const started = performance.now();
      const result = await call(ops.POST!, {}, { upstream: `http://127.0.0.1:${port}`, connectTimeoutMs: 300, timeoutMs: 10_000 });
      expect(performance.now() - started).toBeLessThan(2000);
      expect(textOf(result)).toBe(`Cannot reach the API at http://127.0.0.1:${port}: connection timed out after 300 ms`);
    } finally {
      for (const socket of filler) socket.end();
      python.kill();
    }
  });

  test('an API that comes back is reached again', async () => {
    const port = Number(new URL(closedUrl).port);
    const back = Bun.serve({ hostname: '127.0.0.1', port, fetch: () => json({ back: true }) });
    try {
      const result = await call(ops.GET!, {}, { upstream: closedUrl });
      expect(textOf(result)).toBe('{"back":true}');
    } finally {
      await back.stop(true);
    }
  });
});

describe('connections', () => {
  test('keep-alive: consecutive calls reuse one connection', async () => {
    upstream.answer(() => json({ ok: true }));
    const before = upstream.requests.length;
    for (let i = 0; i < 5; i++) await call(ops.GET!, {}, { upstream: upstream.url });
    const ports = new Set(upstream.requests.slice(before).map((r) => r.clientPort));
    expect(ports.size).toBe(1);
  });

  test('concurrent calls all succeed', async () => {
    upstream.answer(() => json({ ok: true }));
    const results = await Promise.all(Array.from({ length: 50 }, () => call(ops.GET!, {}, { upstream: upstream.url })));
    expect(results.every((r) => !r.isError)).toBe(true);
  });
});

describe('redirects', () => {
  test('within the configured origin: followed, with the credential', async () => {
    upstream.answer((_, r) => (r.url.pathname === '/thing' ? new Response(null, { status: 302, headers: { location: '/elsewhere?x=1' } }) : json({ at: r.target })));
    const result = await call(ops.GET!, {}, { upstream: upstream.url, headers: { 'X-API-Key': 'key-123456' } });
    expect(textOf(result)).toBe('{"at":"/elsewhere?x=1"}');
    expect(upstream.requests.at(-1)!.headers.get('x-api-key')).toBe('key-123456');
  });

  test('to another host: not followed, the credential never sent there', async () => {
    const other = startUpstream();
    try {
      upstream.answer(() => new Response(null, { status: 302, headers: { location: `${other.url}/steal` } }));
      const result = await call(ops.GET!, {}, { upstream: upstream.url, headers: { 'X-API-Key': 'key-123456' } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(`The API redirected to ${other.url}; Portico follows redirects only within ${upstream.url}`);
      expect(other.requests).toHaveLength(0);
    } finally {
      await other.stop();
    }
  });

  test('307 keeps the method and body; 303 turns into a GET without body', async () => {
    const post = await operation('POST', '/thing', { requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { a: { type: 'integer' } } } } } } });
    upstream.answer((req, r) => (r.url.pathname === '/thing' ? new Response(null, { status: 307, headers: { location: '/moved' } }) : json({ method: req.method, body: r.text })));
    expect(textOf(await call(post, { a: 1 }, { upstream: upstream.url }))).toBe('{"method":"POST","body":"{\\"a\\":1}"}');
    upstream.answer((req, r) => (r.url.pathname === '/thing' ? new Response(null, { status: 303, headers: { location: '/result' } }) : json({ method: req.method, body: r.text })));
    expect(textOf(await call(post, { a: 1 }, { upstream: upstream.url }))).toBe('{"method":"GET","body":""}');
  });

  test('a redirect loop stops', async () => {
    upstream.answer(() => new Response(null, { status: 301, headers: { location: '/thing' } }));
    const result = await call(ops.GET!, {}, { upstream: upstream.url });
    expect(textOf(result)).toBe('The API redirected more than 5 times');
  });
});

describe('what reaches the API', () => {
  test("only bound arguments: an extra argument named like a header is not sent, nor is the MCP client's token", async () => {
    upstream.answer(() => json({}));
    const op = await operation('GET', '/thing', { parameters: [param('q', 'query', { type: 'string' })] });
    await call(op, { q: 'x', Authorization: 'Bearer mcp-client-token', 'X-Evil': '1' }, { upstream: upstream.url });
    const last = upstream.requests.at(-1)!;
    expect(last.target).toBe('/thing?q=x');
    expect(last.headers.has('authorization')).toBe(false);
    expect(last.headers.has('x-evil')).toBe(false);
    expect(last.headers.get('accept')).toBe('application/json, */*;q=0.8');
  });
});

describe('the status behind a result', () => {
  test("travels with the result, by value: the API's last answer after retries and redirects; none when no answer came", async () => {
    sequence(503, 201);
    expect((await callTool(ops.PUT!, {}, { upstream: upstream.url, retryDelayMs: 5 })).upstreamStatus).toBe(201);
    upstream.answer((_, r) => (r.url.pathname === '/thing' ? new Response(null, { status: 302, headers: { location: '/gone' } }) : new Response('no', { status: 404 })));
    const redirected = await callTool(ops.GET!, {}, { upstream: upstream.url });
    expect([redirected.upstreamStatus, redirected.result.isError]).toEqual([404, true]);
    upstream.answer(async () => {
      await Bun.sleep(1000);
      return json({ late: true });
    });
    expect((await callTool(ops.GET!, {}, { upstream: upstream.url, timeoutMs: 100 })).upstreamStatus).toBeUndefined();
  });
});
