/**
 * @module plugins/host
 * What the plugins registered, and how it is applied: catalog rules (rename, re-describe, re-scope, hide,
 * pin arguments), rules of who sees which tool, added tools, hooks before, around and after each call, the
 * identity source, resources and prompts. The API object each plugin receives writes here, checked as it comes (a mistake stops the start
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
  SettingSchema,
  SettingsBuilder,
  SettingValue,
  ToolDraft,
  ToolInfo,
  ToolResult,
} from '../../plugins/portico';
import type { Logger } from '../log';
import { isScope } from '../oauth/scopes';
import { isProtocolSignal } from '../wire/input-required';
import { helpers } from './helpers';
import { checkedSettings } from './settings';

type CatalogRule = (tools: ToolDraft[]) => void;
/** Whether `caller` may see `tool` (`api.visibleTo`). */
export type VisibilityRule = (tool: ToolInfo, caller: Caller | undefined) => boolean;
type BeforeHook = (call: CallInfo) => Decision | Promise<Decision>;
type AroundHook = (call: CallInfo, next: () => Promise<ToolResult>) => ToolResult | Promise<ToolResult>;
type AfterHook = (call: CallInfo, result: ToolResult) => ToolResult | void | Promise<ToolResult | void>;

/** A call as the pipeline hands it to the hooks; each hook sees it with the arguments of the moment and its plugin's `state`. */
export type CallBase = Omit<CallInfo, 'args' | 'state'>;

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
  /** Per-caller rules (`visibleTo`): applied per caller on top of the catalog the rules above made. */
  readonly visibility: Registered<VisibilityRule>[] = [];
  readonly tools: Registered<PluginTool>[] = [];
  readonly before: Registered<BeforeHook>[] = [];
  readonly around: Registered<AroundHook>[] = [];
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
      // checked against the very schema `build` returned, so the value is of its type
      settingsSchema: <S extends SettingSchema<object>>(build: (T: SettingsBuilder) => S) => checkedSettings(plugin, settings, build) as SettingValue<S>,
      helpers,
      gateway,
      log: {
        debug: (event, fields) => log.debug(...scoped(event, fields)),
        info: (event, fields) => log.info(...scoped(event, fields)),
        warn: (event, fields) => log.warn(...scoped(event, fields)),
        error: (event, fields) => log.error(...scoped(event, fields)),
      },
      catalog: (rule) => void this.rules.push({ plugin, value: rule }),
      visibleTo: (rule) => {
        if (typeof rule !== 'function') throw new TypeError(`${plugin}: visibleTo needs a function (tool, caller) => boolean`);
        this.visibility.push({ plugin, value: rule });
      },
      addTool: (tool) => void this.tools.push({ plugin, value: checkedTool(plugin, tool) }),
      beforeCall: (hook) => void this.before.push({ plugin, value: hook }),
      aroundCall: (hook) => {
        if (typeof hook !== 'function') throw new TypeError(`${plugin}: aroundCall needs a function (call, next) => result`);
        this.around.push({ plugin, value: hook });
      },
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
    return this.rules.length + this.visibility.length + this.tools.length + this.apis.length === 0 && !this.hooksCalls && !this.identity && !this.servesMore;
  }

  /** Whether any plugin hooks tool calls (before, around or after them). */
  get hooksCalls(): boolean {
    return this.before.length + this.around.length + this.after.length > 0;
  }

  /** One call's run through the hooks (`calls/pipeline` drives it): before → around (the call itself inside) → after. */
  begin(call: CallBase, args: Record<string, unknown>, log: Logger): PluginCall {
    return new PluginCall(this, call, args, log);
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
}

/**
 * One tool call's way through the plugins' hooks. Each plugin has one `state` object for the call, shared by
 * its before, around and after hooks (a timer started before, a cache key computed before and filled after),
 * and seen by no other plugin. Every failure is closed: a hook that throws denies the call (before), ends it
 * with an error naming the plugin (around), or withholds the result (after) — a policy that cannot decide
 * must not allow, and a redaction that fails must not leak.
 */
export class PluginCall {
  private readonly states = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly host: PluginHost,
    private readonly call: CallBase,
    /** The arguments as the hooks left them: what the call is made with. */
    public args: Record<string, unknown>,
    private readonly log: Logger,
  ) {}

  /** Runs the `beforeCall` hooks in order: undefined to go on (with `args` as they changed them), or the denial and the plugin that denied. */
  async before(): Promise<{ deny: string; plugin: string } | undefined> {
    for (const { plugin, value: hook } of this.host.before) {
      let decision: Decision;
      try {
        decision = await hook(this.infoFor(plugin));
      } catch (error) {
        // a question for the client, or a capability it lacks, is not the policy failing: the protocol layer answers it
        if (isProtocolSignal(error)) throw error;
        this.log.error('plugin.policy_failed', { plugin, tool: this.call.tool.name, error: messageOf(error) });
        return { deny: `a policy of this server (${plugin}) failed, so the call was not made`, plugin };
      }
      if (!decision) continue;
      if ('deny' in decision) return { deny: String(decision.deny), plugin };
      if ('args' in decision && decision.args && typeof decision.args === 'object') this.args = { ...decision.args };
    }
    return undefined;
  }

  /**
   * Runs `inner` (the call itself) inside the `aroundCall` hooks: the first plugin's hook outermost. A hook may
   * call `next` once (timing, error mapping), more than once (retries) or not at all (a cached answer).
   */
  around(inner: () => Promise<ToolResult>): Promise<ToolResult> {
    const hooks = this.host.around;
    const at = (index: number): Promise<ToolResult> => {
      const registered = hooks[index];
      if (!registered) return inner();
      const { plugin, value: hook } = registered;
      return (async () => {
        try {
          return checkedResult(await hook(this.infoFor(plugin), () => at(index + 1)));
        } catch (error) {
          if (isProtocolSignal(error)) throw error;
          this.log.error('plugin.around_call_failed', { plugin, tool: this.call.tool.name, error: messageOf(error) });
          return { isError: true, content: [{ type: 'text', text: `A policy of this server (${plugin}) failed while making the call: ${messageOf(error)}` }] };
        }
      })();
    };
    return at(0);
  }

  /** Runs the `afterCall` hooks in order; a hook that throws withholds the result (an error in its place), and is logged. */
  async after(result: ToolResult): Promise<ToolResult> {
    let current = result;
    for (const { plugin, value: hook } of this.host.after) {
      try {
        current = (await hook(this.infoFor(plugin), current)) ?? current;
      } catch (error) {
        if (isProtocolSignal(error)) throw error;
        this.log.error('plugin.after_call_failed', { plugin, tool: this.call.tool.name, error: messageOf(error) });
        return { isError: true, content: [{ type: 'text', text: `A policy of this server (${plugin}) failed while checking the result, so it is withheld.` }] };
      }
    }
    return current;
  }

  private infoFor(plugin: string): CallInfo {
    let state = this.states.get(plugin);
    if (!state) {
      state = {};
      this.states.set(plugin, state);
    }
    return { ...this.call, args: this.args, state };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An around hook must hand back a result (its own or `next()`'s): anything else is its author's mistake, said so. */
function checkedResult(result: unknown): ToolResult {
  if (result && typeof result === 'object' && Array.isArray((result as ToolResult).content)) return result as ToolResult;
  throw new TypeError(`its aroundCall hook returned ${result === undefined ? 'nothing' : `a ${typeof result}`} instead of a tool result (return next() or a result)`);
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
