/**
 * @module plugins/context
 * What a plugin's handlers get: the caller, cancellation and calls to the upstream API with the caller's
 * own credential — never anywhere else; a tool's handler also progress and log messages to the client, a
 * question to the user (elicitation) and a request to the client's model (sampling) where the client can.
 */
import type { AskOptions, Caller, ElicitResult, InputAnswers, LogLevel, RequestContext, Root, SamplingResult, ToolContext } from '../../plugins/portico';
import type { Principal } from '../oauth/bearer';
import { CAPABILITY_OF, MissingClientCapability, type InputRequest } from '../wire/input-required';

/**
 * What the protocol layer can do for a request besides answering it: progress and log messages (for tool calls),
 * and asking the client (`ask`), which each era of MCP does its own way (`wire/input-required`). `mcp/legacy`
 * fills it for the 2025 revisions, `mcp/modern` for 2026-07-28.
 */
export interface RequestExtra {
  readonly progressToken?: string | number;
  sendNotification(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
  /** Whether the client wants log messages at `level` (logging/setLevel; 2026-07-28: the request's `logLevel`). */
  logs?(level: LogLevel): boolean;
  /**
   * Asks the client for everything in `requests` at once (keyed as it must answer). Resolves to the answers by
   * key; a request the client cannot answer (it did not declare the capability) has none, unless `required`:
   * then it throws `MissingClientCapability`. In 2026-07-28 it throws `InputRequired` until the answers are in.
   */
  ask?(requests: Readonly<Record<string, InputRequest>>, options?: AskOptions): Promise<InputAnswers>;
  /** 2026-07-28: what the request kept of its earlier rounds besides answers (`Memo`); absent where requests have no rounds. */
  readonly memo?: Memo;
}

/**
 * What a request that runs again from the start on each round of MCP 2026-07-28 keeps between rounds, sealed in the
 * request state with the answers: code mode's program keeps the results of the calls it made before it asked, so
 * that its next run does not make them again.
 */
export interface Memo {
  /** What the earlier round kept; empty on the first. */
  readonly earlier: readonly unknown[];
  /** Keeps `entries` for the next round (the last keep wins). */
  keep(entries: readonly unknown[]): void;
}

/** The questions asked without a key are numbered in the order asked: the same on every round of a 2026-07-28 request, which runs again from the start. */
class Asker {
  private asked = 0;

  constructor(private readonly extra: RequestExtra | undefined) {}

  async ask(requests: Readonly<Record<string, InputRequest>>, options?: AskOptions): Promise<InputAnswers> {
    for (const [key, request] of Object.entries(requests)) checkRequest(key, request);
    if (this.extra?.ask) return this.extra.ask(requests, options);
    // nothing can be asked here (a stateless 2025 request, a completion): a question the request cannot do without fails it
    if (options?.required) throw new MissingClientCapability([...new Set(Object.values(requests).map((request) => CAPABILITY_OF[request.method]))]);
    return {};
  }

  async one(request: InputRequest, options: AskOptions & { key?: string } = {}): Promise<unknown> {
    const key = options.key ?? `${request.method.split('/')[0]}-${++this.asked}`;
    return (await this.ask({ [key]: request }, options))[key];
  }
}

function checkRequest(key: string, request: InputRequest): void {
  if (typeof key !== 'string' || key === '') throw new TypeError('ask(): every request needs a non-empty key');
  if (!request || (request.method !== 'elicitation/create' && request.method !== 'sampling/createMessage' && request.method !== 'roots/list')) {
    throw new TypeError(`ask(): the request "${key}" must have method elicitation/create, sampling/createMessage or roots/list`);
  }
}

type Asking = Pick<RequestContext, 'ask' | 'elicit' | 'sample' | 'roots'>;

/** One numbering per request, shared by its policy hooks and its handler: a hook's first question and the tool's must not share a key. */
const askings = new WeakMap<RequestExtra, Asking>();

/** What every handler of the request `extra` belongs to gets for asking the client: `elicit`, `sample`, `roots` and `ask`. */
export function askingContext(extra: RequestExtra | undefined): Asking {
  const known = extra && askings.get(extra);
  if (known) return known;
  const asker = new Asker(extra);
  const asking: Asking = {
    ask: (requests, options) => asker.ask(requests, options),
    elicit: async (message, schema, options) => (await asker.one({ method: 'elicitation/create', params: { message, requestedSchema: schema } }, options)) as ElicitResult | undefined,
    sample: async (request, options) => (await asker.one({ method: 'sampling/createMessage', params: request as unknown as Record<string, unknown> }, options)) as SamplingResult | undefined,
    roots: async (options) => ((await asker.one({ method: 'roots/list', params: {} }, options)) as { roots?: Root[] } | undefined)?.roots,
  };
  if (extra) askings.set(extra, asking);
  return asking;
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
    ...requestContext(access, principal, signal, extra),
    async progress(progress, total, message) {
      if (extra?.progressToken === undefined) return;
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: extra.progressToken, progress, ...(total !== undefined && { total }), ...(message !== undefined && { message }) } });
    },
    async log(level, data) {
      if (extra?.logs?.(level) === false) return;
      await extra?.sendNotification({ method: 'notifications/message', params: { level, data } });
    },
  };
}

export function requestContext(access: UpstreamAccess, principal: Principal | undefined, signal: AbortSignal, extra?: RequestExtra): RequestContext {
  const base = new URL(`${access.upstream.replace(/\/+$/, '')}/`);
  return {
    caller: callerOf(principal),
    signal,
    ...askingContext(extra),
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
