/**
 * `snakeCase` reads a text in one pass where it did four regex replacements (~2 µs an operation id, 22 ms over
 * Microsoft Graph's 11,422). Tool names are what agents and policies know an operation by, so its invariant is strict:
 * for any text, exactly the name the replacements gave.
 */
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { snakeCase } from '../../src/catalog/names';
import { everyString, seededRandom } from './helpers';

/** The replacements, as they were. */
const byRegex = (text: string) =>
  text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^a-zA-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();

const expectSame = (texts: Iterable<string>) => {
  for (const text of texts) expect({ text, name: snakeCase(text) }).toEqual({ text, name: byRegex(text) });
};

test('the demo’s operation ids and path segments, and names of the usual shapes, give the names the regexes gave', () => {
  const texts = new Set<string>(['listPetsByID', 'repos/get-content', 'HTTPServer', 'getHTTPResponseCode', 'ABCdEFg', 'v2Beta3API', 'users.user.ListUser', '__x__', '', '---', 'é', 'caféAuLait']);
  const demo = JSON.parse(readFileSync(join(import.meta.dir, '../../src/demo/swagger.json'), 'utf8')) as { paths: Record<string, Record<string, { operationId?: unknown }>> };
  for (const [path, item] of Object.entries(demo.paths)) {
    for (const segment of path.split('/')) texts.add(segment);
    for (const operation of Object.values(item)) if (typeof operation?.operationId === 'string') texts.add(operation.operationId);
  }
  expect(texts.size).toBeGreaterThan(50);
  expectSame(texts);
});

test('every text of up to 6 characters over upper, lower, digit and separator characters', () => {
  // each way a capital can follow a lower-case letter, a digit, a capital or a separator, and be followed by one
  const alphabet = ['a', 'Z', 'Y', '7', '_', '-', 'é'];
  const all = everyString(alphabet, 6);
  expect(all.length).toBeGreaterThan(130_000);
  expectSame(all);
});

test('random longer texts', () => {
  const pool = ['a', 'b', 'q', 'Z', 'Y', 'X', 'A', '1', '9', '_', '-', '.', ' ', '{', '}', '/', 'é', '😀'];
  const random = seededRandom(11);
  expectSame(Array.from({ length: 20_000 }, () => Array.from({ length: 1 + random(40) }, () => pool[random(pool.length)]).join('')));
});
