/**
 * @module calls/arguments
 * Checks a tool call's arguments against the tool's input schema before anything goes upstream, with a
 * message that names the field and says what is wrong, so the agent can fix its call.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';

export class ArgumentValidator {
  // `logger: false`: Ajv would print every unknown `format` of every spec to the console
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
  /** Compiled once per published schema object; a new catalog brings new objects. */
  private readonly compiled = new WeakMap<object, ValidateFunction>();

  constructor() {
    addFormats.default(this.ajv);
  }

  /** Why `args` do not fit `tool`'s input schema, or null when they do. */
  check(tool: Tool, args: unknown): string | null {
    let validate = this.compiled.get(tool.inputSchema);
    if (!validate) {
      validate = this.ajv.compile(tool.inputSchema);
      this.compiled.set(tool.inputSchema, validate);
    }
    if (validate(args ?? {})) return null;
    return (validate.errors ?? []).slice(0, 5).map(describe).join('; ');
  }
}

function describe(error: ErrorObject): string {
  const field = error.instancePath ? `"${error.instancePath.slice(1).replaceAll('/', '.')}"` : 'the arguments';
  switch (error.keyword) {
    case 'required':
      return `missing required argument "${(error.params as { missingProperty: string }).missingProperty}"`;
    case 'additionalProperties':
      return `unknown argument "${(error.params as { additionalProperty: string }).additionalProperty}"`;
    case 'enum':
      return `${field} must be one of ${JSON.stringify((error.params as { allowedValues: unknown[] }).allowedValues)}`;
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}
