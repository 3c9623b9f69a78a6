/**
 * @module oauth
 * Portico as the OAuth 2.1 authorization server of its own `/mcp`: users sign in with their API account on
 * Portico's pages, clients get opaque tokens bound to `/mcp`, and each call goes upstream with the user's
 * own credential. `createAuthorization` builds it from the configuration. The endpoints' handlers and discovery
 * documents are exported for `http/oauth-routes` to mount: this layer never imports `http/`.
 */
import type { Catalog } from '../catalog';
import { ConfigError, type ServeConfig } from '../config/serve';
import type { Logger } from '../log';
import { NO_EVENTS, type TokenEvents } from '../ops/events';
import type { Store } from '../store';
import { BearerCheck } from './bearer';
import { ClientMetadataDocuments } from './cimd';
import type { OAuthContext, OAuthSettings } from './context';
import { Keys } from './crypto';
import type { IdentitySource } from './identity';
import { loginFields, type LoginFields } from './login-fields';
import { resourceMetadataUrl } from './metadata';
import { ladder, type Scope } from './scopes';
import { UpstreamLogin } from './upstream-login';
import { OidcSignIn, providerName } from './oidc';
import { AppSignIn } from './app-login';
import { ChainedSignIn, type ChainedOptions } from './chained';
import type { AnswerFields } from './api-answer';

export { BearerCheck, type Principal } from './bearer';
export type { OAuthContext, OAuthSettings } from './context';
export { accountGet, accountPost } from './account';
export { authorizeGet, authorizePost } from './authorize';
export { signInCallback } from './sign-in-trip';
export { authorizationServerMetadata, protectedResourceMetadata } from './metadata';
export { register } from './register';
export { revoke } from './revoke';
export { token } from './token';
export { loadServerSecret, SecretError } from './server-secret';

export interface Authorization {
  readonly context: OAuthContext;
  readonly bearer: BearerCheck;
  /** The headers of a 403 for a call that needs `needed` (RFC 6750 §3.1, MCP step-up). */
  insufficientScope(needed: Scope): Record<string, string>;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why `publicUrl` cannot be the issuer of sign-ins (cookies and tokens over plain http), or undefined when it can; `given`: the URL as configured. */
export function publicUrlProblem(publicUrl: URL, given = publicUrl.href): string | undefined {
  if (publicUrl.protocol === 'https:' || LOOPBACK.has(publicUrl.hostname)) return undefined;
  return `PORTICO_PUBLIC_URL must be https when users sign in through Portico (got ${given}); plain http is only for localhost`;
}

/** Where Portico lives, from its public URL: the issuer (no trailing slash) and the `/mcp` resource. */
export function endpointsOf(publicUrl: URL): { issuer: string; resource: string } {
  const base = publicUrl.href.replace(/\/+$/, '');
  return { issuer: base, resource: `${base}/mcp` };
}

/** The settings of sign-in at the API's own login endpoint. */
export type LoginConfig = Pick<
  ServeConfig,
  | 'upstream'
  | 'loginPath'
  | 'loginUsernameField'
  | 'loginPasswordField'
  | 'loginTokenField'
  | 'loginExpiresField'
  | 'loginRoleField'
  | 'loginUserIdField'
  | 'loginUserNameField'
  | 'upstreamCredential'
  | 'loginRoles'
  | 'loginDefaultScope'
>;

/** The settings the authorization server reads: its pages' brand, token lifetimes, and sign-in at the API. */
export type AuthorizationConfig = LoginConfig &
  Pick<ServeConfig, 'brandName' | 'brandLogoUrl' | 'productName' | 'signInHint' | 'accessTokenTtl' | 'refreshTokenTtl'> &
  Pick<ServeConfig, 'oidcIssuer' | 'oidcClientId' | 'oidcClientSecret' | 'oidcName' | 'oidcScopes' | 'oidcExchangePath' | 'oidcExchangeField'> &
  Pick<ServeConfig, 'appLoginUrl' | 'appLoginName' | 'appRedeemPath' | 'passwordSignIn'> &
  Pick<
    ServeConfig,
    | 'upstreamOauthIssuer'
    | 'upstreamOauthAuthorizeUrl'
    | 'upstreamOauthTokenUrl'
    | 'upstreamOauthRevokeUrl'
    | 'upstreamOauthClientId'
    | 'upstreamOauthClientSecret'
    | 'upstreamOauthScopes'
    | 'upstreamOauthName'
    | 'upstreamOauthUserPath'
    | 'upstreamOauthUserIdField'
    | 'upstreamOauthUserNameField'
    | 'upstreamOauthRoleField'
  >;

/**
 * The default identity source, the API's own login endpoint, as the configuration describes it. Throws a
 * `TypeError` for a malformed credential header. `fields`: the JSON fields to post, as `loginFields` chose them
 * (by default from the configuration alone).
 */
export function upstreamLoginFrom(config: LoginConfig, fields: Pick<LoginFields, 'username' | 'password'> = loginFields(config)): UpstreamLogin {
  return new UpstreamLogin({ url: apiUrl(config.upstream, config.loginPath), usernameField: fields.username, passwordField: fields.password, ...answerFields(config) });
}

/** Sign-in through the configured OpenID provider, or undefined when none is. Throws `ConfigError` for a provider without a client id. */
export function oidcFrom(config: AuthorizationConfig, issuer: string, log: Logger): OidcSignIn | undefined {
  if (!config.oidcIssuer) return undefined;
  if (!URL.canParse(config.oidcIssuer)) throw new ConfigError(`PORTICO_OIDC_ISSUER must be the provider's issuer URL, e.g. https://accounts.google.com (got "${config.oidcIssuer}")`);
  if (!config.oidcClientId) throw new ConfigError('PORTICO_OIDC_CLIENT_ID is required with PORTICO_OIDC_ISSUER: register Portico as a client at the provider, with the redirect URI ' + `${issuer}/oauth/callback`);
  return new OidcSignIn({
    issuer: config.oidcIssuer,
    clientId: config.oidcClientId,
    clientSecret: config.oidcClientSecret,
    name: config.oidcName ?? providerName(config.oidcIssuer),
    scopes: config.oidcScopes,
    redirectUri: `${issuer}/oauth/callback`,
    exchangeUrl: apiUrl(config.upstream, config.oidcExchangePath),
    exchangeField: config.oidcExchangeField,
    answer: answerFields(config),
    log,
  });
}

/** Sign-in on the app's own login page, or undefined when none is configured. Throws `ConfigError` for a URL that is not http(s). */
export function appLoginFrom(config: AuthorizationConfig, issuer: string): AppSignIn | undefined {
  if (!config.appLoginUrl) return undefined;
  const url = URL.canParse(config.appLoginUrl) ? new URL(config.appLoginUrl) : undefined;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw new ConfigError(`PORTICO_APP_LOGIN_URL must be the absolute http(s) URL of the app's login page (got "${config.appLoginUrl}")`);
  return new AppSignIn({
    loginUrl: url.href,
    // the app's own login is the product's: "Sign in with Acme Postgres"
    name: config.appLoginName ?? config.productName ?? config.brandName,
    callbackUri: `${issuer}/oauth/callback`,
    redeemUrl: apiUrl(config.upstream, config.appRedeemPath),
    answer: answerFields(config),
  });
}

/**
 * Sign-in at the API's own authorization server (chained), or undefined when none is configured. Throws `ConfigError`
 * for half a configuration: a client id without a server, or a server without a client id.
 */
export function chainedFrom(config: AuthorizationConfig, issuer: string, log: Logger): ChainedSignIn | undefined {
  const endpoints = config.upstreamOauthAuthorizeUrl || config.upstreamOauthTokenUrl;
  if (!config.upstreamOauthIssuer && !endpoints) {
    if (config.upstreamOauthClientId) throw new ConfigError('PORTICO_UPSTREAM_OAUTH_CLIENT_ID needs the API\'s authorization server: PORTICO_UPSTREAM_OAUTH_ISSUER (discovery), or PORTICO_UPSTREAM_OAUTH_AUTHORIZE_URL and _TOKEN_URL');
    return undefined;
  }
  if (!config.upstreamOauthClientId) throw new ConfigError(`PORTICO_UPSTREAM_OAUTH_CLIENT_ID is required for sign-in at the API's authorization server: register Portico there as a client, with the redirect URI ${issuer}/oauth/callback`);
  let server: ChainedOptions['server'];
  if (config.upstreamOauthIssuer) {
    if (!URL.canParse(config.upstreamOauthIssuer)) throw new ConfigError(`PORTICO_UPSTREAM_OAUTH_ISSUER must be the authorization server's issuer URL (got "${config.upstreamOauthIssuer}")`);
    server = { issuer: config.upstreamOauthIssuer };
  } else {
    const urls = { authorize: config.upstreamOauthAuthorizeUrl, token: config.upstreamOauthTokenUrl, revoke: config.upstreamOauthRevokeUrl };
    for (const [name, url] of Object.entries(urls)) {
      if (url !== undefined && !URL.canParse(url)) throw new ConfigError(`PORTICO_UPSTREAM_OAUTH_${name.toUpperCase()}_URL must be an absolute URL (got "${url}")`);
    }
    if (!urls.authorize || !urls.token) throw new ConfigError('PORTICO_UPSTREAM_OAUTH_AUTHORIZE_URL and PORTICO_UPSTREAM_OAUTH_TOKEN_URL are both needed without PORTICO_UPSTREAM_OAUTH_ISSUER');
    server = { authorize: urls.authorize, token: urls.token, ...(urls.revoke && { revoke: urls.revoke }) };
  }
  return new ChainedSignIn({
    name: config.upstreamOauthName ?? config.productName ?? config.brandName,
    clientId: config.upstreamOauthClientId,
    clientSecret: config.upstreamOauthClientSecret,
    scopes: config.upstreamOauthScopes,
    callbackUri: `${issuer}/oauth/callback`,
    server,
    userUrl: apiUrl(config.upstream, config.upstreamOauthUserPath),
    fields: { id: config.upstreamOauthUserIdField, name: config.upstreamOauthUserNameField, role: config.upstreamOauthRoleField },
    roles: config.loginRoles,
    defaultScope: config.loginDefaultScope,
    credentialHeader: config.upstreamCredential,
    log,
  });
}

/** Where the API's answer with a user's credential has its parts (the login answer's settings, for every method). */
function answerFields(config: LoginConfig): AnswerFields {
  return {
    tokenField: config.loginTokenField,
    expiresField: config.loginExpiresField,
    roleField: config.loginRoleField,
    userIdField: config.loginUserIdField,
    userNameField: config.loginUserNameField,
    credentialHeader: config.upstreamCredential,
    roles: config.loginRoles,
    defaultScope: config.loginDefaultScope,
  };
}

/** An endpoint of the API: a path relative to the upstream URL, or an absolute URL. */
function apiUrl(upstream: string, path: string): string {
  return new URL(path.replace(/^\/*/, ''), `${upstream.replace(/\/*$/, '')}/`).href;
}

/** The API's own login, its fields chosen once at start; what does not fit the document is logged, not fatal (`portico check` fails on it). */
function signInAtTheApi(config: LoginConfig, catalog: Pick<Catalog, 'entries' | 'withheld'> | undefined, log: Logger): UpstreamLogin {
  const fields = loginFields(config, catalog);
  log.info('oauth.login_fields', { fields: `${fields.username}, ${fields.password}`, from: fields.from, ...(fields.operation && { operation: fields.operation }) });
  if (fields.problem) log.warn('oauth.login_misconfigured', { problem: fields.problem });
  for (const note of fields.notes) log.info('oauth.login_note', { note });
  return upstreamLoginFrom(config, fields);
}

export function createAuthorization(options: {
  config: AuthorizationConfig;
  publicUrl: URL;
  store: Store;
  secret: Uint8Array;
  log: Logger;
  /** Told about tokens issued, refreshed and revoked (the metrics). @default nobody */
  events?: TokenEvents;
  toolCounts: () => Readonly<Record<Scope, number>>;
  identity?: IdentitySource;
  /** The API's catalog as loaded: the login operation's request body there names the fields the password sign-in posts (unless configured). */
  catalog?: Pick<Catalog, 'entries' | 'withheld'>;
  documents?: ClientMetadataDocuments;
}): Authorization {
  const { config, publicUrl, store, log } = options;
  const { issuer, resource } = endpointsOf(publicUrl);
  const settings: OAuthSettings = {
    issuer,
    resource,
    brand: {
      name: config.brandName,
      ...(config.brandLogoUrl && { logoUrl: config.brandLogoUrl }),
      ...(config.productName && { product: config.productName }),
      ...(config.signInHint && { signInHint: config.signInHint }),
    },
    accessTokenTtlMs: config.accessTokenTtl * 1000,
    refreshTokenTtlMs: config.refreshTokenTtl * 1000,
    codeTtlMs: 5 * 60_000,
    refreshGraceMs: 60_000,
    loginTtlMs: 15 * 60_000,
    secureCookies: publicUrl.protocol === 'https:',
    maxLoginFailures: 5,
    loginWindowMs: 15 * 60_000,
    passwordSignIn: config.passwordSignIn,
  };
  const identity = options.identity ?? signInAtTheApi(config, options.catalog, log);
  const oidc = oidcFrom(config, issuer, log);
  const appLogin = appLoginFrom(config, issuer);
  const chained = chainedFrom(config, issuer, log);
  // a plugin's identity source checks passwords too: turning the form off leaves it unused
  if (!config.passwordSignIn && !oidc && !appLogin && !chained) throw new ConfigError('PORTICO_PASSWORD_SIGN_IN=false leaves no way to sign in: configure PORTICO_OIDC_ISSUER, PORTICO_APP_LOGIN_URL or PORTICO_UPSTREAM_OAUTH_ISSUER, or offer the password form');
  const context: OAuthContext = {
    settings,
    store,
    keys: new Keys(options.secret),
    identity,
    ...(oidc && { oidc }),
    ...(appLogin && { appLogin }),
    ...(chained && { chained }),
    documents: options.documents ?? new ClientMetadataDocuments(),
    toolCounts: options.toolCounts,
    log,
    events: options.events ?? NO_EVENTS,
    now: Date.now,
  };
  return {
    context,
    bearer: new BearerCheck(context),
    insufficientScope: (needed) => ({
      'www-authenticate': `Bearer error="insufficient_scope", scope="${ladder(needed).join(' ')}", resource_metadata="${resourceMetadataUrl(settings)}", error_description="this tool needs the ${needed} scope"`,
    }),
  };
}
