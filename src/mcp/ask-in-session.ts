/**
 * @module mcp/ask-in-session
 * How a request asks its client in the 2025 revisions of MCP (`RequestExtra.ask`; 2026-07-28 asks by ending the
 * request instead, `mcp/modern`).
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CreateMessageResultSchema, ElicitResultSchema, ListRootsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { RequestExtra } from '../plugins/context';
import { CAPABILITY_OF, MissingClientCapability } from '../wire/input-required';

/**
 * How a request asks its client in the 2025 revisions: each question is a request of the server's own on the
 * session's stream, sent in turn, its answer awaited. A question the client did not declare it can answer is not
 * sent (and fails the request when `required`).
 */
export function askInSession(server: Server, extra: { requestId: string | number; signal: AbortSignal }): NonNullable<RequestExtra['ask']> {
  return async (requests, options) => {
    const capabilities = server.getClientCapabilities() ?? {};
    const missing = [...new Set(Object.values(requests).map((request) => CAPABILITY_OF[request.method]).filter((capability) => !capabilities[capability]))];
    if (options?.required && missing.length > 0) throw new MissingClientCapability(missing);
    const answers: Record<string, unknown> = {};
    for (const [key, request] of Object.entries(requests)) {
      if (!capabilities[CAPABILITY_OF[request.method]]) continue;
      const schema = request.method === 'elicitation/create' ? ElicitResultSchema : request.method === 'sampling/createMessage' ? CreateMessageResultSchema : ListRootsResultSchema;
      answers[key] = await server.request({ method: request.method, params: request.params } as Parameters<Server['request']>[0], schema, { relatedRequestId: extra.requestId, signal: extra.signal });
    }
    return answers;
  };
}

