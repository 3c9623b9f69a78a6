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
  findTool(name: string): CatalogEntry | undefined;
  /** Calls the operation behind a tool. Expected failures are results with `isError`, not exceptions. */
  callTool(entry: CatalogEntry, args: Record<string, unknown>, signal: AbortSignal, principal: Principal | undefined): Promise<CallToolResult>;
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
}

/** One tools/call as the audit log sees it. */
export interface CallEvent {
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly principal: Principal | undefined;
  /** `denied`: beyond the token's scopes; `invalid_arguments`: refused before the API; `called`: the API was asked. */
  readonly stage: 'denied' | 'invalid_arguments' | 'called';
  readonly result?: CallToolResult;
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
   * A tools/call result. MCP: an unknown tool is a protocol error (thrown `McpError`); arguments that do
   * not fit the schema and failed calls are results with `isError`, which the agent reads and can fix.
   */
  async call(name: string, args: Record<string, unknown>, signal: AbortSignal, principal?: Principal): Promise<CallToolResult> {
    const entry = this.tools.findTool(name);
    if (!entry) throw new McpError(ErrorCode.InvalidParams, `unknown tool "${name}"; call tools/list to see the tools`);
    const startedAt = Date.now();
    const started = performance.now();
    const report = (stage: CallEvent['stage'], result?: CallToolResult) =>
      this.options.onCall?.({ tool: name, args, principal, stage, result, startedAt, latencyMs: performance.now() - started });
    if (principal && !allows(principal.scopes, entry.scope)) {
      report('denied');
      if (this.options.denial === 'tool-error') return { isError: true, content: [{ type: 'text', text: scopeMessage(name, entry.scope) }] };
      throw new InsufficientScopeError(name, entry.scope);
    }
    const problem = this.validator.check(entry.tool, args);
    if (problem) {
      report('invalid_arguments');
      return { isError: true, content: [{ type: 'text', text: `Invalid arguments for ${name}: ${problem}` }] };
    }
    const result = await this.tools.callTool(entry, args, signal, principal);
    report('called', result);
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

function scopeMessage(tool: string, needed: Scope): string {
  return `The tool "${tool}" needs the "${needed}" permission, which this connection was not given. Reconnect and allow "${needed}" access on the consent page to use it.`;
}
