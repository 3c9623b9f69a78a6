/**
 * Schemas whose types all link to each other (Stripe, Kubernetes, Graph) must stay finite and small:
 * `maxInputSchemaNodes` / `maxOutputSchemaNodes` bound what each tool publishes.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { build, entry, expectWellFormed, inputOf, jsonBody, jsonOk, oas30, removeTempDirs } from './helpers';

afterAll(removeTempDirs);

const N = 30;

/** N schemas, each holding a `name<i>` and a link to every other schema; one POST per schema. */
function interlinked() {
  const schemas: Record<string, unknown> = {};
  const paths: Record<string, unknown> = {};
  for (let i = 0; i < N; i++) {
    const properties: Record<string, unknown> = { [`name${i}`]: { type: 'string' } };
    for (let j = 0; j < N; j++) if (j !== i) properties[`link${j}`] = { $ref: `#/components/schemas/S${j}` };
    schemas[`S${i}`] = { type: 'object', description: `Schema number ${i}.`, properties };
    const ref = { $ref: `#/components/schemas/S${i}` };
    paths[`/s${i}`] = { post: { operationId: `s${i}`, requestBody: jsonBody(ref), responses: jsonOk(ref) } };
  }
  return oas30(paths, schemas);
}

/** Object and array nodes in `value` once written out as JSON. */
function countNodes(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let count = 1;
  for (const child of Object.values(value)) count += countNodes(child);
  return count;
}

describe('heavily interlinked schemas', () => {
  test('stay within maxInputSchemaNodes / maxOutputSchemaNodes', async () => {
    const started = performance.now();
    const catalog = await build(interlinked(), { maxInputSchemaNodes: 200, maxOutputSchemaNodes: 60 });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(catalog.entries).toHaveLength(N);
    expect(catalog.skipped).toEqual([]);
    for (const { tool } of catalog.entries) {
      const written = JSON.parse(JSON.stringify(tool));
      expect(countNodes(written.inputSchema)).toBeLessThanOrEqual(200);
      expect(countNodes(written.outputSchema)).toBeLessThanOrEqual(60);
    }
    expectWellFormed(catalog);
  }, 10_000);

  test('every top-level field is still there; what is cut becomes a stub naming its schema', async () => {
    const catalog = await build(interlinked(), { maxInputSchemaNodes: 200, maxOutputSchemaNodes: 60 });
    const input = inputOf(catalog, 's0');
    expect(Object.keys(input.properties)).toHaveLength(N);
    expect(input.properties.name0).toEqual({ type: 'string' });
    for (let j = 1; j < N; j++) {
      const link = input.properties[`link${j}`];
      expect(link.type).toBe('object');
      expect(JSON.stringify(link)).toContain(`S${j}`);
    }
    expect(entry(catalog, 's0').tool.description).toMatch(/not expanded|cut/i);
  }, 10_000);

  test('with the default budgets every tool is still finite and reasonably small', async () => {
    const catalog = await build(interlinked());
    expect(catalog.entries).toHaveLength(N);
    for (const { tool } of catalog.entries) {
      const written = JSON.stringify(tool);
      expect(written.length).toBeLessThan(256 * 1024);
      expect(countNodes(JSON.parse(written).inputSchema)).toBeLessThanOrEqual(1000);
      expect(countNodes(JSON.parse(written).outputSchema)).toBeLessThanOrEqual(250);
    }
    expectWellFormed(catalog);
  }, 10_000);

  test('a schema that fits the budget is published whole', async () => {
    const properties = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`field${i}`, { type: 'string', description: `Field ${i}.` }]));
    const catalog = await build(
      oas30({ '/flat': { post: { operationId: 'flat', requestBody: jsonBody({ $ref: '#/components/schemas/Flat' }), responses: jsonOk({ type: 'object' }) } } }, { Flat: { type: 'object', properties } }),
      { maxInputSchemaNodes: 200 },
    );
    expect(inputOf(catalog, 'flat').properties).toEqual(properties);
    expect(entry(catalog, 'flat').tool.description).not.toMatch(/not expanded/i);
  });
});

/**
 * Where the budget runs out, the cut is made at a `$ref` (one stub naming the schema the agent can ask
 * about), not inside it. The mark "this came from a `$ref`" must survive the copies the tool builder makes
 * of an argument's schema when it adds a description: a mark kept beside the object is lost with the copy.
 */
describe('cuts happen at $refs, also where the builder copies a schema to describe it', () => {
  const leaf = { type: 'object', properties: Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`leaf${i}`, { type: 'string' }])) };
  const big = { type: 'object', description: 'A big thing.', properties: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`part${i}`, { $ref: '#/components/schemas/Leaf' }])) };
  const schemas = { Big: big, Leaf: leaf };
  const ref = { $ref: '#/components/schemas/Big' };

  for (const [name, operation] of [
    ['a described query parameter', { operationId: 'op', parameters: [{ name: 'filter', in: 'query', description: 'What to match.', style: 'deepObject', schema: ref }, { name: 'q', in: 'query', schema: { type: 'string' } }], responses: jsonOk({ type: 'object' }) }],
    ['a body field renamed beside a parameter', { operationId: 'op', parameters: [{ name: 'filter', in: 'query', schema: { type: 'string' } }], requestBody: jsonBody({ type: 'object', properties: { filter: ref, q: { type: 'string' } } }), responses: jsonOk({ type: 'object' }) }],
  ] as const) {
    test(name, async () => {
      const catalog = await build(oas30({ '/things': { post: operation } }, schemas), { maxInputSchemaNodes: 30 });
      const written = JSON.stringify(inputOf(catalog, 'op'));
      expect(written).toContain('Big (not expanded here');
      expect(written).not.toContain('Leaf (not expanded here');
    });
  }

  test('a whole body (a list) with its own description', async () => {
    const list = { type: 'array', description: 'Many things.', items: ref };
    const operation = { operationId: 'op', requestBody: { description: 'The things.', required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Things' } } } }, responses: jsonOk({ type: 'object' }) };
    const catalog = await build(oas30({ '/things': { post: operation } }, { ...schemas, Things: list }), { maxInputSchemaNodes: 30 });
    const written = JSON.stringify(inputOf(catalog, 'op'));
    expect(written).toContain('Things (not expanded here');
    expect(written).not.toContain('Big (not expanded here');
  });
});

