/**
 * @module mcp/completions
 * completion/complete for prompt arguments and resource template variables whose plugin offers a
 * completer: up to 100 suggestions, the total, and whether there are more.
 */
import type { CompleteRequest, CompleteResult } from '@modelcontextprotocol/sdk/types.js';
import { McpError } from '../wire/mcp-error';
import { JsonRpcCode } from '../wire/json-rpc';
import type { Principal } from '../oauth/bearer';
import type { Completer } from '../../plugins/portico';
import { beyondScope, malformed, reaches, runPlugin, type PluginFeatures } from './plugin-features';
import { findPrompt } from './prompts';

/** MCP's limit on the values of one completion result. */
const MAX_VALUES = 100;

/** completion/complete (nothing may be asked of the client while completing). */
export async function complete(features: PluginFeatures, params: CompleteRequest['params'], principal: Principal | undefined, signal: AbortSignal): Promise<CompleteResult> {
    const { ref, argument, context: given } = params;
    let completer: Completer | undefined;
    let plugin: string;
    let what: string;
    if (ref.type === 'ref/prompt') {
      const prompt = findPrompt(features, ref.name, principal);
      const known = prompt.value.arguments?.find((candidate) => candidate.name === argument.name);
      if (!known) throw new McpError(JsonRpcCode.InvalidParams, `the prompt "${ref.name}" has no argument "${argument.name}"`);
      ({ plugin } = prompt);
      completer = known.complete;
      what = `completing "${argument.name}" of the prompt "${ref.name}"`;
    } else {
      const template = features.host.templates.find((entry) => entry.value.uriTemplate === ref.uri);
      if (!template) {
        if (features.host.resources.has(ref.uri)) return { completion: { values: [] } };
        throw new McpError(JsonRpcCode.InvalidParams, `no resource template "${ref.uri}"; resources/templates/list shows them`);
      }
      if (!reaches(principal, template.value.scope)) throw beyondScope(`The resource template "${ref.uri}"`, template.value.scope ?? 'read', principal);
      if (!template.template.variableNames.includes(argument.name)) throw new McpError(JsonRpcCode.InvalidParams, `the resource template "${ref.uri}" has no variable "${argument.name}"`);
      ({ plugin } = template);
      completer = template.value.complete?.[argument.name];
      what = `completing "${argument.name}" of "${ref.uri}"`;
    }
    if (!completer) return { completion: { values: [] } };
    const context = { ...features.context(principal, signal), arguments: given?.arguments ?? {} };
    const values = await runPlugin(features, plugin, what, () => completer(argument.value, context));
    if (!Array.isArray(values) || values.some((value) => typeof value !== 'string')) throw malformed(plugin, what, 'a completer returns a list of strings');
    return { completion: { values: values.slice(0, MAX_VALUES), total: values.length, hasMore: values.length > MAX_VALUES } };
}
