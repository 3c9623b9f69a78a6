/**
 * `catalog/validate` judges most schema nodes itself (`plainlyValid`) and asks Ajv's meta-schema validator only about
 * the rest (`metaProblem`). The invariant: a node it passes is one Ajv passes — it may send Ajv more than it must,
 * never less. Checked on every keyword it judges with values of every shape, and on every schema node of real
 * documents (raw, as the specs write them, and as the catalog publishes them).
 */
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalog } from '../../src/catalog';
import { metaProblem, plainlyValid, schemaProblem } from '../../src/catalog/validate';
import { SHARED_SPECS, testWithSharedSpecs } from '../fixtures/shared-specs';

const KEYWORDS = [
  'title', 'description', 'format', 'pattern', 'contentEncoding', 'contentMediaType', 'deprecated', 'readOnly', 'writeOnly', 'uniqueItems',
  'maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum', 'multipleOf', 'maxLength', 'minLength', 'maxItems', 'minItems', 'maxProperties',
  'minProperties', 'maxContains', 'minContains', 'const', 'default', 'enum', 'examples', 'type', 'required', 'dependentRequired', 'items',
  'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties', 'contentSchema',
  'allOf', 'anyOf', 'oneOf', 'prefixItems', 'properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions',
  // not judged here: always Ajv's
  '$ref', '$id', '$schema', 'nullable', 'x-vendor', 'example',
];
const VALUES: unknown[] = [
  -1, 0, 1, 1.5, -0.5, Number.POSITIVE_INFINITY, Number.NaN, '', 'x', 'string', 'integer', 'strin', true, false, null,
  [], ['a'], ['a', 'a'], ['a', 'b'], [1], [true], [{}], [{ type: 'string' }], ['string', 'null'], ['string', 'string'], ['strin'],
  {}, { a: 1 }, { a: true }, { a: {} }, { a: ['b'] }, { a: ['b', 'b'] }, { a: [1] }, { a: 'b' },
];

/** Every object a JSON value holds, itself included. */
function* objectsIn(value: unknown, seen = new Set<object>()): Generator<Record<string, unknown>> {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (!Array.isArray(value)) yield value as Record<string, unknown>;
  for (const inner of Object.values(value)) yield* objectsIn(inner, seen);
}

/** How many nodes were passed here, and those Ajv refused (each with Ajv's word). */
function judge(nodes: Iterable<Record<string, unknown>>): { passed: number; refused: string[] } {
  let passed = 0;
  const refused: string[] = [];
  for (const node of nodes) {
    if (!plainlyValid(node)) continue;
    passed++;
    const problem = metaProblem(node);
    if (problem !== null) refused.push(`${JSON.stringify(node).slice(0, 200)}: ${problem}`);
  }
  return { passed, refused };
}

test('every keyword judged here, with values of every shape, alone and beside a type: nothing passed that Ajv refuses', () => {
  const nodes: Record<string, unknown>[] = [];
  for (const keyword of KEYWORDS) for (const value of VALUES) nodes.push({ [keyword]: value }, { type: 'object', [keyword]: value });
  const { passed, refused } = judge(nodes);
  expect(refused).toEqual([]);
  expect(passed).toBeGreaterThan(300);
  // and what it does not pass still gets Ajv's verdict, with where and what
  expect(schemaProblem({ type: 'object', properties: { a: { minLength: -1 } } }, 'input schema')).toContain('/properties/a');
  expect(schemaProblem({ type: 'object', properties: { a: { type: 'strin' } } }, 'input schema')).toContain('/properties/a/type');
  expect(schemaProblem({ type: 'object', required: ['a', 'a'] }, 'input schema')).toContain('/required');
});

test('every schema node of the demo API, raw and as published: nothing passed that Ajv refuses', async () => {
  const file = join(import.meta.dir, '../../src/demo/swagger.json');
  const raw = judge(objectsIn(JSON.parse(readFileSync(file, 'utf8'))));
  const { catalog } = await loadCatalog(file);
  const published = judge(catalog.entries.flatMap((entry) => [...objectsIn(entry.tool.inputSchema), ...objectsIn(entry.tool.outputSchema)]));
  expect([...raw.refused, ...published.refused]).toEqual([]);
  expect(published.passed).toBeGreaterThan(100);
});

testWithSharedSpecs('every schema node of the real documents, raw and as published: nothing passed that Ajv refuses', async () => {
  const manifest = readFileSync(join(SHARED_SPECS, 'manifest.tsv'), 'utf8').trim().split('\n').slice(1);
  const files = manifest.map((line) => join(SHARED_SPECS, line.split('\t')[0]!)).filter((path) => /\.json$/.test(path));
  let passed = 0;
  const refused: string[] = [];
  for (const file of files.slice(0, 25)) {
    let text: unknown;
    try {
      text = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    const raw = judge(objectsIn(text));
    passed += raw.passed;
    refused.push(...raw.refused);
    try {
      const { catalog } = await loadCatalog(file);
      const published = judge(catalog.entries.flatMap((entry) => [...objectsIn(entry.tool.inputSchema), ...objectsIn(entry.tool.outputSchema)]));
      passed += published.passed;
      refused.push(...published.refused);
    } catch {
      // a document the catalog refuses has its own tests
    }
  }
  expect(refused).toEqual([]);
  expect(passed).toBeGreaterThan(10_000);
}, 120_000);
