/**
 * confirm-destructive.ts — a person confirms every destructive call before it runs. Off until configured:
 *
 *   pluginSettings:
 *     confirm-destructive: { enabled: true }                 # every tool marked destructiveHint (DELETE operations)
 *     confirm-destructive: { tools: ["delete_*", "restore_backup"] }   # or these tools (globs)
 *
 * Where the client can ask its user (MCP elicitation), the user is asked — always, whatever the agent
 * sent. Where it cannot, the tool gets a `confirm` argument and the call is refused until the agent sends
 * `confirm: true`, which it is told to do only after asking the user in the conversation. The API never
 * receives `confirm`.
 */
import type { CallInfo, PluginApi, ToolInfo } from './portico';

const ARGUMENT = 'confirm';

export default function confirmDestructive(api: PluginApi): void {
  const { enabled, tools } = api.settings;
  if (enabled !== true && tools === undefined) return;
  if (tools !== undefined && (!Array.isArray(tools) || tools.some((name) => typeof name !== 'string'))) throw new Error('settings.tools must be a list of tool names (globs such as "delete_*")');
  const patterns = (tools as string[] | undefined)?.map(api.helpers.glob);
  const confirms = (tool: ToolInfo) => (patterns ? patterns.some((pattern) => pattern.test(tool.name)) : tool.annotations?.destructiveHint === true);

  api.catalog((drafts) => {
    for (const tool of drafts) {
      if (!confirms(tool)) continue;
      tool.addArgument(ARGUMENT, { type: 'boolean', description: 'Set to true only after the user has confirmed this call in the conversation (needed when your client cannot ask the user itself).' });
      tool.description = `${tool.description ?? ''}\n\nThis cannot be undone: the user is asked to confirm before it runs.`.trim();
    }
  });

  api.beforeCall(async (call) => {
    if (!confirms(call.tool)) return;
    // not caught: in MCP 2026-07-28 asking ends this round of the request (the client retries with the answer), and a
    // question that fails (the user did not answer in time) fails the hook, which denies the call — never a yes
    const answer = await ask(call);
    if (answer === 'yes') return;
    if (answer === 'no') return { deny: `the user did not confirm ${call.tool.name}; do not retry unless they ask for it` };
    if (call.args[ARGUMENT] === true) return;
    return { deny: `${call.tool.name} cannot be undone and this client cannot ask the user: tell the user exactly what will happen, and only if they agree call it again with "${ARGUMENT}": true` };
  });
}

/** 'yes' or 'no' from the user, or 'cannot-ask' when the client cannot ask. */
async function ask(call: CallInfo): Promise<'yes' | 'no' | 'cannot-ask'> {
  const shown = Object.entries(call.args).filter(([name]) => name !== ARGUMENT).map(([name, value]) => `${name}: ${JSON.stringify(value)}`).join(', ');
  const answer = await call.elicit(`Allow "${call.tool.title ?? call.tool.name}"${shown ? ` (${shown})` : ''}? This cannot be undone.`, {
    type: 'object',
    properties: { [ARGUMENT]: { type: 'boolean', title: `Yes, run ${call.tool.name}`, default: false } },
    required: [ARGUMENT],
  });
  if (!answer) return 'cannot-ask';
  return answer.action === 'accept' && answer.content?.[ARGUMENT] === true ? 'yes' : 'no';
}
