/**
 * @module cli/check
 * `portico check`: everything `portico serve` would do before it listens, without listening. It reads the
 * configuration (the same flags, variables and config file), loads the OpenAPI document and builds the tools,
 * checks each sign-in method (an OpenID provider's discovery document fetched; the API's endpoints looked up in its
 * document), looks at the store without changing it (can it be reached or created, is its schema current) and the
 * server secret, and prints what would run. Exit 0 when `serve` would start, 1 when it would not, 2 on a usage error.
 */
import { Database } from 'bun:sqlite';
import { SQL } from 'bun';
import * as oauth from 'oauth4webapi';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { discoverSpec, loadCatalog, operationMatches, type Catalog, type Scope } from '../catalog';
import { DEFAULT_CONFIG_FILES } from '../config/file';
import { ConfigError, loadServeConfig, type LoadedServeConfig, type ServeConfig } from '../config/serve';
import { ClientAddresses } from '../http/client-address';
import { silentLogger } from '../log';
import { appLoginFrom, chainedFrom, endpointsOf, oidcFrom, publicUrlProblem, upstreamLoginFrom } from '../oauth';
import { loginFields, loginOperationRule } from '../oauth/login-fields';
import { providerName } from '../oauth/oidc';
import { nameLengthFor, servedCatalog, withheldFromCatalog } from '../gateway/sources';
import type { PluginHost } from '../plugins/host';
import { loadConfiguredPlugins } from '../plugins/load';
import { MIN_SECRET_LENGTH } from '../oauth/server-secret';
import { parseDatabaseUrl, schemaTooNew, type DatabaseTarget } from '../store';
import { LATEST_VERSION as POSTGRES_LATEST } from '../store/postgres/migrations';
import { translatePostgresError } from '../store/postgres/errors';
import { LATEST_VERSION as SQLITE_LATEST } from '../store/sqlite/migrations';
import { splitFlags } from './flags';
import { CHECK_USAGE, VERSION } from './usage';

/** What `check` found: labelled lines for the operator, notes, and the problems that would stop `serve`. */
export class CheckReport {
  readonly lines: [label: string, text: string][] = [];
  readonly notes: string[] = [];
  readonly problems: [label: string, message: string][] = [];

  line(label: string, text: string): void {
    this.lines.push([label, text]);
  }

  note(text: string): void {
    this.notes.push(text);
  }

  /** Something that would stop `serve` from starting (or working). */
  problem(label: string, message: string): void {
    this.lines.push([label, 'FAILED (see below)']);
    this.problems.push([label, message]);
  }

  /** What was checked (`text`, kept on its line), with the problems found in it. */
  failed(label: string, text: string, messages: readonly string[]): void {
    this.lines.push([label, `${text}\nFAILED (see below)`]);
    for (const message of messages) this.problems.push([label, message]);
  }

  render(): string {
    const width = Math.max(...this.lines.map(([label]) => label.length)) + 2;
    const body = this.lines.map(([label, text]) => `  ${label.padEnd(width)}${text.replaceAll('\n', `\n  ${' '.repeat(width)}`)}`);
    return `${body.join('\n')}\n${this.notes.map((note) => `  note: ${note}\n`).join('')}`;
  }
}

export async function runCheck(argv: string[], env: Record<string, string | undefined> = process.env, cwd: string = process.cwd()): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(CHECK_USAGE);
    return 0;
  }
  let loaded: LoadedServeConfig;
  try {
    loaded = loadServeConfig(splitFlags(argv), env, { cwd });
  } catch (error) {
    if (!(error instanceof ConfigError) && !(error instanceof Error && error.message.startsWith('unexpected argument'))) throw error;
    process.stderr.write(`portico check: ${error.message}\n\nRun "portico check --help" for the options.\n`);
    return 2;
  }
  const report = await check(loaded, cwd);
  process.stdout.write(`portico ${VERSION} would run with:\n${report.render()}`);
  if (report.problems.length > 0) {
    const count = report.problems.length === 1 ? 'a problem' : `${report.problems.length} problems`;
    process.stderr.write(`\nportico check: ${count}; "portico serve" would not start:\n${report.problems.map(([label, message]) => `  ${label}: ${message}\n`).join('')}`);
    return 1;
  }
  process.stdout.write(`\nAll checks passed: "portico serve" with this configuration would start.\n`);
  return 0;
}

/** Runs every check, in the order `serve` meets them. */
export async function check(loaded: LoadedServeConfig, cwd: string): Promise<CheckReport> {
  const { config } = loaded;
  const report = new CheckReport();
  report.line('configuration', sourcesOf(loaded, cwd));
  report.line('upstream', config.upstream);
  const catalog = await checkSpec(config, report);
  // loaded before sign-in is checked, as serve loads them: a plugin may be the identity source
  const plugins = await loadPlugins(config);
  await checkAuth(config, report, catalog, plugins);
  if (config.auth === 'oauth') {
    const target = databaseTarget(config, cwd, report);
    if (target) {
      await checkStore(target, report);
      checkSecret(config, target, report);
    }
  }
  checkAddresses(config, report);
  await checkPlugins(config, plugins, report);
  return report;
}

/** Which settings came from the config file, the environment and the flags (names only, never values). */
function sourcesOf(loaded: LoadedServeConfig, cwd: string): string {
  const given = Object.entries(loaded.sources) as [string, string][];
  const flags = given.filter(([, source]) => source.startsWith('--')).map(([, source]) => source);
  const variables = given.filter(([, source]) => source.startsWith('PORTICO_')).map(([, source]) => source);
  const fromFile = given.filter(([, source]) => loaded.file !== undefined && source.startsWith(`${loaded.file}: `)).map(([key]) => key);
  const parts = [
    loaded.file ? `${loaded.file} (${fromFile.join(', ') || 'no settings'})` : `no config file (none of ${DEFAULT_CONFIG_FILES.join(', ')} in ${cwd})`,
    variables.length ? `environment (${variables.join(', ')})` : '',
    flags.length ? `flags (${flags.join(', ')})` : '',
    'defaults for the rest',
  ];
  return parts.filter(Boolean).join('; ');
}

/** The catalog `serve` would build (its sign-in and credential operations withheld), or undefined when it cannot be built. */
async function checkSpec(config: ServeConfig, report: CheckReport): Promise<Catalog | undefined> {
  let source = config.spec;
  if (source === undefined) {
    try {
      source = await discoverSpec(config.upstream);
    } catch (error) {
      report.problem('spec', `cannot find the API's OpenAPI document: ${messageOf(error)}`);
      return undefined;
    }
  }
  let catalog: Catalog;
  try {
    ({ catalog } = await loadCatalog(source, { maxNameLength: config.maxToolNameLength, allowRemoteRefs: config.allowRemoteRefs, ...withheldFromCatalog(config), ...servedCatalog(config) }));
  } catch (error) {
    report.problem('spec', `cannot build tools from "${source}": ${messageOf(error)}`);
    return undefined;
  }
  const dialect = `${catalog.specVersion.startsWith('2') ? 'Swagger' : 'OpenAPI'} ${catalog.specVersion}`;
  const refresh = config.specTtl === 0 ? 'read once' : `re-read every ${config.specTtl} s`;
  report.line('spec', `${source}${config.spec === undefined ? ' (discovered at the upstream)' : ''}\n${catalog.title}${catalog.version ? ` ${catalog.version}` : ''} (${dialect}), ${catalog.operationCount} operations; ${refresh}`);
  const byScope: Record<Scope, number> = { read: 0, write: 0, admin: 0 };
  for (const entry of catalog.entries) byScope[entry.scope]++;
  const skipped = catalog.skipped.length ? `; ${catalog.skipped.length} operation${catalog.skipped.length === 1 ? '' : 's'} skipped` : '';
  report.line('tools', `${catalog.entries.length} (${(['read', 'write', 'admin'] as const).map((scope) => `${scope} ${byScope[scope]}`).join(', ')})${skipped}`);
  const shown = catalog.skipped.slice(0, 10);
  for (const item of shown) report.note(`skipped ${item.operation}: ${item.reason}`);
  if (catalog.skipped.length > shown.length) report.note(`… and ${catalog.skipped.length - shown.length} more skipped operations ("portico tools --spec ${source}" lists them all)`);
  for (const item of catalog.withheld) report.note(`withheld ${item.operation}: ${item.reason}`);
  for (const warning of catalog.warnings.filter((text) => text.startsWith('the credential operation '))) report.note(`${warning} (PORTICO_CREDENTIAL_OPERATIONS)`);
  if (catalog.entries.length === 0) report.note('the document yields no tools: MCP clients will see an empty list');
  return catalog;
}

async function checkAuth(config: ServeConfig, report: CheckReport, catalog: Catalog | undefined, plugins: LoadedPlugins): Promise<void> {
  if (config.auth === 'none') {
    const names = Object.keys(config.upstreamHeaders);
    report.line('auth', `none: /mcp is open, no sign-in; every call goes upstream ${names.length ? `with the shared header${names.length === 1 ? '' : 's'} ${names.join(', ')}` : 'without credentials'}`);
    if (!LOOPBACK.has(config.host)) report.note(`with auth none, anyone who can reach ${config.host}:${config.port} can call the API through /mcp: keep it behind your own access control`);
    return;
  }
  report.line('auth', "oauth: users sign in on Portico's pages; each call goes upstream with the user's own token");
  const identity = 'host' in plugins ? plugins.host.identity : undefined;
  if (!config.passwordSignIn) {
    // as createAuthorization refuses it
    if (!config.oidcIssuer && !config.appLoginUrl && !chainedConfigured(config)) report.problem('sign-in', 'PORTICO_PASSWORD_SIGN_IN=false leaves no way to sign in: configure PORTICO_OIDC_ISSUER, PORTICO_APP_LOGIN_URL or PORTICO_UPSTREAM_OAUTH_ISSUER, or offer the password form');
    else report.line('sign-in', 'password: not offered (PORTICO_PASSWORD_SIGN_IN=false)');
  } else if (identity) report.line('sign-in', `by the identity source of ${identity.plugin}: ${identity.value.description}`);
  else checkPasswordSignIn(config, report, catalog);
  // the other methods are offered beside the password form, or instead of it
  const portico = callbackOf(config);
  await checkOidcSignIn(config, report, catalog, portico);
  checkAppSignIn(config, report, catalog, portico);
  await checkChainedSignIn(config, report, catalog, portico);
  if ((config.oidcIssuer || config.appLoginUrl || chainedConfigured(config)) && config.port === 0 && !config.publicUrl) {
    report.note('sign-in: with a port chosen at start and no PORTICO_PUBLIC_URL, the callback URL is known only once Portico listens: set PORTICO_PUBLIC_URL (or PORTICO_PORT) to register it in advance');
  }
}

/**
 * Sign-in with a password at the API's login endpoint: built as createAuthorization builds it (so a bad
 * PORTICO_UPSTREAM_CREDENTIAL is caught here too), its fields chosen as `serve` chooses them, and compared with
 * the login operation in the API's document.
 */
function checkPasswordSignIn(config: ServeConfig, report: CheckReport, catalog: Catalog | undefined): void {
  const fields = loginFields(config, catalog);
  let login: { description: string };
  try {
    login = upstreamLoginFrom(config, fields);
  } catch (error) {
    report.problem('sign-in', `PORTICO_UPSTREAM_CREDENTIAL: ${messageOf(error)}`);
    return;
  }
  const method = `password, checked by ${login.description}; the fields ${fields.from}`;
  if (fields.problem) {
    report.problem('sign-in', `${method}; ${fields.problem}`);
    return;
  }
  const checked = !catalog
    ? "not checked: the API's document could not be read"
    : fields.operation
      ? `checked: ${fields.operation} in the API's document takes them`
      : "not checked against the API's document";
  report.line('sign-in', `${method}\n${checked}`);
  for (const note of fields.notes) report.note(`sign-in: ${note}`);
}

/** Portico's callback (`<public URL>/oauth/callback`): the redirect URI an OpenID provider must know, the return URL the app's login page must allow. */
function callbackOf(config: ServeConfig): { issuer: string; callback: string } {
  const issuer = config.publicUrl ? endpointsOf(new URL(config.publicUrl)).issuer : `http://localhost:${config.port === 0 ? '<the port chosen at start>' : config.port}`;
  return { issuer, callback: `${issuer}/oauth/callback` };
}

const DISCOVERY_TIMEOUT_MS = 5000;

/**
 * Sign-in through an OpenID provider (PORTICO_OIDC_ISSUER): built as `serve` builds it (a missing client id is
 * caught here), the provider's discovery document fetched and read as the sign-in reads it, and the exchange
 * endpoint looked up in the API's document.
 */
async function checkOidcSignIn(config: ServeConfig, report: CheckReport, catalog: Catalog | undefined, portico: { issuer: string; callback: string }): Promise<void> {
  const issuer = config.oidcIssuer;
  if (!issuer) return;
  const method = `OpenID provider ${issuer} ("Continue with ${config.oidcName ?? providerName(issuer)}")`;
  const lines = [method];
  const problems: string[] = [];
  try {
    oidcFrom(config, portico.issuer, silentLogger);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(error.message);
  }
  if (config.oidcClientId) lines.push(`client ${config.oidcClientId}, ${config.oidcClientSecret ? 'with a client secret' : 'public (PKCE only: no PORTICO_OIDC_CLIENT_SECRET)'}; scopes ${config.oidcScopes}`);
  if (!config.oidcScopes.split(/\s+/).includes('openid')) problems.push(`PORTICO_OIDC_SCOPES must include openid, or the provider sends no ID token (got "${config.oidcScopes}")`);
  if (URL.canParse(issuer)) {
    const discovered = await discoverProvider(new URL(issuer));
    if ('problem' in discovered) problems.push(discovered.problem);
    else lines.push(`discovery: ${discovered.found}`);
  }
  const exchange = documentedEndpoint(config, catalog, config.oidcExchangePath, 'PORTICO_OIDC_EXCHANGE_PATH', 'the exchange endpoint', report);
  lines.push(`exchange: ${exchange}`, `redirect URI to register at the provider: ${portico.callback}`);
  if (problems.length > 0) report.failed('sign-in', lines.join('\n'), problems.map((problem) => `OpenID provider ${issuer}: ${problem}`));
  else report.line('sign-in', lines.join('\n'));
}

/** The provider's discovery document, fetched as the sign-in fetches it (plain http only on this machine), and what the sign-in needs from it. */
async function discoverProvider(issuer: URL): Promise<{ found: string } | { problem: string }> {
  const url = `${issuer.href.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const loopbackHttp = issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname);
  if (issuer.protocol !== 'https:' && !loopbackHttp) return { problem: `PORTICO_OIDC_ISSUER must be an https URL (got ${issuer.href}); plain http is only for a provider on this machine` };
  let response: Response;
  try {
    response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...(loopbackHttp && { [oauth.allowInsecureRequests]: true }), signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) });
  } catch (error) {
    const why = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${DISCOVERY_TIMEOUT_MS / 1000} s` : messageOf(error);
    return { problem: `PORTICO_OIDC_ISSUER: cannot fetch the provider's discovery document ${url}: ${why}` };
  }
  if (response.status !== 200) return { problem: `PORTICO_OIDC_ISSUER: the provider's discovery document ${url} answered ${response.status}: is ${issuer.href} the provider's issuer?` };
  const named = await response
    .clone()
    .json()
    .then((body: unknown) => (typeof body === 'object' && body !== null && 'issuer' in body && typeof body.issuer === 'string' ? body.issuer : undefined))
    .catch(() => undefined);
  let server: oauth.AuthorizationServer;
  try {
    server = await oauth.processDiscoveryResponse(issuer, response);
  } catch (error) {
    const hint = named !== undefined && named !== issuer.href ? ` (it names the issuer ${named}: set PORTICO_OIDC_ISSUER to exactly that)` : '';
    return { problem: `PORTICO_OIDC_ISSUER: the provider's discovery document ${url} cannot be used: ${messageOf(error)}${hint}` };
  }
  const missing = (['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const).filter((key) => !server[key]);
  if (missing.length > 0) return { problem: `PORTICO_OIDC_ISSUER: the provider's discovery document ${url} names no ${missing.join(', ')}, which signing in needs` };
  const { response_types_supported: types, code_challenge_methods_supported: pkce } = server;
  if (types && !types.includes('code')) return { problem: `PORTICO_OIDC_ISSUER: the provider does not offer the authorization code flow Portico uses (response_types_supported: ${types.join(', ')})` };
  if (pkce && !pkce.includes('S256')) return { problem: `PORTICO_OIDC_ISSUER: the provider does not support S256 PKCE, which Portico sends (code_challenge_methods_supported: ${pkce.join(', ')})` };
  return { found: `${url}: authorization, token and key endpoints; the code flow${pkce ? ' with S256 PKCE' : ' (it does not list its PKCE methods; Portico sends S256)'}` };
}

/**
 * Sign-in on the app's own login page (PORTICO_APP_LOGIN_URL): built as `serve` builds it (a URL that is not http(s)
 * is caught here), and the redeem endpoint looked up in the API's document.
 */
function checkAppSignIn(config: ServeConfig, report: CheckReport, catalog: Catalog | undefined, portico: { issuer: string; callback: string }): void {
  const given = config.appLoginUrl;
  if (!given) return;
  const method = `the app's own login page ${given} ("Sign in with ${config.appLoginName ?? config.brandName}")`;
  const problems: string[] = [];
  try {
    appLoginFrom(config, portico.issuer);
    const url = new URL(given);
    if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) report.note(`sign-in: PORTICO_APP_LOGIN_URL is plain http (${given}): the user signs in and the one-time code comes back over the network in the clear; use https`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(error.message);
  }
  const redeem = documentedEndpoint(config, catalog, config.appRedeemPath, 'PORTICO_APP_REDEEM_PATH', 'the redeem endpoint', report);
  const lines = [method, `redeem: ${redeem}`, `return URL the app must allow: ${portico.callback}`];
  if (problems.length > 0) report.failed('sign-in', lines.join('\n'), problems.map((problem) => `the app's own login page: ${problem}`));
  else report.line('sign-in', lines.join('\n'));
}

function chainedConfigured(config: ServeConfig): boolean {
  return Boolean(config.upstreamOauthIssuer || config.upstreamOauthAuthorizeUrl || config.upstreamOauthTokenUrl || config.upstreamOauthClientId);
}

/**
 * Sign-in at the API's own authorization server (chained): built as createAuthorization builds it (half a
 * configuration is the same error), its discovery document fetched when it has an issuer, the user endpoint found
 * in the API's document, and the redirect URI to register printed.
 */
async function checkChainedSignIn(config: ServeConfig, report: CheckReport, catalog: Catalog | undefined, portico: { issuer: string; callback: string }): Promise<void> {
  if (!chainedConfigured(config)) return;
  const server = config.upstreamOauthIssuer ?? config.upstreamOauthAuthorizeUrl ?? '(no server)';
  const lines = [`the API's own authorization server ${server} ("Continue with ${config.upstreamOauthName ?? config.brandName}", chained)`];
  const problems: string[] = [];
  try {
    chainedFrom(config, portico.issuer, silentLogger);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(error.message);
  }
  if (config.upstreamOauthIssuer && problems.length === 0) {
    const found = await discoverProvider(new URL(config.upstreamOauthIssuer));
    if ('problem' in found) problems.push(`PORTICO_UPSTREAM_OAUTH_ISSUER: ${found.problem}`);
    else lines.push(`discovery: ${found.found}`);
  }
  const userPath = config.upstreamOauthUserPath.replace(/^\/*/, '/');
  const documented = catalog?.entries.some((entry) => entry.target.method.toUpperCase() === 'GET' && entry.target.path === userPath);
  lines.push(`the user: GET ${userPath}${catalog ? (documented ? ", in the API's document" : ', not in the API\'s document (see the note)') : ''}`);
  if (catalog && !documented) report.note(`sign-in: the user endpoint GET ${userPath} (PORTICO_UPSTREAM_OAUTH_USER_PATH) is not in the API's document; if the API says who a token's user is elsewhere, set PORTICO_UPSTREAM_OAUTH_USER_PATH`);
  lines.push(`redirect URI to register at the API's server: ${portico.callback}`);
  if (problems.length > 0) report.failed('sign-in', lines.join('\n'), problems.map((problem) => `the API's own authorization server: ${problem}`));
  else report.line('sign-in', lines.join('\n'));
}

/**
 * A sign-in method's endpoint at the API (POST `path`, relative to the upstream or absolute) and whether the API's
 * document has it (withheld from the tools, as every sign-in operation is). One it does not have is a note, not a
 * problem: APIs often leave such endpoints undocumented.
 */
function documentedEndpoint(config: ServeConfig, catalog: Catalog | undefined, path: string, setting: string, what: string, report: CheckReport): string {
  const url = new URL(path.replace(/^\/*/, ''), `${config.upstream.replace(/\/*$/, '')}/`).href;
  const rule = loginOperationRule({ upstream: config.upstream, loginPath: path });
  if (!catalog) return `POST ${url}, not checked: the API's document could not be read`;
  if (rule === undefined) return `POST ${url}, not on the API's host: not checked against its document`;
  const withheld = catalog.withheld.find((operation) => operationMatches(rule, operation));
  if (withheld) return `POST ${url}, in the API's document as ${withheld.operation}`;
  report.note(`sign-in: ${what} ${rule} (${setting}) is not in the API's document, so it is not checked (APIs often leave it undocumented); if the API has it at another path, set ${setting}`);
  return `POST ${url}, not in the API's document (see the note)`;
}

function databaseTarget(config: ServeConfig, cwd: string, report: CheckReport): DatabaseTarget | null {
  try {
    return parseDatabaseUrl(config.databaseUrl, cwd);
  } catch (error) {
    report.problem('store', messageOf(error));
    return null;
  }
}

/** Looks at the store without creating, migrating or writing anything. */
async function checkStore(target: DatabaseTarget, report: CheckReport): Promise<void> {
  if (target.kind === 'postgres') return checkPostgres(target, report);
  if (target.path === ':memory:') {
    report.line('store', 'SQLite in-memory database (sign-ins and tokens are lost when Portico stops)');
    return;
  }
  const where = `SQLite database ${target.path}`;
  if (!existsSync(target.path)) {
    const folder = nearestFolder(dirname(target.path));
    if (!writable(folder)) {
      report.problem('store', `${where} does not exist, and it cannot be created: ${folder} is not writable`);
      return;
    }
    report.line('store', `${where} (created at first start)`);
    return;
  }
  if (!writable(target.path)) {
    report.problem('store', `${where} is not writable by this user`);
    return;
  }
  let version: number | null;
  try {
    const db = new Database(target.path, { readonly: true });
    try {
      const table = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
      version = table ? (db.query<{ version: number | null }, []>('SELECT max(version) AS version FROM schema_migrations').get()?.version ?? 0) : null;
    } finally {
      db.close();
    }
  } catch (error) {
    report.problem('store', `${where} cannot be read: ${messageOf(error)}`);
    return;
  }
  schemaLine(where, version, SQLITE_LATEST, report);
}

async function checkPostgres(target: Extract<DatabaseTarget, { kind: 'postgres' }>, report: CheckReport): Promise<void> {
  const where = `PostgreSQL database ${target.redacted}`;
  const sql = new SQL(target.url, { adapter: 'postgres', database: target.database, max: 1, connectionTimeout: 5, idleTimeout: 5, connection: { application_name: 'portico check' } });
  let version: number | null;
  try {
    const [table] = await sql<{ present: boolean }[]>`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`;
    version = table?.present ? Number((await sql<{ version: number | null }[]>`SELECT max(version) AS version FROM schema_migrations`)[0]?.version ?? 0) : null;
  } catch (error) {
    const translated = translatePostgresError(error, target);
    report.problem('store', translated instanceof Error && translated !== error ? translated.message : `${where}: ${messageOf(error).replaceAll(target.url, target.redacted)}`);
    return;
  } finally {
    await sql.close({ timeout: 0 });
  }
  schemaLine(where, version, POSTGRES_LATEST, report);
}

function schemaLine(where: string, version: number | null, latest: number, report: CheckReport): void {
  if (version === null) report.line('store', `${where}: reachable, no Portico tables yet (created at first start)`);
  else if (version > latest) report.problem('store', schemaTooNew(where, version, latest).message);
  else if (version < latest) report.line('store', `${where}: schema version ${version}, migrated to ${latest} at start`);
  else report.line('store', `${where}: schema version ${version} (current)`);
}

/** Where the server secret would come from; its content is checked, never shown. */
function checkSecret(config: ServeConfig, target: DatabaseTarget, report: CheckReport): void {
  if (config.secretFile) {
    secretFileLine(config.secretFile, 'PORTICO_SECRET_FILE', report);
    return;
  }
  if (target.kind === 'postgres') {
    report.problem('secret', 'PORTICO_SECRET_FILE is required with PostgreSQL: every instance must seal and open upstream credentials with the same secret. ' +
        'Create one with: head -c 48 /dev/urandom | base64 > /etc/portico/secret.key && chmod 600 /etc/portico/secret.key');
    return;
  }
  if (target.path === ':memory:') {
    report.line('secret', 'generated for each start (in-memory database)');
    return;
  }
  const file = join(dirname(target.path), 'secret.key');
  if (existsSync(file)) secretFileLine(file, 'the generated secret', report);
  else report.line('secret', `${file} (generated at first start)`);
}

function secretFileLine(file: string, what: string, report: CheckReport): void {
  let length: number;
  try {
    length = readFileSync(file, 'utf8').trim().length;
  } catch (error) {
    report.problem('secret', `${what}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`);
    return;
  }
  if (length < MIN_SECRET_LENGTH) report.problem('secret', `${what}: ${file} holds ${length} characters; the secret must have at least ${MIN_SECRET_LENGTH}`);
  else report.line('secret', file);
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function checkAddresses(config: ServeConfig, report: CheckReport): void {
  const port = config.port === 0 ? '<a free port chosen at start>' : String(config.port);
  report.line('listen', `${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`);
  const publicUrl = config.publicUrl ?? `http://localhost:${port}`;
  const problem = config.publicUrl === undefined ? undefined : publicUrlProblem(new URL(config.publicUrl), config.publicUrl);
  if (config.auth === 'oauth' && problem) {
    report.problem('public URL', problem);
  } else {
    report.line('public URL', `${publicUrl}${config.publicUrl ? '' : ' (PORTICO_PUBLIC_URL unset)'}`);
  }
  report.line('MCP URL', config.port === 0 && !config.publicUrl ? `${publicUrl}/mcp` : endpointsOf(new URL(publicUrl)).resource);
  report.line('MCP mode', config.mcpMode === 'stateful' ? 'stateful (MCP sessions; behind a load balancer, keep each client on one instance)' : 'stateless (plain JSON, any instance answers any request)');
  try {
    // the same check serve makes before it opens anything
    new ClientAddresses(config.trustedProxies);
    const proxies = config.trustedProxies.join(', ');
    report.line('client addresses', proxies ? `forwarded (X-Forwarded-For, Forwarded) when the connection is from ${proxies}; otherwise the connection's` : "the connection's (X-Forwarded-For and Forwarded ignored; behind a proxy, list it in PORTICO_TRUSTED_PROXIES)");
  } catch (error) {
    report.problem('client addresses', messageOf(error));
  }
}

/** The plugins, loaded and set up exactly as `serve` would, or why they could not be. */
type LoadedPlugins = { readonly host: PluginHost } | { readonly error: unknown };

async function loadPlugins(config: ServeConfig): Promise<LoadedPlugins> {
  try {
    return { host: await loadConfiguredPlugins(config, silentLogger) };
  } catch (error) {
    return { error };
  }
}

/** What was loaded, or why one stops the start; each API a plugin adds, checked like the spec. */
async function checkPlugins(config: ServeConfig, plugins: LoadedPlugins, report: CheckReport): Promise<void> {
  if ('error' in plugins) {
    report.problem('plugins', messageOf(plugins.error));
    return;
  }
  const { host } = plugins;
  const identity = host.identity ? `; identity source from ${host.identity.plugin}: ${host.identity.value.description}` : '';
  report.line('plugins', host.loaded.length > 0 ? `${host.loaded.join(', ')} from ${config.plugins}${identity}` : `none (${config.plugins})`);
  for (const { plugin, value: api } of host.apis) {
    const label = `API ${api.name}`;
    try {
      const { catalog } = await loadCatalog(api.spec, { maxNameLength: nameLengthFor(api.prefix, config), allowRemoteRefs: config.allowRemoteRefs, ...servedCatalog(config) });
      const credential = api.credential === 'user' ? "the signed-in user's own credential" : `headers ${Object.keys(api.credential.headers).join(', ') || 'none'}`;
      report.line(label, `from ${plugin}: ${catalog.entries.length} tools named ${api.prefix}…, calls to ${api.upstream} with ${credential}\n${api.spec}: ${catalog.title}${catalog.version ? ` ${catalog.version}` : ''}`);
    } catch (error) {
      report.problem(label, `from ${plugin}: cannot build tools from "${api.spec}": ${messageOf(error)}`);
    }
  }
}

function nearestFolder(path: string): string {
  let folder = path;
  while (!existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder);
  return folder;
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
