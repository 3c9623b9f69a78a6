/**
 * @module demo/oidc-provider
 * The demo's OpenID provider, standing in for Google: a real OpenID Connect implementation (panva's
 * `oidc-provider`), not an imitation, so Portico's relying party meets discovery, PKCE, signed ID tokens and a
 * key set exactly as it would at a real provider. Its sign-in form has the fields `username` and `password` and
 * knows the demo users (same passwords) and `dave@example.com`, who signed up with the provider and has no
 * password at the demo API.
 *
 * One client: Portico (`portico-demo`). Its redirect URI is Portico's `/oauth/callback`, known only once the
 * gateway listens (its port may be picked by the system), so the demo says it then (`allowRedirect`).
 * Consent is implied for that first-party client: the user signs in and is sent straight back.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { DEMO_USERS, PROVIDER_USERS } from './seed';

type Provider = import('oidc-provider').default;

/**
 * oidc-provider's notices that say nothing to a person running the demo: that it runs on Bun rather than Node's
 * LTS (true, and beside the point for a stand-in for Google whose protocol the end-to-end tests exercise), and that
 * its state is in memory (as the whole demo's is, on purpose). Every other line it prints gets through.
 */
const EXPECTED_NOTICES = ['oidc-provider WARNING: Unsupported runtime', 'oidc-provider WARNING: a quick start development-only in-memory adapter'];

/** Runs `work` with those two notices kept out of the output. */
async function withoutExpectedNotices<T>(work: () => T | Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && EXPECTED_NOTICES.some((notice) => (args[0] as string).includes(notice))) return;
    warn(...args);
  };
  try {
    return await work();
  } finally {
    console.warn = warn;
  }
}

export const DEMO_CLIENT_ID = 'portico-demo';

export interface RunningDemoProvider {
  /** Its issuer, e.g. `http://127.0.0.1:4011`. */
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Lets the client use `uri` as its redirect URI (Portico's callback, once it listens). */
  allowRedirect(uri: string): void;
  stop(): Promise<void>;
}

/** Who may sign in at the provider, by email: the demo users with their passwords, and the provider-only ones. */
const ACCOUNTS = new Map<string, { readonly password: string; readonly name: string }>([
  ...DEMO_USERS.map((user) => [user.email, { password: user.password, name: user.name }] as const),
  ...PROVIDER_USERS.map((user) => [user.email, { password: user.providerPassword, name: user.name }] as const),
]);

export async function startDemoProvider({ port = 0, hostname = '127.0.0.1' }: { port?: number; hostname?: string } = {}): Promise<RunningDemoProvider> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => resolve());
  });
  const issuer = `http://${hostname}:${(server.address() as AddressInfo).port}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signing = { ...(await exportJWK(privateKey)), kid: 'demo-1', use: 'sig', alg: 'RS256' };
  const redirects = new Set<string>();

  // loaded when the demo starts a provider, not with every command of the binary
  const Provider = await withoutExpectedNotices(async () => (await import('oidc-provider')).default);
  const provider = await withoutExpectedNotices(() => new Provider(issuer, {
    clients: [{ client_id: DEMO_CLIENT_ID, client_secret: clientSecret, redirect_uris: ['http://localhost/oauth/callback'], token_endpoint_auth_method: 'client_secret_post', grant_types: ['authorization_code'], response_types: ['code'] }],
    jwks: { keys: [signing] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    // the ID token carries the user's claims itself: the API that takes it reads the email from it
    conformIdTokenClaims: false,
    ttl: { AccessToken: 3600, AuthorizationCode: 300, IdToken: 3600, Interaction: 600, Session: 86_400, Grant: 86_400 },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: KoaContextWithOIDC, sub: string) => {
      const account = ACCOUNTS.get(sub);
      return account ? { accountId: sub, claims: () => ({ sub, email: sub, email_verified: true, name: account.name }) } : undefined;
    },
    // Portico is this provider's own first-party client: signing in is consenting
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { client, session } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const existing = session.grantIdFor(client.clientId);
      if (existing) return ctx.oidc.provider.Grant.find(existing);
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  }));
  // the redirect URI Portico will use is known only once it listens (`allowRedirect`)
  const allowed = provider.Client.prototype.redirectUriAllowed;
  provider.Client.prototype.redirectUriAllowed = function (this: InstanceType<typeof provider.Client>, uri: string) {
    return redirects.has(uri) || allowed.call(this, uri);
  };

  servePasswordSignIn(server, provider, (login, password) => ACCOUNTS.get(login)?.password === password, DEMO_PAGE, 'the demo provider');

  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    clientId: DEMO_CLIENT_ID,
    clientSecret,
    allowRedirect: (uri) => void redirects.add(uri),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The words of a provider's own sign-in page. */
export interface SignInPageText {
  readonly title: string;
  readonly heading: string;
  readonly intro?: string;
  /** The label of the `username` field, and whether it is an email address. */
  readonly username: { readonly label: string; readonly email: boolean };
  /** What the page says after a wrong username or password. */
  readonly wrong: string;
}

const DEMO_PAGE: SignInPageText = {
  title: 'DemoID — sign in',
  heading: 'DemoID',
  intro: "The demo's identity provider, standing in for Google.",
  username: { label: 'Email', email: true },
  wrong: 'Wrong email or password.',
};

/**
 * Answers `server`'s requests: the sign-in interactions with `passwordInteraction`, everything else with the
 * provider. A failure is a plain 500 naming `who` failed.
 */
export function servePasswordSignIn(server: Server, provider: Provider, verify: (login: string, password: string) => boolean, text: SignInPageText, who: string): void {
  const callback = provider.callback();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (!/^\/interaction\/[\w-]+$/.test(request.url?.split('?')[0] ?? '')) return void callback(request, response);
    void passwordInteraction(provider, verify, text, request, response).catch((error: unknown) => {
      response.statusCode = 500;
      response.setHeader('content-type', 'text/plain; charset=utf-8');
      response.end(`${who} failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
}

/**
 * An oidc-provider's own sign-in page (GET) and its form (POST): the fields `username` and `password`, checked by
 * `verify`; signed in, the interaction finishes with the (lowercased) username as the account. Used by the demo's
 * provider and by the tests' OAuth server alike.
 */
export async function passwordInteraction(provider: Provider, verify: (login: string, password: string) => boolean, text: SignInPageText, request: IncomingMessage, response: ServerResponse): Promise<void> {
  // the form's body is read before anything else is awaited: a request stream left unread meanwhile may not
  // deliver it later (seen under load on Bun's node:http, where the POST then never got an answer)
  const body = request.method === 'POST' ? await bodyOf(request) : '';
  const details = await provider.interactionDetails(request, response);
  if (request.method === 'POST') {
    const form = new URLSearchParams(body);
    const login = (form.get('username') ?? '').trim().toLowerCase();
    if (verify(login, form.get('password') ?? '')) {
      await provider.interactionFinished(request, response, { login: { accountId: login } }, { mergeWithLastSubmission: false });
      return;
    }
    return page(response, text, details.uid, login, text.wrong);
  }
  return page(response, text, details.uid, '', undefined);
}

function page(response: ServerResponse, text: SignInPageText, uid: string, username: string, error: string | undefined): void {
  const escape = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  response.statusCode = error ? 401 : 200;
  response.setHeader('content-type', 'text/html; charset=utf-8');
  response.setHeader('cache-control', 'no-store');
  response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(text.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}label,input,button{display:block;width:100%;box-sizing:border-box}input{margin:.25rem 0 1rem;padding:.5rem}button{padding:.6rem;font-weight:600}[role=alert]{color:#b42318}</style></head>
<body><h1>${escape(text.heading)}</h1>${text.intro ? `<p>${escape(text.intro)}</p>` : ''}
${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}">
<label for="username">${escape(text.username.label)}</label><input id="username" name="username"${text.username.email ? ' type="email"' : ''} autocomplete="username" required value="${escape(username)}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form></body></html>`);
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) {
    text += String(chunk);
    if (text.length > 16_384) throw new Error('the form is too large');
  }
  return text;
}
