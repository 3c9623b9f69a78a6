/**
 * @module oauth/token
 * `POST /oauth/token`: the authorization_code grant (PKCE S256 required; a code is single-use, and a
 * replayed code revokes what it issued) and the refresh_token grant (rotated on every use; the token
 * just replaced is tolerated briefly for a lost response, and answered with the very pair its rotation
 * issued, so that retries never fork the grant; any other reuse revokes the whole grant).
 * Scopes can only narrow; tokens are bound to the resource they were issued for.
 *
 * Every check that can fail runs before anything is consumed: a wrong client, redirect URI, verifier or
 * resource leaves the code usable by its rightful owner.
 */
import type { AccessTokenRecord, NewGrant } from '../store';
import { NO_STORE, OAuthError } from '../wire/oauth';
import { canonicalResource } from './authorization-request';
import { authenticateClient } from './client-auth';
import type { Client } from './clients';
import type { OAuthContext } from './context';
import { hashToken, newId, newToken, s256, safeEqual } from './crypto';
import { readForm } from './form';
import type { Identity } from './identity';
import { renewOnce } from './renewal';
import { parseScopes, scopeText, topScope, ladder, type Scope } from './scopes';

/** RFC 7636 §4.1: 43–128 characters of [A-Z a-z 0-9 - . _ ~]. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** The token answer; a refused request throws an `OAuthError` (the route renders it, `http/answers`). */
export async function token(context: OAuthContext, request: Request): Promise<Response> {
  const form = await readTokenForm(request);
  const client = await authenticateClient(context, request, form);
  const grantType = form.get('grant_type');
  if (grantType === 'authorization_code') return redeemCode(context, client, form);
  if (grantType === 'refresh_token') return refresh(context, client, form);
  throw new OAuthError(grantType ? 'unsupported_grant_type' : 'invalid_request', grantType ? `grant_type "${grantType}" is not supported; use authorization_code or refresh_token` : 'grant_type is required');
}

async function readTokenForm(request: Request): Promise<URLSearchParams> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers.get('content-type') ?? '')) {
    throw new OAuthError('invalid_request', 'send the token request as application/x-www-form-urlencoded');
  }
  const form = await readForm(request);
  if (!form) throw new OAuthError('invalid_request', 'the token request is too large');
  for (const name of new Set(form.keys())) {
    if (form.getAll(name).length > 1) throw new OAuthError('invalid_request', `"${name}" is given more than once`);
  }
  return form;
}

async function redeemCode(context: OAuthContext, client: Client, form: URLSearchParams): Promise<Response> {
  const code = form.get('code');
  const verifier = form.get('code_verifier');
  if (!code) throw new OAuthError('invalid_request', 'code is required');
  if (!verifier) throw new OAuthError('invalid_request', 'code_verifier is required (PKCE)');
  const hash = hashToken(code);
  const record = await context.store.getCode(hash);
  const invalid = (why: string) => new OAuthError('invalid_grant', why);
  if (!record || record.clientId !== client.id) throw invalid('the code is unknown, expired or was issued to another client');
  if (record.usedAt !== null) throw await replayed(context, client.id, record.grantId);
  const redirectUri = form.get('redirect_uri');
  if (redirectUri !== null && redirectUri !== record.redirectUri) throw invalid('redirect_uri differs from the one in the authorization request');
  if (!VERIFIER.test(verifier) || !safeEqual(s256(verifier), record.codeChallenge)) throw invalid('code_verifier does not match the code_challenge');
  const resource = requestedResource(form);
  if (resource !== undefined && resource !== record.resource) throw new OAuthError('invalid_target', `this code is for ${record.resource}`);
  const scopes = narrowed(record.scopes, form.get('scope'));

  const now = context.now();
  const identity = context.keys.open(record.data, `code:${hash}`) as Identity | undefined;
  if (!identity) throw new OAuthError('server_error', 'the code could not be opened (was the server secret changed?)', 500);

  const grant: NewGrant = {
    id: newId('pgr_'),
    userId: record.userId,
    clientId: client.id,
    scopes: record.scopes,
    resource: record.resource,
    data: '',
    createdAt: now,
    // in clear beside the sealed data, so `portico audit` can say who a user id is without the server secret
    userName: identity.name,
  };
  grant.data = context.keys.seal(identity, `grant:${grant.id}`);
  const issued = newTokens(context, now, scopes, record.scopes, identity);
  // the code is used up and the grant issued in one transaction: a crash leaves both or neither
  const redeemed = await context.store.redeemCode({ grant, access: issued.access, refresh: issued.refresh, codeHash: hash, now });
  if (redeemed.kind === 'used') throw await replayed(context, client.id, redeemed.grantId);
  if (redeemed.kind !== 'ok') throw invalid('the code is unknown or expired');
  context.log.info('oauth.token_issued', { user: grant.userId, client: client.id, grant: grant.id, scopes: scopeText(scopes) });
  context.events.tokenIssued();
  return tokenResponse(issued.pair, now);
}

/** A replayed code: whoever holds it now may have stolen it, so what it issued is revoked (RFC 6749 §10.5). */
async function replayed(context: OAuthContext, clientId: string, grantId: string | null): Promise<OAuthError> {
  if (grantId) await context.store.revokeGrant(grantId);
  context.log.warn('oauth.code_replayed', { client: clientId, grant: grantId });
  return new OAuthError('invalid_grant', grantId ? 'the code was already used; the tokens it issued have been revoked' : 'the code was already used; authorize again');
}

async function refresh(context: OAuthContext, client: Client, form: URLSearchParams): Promise<Response> {
  const presented = form.get('refresh_token');
  if (!presented) throw new OAuthError('invalid_request', 'refresh_token is required');
  if (!client.metadata.grantTypes.includes('refresh_token')) throw new OAuthError('unauthorized_client', 'this client did not register the refresh_token grant');
  const hash = hashToken(presented);
  const found = await context.store.getRefreshToken(hash);
  const invalid = (why: string) => new OAuthError('invalid_grant', why);
  // another client's token is refused without touching it: the presenter is not its owner
  if (!found || found.grant.clientId !== client.id) throw invalid('the refresh token is unknown, expired or revoked');
  const { grant } = found;
  const resource = requestedResource(form);
  if (resource !== undefined && resource !== grant.resource) throw new OAuthError('invalid_target', `this token is for ${grant.resource}`);
  const scopes = narrowed(found.token.scopes, form.get('scope'));
  const identity = context.keys.open(grant.data, `grant:${grant.id}`) as Identity | undefined;
  if (!identity) throw new OAuthError('server_error', 'the grant could not be opened (was the server secret changed?)', 500);

  const now = context.now();
  let current = identity;
  if (identity.upstream.expiresAt !== undefined && identity.upstream.expiresAt <= now) {
    const renewed = await renewOnce(context, grant.id, identity);
    if (!renewed) {
      // the API no longer accepts the user's credential and it cannot be renewed: back to sign-in
      await context.store.revokeGrant(grant.id);
      context.log.info('oauth.grant_ended', { user: grant.userId, client: client.id, grant: grant.id, reason: 'upstream credential expired' });
      throw invalid("the user's sign-in at the API has expired; authorize again");
    }
    current = renewed;
    context.log.info('oauth.upstream_renewed', { user: grant.userId, client: client.id, grant: grant.id });
  }
  const issued = newTokens(context, now, scopes, found.token.scopes, current);
  // kept with the presented token for a retry within the grace window; only its holder (with the server secret) opens it
  const successor = context.keys.sealFor(presented, issued.pair, successorContext(hash));
  const next = { access: issued.access, refresh: issued.refresh };
  const outcome = await context.store.rotateRefreshToken({ hash, now, graceMs: context.settings.refreshGraceMs, next, successor });
  switch (outcome.kind) {
    case 'rotated':
      context.log.info('oauth.token_refreshed', { user: grant.userId, client: client.id, grant: grant.id, retry: false });
      context.events.tokenRefreshed();
      return tokenResponse(issued.pair, now);
    case 'grace': {
      // a retry (lost response, refreshes at once): the pair the rotation issued, whatever this one asked for, and
      // nothing new — one chain, so a stolen copy used in the window is still caught when the chain moves on
      const kept = context.keys.openFor(presented, outcome.successor, successorContext(hash));
      if (!isIssuedPair(kept)) throw new OAuthError('server_error', 'the refreshed tokens could not be opened (was the server secret changed?)', 500);
      context.log.info('oauth.token_refreshed', { user: grant.userId, client: client.id, grant: grant.id, retry: true });
      context.events.tokenRefreshed();
      return tokenResponse(kept, now);
    }
    case 'reused':
      context.log.warn('oauth.refresh_reused', { user: grant.userId, client: client.id, grant: grant.id });
      throw invalid('the refresh token was already used; every token of this grant has been revoked');
    default:
      throw invalid('the refresh token is unknown, expired or revoked');
  }
}

/** The requested scopes, which may only narrow `held` (RFC 6749 §6); none requested: all of `held`. */
function narrowed(held: readonly string[], requested: string | null): Scope[] {
  const heldScopes = held as Scope[];
  if (requested === null) return [...heldScopes];
  const { scopes, unknown } = parseScopes(requested);
  const beyond = [...unknown, ...scopes.filter((scope) => !held.includes(scope))];
  if (beyond.length > 0) throw new OAuthError('invalid_scope', `scope may only narrow what was granted (${scopeText(held)}); not granted: ${beyond.join(' ')}`);
  return ladder(topScope(scopes));
}

function requestedResource(form: URLSearchParams): string | undefined {
  const value = form.get('resource');
  if (value === null) return undefined;
  const resource = canonicalResource(value);
  if (!resource) throw new OAuthError('invalid_target', 'resource must be an absolute http(s) URI without a fragment');
  return resource;
}

/** What a token answer hands over: kept sealed at a rotation, so that a retry is answered with the same. */
interface IssuedPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** When the access token expires: a retry's `expires_in` counts down to it. */
  readonly accessExpiresAt: number;
  readonly scope: string;
}

function isIssuedPair(value: unknown): value is IssuedPair {
  if (typeof value !== 'object' || value === null) return false;
  const pair = value as Record<string, unknown>;
  return typeof pair.accessToken === 'string' && typeof pair.refreshToken === 'string' && typeof pair.accessExpiresAt === 'number' && typeof pair.scope === 'string';
}

/** The record a kept successor belongs to: the presented token's row. */
function successorContext(presentedHash: string): string {
  return `successor:${presentedHash}`;
}

/** A new access and refresh token: the records the store keeps, and the pair the client is given. */
function newTokens(context: OAuthContext, now: number, scopes: readonly Scope[], refreshScopes: readonly string[], identity: Identity) {
  const accessToken = newToken('access');
  const refreshToken = newToken('refresh');
  // never past the upstream credential's end: the client refreshes then, and learns it must sign in again
  // a credential renewed silently (chained) does not cut the client's token short: the two lifetimes are independent
  const upstreamEnds = identity.via === 'chained' ? undefined : identity.upstream.expiresAt;
  const accessEnds = Math.min(now + context.settings.accessTokenTtlMs, upstreamEnds ?? Number.POSITIVE_INFINITY);
  const access: Omit<AccessTokenRecord, 'grantId'> = { hash: hashToken(accessToken), scopes: [...scopes], expiresAt: Math.max(accessEnds, now + 1000), createdAt: now };
  const refresh = { hash: hashToken(refreshToken), scopes: [...refreshScopes], expiresAt: now + context.settings.refreshTokenTtlMs, createdAt: now };
  const pair: IssuedPair = { accessToken, refreshToken, accessExpiresAt: access.expiresAt, scope: scopeText(scopes) };
  return { access, refresh, pair };
}

/** The token answer for `pair` at `now` (a retry's access token may have little time left, or none). */
function tokenResponse(pair: IssuedPair, now: number): Response {
  return Response.json(
    {
      access_token: pair.accessToken,
      token_type: 'Bearer',
      expires_in: Math.max(0, Math.floor((pair.accessExpiresAt - now) / 1000)),
      refresh_token: pair.refreshToken,
      scope: pair.scope,
    },
    { headers: NO_STORE },
  );
}
