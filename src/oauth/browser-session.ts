/**
 * @module oauth/browser-session
 * The browser side of signing in: who is signed in, and CSRF protection for every form (a random cookie and,
 * in the form, its HMAC: a page on another site can neither read the cookie nor compute the field).
 *
 * Signed in = a sealed cookie (the identity, with the user's API credential, never readable by the browser)
 * naming a session the store still holds. The store keeps only the session id's hash, and signing out deletes
 * it: a copy of the cookie taken before "Sign out" opens nothing afterwards, on any instance.
 *
 * A browser that signed in to an account also gets a device cookie for that account (sealed, 90 days): the
 * sign-in throttle (`oauth/sign-in`) counts that browser's attempts on their own, so strangers guessing the
 * account's password cannot lock its owner out of a browser they have used before.
 *
 * Cookies are `__Host-` prefixed, `Secure`, `HttpOnly`, `SameSite=Lax`, `Path=/` — except on a plain-HTTP
 * loopback address during development, where browsers would drop a Secure cookie over http: there they
 * keep every other attribute and lose the prefix.
 */
import { randomBytes } from 'node:crypto';
import type { OAuthContext } from './context';
import { hashToken, safeEqual } from './crypto';
import type { Identity } from './identity';

const LOGIN = 'portico-login';
const CSRF = 'portico-csrf';
const DEVICE = 'portico-device';
const CSRF_PURPOSE = 'csrf';
/** How long a browser stays known to an account after signing in to it. */
const DEVICE_TTL_MS = 90 * 86_400_000;

/** A signed-in user, as the login cookie carries them (sealed: the upstream credential is inside). */
export interface SignedIn {
  readonly identity: Identity;
  readonly expiresAt: number;
  /** The browser session in the store (its id; the store has only the hash). */
  readonly session: string;
}

/** A browser that signed in to an account before, as its device cookie says (sealed). */
export interface KnownDevice {
  /** Random, per browser and account: the sign-in throttle's key for this browser's attempts. */
  readonly id: string;
  /** The account (the username as typed at sign-in, lowercase). */
  readonly account: string;
  readonly expiresAt: number;
}

export function cookieName(context: OAuthContext, name: string): string {
  return context.settings.secureCookies ? `__Host-${name}` : name;
}

export function cookieAttributes(context: OAuthContext, maxAgeSeconds: number): string {
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

/** The signed-in user: the login cookie is there, opens, has not expired, and its session was not ended (signed out). */
export async function signedIn(context: OAuthContext, request: Request): Promise<SignedIn | undefined> {
  const value = readCookie(request, cookieName(context, LOGIN));
  if (!value) return undefined;
  const signed = context.keys.open(value, LOGIN) as SignedIn | undefined;
  const now = context.now();
  if (!signed || typeof signed.expiresAt !== 'number' || signed.expiresAt <= now || typeof signed.session !== 'string') return undefined;
  const stored = await context.store.getBrowserSession(hashToken(signed.session), now);
  return stored && stored.userId === signed.identity.userId ? signed : undefined;
}

/** Starts a browser session for `identity`: stored, and the Set-Cookie header that carries it. */
export async function signInCookie(context: OAuthContext, identity: Identity): Promise<string> {
  const now = context.now();
  const session = randomBytes(32).toString('base64url');
  const expiresAt = now + context.settings.loginTtlMs;
  await context.store.putBrowserSession({ hash: hashToken(session), userId: identity.userId, createdAt: now, expiresAt });
  const signed: SignedIn = { identity, expiresAt, session };
  return `${cookieName(context, LOGIN)}=${context.keys.seal(signed, LOGIN)}; ${cookieAttributes(context, Math.floor(context.settings.loginTtlMs / 1000))}`;
}

/** Ends the browser session (in the store, so copies of the cookie end too) and the Set-Cookie header that clears it. */
export async function signOut(context: OAuthContext, session: SignedIn): Promise<string> {
  await context.store.deleteBrowserSession(hashToken(session.session));
  return `${cookieName(context, LOGIN)}=; ${cookieAttributes(context, 0)}`;
}

/** The device cookie of this browser, when it opens, has not expired and is for `account` (lowercase). */
export function knownDevice(context: OAuthContext, request: Request, account: string): KnownDevice | undefined {
  const value = readCookie(request, cookieName(context, DEVICE));
  if (!value) return undefined;
  const device = context.keys.open(value, DEVICE) as KnownDevice | undefined;
  if (!device || typeof device.id !== 'string' || device.account !== account || typeof device.expiresAt !== 'number' || device.expiresAt <= context.now()) return undefined;
  return device;
}

/** The Set-Cookie header that marks this browser as known to `account` (after a successful sign-in); an existing id is kept. */
export function deviceCookie(context: OAuthContext, account: string, existing?: KnownDevice): string {
  const device: KnownDevice = { id: existing?.id ?? randomBytes(16).toString('base64url'), account, expiresAt: context.now() + DEVICE_TTL_MS };
  return `${cookieName(context, DEVICE)}=${context.keys.seal(device, DEVICE)}; ${cookieAttributes(context, Math.floor(DEVICE_TTL_MS / 1000))}`;
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
