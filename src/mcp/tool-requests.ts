/**
 * @module mcp/tool-requests
 * What `tools/list` and `tools/call` mean, in one place: the SDK's Server handlers and the direct path
 * (`mcp/direct`) both answer through it, so the two cannot drift apart. With sign-in, the caller's scopes
 * decide which tools are listed and which may be called.
 */
import { ErrorCode, McpError, type CallToolResult, type ListToolsResult } from '@modelcontextprotocol/sdk/types.js';
import { InvalidCursorError, type CatalogEntry, type ToolsPage } from '../catalog';
import type { Principal } from '../oauth/bearer';
import { allows, topScope, type Scope } from '../oauth/scopes';
import type { Caller, CallInfo, LogLevel, SamplingRequest, SamplingResult, ToolContext, ToolResult } from '../../plugins/portico';
import { silentLogger, type Logger } from '../log';
import type { PinnedValue, PluginEntry, ToolEntry } from '../plugins/catalog';
import type { PluginHost } from '../plugins/host';
import type { Called } from '../proxy';
import type { ArgumentValidator } from './arguments';

/** Which tools a listing shows: up to `top` (all when undefined); `marked`: all, those above `top` marked locked. */
export interface ListingView {
  readonly top: Scope | undefined;
  readonly marked: boolean;
}

/** What the MCP layer needs from the rest of the gateway. */
export interface ToolProvider {
  /** The tools/list page a cursor names; throws `InvalidCursorError` for a cursor that is not valid now. */
  listTools(cursor: string | undefined, view: ListingView): ToolsPage;
  /** The same page as UTF-8 JSON, built once per catalog and view. */
  listToolsJson(cursor: string | undefined, view: ListingView): Uint8Array;
  findTool(name: string): ToolEntry | undefined;
  /** Calls the operation behind a tool: its result and the API's status. Expected failures are results with `isError`, not exceptions. */
  callTool(entry: CatalogEntry, args: Record<string, unknown>, signal: AbortSignal, principal: Principal | undefined): Promise<Called>;
}

/** What a plugin tool's handler gets besides its arguments; `extra` is the SDK's, where the call came through it. */
export type ToolContextFactory = (principal: Principal | undefined, signal: AbortSignal, extra?: RequestExtra) => ToolContext;

/** The SDK's request extras that plugin tools use (progress, logging, elicitation, sampling). */
export interface RequestExtra {
  readonly progressToken?: string | number;
  sendNotification(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
  /** Whether the client wants log messages at `level` (logging/setLevel). */
  logs?(level: LogLevel): boolean;
  elicit?(message: string, schema: Record<string, unknown>): Promise<{ action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> } | undefined>;
  sample?(request: SamplingRequest): Promise<SamplingResult | undefined>;
}

/** A call to a tool the token's scopes do not reach. The HTTP layer answers 403 `insufficient_scope` where it can. */
export class InsufficientScopeError extends McpError {
  constructor(
    readonly tool: string,
    readonly needed: Scope,
  ) {
    super(ErrorCode.InvalidRequest, scopeMessage(tool, needed));
  }
}

export interface ToolRequestsOptions {
  /** `allowed`: list only what the caller's scopes allow; `all`: list everything, the rest marked locked. @default allowed */
  readonly listed?: 'allowed' | 'all';
  /** `challenge`: a call beyond the scopes throws `InsufficientScopeError`; `tool-error`: it is a tool result saying so. @default challenge */
  readonly denial?: 'challenge' | 'tool-error';
  /** Told about every call of a known tool once it is decided (the audit log). */
  readonly onCall?: (event: CallEvent) => void;
  /** Plugin policy hooks (before and after each call). */
  readonly plugins?: PluginHost;
  /** The context plugin tools' handlers get. */
  readonly toolContext?: ToolContextFactory;
  readonly log?: Logger;
}

/** One tools/call as the audit log sees it. */
export interface CallEvent {
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly principal: Principal | undefined;
  /** `denied`: beyond the token's scopes; `refused`: by a plugin's policy; `invalid_arguments`: refused before the API; `called`: the API (or the plugin tool) was asked. */
  readonly stage: 'denied' | 'refused' | 'invalid_arguments' | 'called';
  /** The result the client got (after the plugins' afterCall hooks). */
  readonly result?: CallToolResult;
  /** The HTTP status the API answered; undefined when it was not asked or did not answer, and for plugin tools. */
  readonly upstreamStatus: number | undefined;
  readonly startedAt: number;
  readonly latencyMs: number;
}

export class ToolRequests {
  constructor(
    private readonly tools: ToolProvider,
    private readonly validator: ArgumentValidator,
    private readonly options: ToolRequestsOptions = {},
  ) {}

  /** A tools/list result; a cursor that is not valid now is an InvalidParams error. */
  list(cursor: string | undefined, principal?: Principal): ListToolsResult {
    return this.page(() => this.tools.listTools(cursor, this.view(principal)) as ListToolsResult);
  }

  /** `list(cursor)` as UTF-8 JSON. */
  listJson(cursor: string | undefined, principal?: Principal): Uint8Array {
    return this.page(() => this.tools.listToolsJson(cursor, this.view(principal)));
  }

  /**
   * Whether a call of `name` must go through the SDK in a session: a plugin tool may report progress or
   * ask the user, and so may a policy hook (before or after the call) when the client can be asked
   * (`clientCanAsk`: it declared elicitation).
   */
  needsSession(name: string, clientCanAsk = false): boolean {
    const hooks = this.options.plugins ? this.options.plugins.before.length + this.options.plugins.after.length : 0;
    if (clientCanAsk && hooks > 0) return true;
    return this.tools.findTool(name)?.kind === 'plugin';
  }

  /**
   * The refusal of a call of `name` that the token's scopes do not reach, in `challenge` mode, decided before
   * the request is served (the HTTP layer answers 403 with the step-up challenge, whatever path the request
   * would take) and reported as denied, once: the call is never made. Undefined when the call may go on — in
   * `tool-error` mode too, where `call` answers it with a tool result saying so.
   */
  refuseBeyondScope(name: string, args: Record<string, unknown>, principal: Principal | undefined): InsufficientScopeError | undefined {
    if (this.options.denial === 'tool-error') return undefined;
    const entry = this.tools.findTool(name);
    const needed = entry && beyondScope(entry, principal);
    if (!needed) return undefined;
    this.options.onCall?.({ tool: name, args, principal, stage: 'denied', upstreamStatus: undefined, startedAt: Date.now(), latencyMs: 0 });
    return new InsufficientScopeError(name, needed);
  }

  /**
   * A tools/call result. MCP: an unknown tool is a protocol error (thrown `McpError`); arguments that do
   * not fit the schema and failed calls are results with `isError`, which the agent reads and can fix.
   */
  async call(name: string, args: Record<string, unknown>, signal: AbortSignal, principal?: Principal, extra?: RequestExtra): Promise<CallToolResult> {
    const entry = this.tools.findTool(name);
    if (!entry) throw new McpError(ErrorCode.InvalidParams, `unknown tool "${name}"; call tools/list to see the tools`);
    const startedAt = Date.now();
    const started = performance.now();
    const report = (stage: CallEvent['stage'], result?: CallToolResult, upstreamStatus?: number) =>
      this.options.onCall?.({ tool: name, args, principal, stage, result, upstreamStatus, startedAt, latencyMs: performance.now() - started });
    // refused here only when the request was not checked first (`refuseBeyondScope`), or the tool's scope changed since
    const needed = beyondScope(entry, principal);
    if (needed) {
      report('denied');
      if (this.options.denial === 'tool-error') return { isError: true, content: [{ type: 'text', text: scopeMessage(name, needed) }] };
      throw new InsufficientScopeError(name, needed);
    }
    const problem = this.validator.check(entry.tool, args);
    if (problem) {
      report('invalid_arguments');
      return { isError: true, content: [{ type: 'text', text: `Invalid arguments for ${name}: ${problem}` }] };
    }
    const plugins = this.options.plugins;
    let sent = entry.kind === 'operation' && entry.pinned.size > 0 ? withPinned(entry.pinned, args, principal) : args;
    const call: CallInfo | undefined = plugins && { tool: entry.info, args: sent, caller: callerOf(principal), elicit: async (message, schema) => extra?.elicit?.(message, schema) };
    if (plugins && call && plugins.before.length > 0) {
      const decision = await plugins.decide(call, this.options.log ?? silentLogger);
      if ('deny' in decision) {
        report('refused');
        return { isError: true, content: [{ type: 'text', text: `This call was refused by the server's policy: ${decision.deny}` }] };
      }
      sent = decision.args;
    }
    let result: CallToolResult;
    let upstreamStatus: number | undefined;
    if (entry.kind === 'plugin') {
      const context = this.options.toolContext?.(principal, signal, extra);
      if (!context) throw new Error('plugin tools need a tool context');
      result = await runHandler(entry, sent, context);
    } else {
      ({ result, upstreamStatus } = await this.tools.callTool(entry, entry.added.size > 0 ? without(entry.added, sent) : sent, signal, principal));
    }
    // the hooks may hand back a new result object: the status stays with the call, not with the object
    if (plugins && call && plugins.after.length > 0) result = (await plugins.transform({ ...call, args: sent }, result as ToolResult, this.options.log ?? silentLogger)) as CallToolResult;
    report('called', result, upstreamStatus);
    return result;
  }

  private view(principal: Principal | undefined): ListingView {
    return { top: principal ? (topScope(principal.scopes) ?? 'read') : undefined, marked: this.options.listed === 'all' };
  }

  private page<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new McpError(ErrorCode.InvalidParams, error.message);
      throw error;
    }
  }
}

/** The scope a call of `entry` needs that the caller's token does not reach; undefined when it may be called (or nobody signed in). */
function beyondScope(entry: ToolEntry, principal: Principal | undefined): Scope | undefined {
  return principal && !allows(principal.scopes, entry.scope) ? entry.scope : undefined;
}

/** The arguments without the ones plugins added for themselves: the API never receives those. */
function without(added: ReadonlySet<string>, args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([name]) => !added.has(name)));
}

/** The arguments with the pinned ones filled in (from the caller where the pin is a function). */
function withPinned(pinned: ReadonlyMap<string, PinnedValue>, args: Record<string, unknown>, principal: Principal | undefined): Record<string, unknown> {
  const filled = { ...args };
  const caller = callerOf(principal);
  for (const [name, value] of pinned) filled[name] = typeof value === 'function' ? (value as (caller: Caller | undefined) => unknown)(caller) : value;
  return filled;
}

export function callerOf(principal: Principal | undefined): Caller | undefined {
  return principal && { userId: principal.userId, userName: principal.userName, clientId: principal.clientId, scopes: principal.scopes };
}

/** A plugin tool's handler; a throw becomes a tool error naming the plugin (the agent sees it, the log has the detail). */
async function runHandler(entry: PluginEntry, args: Record<string, unknown>, context: ToolContext): Promise<CallToolResult> {
  try {
    return (await entry.handler(args, context)) as CallToolResult;
  } catch (error) {
    return { isError: true, content: [{ type: 'text', text: `The tool "${entry.tool.name}" (from ${entry.plugin}) failed: ${error instanceof Error ? error.message : String(error)}` }] };
  }
}

function scopeMessage(tool: string, needed: Scope): string {
  return `The tool "${tool}" needs the "${needed}" permission, which this connection was not given. Reconnect and allow "${needed}" access on the consent page to use it.`;
}
