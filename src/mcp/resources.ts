/**
 * @module mcp/resources
 * MCP resources from plugins: resources/list and resources/templates/list (what the caller's scopes
 * reach), resources/read of a fixed URI or of one a template matches, and subscriptions, which last as
 * long as the session: `api.resourceUpdated(uri)` tells the sessions subscribed to `uri`.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  ReadResourceResultSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ListResourcesResult,
  type ListResourceTemplatesResult,
  type ReadResourceResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { PluginResource, PluginResourceTemplate, RequestContext, ResourceBody } from '../../plugins/portico';
import type { Principal } from '../oauth/bearer';
import type { Registered } from '../plugins/host';
import { beyondScope, malformed, principalOf, reaches, runPlugin, type PluginFeatures } from './plugin-features';

/** MCP's code for a resource that does not exist. */
const RESOURCE_NOT_FOUND = -32002;

export function serveResources(server: Server, features: PluginFeatures): void {
  const { host } = features;
  server.setRequestHandler(ListResourcesRequestSchema, (_request, extra): ListResourcesResult => {
    const principal = principalOf(extra.authInfo);
    return { resources: [...host.resources.values()].filter(({ value }) => reaches(principal, value.scope)).map(({ value }) => listed(value, { uri: value.uri })) };
  });
  server.setRequestHandler(ListResourceTemplatesRequestSchema, (_request, extra): ListResourceTemplatesResult => {
    const principal = principalOf(extra.authInfo);
    return { resourceTemplates: host.templates.filter(({ value }) => reaches(principal, value.scope)).map(({ value }) => listed(value, { uriTemplate: value.uriTemplate })) };
  });
  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra): Promise<ReadResourceResult> => {
    const { uri } = request.params;
    const principal = principalOf(extra.authInfo);
    const found = resolve(features, uri, principal);
    const context = features.context(principal, extra.signal);
    const body = await runPlugin(features, found.plugin, `reading ${uri}`, () => found.read(context));
    return resultOf(found.plugin, uri, found.mimeType, body);
  });

  // Subscriptions belong to this server, that is to one session; they end with it.
  const subscribed = new Set<string>();
  server.setRequestHandler(SubscribeRequestSchema, (request, extra) => {
    resolve(features, request.params.uri, principalOf(extra.authInfo));
    subscribed.add(request.params.uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    subscribed.delete(request.params.uri);
    return {};
  });
  const stopListening = host.onResourceUpdated((uri) => {
    if (subscribed.has(uri)) void server.sendResourceUpdated({ uri }).catch(() => {});
  });
  const previous = server.onclose;
  server.onclose = () => {
    stopListening();
    previous?.();
  };
}

interface Found {
  readonly plugin: string;
  readonly mimeType?: string;
  read(context: RequestContext): ResourceBody | Promise<ResourceBody>;
}

/** The resource behind `uri` for this caller: a fixed one, else the first template that matches. */
function resolve({ host }: PluginFeatures, uri: string, principal: Principal | undefined): Found {
  const fixed = host.resources.get(uri);
  if (fixed) return allowed(fixed, uri, principal, (context) => fixed.value.read(context));
  for (const entry of host.templates) {
    const variables = entry.template.match(uri);
    if (!variables) continue;
    const values = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : value]));
    return allowed(entry, uri, principal, (context) => entry.value.read(uri, values, context));
  }
  throw new McpError(RESOURCE_NOT_FOUND, `no resource "${uri}"; resources/list and resources/templates/list show what there is`, { uri });
}

function allowed(entry: Registered<PluginResource | PluginResourceTemplate>, uri: string, principal: Principal | undefined, read: Found['read']): Found {
  if (!reaches(principal, entry.value.scope)) throw beyondScope(`The resource "${uri}"`, entry.value.scope ?? 'read');
  return { plugin: entry.plugin, mimeType: entry.value.mimeType, read };
}

function listed<T extends object>(value: PluginResource | PluginResourceTemplate, id: T) {
  return {
    ...id,
    name: value.name,
    ...(value.title !== undefined && { title: value.title }),
    ...(value.description !== undefined && { description: value.description }),
    ...(value.mimeType !== undefined && { mimeType: value.mimeType }),
  };
}

/** A plugin's answer as a resources/read result: a body becomes one content for `uri`; the result is checked. */
function resultOf(plugin: string, uri: string, mimeType: string | undefined, body: ResourceBody): ReadResourceResult {
  const contents = Array.isArray(body) ? body : body && typeof body === 'object' ? [{ uri, ...(mimeType !== undefined && { mimeType }), ...body }] : body;
  const parsed = ReadResourceResultSchema.safeParse({ contents });
  if (!parsed.success) throw malformed(plugin, `reading ${uri}`, 'give { text } or { blob } (base64), or a list of { uri, text | blob }');
  if (parsed.data.contents.length === 0) throw malformed(plugin, `reading ${uri}`, 'no contents');
  return parsed.data;
}
