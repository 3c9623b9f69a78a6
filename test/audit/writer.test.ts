/**
 * The audit writer keeps records while the database cannot take them and writes them once it can, in
 * order, none twice — against a real SQLite store whose writes are refused for a while.
 */
import { expect, test } from 'bun:test';
import { AuditWriter } from '../../src/audit/writer';
import { createLogger } from '../../src/log';
import { openStore, StoreUnavailableError, type AuditEntry, type AuditStore } from '../../src/store';

test('records survive a database that is down for a while, and are written once, in order', async () => {
  const store = await openStore('sqlite::memory:');
  let down = true;
  const flaky: AuditStore = {
    appendAudit: (entry) => store.appendAudit(entry),
    appendAudits: (entries) => (down ? Promise.reject(new StoreUnavailableError('down for the test')) : store.appendAudits(entries)),
    queryAudit: (query) => store.queryAudit(query),
  };
  const lines: string[] = [];
  const writer = new AuditWriter(flaky, createLogger('debug', (line) => void lines.push(line)));
  const entry = (i: number): AuditEntry => ({ at: 1_000 + i, userId: 'u', clientId: 'c', tool: `t${i}`, outcome: 'ok', upstreamStatus: 200, latencyMs: 1, detail: null });
  for (let i = 0; i < 150; i++) writer.record(entry(i));
  await writer.flush();
  expect(lines.some((line) => line.includes('"audit.write_failed"'))).toBe(true);
  expect(await store.queryAudit({ limit: 1000 })).toHaveLength(0);
  down = false;
  for (let i = 150; i < 160; i++) writer.record(entry(i));
  await writer.close();
  const written = await store.queryAudit({ limit: 1000 });
  expect(written.map((record) => record.tool).reverse()).toEqual(Array.from({ length: 160 }, (_, i) => `t${i}`));
  await store.close();
});
