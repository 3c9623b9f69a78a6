/**
 * PORTICO_AUDIT_DURABLE: a tool call is answered only once its audit entry is committed. A real `portico serve`
 * process (a SQLite file) answers 30 calls made at once by a signed-in client, and is killed with SIGKILL the
 * moment the last answer arrives: every answered call is in the audit log afterwards. (Without the setting, the
 * last 200 ms of entries may be lost, which the README says; that is a bound, not a certainty, so it is not tested
 * as a loss.)
 */
import { Database } from 'bun:sqlite';
import { afterAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { startDemoApi } from '../../src/demo';
import { connect, MCP_HEADERS } from '../fixtures/oauth-http';
import { startInstance, unusedPort } from '../fixtures/portico-instance';
import { ALICE } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';

afterAll(removeTempDirs);

const CALLS = 30;

test('with PORTICO_AUDIT_DURABLE, every call a client got an answer to is on record after a SIGKILL', async () => {
  const demo = await startDemoApi({ port: 0, tokenTtlMs: 3_600_000, slowMs: 0, settleMs: 0 });
  const databaseUrl = join(tempDir(), 'portico.db');
  const publicUrl = `http://localhost:${await unusedPort()}`;
  const instance = await startInstance({
    PORTICO_UPSTREAM: demo.baseUrl,
    PORTICO_SPEC: demo.specUrl,
    PORTICO_AUTH: 'oauth',
    PORTICO_MCP_MODE: 'stateless',
    PORTICO_RATE_LIMIT_MCP: '0',
    PORTICO_DATABASE_URL: databaseUrl,
    PORTICO_PUBLIC_URL: publicUrl,
    PORTICO_LOGIN_USERNAME_FIELD: 'email',
    PORTICO_AUDIT_DURABLE: 'true',
  });
  try {
    const { tokens } = await connect(instance.url, publicUrl, ALICE);
    const answered = await Promise.all(
      Array.from({ length: CALLS }, async (_, i) => {
        const response = await fetch(instance.mcpUrl, {
          method: 'POST',
          headers: { ...MCP_HEADERS, authorization: `Bearer ${tokens.access_token}` },
          body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'get_current_user', arguments: {} } }),
        });
        return ((await response.json()) as { result?: { isError?: boolean } }).result !== undefined;
      }),
    );
    expect(answered.every(Boolean)).toBe(true);
    // at once: nothing left for a batch timer or a graceful stop to write
    await instance.kill('SIGKILL');
    const db = new Database(databaseUrl, { readonly: true });
    try {
      const { n } = db.query("SELECT count(*) AS n FROM audit_log WHERE tool = 'get_current_user'").get() as { n: number };
      expect(n).toBe(CALLS);
    } finally {
      db.close();
    }
  } finally {
    await instance.stop();
    await demo.stop();
  }
}, 60_000);
