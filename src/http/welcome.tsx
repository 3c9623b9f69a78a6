/** @jsxImportSource @kitajs/html */
/**
 * @module http/welcome
 * What a person who opens the gateway's address in a browser sees — `/`, or `/mcp` itself (a browser asks for
 * HTML, an MCP client for JSON or a stream): what this is, the address to give an MCP client, the one-line setup
 * for Claude Code, and (with sign-in) where to manage the apps connected to their account. Never raw JSON or a
 * bare "not found".
 */
import { render, type Brand } from '../oauth/pages/shared';

export interface WelcomeOptions {
  readonly brand: Brand;
  /** The MCP endpoint as clients reach it (the public URL's `/mcp`). */
  readonly mcpUrl: string;
  /** Whether users sign in through this gateway (then `/account` lists their connected apps). */
  readonly signIn: boolean;
  /** How many tools the API offers now. */
  readonly tools: () => number;
}

/** A name for `claude mcp add`: the brand, as a command-line word. */
function serverName(brand: Brand): string {
  return brand.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'api';
}

/** The page, made for each request (the tool count may change). */
export function welcomeResponse(options: WelcomeOptions): Response {
  const { brand, mcpUrl, signIn } = options;
  const page = render({
    brand,
    title: 'Connect an AI agent',
    body: (
      <>
        <h1 safe>{`${brand.name} for AI agents`}</h1>
        <p safe>{`This is an MCP server: agents such as Claude Code, Cursor, VS Code and Claude Desktop use its ${options.tools()} tools to work with ${brand.name} on your behalf.`}</p>
        <p>Give your MCP client this address:</p>
        <pre>
          <code safe>{mcpUrl}</code>
        </pre>
        <p>In Claude Code:</p>
        <pre>
          <code safe>{`claude mcp add --transport http ${serverName(brand)} ${mcpUrl}`}</code>
        </pre>
        {signIn ? (
          <p>
            Your client opens this server's sign-in page in your browser the first time. The apps you connected are listed, and can be disconnected, on{' '}
            <a href="/account">your account page</a>.
          </p>
        ) : (
          <p class="muted">This server is open: clients connect without signing in.</p>
        )}
      </>
    ),
  });
  return new Response(page.html, { status: 200, headers: { ...page.headers, 'content-type': 'text/html; charset=utf-8' } });
}

/** Whether `request` is a browser opening the address (it asks for a page, not an MCP client's JSON or stream). */
export function wantsPage(request: Request): boolean {
  if (request.method !== 'GET') return false;
  const accept = request.headers.get('accept') ?? '';
  return accept.includes('text/html') && !accept.includes('text/event-stream');
}
