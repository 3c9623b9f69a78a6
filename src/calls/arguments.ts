/**
 * @module calls/arguments
 * Checks a tool call's arguments against the tool's input schema before anything goes upstream, with a
 * message that names the field and says what is wrong, so the agent can fix its call.
 */
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';

export class ArgumentValidator {
  /** Made with the first call checked: loading Ajv and its formats is a few tens of ms no start should pay. */
  private ajv?: Ajv2020;
  /** Compiled once per published schema object; a new catalog brings new objects. */
  private readonly compiled = new WeakMap<object, ValidateFunction>();

  /**
   * Loads Ajv and compiles a small schema, so that the first call checked does not pay for it (a tenth of a second:
   * Ajv's first compilation is slow); for the gateway to do once it is serving and idle.
   */
  warm(): void {
    if (this.ajv) return;
    this.ajv = newAjv();
    this.ajv.compile({ type: 'object', properties: { warm: { type: 'string', format: 'date-time' } }, required: ['warm'] });
  }

  /** Why `args` do not fit `tool`'s input schema, or null when they do. */
  check(tool: Tool, args: unknown): string | null {
    let validate = this.compiled.get(tool.inputSchema);
    if (!validate) {
      validate = (this.ajv ??= newAjv()).compile(tool.inputSchema);
      this.compiled.set(tool.inputSchema, validate);
    }
    if (validate(args ?? {})) return null;
    return (validate.errors ?? []).slice(0, 5).map(describe).join('; ');
  }
}

function newAjv(): Ajv2020 {
  const { Ajv2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const addFormats = require('ajv-formats') as typeof import('ajv-formats');
  // `logger: false`: Ajv would print every unknown `format` of every spec to the console
  const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
  addFormats.default(ajv);
  return ajv;
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
