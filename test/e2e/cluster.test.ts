/**
 * Several instances on one PostgreSQL, as the hosted deployment runs them behind a load balancer: two
 * `portico serve` processes (A and B) with the same database, server secret and public URL (the balancer's,
 * which both serve as issuer and resource). The test talks to each instance on its own port, as the balancer
 * would, and sends the public origin on form posts, as a browser that came through the balancer does.
 *
 * What one instance did, the other must see at once: tokens, revocations, rotations and used codes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { startDemoApi, type RunningDemoApi } from '../../src/demo';
import { hashToken } from '../../src/oauth/crypto';
import { openStore, type Store } from '../../src/store';
import { CookieJar, signIn } from '../fixtures/oauth-client';
import {
  authorizationUrl,
  authorize,
  connect,
  emailOf,
  exchangeCode,
  mcpRequest,
  openSession,
  pkce,
  refreshGrant,
  registerClient,
  revokeToken,
  whoAmI,
  type TokenSet,
} from '../fixtures/oauth-http';
import { startInstance, stopAllInstances, unusedPort, writeSecretFile, type PorticoInstance } from '../fixtures/portico-instance';
import { startPostgres } from '../fixtures/postgres';
import { ALICE, BOB } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';

/** Explicit, as Bun 1.4 does not always apply the preload's default: processes start slowly on a busy machine. */
const TEST_TIMEOUT_MS = 45_000;

const pg = await startPostgres();

let demo: RunningDemoApi | undefined;
let store: Store | undefined;
let a: PorticoInstance;
let b: PorticoInstance;
let publicUrl: string;
let env: Record<string, string>;

afterAll(async () => {
  await stopAllInstances();
  await store?.close();
  await demo?.stop();
  await pg?.close();
  removeTempDirs();
}, TEST_TIMEOUT_MS);

if (!pg) {
  describe.skip('several instances on one PostgreSQL (no PostgreSQL: see the note above)', () => {
    test('cluster', () => {});
  });
} else {
  const fixture = pg;

  beforeAll(async () => {
    demo = await startDemoApi({ port: 0, tokenTtlMs: 3_600_000, slowMs: 0, settleMs: 0 });
    // the balancer's address: nothing listens there in this test, but it is what both instances call themselves
    publicUrl = `http://localhost:${await unusedPort()}`;
    env = {
      PORTICO_UPSTREAM: demo.baseUrl,
      PORTICO_SPEC: demo.specUrl,
      PORTICO_SPEC_TTL: '0',
      PORTICO_AUTH: 'oauth',
      PORTICO_MCP_MODE: 'stateless',
      PORTICO_DATABASE_URL: fixture.url,
      PORTICO_SECRET_FILE: await writeSecretFile(join(tempDir(), 'secret.key')),
      PORTICO_PUBLIC_URL: publicUrl,
      PORTICO_LOGIN_USERNAME_FIELD: 'email',
    };
    // started together: the migration's advisory lock makes one migrate and the other find nothing to do
    [a, b] = await Promise.all([startInstance(env), startInstance(env)]);
    store = await openStore(fixture.url, { poolSize: 2 });
  }, TEST_TIMEOUT_MS);

  describe('two instances on one PostgreSQL', () => {
    test('both call themselves by the public URL, and each accepts requests on its own address', async () => {
      for (const instance of [a, b]) {
        const metadata = (await (await fetch(`${instance.url}/.well-known/oauth-authorization-server`)).json()) as { issuer: string; token_endpoint: string };
        expect(metadata.issuer).toBe(publicUrl);
        expect(metadata.token_endpoint).toBe(`${publicUrl}/oauth/token`);
        const resource = (await (await fetch(`${instance.url}/.well-known/oauth-protected-resource/mcp`)).json()) as { resource: string };
        expect(resource.resource).toBe(`${publicUrl}/mcp`);
        expect(instance.stderr()).toContain(`MCP endpoint: ${publicUrl}/mcp`);
      }
    }, TEST_TIMEOUT_MS);

    test("the balancer's Host and Origin are accepted on /mcp; a form posted from an instance's own origin is not", async () => {
      const { clientId, tokens } = await connect(a.url, publicUrl, BOB);
      // as the balancer forwards it: Host and Origin of the public URL
      const forwarded = await fetch(b.mcpUrl, {
        method: 'POST',
        headers: { host: new URL(publicUrl).host, origin: publicUrl, authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_current_user', arguments: {} } }),
      });
      expect(forwarded.status).toBe(200);
      expect(((await forwarded.json()) as { result: { structuredContent: { email: string } } }).result.structuredContent.email).toBe(BOB.email);
      // the issuer is the public URL: a sign-in form sent from a page on an instance's own address is someone else's
      const url = authorizationUrl(b.url, publicUrl, clientId, pkce().challenge);
      await expect(signIn(url, BOB, { origin: b.url })).rejects.toThrow('signing in answered 403');
    }, TEST_TIMEOUT_MS);

    test('a token issued through A works on B, and one issued through B works on A', async () => {
      const jar = new CookieJar();
      const throughA = await connect(a.url, publicUrl, ALICE, jar);
      expect(emailOf(await whoAmI(b.mcpUrl, throughA.tokens.access_token))).toBe(ALICE.email);
      expect(emailOf(await whoAmI(a.mcpUrl, throughA.tokens.access_token))).toBe(ALICE.email);

      // the sign-in cookie A set opens on B too (same secret): B shows the consent page straight away
      const clientId = await registerClient(b.url);
      const { code, verifier } = await authorize(b.url, publicUrl, clientId, ALICE, jar);
      const exchanged = await exchangeCode(b.url, clientId, code, verifier);
      expect(exchanged.status).toBe(200);
      expect(emailOf(await whoAmI(a.mcpUrl, exchanged.json.access_token))).toBe(ALICE.email);
    }, TEST_TIMEOUT_MS);

    test('an access token revoked on B is refused by A on the next call', async () => {
      const { clientId, tokens } = await connect(a.url, publicUrl, BOB);
      expect(emailOf(await whoAmI(a.mcpUrl, tokens.access_token))).toBe(BOB.email);
      const revoked = await revokeToken(b.url, clientId, tokens.access_token);
      expect(revoked.status).toBe(200);
      const refused = await whoAmI(a.mcpUrl, tokens.access_token);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
      // only that access token ended: the grant goes on, through either instance
      const refreshed = await refreshGrant(a.url, clientId, tokens.refresh_token);
      expect(refreshed.status).toBe(200);
      expect(emailOf(await whoAmI(b.mcpUrl, refreshed.json.access_token))).toBe(BOB.email);
    }, TEST_TIMEOUT_MS);

    test('a refresh token revoked on B ends the whole grant on A at once', async () => {
      const { clientId, tokens } = await connect(b.url, publicUrl, ALICE);
      expect(emailOf(await whoAmI(a.mcpUrl, tokens.access_token))).toBe(ALICE.email);
      expect((await revokeToken(b.url, clientId, tokens.refresh_token)).status).toBe(200);
      expect((await whoAmI(a.mcpUrl, tokens.access_token)).status).toBe(401);
      const refreshed = await refreshGrant(a.url, clientId, tokens.refresh_token);
      expect(refreshed.status).toBe(400);
      expect(refreshed.json.error).toBe('invalid_grant');
    }, TEST_TIMEOUT_MS);

    test('concurrent refreshes of one token through A and B: both succeed (one rotation, one grace retry), never a revocation', async () => {
      const { clientId, tokens } = await connect(a.url, publicUrl, ALICE);
      const grantId = (await store!.getRefreshToken(hashToken(tokens.refresh_token)))!.grant.id;
      const refreshedBefore = [...a.events('oauth.token_refreshed'), ...b.events('oauth.token_refreshed')].length;
      let current: TokenSet = tokens;
      const rounds = 8;
      for (let round = 0; round < rounds; round++) {
        const [viaA, viaB] = await Promise.all([refreshGrant(a.url, clientId, current.refresh_token), refreshGrant(b.url, clientId, current.refresh_token)]);
        expect({ round, a: viaA.status, b: viaB.status, bodyA: viaA.json, bodyB: viaB.json }).toMatchObject({ a: 200, b: 200 });
        // both answers hold working tokens, usable on either instance
        for (const set of [viaA.json, viaB.json] as TokenSet[]) {
          expect(set.refresh_token).not.toBe(current.refresh_token);
          expect(emailOf(await whoAmI(a.mcpUrl, set.access_token))).toBe(ALICE.email);
          expect(emailOf(await whoAmI(b.mcpUrl, set.access_token))).toBe(ALICE.email);
        }
        current = (round % 2 === 0 ? viaA.json : viaB.json) as TokenSet;
      }
      // every round was one rotation and one retry within the grace period, whichever instance won
      const refreshed = [...a.events('oauth.token_refreshed'), ...b.events('oauth.token_refreshed')].slice(refreshedBefore).filter((e) => e.grant === grantId);
      expect(refreshed).toHaveLength(2 * rounds);
      expect(refreshed.filter((e) => e.retry === true)).toHaveLength(rounds);
      expect([...a.events('oauth.refresh_reused'), ...b.events('oauth.refresh_reused')].filter((e) => e.grant === grantId)).toEqual([]);
      // the grant is still there, and goes on
      expect(await store!.listGrantsForUser(refreshed[0]!.user as string)).toContainEqual(expect.objectContaining({ id: grantId }));
      const next = await refreshGrant(b.url, clientId, current.refresh_token);
      expect(next.status).toBe(200);
      expect(emailOf(await whoAmI(a.mcpUrl, next.json.access_token))).toBe(ALICE.email);
      // and the first token of the grant, rotated long ago, is still honoured until it expires
      expect(emailOf(await whoAmI(b.mcpUrl, tokens.access_token))).toBe(ALICE.email);
    }, TEST_TIMEOUT_MS);

    test('a burst of four refreshes of one token, two through each instance: all succeed, and the grant goes on', async () => {
      const { clientId, tokens } = await connect(b.url, publicUrl, BOB);
      const replies = await Promise.all([a, b, a, b].map((instance) => refreshGrant(instance.url, clientId, tokens.refresh_token)));
      expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 200]);
      for (const reply of replies) expect(emailOf(await whoAmI(a.mcpUrl, reply.json.access_token))).toBe(BOB.email);
      expect((await refreshGrant(a.url, clientId, replies[3]!.json.refresh_token)).status).toBe(200);
    }, TEST_TIMEOUT_MS);

    test('a rotated token presented at B after its successor was used at A is a reuse: the grant ends on both at once', async () => {
      const { clientId, tokens } = await connect(a.url, publicUrl, ALICE);
      const second = await refreshGrant(a.url, clientId, tokens.refresh_token);
      const third = await refreshGrant(a.url, clientId, second.json.refresh_token);
      expect([second.status, third.status]).toEqual([200, 200]);
      const reused = await refreshGrant(b.url, clientId, tokens.refresh_token);
      expect(reused.status).toBe(400);
      expect(reused.json.error).toBe('invalid_grant');
      expect(b.events('oauth.refresh_reused')).toHaveLength(1);
      expect((await whoAmI(a.mcpUrl, third.json.access_token)).status).toBe(401);
      expect((await refreshGrant(a.url, clientId, third.json.refresh_token)).json.error).toBe('invalid_grant');
    }, TEST_TIMEOUT_MS);

    test('a code replayed at B after its redemption at A is refused, and what A issued for it is revoked', async () => {
      const clientId = await registerClient(a.url);
      const { code, verifier } = await authorize(a.url, publicUrl, clientId, BOB);
      const first = await exchangeCode(a.url, clientId, code, verifier);
      expect(first.status).toBe(200);
      expect(emailOf(await whoAmI(a.mcpUrl, first.json.access_token))).toBe(BOB.email);

      const replay = await exchangeCode(b.url, clientId, code, verifier);
      expect(replay.status).toBe(400);
      expect(replay.json.error).toBe('invalid_grant');
      expect(b.events('oauth.code_replayed')).toHaveLength(1);

      const refused = await whoAmI(a.mcpUrl, first.json.access_token);
      expect(refused.status).toBe(401);
      expect((await refreshGrant(a.url, clientId, first.json.refresh_token)).json.error).toBe('invalid_grant');
    }, TEST_TIMEOUT_MS);

    test('two codes redeemed at once, one through each instance: exactly one wins', async () => {
      const clientId = await registerClient(b.url);
      const { code, verifier } = await authorize(b.url, publicUrl, clientId, ALICE);
      const [viaA, viaB] = await Promise.all([exchangeCode(a.url, clientId, code, verifier), exchangeCode(b.url, clientId, code, verifier)]);
      expect([viaA.status, viaB.status].sort()).toEqual([200, 400]);
      const loser = viaA.status === 400 ? viaA : viaB;
      expect(loser.json.error).toBe('invalid_grant');
    }, TEST_TIMEOUT_MS);
  });

  describe('stateful mode behind a balancer without session affinity', () => {
    test('a session opened on A and used on B gets a clean 404, and the client starts a new one on B', async () => {
      const stateful = { ...env, PORTICO_MCP_MODE: 'stateful' };
      const [a2, b2] = await Promise.all([startInstance(stateful), startInstance(stateful)]);
      const { tokens } = await connect(a2.url, publicUrl, BOB);
      const session = await openSession(a2.mcpUrl, tokens.access_token);
      const onA = await mcpRequest(a2.mcpUrl, tokens.access_token, 'tools/list', {}, session);
      expect(onA.status).toBe(200);

      const onB = await mcpRequest(b2.mcpUrl, tokens.access_token, 'tools/list', {}, session);
      expect(onB.status).toBe(404);
      expect(onB.json).toMatchObject({ jsonrpc: '2.0', error: { message: expect.stringContaining('session not found') } });

      // what a client does on 404: initialize again, and it lands on B
      const fresh = await openSession(b2.mcpUrl, tokens.access_token);
      expect(fresh).not.toBe(session);
      expect(emailOf(await whoAmI(b2.mcpUrl, tokens.access_token, fresh))).toBe(BOB.email);
      // the session on A is untouched
      expect(emailOf(await whoAmI(a2.mcpUrl, tokens.access_token, session))).toBe(BOB.email);
      await Promise.all([a2.stop(), b2.stop()]);
    }, TEST_TIMEOUT_MS);
  });

  describe('after the work above', () => {
    test('no instance logged an error or a password, and both stop cleanly', async () => {
      for (const instance of [a, b]) {
        expect(instance.events('store.unavailable')).toEqual([]);
        expect(instance.stderr()).not.toContain('"level":"error"');
        expect(instance.stderr()).not.toContain(fixture.password);
      }
      // the one reuse and the replays were the ones this file made on purpose
      expect([...a.events('oauth.refresh_reused'), ...b.events('oauth.refresh_reused')]).toHaveLength(1);
      expect(await a.kill('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(await b.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    }, TEST_TIMEOUT_MS);
  });
}
