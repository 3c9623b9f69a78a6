/**
 * @module mcp/server
 * One MCP `Server` (the SDK's low-level one: our tools carry raw JSON Schema) answering tools/list and
 * tools/call through `ToolRequests`. It serves what the direct path (`mcp/direct`) leaves to it:
 * initialize, ping, batches, notifications, and calls that want progress — and what plugins add:
 * resources, prompts, completions, and for their tools logging, elicitation and sampling.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  LoggingLevelSchema,
  McpError,
  SetLevelRequestSchema,
  type CallToolResult,
  type ListToolsResult,
  type LoggingLevel,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { version } from '../../package.json';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Principal } from '../oauth/bearer';
import { serveCompletions } from './completions';
import { principalOf, type PluginFeatures } from './plugin-features';
import { MissingClientCapability } from '../wire/input-required';
import { JsonRpcCode } from '../wire/json-rpc';
import { askInSession } from './ask-in-session';
import { servePrompts } from './prompts';
import { serveResources } from './resources';
import type { RequestExtra } from '../plugins/context';
import type { ToolRequests } from './tool-requests';

/** The SDK's AuthInfo as the endpoint fills it: the signed-in caller rides in `extra`. */
export function authInfoFor(principal: Principal): AuthInfo {
  return { token: '', clientId: principal.clientId, scopes: [...principal.scopes], expiresAt: Math.floor(principal.expiresAt / 1000), extra: { principal } };
}

export interface McpServerOptions {
  readonly requests: ToolRequests;
  /** Shared by every Server: the SDK would otherwise build an Ajv per instance (~210 µs per stateless request). */
  readonly jsonSchemaValidator: jsonSchemaValidator;
  /** The name clients show for this server. @default "portico" */
  readonly name?: string;
  /** What plugins add besides tools (resources, prompts, completions, logging from their tools). */
  readonly plugins?: PluginFeatures;
}

const SEVERITY = LoggingLevelSchema.options;

/** What this server offers, the same in both eras: only what is there is declared (a client may rely on a declared capability). */
export function capabilitiesOf(plugins: PluginFeatures | undefined): ServerCapabilities {
  const host = plugins?.host;
  return {
    tools: { listChanged: true },
    ...(host && host.tools.length > 0 && { logging: {} }),
    ...(host && (host.resources.size > 0 || host.templates.length > 0) && { resources: { subscribe: true } }),
    ...(host && host.prompts.size > 0 && { prompts: {} }),
    ...(host?.completes && { completions: {} }),
  };
}

export function createMcpServer({ requests, jsonSchemaValidator, name = 'portico', plugins }: McpServerOptions): Server {
  const capabilities = capabilitiesOf(plugins);
  const server = new Server({ name, version }, { capabilities, jsonSchemaValidator });
  // One server serves one session: the level the client set applies to every tool's log messages in it
  let logLevel: LoggingLevel | undefined;
  if (capabilities.logging) {
    server.setRequestHandler(SetLevelRequestSchema, (request) => {
      logLevel = request.params.level;
      return {};
    });
  }
  server.setRequestHandler(ListToolsRequestSchema, (request, extra): ListToolsResult => requests.list(request.params?.cursor, principalOf(extra.authInfo)));
  server.setRequestHandler(CallToolRequestSchema, (request, extra): Promise<CallToolResult> => {
    const { name: toolName, arguments: args = {} } = request.params;
    const requestExtra: RequestExtra = {
      progressToken: request.params._meta?.progressToken,
      sendNotification: (notification) => extra.sendNotification(notification as Parameters<typeof extra.sendNotification>[0]),
      logs: (level) => logLevel === undefined || SEVERITY.indexOf(level) >= SEVERITY.indexOf(logLevel),
      ask: askInSession(server, extra),
    };
    return requests.call(toolName, args, extra.signal, principalOf(extra.authInfo), requestExtra).catch((error: unknown) => {
      // a question the tool must have answered, by a client that cannot: the same error as in 2026-07-28
      if (error instanceof MissingClientCapability) throw new McpError(JsonRpcCode.MissingRequiredClientCapability, error.message, { requiredCapabilities: Object.fromEntries(error.capabilities.map((capability) => [capability, {}])) });
      throw error;
    });
  });
  if (plugins && capabilities.resources) serveResources(server, plugins);
  if (plugins && capabilities.prompts) servePrompts(server, plugins);
  if (plugins && capabilities.completions) serveCompletions(server, plugins);
  return server;
}
