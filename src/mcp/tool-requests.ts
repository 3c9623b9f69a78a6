/**
 * @module mcp/tool-requests
 * What `tools/list` and `tools/call` mean, in one place: the SDK's Server handlers and the direct path
 * (`mcp/direct`) both answer through it, so the two cannot drift apart.
 */
import { ErrorCode, McpError, type CallToolResult, type ListToolsResult } from '@modelcontextprotocol/sdk/types.js';
import { InvalidCursorError, type CatalogEntry, type ToolsPage } from '../catalog';
import type { ArgumentValidator } from './arguments';

/** What the MCP layer needs from the rest of the gateway. */
export interface ToolProvider {
  /** The tools/list page a cursor names; throws `InvalidCursorError` for a cursor that is not valid now. */
  listTools(cursor: string | undefined): ToolsPage;
  /** The same page as UTF-8 JSON, built once per catalog. */
  listToolsJson(cursor: string | undefined): Uint8Array;
  findTool(name: string): CatalogEntry | undefined;
  /** Calls the operation behind a tool. Expected failures are results with `isError`, not exceptions. */
  callTool(entry: CatalogEntry, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult>;
}

export class ToolRequests {
  constructor(
    private readonly tools: ToolProvider,
    private readonly validator: ArgumentValidator,
  ) {}

  /** A tools/list result; a cursor that is not valid now is an InvalidParams error. */
  list(cursor: string | undefined): ListToolsResult {
    return this.page(() => this.tools.listTools(cursor) as ListToolsResult);
  }

  /** `list(cursor)` as UTF-8 JSON. */
  listJson(cursor: string | undefined): Uint8Array {
    return this.page(() => this.tools.listToolsJson(cursor));
  }

  /**
   * A tools/call result. MCP: an unknown tool is a protocol error (thrown `McpError`); arguments that do
   * not fit the schema and failed calls are results with `isError`, which the agent reads and can fix.
   */
  async call(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult> {
    const entry = this.tools.findTool(name);
    if (!entry) throw new McpError(ErrorCode.InvalidParams, `unknown tool "${name}"; call tools/list to see the tools`);
    const problem = this.validator.check(entry.tool, args);
    if (problem) return { isError: true, content: [{ type: 'text', text: `Invalid arguments for ${name}: ${problem}` }] };
    return this.tools.callTool(entry, args, signal);
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
