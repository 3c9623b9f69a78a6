/**
 * @module oauth/sign-in-trip
 * The browser's trip through another party — an OpenID provider (`oauth/oidc`) or the app's own login page
 * (`oauth/app-login`) — at Portico's two ends: leaving (the sign-in page's button, a CSRF-checked POST, answered
 * with the trip's sealed cookie and a redirect) and coming back (`GET /oauth/callback`: the trip's cookie opened,
 * cleared and marked used in the store, the sign-in finished by the trip's method, the browser signed in and sent
 * back to the authorization request it came from — or an error page saying what happened, with nothing issued).
 */
import { cookieAttributes, cookieName, readCookie, signInCookie } from './browser-session';
import type { OAuthContext } from './context';
import { hashToken } from './crypto';
import { AppSignIn, type AppTrip } from './app-login';
import { ChainedSignIn, type ChainedTrip } from './chained';
import type { OidcSignIn, OidcTrip } from './oidc';
import { SignInError } from './sign-in-error';
import { errorPage } from './pages';

const TRIP = 'portico-trip';
const TRIP_PURPOSE = 'sign-in-trip';

/** A way to sign in through another party: where to send the browser, and how to finish when it comes back. */
export type TripMethod = OidcSignIn | AppSignIn | ChainedSignIn;
type Trip = OidcTrip | AppTrip | ChainedTrip;
type Kind = Trip['method'];
/** Where a trip may return to: the authorization request's own page (its query carries the whole request), or the account page. */
const RETURNS = /^(\/oauth\/authorize\?|\/account$)/;

/** The sign-in page's buttons, one per way through another party that is configured. */
export function signInButtons(context: OAuthContext): { id: string; label: string }[] {
  return [
    ...(context.chained ? [{ id: 'chained', label: `Continue with ${context.chained.name}` }] : []),
    ...(context.oidc ? [{ id: 'oidc', label: `Continue with ${context.oidc.name}` }] : []),
    ...(context.appLogin ? [{ id: 'app', label: `Sign in with ${context.appLogin.name}` }] : []),
  ];
}

/** The method a sign-in form's button names (`method=oidc|app`), when it is configured. */
export function chosenMethod(context: OAuthContext, form: URLSearchParams): TripMethod | undefined {
  const method = form.get('method');
  return method === 'oidc' ? context.oidc : method === 'app' ? context.appLogin : method === 'chained' ? context.chained : undefined;
}

/** Leaves for the other party: a 303 to it with the trip's cookie, or an error page. */
export async function leave(context: OAuthContext, method: TripMethod, returnTo: string): Promise<Response> {
  let started: { location: string; trip: Trip };
  try {
    started = await method.start(returnTo, context.now());
  } catch (error) {
    if (!(error instanceof SignInError)) throw error;
    return failed(context, error, methodOf(method));
  }
  const sealed = context.keys.seal(started.trip, TRIP_PURPOSE);
  const headers = new Headers({ location: started.location, 'cache-control': 'no-store' });
  headers.append('set-cookie', `${cookieName(context, TRIP)}=${sealed}; ${cookieAttributes(context, 600)}`);
  return new Response(null, { status: 303, headers });
}

/** `GET /oauth/callback`: back from the provider or the app. */
export async function signInCallback(context: OAuthContext, request: Request): Promise<Response> {
  const clear = `${cookieName(context, TRIP)}=; ${cookieAttributes(context, 0)}`;
  if (!context.oidc && !context.appLogin && !context.chained) return withCookie(failed(context, new SignInError('There is nothing to sign in to here.', 'a callback arrived, but no sign-in through another party is configured', 404), 'oidc'), clear);
  const sealed = readCookie(request, cookieName(context, TRIP));
  const trip = sealed ? (context.keys.open(sealed, TRIP_PURPOSE) as Trip | undefined) : undefined;
  // the method the trip started with must still be configured (a trip from before a restart with other settings)
  const method = trip?.method === 'app' ? context.appLogin : trip?.method === 'oidc' ? context.oidc : trip?.method === 'chained' ? context.chained : undefined;
  const kind: Kind = trip?.method ?? 'oidc';
  if (!trip || !method || typeof trip.state !== 'string' || !RETURNS.test(trip.returnTo)) {
    const error = new SignInError(
      'This sign-in cannot be completed: it was not started in this browser, or it was already used. Go back to your application and connect again.',
      sealed ? 'the trip cookie does not open' : 'a callback without a trip cookie (another browser, or a replay)',
    );
    return withCookie(failed(context, error, kind), clear);
  }
  // one use: the response clears the cookie, but a copy of it brought again with the callback URL opens just as well
  const now = context.now();
  const { count } = await context.store.hit(`sign-in-trip:${hashToken(trip.state)}`, now, Math.max(1000, trip.expiresAt - now));
  if (count > 1) {
    const error = new SignInError('This sign-in cannot be completed: it was already used. Go back to your application and connect again.', 'the trip was already used (a replayed callback)');
    return withCookie(failed(context, error, kind), clear);
  }
  try {
    const identity = await finish(method, new URL(request.url), trip, now);
    context.log.info('oauth.login', { user: identity.userId, method: kind });
    const headers = new Headers({ location: trip.returnTo, 'cache-control': 'no-store' });
    headers.append('set-cookie', clear);
    headers.append('set-cookie', await signInCookie(context, identity));
    return new Response(null, { status: 303, headers });
  } catch (error) {
    if (!(error instanceof SignInError)) throw error;
    return withCookie(failed(context, error, kind), clear);
  }
}

/** The trip finished by the method it started with (the cookie says which; `trip` and `method` agree by then). */
function finish(method: TripMethod, callback: URL, trip: Trip, now: number) {
  if (trip.method === 'app' && method instanceof AppSignIn) return method.finish(callback, trip, now);
  if (trip.method === 'chained' && method instanceof ChainedSignIn) return method.finish(callback, trip, now);
  if (trip.method === 'oidc' && !(method instanceof AppSignIn) && !(method instanceof ChainedSignIn)) return method.finish(callback, trip, now);
  throw new SignInError('This sign-in cannot be completed. Go back to your application and connect again.', `a ${trip.method} trip came back to another method`);
}

function methodOf(method: TripMethod): Kind {
  return method instanceof AppSignIn ? 'app' : method instanceof ChainedSignIn ? 'chained' : 'oidc';
}

function failed(context: OAuthContext, error: SignInError, kind: Kind): Response {
  context.log.warn(`oauth.${kind}_failed`, { reason: error.reason });
  const result = errorPage({ brand: context.settings.brand, title: 'Not signed in', message: error.page, status: error.status });
  return new Response(result.html, { status: error.status, headers: result.headers });
}

function withCookie(response: Response, cookie: string): Response {
  response.headers.append('set-cookie', cookie);
  return response;
}
