/**
 * `placeholders` finds a path template's `{name}`s with `indexOf` where the build used a regex's `matchAll` (too slow
 * over Microsoft Graph's 7,419 paths). Its invariant: for any string, the same names as `/\{([^}]+)\}/g`, in order.
 */
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { placeholders } from '../../src/catalog/build';
import { everyString } from './helpers';

const byRegex = (path: string) => [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);

test('the placeholders of a path are what the regex finds: real paths, edge cases, and every short string of braces', () => {
  const demo = JSON.parse(readFileSync(join(import.meta.dir, '../../src/demo/swagger.json'), 'utf8')) as { paths: Record<string, unknown> };
  const edges = ['/a/{b}/c/{d}', '{}', '{}{a}', '/{a{b}/x', '{abc', '{abc/{d}', '}{x}', '/{}/{y}', '{{a}}', '{{}}', '{}}', '/x', '', '/{a}b{c}d'];
  // every string of up to 7 characters over "{", "}", "a": each way braces can nest, open, close or stay empty
  const short = everyString(['{', '}', 'a'], 7);
  const paths = [...Object.keys(demo.paths), ...edges, ...short];
  expect(paths.length).toBeGreaterThan(3000);
  for (const path of paths) expect({ path, names: placeholders(path) }).toEqual({ path, names: byRegex(path) });
});
