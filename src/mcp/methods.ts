/**
 * @module mcp/methods
 * What each MCP method does, once, for both eras: its params checked (a bad one is Invalid Params saying what to
 * fix), then the tool requests, resources, prompts or completions answered. How a request reaches a method and how
 * its answer travels — sessions and server requests in the 2025 revisions (`mcp/legacy`), the per-request envelope
 * and input rounds in 2026-07-28 (`mcp/modern`) — is each era's; what the method means is here.
 *
 * A method exists only when what it serves does: without plugins that add resources there is no `resources/list`
 * (method not found), as the declared capabilities say.
 */
import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { McpError } from '../wire/mcp-error';
import { JsonRpcCode } from '../wire/json-rpc';
import { version } from '../../package.json';
import type { Principal } from '../oauth/bearer';
import type { RequestExtra } from '../plugins/context';
import { ANSWER_TEMPLATE, isAnswerUri, RESOURCE_NOT_FOUND } from '../calls/answer/read';
import { complete } from './completions';
import { isRecord } from './messages';
import type { PluginFeatures } from './plugin-features';
import { getPrompt, listPrompts } from './prompts';
import { listResources, listResourceTemplates, readResource } from './resources';
import type { ToolRequests } from './tool-requests';

/** Who asks, how the request is cancelled, and what the era's protocol can do for it (progress, logs, questions). */
export interface MethodContext {
  readonly principal: Principal | undefined;
  readonly signal: AbortSignal;
  readonly extra: RequestExtra;
}

export type MethodHandler = (params: Record<string, unknown>, context: MethodContext) => Promise<Record<string, unknown>> | Record<string, unknown>;

/** The methods whose handlers may ask the client (elicitation, sampling, roots): the ones MCP lets a server ask during. */
export const ASKING_METHODS: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** The name clients show, and the version. */
export function serverInfo(name = 'portico'): { name: string; version: string } {
  return { name, version };
}

/**
 * What this server offers, the same in both eras: only what is there is declared (a client may rely on a declared
 * capability). Resources: the plugins' (which may be subscribed to), and the whole answers of shortened calls
 * (`answers`: read only).
 */
export function capabilitiesOf(plugins: PluginFeatures | undefined, answers = false): ServerCapabilities {
  const host = plugins?.host;
  const pluginResources = host !== undefined && (host.resources.size > 0 || host.templates.length > 0);
  return {
    tools: { listChanged: true },
    ...(host && host.tools.length > 0 && { logging: {} }),
    ...(pluginResources ? { resources: { subscribe: true } } : answers && { resources: {} }),
    ...(host && host.prompts.size > 0 && { prompts: {} }),
    ...(host?.completes && { completions: {} }),
  };
}

/**
 * The methods both eras serve, by name. `tools/list` is not among them: each era writes its page bytes into its
 * answer itself (`listTools`), so a page is never parsed and written again.
 */
export function sharedMethods(requests: ToolRequests, plugins: PluginFeatures | undefined, capabilities: ServerCapabilities): Map<string, MethodHandler> {
  const methods = new Map<string, MethodHandler>();
  methods.set('tools/call', (params, { principal, signal, extra }) => {
    const { name, arguments: args = {} } = params;
    if (typeof name !== 'string') throw invalidParams('tools/call: "params.name" must be the name of a tool (a string)');
    if (!isRecord(args)) throw invalidParams('tools/call: "params.arguments" must be an object');
    return requests.call(name, args, signal, principal, extra) as Promise<Record<string, unknown>>;
  });
  if (capabilities.resources) {
    // the whole answers are not listed (each is one caller's, for minutes); their template is
    const answers = requests.answers;
    // plugins' resources are what subscriptions are declared for (`capabilitiesOf`)
    const withPlugins = capabilities.resources.subscribe ? plugins : undefined;
    methods.set('resources/list', (_params, { principal }) => (withPlugins ? listResources(withPlugins, principal) : { resources: [] }) as Record<string, unknown>);
    methods.set('resources/templates/list', (_params, { principal }) => {
      const listed = withPlugins ? listResourceTemplates(withPlugins, principal) : { resourceTemplates: [] };
      return { resourceTemplates: [...listed.resourceTemplates, ...(answers ? [ANSWER_TEMPLATE] : [])] };
    });
    methods.set('resources/read', (params, { principal, signal, extra }) => {
      const { uri } = params;
      if (typeof uri !== 'string') throw invalidParams('resources/read: "params.uri" must be the URI of a resource (a string)');
      if (answers && isAnswerUri(uri)) return answers.read(uri, principal) as Promise<Record<string, unknown>>;
      if (!withPlugins) throw new McpError(RESOURCE_NOT_FOUND, `no resource "${uri}"`, { uri });
      return readResource(withPlugins, uri, principal, signal, extra) as Promise<Record<string, unknown>>;
    });
  }
  if (plugins && capabilities.prompts) {
    methods.set('prompts/list', (_params, { principal }) => listPrompts(plugins, principal) as Record<string, unknown>);
    methods.set('prompts/get', (params, { principal, signal, extra }) => {
      const { name, arguments: args = {} } = params;
      if (typeof name !== 'string') throw invalidParams('prompts/get: "params.name" must be the name of a prompt (a string)');
      if (!isRecord(args) || Object.values(args).some((value) => typeof value !== 'string')) throw invalidParams('prompts/get: "params.arguments" must be an object of strings');
      return getPrompt(plugins, name, args as Record<string, string>, principal, signal, extra) as Promise<Record<string, unknown>>;
    });
  }
  if (plugins && capabilities.completions) {
    methods.set('completion/complete', (params, { principal, signal }) => {
      const { ref, argument } = params;
      if (!isRecord(ref) || (ref.type !== 'ref/prompt' && ref.type !== 'ref/resource') || !isRecord(argument) || typeof argument.name !== 'string' || typeof argument.value !== 'string') {
        throw invalidParams('completion/complete: give "ref" ({ type: "ref/prompt", name } or { type: "ref/resource", uri }) and "argument" ({ name, value })');
      }
      if (ref.type === 'ref/prompt' ? typeof ref.name !== 'string' : typeof ref.uri !== 'string') throw invalidParams('completion/complete: "ref" needs "name" (a prompt) or "uri" (a resource template)');
      return complete(plugins, params as Parameters<typeof complete>[1], principal, signal) as Promise<Record<string, unknown>>;
    });
  }
  return methods;
}

/** tools/list's cursor, checked. */
export function cursorOf(params: Record<string, unknown>): string | undefined {
  const { cursor } = params;
  if (cursor !== undefined && typeof cursor !== 'string') throw invalidParams('tools/list: "params.cursor" must be a string');
  return cursor;
}

export function invalidParams(message: string): McpError {
  return new McpError(JsonRpcCode.InvalidParams, message);
}
