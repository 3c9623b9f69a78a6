/**
 * @module oauth/browser-session
 * The browser side of signing in: who is signed in (a sealed cookie, so no server-side session table),
 * and CSRF protection for every form (a random cookie and, in the form, its HMAC: a page on another site
 * can neither read the cookie nor compute the field).
 *
 * Cookies are `__Host-` prefixed, `Secure`, `HttpOnly`, `SameSite=Lax`, `Path=/` — except on a plain-HTTP
 * loopback address during development, where browsers would drop a Secure cookie over http: there they
 * keep every other attribute and lose the prefix.
 */
import { randomBytes } from 'node:crypto';
import type { OAuthContext } from './context';
import { safeEqual } from './crypto';
import type { Identity } from './identity';

const LOGIN = 'portico-login';
const CSRF = 'portico-csrf';
const CSRF_PURPOSE = 'csrf';

/** A signed-in user, as the login cookie carries them (sealed: the upstream credential is inside). */
export interface SignedIn {
  readonly identity: Identity;
  readonly expiresAt: number;
}

export function cookieName(context: OAuthContext, name: string): string {
  return context.settings.secureCookies ? `__Host-${name}` : name;
}

function cookieAttributes(context: OAuthContext, maxAgeSeconds: number): string {
  return `Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${context.settings.secureCookies ? '; Secure' : ''}`;
}

export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The signed-in user, if the login cookie is there, opens, and has not expired. */
export function signedIn(context: OAuthContext, request: Request): SignedIn | undefined {
  const value = readCookie(request, cookieName(context, LOGIN));
  if (!value) return undefined;
  const session = context.keys.open(value, LOGIN) as SignedIn | undefined;
  if (!session || typeof session.expiresAt !== 'number' || session.expiresAt <= context.now()) return undefined;
  return session;
}

/** The Set-Cookie header that signs `identity` in. */
export function signInCookie(context: OAuthContext, identity: Identity): string {
  const session: SignedIn = { identity, expiresAt: context.now() + context.settings.loginTtlMs };
  const value = context.keys.seal(session, LOGIN);
  return `${cookieName(context, LOGIN)}=${value}; ${cookieAttributes(context, Math.floor(context.settings.loginTtlMs / 1000))}`;
}

export function signOutCookie(context: OAuthContext): string {
  return `${cookieName(context, LOGIN)}=; ${cookieAttributes(context, 0)}`;
}

/**
 * The CSRF field for a form, and the cookie to set when the browser has none yet. One cookie per browser,
 * reused across forms, so two tabs do not invalidate each other; the field is also bound to what the form
 * is for (`form`: e.g. this one authorization request), so a field from one consent page cannot approve
 * another request.
 */
export function csrfFor(context: OAuthContext, request: Request, form: string): { field: string; setCookie?: string } {
  const existing = readCookie(request, cookieName(context, CSRF));
  if (existing && /^[\w-]{43}$/.test(existing)) return { field: context.keys.mac(CSRF_PURPOSE, `${existing}\n${form}`) };
  const value = randomBytes(32).toString('base64url');
  return {
    field: context.keys.mac(CSRF_PURPOSE, `${value}\n${form}`),
    setCookie: `${cookieName(context, CSRF)}=${value}; ${cookieAttributes(context, 86_400)}`,
  };
}

/** Whether a form post carries the CSRF field that matches this browser's cookie and this form. */
export function csrfValid(context: OAuthContext, request: Request, field: string | null, form: string): boolean {
  const cookie = readCookie(request, cookieName(context, CSRF));
  return !!cookie && !!field && safeEqual(context.keys.mac(CSRF_PURPOSE, `${cookie}\n${form}`), field);
}

/**
 * A form post from a page of another origin is refused before anything else (defence in depth next to
 * the CSRF field and SameSite): browsers send `Origin` on every POST.
 */
export function sameOrigin(context: OAuthContext, request: Request): boolean {
  const origin = request.headers.get('origin');
  return origin === null || origin === new URL(context.settings.issuer).origin;
}
