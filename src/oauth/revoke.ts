/**
 * @module oauth/revoke
 * `POST /oauth/revoke` (RFC 7009). Revoking an access token ends that token; revoking a refresh token ends
 * the whole grant (its access tokens too). A client can only revoke its own tokens; an unknown or foreign
 * token still gets 200, so the endpoint tells nobody which tokens exist.
 */
import { NO_STORE, OAuthError } from '../wire/oauth';
import { authenticateClient } from './client-auth';
import type { OAuthContext } from './context';
import { hashToken } from './crypto';
import { readForm } from './form';

/** Revokes what `token` names (200 whatever it was); a refused request throws an `OAuthError` (the route renders it). */
export async function revoke(context: OAuthContext, request: Request): Promise<Response> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers.get('content-type') ?? '')) {
    throw new OAuthError('invalid_request', 'send the revocation request as application/x-www-form-urlencoded');
  }
  const form = await readForm(request);
  if (!form) throw new OAuthError('invalid_request', 'the revocation request is too large');
  const client = await authenticateClient(context, request, form);
  const token = form.get('token');
  if (!token) throw new OAuthError('invalid_request', 'token is required');
  const hash = hashToken(token);
  const hint = form.get('token_type_hint');
  // the hint only orders the lookups (RFC 7009 §2.1); our prefixes usually settle it
  const refreshFirst = hint === 'refresh_token' || token.startsWith('prt_');
  const lookups = refreshFirst ? [revokeRefresh, revokeAccess] : [revokeAccess, revokeRefresh];
  for (const lookup of lookups) if (await lookup(context, hash, client.id)) break;
  return new Response('{}', { status: 200, headers: { 'content-type': 'application/json', ...NO_STORE } });
}

async function revokeAccess(context: OAuthContext, hash: string, clientId: string): Promise<boolean> {
  const found = await context.store.findAccessToken(hash, context.now());
  if (!found || found.grant.clientId !== clientId) return false;
  await context.store.deleteAccessToken(hash);
  context.log.info('oauth.token_revoked', { kind: 'access', client: clientId, grant: found.grant.id });
  context.events.tokenRevoked('access');
  return true;
}

async function revokeRefresh(context: OAuthContext, hash: string, clientId: string): Promise<boolean> {
  const found = await context.store.getRefreshToken(hash);
  if (!found || found.grant.clientId !== clientId) return false;
  await context.store.revokeGrant(found.grant.id);
  context.log.info('oauth.token_revoked', { kind: 'refresh', client: clientId, grant: found.grant.id });
  context.events.tokenRevoked('refresh');
  return true;
}
