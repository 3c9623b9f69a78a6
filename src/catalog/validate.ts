/**
 * @module catalog/validate
 * The last gate before a tool is published: its schemas must be valid JSON Schema 2020-12 and fit what
 * MCP clients accept. One invalid tool can make a client drop the whole list, so a tool that fails here
 * is skipped, never published.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { JsonSchema } from './types';
import { TOOL_NAME_PATTERN } from './names';

const ajv = new Ajv2020({ strict: false, validateFormats: false });

/** Why `schema` is not a valid 2020-12 schema for a tool, or null when it is. */
export function schemaProblem(schema: JsonSchema, label: string): string | null {
  if (schema.type !== 'object') return `${label} must have "type": "object" at the top level`;
  for (const keyword of ['oneOf', 'anyOf', 'allOf', 'not', '$ref']) {
    if (keyword in schema) return `${label} has "${keyword}" at the top level, which several clients reject`;
  }
  if (ajv.validateSchema(schema) === true) return null;
  const first = ajv.errors?.[0];
  return `${label} is not valid JSON Schema 2020-12: ${first ? `${first.instancePath || '/'} ${first.message}` : 'unknown error'}`;
}

/** Why `name` is not a valid tool name, or null when it is. */
export function nameProblem(name: string): string | null {
  return TOOL_NAME_PATTERN.test(name) ? null : `tool name "${name}" does not match ${TOOL_NAME_PATTERN}`;
}
