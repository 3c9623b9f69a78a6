/**
 * @module oauth/app-login
 * Sign-in on the app's own login page (delegated sign-in), for logins Portico cannot reproduce — MFA, passkeys,
 * SSO, whatever the app does. Portico sends the browser to a configured page of the app with a return URL and a
 * one-time `state`; the app signs its user in however it does and sends the browser back to Portico's callback
 * with a one-time `code`; Portico redeems the code server to server at a configured endpoint of the API for the
 * user's credential, read like the login answer (`oauth/api-answer`).
 *
 * The app's side, two endpoints (the demo API has a reference implementation):
 * - its login page, `GET <PORTICO_APP_LOGIN_URL>?return_to=<Portico's callback>&state=<opaque>`: signs the user in,
 *   then redirects to `return_to` with `code` (single use, short-lived, bound to that `return_to`) and the same
 *   `state` — or with `error=access_denied` and the `state` when the user gives up. It must send the browser only
 *   to a `return_to` it knows (Portico's callback), never to any URL it is given;
 * - `POST <PORTICO_APP_REDEEM_PATH>` with `{ "code": …, "redirect_uri": <the return_to> }`: the user's API token
 *   (`{ "token", "expires_at", "role", "user": { "id", "email" } }`), once; any other answer refuses the code.
 *
 * Where the trip started is in a sealed cookie (`oauth/sign-in-trip`), with the `state`: a code brought back to
 * another browser, or replayed, finds no trip to finish.
 */
import { identityFromAnswer, type AnswerFields } from './api-answer';
import { IdentityUnavailableError, type Identity } from './identity';
import { SignInError } from './sign-in-error';

export interface AppLoginOptions {
  /** The app's login page (absolute URL). */
  readonly loginUrl: string;
  /** What the button says: "Sign in with {name}". */
  readonly name: string;
  /** Portico's callback: `<public URL>/oauth/callback`. */
  readonly callbackUri: string;
  /** The API's endpoint that redeems a code. */
  readonly redeemUrl: string;
  readonly answer: AnswerFields;
  readonly timeoutMs?: number;
}

/** What the trip to the app's page carries, sealed in its cookie. */
export interface AppTrip {
  readonly method: 'app';
  readonly state: string;
  readonly returnTo: string;
  readonly expiresAt: number;
}

const TRIP_TTL_MS = 10 * 60_000;

export class AppSignIn {
  readonly name: string;

  constructor(private readonly options: AppLoginOptions) {
    this.name = options.name;
  }

  get description(): string {
    return `the app's login page ${this.options.loginUrl}, then the API's POST ${this.options.redeemUrl}`;
  }

  /** The trip to the app's page: where to send the browser, and what its cookie keeps. */
  start(returnTo: string, now: number): { location: string; trip: AppTrip } {
    const trip: AppTrip = { method: 'app', state: crypto.randomUUID(), returnTo, expiresAt: now + TRIP_TTL_MS };
    const url = new URL(this.options.loginUrl);
    url.searchParams.set('return_to', this.options.callbackUri);
    url.searchParams.set('state', trip.state);
    return { location: url.href, trip };
  }

  /** The identity at the end of the trip: the callback's state checked against the trip's, the code redeemed at the API. */
  async finish(callback: URL, trip: AppTrip, now: number): Promise<Identity> {
    const params = callback.searchParams;
    if (trip.expiresAt <= now) throw new SignInError('The sign-in took too long. Go back to your application and connect again.', 'the trip to the app expired');
    if (params.get('state') !== trip.state) {
      throw new SignInError('This sign-in cannot be completed: it was not started in this browser, or it was already used. Go back to your application and connect again.', 'the state the app sent back is not the trip\'s');
    }
    const error = params.get('error');
    if (error) throw new SignInError(error === 'access_denied' ? `You did not sign in with ${this.name}.` : `${this.name} did not sign you in (${error.slice(0, 100)}).`, `the app answered ${error.slice(0, 100)}`);
    const code = params.get('code');
    if (!code || code.length > 2048) throw new SignInError(`${this.name} sent no sign-in code back. Go back to your application and connect again.`, 'the app\'s answer carries no code');
    let response: Response;
    try {
      response = await fetch(this.options.redeemUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ code, redirect_uri: this.options.callbackUri }),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (failure) {
      throw new SignInError('Signing in is not possible right now: the service did not answer. Try again in a minute.', `the redemption at ${this.options.redeemUrl} failed: ${failure instanceof Error ? failure.message : String(failure)}`, 503);
    }
    if (response.status !== 200 && response.status !== 201) {
      const excerpt = (await response.text()).slice(0, 300);
      if (response.status >= 500) throw new SignInError('Signing in is not possible right now: the service did not answer. Try again in a minute.', `the redemption answered ${response.status}: ${excerpt}`, 503);
      throw new SignInError('This sign-in cannot be completed: its code was refused (already used, expired, or not for this server). Go back to your application and connect again.', `the API refused the code: ${response.status} ${excerpt}`);
    }
    try {
      return await identityFromAnswer(response, this.options.answer, 'the app\'s user', `the redemption at ${this.options.redeemUrl}`);
    } catch (failure) {
      if (failure instanceof IdentityUnavailableError) throw new SignInError('Signing in is not possible right now: the service answered in a way Portico cannot use.', failure.message, 502);
      throw failure;
    }
  }
}
