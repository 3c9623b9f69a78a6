/**
 * "The SDK on Bun", a peer test/bench/proxy.ts measures when BENCH_PEERS is set: what the official MCP TypeScript SDK
 * alone costs for the benchmark's call. A minimal server written with @modelcontextprotocol/sdk as installed in this
 * project — `McpServer` with one tool, get_project {projectId}, that GETs `<API base URL>/projects/{projectId}` with a
 * static bearer token and returns the body as text (isError when the API does not answer 2xx) — on the SDK's
 * web-standard Streamable HTTP transport (`WebStandardStreamableHTTPServerTransport`), served by `Bun.serve`.
 *
 * Stateless, answered with JSON (`sessionIdGenerator: undefined`, `enableJsonResponse: true`), as Portico's stateless
 * mode answers: the way the SDK's own stateless examples run it, a new McpServer and a new transport for every
 * request (a stateless transport refuses a second request, and a server answers through the transport it was last
 * connected to). The tool's input schema (zod, which the SDK takes) is built once, outside the per-request part.
 *
 *   SDK_PEER_TOKEN=<token> bun test/bench/sdk-peer.ts <API base URL, e.g. http://127.0.0.1:4010/v1> [port=0]
 *
 * Prints `SDK peer listening on http://127.0.0.1:PORT/mcp` on stdout once it listens.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { z } from 'zod';

const [base, port = '0'] = process.argv.slice(2);
const token = process.env.SDK_PEER_TOKEN;
if (!base || !token) {
  process.stderr.write('usage: SDK_PEER_TOKEN=<token> bun test/bench/sdk-peer.ts <API base URL> [port]\n');
  process.exit(2);
}
const apiBase = base.replace(/\/+$/, '');
const upstreamHeaders = { authorization: `Bearer ${token}`, accept: 'application/json' };

const inputSchema = { projectId: z.string().describe('Project ID') };

function mcpServer(): McpServer {
  const server = new McpServer({ name: 'portico-bench-sdk-peer', version: '1.0.0' });
  server.registerTool('get_project', { description: 'Returns one project.', inputSchema }, async ({ projectId }) => {
    const response = await fetch(`${apiBase}/projects/${encodeURIComponent(projectId)}`, { headers: upstreamHeaders });
    const text = await response.text();
    return { content: [{ type: 'text', text }], isError: !response.ok };
  });
  return server;
}

const httpServer = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(port),
  async fetch(request) {
    if (new URL(request.url).pathname !== '/mcp') return new Response('Not Found', { status: 404 });
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await mcpServer().connect(transport);
    return transport.handleRequest(request);
  },
});
process.stdout.write(`SDK peer listening on http://127.0.0.1:${httpServer.port}/mcp\n`);
const stop = () => {
  httpServer.stop(true);
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
