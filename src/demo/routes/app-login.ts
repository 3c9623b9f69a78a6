/**
 * @module demo/routes/app-login
 * The demo app's own login page for Portico (delegated sign-in): the reference implementation of the two
 * endpoints an app adds so that Portico can sign its users in however the app does (here a password; in a real
 * app MFA, passkeys or SSO):
 *
 * - `GET /app/portico-login?return_to=…&state=…`: the app's page. It answers only for a `return_to` it knows
 *   (Portico's callback, `allowReturnTo`) — never an open redirect. Signed in, the browser goes back to
 *   `return_to` with a one-time `code` (60 s, bound to that `return_to`) and the `state` unchanged; "Cancel" sends
 *   `error=access_denied` instead.
 * - `POST /v1/auth/portico/redeem` `{ code, redirect_uri }`: Portico, server to server, redeems the code once for the
 *   user's token — the same answer as `POST /v1/auth/login`.
 */
import { randomBytes } from 'node:crypto';
import { Elysia } from 'elysia';
import type { DemoContext } from '../context';
import { ApiError } from '../errors';
import { checkPassword, sessionAnswer } from './login';

const CODE_TTL_MS = 60_000;

/** The app's side of delegated sign-in: where it may send the browser back, and the codes not yet redeemed. */
export class AppLogins {
  readonly returnTo = new Set<string>();
  private readonly codes = new Map<string, { userId: string; returnTo: string; expiresAt: number }>();

  constructor(private readonly now: () => number) {}

  issue(userId: string, returnTo: string): string {
    const code = randomBytes(24).toString('base64url');
    this.codes.set(code, { userId, returnTo, expiresAt: this.now() + CODE_TTL_MS });
    return code;
  }

  /** The user of `code` for `returnTo`, once: a second redemption, an expired code or another return URL gets nothing. */
  redeem(code: string, returnTo: string): string | undefined {
    const found = this.codes.get(code);
    this.codes.delete(code);
    if (!found || found.expiresAt <= this.now() || found.returnTo !== returnTo) return undefined;
    return found.userId;
  }
}

export const appLoginRoutes = (context: DemoContext) =>
  new Elysia({ name: 'demo/app-login' })
    .get('/app/portico-login', ({ request }) => {
      const url = new URL(request.url);
      const returnTo = url.searchParams.get('return_to') ?? '';
      const state = url.searchParams.get('state') ?? '';
      if (!context.appLogins.returnTo.has(returnTo)) return page(400, `This sign-in was started by an application this server does not know (${returnTo || 'no return_to'}).`);
      return form(returnTo, state, '', undefined);
    })
    .post('/app/portico-login', async ({ request }) => {
      const fields = new URLSearchParams(await request.text());
      const returnTo = fields.get('return_to') ?? '';
      const state = fields.get('state') ?? '';
      if (!context.appLogins.returnTo.has(returnTo)) return page(400, 'This sign-in was started by an application this server does not know.');
      const back = new URL(returnTo);
      back.searchParams.set('state', state);
      if (fields.get('action') === 'cancel') {
        back.searchParams.set('error', 'access_denied');
        return Response.redirect(back.href, 303);
      }
      const email = (fields.get('email') ?? '').trim().toLowerCase();
      const user = await checkPassword(context.store, email, fields.get('password') ?? '');
      if (!user) return form(returnTo, state, email, 'Wrong email or password.');
      back.searchParams.set('code', context.appLogins.issue(user.id, returnTo));
      return Response.redirect(back.href, 303);
    }, { parse: 'none' })
    .post('/v1/auth/portico/redeem', ({ body }) => {
      const { code, redirect_uri: returnTo } = (typeof body === 'object' && body !== null ? body : {}) as { code?: unknown; redirect_uri?: unknown };
      if (typeof code !== 'string' || typeof returnTo !== 'string') throw new ApiError(400, 'validation_failed', 'code and redirect_uri are required');
      const userId = context.appLogins.redeem(code, returnTo);
      const user = userId === undefined ? undefined : context.store.users.get(userId);
      if (!user) throw new ApiError(400, 'invalid_code', 'the code is unknown, expired, already used or for another redirect_uri');
      return sessionAnswer(context, user);
    });

function form(returnTo: string, state: string, email: string, error: string | undefined): Response {
  const hidden = `<input type="hidden" name="return_to" value="${escape(returnTo)}"><input type="hidden" name="state" value="${escape(state)}">`;
  return page(
    error ? 401 : 200,
    `${error ? `<p role="alert">${escape(error)}</p>` : ''}<form method="post" action="/app/portico-login">${hidden}
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="${escape(email)}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" name="action" value="sign-in">Sign in</button></form>
<form method="post" action="/app/portico-login">${hidden}<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button></form>`,
    true,
  );
}

function page(status: number, body: string, html = false): Response {
  return new Response(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Acme Postgres — sign in</title>
<style>body{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}label,input,button{display:block;width:100%;box-sizing:border-box}input{margin:.25rem 0 1rem;padding:.5rem}button{padding:.6rem;font-weight:600;margin-top:.5rem}[role=alert]{color:#b42318}</style></head>
<body><h1>Acme Postgres</h1><p>Sign in to connect an AI agent to your account.</p>${html ? body : `<p role="alert">${escape(body)}</p>`}</body></html>`,
    { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY' } },
  );
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
