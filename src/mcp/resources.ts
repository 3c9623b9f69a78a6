/**
 * @module mcp/resources
 * MCP resources from plugins: resources/list and resources/templates/list (what the caller's scopes
 * reach), and resources/read of a fixed URI or of one a template matches. Who is told when a plugin says a
 * resource changed (`api.resourceUpdated(uri)`) is each era's: the 2025 sessions subscribed to it (`mcp/endpoint`),
 * the 2026-07-28 streams listening for it (`mcp/listen`).
 */
import type { ListResourcesResult, ListResourceTemplatesResult, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { McpError } from '../wire/mcp-error';
import { JsonRpcCode } from '../wire/json-rpc';
import type { PluginResource, PluginResourceTemplate, RequestContext, ResourceBody } from '../../plugins/portico';
import type { Principal } from '../oauth/bearer';
import type { Registered } from '../plugins/host';
import type { RequestExtra } from '../plugins/context';
import { beyondScope, malformed, reaches, runPlugin, type PluginFeatures } from './plugin-features';


/** resources/list: the fixed resources the caller's scopes reach. */
export function listResources({ host }: PluginFeatures, principal: Principal | undefined): ListResourcesResult {
  return { resources: [...host.resources.values()].filter(({ value }) => reaches(principal, value.scope)).map(({ value }) => listed(value, { uri: value.uri })) };
}

/** resources/templates/list: the templates the caller's scopes reach. */
export function listResourceTemplates({ host }: PluginFeatures, principal: Principal | undefined): ListResourceTemplatesResult {
  return { resourceTemplates: host.templates.filter(({ value }) => reaches(principal, value.scope)).map(({ value }) => listed(value, { uriTemplate: value.uriTemplate })) };
}

/** resources/read of `uri`: a fixed resource, else the first template that matches; the plugin's answer checked. */
export async function readResource(features: PluginFeatures, uri: string, principal: Principal | undefined, signal: AbortSignal, extra?: RequestExtra): Promise<ReadResourceResult> {
  const found = resolve(features, uri, principal);
  const context = features.context(principal, signal, extra);
  const body = await runPlugin(features, found.plugin, `reading ${uri}`, () => found.read(context));
  return await resultOf(found.plugin, uri, found.mimeType, body);
}

/** That `uri` is a resource the caller may read (a subscription to anything else is refused); throws why not. */
export function checkReadable(features: PluginFeatures, uri: string, principal: Principal | undefined): void {
  resolve(features, uri, principal);
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
  throw new McpError(JsonRpcCode.InvalidParams, `no resource "${uri}"; resources/list and resources/templates/list show what there is`, { uri });
}

function allowed(entry: Registered<PluginResource | PluginResourceTemplate>, uri: string, principal: Principal | undefined, read: Found['read']): Found {
  if (!reaches(principal, entry.value.scope)) throw beyondScope(`The resource "${uri}"`, entry.value.scope ?? 'read', principal);
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
async function resultOf(plugin: string, uri: string, mimeType: string | undefined, body: ResourceBody): Promise<ReadResourceResult> {
  const contents = Array.isArray(body) ? body : body && typeof body === 'object' ? [{ uri, ...(mimeType !== undefined && { mimeType }), ...body }] : body;
  // the SDK's schemas (zod) load with the first plugin resource read, not with every gateway (wire/mcp-error)
  const { ReadResourceResultSchema } = await import('@modelcontextprotocol/sdk/types.js');
  const parsed = ReadResourceResultSchema.safeParse({ contents });
  if (!parsed.success) throw malformed(plugin, `reading ${uri}`, 'give { text } or { blob } (base64), or a list of { uri, text | blob }');
  if (parsed.data.contents.length === 0) throw malformed(plugin, `reading ${uri}`, 'no contents');
  return parsed.data;
}
