/**
 * @module plugins/host
 * What the plugins registered, and how it is applied: catalog rules (rename, re-describe, re-scope, hide,
 * pin arguments), added tools, hooks before and after each call, and the identity source. The API object
 * each plugin receives writes here; the gateway reads from here.
 */
import type { CallInfo, Caller, Decision, IdentitySource, PluginApi, PluginTool, ToolDraft, ToolInfo, ToolResult } from '../../plugins/portico';
import type { Logger } from '../log';
import { isScope } from '../oauth/scopes';

type CatalogRule = (tools: ToolDraft[]) => void;
type BeforeHook = (call: CallInfo) => Decision | Promise<Decision>;
type AfterHook = (call: CallInfo, result: ToolResult) => ToolResult | void | Promise<ToolResult | void>;

interface Registered<T> {
  readonly plugin: string;
  readonly value: T;
}

export class PluginHost {
  readonly rules: Registered<CatalogRule>[] = [];
  readonly tools: Registered<PluginTool>[] = [];
  readonly before: Registered<BeforeHook>[] = [];
  readonly after: Registered<AfterHook>[] = [];
  identity?: Registered<IdentitySource>;
  /** Loaded plugin files, in order. */
  readonly loaded: string[] = [];

  /** The API object for the plugin in `file`. */
  apiFor(file: string, settings: Readonly<Record<string, unknown>>, gateway: PluginApi['gateway'], log: Logger): PluginApi {
    const plugin = file;
    const scoped = (event: string, fields?: Record<string, unknown>) => [`plugin.${event}`, { plugin, ...fields }] as const;
    return {
      name: file,
      settings,
      gateway,
      log: {
        debug: (event, fields) => log.debug(...scoped(event, fields)),
        info: (event, fields) => log.info(...scoped(event, fields)),
        warn: (event, fields) => log.warn(...scoped(event, fields)),
        error: (event, fields) => log.error(...scoped(event, fields)),
      },
      catalog: (rule) => void this.rules.push({ plugin, value: rule }),
      addTool: (tool) => void this.tools.push({ plugin, value: checkedTool(plugin, tool) }),
      beforeCall: (hook) => void this.before.push({ plugin, value: hook }),
      afterCall: (hook) => void this.after.push({ plugin, value: hook }),
      identitySource: (source) => {
        this.identity = { plugin, value: source };
      },
    };
  }

  get empty(): boolean {
    return this.rules.length + this.tools.length + this.before.length + this.after.length === 0 && !this.identity;
  }

  /**
   * Runs the `beforeCall` hooks in order: the arguments as changed by them, or the denial (with the
   * plugin that denied). A hook that throws denies the call — a policy that cannot decide must not allow.
   */
  async decide(call: CallInfo, log: Logger): Promise<{ args: Record<string, unknown> } | { deny: string; plugin: string }> {
    let args = { ...call.args };
    for (const { plugin, value: hook } of this.before) {
      let decision: Decision;
      try {
        decision = await hook({ ...call, args });
      } catch (error) {
        log.error('plugin.policy_failed', { plugin, tool: call.tool.name, error: error instanceof Error ? error.message : String(error) });
        return { deny: `a policy of this server (${plugin}) failed, so the call was not made`, plugin };
      }
      if (!decision) continue;
      if ('deny' in decision) return { deny: String(decision.deny), plugin };
      if ('args' in decision && decision.args && typeof decision.args === 'object') args = { ...decision.args };
    }
    return { args };
  }

  /** Runs the `afterCall` hooks in order; a hook that throws leaves the result as it was, and is logged. */
  async transform(call: CallInfo, result: ToolResult, log: Logger): Promise<ToolResult> {
    let current = result;
    for (const { plugin, value: hook } of this.after) {
      try {
        current = (await hook(call, current)) ?? current;
      } catch (error) {
        // an after-hook that redacts must not leak by failing: answer an error instead of the raw result
        log.error('plugin.after_call_failed', { plugin, tool: call.tool.name, error: error instanceof Error ? error.message : String(error) });
        return { isError: true, content: [{ type: 'text', text: `A policy of this server (${plugin}) failed while checking the result, so it is withheld.` }] };
      }
    }
    return current;
  }
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function checkedTool(plugin: string, tool: PluginTool): PluginTool {
  if (!tool || typeof tool !== 'object') throw new TypeError(`${plugin}: addTool needs a tool object`);
  if (typeof tool.name !== 'string' || !TOOL_NAME.test(tool.name)) throw new TypeError(`${plugin}: tool name "${String(tool.name)}" must match ${TOOL_NAME}`);
  if (typeof tool.handler !== 'function') throw new TypeError(`${plugin}: tool "${tool.name}" needs a handler function`);
  if (!tool.inputSchema || (tool.inputSchema as { type?: unknown }).type !== 'object') throw new TypeError(`${plugin}: tool "${tool.name}" needs an inputSchema of type "object"`);
  if (tool.scope !== undefined && !isScope(tool.scope)) throw new TypeError(`${plugin}: tool "${tool.name}" has scope "${tool.scope}"; use read, write or admin`);
  return tool;
}

export type { Caller, CallInfo, ToolInfo, ToolResult };
