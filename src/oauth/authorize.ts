/**
 * @module oauth/authorize
 * `/oauth/authorize`: the browser part of connecting a client. GET checks the request and shows the
 * sign-in page (or, when signed in, the consent page). The forms post back to the same URL, whose query
 * still carries the whole authorization request, so no server-side state exists between the steps.
 *
 * POST: the Origin must be ours and the CSRF field must match, then either `username`/`password` (sign
 * in; throttled per account and per address; the same message for an unknown user and a wrong password)
 * or `decision` (approve → a single-use code sent to the redirect URI; deny → `access_denied`).
 */
import { checkAuthorizationRequest, redirectWith, type AuthorizationRequest } from './authorization-request';
import { csrfFor, csrfValid, sameOrigin, signedIn, signInCookie, type SignedIn } from './browser-session';
import { clientName } from './clients';
import type { OAuthContext } from './context';
import { hashToken, newToken } from './crypto';
import { consentPage, errorPage, loginPage, type PageResult } from './pages';
import { readForm } from './form';
import { chosenMethod, leave, signInButtons } from './sign-in-trip';
import { attemptSignIn } from './sign-in';
import { allows, ladder, SCOPE_SUMMARIES, SCOPES, topScope, type Scope } from './scopes';


export async function authorizeGet(context: OAuthContext, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const checked = await checkAuthorizationRequest(context, url.searchParams);
  if (checked.kind === 'page') return page(errorPage({ brand: context.settings.brand, ...checked }), checked.status);
  if (checked.kind === 'redirect') return redirect(checked.location);
  const session = await signedIn(context, request);
  return session ? showConsent(context, request, checked.request, session) : showLogin(context, request, checked.request);
}

export async function authorizePost(context: OAuthContext, request: Request, clientAddress: string): Promise<Response> {
  const url = new URL(request.url);
  const checked = await checkAuthorizationRequest(context, url.searchParams);
  if (checked.kind === 'page') return page(errorPage({ brand: context.settings.brand, ...checked }), checked.status);
  if (checked.kind === 'redirect') return redirect(checked.location);
  const authorization = checked.request;
  if (!sameOrigin(context, request)) return forbidden(context, 'This form was sent from another website.');
  const form = await readForm(request);
  if (!form) return forbidden(context, 'The form is too large.');
  if (!csrfValid(context, request, form.get('csrf'), formOf(request))) {
    return forbidden(context, 'This form has expired or was not sent from this site. Go back to your application and connect again.');
  }
  const method = chosenMethod(context, form);
  if (method) return leave(context, method, actionOf(request));
  if (form.has('decision')) {
    const session = await signedIn(context, request);
    if (!session) return showLogin(context, request, authorization, { error: 'Your sign-in has expired. Please sign in again.' });
    return decide(context, authorization, session, form);
  }
  return signIn(context, request, authorization, form, clientAddress);
}

async function signIn(context: OAuthContext, request: Request, authorization: AuthorizationRequest, form: URLSearchParams, clientAddress: string): Promise<Response> {
  const outcome = await attemptSignIn(context, request, form, clientAddress);
  if ('error' in outcome) return showLogin(context, request, authorization, { username: outcome.username, error: outcome.error }, outcome.status, outcome.retryAfterSeconds);
  context.log.info('oauth.login', { user: outcome.identity.userId, client: authorization.client.id });
  // back to GET (post/redirect/get): the consent page then shows for the signed-in user
  const url = new URL(request.url);
  const headers = new Headers({ location: `${url.pathname}${url.search}`, 'cache-control': 'no-store' });
  headers.append('set-cookie', await signInCookie(context, outcome.identity));
  headers.append('set-cookie', outcome.setCookie);
  return new Response(null, { status: 303, headers });
}

async function decide(context: OAuthContext, authorization: AuthorizationRequest, session: SignedIn, form: URLSearchParams): Promise<Response> {
  const { client, redirectUri, state } = authorization;
  if (form.get('decision') !== 'approve') {
    context.log.info('oauth.consent_denied', { user: session.identity.userId, client: client.id });
    return redirect(redirectWith(context, redirectUri, { error: 'access_denied', error_description: 'the user did not allow access', state }));
  }
  const scopes = grantedScopes(authorization.scopes, form.getAll('scope'), session.identity.maxScope);
  const code = newToken('code');
  const hash = hashToken(code);
  const now = context.now();
  await context.store.putCode({
    hash,
    clientId: client.id,
    userId: session.identity.userId,
    redirectUri,
    codeChallenge: authorization.codeChallenge,
    scopes,
    resource: authorization.resource,
    data: context.keys.seal(session.identity, `code:${hash}`),
    expiresAt: now + context.settings.codeTtlMs,
    usedAt: null,
    grantId: null,
  });
  await context.store.putConsent({ userId: session.identity.userId, clientId: client.id, scopes, updatedAt: now });
  context.log.info('oauth.consent', { user: session.identity.userId, client: client.id, scopes: scopes.join(' ') });
  return redirect(redirectWith(context, redirectUri, { code, state }));
}

/**
 * What the user allowed: `read` always, plus the ticked scopes the client asked for, never above what the
 * user's account may grant; as a ladder (`admin` brings `write`).
 */
export function grantedScopes(requested: readonly Scope[], ticked: readonly string[], maxScope: Scope): Scope[] {
  const chosen = ticked.filter((scope): scope is Scope => requested.includes(scope as Scope) && allows([maxScope], scope as Scope));
  return ladder(topScope(['read', ...chosen]));
}

function showLogin(context: OAuthContext, request: Request, authorization: AuthorizationRequest, extra: { username?: string; error?: string } = {}, status = 200, retryAfterSeconds?: number): Response {
  const csrf = csrfFor(context, request, formOf(request));
  const result = loginPage({ brand: context.settings.brand, action: actionOf(request), csrf: csrf.field, client: clientView(authorization), providers: signInButtons(context), password: context.settings.passwordSignIn, ...extra });
  return page(result, status, csrf.setCookie, retryAfterSeconds);
}

async function showConsent(context: OAuthContext, request: Request, authorization: AuthorizationRequest, session: SignedIn): Promise<Response> {
  const csrf = csrfFor(context, request, formOf(request));
  const counts = context.toolCounts();
  const previous = await context.store.getConsent(session.identity.userId, authorization.client.id);
  const offered = SCOPES.filter((scope) => scope === 'read' || authorization.scopes.includes(scope));
  const result = consentPage({
    brand: context.settings.brand,
    action: actionOf(request),
    csrf: csrf.field,
    client: clientView(authorization),
    user: { name: session.identity.name },
    scopes: offered.map((scope) => {
      const allowed = allows([session.identity.maxScope], scope);
      // what this user approved for this client before is ticked again; otherwise what was asked for, except
      // admin (deleting), which the user opts into (least privilege by default)
      const checked = allowed && (previous ? previous.scopes.includes(scope) : scope !== 'admin');
      return { scope, summary: SCOPE_SUMMARIES[scope], toolCount: counts[scope], checked: scope === 'read' || checked, allowed, required: scope === 'read' };
    }),
  });
  return page(result, 200, csrf.setCookie);
}

function clientView(authorization: AuthorizationRequest) {
  const { client } = authorization;
  return { name: clientName(client), id: client.id, uri: client.metadata.clientUri, logoUri: client.metadata.logoUri, verified: client.verified, redirectUri: authorization.redirectUri };
}

/** What a CSRF field of these pages is bound to: this authorization request (the query carries all of it). */
function formOf(request: Request): string {
  return `authorize${new URL(request.url).search}`;
}

/** The forms post back to where they were shown: the same path and query (the authorization request). */
function actionOf(request: Request): string {
  const url = new URL(request.url);
  return `${url.pathname}${url.search}`;
}

export function page(result: PageResult, status: number, setCookie?: string, retryAfterSeconds?: number): Response {
  const headers = new Headers(result.headers);
  if (setCookie) headers.append('set-cookie', setCookie);
  if (retryAfterSeconds !== undefined) headers.set('retry-after', String(retryAfterSeconds));
  return new Response(result.html, { status, headers });
}

export function forbidden(context: OAuthContext, message: string): Response {
  return page(errorPage({ brand: context.settings.brand, title: 'Request refused', message, status: 403 }), 403);
}

function redirect(location: string): Response {
  return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store' } });
}
