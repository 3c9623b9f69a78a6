/**
 * @module mcp/prompts
 * MCP prompts from plugins: prompts/list (what the caller's scopes reach) and prompts/get, with the
 * arguments checked against the prompt's list before its handler runs and its answer checked against MCP's
 * schema after.
 */
import type { GetPromptResult, ListPromptsResult } from '@modelcontextprotocol/sdk/types.js';
import { McpError } from '../wire/mcp-error';
import { JsonRpcCode } from '../wire/json-rpc';
import type { PluginPrompt } from '../../plugins/portico';
import type { Principal } from '../oauth/bearer';
import type { Registered } from '../plugins/host';
import type { RequestExtra } from '../plugins/context';
import { beyondScope, malformed, reaches, runPlugin, type PluginFeatures } from './plugin-features';

/** prompts/list: the prompts the caller's scopes reach. */
export function listPrompts({ host }: PluginFeatures, principal: Principal | undefined): ListPromptsResult {
  return { prompts: [...host.prompts.values()].filter(({ value }) => reaches(principal, value.scope)).map(({ value }) => listed(value)) };
}

/** prompts/get: the arguments checked against the prompt's list before its handler runs, its answer against MCP's schema after. */
export async function getPrompt(features: PluginFeatures, name: string, args: Record<string, string>, principal: Principal | undefined, signal: AbortSignal, extra?: RequestExtra): Promise<GetPromptResult> {
  const { plugin, value: prompt } = findPrompt(features, name, principal);
  const known = prompt.arguments ?? [];
  const unknown = Object.keys(args).filter((given) => !known.some((argument) => argument.name === given));
  if (unknown.length > 0) throw new McpError(JsonRpcCode.InvalidParams, `the prompt "${name}" has no argument ${unknown.map((n) => `"${n}"`).join(', ')} (it takes: ${known.map((a) => a.name).join(', ') || 'none'})`);
  const missing = known.filter((argument) => argument.required && (args[argument.name] ?? '') === '');
  if (missing.length > 0) throw new McpError(JsonRpcCode.InvalidParams, `the prompt "${name}" needs the argument ${missing.map((a) => `"${a.name}"`).join(', ')}`);
  const context = features.context(principal, signal, extra);
  const answer = await runPlugin(features, plugin, `the prompt "${name}"`, () => prompt.get(args, context));
  // the SDK's schemas (zod) load with the first prompt read, not with every gateway (wire/mcp-error)
  const { GetPromptResultSchema } = await import('@modelcontextprotocol/sdk/types.js');
  const parsed = GetPromptResultSchema.safeParse(answer);
  if (!parsed.success) throw malformed(plugin, `the prompt "${name}"`, 'give { messages: [{ role: "user" | "assistant", content: { type: "text", text } | … }] }');
  return parsed.data;
}

/** The prompt `name` if the caller may use it; otherwise the error that says why not. */
export function findPrompt({ host }: PluginFeatures, name: string, principal: Principal | undefined): Registered<PluginPrompt> {
  const entry = host.prompts.get(name);
  if (!entry) throw new McpError(JsonRpcCode.InvalidParams, `no prompt "${name}"; prompts/list shows the prompts`);
  if (!reaches(principal, entry.value.scope)) throw beyondScope(`The prompt "${name}"`, entry.value.scope ?? 'read', principal);
  return entry;
}

function listed(prompt: PluginPrompt) {
  return {
    name: prompt.name,
    ...(prompt.title !== undefined && { title: prompt.title }),
    ...(prompt.description !== undefined && { description: prompt.description }),
    ...(prompt.arguments && {
      arguments: prompt.arguments.map(({ name, description, required }) => ({ name, ...(description !== undefined && { description }), ...(required !== undefined && { required }) })),
    }),
  };
}
