/**
 * Shared pieces of the demo API tests: a demo API on a free port, logging in, one-line HTTP calls, and a
 * checker that holds responses to the schemas of the document the API serves.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import { DEMO_USERS, startDemoApi, type RunningDemoApi, type StartDemoApiOptions } from '../../src/demo';

/** A demo API with no waiting: the slow endpoint and background work are instant unless asked otherwise. */
export function startDemo(options: StartDemoApiOptions = {}): Promise<RunningDemoApi> {
  return startDemoApi({ slowMs: 0, settleMs: 0, ...options });
}

export type Who = 'alice' | 'bob' | 'carol';

export function demoUser(who: Who) {
  const user = DEMO_USERS.find((candidate) => candidate.email === `${who}@example.com`);
  if (!user) throw new Error(`no demo user ${who}`);
  return user;
}

/** A bearer token for a demo user. */
export async function login(demo: RunningDemoApi, who: Who): Promise<string> {
  const user = demoUser(who);
  const response = await call(demo, 'POST', '/v1/auth/login', { body: { email: user.email, password: user.password } });
  if (response.status !== 200) throw new Error(`login as ${who} failed: ${response.status} ${response.text}`);
  return (response.body as { token: string }).token;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when empty or not JSON. */
  body: unknown;
}

/** One request to the demo API; `path` includes `/v1` and any query string. */
export async function call(demo: RunningDemoApi, method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  const response = await fetch(`${demo.url}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** The fields of an `httperr.Error` body, for assertions. */
export function errorOf(result: CallResult): { code: string; message: string; details?: Array<{ field: string; message: string }> } {
  return result.body as { code: string; message: string; details?: Array<{ field: string; message: string }> };
}

// ------------------------------------------------------------------------------------------------------------
// The document's schemas as JSON Schema, closed: a model with a property the document does not list fails.

interface SwaggerResponse {
  description: string;
  schema?: unknown;
  headers?: Record<string, unknown>;
}
export interface SwaggerOperation {
  operationId: string;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  responses: Record<string, SwaggerResponse>;
}
export interface SwaggerDoc {
  host: string;
  basePath: string;
  schemes: string[];
  paths: Record<string, Record<string, SwaggerOperation>>;
  definitions: Record<string, unknown>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Swagger 2.0 schema → JSON Schema draft-07: `x-nullable` allows null; named models reject unlisted properties. */
function convert(node: Json, closed: boolean): Json {
  if (Array.isArray(node)) return node.map((item) => convert(item, false));
  if (node === null || typeof node !== 'object') return node;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'x-nullable' || key === 'example' || key.startsWith('x-')) continue;
    if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, convert(schema, false)]));
    } else {
      out[key] = convert(value, false);
    }
  }
  if (closed && out.type === 'object' && out.properties) out.additionalProperties = false;
  return node['x-nullable'] === true ? { anyOf: [out, { type: 'null' }] } : out;
}

/** Checks bodies against the document's response schemas; returns Ajv's errors, empty when the body fits. */
export function responseChecker(doc: SwaggerDoc) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  ajv.addFormat('email', /^[^\s@]+@[^\s@]+$/);
  ajv.addFormat('password', /.*/);
  ajv.addFormat('int64', { type: 'number', validate: (value: number) => Number.isSafeInteger(value) });
  const definitions = Object.fromEntries(Object.entries(doc.definitions).map(([name, schema]) => [name, convert(schema as Json, true)]));
  const cache = new Map<string, ValidateFunction>();
  return (path: string, method: string, status: number, body: unknown): string[] => {
    const response = doc.paths[path]?.[method]?.responses[String(status)];
    if (!response) return [`${method.toUpperCase()} ${path} does not document status ${status}`];
    if (!response.schema) return body === undefined ? [] : [`status ${status} documents no body, got ${JSON.stringify(body).slice(0, 200)}`];
    const key = `${method} ${path} ${status}`;
    let validate = cache.get(key);
    if (!validate) {
      validate = ajv.compile({ ...(convert(response.schema as Json, false) as object), definitions });
      cache.set(key, validate);
    }
    return validate(body) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`);
  };
}
