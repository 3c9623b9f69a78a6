/**
 * Shared helpers for the proxy tests: a real upstream (`Bun.serve` on 127.0.0.1, port 0) that records every
 * request and answers as the test says, catalogs built by the real loader from small documents, and the
 * SDK's own validator for checking `structuredContent` exactly as a client would.
 */
import { afterAll, expect } from 'bun:test';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Server } from 'bun';
import type { CatalogEntry } from '../../src/catalog/index';
import { callTool, type ProxyOptions } from '../../src/proxy/index';
import { build, entry, oas30, removeTempDirs } from '../catalog/helpers';

export { build, entry, oas30, removeTempDirs } from '../catalog/helpers';

/** One request as the upstream received it. */
export interface Recorded {
  readonly method: string;
  /** Path and query exactly as they arrived (no normalisation). */
  readonly target: string;
  readonly url: URL;
  readonly headers: Headers;
  readonly body: Uint8Array;
  readonly text: string;
  /** The client's port: the same port on two requests means a reused connection. */
  readonly clientPort: number;
  readonly contentType: string | null;
}

export type Handler = (request: Request, recorded: Recorded) => Response | Promise<Response>;

export interface Upstream {
  readonly url: string;
  readonly port: number;
  readonly requests: Recorded[];
  /** Replaces the answer for the next requests. */
  answer(handler: Handler): void;
  stop(): Promise<void>;
}

export const json = (value: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json', ...headers } });

/**
 * The upstream one test file shares: started as the file loads, stopped after its last test, when the temp folders
 * its specs were written to go too.
 */
export function upstreamForThisFile(): Upstream {
  const upstream = startUpstream();
  afterAll(async () => {
    await upstream.stop();
    removeTempDirs();
  });
  return upstream;
}

/** Starts an upstream answering `{ ok: true }` until told otherwise. */
export function startUpstream(handler: Handler = () => json({ ok: true })): Upstream {
  let current = handler;
  const requests: Recorded[] = [];
  const server: Server<undefined> = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 30,
    async fetch(request, srv) {
      const body = new Uint8Array(await request.arrayBuffer());
      const url = new URL(request.url);
      const recorded: Recorded = {
        method: request.method,
        target: request.url.slice(url.origin.length),
        url,
        headers: request.headers,
        body,
        text: new TextDecoder().decode(body),
        clientPort: srv.requestIP(request)?.port ?? 0,
        contentType: request.headers.get('content-type'),
      };
      requests.push(recorded);
      return current(new Request(request.url, { method: request.method, headers: request.headers, body: body.length > 0 ? body : undefined }), recorded);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port!,
    requests,
    answer(next) {
      current = next;
    },
    stop: () => server.stop(true),
  };
}

/** Calls and returns the result, checking it has the shape MCP requires. */
export async function call(target: CatalogEntry, args: Record<string, unknown>, options: ProxyOptions, signal?: AbortSignal): Promise<CallToolResult> {
  const { result } = await callTool(target, args, options, signal);
  expect(Array.isArray(result.content)).toBe(true);
  return result;
}

/** The text of the result's first content block. */
export function textOf(result: CallToolResult): string {
  const first = result.content[0];
  if (!first || first.type !== 'text') throw new Error(`expected text content, got ${JSON.stringify(result.content).slice(0, 300)}`);
  return first.text;
}

const sdkValidator = new AjvJsonSchemaValidator();

/** Checks `structuredContent` with the SDK's own validator (the one its client uses), formats included. */
export function expectValidStructured(target: CatalogEntry, result: CallToolResult): void {
  expect(result.isError).toBeFalsy();
  expect(result.structuredContent).toBeDefined();
  const check = sdkValidator.getValidator(target.tool.outputSchema as Parameters<typeof sdkValidator.getValidator>[0]);
  const verdict = check(result.structuredContent);
  expect(verdict.errorMessage).toBeUndefined();
  expect(verdict.valid).toBe(true);
}

/** A single-operation catalog: `spec` is the operation object for `method path`. */
export async function operation(method: string, path: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<CatalogEntry> {
  const catalog = await build(oas30({ [path]: { [method.toLowerCase()]: { operationId: 'op', responses: { '204': { description: 'none' } }, ...spec } } }, undefined, extra));
  return entry(catalog, 'op');
}

export const param = (name: string, where: string, schema: unknown, more: Record<string, unknown> = {}) => ({ name, in: where, schema, ...more });
