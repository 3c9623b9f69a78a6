/**
 * The plugin API of Portico, for plugin authors: import types only (`import type { PluginApi } from
 * './portico'`). A plugin is a `.ts` or `.js` file in the plugin folder (PORTICO_PLUGINS, default
 * ./plugins) whose default export is a function that receives this API at start:
 *
 *   import type { PluginApi } from './portico';
 *   export default function (api: PluginApi) {
 *     api.beforeCall((call) => {
 *       if (call.tool.name === 'delete_database' && call.args.databaseId === 'db_prod') return { deny: 'not the production database' };
 *     });
 *   }
 *
 * A plugin cannot import npm packages (the compiled binary has none): everything it needs comes through
 * this object. Node and Bun built-ins (`node:fs`, `bun:sqlite`, …) and relative imports work.
 */

export type Scope = 'read' | 'write' | 'admin';

/** A JSON Schema object (2020-12). */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** What a tool result holds (MCP `CallToolResult`). */
export interface ToolResult {
  content: (
    | { type: 'text'; text: string }
    | { type: 'image' | 'audio'; data: string; mimeType: string }
    | { type: 'resource'; resource: ResourceContents }
    | { type: string; [key: string]: unknown }
  )[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

/** Who is calling: the signed-in user and their client (absent with PORTICO_AUTH=none). */
export interface Caller {
  readonly userId: string;
  readonly userName: string;
  readonly clientId: string;
  readonly scopes: readonly Scope[];
}

/** A tool as rules and hooks see it. */
export interface ToolInfo {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly scope: Scope;
  readonly inputSchema: JsonSchema;
  readonly annotations?: Readonly<Record<string, unknown>>;
  /** The operation behind it; absent for a tool a plugin added. */
  readonly operation?: {
    readonly method: string;
    readonly path: string;
    readonly operationId?: string;
    readonly tags: readonly string[];
    /** The operation's `x-` extensions, e.g. `{ "x-internal": true }`. */
    readonly extensions: Readonly<Record<string, unknown>>;
    /** The API it belongs to: the `name` given to `addApi`; absent for the gateway's own API (PORTICO_UPSTREAM). */
    readonly api?: string;
  };
}

/** A tool a catalog rule may change. Changes apply to every listing and call; `hide()` removes it. */
export interface ToolDraft extends ToolInfo {
  name: string;
  title?: string;
  description?: string;
  scope: Scope;
  hide(): void;
  /**
   * Removes argument `name` from the tool's schema and fills it on every call, server-side, from
   * `value` (a constant, or a function of the caller): the agent can neither see nor change it.
   */
  pin(name: string, value: unknown | ((caller: Caller | undefined) => unknown)): void;
  /**
   * Adds argument `name` to the tool's schema for the plugin's own use (e.g. a `confirm` flag): the agent
   * sees it and hooks read it in `call.args`, but it is removed before the call reaches the API.
   */
  addArgument(name: string, schema: JsonSchema, options?: { required?: boolean }): void;
}

/** One call about to happen (or that happened). */
export interface CallInfo {
  readonly tool: ToolInfo;
  /** The arguments as they will be sent (after pinning); a `beforeCall` hook may return new ones. */
  readonly args: Readonly<Record<string, unknown>>;
  readonly caller?: Caller;
  /**
   * This plugin's scratch space for this one call, shared by its `beforeCall`, `aroundCall` and `afterCall`
   * hooks (a start time, a cache key) and seen by no other plugin. A new empty object for every call.
   */
  readonly state: Record<string, unknown>;
  /**
   * Asks the user a question through the client (MCP elicitation), e.g. to confirm the call. Resolves to
   * `undefined` when the client cannot ask (then fall back, e.g. to an argument added with `addArgument`).
   * See `RequestContext.elicit` for how each revision of MCP asks.
   */
  elicit(message: string, schema: JsonSchema, options?: AskOptions & { key?: string }): Promise<ElicitResult | undefined>;
  /** Several questions at once (see `RequestContext.ask`). */
  ask(requests: Record<string, InputRequest>, options?: AskOptions): Promise<InputAnswers>;
}

/** A request to the client: what `ask` sends (MCP's elicitation/create, sampling/createMessage, roots/list). */
export interface InputRequest {
  method: 'elicitation/create' | 'sampling/createMessage' | 'roots/list';
  params: Record<string, unknown>;
}

/** The client's answers by the keys they were asked under; a question the client cannot answer has none. */
export type InputAnswers = Record<string, unknown>;

export interface AskOptions {
  /**
   * The request cannot go on without an answer: when the client did not declare the capability (elicitation,
   * sampling, roots), the request fails with MCP's MissingRequiredClientCapability error (-32021) instead of
   * resolving to `undefined`.
   */
  required?: boolean;
}

export interface Root {
  uri: string;
  name?: string;
}

export interface ElicitResult {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
}

/** What a `beforeCall` hook decides: nothing (go on), a denial the agent is shown, or changed arguments. */
export type Decision = void | undefined | { deny: string } | { args: Record<string, unknown> };

/** What every plugin handler gets: who asks, cancellation, and the upstream API with the caller's credential. */
export interface RequestContext {
  readonly caller?: Caller;
  /** Aborted when the client cancels the request or goes away. */
  readonly signal: AbortSignal;
  /** Calls the upstream API (a path under PORTICO_UPSTREAM) with the caller's own credential. */
  upstream(path: string, init?: RequestInit): Promise<Response>;
  /**
   * Asks the client for everything in `requests` at once, keyed as you want the answers back. Resolves to the
   * answers by key; a question the client cannot answer (it did not declare the capability) has none.
   *
   * How MCP asks depends on the client's revision, and your code is the same for both: in the 2025 revisions
   * Portico sends the client each request on the session's stream and waits. In 2026-07-28 the request ends
   * with an `InputRequiredResult`; the client answers and sends the request again, and your handler runs
   * again from the start: the questions it asked before resolve at once to the answers (kept, sealed, in the
   * request's `requestState`, so any instance of a cluster can take the next round). So do before a question
   * only what may be done twice; keys must not depend on anything but the request. Let what these functions throw
   * pass (do not catch it around them): that is how a round ends.
   *
   * Tool calls, `prompts/get` and `resources/read` may ask; elsewhere (completions) nothing is asked.
   */
  ask(requests: Record<string, InputRequest>, options?: AskOptions): Promise<InputAnswers>;
  /**
   * Asks the user a question through the client (MCP elicitation). Resolves to the user's answer, or to
   * `undefined` when the client cannot ask (then fall back, e.g. to a required argument). `key`: the name of the
   * question (by default the questions of one request are numbered in the order asked).
   */
  elicit(message: string, schema: JsonSchema, options?: AskOptions & { key?: string }): Promise<ElicitResult | undefined>;
  /**
   * Asks the client's language model for a completion (MCP sampling; the client may show it to the user
   * first). Resolves to the model's message, or to `undefined` when the client cannot sample.
   */
  sample(request: SamplingRequest, options?: AskOptions & { key?: string }): Promise<SamplingResult | undefined>;
  /** The client's roots (MCP roots/list), or `undefined` when the client has none to give. */
  roots(options?: AskOptions & { key?: string }): Promise<Root[] | undefined>;
}

/** What a tool handler can do besides returning its result. */
export interface ToolContext extends RequestContext {
  /** Reports progress to the client (when it asked for it; otherwise nothing happens). */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /**
   * Sends a log message to the client: dropped below the level the client set (logging/setLevel; in 2026-07-28
   * the request's own log level), and always when it set none in 2026-07-28.
   */
  log(level: LogLevel, data: unknown): Promise<void>;
}

export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';

/** One message of a prompt or of a sampling request. */
export interface Message {
  role: 'user' | 'assistant';
  content: ToolResult['content'][number];
}

export interface SamplingRequest {
  messages: Message[];
  maxTokens: number;
  systemPrompt?: string;
  temperature?: number;
  stopSequences?: string[];
  modelPreferences?: Record<string, unknown>;
}

export interface SamplingResult {
  role: 'user' | 'assistant';
  content: ToolResult['content'][number];
  model: string;
  stopReason?: string;
}

export interface PluginTool {
  name: string;
  title?: string;
  description: string;
  inputSchema: JsonSchema;
  /** @default 'read' */
  scope?: Scope;
  annotations?: Record<string, unknown>;
  handler(args: Record<string, unknown>, context: ToolContext): Promise<ToolResult> | ToolResult;
}

/** What reading a resource gives: text or base64 bytes (`blob`), or several contents. */
export type ResourceBody = { text: string; mimeType?: string } | { blob: string; mimeType?: string } | ResourceContents[];

export type ResourceContents = { uri: string; mimeType?: string } & ({ text: string } | { blob: string });

/** Suggestions for a partly typed value (MCP completion/complete); at most 100 are sent. */
export type Completer = (value: string, context: RequestContext & { readonly arguments: Readonly<Record<string, string>> }) => string[] | Promise<string[]>;

export interface PluginResource {
  /** An absolute URI, e.g. `myapi://regions` (unique in the gateway). */
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  /** Who may list and read it. @default 'read' */
  scope?: Scope;
  read(context: RequestContext): ResourceBody | Promise<ResourceBody>;
}

export interface PluginResourceTemplate {
  /** An RFC 6570 template, e.g. `myapi://projects/{id}/summary`. */
  uriTemplate: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  /** @default 'read' */
  scope?: Scope;
  /** `variables`: the template's variables as found in `uri`. */
  read(uri: string, variables: Readonly<Record<string, string>>, context: RequestContext): ResourceBody | Promise<ResourceBody>;
  /** Suggestions per template variable. */
  complete?: Record<string, Completer>;
}

export interface PromptArgument {
  name: string;
  description?: string;
  required?: boolean;
  /** Suggestions for this argument's value. */
  complete?: Completer;
}

export interface PluginPrompt {
  /** Unique in the gateway. */
  name: string;
  title?: string;
  description?: string;
  /** @default 'read' */
  scope?: Scope;
  arguments?: PromptArgument[];
  /** `args`: the arguments given (the required ones are checked before). */
  get(args: Readonly<Record<string, string>>, context: RequestContext): { description?: string; messages: Message[] } | Promise<{ description?: string; messages: Message[] }>;
}

/** The user behind a username and password, their API credential and the highest scope they may grant. */
export interface Identity {
  userId: string;
  name: string;
  maxScope: Scope;
  upstream: {
    headers: Record<string, string>;
    /** When the API stops accepting it (ms since the epoch). */
    expiresAt?: number;
    /** What `refresh` needs to renew it (e.g. the API's refresh token): sealed with the grant, never sent anywhere. */
    state?: string;
  };
}

export interface IdentitySource {
  /** For logs and `portico check`. */
  description: string;
  /** The user, or null when the username and password do not match. */
  verifyPassword(username: string, password: string): Promise<Identity | null>;
  /**
   * A new credential once the user's has expired (`upstream.expiresAt`), or null when it cannot be renewed
   * (the user signs in again). Without it, an expired credential ends the grant. Called when the client
   * refreshes its token; a throw keeps the grant and the client is told to retry.
   */
  refresh?(identity: Identity): Promise<Identity['upstream'] | null>;
}

export interface PluginLogger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

export interface PluginApi {
  /** The plugin's file name, e.g. `office-hours.ts`. */
  readonly name: string;
  /** This plugin's settings: the `pluginSettings["<file name without extension>"]` object of the configuration ({} when none). */
  readonly settings: Readonly<Record<string, unknown>>;
  /**
   * This plugin's settings checked against a schema it declares, with the schema's defaults filled in and
   * typed from it. Call it in setup: settings that do not fit stop the start with a message naming the
   * plugin and each setting (`read-cache.ts: setting "ttlSeconds" must be an integer ≥ 1 (got "ten")`).
   * `T` is a schema builder (TypeBox's `Type`, the part of it typed in `SettingsBuilder`): plugins cannot
   * import TypeBox, so it is handed over. Objects refuse keys they do not list (a misspelt setting is an
   * error, not an absent one) unless their options say `additionalProperties: true`.
   *
   *   const settings = api.settingsSchema((T) => T.Object({
   *     ttlSeconds: T.Integer({ minimum: 1, default: 30 }),
   *     tools: T.Array(T.String(), { default: [] }),
   *     note: T.Optional(T.String()),
   *   }));
   *   // settings: { ttlSeconds: number; tools: string[]; note?: string }
   */
  settingsSchema<S extends SettingSchema<object>>(build: (T: SettingsBuilder) => S): SettingValue<S>;
  /** Small helpers policies need, the gateway's own definitions: a glob, the scope ladder. */
  readonly helpers: PluginHelpers;
  /** The gateway's settings that plugins may need (no secrets). */
  readonly gateway: { readonly upstream: string; readonly publicUrl: string };
  readonly log: PluginLogger;
  /** Changes the catalog: runs on every (re)build, in plugin order; rename, re-describe, re-scope, hide, pin. */
  catalog(rule: (tools: ToolDraft[]) => void): void;
  /**
   * Decides per caller which tools they may see (per-user catalogs): a tool a rule does not answer `true` for
   * is neither listed for that caller nor callable by them — a call answers exactly like a call of a tool that
   * does not exist (`unknown tool "x"`), and never reaches the API. `caller` is undefined without sign-in.
   * Runs after the catalog rules, on the tools as they shaped them. Keep it a pure function of the tool and
   * the caller: its answers are kept per caller (user, client, scopes) until the catalog changes. A rule that
   * throws hides the tool (fail closed); the first failure of each plugin is logged.
   *
   *   api.visibleTo((tool, caller) => !tool.operation?.tags.includes('billing') || caller?.userName.endsWith('@finance.example') === true);
   */
  visibleTo(rule: (tool: ToolInfo, caller: Caller | undefined) => boolean): void;
  /** Adds a tool with its own handler. */
  addTool(tool: PluginTool): void;
  /** Runs before every tool call, in plugin order; the first denial wins. A hook that throws denies the call. */
  beforeCall(hook: (call: CallInfo) => Decision | Promise<Decision>): void;
  /**
   * Wraps every call, after the `beforeCall` hooks allowed it: `next()` makes the call (through the hooks of
   * later plugins) and resolves to its result. Return `next()`'s result, a changed one, or your own without
   * calling `next` (a cached answer); call it again to retry. The first plugin's hook is outermost. A hook
   * that throws ends the call with an error naming the plugin. For timing, caching, retries, error mapping:
   *
   *   api.aroundCall(async (call, next) => {
   *     const started = Date.now();
   *     const result = await next();
   *     api.log.info('timed', { tool: call.tool.name, ms: Date.now() - started });
   *     return result;
   *   });
   */
  aroundCall(hook: (call: CallInfo, next: () => Promise<ToolResult>) => ToolResult | Promise<ToolResult>): void;
  /** Runs after every call, in plugin order; may return a changed (e.g. redacted) result. */
  afterCall(hook: (call: CallInfo, result: ToolResult) => ToolResult | void | Promise<ToolResult | void>): void;
  /** Replaces the identity source (who may sign in). The last plugin to call it wins. */
  identitySource(source: IdentitySource): void;
  /** Adds a resource (MCP resources/list and resources/read) with a fixed URI. */
  addResource(resource: PluginResource): void;
  /** Adds resources whose URIs follow a template (RFC 6570, e.g. `myapi://projects/{id}/summary`). */
  addResourceTemplate(template: PluginResourceTemplate): void;
  /** Adds a prompt (MCP prompts/list and prompts/get). */
  addPrompt(prompt: PluginPrompt): void;
  /** Tells the clients subscribed to `uri` (resources/subscribe) that it changed, so they read it again. */
  resourceUpdated(uri: string): void;
  /** Serves the operations of one more API through this gateway, as tools named with its `prefix`. */
  addApi(api: ApiSource): void;
}

/** What `api.helpers` holds. */
export interface PluginHelpers {
  /** A glob as a RegExp matching the whole text: `*` any run of characters, `?` one character (`"list_*"`, `"/v1/orgs/*"`). */
  glob(pattern: string): RegExp;
  /** The scopes, lowest first: `['read', 'write', 'admin']`; each includes those before it. */
  readonly scopes: readonly Scope[];
  isScope(value: unknown): value is Scope;
  /** Whether holding `granted` (e.g. `call.caller.scopes`) is enough for something that needs `needed`. */
  allows(granted: readonly string[], needed: Scope): boolean;
}

/**
 * A schema for a plugin's setting, made with the builder `api.settingsSchema` hands over; `T` is the setting's
 * type once checked. It is plain JSON Schema (TypeBox's) underneath; the types here mirror TypeBox's without
 * importing it, so that a plugin outside this repository (next to the compiled binary) type-checks too.
 */
export interface SettingSchema<T = unknown> {
  /** Type-level only, never present: the type of the value once checked. */
  readonly '~value'?: T;
}

/** A property of `T.Object` that may be left out (`T.Optional(…)`). */
export interface OptionalSettingSchema<T = unknown> extends SettingSchema<T> {
  /** Type-level only, never present. */
  readonly '~optional': true;
}

/** The type a setting's schema checks for. */
export type SettingValue<S> = S extends SettingSchema<infer T> ? T : never;

/** The value of `T.Object(properties)`: each property required, unless `T.Optional`. */
export type SettingsObject<P extends Record<string, SettingSchema>> = {
  [K in keyof P as P[K] extends OptionalSettingSchema ? never : K]: SettingValue<P[K]>;
} & {
  [K in keyof P as P[K] extends OptionalSettingSchema ? K : never]?: SettingValue<P[K]>;
} extends infer O
  ? { [K in keyof O]: O[K] }
  : never;

/** Options every setting schema takes: `default` fills a setting that is left out. */
export interface SettingOptions<T> {
  title?: string;
  description?: string;
  default?: T;
}

export interface NumberSettingOptions extends SettingOptions<number> {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
}

export interface StringSettingOptions extends SettingOptions<string> {
  minLength?: number;
  maxLength?: number;
  /** A regular expression the whole value must match (anchor it: `^…$`). */
  pattern?: string;
}

export interface ArraySettingOptions<T> extends SettingOptions<T[]> {
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
}

export interface ObjectSettingOptions<T> extends SettingOptions<T> {
  /** `true`: keys it does not list are allowed (and kept). @default false */
  additionalProperties?: boolean;
  minProperties?: number;
  maxProperties?: number;
}

/** The schema builder `api.settingsSchema` hands over: TypeBox's `Type`, the part settings need. */
export interface SettingsBuilder {
  String(options?: StringSettingOptions): SettingSchema<string>;
  Number(options?: NumberSettingOptions): SettingSchema<number>;
  Integer(options?: NumberSettingOptions): SettingSchema<number>;
  Boolean(options?: SettingOptions<boolean>): SettingSchema<boolean>;
  Literal<const L extends string | number | boolean>(value: L, options?: SettingOptions<L>): SettingSchema<L>;
  /** One of several: `T.Union([T.Literal('a'), T.Literal('b')])`, `T.Union([T.String(), T.Array(T.String())])`. */
  Union<const S extends readonly SettingSchema[]>(members: S, options?: SettingOptions<SettingValue<S[number]>>): SettingSchema<SettingValue<S[number]>>;
  Array<S extends SettingSchema>(items: S, options?: ArraySettingOptions<SettingValue<S>>): SettingSchema<SettingValue<S>[]>;
  /** Named settings; keys it does not list are refused unless `additionalProperties: true`. */
  Object<P extends Record<string, SettingSchema>>(properties: P, options?: ObjectSettingOptions<SettingsObject<P>>): SettingSchema<SettingsObject<P>>;
  /** A map with any keys: `T.Record(T.String(), T.Integer())` for `{ "list_*": 50, … }`. */
  Record<S extends SettingSchema>(key: SettingSchema<string>, value: S, options?: SettingOptions<Record<string, SettingValue<S>>>): SettingSchema<Record<string, SettingValue<S>>>;
  /** A property of `T.Object` that may be left out. */
  Optional<S extends SettingSchema>(schema: S): OptionalSettingSchema<SettingValue<S>>;
  /** Anything at all (checked by the plugin itself). */
  Unknown(options?: SettingOptions<unknown>): SettingSchema<unknown>;
}

/** Another API behind the same gateway: its OpenAPI document, where its calls go, and with which credential. */
export interface ApiSource {
  /** A short name for logs, `portico check` and `ToolInfo.operation.api`, e.g. `billing`. */
  name: string;
  /** Its OpenAPI document: a path or an http(s) URL, read at start and refreshed like PORTICO_SPEC. */
  spec: string;
  /** Its base URL: every call goes to this origin and nowhere else. */
  upstream: string;
  /** Put before each of its tools' names, e.g. `billing_` (letters, digits, `_` or `-`). */
  prefix: string;
  /**
   * `user`: the signed-in user's own credential (the one the identity source returned) is sent to this API
   * too — for APIs that accept the same sign-in; `{ headers }`: these headers, for every user alike.
   */
  credential: 'user' | { headers: Record<string, string> };
}

export type Plugin = (api: PluginApi) => void | Promise<void>;
