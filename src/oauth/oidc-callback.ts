/**
 * @module oauth/oidc-callback
 * The browser's trip through an OpenID provider, at Portico's two ends: leaving (the sign-in page's button,
 * a CSRF-checked POST, answered with the trip's sealed cookie and a redirect to the provider) and coming back
 * (`GET /oauth/callback`: the trip's cookie opened, cleared and marked used in the store, the sign-in finished
 * by `oauth/oidc`, the browser signed in and sent back to the authorization request it came from — or an error
 * page saying what happened, with nothing issued).
 */
import { cookieAttributes, cookieName, readCookie, signInCookie } from './browser-session';
import type { OAuthContext } from './context';
import { hashToken } from './crypto';
import { OidcSignInError, type OidcSignIn, type OidcTrip } from './oidc';
import { errorPage } from './pages';

const TRIP = 'portico-oidc';
const TRIP_PURPOSE = 'oidc-trip';
/** Where a trip may return to: the authorization request's own page (its query carries the whole request). */
const RETURNS = /^\/oauth\/authorize\?/;

/** Leaves for the provider: a 303 to its authorization endpoint with the trip's cookie, or an error page. */
export async function leaveForProvider(context: OAuthContext, oidc: OidcSignIn, returnTo: string): Promise<Response> {
  let started: Awaited<ReturnType<OidcSignIn['start']>>;
  try {
    started = await oidc.start(returnTo, context.now());
  } catch (error) {
    if (!(error instanceof OidcSignInError)) throw error;
    return failed(context, error);
  }
  const sealed = context.keys.seal(started.trip, TRIP_PURPOSE);
  const headers = new Headers({ location: started.location, 'cache-control': 'no-store' });
  headers.append('set-cookie', `${cookieName(context, TRIP)}=${sealed}; ${cookieAttributes(context, 600)}`);
  return new Response(null, { status: 303, headers });
}

/** `GET /oauth/callback`: back from the provider. */
export async function oidcCallback(context: OAuthContext, request: Request): Promise<Response> {
  const clear = `${cookieName(context, TRIP)}=; ${cookieAttributes(context, 0)}`;
  const oidc = context.oidc;
  if (!oidc) return withCookie(failed(context, new OidcSignInError('There is nothing to sign in to here.', 'a callback arrived, but no OpenID provider is configured', 404)), clear);
  const sealed = readCookie(request, cookieName(context, TRIP));
  const trip = sealed ? (context.keys.open(sealed, TRIP_PURPOSE) as OidcTrip | undefined) : undefined;
  if (!trip || typeof trip.state !== 'string' || !RETURNS.test(trip.returnTo)) {
    const error = new OidcSignInError(
      'This sign-in cannot be completed: it was not started in this browser, or it was already used. Go back to your application and connect again.',
      sealed ? 'the trip cookie does not open' : 'a callback without a trip cookie (another browser, or a replay)',
    );
    return withCookie(failed(context, error), clear);
  }
  // one use: the response clears the cookie, but a copy of it brought again with the callback URL opens just as well
  const now = context.now();
  const { count } = await context.store.hit(`oidc-trip:${hashToken(trip.state)}`, now, Math.max(1000, trip.expiresAt - now));
  if (count > 1) {
    const error = new OidcSignInError('This sign-in cannot be completed: it was already used. Go back to your application and connect again.', 'the trip was already used (a replayed callback)');
    return withCookie(failed(context, error), clear);
  }
  try {
    const identity = await oidc.finish(new URL(request.url), trip, now);
    context.log.info('oauth.login', { user: identity.userId, method: 'oidc' });
    const headers = new Headers({ location: trip.returnTo, 'cache-control': 'no-store' });
    headers.append('set-cookie', clear);
    headers.append('set-cookie', await signInCookie(context, identity));
    return new Response(null, { status: 303, headers });
  } catch (error) {
    if (!(error instanceof OidcSignInError)) throw error;
    return withCookie(failed(context, error), clear);
  }
}

function failed(context: OAuthContext, error: OidcSignInError): Response {
  context.log.warn('oauth.oidc_failed', { reason: error.reason });
  const result = errorPage({ brand: context.settings.brand, title: 'Not signed in', message: error.page, status: error.status });
  return new Response(result.html, { status: error.status, headers: result.headers });
}

function withCookie(response: Response, cookie: string): Response {
  response.headers.append('set-cookie', cookie);
  return response;
}
