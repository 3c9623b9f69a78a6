/**
 * @module mcp/tool-requests
 * `tools/list` and `tools/call` in MCP's terms, in one place, for both eras (`mcp/methods`). It maps requests onto the call
 * pipeline (`calls/pipeline`) and its records back onto MCP: an unknown tool and (in `challenge` mode) a call
 * beyond the token's scopes that the user could allow are protocol errors; everything else is a result. With
 * sign-in, the caller's scopes decide which tools are listed.
 *
 * A call beyond the token's scopes (`stepsUp` decides, for every path): when the user's role reaches the scope
 * it needs, the refusal is the 403 step-up challenge (the client can ask the user to allow more); when it never
 * could, asking again cannot succeed, so it is a tool result saying why and whom to ask — in both eras, for
 * call_operation's operation and code mode's calls alike. Either way the call is recorded as `denied`.
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { McpError } from '../wire/mcp-error';
import { JsonRpcCode } from '../wire/json-rpc';
import { InvalidCursorError } from '../catalog';
import type { JsonParts } from '../catalog/listing';
import type { AnswerFitter } from '../calls/answer/fit';
import { scopeMessage, UnknownToolError, type CallPipeline } from '../calls/pipeline';
import { toolsetName, type ListingView } from '../calls/toolbox';
import { couldGrant, type Principal } from '../oauth/bearer';
import { topScope, type Scope } from '../oauth/scopes';
import type { RequestExtra } from '../plugins/context';
import type { Sandbox } from '../sandbox/pool';
import { CALL, DESCRIBE, DISCOVER_TOOLS, isDiscoverTool, MAX_RESULTS, OperationIndex, SEARCH } from './discover';
import { CODE_TOOLS, execute, EXECUTE, isCodeTool, withDeclarations } from './code-mode';
import { isRecord } from './messages';
import { reaches } from './plugin-features';

/** A call to a tool the token's scopes do not reach, which the user could allow. The HTTP layer answers 403 `insufficient_scope` where it can. */
export class InsufficientScopeError extends McpError {
  constructor(
    readonly tool: string,
    readonly needed: Scope,
  ) {
    super(JsonRpcCode.InvalidRequest, scopeMessage(tool, needed));
  }
}

export interface ToolRequestsOptions {
  /** `allowed`: list only what the caller's scopes allow; `all`: list everything, the rest marked locked. @default allowed */
  readonly listed?: 'allowed' | 'all';
  /**
   * `challenge`: a call beyond the scopes is refused with the step-up challenge when the user's role could allow
   * the scope it needs (otherwise it is a tool result saying why); `tool-error`: it is always a tool result
   * saying so. @default challenge
   */
  readonly denial?: 'challenge' | 'tool-error';
  /**
   * `all`: every tool listed; `toolsets`: only the toolsets a connection names (`/mcp?toolsets=…`), which it must;
   * `discover`: three tools that search, describe and call them (`mcp/discover`); `code`: search and a program that
   * calls them (`mcp/code-mode`); `auto`: all up to `threshold` tools, discover above. @default all
   */
  readonly mode?: ToolMode;
  /** With `auto`. @default 80 */
  readonly threshold?: number;
  /** Code mode's sandbox and how many operations one program may call; needed for `code`. */
  readonly code?: { readonly sandbox: Sandbox; readonly maxCalls: number };
}

export type ToolMode = 'all' | 'toolsets' | 'discover' | 'code' | 'auto';
/** What tools/list offers, once `auto` is decided. */
export type ServedMode = Exclude<ToolMode, 'auto'>;

/** The tools/list of a mode that lists its own tools instead of the catalog's; undefined for the others. */
export function metaToolsOf(mode: ServedMode): readonly Tool[] | undefined {
  return mode === 'discover' ? DISCOVER_TOOLS : mode === 'code' ? CODE_TOOLS : undefined;
}

/** The mode served for `mode` over a catalog of `size` tools: `auto` lists them all up to `threshold`, and searches above. */
export function servedMode(mode: ToolMode, size: number, threshold = DEFAULT_THRESHOLD): ServedMode {
  return mode === 'auto' ? (size > threshold ? 'discover' : 'all') : mode;
}

const NO_HEADERS: ReadonlyMap<string, string> = new Map();
const headerArgumentsOf = new WeakMap<object, ReadonlyMap<string, string>>();

/**
 * With `auto`: the most tools listed one by one. Cursor takes 40 and Windsurf 50 tools at most, Copilot 128; and
 * every listed tool costs the agent context on every turn (an operation's tool is 1.3 KB in the demo, 3.4 KB in
 * GitHub's API, 9.9 KB in Stripe's, on average): beyond about 80 it pays to search instead.
 */
export const DEFAULT_THRESHOLD = 80;

const PAGES: Record<'discover' | 'code', JsonParts> = {
  discover: [new TextEncoder().encode(JSON.stringify({ tools: DISCOVER_TOOLS }))],
  code: [new TextEncoder().encode(JSON.stringify({ tools: CODE_TOOLS }))],
};

function toolError(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

export class ToolRequests {
  private readonly index: OperationIndex;

  constructor(
    private readonly calls: CallPipeline,
    private readonly options: ToolRequestsOptions = {},
  ) {
    if (options.mode === 'code' && !options.code) throw new TypeError('code mode needs a sandbox (options.code)');
    this.index = new OperationIndex(calls.tools);
  }

  /** The kept whole answers of shortened calls (resources/read of `portico://answers/…`); undefined when answers go whole. */
  get answers(): AnswerFitter | undefined {
    return this.calls.answers;
  }

  /**
   * A tools/list result as UTF-8 JSON, in parts (its tools' bytes as they are kept: write the answer from them); a
   * cursor that is not valid now is an InvalidParams error. `toolsets`: the ones the connection chose
   * (`/mcp?toolsets=…`): their tools are listed, in full — the user picked them.
   */
  listJson(cursor: string | undefined, principal?: Principal, toolsets?: ReadonlySet<string>): JsonParts {
    if (toolsets) return this.page(() => this.calls.tools.listToolsJson(cursor, { ...this.view(principal), toolsets }));
    const mode = this.served;
    if (mode === 'discover' || mode === 'code') {
      if (cursor !== undefined) throw new McpError(JsonRpcCode.InvalidParams, `this cursor is not valid now: the whole list is one page (${mode} mode); list again without a cursor`);
      return PAGES[mode];
    }
    return this.page(() => this.calls.tools.listToolsJson(cursor, this.view(principal)));
  }

  /**
   * The toolsets `/mcp?toolsets=` names (comma-separated; written as `toolsetName` writes them), or why not: an
   * unknown one is refused with the list of those there are. Null: the parameter is absent (every tool).
   */
  toolsetsOf(parameter: string | null): ReadonlySet<string> | string | null {
    if (parameter === null && this.options.mode !== 'toolsets') return null;
    const known = this.calls.tools.toolsets;
    if (parameter === null) return `this gateway lists its tools by toolset, and the MCP URL names none: add the ones you need, e.g. /mcp?toolsets=${[...known.keys()].slice(0, 2).join(',')}; this API's toolsets are: ${[...known].map(([name, count]) => `${name} (${count})`).join(', ')}`;
    const wanted = parameter.split(',').map((name) => toolsetName(name)).filter((name) => name !== '');
    if (wanted.length === 0) return `toolsets= names no toolset; this API's: ${[...known.keys()].join(', ')}`;
    const unknown = wanted.filter((name) => !known.has(name));
    if (unknown.length > 0) return `unknown toolset${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `"${name}"`).join(', ')} in /mcp?toolsets=; this API's toolsets are: ${[...known].map(([name, count]) => `${name} (${count})`).join(', ')}`;
    return new Set(wanted);
  }

  /**
   * The mode served now: the configured one, `auto` decided by the catalogs' size now (a refresh may cross the
   * threshold either way).
   */
  get served(): ServedMode {
    return servedMode(this.options.mode ?? 'all', this.calls.tools.size, this.options.threshold);
  }

  /** Whether the tools are found by searching now: discover mode (`mcp/discover`), or code mode (`mcp/code-mode`), which has discover's tools too. */
  private get searching(): boolean {
    const mode = this.served;
    return mode === 'discover' || mode === 'code';
  }

  /** The operation a call_operation of `args` calls (in discover mode), or undefined for any other call. */
  private innerCall(name: string, args: Record<string, unknown> | undefined): { name: string; args: Record<string, unknown> } | undefined {
    if (name !== CALL || !this.searching || typeof args?.name !== 'string' || isCodeTool(args.name)) return undefined;
    return { name: args.name, args: isRecord(args.arguments) ? args.arguments : {} };
  }

  /** search_operations, describe_operation and call_operation: bad arguments are a tool error saying what to fix, as for any tool. */
  private async discoverCall(name: string, args: Record<string, unknown>, signal: AbortSignal, principal: Principal | undefined, extra: RequestExtra | undefined): Promise<CallToolResult> {
    if (name === SEARCH) {
      const { query, limit = 10 } = args;
      if (typeof query !== 'string' || query.trim() === '') return toolError(`Invalid arguments for ${SEARCH}: "query" must say what you want to do, in words`);
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_RESULTS) return toolError(`Invalid arguments for ${SEARCH}: "limit" must be a whole number from 1 to ${MAX_RESULTS}`);
      const found = this.index.search(query, limit, principal, this.options.listed === 'all');
      // code mode: each with the declaration the program calls it by
      if (this.served === 'code') found.results = withDeclarations(found.results, (tool) => this.calls.tools.findTool(tool)?.tool);
      const text = found.results.length === 0 ? `No operation matches "${query}". Try other words: what the operation does, or what it acts on.` : JSON.stringify(found);
      return { content: [{ type: 'text', text }], structuredContent: found };
    }
    if (name === DESCRIBE) {
      const names = typeof args.name === 'string' ? [args.name] : Array.isArray(args.names) && args.names.every((item) => typeof item === 'string') ? (args.names as string[]) : undefined;
      if (!names || names.length === 0) return toolError(`Invalid arguments for ${DESCRIBE}: give "name" (one operation) or "names" (a list of them), as search_operations returned them`);
      const operations: Record<string, unknown>[] = [];
      const unknown: string[] = [];
      for (const wanted of names.slice(0, 20)) {
        const entry = this.calls.tools.findToolFor(wanted, principal);
        // as tools/list would show it: beyond the caller's scopes it is not there (unless PORTICO_TOOLS_LISTED=all)
        if (!entry || (this.options.listed !== 'all' && !reaches(principal, entry.scope))) {
          unknown.push(wanted);
          continue;
        }
        const { tool } = entry;
        operations.push({ name: wanted, ...(tool.title && { title: tool.title }), ...(tool.description && { description: tool.description }), scope: entry.scope, inputSchema: tool.inputSchema, ...(tool.outputSchema && { outputSchema: tool.outputSchema }), ...(tool.annotations && { annotations: tool.annotations }) });
      }
      if (operations.length === 0) return toolError(`No operation named ${unknown.map((n) => `"${n}"`).join(', ')}; search_operations finds them by what they do`);
      const described = { operations: this.served === 'code' ? withDeclarations(operations, (tool) => this.calls.tools.findTool(tool)?.tool) : operations, ...(unknown.length > 0 && { unknown }) };
      return { content: [{ type: 'text', text: JSON.stringify(described) }], structuredContent: described };
    }
    const inner = this.innerCall(name, args);
    if (!inner) return toolError(`Invalid arguments for ${CALL}: "name" must be an operation's name (search_operations finds them) and "arguments" an object`);
    if (args.arguments !== undefined && !isRecord(args.arguments)) return toolError(`Invalid arguments for ${CALL}: "arguments" must be an object`);
    return this.call(inner.name, inner.args, signal, principal, extra);
  }

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

  /**
   * Whether a call of `name` in a session may say something before its answer (so it is answered on an SSE stream):
   * a plugin tool may report progress or ask the user, and so may a policy hook when the client can be asked
   * (`clientCanAsk`: it declared elicitation). `args`: for call_operation, whose answer is its operation's.
   */
  needsSession(name: string, principal: Principal | undefined, clientCanAsk = false, args?: Record<string, unknown>): boolean {
    if (clientCanAsk && this.calls.hooked) return true;
    const inner = this.innerCall(name, args);
    if (inner) return this.needsSession(inner.name, principal, clientCanAsk);
    // as the caller sees the tools: one hidden from them is not a plugin tool, but a tool that does not exist,
    // answered on the same path as any unknown tool (the path must not tell them it exists)
    return this.calls.tools.findToolFor(name, principal)?.kind === 'plugin';
  }

  /**
   * The refusal of a call of `name` that the token's scopes do not reach, when it is the step-up challenge
   * (`stepsUp`), decided before the request is served (the HTTP layer answers 403 with the challenge, whatever
   * path the request would take) and recorded as denied, once: the call is never made. Undefined when the call
   * may go on — also when it is refused with a tool result (`tool-error` mode, or a scope the user's role never
   * reaches), which `call` answers.
   */
  refuseBeyondScope(name: string, args: Record<string, unknown>, principal: Principal | undefined): InsufficientScopeError | undefined {
    if (this.options.denial === 'tool-error') return undefined;
    // call_operation is its operation's call: refused as that call would be
    const inner = this.innerCall(name, args);
    if (inner) return this.refuseBeyondScope(inner.name, inner.args, principal);
    const needed = this.calls.beyondScope(name, principal);
    if (!needed || !this.stepsUp(principal, needed)) return undefined;
    this.calls.deny(name, args, principal, needed);
    return new InsufficientScopeError(name, needed);
  }

  /**
   * Whether a call that needs `needed`, beyond `principal`'s token, is refused with the step-up challenge (403
   * `insufficient_scope`) rather than a tool result: in `challenge` mode, when the user could allow `needed`
   * (their role reaches it). The one place this is decided.
   */
  private stepsUp(principal: Principal | undefined, needed: Scope): boolean {
    return this.options.denial !== 'tool-error' && principal !== undefined && couldGrant(principal, needed);
  }

  /**
   * A tools/call result. MCP: an unknown tool is a protocol error (thrown `McpError`); arguments that do
   * not fit the schema and failed calls are results with `isError`, which the agent reads and can fix.
   */
  async call(name: string, args: Record<string, unknown>, signal: AbortSignal, principal?: Principal, extra?: RequestExtra, whole = false): Promise<CallToolResult> {
    const mode = this.served;
    if (mode === 'discover' && isDiscoverTool(name)) return this.discoverCall(name, args, signal, principal, extra);
    if (mode === 'code' && isCodeTool(name)) {
      if (name !== EXECUTE) return this.discoverCall(name, args, signal, principal, extra);
      // each api.* call of the program is a call of its operation, made here as any other
      // the program reads its calls' whole answers; what it returns is fitted to the budget, as any answer
      const code = { ...this.options.code!, call: (inner: string, innerArgs: Record<string, unknown>, innerSignal: AbortSignal, who: Principal | undefined, innerExtra: RequestExtra | undefined) => this.call(inner, innerArgs, innerSignal, who, innerExtra, true) };
      return this.calls.fitAnswer(EXECUTE, await execute(code, args, signal, principal, extra), principal);
    }
    let record;
    try {
      record = await this.calls.call({ name, args, signal, principal, extra, whole });
    } catch (error) {
      if (error instanceof UnknownToolError) throw new McpError(JsonRpcCode.InvalidParams, error.message);
      throw error;
    }
    // refused here only when the request was not checked first (`refuseBeyondScope`: code mode's calls), or the
    // tool's scope changed since; a denial that is not the challenge is its record's result, saying why
    if (record.outcome === 'denied' && record.needed && this.stepsUp(principal, record.needed)) throw new InsufficientScopeError(name, record.needed);
    return record.result;
  }

  private view(principal: Principal | undefined): ListingView {
    return { top: principal ? (topScope(principal.scopes) ?? 'read') : undefined, marked: this.options.listed === 'all', principal };
  }

  private page<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new McpError(JsonRpcCode.InvalidParams, error.message);
      throw error;
    }
  }
}
