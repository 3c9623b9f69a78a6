/**
 * @module mcp/tool-requests
 * `tools/list` and `tools/call` in MCP's terms, in one place, for both eras (`mcp/methods`). It maps requests onto the call
 * pipeline (`calls/pipeline`) and its records back onto MCP: an unknown tool and (in `challenge` mode) a call
 * beyond the token's scopes are protocol errors; everything else is a result. With sign-in, the caller's
 * scopes decide which tools are listed.
 */
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { InvalidCursorError } from '../catalog';
import { scopeMessage, UnknownToolError, type CallPipeline } from '../calls/pipeline';
import type { ListingView } from '../calls/toolbox';
import type { Principal } from '../oauth/bearer';
import { topScope, type Scope } from '../oauth/scopes';
import type { RequestExtra } from '../plugins/context';

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
  /** `challenge`: a call beyond the scopes is refused with the step-up challenge; `tool-error`: it is a tool result saying so. @default challenge */
  readonly denial?: 'challenge' | 'tool-error';
}

const NO_HEADERS: ReadonlyMap<string, string> = new Map();
const headerArgumentsOf = new WeakMap<object, ReadonlyMap<string, string>>();

export class ToolRequests {
  constructor(
    private readonly calls: CallPipeline,
    private readonly options: ToolRequestsOptions = {},
  ) {}

  /** A tools/list result as UTF-8 JSON; a cursor that is not valid now is an InvalidParams error. */
  listJson(cursor: string | undefined, principal?: Principal): Uint8Array {
    return this.page(() => this.calls.tools.listToolsJson(cursor, this.view(principal)));
  }

  /**
   * Whether a call of `name` in a session may say something before its answer (so it is answered on an SSE stream): a plugin tool may report progress or
   * ask the user, and so may a policy hook when the client can be asked (`clientCanAsk`: it declared elicitation).
   */
  /**
   * The arguments of the tool `name` (as `principal` sees it) that its schema says travel in a header too
   * (`x-mcp-header`, MCP 2026-07-28): argument name → the header's suffix (`Mcp-Param-<suffix>`). Read once per tool.
   */
  headerArguments(name: string, principal: Principal | undefined): ReadonlyMap<string, string> {
    const tool = this.calls.tools.findToolFor(name, principal)?.tool;
    if (!tool) return NO_HEADERS;
    let found = headerArgumentsOf.get(tool);
    if (!found) {
      const properties = (tool.inputSchema as { properties?: Record<string, { 'x-mcp-header'?: unknown }> }).properties ?? {};
      found = new Map(Object.entries(properties).flatMap(([argument, schema]) => (typeof schema?.['x-mcp-header'] === 'string' ? [[argument, schema['x-mcp-header']] as [string, string]] : [])));
      headerArgumentsOf.set(tool, found);
    }
    return found;
  }

  needsSession(name: string, principal: Principal | undefined, clientCanAsk = false): boolean {
    if (clientCanAsk && this.calls.hooked) return true;
    // as the caller sees the tools: one hidden from them is not a plugin tool, but a tool that does not exist,
    // answered on the same path as any unknown tool (the path must not tell them it exists)
    return this.calls.tools.findToolFor(name, principal)?.kind === 'plugin';
  }

  /**
   * The refusal of a call of `name` that the token's scopes do not reach, in `challenge` mode, decided before
   * the request is served (the HTTP layer answers 403 with the step-up challenge, whatever path the request
   * would take) and recorded as denied, once: the call is never made. Undefined when the call may go on — in
   * `tool-error` mode too, where `call` answers it with a tool result saying so.
   */
  refuseBeyondScope(name: string, args: Record<string, unknown>, principal: Principal | undefined): InsufficientScopeError | undefined {
    if (this.options.denial === 'tool-error') return undefined;
    const needed = this.calls.deny(name, args, principal);
    return needed && new InsufficientScopeError(name, needed);
  }

  /**
   * A tools/call result. MCP: an unknown tool is a protocol error (thrown `McpError`); arguments that do
   * not fit the schema and failed calls are results with `isError`, which the agent reads and can fix.
   */
  async call(name: string, args: Record<string, unknown>, signal: AbortSignal, principal?: Principal, extra?: RequestExtra): Promise<CallToolResult> {
    let record;
    try {
      record = await this.calls.call({ name, args, signal, principal, extra });
    } catch (error) {
      if (error instanceof UnknownToolError) throw new McpError(ErrorCode.InvalidParams, error.message);
      throw error;
    }
    // refused here only when the request was not checked first (`refuseBeyondScope`), or the tool's scope changed since
    if (record.outcome === 'denied' && record.needed && this.options.denial !== 'tool-error') throw new InsufficientScopeError(name, record.needed);
    return record.result;
  }

  private view(principal: Principal | undefined): ListingView {
    return { top: principal ? (topScope(principal.scopes) ?? 'read') : undefined, marked: this.options.listed === 'all', principal };
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
