/**
 * Tracing, end to end: a signed-in gateway in front of the demo API (through a relay that notes what the API
 * received), exporting to a real OTLP/HTTP receiver started here. MCP calls over HTTP carry a client's
 * `traceparent`; the spans that arrive must nest (client span → MCP request → tool call → upstream request and
 * store calls), the API must have received the same trace, and nothing secret may be in what was exported.
 * Off (no OTEL_* variables, or OTEL_TRACES_EXPORTER=none), nothing is exported and OpenTelemetry is never loaded.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readTracingSettings } from '../../src/config/tracing';
import { startDemoApi, type RunningDemoApi } from '../../src/demo';
import { startTestGateway, type TestGateway } from '../fixtures/gateway';
import { ALICE } from '../fixtures/signed-in-gateway';
import { connect, MCP_HEADERS } from '../fixtures/oauth-http';
import { tempDir } from '../fixtures/temp';

interface Received {
  readonly contentType: string;
  readonly path: string;
  readonly body: Uint8Array;
}

/** An OTLP/HTTP receiver: every POST is kept and answered as a collector does. */
function startReceiver() {
  const received: Received[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      received.push({ contentType: request.headers.get('content-type') ?? '', path: new URL(request.url).pathname, body: new Uint8Array(await request.arrayBuffer()) });
      return request.headers.get('content-type')?.includes('json') ? Response.json({}) : new Response(new Uint8Array(0), { headers: { 'content-type': 'application/x-protobuf' } });
    },
  });
  return { received, url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}

/** The demo API behind a relay that notes the headers of every request it passes on. */
function startRelay(demo: RunningDemoApi) {
  const seen: { path: string; headers: Headers }[] = [];
  const target = new URL(demo.baseUrl);
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const url = new URL(request.url);
      seen.push({ path: url.pathname, headers: new Headers(request.headers) });
      const headers = new Headers(request.headers);
      headers.delete('host');
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
      const answer = await fetch(`${target.origin}${url.pathname}${url.search}`, { method: request.method, headers, body, redirect: 'manual' });
      return new Response(await answer.arrayBuffer(), { status: answer.status, headers: answer.headers });
    },
  });
  return { seen, baseUrl: `http://127.0.0.1:${server.port}${target.pathname}`, stop: () => server.stop(true) };
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
  status?: { code?: number };
}

/** The spans of OTLP/JSON payloads (ids are hex there), with their attributes as a plain record. */
function spansOf(payloads: Received[]): (OtlpSpan & { attrs: Record<string, unknown> })[] {
  const spans: (OtlpSpan & { attrs: Record<string, unknown> })[] = [];
  for (const payload of payloads) {
    const json = JSON.parse(new TextDecoder().decode(payload.body)) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
    for (const resource of json.resourceSpans) {
      for (const scope of resource.scopeSpans) {
        for (const span of scope.spans) spans.push({ ...span, attrs: Object.fromEntries((span.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]])) });
      }
    }
  }
  return spans;
}

const SECRET_ARGUMENT = `org_SECRETARG_${randomBytes(8).toString('hex')}`;
const CLIENT_TRACE = randomBytes(16).toString('hex');
const CLIENT_SPAN = randomBytes(8).toString('hex');

async function callTool(mcpUrl: string, token: string, name: string, args: Record<string, unknown>, traceparent?: string) {
  const response = await fetch(mcpUrl, {
    method: 'POST',
    headers: { ...MCP_HEADERS, authorization: `Bearer ${token}`, ...(traceparent && { traceparent }) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: args } }),
  });
  return { status: response.status, json: (await response.json()) as { result?: { isError?: boolean } } };
}

describe('traces exported over OTLP/HTTP (JSON)', () => {
  let demo: RunningDemoApi;
  let relay: ReturnType<typeof startRelay>;
  let receiver: ReturnType<typeof startReceiver>;
  let gw: TestGateway;
  let token = '';
  let spans: ReturnType<typeof spansOf> = [];
  let raw = '';

  beforeAll(async () => {
    demo = await startDemoApi({ port: 0, tokenTtlMs: 3_600_000 });
    relay = startRelay(demo);
    receiver = startReceiver();
    gw = await startTestGateway(
      { PORTICO_UPSTREAM: relay.baseUrl, PORTICO_SPEC: demo.specUrl, PORTICO_MCP_MODE: 'stateless', PORTICO_AUDIT_DURABLE: 'true', PORTICO_PLUGINS: tempDir() },
      { demo, tracing: readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'portico-under-test' }) },
    );
    const origin = new URL(gw.gateway.mcpUrl).origin;
    token = (await connect(origin, origin, ALICE)).tokens.access_token;
    const traced = await callTool(gw.mcpUrl, token, 'list_projects', { org_id: SECRET_ARGUMENT }, `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`);
    expect(traced.status).toBe(200);
    const plain = await callTool(gw.mcpUrl, token, 'get_current_user', {});
    expect(plain.json.result?.isError).toBeFalsy();
    // stopping flushes what the batch processor still holds: nothing was exported before that is lost
    await gw.stop();
    spans = spansOf(receiver.received);
    raw = receiver.received.map((payload) => new TextDecoder().decode(payload.body)).join('\n');
  });

  afterAll(async () => {
    await gw?.stop();
    relay?.stop();
    receiver?.stop();
    await demo?.stop();
  });

  test('spans arrive at the receiver as OTLP/JSON, with the service name', () => {
    expect(receiver.received.length).toBeGreaterThan(0);
    expect(receiver.received.every((payload) => payload.path === '/v1/traces' && payload.contentType.startsWith('application/json'))).toBe(true);
    expect(raw).toContain('portico-under-test');
  });

  test('MCP request → tool call → upstream request nest, under the client\'s traceparent', () => {
    const inTrace = spans.filter((span) => span.traceId === CLIENT_TRACE);
    const request = inTrace.find((span) => span.attrs['mcp.method.name'] === 'tools/call');
    expect(request).toBeDefined();
    expect(request!.parentSpanId).toBe(CLIENT_SPAN);
    expect(request!.name).toBe('tools/call list_projects');
    expect(request!.kind).toBe(2); // SERVER
    expect(request!.attrs).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/mcp', 'http.response.status_code': 200, 'gen_ai.tool.name': 'list_projects', 'portico.mcp.era': '2025' });

    const call = inTrace.find((span) => span.name === 'execute_tool list_projects');
    expect(call?.parentSpanId).toBe(request!.spanId);
    expect(call!.attrs).toMatchObject({ 'gen_ai.tool.name': 'list_projects', 'portico.call.outcome': expect.any(String) });
    expect(call!.attrs['portico.upstream.status_code']).toBeNumber();

    const upstream = inTrace.find((span) => span.kind === 3 && span.attrs['http.request.method'] === 'GET'); // CLIENT
    expect(upstream?.parentSpanId).toBe(call!.spanId);
    expect(upstream!.attrs['http.response.status_code']).toBe(call!.attrs['portico.upstream.status_code']);
    expect(upstream!.attrs['url.full']).toBe(`${relay.baseUrl}/projects?org_id=REDACTED`);
  });

  test('the store calls are spans too: the token lookup in the MCP request, the audit write in the tool call', () => {
    const inTrace = spans.filter((span) => span.traceId === CLIENT_TRACE);
    const request = inTrace.find((span) => span.attrs['mcp.method.name'] === 'tools/call')!;
    const call = inTrace.find((span) => span.name === 'execute_tool list_projects')!;
    const lookup = inTrace.find((span) => span.name === 'store findAccessToken');
    expect(lookup?.parentSpanId).toBe(request.spanId);
    expect(lookup!.attrs).toMatchObject({ 'db.system.name': 'sqlite', 'db.operation.name': 'findAccessToken' });
    const audit = inTrace.find((span) => span.name.startsWith('store appendAudit'));
    expect(audit?.parentSpanId).toBe(call.spanId);
  });

  test('the API received the same trace, as a child of the upstream span', () => {
    const upstream = spans.find((span) => span.traceId === CLIENT_TRACE && span.kind === 3 && span.attrs['http.request.method'] === 'GET')!;
    const sent = relay.seen.find((request) => request.path.endsWith('/projects'));
    expect(sent?.headers.get('traceparent')).toBe(`00-${CLIENT_TRACE}-${upstream.spanId}-01`);
  });

  test('a request without traceparent starts a trace of its own', () => {
    const request = spans.find((span) => span.name === 'tools/call get_current_user');
    expect(request).toBeDefined();
    expect(request!.traceId).not.toBe(CLIENT_TRACE);
    expect(request!.parentSpanId ?? '').toBe('');
  });

  test('no argument value, token or credential is in anything exported', () => {
    expect(raw).not.toContain(SECRET_ARGUMENT);
    expect(raw).not.toContain(token);
    // the user's credential at the API, as the relay saw it on every call
    const credentials = new Set(relay.seen.map((request) => request.headers.get('authorization')?.replace(/^Bearer\s+/i, '')).filter((value): value is string => !!value));
    expect(credentials.size).toBeGreaterThan(0);
    for (const credential of credentials) expect(raw).not.toContain(credential);
    expect(raw).not.toContain(ALICE.password);
  });
});

test('the default protocol is OTLP/HTTP protobuf, as the specification says; secrets stay out of it too', async () => {
  const receiver = startReceiver();
  const gw = await startTestGateway(
    { PORTICO_AUTH: 'none', PORTICO_MCP_MODE: 'stateless', PORTICO_PLUGINS: tempDir() },
    { tracing: readTracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/custom/traces` }) },
  );
  try {
    const response = await fetch(gw.mcpUrl, {
      method: 'POST',
      headers: { ...MCP_HEADERS, traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_projects', arguments: { org_id: SECRET_ARGUMENT } } }),
    });
    expect(response.status).toBe(200);
    await response.text();
  } finally {
    await gw.stop();
    receiver.stop();
  }
  expect(receiver.received.length).toBeGreaterThan(0);
  expect(receiver.received.every((payload) => payload.path === '/custom/traces' && payload.contentType === 'application/x-protobuf')).toBe(true);
  const bytes = Buffer.concat(receiver.received.map((payload) => payload.body));
  // protobuf keeps strings as they are and ids as bytes
  expect(bytes.includes(Buffer.from('execute_tool list_projects'))).toBe(true);
  expect(bytes.includes(Buffer.from(CLIENT_TRACE, 'hex'))).toBe(true);
  expect(bytes.includes(Buffer.from(SECRET_ARGUMENT))).toBe(false);
});

describe('off', () => {
  /** Runs a gateway in a process of its own (so nothing loaded by the other tests counts), makes a call, and reports. */
  async function runAlone(env: Record<string, string>) {
    const script = join(tempDir(), 'off.ts');
    const root = join(import.meta.dir, '..', '..');
    await Bun.write(
      script,
      `import { startTestGateway } from ${JSON.stringify(join(root, 'test/fixtures/gateway.ts'))};
import { tracingLoaded } from ${JSON.stringify(join(root, 'src/ops/tracing.ts'))};
import { tempDir } from ${JSON.stringify(join(root, 'test/fixtures/temp.ts'))};
const gw = await startTestGateway({ PORTICO_AUTH: 'none', PORTICO_MCP_MODE: 'stateless', PORTICO_PLUGINS: tempDir() });
const response = await fetch(gw.mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', traceparent: '00-${CLIENT_TRACE}-${CLIENT_SPAN}-01' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_current_user', arguments: {} } }) });
await response.text();
await gw.stop();
const modules = Object.keys(require.cache).filter((name) => name.includes('@opentelemetry'));
console.log(JSON.stringify({ status: response.status, loaded: tracingLoaded(), modules }));
`,
    );
    const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')));
    const child = Bun.spawn([process.execPath, script], { cwd: root, env: { ...clean, ...env }, stdout: 'pipe', stderr: 'pipe' });
    const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    if (code !== 0) throw new Error(`the gateway process failed (${code}): ${err.slice(-2000)}`);
    return JSON.parse(out.trim().split('\n').at(-1)!) as { status: number; loaded: boolean; modules: string[] };
  }

  test('without OTEL_* variables nothing of OpenTelemetry is loaded', async () => {
    const report = await runAlone({});
    expect(report).toEqual({ status: 200, loaded: false, modules: [] });
  });

  test('OTEL_TRACES_EXPORTER=none: an endpoint set, still nothing loaded and nothing exported', async () => {
    const receiver = startReceiver();
    try {
      const report = await runAlone({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_EXPORTER: 'none' });
      expect(report.status).toBe(200);
      expect(report.loaded).toBe(false);
      expect(report.modules).toEqual([]);
      expect(receiver.received).toEqual([]);
    } finally {
      receiver.stop();
    }
  });

  test('an OTEL_* endpoint in the environment turns it on (the same check, loading it)', async () => {
    const receiver = startReceiver();
    try {
      const report = await runAlone({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
      expect(report.loaded).toBe(true);
      expect(report.modules.length).toBeGreaterThan(0);
      expect(receiver.received.length).toBeGreaterThan(0);
    } finally {
      receiver.stop();
    }
  });
});

describe('settings', () => {
  test('off unless an endpoint or an exporter is named; none and OTEL_SDK_DISABLED win', () => {
    expect(readTracingSettings({}).exporters).toEqual([]);
    expect(readTracingSettings({ OTEL_SERVICE_NAME: 'x' }).exporters).toEqual([]);
    expect(readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toMatchObject({ exporters: ['otlp'], url: 'http://c:4318/v1/traces', protocol: 'http/protobuf', sampler: 'parentbased_always_on' });
    expect(readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/x' }).url).toBe('http://t/x');
    expect(readTracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' }).url).toBe('http://localhost:4318/v1/traces');
    expect(readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_TRACES_EXPORTER: 'none' }).exporters).toEqual([]);
    expect(readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_SDK_DISABLED: 'true' }).exporters).toEqual([]);
  });

  test('service name, resource attributes, headers and the sampler', () => {
    const settings = readTracingSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c',
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attributes,deployment.environment.name=prod',
      OTEL_SERVICE_NAME: 'gateway-eu',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D%3D,other=1',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(settings.resource).toEqual({ 'service.name': 'gateway-eu', 'deployment.environment.name': 'prod' });
    expect(settings.headers).toEqual({ 'x-api-key': 'abc==', other: '1' });
    expect(settings).toMatchObject({ sampler: 'parentbased_traceidratio', ratio: 0.25 });
  });

  test('what makes no sense is refused, naming the variable (and never repeating a header value)', () => {
    expect(() => readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL must be http\/protobuf or http\/json/);
    expect(() => readTracingSettings({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() => readTracingSettings({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(/OTEL_TRACES_SAMPLER must be one of/);
    expect(() => readTracingSettings({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    expect(() => readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/);
    expect(() => readTracingSettings({ OTEL_EXPORTER_OTLP_HEADERS: 'secret-value-no-equals' })).toThrow(/OTEL_EXPORTER_OTLP_HEADERS must look like/);
    try {
      readTracingSettings({ OTEL_EXPORTER_OTLP_HEADERS: 'secret-value-no-equals' });
    } catch (error) {
      expect((error as Error).message).not.toContain('secret-value-no-equals');
    }
  });
});
