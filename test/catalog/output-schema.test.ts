/**
 * Output schemas: from the 2xx JSON response, a non-object wrapped as `{result: …}` (and the proxy told so),
 * lenient so a real response that drifts from its spec is never rejected by a validating client.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { accepts, build, entry, expectWellFormed, jsonOk, nodes, oas30, outputOf, removeTempDirs } from './helpers';

afterAll(removeTempDirs);

const get = (operationId: string, responses: unknown) => ({ get: { operationId, responses } });
const json = (status: string, schema: unknown, type = 'application/json') => ({ [status]: { description: status, content: { [type]: { schema } } } });

describe('which response', () => {
  test('an object response is the output schema itself, not wrapped', async () => {
    const catalog = await build(oas30({ '/me': get('getMe', jsonOk({ type: 'object', properties: { login: { type: 'string' } } })) }));
    const me = entry(catalog, 'get_me');
    expect(me.tool.outputSchema).toEqual({ type: 'object', properties: { login: { type: 'string' } } });
    expect(me.target.wrapsResult).toBe(false);
    expectWellFormed(catalog);
  });

  test('array, scalar and union responses are wrapped in {result} and the target says so', async () => {
    const catalog = await build(
      oas30({
        '/list': get('list', jsonOk({ type: 'array', items: { type: 'string' } })),
        '/count': get('count', jsonOk({ type: 'integer' })),
        '/either': get('either', jsonOk({ oneOf: [{ type: 'string' }, { type: 'object', properties: { a: { type: 'string' } } }] })),
      }),
    );
    expect(entry(catalog, 'list').tool.outputSchema).toEqual({
      type: 'object',
      properties: { result: { type: 'array', items: { type: 'string' } } },
      required: ['result'],
    });
    expect(entry(catalog, 'list').target.wrapsResult).toBe(true);
    expect(entry(catalog, 'count').tool.outputSchema).toEqual({ type: 'object', properties: { result: { type: 'integer' } }, required: ['result'] });
    expect(entry(catalog, 'count').target.wrapsResult).toBe(true);
    const either = outputOf(catalog, 'either')!;
    expect(either.oneOf).toBeUndefined();
    expect(either.anyOf).toBeUndefined();
    expect(either.required).toEqual(['result']);
    expect(accepts(either, { result: 'text' })).toBe(true);
    expect(accepts(either, { result: { a: 'x' } })).toBe(true);
    expect(entry(catalog, 'either').target.wrapsResult).toBe(true);
    expectWellFormed(catalog);
  });

  test('no output schema without a 2xx JSON response', async () => {
    const catalog = await build(
      oas30({
        '/text': get('text', json('200', { type: 'string' }, 'text/plain')),
        '/empty': get('empty', { '204': { description: 'none' } }),
        '/error-only': get('errorOnly', { ...json('400', { type: 'object' }), ...json('default', { type: 'object' }) }),
        '/no-schema': get('noSchema', { '200': { description: 'ok', content: { 'application/json': {} } } }),
      }),
    );
    for (const name of ['text', 'empty', 'error_only', 'no_schema']) {
      expect(entry(catalog, name).tool.outputSchema).toBeUndefined();
      expect(entry(catalog, name).target.wrapsResult).toBe(false);
    }
  });

  test('the first 2xx in status order wins, 2XX counts, and +json types are JSON', async () => {
    const catalog = await build(
      oas30({
        '/two': get('two', { ...json('201', { type: 'object', properties: { created: { type: 'boolean' } } }), ...json('200', { type: 'object', properties: { ok: { type: 'boolean' } } }) }),
        '/range': get('range', json('2XX', { type: 'object', properties: { any: { type: 'string' } } })),
        '/problem': get('problem', json('200', { type: 'object', properties: { id: { type: 'string' } } }, 'application/vnd.api+json')),
      }),
    );
    expect(outputOf(catalog, 'two')).toEqual({ type: 'object', properties: { ok: { type: 'boolean' } } });
    expect(outputOf(catalog, 'range')).toEqual({ type: 'object', properties: { any: { type: 'string' } } });
    expect(outputOf(catalog, 'problem')).toEqual({ type: 'object', properties: { id: { type: 'string' } } });
  });

  test('a Swagger 2.0 response schema becomes the output schema', async () => {
    const catalog = await build({
      swagger: '2.0',
      info: { title: 'T', version: '1' },
      produces: ['application/json'],
      paths: { '/pets': { get: { operationId: 'listPets', responses: { '200': { description: 'ok', schema: { type: 'array', items: { $ref: '#/definitions/Pet' } } } } } } },
      definitions: { Pet: { type: 'object', properties: { name: { type: 'string' } } } },
    });
    expect(entry(catalog, 'list_pets').tool.outputSchema).toEqual({
      type: 'object',
      properties: { result: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } } },
      required: ['result'],
    });
    expect(entry(catalog, 'list_pets').target.wrapsResult).toBe(true);
  });
});

describe('lenient', () => {
  const strict = {
    type: 'object',
    required: ['id', 'status', 'owner'],
    additionalProperties: false,
    properties: {
      id: { type: 'string', format: 'uuid', readOnly: true },
      status: { type: 'string', enum: ['active', 'disabled'] },
      score: { type: 'integer', minimum: 0, maximum: 10 },
      password: { type: 'string', writeOnly: true },
      owner: { type: 'object', required: ['email'], properties: { email: { type: 'string', pattern: '^.+@.+$' } } },
      history: { type: 'array', minItems: 1, items: { type: 'object', required: ['at'], properties: { at: { type: 'string' } } } },
    },
  };

  test('no "required" anywhere inside an output schema', async () => {
    const catalog = await build(
      oas30({
        '/one': get('one', jsonOk(strict)),
        '/many': get('many', jsonOk({ type: 'array', items: strict })),
      }),
    );
    const one = outputOf(catalog, 'one')!;
    expect([...nodes(one)].filter(([, node]) => 'required' in node).map(([path]) => path)).toEqual([]);
    const many = outputOf(catalog, 'many')!;
    expect([...nodes(many)].filter(([, node]) => 'required' in node).map(([path]) => path)).toEqual(['$']);
    expect(many.required).toEqual(['result']);
    expectWellFormed(catalog);
  });

  test('a drifting response (missing fields, new enum value, extra fields, out of range) still validates', async () => {
    const catalog = await build(oas30({ '/one': get('one', jsonOk(strict)) }));
    const one = outputOf(catalog, 'one')!;
    expect(accepts(one, {})).toBe(true);
    expect(accepts(one, { id: 'not-a-uuid', status: 'archived', score: 99, owner: { email: 'nobody' }, history: [], extra: true })).toBe(true);
    expect(accepts(one, { status: 42 })).toBe(false); // the shape itself still counts
  });

  test('loosening never turns a "not" into a schema that rejects every response', async () => {
    const catalog = await build(
      oas30({ '/one': get('one', jsonOk({ type: 'object', properties: { kind: { type: 'string', not: { enum: ['legacy'] } }, id: { type: 'string' } } })) }),
    );
    const one = outputOf(catalog, 'one')!;
    expect(accepts(one, { kind: 'modern', id: 'x' })).toBe(true);
    expect(accepts(one, { id: 'x' })).toBe(true);
  });

  test('a response with a top-level "not" does not cost the operation its tool', async () => {
    const catalog = await build(
      oas30({
        '/one': get('one', jsonOk({ type: 'object', properties: { id: { type: 'string' } }, not: { required: ['legacyId'] } })),
      }),
    );
    expect(catalog.skipped).toEqual([]);
    const { tool } = entry(catalog, 'one');
    if (tool.outputSchema) expect(accepts(tool.outputSchema, { id: 'x' })).toBe(true);
    expectWellFormed(catalog);
  });

  test('writeOnly properties are left out of output schemas; readOnly ones stay', async () => {
    const catalog = await build(oas30({ '/one': get('one', jsonOk(strict)) }));
    const properties = outputOf(catalog, 'one')!.properties;
    expect(Object.keys(properties)).toEqual(['id', 'status', 'score', 'owner', 'history']);
  });

  test('an input and an output using the same schema each get their own view of it', async () => {
    const catalog = await build(
      oas30(
        {
          '/things': {
            post: {
              operationId: 'createThing',
              requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
              responses: jsonOk({ $ref: '#/components/schemas/Thing' }),
            },
          },
        },
        { Thing: { type: 'object', required: ['name'], properties: { id: { type: 'integer', readOnly: true }, name: { type: 'string', enum: ['a', 'b'] } } } },
      ),
    );
    const { tool } = entry(catalog, 'create_thing');
    expect(tool.inputSchema).toEqual({ type: 'object', properties: { name: { type: 'string', enum: ['a', 'b'] } }, required: ['name'], additionalProperties: false });
    expect(tool.outputSchema).toEqual({ type: 'object', properties: { id: { type: 'integer', readOnly: true }, name: { type: 'string' } } });
  });
});
