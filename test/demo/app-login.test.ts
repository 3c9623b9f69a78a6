/**
 * The demo API's reference implementation of delegated sign-in (the two endpoints an app adds for Portico): its
 * login page answers only for a return URL it knows, sends the browser back with a code and the state, or with
 * access_denied on Cancel; the code is redeemed once, for that return URL, for the same answer as the login.
 */
import { afterAll, expect, test } from 'bun:test';
import { startDemoApi } from '../../src/demo';

const demo = await startDemoApi({ port: 0, slowMs: 0, settleMs: 0 });
afterAll(() => demo.stop());
const RETURN_TO = 'http://localhost:8787/oauth/callback';
demo.api.allowReturnTo(RETURN_TO);

const signIn = (fields: Record<string, string>) =>
  fetch(`${demo.url}/app/portico-login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields), redirect: 'manual' });
const redeem = (code: string, redirectUri = RETURN_TO) =>
  fetch(`${demo.baseUrl}/auth/portico/redeem`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, redirect_uri: redirectUri }) });

test('the page answers only for a return URL it knows: no open redirect', async () => {
  expect((await fetch(`${demo.url}/app/portico-login?return_to=${encodeURIComponent(RETURN_TO)}&state=s1`)).status).toBe(200);
  const foreign = await fetch(`${demo.url}/app/portico-login?return_to=${encodeURIComponent('https://evil.example/cb')}&state=s1`);
  expect(foreign.status).toBe(400);
  expect((await signIn({ email: 'alice@example.com', password: 'alice-demo-password', return_to: 'https://evil.example/cb', state: 's1' })).status).toBe(400);
});

test('signed in: back with a code and the state; the code is good once, for that return URL only', async () => {
  const wrong = await signIn({ email: 'alice@example.com', password: 'nope', return_to: RETURN_TO, state: 's2' });
  expect(wrong.status).toBe(401);
  const answer = await signIn({ email: 'alice@example.com', password: 'alice-demo-password', return_to: RETURN_TO, state: 's2' });
  expect(answer.status).toBe(303);
  const back = new URL(answer.headers.get('location')!);
  expect(`${back.origin}${back.pathname}`).toBe(RETURN_TO);
  expect(back.searchParams.get('state')).toBe('s2');
  const code = back.searchParams.get('code')!;
  expect((await redeem(code, 'http://localhost:9999/oauth/callback')).status).toBe(400);
  // the failed attempt used it up: a code is tried once
  expect((await redeem(code)).status).toBe(400);

  const fresh = new URL((await signIn({ email: 'bob@example.com', password: 'bob-demo-password', return_to: RETURN_TO, state: 's3' })).headers.get('location')!).searchParams.get('code')!;
  const redeemed = await redeem(fresh);
  expect(redeemed.status).toBe(200);
  expect(await redeemed.json()).toMatchObject({ token: expect.any(String), role: 'developer', user: { email: 'bob@example.com' } });
  expect((await redeem(fresh)).status).toBe(400);
});

test('Cancel sends the browser back with access_denied and the state, and no code', async () => {
  const answer = await signIn({ action: 'cancel', return_to: RETURN_TO, state: 's4' });
  const back = new URL(answer.headers.get('location')!);
  expect([back.searchParams.get('error'), back.searchParams.get('state'), back.searchParams.get('code')]).toEqual(['access_denied', 's4', null]);
});

test("a user who signed up with the OpenID provider has no password at the app either", async () => {
  expect((await signIn({ email: 'dave@example.com', password: 'dave-demo-password', return_to: RETURN_TO, state: 's5' })).status).toBe(401);
});
