/**
 * @module proxy/request
 * Tool arguments → the upstream request: URL (`proxy/url`), headers and cookies (`proxy/headers`), body
 * (`proxy/body`). Throws `ProxyArgumentError` for an argument that cannot be sent and `ProxyError` for an
 * operation that cannot be called; `callTool` turns both into error results.
 */
import type { CatalogEntry } from '../catalog/types';
import { encodeBody } from './body';
import { requestHeaders } from './headers';
import { resolveProxyOptions, type ProxyOptions, type ResolvedProxyOptions } from './options';
import { operationUrl } from './url';
import { isObject } from './values';

/**
 * What `callTool` sends: a plain description rather than a `Request`, because `fetch(url, init)` costs
 * less than building a `Request` first, and a body that is never a stream can be sent again on a redirect.
 */
export interface UpstreamRequest {
  readonly url: URL;
  readonly method: string;
  /** Names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array | URLSearchParams | FormData;
}

/** The request for calling `entry` with `args` (already validated against the tool's input schema). */
export function buildRequest(entry: CatalogEntry, args: Readonly<Record<string, unknown>>, options: ProxyOptions | ResolvedProxyOptions): UpstreamRequest {
  const resolved = isResolved(options) ? options : resolveProxyOptions(options);
  const { target } = entry;
  const url = operationUrl(resolved.upstream, target, args);
  const properties = isObject(entry.tool.inputSchema.properties) ? entry.tool.inputSchema.properties : {};
  const body = target.body ? encodeBody(target.body, args, properties) : undefined;
  const headers = requestHeaders(target.parameters, args, resolved.headers, body?.contentType);
  return { url, method: target.method.toUpperCase(), headers, body: body?.body };
}

function isResolved(options: ProxyOptions | ResolvedProxyOptions): options is ResolvedProxyOptions {
  return options.upstream instanceof URL && 'secrets' in options;
}
