/**
 * @module plugins/context
 * What a plugin tool's handler gets: the caller, cancellation, progress and log messages to the client,
 * a question to the user (elicitation) where the client can ask, and calls to the upstream API with the
 * caller's own credential — never anywhere else.
 */
import type { ToolContext } from '../../plugins/portico';
import type { Principal } from '../oauth/bearer';
import { callerOf, type RequestExtra } from '../mcp/tool-requests';

export interface UpstreamAccess {
  /** The API's base URL (PORTICO_UPSTREAM). */
  readonly upstream: string;
  /** Headers for calls without a signed-in user (PORTICO_AUTH=none). */
  readonly sharedHeaders: Readonly<Record<string, string>>;
}

export function toolContext(access: UpstreamAccess, principal: Principal | undefined, signal: AbortSignal, extra?: RequestExtra): ToolContext {
  const base = new URL(`${access.upstream.replace(/\/+$/, '')}/`);
  return {
    caller: callerOf(principal),
    signal,
    async progress(progress, total, message) {
      if (extra?.progressToken === undefined) return;
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: extra.progressToken, progress, ...(total !== undefined && { total }), ...(message !== undefined && { message }) } });
    },
    async log(level, data) {
      await extra?.sendNotification({ method: 'notifications/message', params: { level, data } });
    },
    async elicit(message, schema) {
      return extra?.elicit ? extra.elicit(message, schema) : undefined;
    },
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
