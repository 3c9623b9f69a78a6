/**
 * @module config/serve
 * The settings `portico serve` runs with, from flags, `PORTICO_*` environment variables (or `PORTICO_*_FILE`,
 * naming a file that holds the value) and a config file (`portico.json` / `portico.yaml`, or `--config`), in that
 * order of precedence, checked against one TypeBox schema. A wrong value is refused with the setting's name, where
 * it came from, what was expected and what was given, before anything starts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './errors';
import { locateConfigFile, readConfigFile } from './file';
import { didYouMean } from './suggest';
import { checkUrl, mismatch, misfit } from './values';

export const ServeConfigSchema = Type.Object({
  upstream: Type.String({ description: 'Base URL of the API, e.g. https://api.example.com/v1' }),
  spec: Type.Optional(Type.String({ description: 'Path or URL of the OpenAPI document [discovered from the upstream]' })),
  host: Type.String({ default: '127.0.0.1', description: 'Address to listen on' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8787, description: 'Port to listen on' }),
  publicUrl: Type.Optional(Type.String({ description: 'The URL clients reach Portico at [http://localhost:PORT]' })),
  specTtl: Type.Integer({ minimum: 0, default: 300, description: 'Seconds between refreshes of the OpenAPI document (0: never)' }),
  mcpMode: Type.Union([Type.Literal('stateful'), Type.Literal('stateless')], { default: 'stateful', description: 'MCP sessions, or stateless JSON for scale-out' }),
  allowedOrigins: Type.Array(Type.String(), { default: [], description: 'Browser origins allowed to call /mcp (CORS)' }),
  allowedHosts: Type.Array(Type.String(), { default: [], description: 'Extra Host headers accepted besides the public URL\'s and localhost' }),
  upstreamHeaders: Type.Record(Type.String(), Type.String(), { default: {}, description: 'Headers sent upstream on every call, e.g. an API key ("Name: value; Name2: value")' }),
  maxToolNameLength: Type.Integer({ minimum: 16, maximum: 64, default: 64, description: 'Longest tool name' }),
  allowRemoteRefs: Type.Boolean({ default: false, description: 'Follow $refs to other hosts' }),
  upstreamTimeoutMs: Type.Integer({ minimum: 1, default: 30_000, description: 'Deadline for one upstream call, retries included (ms)' }),
  maxResponseBytes: Type.Integer({ minimum: 1024, default: 1_048_576, description: 'Largest upstream response passed on; the rest is cut with a note' }),
  maxRequestBytes: Type.Integer({ minimum: 1024, default: 1_048_576, description: 'Largest request body accepted on /mcp' }),
  sessionIdleSeconds: Type.Integer({ minimum: 1, default: 1800, description: 'An MCP session unused this long is closed' }),
  maxSessionsPerToken: Type.Integer({ minimum: 1, default: 16, description: 'MCP sessions one token (its grant) may have open at once, per instance; opening one more closes its least recently used (without sign-in every client counts as one). Also the most MCP 2026-07-28 subscriptions/listen streams it may hold open at once' }),
  maxSessions: Type.Integer({ minimum: 1, default: 10_000, description: 'MCP sessions open at once in all, per instance; opening one more closes the least recently used' }),
  toolsPageSize: Type.Integer({ minimum: 1, default: 500, description: 'Tools per tools/list page (clients follow nextCursor)' }),
  auth: Type.Union([Type.Literal('oauth'), Type.Literal('none')], { default: 'oauth', description: 'oauth: users sign in through Portico and each call uses their own credential; none: /mcp is open and every call uses PORTICO_UPSTREAM_HEADERS (local use only)' }),
  databaseUrl: Type.Optional(Type.String({ description: 'Where state is kept: a SQLite path (sqlite:/file:/plain path) or postgres://… [./data/portico.db]' })),
  tokenCache: Type.Integer({ minimum: 0, maximum: 300, default: 10, description: 'Seconds an instance may trust an access token it already checked without asking the database. Its own revocations apply at once, other instances\' within milliseconds (PostgreSQL: LISTEN/NOTIFY; SQLite: another process on the file within 50 ms); this bounds the wait should an announcement be lost (0: ask the database on every request)' }),
  sweepMinutes: Type.Number({ minimum: 0, maximum: 1440, default: 10, description: 'Minutes between housekeeping passes, which delete expired tokens, codes, throttle windows and browser sessions, and audit entries past PORTICO_AUDIT_RETENTION_DAYS, in small batches; with PostgreSQL one instance at a time (fractions allowed, 0.5 = 30 s; 0: never)' }),
  secretFile: Type.Optional(Type.String({ description: 'File holding the server secret (32+ characters) that seals upstream credentials and the state of MCP 2026-07-28 requests between rounds; required with PostgreSQL so every instance shares it [generated next to the SQLite file]' })),
  brandName: Type.String({ default: 'Portico', description: 'Name shown on the sign-in and consent pages' }),
  brandLogoUrl: Type.Optional(Type.String({ description: 'Logo shown on the sign-in pages (https URL)' })),
  productName: Type.Optional(Type.String({ description: 'Whose account users sign in with, as the sign-in and consent pages name it ("Use your … account") [the brand name]' })),
  signInHint: Type.Optional(Type.String({ description: 'A line on the sign-in page saying which account to use, e.g. "The email and password you use at app.acme.example" [none]' })),
  loginPath: Type.String({ default: '/auth/login', description: "The API's login endpoint, relative to the upstream URL (or absolute)" }),
  loginUsernameField: Type.String({ default: 'username', description: "JSON field the login endpoint reads the username from; unset: the one the login operation's request body in the API's document names (email, username, login…), else username" }),
  loginPasswordField: Type.String({ default: 'password', description: "JSON field the login endpoint reads the password from; unset: the one the login operation's request body in the API's document names, else password" }),
  loginTokenField: Type.String({ default: 'token', description: "Dotted path of the user's API token in the login answer" }),
  loginExpiresField: Type.String({ default: 'expires_at', description: 'Dotted path of the token expiry in the login answer (ISO date or epoch)' }),
  loginRoleField: Type.String({ default: 'role', description: "Dotted path of the user's role in the login answer" }),
  loginUserIdField: Type.String({ default: 'user.id', description: "Dotted path of the user's id in the login answer [the username]" }),
  loginUserNameField: Type.String({ default: 'user.email', description: "Dotted path of the user's display name in the login answer [the username]" }),
  loginRoles: Type.Record(Type.String(), Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin')]), { default: { owner: 'admin', admin: 'admin', developer: 'write', editor: 'write', member: 'write', viewer: 'read', reader: 'read' }, description: 'Role → highest scope the user may grant ("owner=admin,developer=write,viewer=read"); unlisted roles get read' }),
  loginDefaultScope: Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin')], { default: 'admin', description: 'Highest scope when the login answer names no role (the API still checks every call)' }),
  upstreamCredential: Type.String({ default: 'Authorization: Bearer {token}', description: "How the user's token is sent upstream" }),
  credentialOperations: Type.Optional(Type.Array(Type.String(), { description: 'Operations that issue credentials (API keys, tokens), as "METHOD /path" or operationIds: never offered as tools, like the login operation and every operation marked x-portico-credentials: true [none besides those]' })),
  oidcIssuer: Type.Optional(Type.String({ description: 'Sign-in through an OpenID provider: its issuer URL (discovery), e.g. https://accounts.google.com [off]' })),
  oidcClientId: Type.Optional(Type.String({ description: "Portico's client id at the OpenID provider" })),
  oidcClientSecret: Type.Optional(Type.String({ description: "Portico's client secret at the OpenID provider (none: a public client, PKCE only)" })),
  oidcName: Type.Optional(Type.String({ description: 'The provider as the sign-in button names it ("Continue with …") [from the issuer: Google, Microsoft, …]' })),
  oidcScopes: Type.String({ default: 'openid email profile', description: 'Scopes asked of the OpenID provider' }),
  oidcExchangePath: Type.String({ default: '/auth/oidc', description: "The API's endpoint that takes the provider's ID token and answers with the user's API token (read like the login answer)" }),
  oidcExchangeField: Type.String({ default: 'id_token', description: 'JSON field the exchange endpoint reads the ID token from' }),
  appLoginUrl: Type.Optional(Type.String({ description: "Sign-in on the app's own login page (MFA, passkeys, SSO): its URL, sent return_to and state; it sends the browser back with a one-time code [off]" })),
  appLoginName: Type.Optional(Type.String({ description: 'The app as the sign-in button names it ("Sign in with …") [PORTICO_PRODUCT_NAME, else the brand name]' })),
  upstreamOauthIssuer: Type.Optional(Type.String({ description: "Sign-in through the API's own OAuth authorization server (chained: GitHub, Slack…): its issuer URL, for discovery [off]" })),
  upstreamOauthAuthorizeUrl: Type.Optional(Type.String({ description: "The API's authorization endpoint, when it publishes no discovery document (e.g. https://github.com/login/oauth/authorize)" })),
  upstreamOauthTokenUrl: Type.Optional(Type.String({ description: "The API's token endpoint, when it publishes no discovery document" })),
  upstreamOauthRevokeUrl: Type.Optional(Type.String({ description: "The API's revocation endpoint (RFC 7009), when it publishes no discovery document [none: nothing is revoked upstream]" })),
  upstreamOauthClientId: Type.Optional(Type.String({ description: "Portico's client id at the API's authorization server" })),
  upstreamOauthClientSecret: Type.Optional(Type.String({ description: "Portico's client secret at the API's authorization server" })),
  upstreamOauthScopes: Type.String({ default: '', description: "Scopes asked of the API's authorization server (space-separated)" }),
  upstreamOauthName: Type.Optional(Type.String({ description: 'The API as the sign-in button names it ("Continue with …") [PORTICO_PRODUCT_NAME, else the brand name]' })),
  upstreamOauthUserPath: Type.String({ default: '/user', description: "The API's endpoint that answers who the token's user is (relative to the upstream URL)" }),
  upstreamOauthUserIdField: Type.String({ default: 'id', description: "Dotted path of the user's id in that answer" }),
  upstreamOauthUserNameField: Type.String({ default: 'login', description: "Dotted path of the user's display name in that answer" }),
  upstreamOauthRoleField: Type.String({ default: 'role', description: "Dotted path of the user's role in that answer (mapped by PORTICO_LOGIN_ROLES; absent: PORTICO_LOGIN_DEFAULT_SCOPE)" }),
  passwordSignIn: Type.Boolean({ default: true, description: "Offer the password form (the API's login endpoint); false: only the other sign-in methods' buttons" }),
  appRedeemPath: Type.String({ default: '/auth/portico/redeem', description: "The API's endpoint that takes {code, redirect_uri} and answers with the user's API token (read like the login answer)" }),
  accessTokenTtl: Type.Integer({ minimum: 60, maximum: 86_400, default: 3600, description: 'Lifetime of access tokens (seconds)' }),
  refreshTokenTtl: Type.Integer({ minimum: 3600, default: 30 * 86_400, description: 'Lifetime of refresh tokens (seconds)' }),
  toolMode: Type.Union([Type.Literal('all'), Type.Literal('toolsets'), Type.Literal('discover'), Type.Literal('code'), Type.Literal('auto')], {
    default: 'auto',
    description:
      'What tools/list offers: all = every operation as a tool; toolsets = only the toolsets (tags) the MCP URL names, /mcp?toolsets=a,b, which it must; discover = three tools that search, describe and call the operations (for APIs too large to list); code = search and execute, a program that calls the operations in a sandbox; auto = all up to --tool-mode-threshold tools, discover above',
  }),
  toolModeThreshold: Type.Integer({ minimum: 1, default: 80, description: 'With --tool-mode auto: the most tools listed one by one; a larger catalog is served in discover mode' }),
  codeTimeout: Type.Integer({ minimum: 1, maximum: 600, default: 30, description: 'Code mode: the longest one program may take in all, waiting for the API included (seconds)' }),
  codeCpuMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 5000, description: 'Code mode: the computing time one program may use (milliseconds): an endless loop ends there' }),
  codeMemoryMb: Type.Integer({ minimum: 8, maximum: 1024, default: 64, description: "Code mode: the memory one program's interpreter may use (MiB)" }),
  codeMaxCalls: Type.Integer({ minimum: 1, maximum: 10_000, default: 50, description: 'Code mode: the most operations one program may call' }),
  codeWorkers: Type.Integer({ minimum: 1, maximum: 64, default: 2, description: 'Code mode: how many programs run at once (a worker thread each; 16 more may wait)' }),
  answerBudget: Type.Integer({ minimum: 1000, maximum: 1_000_000, default: 20_000, description: "Tokens of a tool's answer that go into the agent's context (estimated at 2 bytes a token); a larger answer is shortened, still valid JSON, saying what was left out, with a link to the whole answer (Claude Code cuts at 25,000)" }),
  answerBudgets: Type.Record(Type.String(), Type.Integer({ minimum: 1000, maximum: 1_000_000 }), { default: {}, description: 'Budgets of single tools, in tokens ("list_databases=40000,get_logs=5000")' }),
  answerTtlMinutes: Type.Integer({ minimum: 1, maximum: 1440, default: 15, description: 'Minutes the whole answer of a shortened call (and a file an API answered) stays readable, by the connection that made the call' }),
  toolsListed: Type.Union([Type.Literal('allowed'), Type.Literal('all')], { default: 'allowed', description: "allowed: tools/list shows only the tools the token's scopes allow; all: every tool, the locked ones marked" }),
  scopeDenial: Type.Union([Type.Literal('challenge'), Type.Literal('tool-error')], { default: 'challenge', description: 'A call beyond the token\'s scopes: challenge = HTTP 403 insufficient_scope when the user\'s role allows that scope (clients can step up), else a tool result saying why; tool-error = always a tool result naming the scope' }),
  plugins: Type.String({ default: './plugins', description: 'Folder of plugin files (.ts or .js) loaded at start' }),
  pluginOrder: Type.Array(Type.String(), { default: [], description: 'Plugin files to load, in this order (file names in the plugin folder) [every file, sorted by name]' }),
  pluginSettings: Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()), { default: {}, description: 'Settings per plugin, by file name without extension (JSON in the environment, an object in the config file)' }),
  auditArguments: Type.Union([Type.Literal('all'), Type.Literal('names'), Type.Literal('none')], { default: 'all', description: 'What the audit log keeps of tool arguments: all (sensitive names redacted), names only, or none' }),
  auditRedact: Type.Array(Type.String(), { default: ['password', 'secret', 'token', 'key', 'authorization', 'credential', 'cookie', 'session'], description: 'Argument names (substrings) whose values the audit log blanks' }),
  auditDurable: Type.Boolean({ default: false, description: 'Answer a tool call only once its audit entry is written (calls that end together share one commit); off: entries are written every 200 ms, so a process killed outright loses at most its last 200 ms of them' }),
  auditRetentionDays: Type.Integer({ minimum: 0, maximum: 36_500, default: 90, description: 'Days the audit log keeps an entry; the housekeeping (PORTICO_SWEEP_MINUTES) deletes older ones (0: kept forever)' }),
  logLevel: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], { default: 'info', description: 'Least severe log level written (JSON lines on stderr)' }),
  logFormat: Type.Union([Type.Literal('json'), Type.Literal('text')], { default: 'json', description: 'json: one JSON object per line, to ship and search; text: one readable line per event (what portico demo shows)' }),
  rateLimitMcp: Type.Integer({ minimum: 0, default: 600, description: 'JSON-RPC requests per minute one token (its grant) may send to /mcp, each request of a batch counted; 429 beyond. With PostgreSQL the instances count together, with SQLite per instance (0: no limit)' }),
  rateLimitIp: Type.Integer({ minimum: 0, default: 1200, description: 'Requests per minute one client address may send to /mcp (JSON-RPC requests, each of a batch counted) and the OAuth endpoints; 429 beyond. With PostgreSQL the instances count together, with SQLite per instance (0: no limit)' }),
  rateLimitLoopback: Type.Boolean({ default: false, description: 'Apply PORTICO_RATE_LIMIT_IP to loopback addresses too (off: a reverse proxy on this host would put every user in one bucket)' }),
  trustedProxies: Type.Array(Type.String(), { default: [], description: 'Addresses or CIDR blocks of the proxies in front of Portico (e.g. 10.0.0.0/8,127.0.0.1): only from them are X-Forwarded-For and Forwarded believed, so rate limits and sign-in throttles see each client\'s own address [none: the socket\'s address]' }),
  metricsToken: Type.Optional(Type.String({ description: 'Bearer token that may read /metrics (from any address) [no token: only loopback addresses may read it]' })),
  shutdownSeconds: Type.Integer({ minimum: 0, default: 10, description: 'On SIGTERM/SIGINT, how long in-flight requests may take to finish before they are cut' }),
});

export type ServeConfig = Static<typeof ServeConfigSchema>;
type Key = keyof ServeConfig;

/** Environment variable for each setting; the flag is the kebab-case key (`--public-url`). */
export const ENV_NAMES: Record<Key, string> = {
  upstream: 'PORTICO_UPSTREAM',
  spec: 'PORTICO_SPEC',
  host: 'PORTICO_HOST',
  port: 'PORTICO_PORT',
  publicUrl: 'PORTICO_PUBLIC_URL',
  specTtl: 'PORTICO_SPEC_TTL',
  mcpMode: 'PORTICO_MCP_MODE',
  allowedOrigins: 'PORTICO_ALLOWED_ORIGINS',
  allowedHosts: 'PORTICO_ALLOWED_HOSTS',
  upstreamHeaders: 'PORTICO_UPSTREAM_HEADERS',
  maxToolNameLength: 'PORTICO_MAX_TOOL_NAME_LENGTH',
  allowRemoteRefs: 'PORTICO_ALLOW_REMOTE_REFS',
  upstreamTimeoutMs: 'PORTICO_UPSTREAM_TIMEOUT_MS',
  maxResponseBytes: 'PORTICO_MAX_RESPONSE_BYTES',
  maxRequestBytes: 'PORTICO_MAX_REQUEST_BYTES',
  sessionIdleSeconds: 'PORTICO_SESSION_IDLE_SECONDS',
  maxSessionsPerToken: 'PORTICO_MAX_SESSIONS_PER_TOKEN',
  maxSessions: 'PORTICO_MAX_SESSIONS',
  toolsPageSize: 'PORTICO_TOOLS_PAGE_SIZE',
  auth: 'PORTICO_AUTH',
  databaseUrl: 'PORTICO_DATABASE_URL',
  tokenCache: 'PORTICO_TOKEN_CACHE',
  sweepMinutes: 'PORTICO_SWEEP_MINUTES',
  secretFile: 'PORTICO_SECRET_FILE',
  brandName: 'PORTICO_BRAND_NAME',
  brandLogoUrl: 'PORTICO_BRAND_LOGO_URL',
  productName: 'PORTICO_PRODUCT_NAME',
  signInHint: 'PORTICO_SIGN_IN_HINT',
  loginPath: 'PORTICO_LOGIN_PATH',
  loginUsernameField: 'PORTICO_LOGIN_USERNAME_FIELD',
  loginPasswordField: 'PORTICO_LOGIN_PASSWORD_FIELD',
  loginTokenField: 'PORTICO_LOGIN_TOKEN_FIELD',
  loginExpiresField: 'PORTICO_LOGIN_EXPIRES_FIELD',
  loginRoleField: 'PORTICO_LOGIN_ROLE_FIELD',
  loginUserIdField: 'PORTICO_LOGIN_USER_ID_FIELD',
  loginUserNameField: 'PORTICO_LOGIN_USER_NAME_FIELD',
  loginRoles: 'PORTICO_LOGIN_ROLES',
  loginDefaultScope: 'PORTICO_LOGIN_DEFAULT_SCOPE',
  upstreamCredential: 'PORTICO_UPSTREAM_CREDENTIAL',
  credentialOperations: 'PORTICO_CREDENTIAL_OPERATIONS',
  oidcIssuer: 'PORTICO_OIDC_ISSUER',
  oidcClientId: 'PORTICO_OIDC_CLIENT_ID',
  oidcClientSecret: 'PORTICO_OIDC_CLIENT_SECRET',
  oidcName: 'PORTICO_OIDC_NAME',
  oidcScopes: 'PORTICO_OIDC_SCOPES',
  oidcExchangePath: 'PORTICO_OIDC_EXCHANGE_PATH',
  oidcExchangeField: 'PORTICO_OIDC_EXCHANGE_FIELD',
  appLoginUrl: 'PORTICO_APP_LOGIN_URL',
  appLoginName: 'PORTICO_APP_LOGIN_NAME',
  appRedeemPath: 'PORTICO_APP_REDEEM_PATH',
  passwordSignIn: 'PORTICO_PASSWORD_SIGN_IN',
  upstreamOauthIssuer: 'PORTICO_UPSTREAM_OAUTH_ISSUER',
  upstreamOauthAuthorizeUrl: 'PORTICO_UPSTREAM_OAUTH_AUTHORIZE_URL',
  upstreamOauthTokenUrl: 'PORTICO_UPSTREAM_OAUTH_TOKEN_URL',
  upstreamOauthRevokeUrl: 'PORTICO_UPSTREAM_OAUTH_REVOKE_URL',
  upstreamOauthClientId: 'PORTICO_UPSTREAM_OAUTH_CLIENT_ID',
  upstreamOauthClientSecret: 'PORTICO_UPSTREAM_OAUTH_CLIENT_SECRET',
  upstreamOauthScopes: 'PORTICO_UPSTREAM_OAUTH_SCOPES',
  upstreamOauthName: 'PORTICO_UPSTREAM_OAUTH_NAME',
  upstreamOauthUserPath: 'PORTICO_UPSTREAM_OAUTH_USER_PATH',
  upstreamOauthUserIdField: 'PORTICO_UPSTREAM_OAUTH_USER_ID_FIELD',
  upstreamOauthUserNameField: 'PORTICO_UPSTREAM_OAUTH_USER_NAME_FIELD',
  upstreamOauthRoleField: 'PORTICO_UPSTREAM_OAUTH_ROLE_FIELD',
  accessTokenTtl: 'PORTICO_ACCESS_TOKEN_TTL',
  refreshTokenTtl: 'PORTICO_REFRESH_TOKEN_TTL',
  toolMode: 'PORTICO_TOOL_MODE',
  toolModeThreshold: 'PORTICO_TOOL_MODE_THRESHOLD',
  codeTimeout: 'PORTICO_CODE_TIMEOUT',
  codeCpuMs: 'PORTICO_CODE_CPU_MS',
  codeMemoryMb: 'PORTICO_CODE_MEMORY_MB',
  codeMaxCalls: 'PORTICO_CODE_MAX_CALLS',
  answerBudget: 'PORTICO_ANSWER_BUDGET',
  answerBudgets: 'PORTICO_ANSWER_BUDGETS',
  answerTtlMinutes: 'PORTICO_ANSWER_TTL_MINUTES',
  codeWorkers: 'PORTICO_CODE_WORKERS',
  toolsListed: 'PORTICO_TOOLS_LISTED',
  scopeDenial: 'PORTICO_SCOPE_DENIAL',
  plugins: 'PORTICO_PLUGINS',
  pluginOrder: 'PORTICO_PLUGIN_ORDER',
  pluginSettings: 'PORTICO_PLUGIN_SETTINGS',
  auditArguments: 'PORTICO_AUDIT_ARGUMENTS',
  auditRedact: 'PORTICO_AUDIT_REDACT',
  auditDurable: 'PORTICO_AUDIT_DURABLE',
  auditRetentionDays: 'PORTICO_AUDIT_RETENTION_DAYS',
  logLevel: 'PORTICO_LOG_LEVEL',
  logFormat: 'PORTICO_LOG_FORMAT',
  rateLimitMcp: 'PORTICO_RATE_LIMIT_MCP',
  rateLimitIp: 'PORTICO_RATE_LIMIT_IP',
  rateLimitLoopback: 'PORTICO_RATE_LIMIT_LOOPBACK',
  trustedProxies: 'PORTICO_TRUSTED_PROXIES',
  metricsToken: 'PORTICO_METRICS_TOKEN',
  shutdownSeconds: 'PORTICO_SHUTDOWN_SECONDS',
};

export const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export { ConfigError };

/** Names the config file to read instead of ./portico.json or ./portico.yaml (`PORTICO_CONFIG` likewise). */
export const CONFIG_FLAG = '--config';
export const CONFIG_ENV = 'PORTICO_CONFIG';

/**
 * `PORTICO_<NAME>_FILE`: the setting is that file's content (trimmed), so secrets stay out of the environment.
 * Undefined for a setting whose `_FILE` name is already another setting's variable.
 */
export function fileVariant(key: Key): string | undefined {
  const name = `${ENV_NAMES[key]}_FILE`;
  return Object.values(ENV_NAMES).includes(name) ? undefined : name;
}

/** Settings whose values a message never repeats (credentials, URLs that may carry a password, plugin settings). */
const isSecret = (key: string) => /headers$|password$|secret$|token$|key$|url$|settings$/i.test(key);

export interface ReadOptions {
  /**
   * The folder the default config file is looked for in; relative paths (`--config`, `*_FILE`) are resolved
   * against it.
   * @default process.cwd()
   */
  readonly cwd?: string;
}

/** The configuration and where each given setting came from. */
export interface LoadedServeConfig {
  readonly config: ServeConfig;
  /** The config file that was read, as given (or the default file's name). */
  readonly file?: string;
  /** Each setting not left at its default: the flag, the variable, or `portico.yaml: "key"`. */
  readonly sources: Readonly<Partial<Record<Key, string>>>;
}

/**
 * Reads the configuration: flags, then the environment (`PORTICO_X`, or `PORTICO_X_FILE`), then the config file,
 * then the defaults. `flags` are `--kebab-case value` pairs already split by the caller; `env` is usually
 * `process.env`.
 */
export function readServeConfig(flags: Readonly<Record<string, string>>, env: Readonly<Record<string, string | undefined>>, options: ReadOptions = {}): ServeConfig {
  return loadServeConfig(flags, env, options).config;
}

/**
 * One setting as `serve` would see it — flag, `PORTICO_*` variable (or `_FILE`), config file — without checking
 * the rest, for commands that need only it (`portico audit` and the database). Undefined when none gives it.
 */
export function readSetting<K extends Key>(key: K, flags: Readonly<Record<string, string>>, env: Readonly<Record<string, string | undefined>>, options: ReadOptions = {}): ServeConfig[K] | undefined {
  const cwd = options.cwd ?? process.cwd();
  const given = flagOrEnvironment(key, flags, env, cwd);
  if (given) return coerce(key, given.text, given.source) as ServeConfig[K];
  return configFile(flags, env, cwd)?.values[key] as ServeConfig[K] | undefined;
}

/** The config file `--config` or PORTICO_CONFIG names, else the one found in `cwd`, read; undefined when there is none. */
function configFile(flags: Readonly<Record<string, string>>, env: Readonly<Record<string, string | undefined>>, cwd: string) {
  const named = flags[CONFIG_FLAG] !== undefined ? { path: flags[CONFIG_FLAG], source: CONFIG_FLAG } : env[CONFIG_ENV] ? { path: env[CONFIG_ENV], source: CONFIG_ENV } : undefined;
  const located = locateConfigFile(named, cwd);
  return located ? readConfigFile(located, ServeConfigSchema.properties, isSecret) : undefined;
}

/** {@link readServeConfig}, also telling where each setting came from. */
export function loadServeConfig(flags: Readonly<Record<string, string>>, env: Readonly<Record<string, string | undefined>>, options: ReadOptions = {}): LoadedServeConfig {
  const cwd = options.cwd ?? process.cwd();
  const keys = Object.keys(ENV_NAMES) as Key[];
  const known = [...keys.map(flagName), CONFIG_FLAG];
  for (const flag of Object.keys(flags)) {
    if (!known.includes(flag)) throw new ConfigError(`unknown option "${flag}"${didYouMean(flag, known)}`);
  }
  const file = configFile(flags, env, cwd);

  const raw: Record<string, unknown> = {};
  const sources: Partial<Record<Key, string>> = {};
  for (const key of keys) {
    const given = flagOrEnvironment(key, flags, env, cwd);
    if (given) {
      raw[key] = coerce(key, given.text, given.source);
      sources[key] = given.source;
    } else if (file?.values[key] !== undefined) {
      raw[key] = structuredClone(file.values[key]);
      sources[key] = `${file.label}: "${key}"`;
    }
  }
  const config = Value.Default(ServeConfigSchema, structuredClone(raw)) as Record<string, unknown>;
  // Value.Default merges a default record into a given one: a given record replaces the default instead
  for (const key of Object.keys(raw)) config[key] = raw[key];
  const where = (key: Key) => sources[key] ?? ENV_NAMES[key];
  for (const key of keys) {
    if (config[key] === undefined) {
      if (!(ServeConfigSchema.required as readonly string[]).includes(key)) continue;
      throw new ConfigError(`${ENV_NAMES[key]} (or ${flagName(key)}) is required: ${ServeConfigSchema.properties[key].description ?? ''} (in ${file?.label ?? 'a config file'}: "${key}")`);
    }
    const found = misfit(ServeConfigSchema.properties[key], config[key]);
    if (found) throw new ConfigError(`${found.path ? `${where(key)}: "${found.path}"` : where(key)} ${mismatch(found, isSecret(key))}`);
  }
  // Check first: Errors walks the schema as slowly when nothing is wrong (~4 ms of every start, against 1)
  const [first] = Value.Check(ServeConfigSchema, config) ? [] : Value.Errors(ServeConfigSchema, config);
  if (first) throw new ConfigError(`the configuration at ${first.path}: ${first.message}`);

  const parsed = config as ServeConfig;
  checkUrl(parsed.upstream, where('upstream'));
  if (parsed.publicUrl) checkUrl(parsed.publicUrl, where('publicUrl'));
  if (parsed.brandLogoUrl && !/^https:\/\//.test(parsed.brandLogoUrl)) throw new ConfigError(`${where('brandLogoUrl')} must be an https URL (the logo is shown on the sign-in pages), got "${parsed.brandLogoUrl}"`);
  if (parsed.auth === 'oauth' && Object.keys(parsed.upstreamHeaders).length > 0) {
    throw new ConfigError(
      `${where('upstreamHeaders')} is a shared credential, but with PORTICO_AUTH=oauth (${sources.auth ?? 'the default'}) every call uses the signed-in user's own; drop it, or set PORTICO_AUTH=none`,
    );
  }
  return { config: parsed, file: file?.label, sources };
}

/** The setting's text from its flag, its variable or its `_FILE` variable (giving both of those is an error). */
function flagOrEnvironment(key: Key, flags: Readonly<Record<string, string>>, env: Readonly<Record<string, string | undefined>>, cwd: string): { text: string; source: string } | undefined {
  const name = ENV_NAMES[key];
  const variant = fileVariant(key);
  const direct = env[name] || undefined;
  const path = (variant && env[variant]) || undefined;
  if (direct !== undefined && path !== undefined) throw new ConfigError(`${name} and ${variant} are both set: keep one (${variant} names a file holding the value)`);
  const flag = flagName(key);
  if (flags[flag] !== undefined) return { text: flags[flag], source: flag };
  if (direct !== undefined) return { text: direct, source: name };
  if (path !== undefined) return { text: readValueFile(path, variant!, cwd), source: variant! };
  return undefined;
}

const READ_FAILURES: Readonly<Record<string, string>> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'it is a folder', ENOTDIR: 'a part of the path is not a folder' };

/** A `_FILE` setting's value: the file's content without surrounding whitespace (the usual trailing newline). */
function readValueFile(path: string, variable: string, cwd: string): string {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new ConfigError(`${variable}: cannot read "${path}" (${READ_FAILURES[code] ?? (code || (error as Error).message)})`);
  }
  const value = text.trim();
  if (value === '') throw new ConfigError(`${variable}: "${path}" is empty`);
  return value;
}

function coerce(key: Key, text: string, source: string): unknown {
  const schema = ServeConfigSchema.properties[key] as { type?: string };
  switch (schema.type) {
    case 'integer': {
      const value = Number(text);
      if (!/^-?\d+$/.test(text.trim())) throw new ConfigError(`${source} must be an integer, got "${text}"`);
      return value;
    }
    case 'number':
      if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text.trim())) throw new ConfigError(`${source} must be a number, got "${text}"`);
      return Number(text);
    case 'boolean':
      if (/^(true|1|yes)$/i.test(text)) return true;
      if (/^(false|0|no)$/i.test(text)) return false;
      throw new ConfigError(`${source} must be true or false, got "${text}"`);
    case 'array':
      return text.split(',').map((item) => item.trim()).filter(Boolean);
    default:
      if (key === 'upstreamHeaders') return parseHeaders(text, source);
      if (key === 'loginRoles') return parsePairs(text, source);
      if (key === 'answerBudgets') return parseBudgets(text, source);
      if (key === 'pluginSettings') return parseJsonObject(text, source);
      return text;
  }
}

function parseJsonObject(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${source} must be a JSON object like {"rules": {"hide": ["delete_*"]}}: ${(error as Error).message}`);
  }
}

/** `Name: value; Other: value` → headers; values with CR/LF are refused (header injection). */
function parseHeaders(text: string, source: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const part of text.split(';').map((item) => item.trim()).filter(Boolean)) {
    const colon = part.indexOf(':');
    const name = part.slice(0, colon).trim();
    const value = part.slice(colon + 1).trim();
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(value)) {
      throw new ConfigError(`${source} must look like "Name: value; Other-Name: value", got a part "${part.replace(/:.*/, ': …')}"`);
    }
    headers[name] = value;
  }
  return headers;
}

/** `owner=admin,viewer=read` → a record (checked against the schema afterwards). */
function parsePairs(text: string, source: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const part of text.split(',').map((item) => item.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${source} must look like "role=scope,other=scope", got a part "${part}"`);
    pairs[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return pairs;
}

/** `list_databases=40000,get_logs=5000` → a record of numbers (their range checked against the schema afterwards). */
function parseBudgets(text: string, source: string): Record<string, number> {
  const budgets: Record<string, number> = {};
  for (const part of text.split(',').map((item) => item.trim()).filter(Boolean)) {
    const match = /^([^=\s]+)\s*=\s*(\d+)$/.exec(part);
    if (!match) throw new ConfigError(`${source} must look like "tool=tokens,other_tool=tokens" (e.g. list_databases=40000), got a part "${part}"`);
    if (Object.hasOwn(budgets, match[1]!)) throw new ConfigError(`${source} gives "${match[1]}" twice`);
    budgets[match[1]!] = Number(match[2]);
  }
  return budgets;
}
