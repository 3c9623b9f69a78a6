/**
 * @module mcp/server
 * One MCP `Server` (the SDK's low-level one: our tools carry raw JSON Schema) answering tools/list from
 * the catalog's pages and tools/call through the proxy.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type ListToolsResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { InvalidCursorError, type CatalogEntry, type ToolsPage } from '../catalog';
import { version } from '../../package.json';
import type { ArgumentValidator } from './arguments';

/** What the MCP layer needs from the rest of the gateway. */
export interface ToolProvider {
  /** The tools/list page a cursor names; throws `InvalidCursorError` for a cursor that is not valid now. */
  listTools(cursor: string | undefined): ToolsPage;
  findTool(name: string): CatalogEntry | undefined;
  /** Calls the operation behind a tool. Expected failures are results with `isError`, not exceptions. */
  callTool(entry: CatalogEntry, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult>;
}

export interface McpServerOptions {
  readonly tools: ToolProvider;
  readonly arguments: ArgumentValidator;
  /** Shared by every Server: the SDK would otherwise build an Ajv per instance (~210 µs per stateless request). */
  readonly jsonSchemaValidator: jsonSchemaValidator;
  /** The name clients show for this server. @default "portico" */
  readonly name?: string;
}

export function createMcpServer({ tools, arguments: validator, jsonSchemaValidator, name = 'portico' }: McpServerOptions): Server {
  const server = new Server(
    { name, version },
    { capabilities: { tools: { listChanged: true } }, jsonSchemaValidator },
  );

  server.setRequestHandler(ListToolsRequestSchema, function listTools(request): ListToolsResult {
    try {
      return tools.listTools(request.params?.cursor) as ListToolsResult;
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new McpError(ErrorCode.InvalidParams, error.message);
      throw error;
    }
  });

  server.setRequestHandler(CallToolRequestSchema, async function callTool(request, extra): Promise<CallToolResult> {
    const { name: toolName, arguments: args = {} } = request.params;
    const entry = tools.findTool(toolName);
    // MCP: an unknown tool is a protocol error, a failed call is a result with isError
    if (!entry) throw new McpError(ErrorCode.InvalidParams, `unknown tool "${toolName}"; call tools/list to see the tools`);
    const problem = validator.check(entry.tool, args);
    if (problem) return { isError: true, content: [{ type: 'text', text: `Invalid arguments for ${toolName}: ${problem}` }] };
    return tools.callTool(entry, args, extra.signal);
  });

  return server;
}
