/**
 * The refresh grace window over real HTTP: a refresh token presented again shortly after its rotation (a lost
 * response, two refreshes at once) is answered with the very pair the rotation issued, never with a new one. So
 * retries cannot fork the grant into independent chains, and a token stolen and used inside the window is still
 * caught: whoever holds the original can only ever get the one successor, and once that successor is used the
 * original is a reuse that ends the grant.
 */
import { Database } from 'bun:sqlite';
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { hashToken, Keys, newToken } from '../../src/oauth/crypto';
import { connect, emailOf, mcpRequest, openSession, refreshGrant, whoAmI, type Answer, type TokenSet } from '../fixtures/oauth-http';
import { ALICE, startSignedInGateway, type SignedInGateway } from '../fixtures/signed-in-gateway';
import { removeTempDirs } from '../fixtures/temp';

let gw: SignedInGateway;

beforeAll(async () => {
  gw = await startSignedInGateway();
});

afterAll(async () => {
  await gw?.stop();
  removeTempDirs();
});

/** A client connected as Alice: its id and first tokens. */
const connectAlice = () => connect(gw.origin, gw.origin, ALICE);

/** A refresh that must succeed: its token set. */
function ok(answer: Answer): TokenSet {
  expect({ status: answer.status, body: answer.json }).toMatchObject({ status: 200 });
  expect(answer.headers.get('cache-control')).toBe('no-store');
  return answer.json as TokenSet;
}

/** The pair a client keeps from an answer: what must be identical between a rotation and its retries. */
const pairOf = (set: TokenSet) => ({ access_token: set.access_token, refresh_token: set.refresh_token, token_type: set.token_type, scope: set.scope });

/** Who `accessToken` acts for at /mcp: a session opened with it, then `get_current_user`. */
async function emailFor(accessToken: string): Promise<string | undefined> {
  const session = await openSession(gw.mcpUrl, accessToken);
  return emailOf(await whoAmI(gw.mcpUrl, accessToken, session));
}

/** The status /mcp answers an initialize with `accessToken` (401 once it no longer works). */
async function mcpStatus(accessToken: string): Promise<number> {
  const clientInfo = { name: 'refresh-grace-test', version: '1' };
  return (await mcpRequest(gw.mcpUrl, accessToken, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo })).status;
}

/** Runs `fn` on the gateway's database file, read-only, behind its back. */
function readDatabase<T>(fn: (db: Database) => T): T {
  const db = new Database(gw.databasePath, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Refresh tokens stored for the grant of `refreshToken`. */
function refreshTokensOfGrant(refreshToken: string): number {
  const row = readDatabase((db) =>
    db
      .query<{ n: number }, [string]>('SELECT count(*) AS n FROM refresh_tokens WHERE grant_id = (SELECT grant_id FROM refresh_tokens WHERE hash = ?)')
      .get(hashToken(refreshToken)),
  );
  return row?.n ?? 0;
}

describe('refresh grace window', () => {
  test('a retry within the grace window gets byte-identical tokens', async () => {
    const { clientId, tokens } = await connectAlice();
    const rotated = ok(await refreshGrant(gw.origin, clientId, tokens.refresh_token));
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    const retried = ok(await refreshGrant(gw.origin, clientId, tokens.refresh_token));
    expect(pairOf(retried)).toEqual(pairOf(rotated));
    // the lifetime left is counted from the first answer's expiry, not restarted
    expect(retried.expires_in).toBeLessThanOrEqual(rotated.expires_in);
    expect(retried.expires_in).toBeGreaterThanOrEqual(rotated.expires_in - 2);
    expect(await emailFor(retried.access_token)).toBe(ALICE.email);
  });

  test('five retries make one chain: the successor works, and once it is used the original ends the grant', async () => {
    const { clientId, tokens } = await connectAlice();
    const rotated = ok(await refreshGrant(gw.origin, clientId, tokens.refresh_token));
    for (let i = 0; i < 5; i++) expect(pairOf(ok(await refreshGrant(gw.origin, clientId, tokens.refresh_token)))).toEqual(pairOf(rotated));
    // the first token and its one successor: the retries stored nothing
    expect(refreshTokensOfGrant(tokens.refresh_token)).toBe(2);

    expect(await emailFor(rotated.access_token)).toBe(ALICE.email);
    const next = ok(await refreshGrant(gw.origin, clientId, rotated.refresh_token));
    expect(await emailFor(next.access_token)).toBe(ALICE.email);

    // the successor has been used: whoever presents the original now is not the client that moved on
    const replay = await refreshGrant(gw.origin, clientId, tokens.refresh_token);
    expect({ status: replay.status, error: replay.json?.error }).toEqual({ status: 400, error: 'invalid_grant' });
    for (const access of [rotated.access_token, next.access_token]) expect(await mcpStatus(access)).toBe(401);
    expect((await refreshGrant(gw.origin, clientId, next.refresh_token)).json?.error).toBe('invalid_grant');
  });

  test('concurrent refreshes with one token all get the same pair', async () => {
    const { clientId, tokens } = await connectAlice();
    const answers = await Promise.all(Array.from({ length: 8 }, () => refreshGrant(gw.origin, clientId, tokens.refresh_token)));
    const pairs = answers.map((answer) => pairOf(ok(answer)));
    for (const pair of pairs) expect(pair).toEqual(pairs[0]!);
    expect(refreshTokensOfGrant(tokens.refresh_token)).toBe(2);
    expect(await emailFor(pairs[0]!.access_token)).toBe(ALICE.email);
    expect(ok(await refreshGrant(gw.origin, clientId, pairs[0]!.refresh_token)).refresh_token).not.toBe(pairs[0]!.refresh_token);
  });

  test('a retry with another client id is refused and takes nothing from the rightful client', async () => {
    const { clientId, tokens } = await connectAlice();
    const other = await connectAlice();
    const rotated = ok(await refreshGrant(gw.origin, clientId, tokens.refresh_token));
    const stolen = await refreshGrant(gw.origin, other.clientId, tokens.refresh_token);
    expect({ status: stolen.status, error: stolen.json?.error }).toEqual({ status: 400, error: 'invalid_grant' });
    expect(pairOf(ok(await refreshGrant(gw.origin, clientId, tokens.refresh_token)))).toEqual(pairOf(rotated));
  });
});

describe('the kept successor at rest', () => {
  test('the database holds it sealed: neither token of the pair is in it, in clear or as its hash', async () => {
    const { clientId, tokens } = await connectAlice();
    const rotated = ok(await refreshGrant(gw.origin, clientId, tokens.refresh_token));
    const kept = readDatabase((db) => db.query<{ successor: string | null }, [string]>('SELECT successor FROM refresh_tokens WHERE hash = ?').get(hashToken(tokens.refresh_token)));
    const successor = kept?.successor ?? '';
    expect(successor).toStartWith('v1.');
    for (const token of [rotated.access_token, rotated.refresh_token]) {
      expect(successor.includes(token) || successor.includes(token.slice(4)) || successor.includes(hashToken(token))).toBe(false);
    }
  });

  test('sealed for a token: only that token, with the server secret, opens it', () => {
    const keys = new Keys(randomBytes(48));
    const presented = newToken('refresh');
    const context = `successor:${hashToken(presented)}`;
    const sealed = keys.sealFor(presented, { accessToken: 'pat_x' }, context);
    expect(keys.openFor(presented, sealed, context)).toEqual({ accessToken: 'pat_x' });
    // the server secret alone (a database copy on the server), another token, another record, another secret: no
    expect(keys.open(sealed, context)).toBeUndefined();
    expect(keys.openFor(newToken('refresh'), sealed, context)).toBeUndefined();
    expect(keys.openFor(presented, sealed, `successor:${hashToken(newToken('refresh'))}`)).toBeUndefined();
    expect(new Keys(randomBytes(48)).openFor(presented, sealed, context)).toBeUndefined();
  });
});
