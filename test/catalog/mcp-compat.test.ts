/**
 * What MCP clients do with a catalog: the SDK parses `tools/list` with its own schema and compiles every
 * output schema (and, to validate arguments, every input schema) with Ajv. One schema it cannot compile
 * makes the SDK client fail the whole list, so every real spec must pass both.
 */
import { SHARED_SPECS, testWithSharedSpecs } from '../fixtures/shared-specs';
import { afterAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { loadCatalog } from '../../src/catalog';
import { npmSpec } from '../fixtures/npm-specs';
import { removeTempDirs, tempDir } from './helpers';

afterAll(removeTempDirs);

const ROOT = resolve(import.meta.dir, '../..');
const SPECS = SHARED_SPECS;
const REAL = [
  resolve(ROOT, 'src/demo/swagger.json'),
  resolve(SPECS, 'stripe__openapi@63a6746/openapi/spec3.yaml'),
  resolve(SPECS, 'openai__openai-openapi@f85dbe2/openapi.yaml'),
  resolve(SPECS, 'discord__discord-api-spec@74fda0f/specs/openapi.json'),
  resolve(SPECS, 'kubernetes-client__python@0246584/kubernetes/swagger.json'),
];

/** Compiles like the SDK client does; Ajv's "unknown format" console warnings are expected noise here. */
function compileAll(schemas: unknown[]): string[] {
  const validator = new AjvJsonSchemaValidator();
  const warn = console.warn;
  console.warn = () => {};
  const failures: string[] = [];
  try {
    for (const schema of schemas) {
      try {
        validator.getValidator(schema as Parameters<typeof validator.getValidator>[0]);
      } catch (error) {
        failures.push(String(error).slice(0, 300));
      }
    }
  } finally {
    console.warn = warn;
  }
  return failures;
}

describe('catalogs as the MCP SDK sees them', () => {
  for (const file of REAL) {
    (file.startsWith(SPECS) ? testWithSharedSpecs : test)(`${file.split('/').slice(-2).join('/')}: tools/list parses and every schema compiles`, async () => {
      const { catalog } = await loadCatalog(file);
      const tools = catalog.entries.map((entry) => entry.tool);
      expect(tools.length).toBeGreaterThan(0);
      expect(() => ListToolsResultSchema.parse({ tools })).not.toThrow();
      const schemas = tools.flatMap((tool) => (tool.outputSchema ? [tool.inputSchema, tool.outputSchema] : [tool.inputSchema]));
      expect(compileAll(schemas)).toEqual([]);
    });
  }

  test("GitHub's spec: every schema compiles", async () => {
    const { catalog } = await loadCatalog(await npmSpec('github'));
    const schemas = catalog.entries.flatMap((entry) => [entry.tool.inputSchema, entry.tool.outputSchema].filter(Boolean));
    expect(compileAll(schemas)).toEqual([]);
  });
});

describe('names that are also JavaScript property names', () => {
  test('__proto__, constructor and toString are ordinary arguments', async () => {
    const dir = tempDir();
    const file = join(dir, 'openapi.json');
    // Written as text: in an object literal `__proto__` would set the prototype instead of a key.
    writeFileSync(
      file,
      `{"openapi":"3.0.3","info":{"title":"Hostile names","version":"1"},"paths":{"/x":{"post":{"operationId":"x",
        "parameters":[{"name":"constructor","in":"query","schema":{"type":"string"}},{"name":"toString","in":"header","schema":{"type":"string"}}],
        "requestBody":{"required":true,"content":{"application/json":{"schema":{"type":"object","required":["__proto__"],
          "properties":{"__proto__":{"type":"string"},"hasOwnProperty":{"type":"integer"}}}}}},"responses":{}}}}}`,
    );
    const { catalog } = await loadCatalog(file);
    const entry = catalog.byName.get('x')!;
    const schema = entry.tool.inputSchema as { properties: Record<string, { type: string }>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(['constructor', 'toString', '__proto__', 'hasOwnProperty']);
    expect(Object.getPrototypeOf(schema.properties)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(schema.properties, '__proto__')?.value).toEqual({ type: 'string' });
    expect(schema.required).toEqual(['__proto__']);
    expect(entry.target.body).toEqual({
      mode: 'fields',
      contentType: 'application/json',
      required: true,
      fields: [
        { argument: '__proto__', name: '__proto__' },
        { argument: 'hasOwnProperty', name: 'hasOwnProperty' },
      ],
    });
  });
});
