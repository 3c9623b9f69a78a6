/**
 * @module plugins/host
 * What the plugins registered, and how it is applied: catalog rules (rename, re-describe, re-scope, hide,
 * pin arguments), added tools, hooks before and after each call, the identity source, resources and
 * prompts. The API object each plugin receives writes here, checked as it comes (a mistake stops the start
 * naming the plugin); the gateway reads from here.
 */
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type {
  ApiSource,
  CallInfo,
  Caller,
  Decision,
  IdentitySource,
  PluginApi,
  PluginPrompt,
  PluginResource,
  PluginResourceTemplate,
  PluginTool,
  ToolDraft,
  ToolInfo,
  ToolResult,
} from '../../plugins/portico';
import type { Logger } from '../log';
import { isScope } from '../oauth/scopes';

type CatalogRule = (tools: ToolDraft[]) => void;
type BeforeHook = (call: CallInfo) => Decision | Promise<Decision>;
type AfterHook = (call: CallInfo, result: ToolResult) => ToolResult | void | Promise<ToolResult | void>;

export interface Registered<T> {
  readonly plugin: string;
  readonly value: T;
}

/** A resource template with its parsed template, to match URIs against. */
export interface RegisteredTemplate extends Registered<PluginResourceTemplate> {
  readonly template: UriTemplate;
}

export class PluginHost {
  readonly rules: Registered<CatalogRule>[] = [];
  readonly tools: Registered<PluginTool>[] = [];
  readonly before: Registered<BeforeHook>[] = [];
  readonly after: Registered<AfterHook>[] = [];
  identity?: Registered<IdentitySource>;
  /** Resources by URI, templates and prompts by name: MCP's other two server features. */
  readonly resources = new Map<string, Registered<PluginResource>>();
  readonly templates: RegisteredTemplate[] = [];
  readonly prompts = new Map<string, Registered<PluginPrompt>>();
  /** More APIs served through the gateway, in the order they were added. */
  readonly apis: Registered<ApiSource>[] = [];
  /** Loaded plugin files, in order. */
  readonly loaded: string[] = [];
  private readonly updateListeners = new Set<(uri: string) => void>();

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
      addResource: (resource) => {
        checkedResource(plugin, resource);
        const other = this.resources.get(resource.uri);
        if (other) throw new TypeError(`${plugin}: the resource "${resource.uri}" is already added by ${other.plugin}`);
        this.resources.set(resource.uri, { plugin, value: resource });
      },
      addResourceTemplate: (template) => void this.templates.push({ plugin, value: template, template: checkedTemplate(plugin, template) }),
      addPrompt: (prompt) => {
        checkedPrompt(plugin, prompt);
        const other = this.prompts.get(prompt.name);
        if (other) throw new TypeError(`${plugin}: the prompt "${prompt.name}" is already added by ${other.plugin}`);
        this.prompts.set(prompt.name, { plugin, value: prompt });
      },
      resourceUpdated: (uri) => {
        for (const listener of this.updateListeners) listener(uri);
      },
      addApi: (api) => {
        checkedApi(plugin, api);
        const other = this.apis.find(({ value }) => value.name === api.name || value.prefix === api.prefix);
        if (other) throw new TypeError(`${plugin}: the API "${api.name}" (prefix "${api.prefix}") clashes with "${other.value.name}" (prefix "${other.value.prefix}") from ${other.plugin}: names and prefixes must differ`);
        this.apis.push({ plugin, value: api });
      },
    };
  }

  get empty(): boolean {
    return this.rules.length + this.tools.length + this.before.length + this.after.length + this.apis.length === 0 && !this.identity && !this.servesMore;
  }

  /** Whether plugins add resources or prompts, which the MCP server then declares. */
  get servesMore(): boolean {
    return this.resources.size + this.templates.length + this.prompts.size > 0;
  }

  /** Whether some prompt argument or template variable offers completions. */
  get completes(): boolean {
    return [...this.prompts.values()].some(({ value }) => value.arguments?.some((argument) => argument.complete)) || this.templates.some(({ value }) => value.complete);
  }

  /** Calls `listener` with each URI a plugin says changed, until the returned function is called. */
  onResourceUpdated(listener: (uri: string) => void): () => void {
    this.updateListeners.add(listener);
    return () => void this.updateListeners.delete(listener);
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
const PROMPT_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

function checkedScope(plugin: string, what: string, scope: unknown): void {
  if (scope !== undefined && (typeof scope !== 'string' || !isScope(scope))) throw new TypeError(`${plugin}: ${what} has scope "${String(scope)}"; use read, write or admin`);
}

const API_NAME = /^[a-zA-Z0-9_-]{1,40}$/;
const PREFIX = /^[a-zA-Z0-9_-]{1,20}$/;

function checkedApi(plugin: string, api: ApiSource): void {
  if (!api || typeof api !== 'object') throw new TypeError(`${plugin}: addApi needs an object { name, spec, upstream, prefix, credential }`);
  if (typeof api.name !== 'string' || !API_NAME.test(api.name)) throw new TypeError(`${plugin}: the API name "${String(api.name)}" must match ${API_NAME}`);
  const what = `${plugin}: the API "${api.name}"`;
  if (typeof api.spec !== 'string' || api.spec === '') throw new TypeError(`${what} needs "spec": the path or http(s) URL of its OpenAPI document`);
  let upstream: URL | undefined;
  try {
    upstream = new URL(api.upstream);
  } catch {
    upstream = undefined;
  }
  if (!upstream || (upstream.protocol !== 'http:' && upstream.protocol !== 'https:')) throw new TypeError(`${what} needs "upstream": the absolute http(s) URL its calls go to (got "${String(api.upstream)}")`);
  if (typeof api.prefix !== 'string' || !PREFIX.test(api.prefix)) throw new TypeError(`${what} needs a "prefix" for its tools' names matching ${PREFIX}, e.g. "${api.name}_"`);
  const { credential } = api;
  const headersOk = typeof credential === 'object' && credential !== null && typeof credential.headers === 'object' && credential.headers !== null && Object.values(credential.headers).every((value) => typeof value === 'string');
  if (credential !== 'user' && !headersOk) throw new TypeError(`${what} needs "credential": "user" (the signed-in user's own credential goes to it too) or { headers: { … } } (the same for everyone)`);
}

function checkedResource(plugin: string, resource: PluginResource): void {
  if (!resource || typeof resource !== 'object') throw new TypeError(`${plugin}: addResource needs a resource object`);
  if (typeof resource.uri !== 'string' || !URL.canParse(resource.uri)) throw new TypeError(`${plugin}: the resource uri "${String(resource.uri)}" must be an absolute URI, e.g. myapi://regions`);
  if (UriTemplate.isTemplate(resource.uri)) throw new TypeError(`${plugin}: the resource uri "${resource.uri}" is a template; add it with addResourceTemplate`);
  if (typeof resource.name !== 'string' || resource.name === '') throw new TypeError(`${plugin}: the resource "${resource.uri}" needs a name`);
  if (typeof resource.read !== 'function') throw new TypeError(`${plugin}: the resource "${resource.uri}" needs a read function`);
  checkedScope(plugin, `the resource "${resource.uri}"`, resource.scope);
}

function checkedTemplate(plugin: string, template: PluginResourceTemplate): UriTemplate {
  if (!template || typeof template !== 'object') throw new TypeError(`${plugin}: addResourceTemplate needs a template object`);
  const text = template.uriTemplate;
  if (typeof text !== 'string' || !UriTemplate.isTemplate(text)) throw new TypeError(`${plugin}: the uriTemplate "${String(text)}" must hold at least one {variable}; add a fixed URI with addResource`);
  let parsed: UriTemplate;
  try {
    parsed = new UriTemplate(text);
  } catch (error) {
    throw new TypeError(`${plugin}: the uriTemplate "${text}" is not a valid URI template: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof template.name !== 'string' || template.name === '') throw new TypeError(`${plugin}: the resource template "${text}" needs a name`);
  if (typeof template.read !== 'function') throw new TypeError(`${plugin}: the resource template "${text}" needs a read function`);
  for (const variable of Object.keys(template.complete ?? {})) {
    if (!parsed.variableNames.includes(variable)) throw new TypeError(`${plugin}: the resource template "${text}" completes "${variable}", which is not one of its variables (${parsed.variableNames.join(', ')})`);
    if (typeof template.complete![variable] !== 'function') throw new TypeError(`${plugin}: the completion of "${variable}" in "${text}" must be a function`);
  }
  checkedScope(plugin, `the resource template "${text}"`, template.scope);
  return parsed;
}

function checkedPrompt(plugin: string, prompt: PluginPrompt): void {
  if (!prompt || typeof prompt !== 'object') throw new TypeError(`${plugin}: addPrompt needs a prompt object`);
  if (typeof prompt.name !== 'string' || !PROMPT_NAME.test(prompt.name)) throw new TypeError(`${plugin}: prompt name "${String(prompt.name)}" must match ${PROMPT_NAME}`);
  if (typeof prompt.get !== 'function') throw new TypeError(`${plugin}: the prompt "${prompt.name}" needs a get function`);
  const seen = new Set<string>();
  for (const argument of prompt.arguments ?? []) {
    if (typeof argument?.name !== 'string' || argument.name === '') throw new TypeError(`${plugin}: every argument of the prompt "${prompt.name}" needs a name`);
    if (seen.has(argument.name)) throw new TypeError(`${plugin}: the prompt "${prompt.name}" has the argument "${argument.name}" twice`);
    seen.add(argument.name);
    if (argument.complete !== undefined && typeof argument.complete !== 'function') throw new TypeError(`${plugin}: the completion of "${argument.name}" in the prompt "${prompt.name}" must be a function`);
  }
  checkedScope(plugin, `the prompt "${prompt.name}"`, prompt.scope);
}

function checkedTool(plugin: string, tool: PluginTool): PluginTool {
  if (!tool || typeof tool !== 'object') throw new TypeError(`${plugin}: addTool needs a tool object`);
  if (typeof tool.name !== 'string' || !TOOL_NAME.test(tool.name)) throw new TypeError(`${plugin}: tool name "${String(tool.name)}" must match ${TOOL_NAME}`);
  if (typeof tool.handler !== 'function') throw new TypeError(`${plugin}: tool "${tool.name}" needs a handler function`);
  if (!tool.inputSchema || (tool.inputSchema as { type?: unknown }).type !== 'object') throw new TypeError(`${plugin}: tool "${tool.name}" needs an inputSchema of type "object"`);
  checkedScope(plugin, `tool "${tool.name}"`, tool.scope);
  return tool;
}

export type { Caller, CallInfo, ToolInfo, ToolResult };
