/**
 * README.md's settings table is the configuration schema's: a setting added, renamed or re-described in
 * src/config/serve.ts without the README following fails here. `PORTICO_UPDATE_README=1` rewrites it.
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { REFERENCE_END, REFERENCE_START, settingsTable } from '../../src/config/reference';

const README = join(import.meta.dir, '..', '..', 'README.md');

test("README's settings reference is the one generated from the configuration schema", async () => {
  const text = await Bun.file(README).text();
  const start = text.indexOf(REFERENCE_START);
  const end = text.indexOf(REFERENCE_END);
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  const current = text.slice(start + REFERENCE_START.length, end).trim();
  const generated = settingsTable();
  if (current !== generated && process.env.PORTICO_UPDATE_README === '1') {
    await Bun.write(README, `${text.slice(0, start + REFERENCE_START.length)}\n${generated}\n${text.slice(end)}`);
    return;
  }
  expect(current).toBe(generated);
});
