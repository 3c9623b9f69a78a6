/**
 * @module oauth/account
 * `/account`: a signed-in user sees the applications connected to their account and can disconnect any of
 * them (which revokes that grant and every token issued from it, at once, on every instance).
 */
import { forbidden, page } from './authorize';
import { csrfFor, csrfValid, sameOrigin, signedIn, signInCookie, signOut } from './browser-session';
import { clientName, findClient } from './clients';
import type { OAuthContext } from './context';
import type { Identity } from './identity';
import { accountPage, loginPage, type ConnectionView } from './pages';
import { isScope } from './scopes';
import { readForm } from './form';
import { attemptSignIn } from './sign-in';
import { chosenMethod, leave, signInButtons } from './sign-in-trip';

const NOTICES: Readonly<Record<string, string>> = {
  disconnected: 'The app was disconnected. It can no longer act for you; connect it again to use it.',
  'not-found': 'That connection no longer exists.',
};

export async function accountGet(context: OAuthContext, request: Request): Promise<Response> {
  const session = await signedIn(context, request);
  const csrf = csrfFor(context, request, 'account');
  if (!session) return page(loginPage({ brand: context.settings.brand, action: '/account', csrf: csrf.field, providers: signInButtons(context), password: context.settings.passwordSignIn }), 200, csrf.setCookie);
  const grants = await context.store.listGrantsForUser(session.identity.userId);
  const connections: ConnectionView[] = await Promise.all(
    grants.map(async (grant) => ({
      grantId: grant.id,
      clientName: await nameOf(context, grant.clientId),
      scopes: grant.scopes.filter(isScope),
      connectedAt: new Date(grant.createdAt),
      // from the store, so whichever instance renders the page shows every instance's use (up to a minute late: store/grant-uses)
      ...(grant.lastUsedAt !== null && { lastUsedAt: new Date(grant.lastUsedAt) }),
    })),
  );
  const notice = NOTICES[new URL(request.url).searchParams.get('notice') ?? ''];
  const result = accountPage({ brand: context.settings.brand, action: '/account', csrf: csrf.field, user: { name: session.identity.name }, connections, ...(notice && { notice }) });
  return page(result, 200, csrf.setCookie);
}

export async function accountPost(context: OAuthContext, request: Request, clientAddress: string): Promise<Response> {
  if (!sameOrigin(context, request)) return forbidden(context, 'This form was sent from another website.');
  const form = await readForm(request);
  if (!form) return forbidden(context, 'The form is too large.');
  if (!csrfValid(context, request, form.get('csrf'), 'account')) return forbidden(context, 'This form has expired or was not sent from this site. Open the account page again.');
  // a user who signs in through the provider or the app comes back here, signed in
  const method = chosenMethod(context, form);
  if (method) return leave(context, method, '/account');
  if (form.has('username')) {
    const outcome = await attemptSignIn(context, request, form, clientAddress);
    if ('error' in outcome) {
      const csrf = csrfFor(context, request, 'account');
      return page(loginPage({ brand: context.settings.brand, action: '/account', csrf: csrf.field, providers: signInButtons(context), password: context.settings.passwordSignIn, username: outcome.username, error: outcome.error }), outcome.status, csrf.setCookie, outcome.retryAfterSeconds);
    }
    return seeOther('/account', await signInCookie(context, outcome.identity), outcome.setCookie);
  }
  const session = await signedIn(context, request);
  if (!session) return seeOther('/account');
  if (form.has('signout')) {
    context.log.info('oauth.signed_out', { user: session.identity.userId });
    return seeOther('/account', await signOut(context, session));
  }
  const grantId = form.get('grant') ?? '';
  // what the grant holds of the API's authorization server, read before it is gone
  const grant = context.chained && (await context.store.listGrantsForUser(session.identity.userId)).find((candidate) => candidate.id === grantId);
  const revoked = await context.store.revokeGrantOfUser(session.identity.userId, grantId);
  if (revoked) {
    context.log.info('oauth.grant_revoked', { user: session.identity.userId, grant: grantId, by: 'account page' });
    context.events.tokenRevoked('grant');
    // a chained sign-in: the API's own tokens are revoked at its server too (RFC 7009), so the disconnected app leaves nothing live behind
    const identity = grant ? (context.keys.open(grant.data, `grant:${grant.id}`) as Identity | undefined) : undefined;
    if (identity?.via === 'chained') await context.chained?.revoke(identity);
  }
  return seeOther(`/account?notice=${revoked ? 'disconnected' : 'not-found'}`);
}

async function nameOf(context: OAuthContext, clientId: string): Promise<string> {
  try {
    const client = await findClient(context, clientId);
    return client ? clientName(client) : 'A removed application';
  } catch {
    return clientId;
  }
}

function seeOther(location: string, ...setCookies: string[]): Response {
  const headers = new Headers({ location, 'cache-control': 'no-store' });
  for (const cookie of setCookies) headers.append('set-cookie', cookie);
  return new Response(null, { status: 303, headers });
}
