/**
 * @module config/serve
 * The settings `portico serve` runs with, from flags and `PORTICO_*` environment variables (flags win),
 * checked against one TypeBox schema. A wrong value is refused with the variable's name, what was
 * expected and what was given, before anything starts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

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
  toolsPageSize: Type.Integer({ minimum: 1, default: 500, description: 'Tools per tools/list page (clients follow nextCursor)' }),
  auth: Type.Union([Type.Literal('oauth'), Type.Literal('none')], { default: 'oauth', description: 'oauth: users sign in through Portico and each call uses their own credential; none: /mcp is open and every call uses PORTICO_UPSTREAM_HEADERS (local use only)' }),
  databaseUrl: Type.Optional(Type.String({ description: 'Where state is kept: a SQLite path (sqlite:/file:/plain path) or postgres://… [./data/portico.db]' })),
  secretFile: Type.Optional(Type.String({ description: 'File holding the server secret (32+ characters) that seals upstream credentials; required with PostgreSQL so every instance shares it [generated next to the SQLite file]' })),
  brandName: Type.String({ default: 'Portico', description: 'Name shown on the sign-in and consent pages' }),
  brandLogoUrl: Type.Optional(Type.String({ description: 'Logo shown on the sign-in pages (https URL)' })),
  loginPath: Type.String({ default: '/auth/login', description: "The API's login endpoint, relative to the upstream URL (or absolute)" }),
  loginUsernameField: Type.String({ default: 'username', description: 'JSON field the login endpoint reads the username from' }),
  loginPasswordField: Type.String({ default: 'password', description: 'JSON field the login endpoint reads the password from' }),
  loginTokenField: Type.String({ default: 'token', description: "Dotted path of the user's API token in the login answer" }),
  loginExpiresField: Type.String({ default: 'expires_at', description: 'Dotted path of the token expiry in the login answer (ISO date or epoch)' }),
  loginRoleField: Type.String({ default: 'role', description: "Dotted path of the user's role in the login answer" }),
  loginUserIdField: Type.String({ default: 'user.id', description: "Dotted path of the user's id in the login answer [the username]" }),
  loginUserNameField: Type.String({ default: 'user.email', description: "Dotted path of the user's display name in the login answer [the username]" }),
  loginRoles: Type.Record(Type.String(), Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin')]), { default: { owner: 'admin', admin: 'admin', developer: 'write', editor: 'write', member: 'write', viewer: 'read', reader: 'read' }, description: 'Role → highest scope the user may grant ("owner=admin,developer=write,viewer=read"); unlisted roles get read' }),
  loginDefaultScope: Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin')], { default: 'admin', description: 'Highest scope when the login answer names no role (the API still checks every call)' }),
  upstreamCredential: Type.String({ default: 'Authorization: Bearer {token}', description: "How the user's token is sent upstream" }),
  accessTokenTtl: Type.Integer({ minimum: 60, maximum: 86_400, default: 3600, description: 'Lifetime of access tokens (seconds)' }),
  refreshTokenTtl: Type.Integer({ minimum: 3600, default: 30 * 86_400, description: 'Lifetime of refresh tokens (seconds)' }),
  toolsListed: Type.Union([Type.Literal('allowed'), Type.Literal('all')], { default: 'allowed', description: "allowed: tools/list shows only the tools the token's scopes allow; all: every tool, the locked ones marked" }),
  scopeDenial: Type.Union([Type.Literal('challenge'), Type.Literal('tool-error')], { default: 'challenge', description: 'A call beyond the token\'s scopes: challenge = HTTP 403 insufficient_scope (clients can step up); tool-error = a tool result naming the scope' }),
  plugins: Type.String({ default: './plugins', description: 'Folder of plugin files (.ts or .js) loaded at start' }),
  pluginOrder: Type.Array(Type.String(), { default: [], description: 'Plugin files to load, in this order (file names in the plugin folder) [every file, sorted by name]' }),
  auditArguments: Type.Union([Type.Literal('all'), Type.Literal('names'), Type.Literal('none')], { default: 'all', description: 'What the audit log keeps of tool arguments: all (sensitive names redacted), names only, or none' }),
  auditRedact: Type.Array(Type.String(), { default: ['password', 'secret', 'token', 'key', 'authorization', 'credential', 'cookie', 'session'], description: 'Argument names (substrings) whose values the audit log blanks' }),
  logLevel: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], { default: 'info', description: 'Least severe log level written (JSON lines on stderr)' }),
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
  toolsPageSize: 'PORTICO_TOOLS_PAGE_SIZE',
  auth: 'PORTICO_AUTH',
  databaseUrl: 'PORTICO_DATABASE_URL',
  secretFile: 'PORTICO_SECRET_FILE',
  brandName: 'PORTICO_BRAND_NAME',
  brandLogoUrl: 'PORTICO_BRAND_LOGO_URL',
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
  accessTokenTtl: 'PORTICO_ACCESS_TOKEN_TTL',
  refreshTokenTtl: 'PORTICO_REFRESH_TOKEN_TTL',
  toolsListed: 'PORTICO_TOOLS_LISTED',
  scopeDenial: 'PORTICO_SCOPE_DENIAL',
  plugins: 'PORTICO_PLUGINS',
  pluginOrder: 'PORTICO_PLUGIN_ORDER',
  auditArguments: 'PORTICO_AUDIT_ARGUMENTS',
  auditRedact: 'PORTICO_AUDIT_REDACT',
  logLevel: 'PORTICO_LOG_LEVEL',
};

export const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads the configuration. `flags` are `--kebab-case value` pairs already split by the caller;
 * `env` is usually `process.env`.
 */
export function readServeConfig(flags: Readonly<Record<string, string>>, env: Readonly<Record<string, string | undefined>>): ServeConfig {
  const raw: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  for (const key of Object.keys(ENV_NAMES) as Key[]) {
    const flag = flagName(key);
    const fromFlag = flags[flag];
    const fromEnv = env[ENV_NAMES[key]];
    const [text, source] = fromFlag !== undefined ? [fromFlag, flag] : fromEnv !== undefined && fromEnv !== '' ? [fromEnv, ENV_NAMES[key]] : [undefined, ''];
    if (text === undefined) continue;
    raw[key] = coerce(key, text, source);
    sources[key] = source;
  }
  for (const flag of Object.keys(flags)) {
    if (!(Object.keys(ENV_NAMES) as Key[]).some((key) => flagName(key) === flag)) throw new ConfigError(`unknown option "${flag}"`);
  }
  const config = Value.Default(ServeConfigSchema, structuredClone(raw)) as Record<string, unknown>;
  // Value.Default merges a default record into a given one: a given record replaces the default instead
  for (const key of Object.keys(raw)) config[key] = raw[key];
  const [first] = Value.Errors(ServeConfigSchema, config);
  if (first) {
    const key = first.path.split('/')[1] as Key | undefined;
    if (key && raw[key] === undefined) throw new ConfigError(`${ENV_NAMES[key]} (or ${flagName(key)}) is required: ${ServeConfigSchema.properties[key].description ?? ''}`);
    const where = key ? (sources[key] ?? ENV_NAMES[key]) : 'the configuration';
    throw new ConfigError(`${where}: ${first.message} (got ${JSON.stringify(first.value)})`);
  }
  const parsed = config as ServeConfig;
  checkUrl(parsed.upstream, sources.upstream ?? ENV_NAMES.upstream);
  if (parsed.publicUrl) checkUrl(parsed.publicUrl, sources.publicUrl ?? ENV_NAMES.publicUrl);
  if (parsed.brandLogoUrl && !/^https:\/\//.test(parsed.brandLogoUrl)) throw new ConfigError(`${sources.brandLogoUrl}: the logo must be an https URL, got "${parsed.brandLogoUrl}"`);
  if (parsed.auth === 'oauth' && Object.keys(parsed.upstreamHeaders).length > 0) {
    throw new ConfigError(`${sources.upstreamHeaders ?? ENV_NAMES.upstreamHeaders} is a shared credential, but with PORTICO_AUTH=oauth every call uses the signed-in user's own; drop it, or set PORTICO_AUTH=none`);
  }
  return parsed;
}

function coerce(key: Key, text: string, source: string): unknown {
  const schema = ServeConfigSchema.properties[key] as { type?: string };
  switch (schema.type) {
    case 'integer': {
      const value = Number(text);
      if (!/^-?\d+$/.test(text.trim())) throw new ConfigError(`${source} must be an integer, got "${text}"`);
      return value;
    }
    case 'boolean':
      if (/^(true|1|yes)$/i.test(text)) return true;
      if (/^(false|0|no)$/i.test(text)) return false;
      throw new ConfigError(`${source} must be true or false, got "${text}"`);
    case 'array':
      return text.split(',').map((item) => item.trim()).filter(Boolean);
    default:
      if (key === 'upstreamHeaders') return parseHeaders(text, source);
      if (key === 'loginRoles') return parsePairs(text, source);
      return text;
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

function checkUrl(value: string, source: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${source} must be an absolute http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${source} must be an http(s) URL, got "${value}"`);
}
