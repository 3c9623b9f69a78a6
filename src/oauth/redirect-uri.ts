/**
 * @module oauth/redirect-uri
 * Where a client may send the user back to, and whether a requested redirect URI is one the client registered.
 *
 * Policy (security research §1.7, RFC 8252, MCP "Communication Security"):
 * - `https:` to any host.
 * - `http:` only to the loopback hosts `localhost`, `127.0.0.1` and `[::1]`, spelled exactly so. Other 127.x
 *   addresses are refused: RFC 8252 §7.3 names 127.0.0.1 and no client uses another, and `127.1`-style
 *   shorthands would let the string we compare differ from the address the browser opens.
 * - Private-use schemes (`cursor://…`, `claude://…`, `com.example.app:/cb`) only for public clients: any app on
 *   the device can claim such a scheme, so a secret-holding (confidential) client gains nothing from its secret.
 * - Schemes that run code, read local data or leave the browser for something else are never allowed.
 *
 * The URI is checked as written (not as `new URL` would rewrite it), because the authorization endpoint redirects to
 * the registered string and the consent page shows its host: the two must not disagree. So only printable ASCII
 * from RFC 3986 is accepted — no backslashes (WHATWG reads `https://a.com\@b.com` as host a.com, RFC 3986 as b.com),
 * no spaces, no raw Unicode (homoglyph and bidi tricks); IDN hosts must be written in punycode.
 */

export type ClientKind = 'public' | 'confidential';

/** Longest redirect URI accepted: long enough for any real callback, short enough to show and store. */
export const MAX_REDIRECT_URI_LENGTH = 2000;

/** The loopback hosts, spelled as they must appear in a redirect URI. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Schemes that are never a place to deliver an authorization code. */
const FORBIDDEN_SCHEMES = new Set([
  'javascript', 'vbscript', 'data', 'blob', 'file', 'filesystem', 'about', 'view-source',
  'ftp', 'ftps', 'ws', 'wss', 'mailto', 'tel', 'sms', 'intent',
]);

/** `scheme://authority…` or `scheme:…` as written; `authority` is absent for `scheme:/path`. */
interface RawParts {
  readonly scheme: string;
  readonly authority?: string;
}

/**
 * Where a redirect URI (already found acceptable by `checkRedirectUri`) sends the user: a web server (`https:` to a
 * host that is not this machine), or an app on the user's device (a loopback `http:` listener, a private-use scheme,
 * or `https:` on a loopback host).
 */
export function redirectTarget(uri: string): 'web' | 'device' {
  const parts = rawParts(uri);
  if (!parts || parts.scheme.toLowerCase() !== 'https' || parts.authority === undefined) return 'device';
  return LOOPBACK_HOSTS.has(hostOf(parts.authority).toLowerCase()) ? 'device' : 'web';
}

/**
 * Whether `uri` may be registered as a redirect URI by a client of kind `clientKind`.
 * @returns null when acceptable, else why not (a sentence that names the URI).
 */
export function checkRedirectUri(uri: string, clientKind: ClientKind): string | null {
  const shown = quote(uri);
  if (uri.length === 0) return 'a redirect URI is empty';
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return `a redirect URI is ${uri.length} characters long; at most ${MAX_REDIRECT_URI_LENGTH} are allowed`;
  if (/[\s\u0000-\u001f\u007f-\u009f]/u.test(uri)) return `redirect URI ${shown} contains whitespace or control characters`;
  const odd = /[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/u.exec(uri);
  if (odd) return `redirect URI ${shown} contains the character "${odd[0]}"; write it percent-encoded (and host names in punycode)`;
  if (/%(?![0-9A-Fa-f]{2})/.test(uri)) return `redirect URI ${shown} has a "%" that does not start a percent-encoded byte`;
  const raw = rawParts(uri);
  if (!raw) return `redirect URI ${shown} is not an absolute URI (it needs a scheme such as https:)`;
  const scheme = raw.scheme.toLowerCase();
  if (FORBIDDEN_SCHEMES.has(scheme)) return `redirect URI ${shown} uses the scheme "${scheme}:", which is never allowed`;
  if (scheme.length === 1) return `redirect URI ${shown} looks like a file path ("${raw.scheme}:" is a drive letter, not a scheme)`;
  if (uri.includes('#')) return `redirect URI ${shown} has a fragment ("#…"), which redirect URIs must not have`;
  if (raw.authority?.includes('@')) return `redirect URI ${shown} contains user information ("…@"), which is not allowed`;
  const url = URL.parse(uri);
  if (!url) return `redirect URI ${shown} is not a valid absolute URI`;

  if (scheme === 'https') {
    if (!raw.authority || !url.hostname) return `redirect URI ${shown} has no host`;
    return null;
  }
  if (scheme === 'http') {
    const host = raw.authority === undefined ? '' : hostOf(raw.authority).toLowerCase();
    if (!LOOPBACK_HOSTS.has(host)) {
      return `redirect URI ${shown} uses http: with a host other than localhost, 127.0.0.1 or [::1]; use https:, or http: only for a loopback address`;
    }
    return null;
  }
  if (clientKind === 'confidential') {
    return `redirect URI ${shown} uses the private-use scheme "${scheme}:", which is only allowed for public clients (token_endpoint_auth_method "none")`;
  }
  if (uri.length === raw.scheme.length + 1) return `redirect URI ${shown} has nothing after its scheme`;
  return null;
}

/**
 * Whether `requested` is one of `registered`: exact string equality, except that for a registered loopback
 * `http:` URI the port may differ (RFC 8252 §7.3 — native apps listen on whatever port is free). Scheme, host,
 * path and query must still be identical as written: `localhost` and `127.0.0.1` are different hosts, and no
 * case folding, trailing-slash or percent-encoding normalisation is done that an attacker could lean on.
 */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  const wanted = splitLoopback(requested);
  if (!wanted) return false;
  return registered.some((uri) => {
    const own = splitLoopback(uri);
    return own !== null && own.host === wanted.host && own.rest === wanted.rest;
  });
}

/** `http://<loopback>[:port]<rest>` with the port taken out, or null for anything else. */
function splitLoopback(uri: string): { host: string; rest: string } | null {
  const match = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(?::([1-9][0-9]{0,4}))?([/?][^#]*)?$/.exec(uri);
  if (!match) return null;
  if (match[2] !== undefined && Number(match[2]) > 65535) return null;
  return { host: match[1]!, rest: match[3] ?? '' };
}

function rawParts(uri: string): RawParts | null {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):(\/\/([^/?#]*))?/.exec(uri);
  if (!match) return null;
  return match[2] === undefined ? { scheme: match[1]! } : { scheme: match[1]!, authority: match[3]! };
}

/** The host part of an authority (no user info, which is refused earlier): `[::1]:80` → `[::1]`. */
function hostOf(authority: string): string {
  if (authority.startsWith('[')) return authority.slice(0, authority.indexOf(']') + 1);
  const colon = authority.indexOf(':');
  return colon === -1 ? authority : authority.slice(0, colon);
}

/** A URI for an error message: quoted, cut short so an attacker's 2 MB URI does not become a 2 MB message. */
function quote(uri: string): string {
  return JSON.stringify(uri.length > 200 ? `${uri.slice(0, 200)}…` : uri);
}
