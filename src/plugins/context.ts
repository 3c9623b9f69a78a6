/**
 * @module plugins/context
 * What a plugin's handlers get: the caller, cancellation and calls to the upstream API with the caller's
 * own credential — never anywhere else; a tool's handler also progress and log messages to the client, a
 * question to the user (elicitation) and a request to the client's model (sampling) where the client can.
 */
import type { RequestContext, ToolContext } from '../../plugins/portico';
import type { Principal } from '../oauth/bearer';
import { callerOf, type RequestExtra } from '../mcp/tool-requests';

export interface UpstreamAccess {
  /** The API's base URL (PORTICO_UPSTREAM). */
  readonly upstream: string;
  /** Headers for calls without a signed-in user (PORTICO_AUTH=none). */
  readonly sharedHeaders: Readonly<Record<string, string>>;
}

export function toolContext(access: UpstreamAccess, principal: Principal | undefined, signal: AbortSignal, extra?: RequestExtra): ToolContext {
  return {
    ...requestContext(access, principal, signal),
    async progress(progress, total, message) {
      if (extra?.progressToken === undefined) return;
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: extra.progressToken, progress, ...(total !== undefined && { total }), ...(message !== undefined && { message }) } });
    },
    async log(level, data) {
      if (extra?.logs?.(level) === false) return;
      await extra?.sendNotification({ method: 'notifications/message', params: { level, data } });
    },
    async elicit(message, schema) {
      return extra?.elicit ? extra.elicit(message, schema) : undefined;
    },
    async sample(request) {
      return extra?.sample ? extra.sample(request) : undefined;
    },
  };
}

export function requestContext(access: UpstreamAccess, principal: Principal | undefined, signal: AbortSignal): RequestContext {
  const base = new URL(`${access.upstream.replace(/\/+$/, '')}/`);
  return {
    caller: callerOf(principal),
    signal,
    upstream(path, init = {}) {
      const url = new URL(path.replace(/^\/+/, ''), base);
      // a plugin reaches the API it fronts and nothing else: the credential must never go to another host
      if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) {
        return Promise.reject(new Error(`upstream(): "${path}" is not under ${base.href}`));
      }
      const headers = new Headers(init.headers);
      for (const [name, value] of Object.entries(principal?.upstreamHeaders ?? access.sharedHeaders)) headers.set(name, value);
      return fetch(url, { ...init, headers, signal: init.signal ?? signal, redirect: 'manual' });
    },
  };
}
