/**
 * @module mcp/server
 * One MCP `Server` (the SDK's low-level one: our tools carry raw JSON Schema) answering tools/list and
 * tools/call through `ToolRequests`. It serves what the direct path (`mcp/direct`) leaves to it:
 * initialize, ping, batches, notifications, and calls that want progress.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type ListToolsResult } from '@modelcontextprotocol/sdk/types.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { version } from '../../package.json';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Principal } from '../oauth/bearer';
import type { ToolRequests } from './tool-requests';

/** The SDK's AuthInfo as the endpoint fills it: the signed-in caller rides in `extra`. */
export function authInfoFor(principal: Principal): AuthInfo {
  return { token: '', clientId: principal.clientId, scopes: [...principal.scopes], expiresAt: Math.floor(principal.expiresAt / 1000), extra: { principal } };
}

function principalOf(authInfo: AuthInfo | undefined): Principal | undefined {
  return authInfo?.extra?.principal as Principal | undefined;
}

export interface McpServerOptions {
  readonly requests: ToolRequests;
  /** Shared by every Server: the SDK would otherwise build an Ajv per instance (~210 µs per stateless request). */
  readonly jsonSchemaValidator: jsonSchemaValidator;
  /** The name clients show for this server. @default "portico" */
  readonly name?: string;
}

export function createMcpServer({ requests, jsonSchemaValidator, name = 'portico' }: McpServerOptions): Server {
  const server = new Server({ name, version }, { capabilities: { tools: { listChanged: true } }, jsonSchemaValidator });
  server.setRequestHandler(ListToolsRequestSchema, (request, extra): ListToolsResult => requests.list(request.params?.cursor, principalOf(extra.authInfo)));
  server.setRequestHandler(CallToolRequestSchema, (request, extra): Promise<CallToolResult> => {
    const { name: toolName, arguments: args = {} } = request.params;
    return requests.call(toolName, args, extra.signal, principalOf(extra.authInfo));
  });
  return server;
}
