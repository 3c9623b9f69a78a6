/**
 * @module catalog/declaration
 * A tool's TypeScript declaration, as code mode shows an operation to the agent that will call it from a program
 * (`api.create_database({ project_id: string; name: string; … }): Promise<…>`): shorter than its JSON Schema and
 * in the language the program is written in. Made on demand, from the tool's own schemas (already self-contained:
 * `catalog/schema` inlined every `$ref`), deep structures cut to `unknown` at a depth and a length.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';

type Schema = Record<string, unknown>;

/** How deep nested objects are spelt out, and how long one declaration may get before the rest is `…`. */
const MAX_DEPTH = 4;
const MAX_CHARS = 2_000;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** How a program names the tool's method: `api.name` when it is an identifier, `api["name-with-dashes"]` when not. */
export function methodOf(name: string): string {
  return IDENTIFIER.test(name) ? `api.${name}` : `api[${JSON.stringify(name)}]`;
}

/** The declaration of `tool` as a method of `api`, with its title or description's first line as a comment. */
export function declarationOf(tool: Pick<Tool, 'name' | 'title' | 'description' | 'inputSchema' | 'outputSchema'>): string {
  const summary = (tool.title ?? tool.description?.split('\n')[0] ?? '').trim();
  const input = typeOf(tool.inputSchema as Schema, 0);
  const output = tool.outputSchema ? typeOf(tool.outputSchema as Schema, 0) : 'unknown';
  const text = `${summary ? `/** ${summary.replaceAll('*/', '*\\/')} */\n` : ''}${methodOf(tool.name)}(args: ${input}): Promise<${output}>`;
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS - 1)}… (cut: describe the operation for its whole schema)` : text;
}

function typeOf(schema: Schema | boolean | undefined, depth: number): string {
  if (schema === undefined || schema === true || typeof schema !== 'object' || schema === null) return 'unknown';
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => JSON.stringify(value)).join(' | ') || 'never';
  for (const [keyword, joiner] of [['anyOf', ' | '], ['oneOf', ' | '], ['allOf', ' & ']] as const) {
    const parts = schema[keyword];
    if (Array.isArray(parts) && parts.length > 0) return parts.map((part) => parenthesised(typeOf(part as Schema, depth))).join(joiner);
  }
  const type = schema.type;
  if (Array.isArray(type)) return type.map((one) => typeOf({ ...schema, type: one }, depth)).join(' | ');
  switch (type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return `${parenthesised(typeOf(schema.items as Schema | undefined, depth + 1))}[]`;
    case 'object':
    case undefined:
      return schema.properties || type === 'object' ? objectOf(schema, depth) : 'unknown';
    default:
      return 'unknown';
  }
}

function objectOf(schema: Schema, depth: number): string {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const names = Object.keys(properties);
  if (names.length === 0) return schema.additionalProperties === false ? '{}' : 'Record<string, unknown>';
  if (depth >= MAX_DEPTH) return 'object';
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const members = names.map((name) => `${IDENTIFIER.test(name) ? name : JSON.stringify(name)}${required.has(name) ? '' : '?'}: ${typeOf(properties[name], depth + 1)}`);
  return `{ ${members.join('; ')} }`;
}

function parenthesised(type: string): string {
  return /[|&]/.test(type) && !type.startsWith('{') ? `(${type})` : type;
}
