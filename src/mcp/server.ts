/**
 * @module mcp/server
 * One MCP `Server` (the SDK's low-level one: our tools carry raw JSON Schema) answering tools/list and
 * tools/call through `ToolRequests`. It serves what the direct path (`mcp/direct`) leaves to it:
 * initialize, ping, batches, notifications, and calls that want progress.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type ElicitRequestFormParams, type ListToolsResult } from '@modelcontextprotocol/sdk/types.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { version } from '../../package.json';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Principal } from '../oauth/bearer';
import type { RequestExtra, ToolRequests } from './tool-requests';

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
    const requestExtra: RequestExtra = {
      progressToken: request.params._meta?.progressToken,
      sendNotification: (notification) => extra.sendNotification(notification as Parameters<typeof extra.sendNotification>[0]),
      elicit: async (message, schema) => {
        // only a client that said it can ask its user is asked
        if (!server.getClientCapabilities()?.elicitation) return undefined;
        const answer = await server.elicitInput({ message, requestedSchema: schema as ElicitRequestFormParams['requestedSchema'] }, { relatedRequestId: extra.requestId });
        return answer as { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> };
      },
    };
    return requests.call(toolName, args, extra.signal, principalOf(extra.authInfo), requestExtra);
  });
  return server;
}
