/**
 * @module http/oauth-routes
 * The authorization server's HTTP surface as an Elysia plugin: discovery documents, registration, the
 * authorize pages, token and revocation, with CORS on the endpoints a browser client calls from another origin.
 * It lives with the HTTP layer, not in `oauth/`, so that `oauth/` holds the handlers only and never reaches up
 * into `http/`. Handlers read their bodies themselves (`parse: 'none'`), with limits, so Elysia never buffers
 * or guesses. What they throw (`OAuthError`, the store out of reach) goes on to `http/front`, which renders it
 * in this route's dialect (`http/answers`). Who sent a request is what `http/front` decided where it arrived (the
 * request context): the framework, reached through `app.handle`, has no socket to ask.
 */
import { Elysia } from 'elysia';
import { currentClientAddress } from '../log/request-context';
import { accountGet, accountPost, authorizationServerMetadata, authorizeGet, authorizePost, signInCallback, protectedResourceMetadata, register, revoke, token, type OAuthContext } from '../oauth';
import { preflight, withCors, type GuardOptions } from './guard';

/** Public discovery documents may be read from any origin (they are what every client must fetch first). */
const PUBLIC_JSON = { 'access-control-allow-origin': '*', 'cache-control': 'public, max-age=300' };

export function oauthRoutes(context: OAuthContext, guard: GuardOptions) {
  const { settings } = context;
  const resourcePath = new URL(settings.resource).pathname;
  const prm = () => Response.json(protectedResourceMetadata(settings), { headers: PUBLIC_JSON });
  const asm = () => Response.json(authorizationServerMetadata(settings), { headers: PUBLIC_JSON });
  const issuerPath = new URL(settings.issuer).pathname.replace(/\/$/, '');
  // an error thrown on these routes gets CORS from http/front, which renders it
  const cors = (handler: (request: Request) => Promise<Response>) => async ({ request }: { request: Request }) => withCors(request, await handler(request), guard);
  const none = { parse: 'none' as const };

  return new Elysia({ name: 'portico/oauth' })
    .get('/.well-known/oauth-protected-resource', prm)
    .get(`/.well-known/oauth-protected-resource${resourcePath}`, prm)
    .get(`/.well-known/oauth-authorization-server${issuerPath}`, asm)
    .get(`/.well-known/openid-configuration${issuerPath}`, asm)
    .get(`${issuerPath}/.well-known/openid-configuration`, asm)
    .options('/oauth/*', ({ request }) => preflight(request, guard))
    .post('/oauth/register', cors((request) => register(context, request, currentClientAddress())), none)
    .get('/oauth/authorize', ({ request }) => authorizeGet(context, request))
    .post('/oauth/authorize', ({ request }) => authorizePost(context, request, currentClientAddress()), none)
    .post('/oauth/token', cors((request) => token(context, request)), none)
    .post('/oauth/revoke', cors((request) => revoke(context, request)), none)
    .get('/oauth/callback', ({ request }) => signInCallback(context, request))
    .get('/account', ({ request }) => accountGet(context, request))
    .post('/account', ({ request }) => accountPost(context, request, currentClientAddress()), none);
}
