/**
 * @module oauth/sign-in-error
 * A sign-in through another party (an OpenID provider, the app's own login page) that did not end in an
 * identity: what the person is told (what happened, what to do) and, apart from it, what the operator's log says
 * (which check failed; never a token). Nothing is issued.
 */
export class SignInError extends Error {
  override readonly name = 'SignInError';
  constructor(
    /** For the person: what happened and what to do. */
    readonly page: string,
    /** For the operator's log (never a token). */
    readonly reason: string,
    readonly status = 400,
  ) {
    super(reason);
  }
}
