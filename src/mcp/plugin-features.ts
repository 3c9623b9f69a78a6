/**
 * @module mcp/plugin-features
 * What one MCP server needs to answer for plugins besides tools: who is asking (principal) and the context
 * their handlers get, the scope check shared by resources and prompts, and how a plugin's failure becomes
 * an error the client can show. The features themselves are in `mcp/resources`, `mcp/prompts` and
 * `mcp/completions`.
 */
import { McpError } from '../wire/mcp-error';
import { JsonRpcCode } from '../wire/json-rpc';
import { scopeRefusal } from '../calls/pipeline';
import type { RequestContext } from '../../plugins/portico';
import type { Logger } from '../log';
import type { Principal } from '../oauth/bearer';
import { allows, type Scope } from '../oauth/scopes';
import type { RequestExtra } from '../plugins/context';
import type { PluginHost } from '../plugins/host';
import { isProtocolSignal } from '../wire/input-required';

export interface PluginFeatures {
  readonly host: PluginHost;
  /** The context a resource's, prompt's or completer's handler gets. */
  readonly context: (principal: Principal | undefined, signal: AbortSignal, extra?: RequestExtra) => RequestContext;
  readonly log: Logger;
}

/** Whether the caller may see and use something that needs `scope` (everything without sign-in). */
export function reaches(principal: Principal | undefined, scope: Scope | undefined): boolean {
  return !principal || allows(principal.scopes, scope ?? 'read');
}

/** The error for `what` beyond the caller's scopes, saying what would allow it (or that their role never could). */
export function beyondScope(what: string, needed: Scope, principal: Principal | undefined): McpError {
  return new McpError(JsonRpcCode.InvalidRequest, scopeRefusal(what, needed, principal));
}

/**
 * Runs a plugin's handler; a throw or a malformed answer becomes an InternalError naming the plugin (the
 * client shows it), with the detail in the log.
 */
export async function runPlugin<T>(features: PluginFeatures, plugin: string, what: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof McpError || isProtocolSignal(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    features.log.error('plugin.handler_failed', { plugin, what, error: reason });
    throw new McpError(JsonRpcCode.InternalError, `${what} (from ${plugin}) failed: ${reason}`);
  }
}

/** A result a plugin returned that does not fit MCP's schema: its author needs to know what is wrong. */
export function malformed(plugin: string, what: string, problem: string): McpError {
  return new McpError(JsonRpcCode.InternalError, `${what} (from ${plugin}) returned a result MCP does not allow: ${problem}`);
}
