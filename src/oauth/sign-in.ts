/**
 * @module oauth/sign-in
 * One sign-in attempt, shared by the authorize flow and the account page: the same answer for an unknown
 * user and a wrong password, a different one when the identity source cannot be asked, and throttled so
 * that guessing is slow without letting a stranger lock anyone out.
 *
 * What is counted (failures, in fixed windows of `loginWindowMs`, in the store so every instance shares them):
 * - per account *and* address: `maxLoginFailures` — a guesser is stopped, the owner elsewhere is not;
 * - per address, over all accounts: 4× that — one address cannot try many accounts (an office behind one NAT
 *   still gets more than one person's share);
 * - per account, from everywhere: 20× that — past it the account is under a distributed attack, and only
 *   browsers it signed in from before (its device cookie, `oauth/browser-session`) may try;
 * - a browser with the account's device cookie is counted on its own (`maxLoginFailures` per browser), not
 *   per address or account: strangers' guesses never use up its owner's attempts.
 *
 * Each attempt reserves its counts *before* the API is asked (an atomic increment), so simultaneous attempts
 * cannot all slip under a limit; the reservation is taken back when the attempt was refused, succeeded, or
 * could not be checked (the identity source unreachable, or not set up to understand the question) — only
 * wrong passwords stay counted.
 */
import { addressKey } from '../ops/rate-limit';
import type { OAuthContext } from './context';
import { deviceCookie, knownDevice } from './browser-session';
import { IdentityMisconfiguredError, IdentityUnavailableError, type Identity } from './identity';

export const WRONG_CREDENTIALS = 'The username or password is incorrect.';
export const MISCONFIGURED =
  'Signing in is not set up correctly on this server: the API did not accept the sign-in request. The administrator can find the details in the log.';
const MAX_FIELD = 1024;
/** A shared address (an office behind one NAT) gets more failures than one account from it. */
const ADDRESS_FACTOR = 4;
/** Failures on one account from everywhere before only known browsers may try it. */
const ACCOUNT_FACTOR = 20;

export type SignInOutcome =
  /** Signed in; `setCookie`: the device cookie that makes this browser known to the account. */
  | { readonly identity: Identity; readonly setCookie: string }
  | { readonly error: string; readonly status: number; readonly username: string; readonly retryAfterSeconds?: number };

/** One counter an attempt is held to. */
interface Count {
  readonly key: string;
  readonly limit: number;
  /** Cleared on success (the user's own mistakes are forgiven once they get it right). */
  readonly clearOnSuccess: boolean;
}

/**
 * @param request the form post, for the device cookie
 * @param clientAddress who sent it, as `http/front` decided
 */
export async function attemptSignIn(context: OAuthContext, request: Request, form: URLSearchParams, clientAddress: string): Promise<SignInOutcome> {
  const username = (form.get('username') ?? '').trim().slice(0, MAX_FIELD);
  const password = (form.get('password') ?? '').slice(0, MAX_FIELD);
  // the form is not shown then; a hand-made post must not reach the API's login either
  if (!context.settings.passwordSignIn) return { username, error: 'Signing in with a password is not offered here: use one of the buttons above.', status: 400 };
  if (!username || !password) return { username, error: 'Enter your username and password.', status: 400 };

  const { maxLoginFailures, loginWindowMs } = context.settings;
  const account = username.toLowerCase();
  // an IPv6 client can take any address of its /64: the block is the address here, as in every per-address limit
  const address = addressKey(clientAddress);
  const device = knownDevice(context, request, account);
  const counts: Count[] = device
    ? [{ key: `login:device:${device.id}`, limit: maxLoginFailures, clearOnSuccess: true }]
    : [
        { key: `login:pair:${address}\n${account}`, limit: maxLoginFailures, clearOnSuccess: true },
        { key: `login:address:${address}`, limit: maxLoginFailures * ADDRESS_FACTOR, clearOnSuccess: false },
        { key: `login:account:${account}`, limit: maxLoginFailures * ACCOUNT_FACTOR, clearOnSuccess: false },
      ];

  const now = context.now();
  const store = context.store;
  const reserved = await Promise.all(counts.map((count) => store.hit(count.key, now, loginWindowMs)));
  const release = () => Promise.all(counts.map((count) => store.releaseHit(count.key, now)));
  const over = counts.flatMap((count, index) => (reserved[index]!.count > count.limit ? [{ key: count.key, resetAt: reserved[index]!.resetAt }] : []));
  if (over.length > 0) {
    await release();
    const seconds = Math.max(1, Math.ceil((Math.max(...over.map((count) => count.resetAt)) - now) / 1000));
    const accountWide = over.some((count) => count.key.startsWith('login:account:'));
    context.log.warn('oauth.login_throttled', { address: clientAddress, by: over.map((count) => count.key.split(':')[1]).join(' '), knownBrowser: device !== undefined });
    const error = accountWide
      ? `This account is receiving too many failed sign-in attempts, so for now it can only be signed in to from a browser that signed in to it before. Try again in at most ${Math.ceil(seconds / 60)} minutes.`
      : `Too many failed sign-in attempts. Try again in at most ${Math.ceil(seconds / 60)} minutes.`;
    return { username, error, status: 429, retryAfterSeconds: seconds };
  }

  let identity: Identity | null;
  try {
    identity = await context.identity.verifyPassword(username, password);
  } catch (error) {
    await release();
    if (error instanceof IdentityMisconfiguredError) {
      // no password was checked: nothing to count, nothing the user can fix by typing it again
      context.log.error('oauth.identity_misconfigured', { ...error.details, reason: error.message });
      return { username, error: MISCONFIGURED, status: 500 };
    }
    if (!(error instanceof IdentityUnavailableError)) throw error;
    context.log.error('oauth.identity_unavailable', { reason: error.message });
    return { username, error: 'Signing in is not possible right now: the service that checks passwords did not answer. Try again in a minute.', status: 503, retryAfterSeconds: 60 };
  }
  if (!identity) {
    context.log.info('oauth.login_failed', { address: clientAddress, knownBrowser: device !== undefined });
    return { username, error: WRONG_CREDENTIALS, status: 401 };
  }
  await Promise.all(counts.map((count) => (count.clearOnSuccess ? store.clearHits(count.key) : store.releaseHit(count.key, now))));
  return { identity, setCookie: deviceCookie(context, account, device) };
}
