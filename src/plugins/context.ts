/**
 * @module plugins/context
 * What a plugin's handlers get: the caller, cancellation and calls to the upstream API with the caller's
 * own credential — never anywhere else; a tool's handler also progress and log messages to the client, a
 * question to the user (elicitation) and a request to the client's model (sampling) where the client can.
 */
import type { Caller, LogLevel, RequestContext, SamplingRequest, SamplingResult, ToolContext } from '../../plugins/portico';
import type { Principal } from '../oauth/bearer';

/** What the protocol layer can do for a call besides answering it: progress, logging, elicitation, sampling (`mcp/server` fills it for calls the SDK serves). */
export interface RequestExtra {
  readonly progressToken?: string | number;
  sendNotification(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
  /** Whether the client wants log messages at `level` (logging/setLevel). */
  logs?(level: LogLevel): boolean;
  elicit?(message: string, schema: Record<string, unknown>): Promise<{ action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> } | undefined>;
  sample?(request: SamplingRequest): Promise<SamplingResult | undefined>;
}

/** The caller as plugins see it: who, through which client, with which scopes — never their credential. */
export function callerOf(principal: Principal | undefined): Caller | undefined {
  return principal && { userId: principal.userId, userName: principal.userName, clientId: principal.clientId, scopes: principal.scopes };
}

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
