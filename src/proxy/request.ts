/**
 * @module proxy/request
 * Tool arguments → the upstream `Request`: URL (`proxy/url`), headers and cookies (`proxy/headers`), body
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
 * The request for calling `entry` with `args` (already validated against the tool's input schema). It does
 * not follow redirects by itself (`redirect: 'manual'`): `callTool` decides which ones it may follow.
 */
export function buildRequest(entry: CatalogEntry, args: Readonly<Record<string, unknown>>, options: ProxyOptions | ResolvedProxyOptions): Request {
  const resolved = isResolved(options) ? options : resolveProxyOptions(options);
  const { target } = entry;
  const url = operationUrl(resolved.upstream, target, args);
  const properties = isObject(entry.tool.inputSchema.properties) ? entry.tool.inputSchema.properties : {};
  const body = target.body ? encodeBody(target.body, args, properties) : undefined;
  const headers = requestHeaders(target.parameters, args, resolved.headers, body?.contentType);
  const method = target.method.toUpperCase();
  return new Request(url.href, { method, headers, body: body?.body, redirect: 'manual' });
}

function isResolved(options: ProxyOptions | ResolvedProxyOptions): options is ResolvedProxyOptions {
  return options.upstream instanceof URL && 'secrets' in options;
}
