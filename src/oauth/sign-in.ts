/**
 * @module oauth/sign-in
 * One sign-in attempt, shared by the authorize flow and the account page: throttled per account and per
 * client address (failures are counted; a success clears the account's count), the same answer for an
 * unknown user and a wrong password, and a different one when the identity source cannot be asked.
 */
import type { OAuthContext } from './context';
import { IdentityUnavailableError, type Identity } from './identity';

export const WRONG_CREDENTIALS = 'The username or password is incorrect.';
const MAX_FIELD = 1024;
/** A shared address (an office behind one NAT) gets more attempts than one account. */
const ADDRESS_FACTOR = 4;

export type SignInOutcome =
  | { readonly identity: Identity }
  | { readonly error: string; readonly status: number; readonly username: string; readonly retryAfterSeconds?: number };

export async function attemptSignIn(context: OAuthContext, form: URLSearchParams, clientAddress: string): Promise<SignInOutcome> {
  const username = (form.get('username') ?? '').trim().slice(0, MAX_FIELD);
  const password = (form.get('password') ?? '').slice(0, MAX_FIELD);
  if (!username || !password) return { username, error: 'Enter your username and password.', status: 400 };

  const { maxLoginFailures, loginWindowMs } = context.settings;
  const now = context.now();
  const accountKey = `login:account:${username.toLowerCase()}`;
  const addressKey = `login:address:${clientAddress}`;
  // failures are counted, not sign-ins: many users behind one address must not lock each other out
  const [byAccount, byAddress] = await Promise.all([context.store.peekHits(accountKey, now), context.store.peekHits(addressKey, now)]);
  if (byAccount >= maxLoginFailures || byAddress >= maxLoginFailures * ADDRESS_FACTOR) {
    const minutes = Math.ceil(loginWindowMs / 60_000);
    context.log.warn('oauth.login_throttled', { address: clientAddress });
    return { username, error: `Too many failed sign-in attempts. Try again in at most ${minutes} minutes.`, status: 429, retryAfterSeconds: Math.ceil(loginWindowMs / 1000) };
  }

  let identity: Identity | null;
  try {
    identity = await context.identity.verifyPassword(username, password);
  } catch (error) {
    if (!(error instanceof IdentityUnavailableError)) throw error;
    context.log.error('oauth.identity_unavailable', { reason: error.message });
    return { username, error: 'Signing in is not possible right now: the service that checks passwords did not answer. Try again in a minute.', status: 503, retryAfterSeconds: 60 };
  }
  if (!identity) {
    await Promise.all([context.store.hit(accountKey, now, loginWindowMs), context.store.hit(addressKey, now, loginWindowMs)]);
    context.log.info('oauth.login_failed', { address: clientAddress });
    return { username, error: WRONG_CREDENTIALS, status: 401 };
  }
  await context.store.clearHits(accountKey);
  return { identity };
}
