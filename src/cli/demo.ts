/**
 * @module cli/demo
 * `portico demo`: the bundled demo API (a managed-PostgreSQL host) and the gateway in front of it, with
 * no configuration. Users sign in through Portico with a demo account (the demo API's own login);
 * `--as <email>` skips sign-in and calls the API as that user.
 */
import { ConfigError, readServeConfig } from '../config/serve';
import { DEMO_USERS, PROVIDER_USERS, startDemoApi, startDemoProvider, type RunningDemoApi, type RunningDemoProvider } from '../demo';

import { stopOnSignal } from '../ops/signals';
import { splitFlags } from './flags';
import { bannerOf, serve } from './serve';
import { DEMO_USAGE } from './usage';

const DEMO_FLAGS = ['--api-port', '--as', '--control'];
/** The demo's tokens outlive any demo session: an expired credential would look like a gateway bug. */
const DEMO_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export async function runDemo(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(DEMO_USAGE);
    return 0;
  }
  let flags: Record<string, string>;
  try {
    flags = splitFlags(argv);
  } catch (error) {
    return usageError((error as Error).message);
  }
  const apiPort = Number(flags['--api-port'] ?? 4010);
  if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65535) return usageError(`--api-port must be a port number, got "${flags['--api-port']}"`);
  const as = flags['--as'];
  const user = as === undefined ? undefined : DEMO_USERS.find((candidate) => candidate.email === as);
  if (as !== undefined && !user) return usageError(`--as must be one of ${DEMO_USERS.map((u) => u.email).join(', ')}`);
  const gatewayFlags = Object.fromEntries(Object.entries(flags).filter(([name]) => !DEMO_FLAGS.includes(name)));

  // the demo's OpenID provider (standing in for Google), next to the API: a second way to sign in
  let provider: RunningDemoProvider | undefined;
  if (!user) {
    const providerPort = apiPort === 0 ? 0 : apiPort + 1;
    try {
      provider = await startDemoProvider({ port: providerPort });
    } catch (error) {
      process.stderr.write(`portico demo: cannot start the demo OpenID provider on port ${providerPort}: ${(error as Error).message}; pick another --api-port (the provider takes the next port)\n`);
      return 1;
    }
  }
  let demo;
  try {
    const oidc = provider && { issuer: provider.issuer, audience: provider.clientId, jwksUrl: provider.jwksUrl };
    demo = await startDemoApi({ port: apiPort, tokenTtlMs: DEMO_TOKEN_TTL_MS, control: flags['--control'] === 'true', ...(oidc && { oidc }) });
  } catch (error) {
    await provider?.stop();
    process.stderr.write(`portico demo: cannot start the demo API on port ${apiPort}: ${(error as Error).message}; pick another with --api-port\n`);
    return 1;
  }

  let config;
  try {
    config = readServeConfig(gatewayFlags, {
      ...env,
      // a person reads these logs at a terminal: readable lines, unless asked otherwise
      PORTICO_LOG_FORMAT: env.PORTICO_LOG_FORMAT ?? 'text',
      PORTICO_UPSTREAM: demo.baseUrl,
      PORTICO_SPEC: env.PORTICO_SPEC ?? demo.specUrl,
      ...(user ? { PORTICO_AUTH: 'none', PORTICO_UPSTREAM_HEADERS: `Authorization: Bearer ${await demoToken(demo.baseUrl, user)}` } : { ...signInSettings(env, provider), ...appLoginSettings(demo) }),
    });
  } catch (error) {
    await demo.stop();
    await provider?.stop();
    if (!(error instanceof ConfigError)) throw error;
    return usageError(error.message);
  }
  const gateway = await serve(config, { banner: false });
  if (!gateway) {
    await demo.stop();
    await provider?.stop();
    return 1;
  }
  // Portico's callback, now that its address is known
  const callback = `${new URL(gateway.mcpUrl).origin}/oauth/callback`;
  provider?.allowRedirect(callback);
  if (!user) demo.api.allowReturnTo(callback);
  // what a person needs comes last, after the start's log lines: the address, the command, who to sign in as
  process.stderr.write(
    `\nDemo API: ${demo.baseUrl} (document ${demo.specUrl})\n` +
      (provider ? `DemoID:   ${provider.issuer} (the demo's OpenID provider, standing in for Google)\n` : '') +
      `\n${bannerOf(config, gateway)}` +
      (user
        ? `  Calls go to the demo API as ${user.email} (no sign-in).\n`
        : `  Sign in as:   ${DEMO_USERS.map((u) => `${u.email} / ${u.password}`).join(', ')}\n` +
          (provider ? `                or "Continue with DemoID": the same users, and ${PROVIDER_USERS.map((u) => `${u.email} / ${u.providerPassword}`).join(', ')} (no password at the API)\n` : '')),
  );
  // the gateway first, gracefully (its calls in flight still reach the demo API), then the demo API
  await stopOnSignal((graceMs, signal) => gateway.stop({ graceMs, reason: signal }), config.shutdownSeconds * 1000);
  await demo.stop();
  await provider?.stop();
  return 0;
}

/**
 * Sign-in through Portico against the demo API's login endpoint. The demo API keeps its state in memory,
 * so by default Portico does too: grants holding tokens of a demo API that has since restarted would
 * only fail.
 */
function signInSettings(env: Record<string, string | undefined>, provider: RunningDemoProvider | undefined): Record<string, string> {
  return {
    PORTICO_AUTH: 'oauth',
    PORTICO_DATABASE_URL: env.PORTICO_DATABASE_URL ?? 'sqlite::memory:',
    PORTICO_LOGIN_PATH: '/auth/login',
    PORTICO_LOGIN_USERNAME_FIELD: 'email',
    PORTICO_BRAND_NAME: env.PORTICO_BRAND_NAME ?? 'Portico demo (Acme Postgres)',
    PORTICO_PRODUCT_NAME: env.PORTICO_PRODUCT_NAME ?? 'Acme Postgres',
    PORTICO_SIGN_IN_HINT: env.PORTICO_SIGN_IN_HINT ?? 'The demo accounts are printed in the terminal where portico demo runs.',
    ...(provider && {
      PORTICO_OIDC_ISSUER: provider.issuer,
      PORTICO_OIDC_CLIENT_ID: provider.clientId,
      PORTICO_OIDC_CLIENT_SECRET: provider.clientSecret,
      PORTICO_OIDC_NAME: 'DemoID',
      PORTICO_OIDC_EXCHANGE_PATH: '/auth/oidc',
    }),
  };
}

/** The demo API's own login page for Portico (delegated sign-in: what an app with MFA or SSO offers). */
function appLoginSettings(demo: RunningDemoApi): Record<string, string> {
  return { PORTICO_APP_LOGIN_URL: `${demo.url}/app/portico-login`, PORTICO_APP_LOGIN_NAME: 'Acme Postgres', PORTICO_APP_REDEEM_PATH: '/auth/portico/redeem' };
}

async function demoToken(baseUrl: string, user: { email: string; password: string }): Promise<string> {
  const login = await fetch(`${baseUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  return ((await login.json()) as { token: string }).token;
}

function usageError(message: string): number {
  process.stderr.write(`portico demo: ${message}\n\nRun "portico demo --help" for the options.\n`);
  return 2;
}
