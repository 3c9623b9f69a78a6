/**
 * @module demo/routes/oidc-login
 * `POST /v1/auth/oidc`: an ID token of the demo's OpenID provider → the API's own bearer token, as an API with
 * "Sign in with Google" does it (its web app gets a Google ID token and trades it here). The token's signature is
 * checked against the provider's keys, and its issuer, audience and expiry; the user is the one with the token's
 * (verified) email. Portico posts the ID token here after its own sign-in through the provider.
 */
import { Elysia } from 'elysia';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { DemoContext } from '../context';
import { ApiError } from '../errors';
import { sessionAnswer } from './login';

export const oidcLoginRoutes = (context: DemoContext) => {
  const oidc = context.options.oidc;
  if (!oidc) return new Elysia({ name: 'demo/oidc-login-off' });
  const keys = createRemoteJWKSet(new URL(oidc.jwksUrl));
  return new Elysia({ prefix: '/v1' }).post('/auth/oidc', async function oidcLogin({ body }) {
    const idToken = typeof body === 'object' && body !== null ? (body as { id_token?: unknown }).id_token : undefined;
    if (typeof idToken !== 'string' || idToken === '') throw new ApiError(400, 'validation_failed', 'id_token is required');
    let email: unknown;
    let verified: unknown;
    try {
      const { payload } = await jwtVerify(idToken, keys, { issuer: oidc.issuer, audience: oidc.audience, clockTolerance: 60 });
      ({ email, email_verified: verified } = payload);
    } catch (error) {
      throw new ApiError(401, 'invalid_token', `the ID token was not accepted: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (typeof email !== 'string' || verified !== true) throw new ApiError(401, 'invalid_token', 'the ID token carries no verified email');
    const user = context.store.userByEmail(email);
    if (!user) throw new ApiError(403, 'forbidden', `there is no account for ${email}; sign up first`);
    return sessionAnswer(context, user);
  });
};
