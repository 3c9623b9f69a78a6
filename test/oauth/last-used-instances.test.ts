/**
 * "Last used" on /account with two instances on one PostgreSQL behind one public URL: the page is rendered from the
 * store, so an app used through instance A shows as used on the page instance B renders, and a grant's last use
 * is the latest one of either instance.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { startDemoApi, type RunningDemoApi } from '../../src/demo';
import { startTestGateway, type TestGateway } from '../fixtures/gateway';
import { CookieJar } from '../fixtures/oauth-client';
import { connect, emailOf, whoAmI } from '../fixtures/oauth-http';
import { unusedPort, writeSecretFile } from '../fixtures/portico-instance';
import { startPostgres } from '../fixtures/postgres';
import { ALICE } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';

const pg = await startPostgres();
let demo: RunningDemoApi | undefined;
let a: TestGateway | undefined;
let b: TestGateway | undefined;
let publicUrl: string;

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await demo?.stop();
  await pg?.close();
  removeTempDirs();
});

/** The "Last used" cells of `/account` on `instance`: "never", or the time in the cell's `<time datetime>`. */
async function lastUsedOn(instance: TestGateway, jar: CookieJar): Promise<string[]> {
  const response = await fetch(`${instance.origin}/account`, { headers: { cookie: jar.header() }, redirect: 'manual' });
  expect(response.status).toBe(200);
  const html = await response.text();
  return [...html.matchAll(/<td data-label="Last used">(.*?)<\/td>/g)].map(([, cell]) => /datetime="([^"]+)"/.exec(cell!)?.[1] ?? cell!);
}

/** Polls until `check` holds for B's page (a first use is written just after the call, off its path). */
async function until(instance: TestGateway, jar: CookieJar, check: (cells: string[]) => boolean): Promise<string[]> {
  let cells: string[] = [];
  for (const deadline = Date.now() + 3000; Date.now() < deadline; await Bun.sleep(20)) {
    cells = await lastUsedOn(instance, jar);
    if (check(cells)) break;
  }
  return cells;
}

if (!pg) {
  describe.skip('last used with two instances (no PostgreSQL: see test/fixtures/postgres.ts)', () => test('all', () => {}));
} else {
  const fixture = pg;

  beforeAll(async () => {
    demo = await startDemoApi({ port: 0, tokenTtlMs: 3_600_000 });
    // the balancer's address: nothing listens there, but both instances are it (issuer, resource, form origin)
    publicUrl = `http://localhost:${await unusedPort()}`;
    const env = {
      PORTICO_DATABASE_URL: fixture.url,
      PORTICO_SECRET_FILE: await writeSecretFile(join(tempDir(), 'secret.key')),
      PORTICO_PUBLIC_URL: publicUrl,
      PORTICO_MCP_MODE: 'stateless',
    };
    a = await startTestGateway(env, { demo });
    b = await startTestGateway(env, { demo });
  });

  test('an app used through instance A shows as used on the page instance B renders', async () => {
    const jar = new CookieJar();
    const { tokens } = await connect(a!.origin, publicUrl, ALICE, jar);
    expect(await lastUsedOn(b!, jar)).toEqual(['never']);

    const before = Date.now();
    expect(emailOf(await whoAmI(`${a!.origin}/mcp`, tokens.access_token))).toBe(ALICE.email);
    const after = Date.now();
    const [seen] = await until(b!, jar, (cells) => cells[0] !== 'never');
    expect(Date.parse(seen!)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(seen!)).toBeLessThanOrEqual(after);

    // A has written this grant's use within the minute, so its next use waits in A's memory; B has not, so a use
    // through B is written at once, and the page shows the later of the two
    await Bun.sleep(5);
    const throughB = Date.now();
    expect(emailOf(await whoAmI(`${b!.origin}/mcp`, tokens.access_token))).toBe(ALICE.email);
    const [later] = await until(b!, jar, (cells) => cells[0] !== seen);
    expect(Date.parse(later!)).toBeGreaterThanOrEqual(throughB);
    expect(await lastUsedOn(a!, jar)).toEqual([later!]);
  });
}
