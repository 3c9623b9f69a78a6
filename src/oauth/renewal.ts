/**
 * @module oauth/renewal
 * Renewing the user's API credential once it expires, by whoever can: the API's own authorization server for a
 * chained sign-in (`oauth/chained`: its refresh token), else the identity source (`refresh`). Asked once per grant
 * however many requests wait for it, and stored with the grant.
 */
import { OAuthError } from '../wire/oauth';
import type { OAuthContext } from './context';
import type { Identity, UpstreamCredential } from './identity';

/**
 * Renewals in flight, by grant. Simultaneous refreshes of one grant (a client that retries, two processes of
 * one app, several requests finding the credential expired) all read the expired credential before any renewal is
 * stored; without this each would ask again, and a server whose refresh tokens rotate would see the second ask as
 * reuse. Per process: instances sharing a database can still each ask once.
 */
const renewals = new Map<string, Promise<Identity | null>>();

/** `renewCredential`, asked once per grant however many requests wait for it. */
export function renewOnce(context: OAuthContext, grantId: string, identity: Identity): Promise<Identity | null> {
  let pending = renewals.get(grantId);
  if (!pending) {
    pending = renewCredential(context, grantId, identity).finally(() => renewals.delete(grantId));
    renewals.set(grantId, pending);
  }
  return pending;
}

/** Whether `identity`'s credential can be renewed at all (by its chained server, or by the identity source). */
export function renewable(context: OAuthContext, identity: Identity): boolean {
  return identity.via === 'chained' ? context.chained !== undefined : context.identity.refresh !== undefined;
}

/**
 * The identity with a renewed upstream credential, stored with the grant; null when it cannot be renewed (the
 * server refused the refresh token, the source said no). One that cannot be asked now (throws) is a 503: the
 * grant stays, the client retries.
 */
async function renewCredential(context: OAuthContext, grantId: string, identity: Identity): Promise<Identity | null> {
  let upstream: UpstreamCredential | null;
  try {
    if (identity.via === 'chained') upstream = context.chained ? await context.chained.refresh(identity, context.now()) : null;
    else upstream = context.identity.refresh ? await context.identity.refresh(identity) : null;
  } catch (error) {
    // "cannot now" is not "no": the grant stays and the client tries again
    context.log.warn('oauth.upstream_renewal_failed', { grant: grantId, error: error instanceof Error ? error.message : String(error) });
    throw new OAuthError('temporarily_unavailable', "the user's credential at the API could not be renewed just now; try again shortly", 503);
  }
  if (!upstream || typeof upstream !== 'object' || typeof upstream.headers !== 'object' || (upstream.expiresAt !== undefined && upstream.expiresAt <= context.now())) return null;
  const renewed: Identity = { ...identity, upstream };
  if (!(await context.store.updateGrantData(grantId, context.keys.seal(renewed, `grant:${grantId}`)))) return null;
  return renewed;
}
