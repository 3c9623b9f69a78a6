/**
 * @module catalog/build
 * Turns the operations of a document into published tools: one flat input schema per operation, an
 * output schema from its 2xx JSON response, a stable name, a description, annotations and a scope.
 */
import { forgetSelectables, withAnswerArguments, withSizeHint } from './answer-arguments';
import type { Tool, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { DocumentSet } from './documents';
import { SpecError } from './errors';
import { assignNames, baseName, DEFAULT_MAX_NAME_LENGTH } from './names';
import { isBroken, type RawBody, type RawOperation, type RawParameter, type ReadDocument } from './operations';
import { fitSchema, forgetFitting, withFields } from './fit';
import { clip, emptyObject, isPlainObject, setOwn } from './json';
import { addNotes, newNotes, scalarMembers, SchemaConverter, type ConversionNotes } from './schema';
import { NEVER_SENT_HEADERS } from './spec-objects';
import type { BodyBinding, BuildOptions, CatalogEntry, JsonSchema, OperationTarget, ParameterBinding, Scope, SkippedOperation, WithheldOperation } from './types';
import { forgetChecks, nameProblem, schemaProblem } from './validate';
import { unmatchedRules, withheldOperation, withholdingReason } from './withheld';

const DEFAULT_MAX_DESCRIPTION = 1024;
/**
 * Operations drafted between two collections asked of the engine (`Bun.gc(false)`: it returns at once, the collector
 * works beside the build). Left to itself, the engine lets a big build's garbage pile up (its allowance grows with the
 * heap, which the parsed document makes big): Microsoft Graph's server peaked at 388 MiB before its first page, 364
 * with one collection midway, in the same time. More cost more: every 3,000 operations (343 MiB) 30-70 ms, every
 * 1,000 150 ms (the collections overlapped, and held the build back).
 */
const OPERATIONS_PER_COLLECTION = 6000;
const DEFAULT_MAX_INPUT_NODES = 1000;
const DEFAULT_MAX_OUTPUT_NODES = 250;
/** Our extensions: override the scope and the annotations an operation gets from its method. */
export const SCOPE_EXTENSION = 'x-portico-scope';
export const ANNOTATIONS_EXTENSION = 'x-portico-annotations';

const METHOD_SCOPE: Record<string, Scope> = { GET: 'read', HEAD: 'read', OPTIONS: 'read', DELETE: 'admin' };
const LOCATION_ORDER = { path: 0, query: 1, header: 2, cookie: 3 } as const;
const HINTS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;
/** Property names some clients (OpenAI, Gemini) accept; others are renamed, the wire name kept. */
const ARGUMENT_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;
/** A body written as a form, whose fields are sent by style. */
const FORM = /^(application\/x-www-form-urlencoded|multipart\/)/i;

export interface BuiltTools {
  readonly entries: CatalogEntry[];
  readonly skipped: SkippedOperation[];
  readonly withheld: WithheldOperation[];
  readonly warnings: string[];
}

interface Limits {
  readonly description: number;
  readonly inputNodes: number;
  readonly outputNodes: number;
}

/** A tool before its name is known (names depend on every other operation). */
interface Draft {
  readonly wanted: string;
  readonly sortKey: string;
  readonly title: string;
  readonly description: string;
  readonly inputSchema: JsonSchema;
  readonly outputSchema?: JsonSchema;
  readonly annotations: ToolAnnotations;
  readonly scope: Scope;
  readonly target: OperationTarget;
  readonly label: string;
}

export function buildTools(documents: DocumentSet, read: ReadDocument, options: BuildOptions = {}): BuiltTools {
  try {
    return build(documents, read, options);
  } finally {
    forgetBuild();
  }
}

function build(documents: DocumentSet, read: ReadDocument, options: BuildOptions): BuiltTools {
  const converter = new SchemaConverter(documents);
  const limits: Limits = {
    description: options.maxDescriptionLength ?? DEFAULT_MAX_DESCRIPTION,
    inputNodes: options.maxInputSchemaNodes ?? DEFAULT_MAX_INPUT_NODES,
    outputNodes: options.maxOutputSchemaNodes ?? DEFAULT_MAX_OUTPUT_NODES,
  };
  const skipped: SkippedOperation[] = [];
  const withheld: WithheldOperation[] = [];
  const warnings = unmatchedRules(options, read.operations).map((rule) => `the credential operation "${rule}" is not an operation of the document`);
  const drafts: Draft[] = [];
  const credentialHeaders = new Set((options.credentialHeaders ?? []).map((name) => name.toLowerCase()));
  let drafted = 0;
  for (const operation of read.operations) {
    if (++drafted % OPERATIONS_PER_COLLECTION === 0) Bun.gc(false);
    const label = `${operation.method} ${operation.path}${operation.operationId ? ` (${operation.operationId})` : ''}`;
    // before anything else: an operation that hands out credentials is never a tool, broken or not
    const withholding = withholdingReason(operation, options);
    if (withholding) {
      withheld.push(withheldOperation(operation, withholding, label, converter));
      continue;
    }
    if (isBroken(operation)) {
      skipped.push({ operation: label, reason: operation.error.message });
      continue;
    }
    try {
      drafts.push(draftTool(operation, converter, limits, label, warnings, credentialHeaders));
    } catch (error) {
      if (!(error instanceof SpecError) && !(error instanceof RangeError)) throw error;
      skipped.push({ operation: label, reason: error instanceof RangeError ? `schema too deeply nested (${error.message})` : error.message });
    }
  }
  const names = assignNames(drafts, options.maxNameLength ?? DEFAULT_MAX_NAME_LENGTH);
  const entries: CatalogEntry[] = [];
  drafts.forEach((draft, i) => {
    const name = names[i]!;
    const problem =
      nameProblem(name) ?? schemaProblem(draft.inputSchema, 'the input schema') ?? (draft.outputSchema ? schemaProblem(draft.outputSchema, 'the output schema') : null);
    if (problem) {
      skipped.push({ operation: draft.label, reason: problem });
      return;
    }
    const tool: Tool = {
      name,
      title: draft.title,
      description: draft.description,
      inputSchema: draft.inputSchema as Tool['inputSchema'],
      ...(draft.outputSchema ? { outputSchema: draft.outputSchema as Tool['outputSchema'] } : {}),
      annotations: draft.annotations,
    };
    // the gateway's own arguments (fields, pages), decided once the tool is whole
    const answering = options.answerArguments ? withAnswerArguments(withSizeHint(tool, options.answerBudgets), draft.target) : { tool };
    entries.push({ tool: answering.tool, target: answering.answerArguments ? { ...draft.target, answerArguments: answering.answerArguments } : draft.target, scope: draft.scope });
  });
  return { entries, skipped, withheld, warnings };
}

function draftTool(operation: RawOperation, converter: SchemaConverter, limits: Limits, label: string, warnings: string[], credentialHeaders: ReadonlySet<string>): Draft {
  const notes = newNotes();
  const scope = operationScope(operation);
  const input = buildInput(operation, converter, label, notes, credentialHeaders);
  const fittedInput = fitSchema(input.schema, limits.inputNodes, 'input');
  addNotes(notes, 'truncated', fittedInput.cut);
  let outputSchema: JsonSchema | undefined;
  let wrapsResult = false;
  if (operation.output) {
    const schema = converter.convert(operation.output.node, operation.output.base, () => `${label}, response`, 'output', notes);
    ({ schema: outputSchema, wrapsResult } = outputOf(schema, limits.outputNodes));
  }
  if (notes.recursive) warnings.push(`${label}: recursive schema cut (${[...notes.recursive].join(', ')})`);
  if (input.undeclared.length > 0) warnings.push(`${label}: path parameters not declared, taken as strings: ${input.undeclared.join(', ')}`);
  return {
    wanted: baseName(operation.method, operation.path, operation.operationId),
    sortKey: `${operation.path} ${operation.method}`,
    title: toolTitle(operation),
    description: toolDescription(operation, notes, limits.description),
    inputSchema: fittedInput.schema,
    outputSchema,
    annotations: toolAnnotations(operation, label),
    scope,
    label,
    target: {
      method: operation.method,
      path: operation.path,
      operationId: operation.operationId,
      serverUrl: operation.serverUrl,
      tags: operation.tags,
      extensions: operation.extensions,
      parameters: input.parameters,
      body: input.body,
      wrapsResult,
    },
  };
}

/** A tool's output schema for a converted response schema, by budget: one object for every tool answering that schema. */
let outputs = new WeakMap<JsonSchema, Map<number, { schema: JsonSchema; wrapsResult: boolean }>>();

/**
 * The output schema for the response schema `schema`: an object as it is, anything else wrapped as `{ result }`; kept
 * to `budget` nodes. Many operations answer the same schema (an inlined `$ref`, one object): they share the result.
 */
function outputOf(schema: JsonSchema, budget: number): { schema: JsonSchema; wrapsResult: boolean } {
  let known = outputs.get(schema);
  const hit = known?.get(budget);
  if (hit) return hit;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const isObject = (types.includes('object') || (schema.type === undefined && isPlainObject(schema.properties))) && !schema.anyOf && !schema.oneOf && !schema.allOf;
  const wrapped = isObject ? withFields(schema, { type: 'object' }) : { type: 'object', properties: { result: schema }, required: ['result'] };
  const output = { schema: fitSchema(wrapped, budget, 'output').schema, wrapsResult: !isObject };
  if (!known) outputs.set(schema, (known = new Map()));
  known.set(budget, output);
  return output;
}

/**
 * The names of `path`'s `{name}` placeholders: what `/\{([^}]+)\}/g` matches, found with `indexOf`. Spreading that
 * regex's `matchAll` took 15–25 ms over Microsoft Graph's 7,419 paths, cold, at every start.
 */
export function placeholders(path: string): string[] {
  const names: string[] = [];
  let from = 0;
  for (;;) {
    const open = path.indexOf('{', from);
    if (open === -1) return names;
    const close = path.indexOf('}', open + 1);
    if (close === -1) return names;
    // `{}` names nothing: the search goes on after it, as the regex's does
    if (close > open + 1) names.push(path.slice(open + 1, close));
    from = close + 1;
  }
}

function buildInput(operation: RawOperation, converter: SchemaConverter, label: string, notes: ConversionNotes, credentialHeaders: ReadonlySet<string>) {
  const properties = emptyObject<JsonSchema>();
  const required: string[] = [];
  const parameters: ParameterBinding[] = [];
  const undeclared: string[] = [];
  const claim = (wanted: string, prefix: string): string => {
    let name = ARGUMENT_NAME.test(wanted) ? wanted : wanted.replace(/[^a-zA-Z0-9_.-]+/g, '_').slice(0, 64) || prefix;
    if (Object.hasOwn(properties, name)) name = `${prefix}_${name}`.slice(0, 64);
    for (let n = 2; Object.hasOwn(properties, name); n++) name = `${prefix}_${wanted}_${n}`.replace(/[^a-zA-Z0-9_.-]+/g, '_').slice(-64);
    return name;
  };

  // a header the gateway never sends (the transport's, the deployment's credential) is no argument: offering it
  // would only get the call refused
  const sendable = operation.parameters.filter((parameter) => parameter.in !== 'header' || !(NEVER_SENT_HEADERS.has(parameter.name.toLowerCase()) || credentialHeaders.has(parameter.name.toLowerCase())));
  const ordered = sendable.sort((a, b) => LOCATION_ORDER[a.in] - LOCATION_ORDER[b.in]);
  for (const parameter of ordered) {
    const argument = claim(parameter.name, parameter.in);
    const converted = converter.convert(parameter.schema.node, parameter.schema.base, () => `${label}, parameter "${parameter.name}"`, 'input', notes);
    const argued = argumentOf(parameter, argument, converted);
    setOwn(properties, argument, argued.property);
    if (parameter.required) required.push(argument);
    parameters.push(argued.binding);
  }

  // A path parameter the spec forgot to declare still has to be filled in, or the call cannot be made.
  for (const name of placeholders(operation.path)) {
    if (parameters.some((parameter) => parameter.in === 'path' && parameter.name === name)) continue;
    const argument = claim(name, 'path');
    setOwn(properties, argument, { type: 'string', minLength: 1, description: `The "${name}" part of the path (not declared by the API's document).` });
    required.push(argument);
    parameters.push({ argument, name, in: 'path', required: true, style: 'simple', explode: false });
    undeclared.push(name);
  }

  let body: BodyBinding | undefined;
  if (operation.body) body = addBody(operation.body, converter, label, notes, properties, required, claim);

  const schema: JsonSchema = { type: 'object', properties };
  if (required.length > 0) schema.required = required;
  schema.additionalProperties = false;
  return { schema, parameters, body, undeclared };
}

/** The argument that sends a parameter: its schema, and how the proxy binds it. */
interface Argued {
  readonly converted: JsonSchema;
  readonly property: JsonSchema;
  readonly binding: ParameterBinding;
}

/**
 * Parameters' arguments, by parameter and argument name. A parameter many operations share (GitHub's `owner`,
 * Graph's `$top`) is one `RawParameter`, its schema one converted object: its argument is the same in each, so it is
 * made once, and shared.
 */
let parameterArguments = new WeakMap<RawParameter, Map<string, Argued>>();

/** The argument `argument` that sends `parameter`, whose schema converted is `converted`. */
function argumentOf(parameter: RawParameter, argument: string, converted: JsonSchema): Argued {
  let known = parameterArguments.get(parameter);
  const hit = known?.get(argument);
  if (hit && hit.converted === converted) return hit;
  // a style writes a list or an object as delimited pieces: the schema offers no nested piece it has no rule for
  const schema = parameter.contentType || parameter.style === 'deepObject' ? converted : scalarMembers(converted);
  const extra: JsonSchema = emptyObject();
  const description = [parameter.description?.trim() || (schema.description as string | undefined), argument !== parameter.name ? `Sent as the ${parameter.in} parameter "${parameter.name}".` : '']
    .filter(Boolean)
    .join(' ');
  if (description) extra.description = clip(description);
  if (parameter.deprecated) extra.deprecated = true;
  if (parameter.examples && schema.examples === undefined) extra.examples = parameter.examples;
  if (mustNotBeEmpty(parameter) && admitsEmptyString(schema)) extra.minLength = 1;
  const property = Object.keys(extra).length > 0 ? withFields(schema, extra) : schema;
  const binding: ParameterBinding = {
    argument, name: parameter.name, in: parameter.in, required: parameter.required, style: parameter.style, explode: parameter.explode,
    ...(parameter.allowReserved ? { allowReserved: true } : {}),
    ...(parameter.contentType ? { contentType: parameter.contentType } : {}),
  };
  const argued = { converted, property, binding };
  if (!known) parameterArguments.set(parameter, (known = new Map()));
  known.set(argument, argued);
  return argued;
}

/**
 * Whether the parameter's value may not be the empty string: a path segment never (`/projects//databases` is
 * another URL), a query parameter unless the document allows it (`allowEmptyValue`, false by default in both
 * Swagger 2.0 and OpenAPI 3). The schema says so (`minLength: 1`), so that the agent knows before it calls and
 * what the schema accepts, the gateway sends and the API takes.
 */
/**
 * Whether an empty string cannot be the parameter's value: a path segment never can; a header or a cookie with an
 * empty value is, to the API, one that was not sent (a required one "missing"); a query parameter only where the
 * document says `allowEmptyValue`.
 */
function mustNotBeEmpty(parameter: RawParameter): boolean {
  return parameter.in === 'path' || parameter.in === 'header' || parameter.in === 'cookie' || (parameter.in === 'query' && !parameter.allowEmptyValue);
}

/** Whether `schema` is a plain string schema that accepts "" (no `minLength` of 1 or more, no enum or const). */
function admitsEmptyString(schema: JsonSchema): boolean {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (!types.includes('string') || schema.enum !== undefined || schema.const !== undefined) return false;
  return !(typeof schema.minLength === 'number' && schema.minLength >= 1);
}

function addBody(
  raw: RawBody,
  converter: SchemaConverter,
  label: string,
  notes: ConversionNotes,
  properties: Record<string, JsonSchema>,
  required: string[],
  claim: (wanted: string, prefix: string) => string,
): BodyBinding {
  const schema = converter.convert(raw.schema.node, raw.schema.base, () => `${label}, request body`, 'input', notes);
  const fields = isPlainObject(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : undefined;
  const objectLike = schema.type === 'object' || (schema.type === undefined && fields !== undefined);
  const composite = schema.oneOf !== undefined || schema.anyOf !== undefined || schema.allOf !== undefined;
  if (objectLike && !composite && fields && Object.keys(fields).length > 0) {
    // the common case at once: a JSON body whose fields' names are arguments as they are (see `BodyFields`)
    const template = raw.encoding === undefined ? plainBodyFields(schema, fields, raw) : undefined;
    if (template && !collides(template, properties)) {
      if (template.assignable) Object.assign(properties, template.properties);
      else for (const name in template.properties) setOwn(properties, name, template.properties[name]!);
      required.push(...template.required);
      return { mode: 'fields', contentType: raw.contentType, required: raw.required, fields: template.bound };
    }
    const bodyRequired = new Set(raw.required && Array.isArray(schema.required) ? (schema.required as string[]) : []);
    let bound: { argument: string; name: string }[] = [];
    const form = FORM.test(raw.contentType);
    for (const [name, declared] of Object.entries(fields)) {
      const encoding = raw.encoding && Object.hasOwn(raw.encoding, name) ? raw.encoding[name] : undefined;
      // a form field written by a style (not deepObject) is held to what that style can write, as a parameter is
      const styledField = encoding?.style !== undefined && encoding.style !== 'deepObject' && form ? scalarMembers(declared) : declared;
      // a form has no way to write null: a field is sent, or left out (which a required field cannot be)
      const field = form ? withoutNull(styledField) : styledField;
      const argument = claim(name, 'body');
      const note = argument === name ? '' : `Sent as the request body field "${name}".`;
      setOwn(properties, argument, argument === name ? field : withFields(field, { description: clip(`${(field.description as string | undefined) ?? ''} ${note}`) }));
      if (bodyRequired.has(name)) required.push(argument);
      bound.push({ argument, name });
    }
    bound = sharedBinding(fields, bound);
    return { mode: 'fields', contentType: raw.contentType, required: raw.required, fields: bound, ...(raw.encoding ? { encoding: raw.encoding } : {}) };
  }
  const argument = claim('body', 'request');
  const description = raw.description?.trim() || (schema.description as string | undefined) || `The request body (${raw.contentType}).`;
  setOwn(properties, argument, withFields(schema, { description: clip(description) }));
  if (raw.required) required.push(argument);
  return { mode: 'whole', contentType: raw.contentType, required: raw.required, argument, ...(raw.encoding ? { encoding: raw.encoding } : {}) };
}

/**
 * A JSON body's fields as arguments named as the fields are: the same for every operation sending the same body
 * schema (Graph's entity types: thousands of operations, hundreds of fields each), whatever else the operation has,
 * unless one of its parameters' arguments already holds one of the names (`collides`).
 */
interface BodyFields {
  /** Field name → its argument schema, in the fields' order. */
  readonly properties: Record<string, JsonSchema>;
  /** No field is named `__proto__`: the properties can be copied with `Object.assign`. */
  readonly assignable: boolean;
  readonly required: readonly string[];
  readonly bound: { argument: string; name: string }[];
}

/** `BodyFields` by converted body schema, and whether the body is required; null: a field's name is no argument's. */
let bodyFields = new WeakMap<JsonSchema, Map<boolean, BodyFields | null>>();

/** The fields of a JSON body (not a form) as `BodyFields`, or undefined when a name must change to be an argument's. */
function plainBodyFields(schema: JsonSchema, fields: Record<string, JsonSchema>, raw: RawBody): BodyFields | undefined {
  if (FORM.test(raw.contentType)) return undefined;
  let known = bodyFields.get(schema);
  let template = known?.get(raw.required);
  if (template === undefined) {
    const names = Object.keys(fields);
    if (names.every((name) => ARGUMENT_NAME.test(name))) {
      const bodyRequired = new Set(raw.required && Array.isArray(schema.required) ? (schema.required as string[]) : []);
      const properties = emptyObject<JsonSchema>();
      for (const name of names) setOwn(properties, name, fields[name]!);
      template = {
        properties,
        assignable: !names.includes('__proto__'),
        required: names.filter((name) => bodyRequired.has(name)),
        bound: sharedBinding(fields, names.map((name) => ({ argument: name, name }))),
      };
    } else template = null;
    if (!known) bodyFields.set(schema, (known = new Map()));
    known.set(raw.required, template);
  }
  return template ?? undefined;
}

/** Whether an argument already in `properties` has a name one of the body's fields needs. */
function collides(template: BodyFields, properties: Record<string, JsonSchema>): boolean {
  for (const name in properties) if (Object.hasOwn(template.properties, name)) return true;
  return false;
}

/** Body fields' bindings where each argument is its field's name, by the fields' schema object: the same for every operation sending it. */
let plainBindings = new WeakMap<object, { argument: string; name: string }[]>();

/**
 * `bound`, or the equal list an earlier operation with the same body fields made: Graph's entity types are the bodies
 * of thousands of operations, a list of hundreds of fields each.
 */
function sharedBinding(fields: object, bound: { argument: string; name: string }[]): { argument: string; name: string }[] {
  if (!bound.every(({ argument, name }) => argument === name)) return bound;
  const known = plainBindings.get(fields);
  if (known && known.length === bound.length && known.every(({ name }, i) => name === bound[i]!.name)) return known;
  plainBindings.set(fields, bound);
  return bound;
}

/** `schema` without `null` among its types or its union's branches (a `nullable` field of a form). */
function withoutNull(schema: JsonSchema): JsonSchema {
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : undefined;
  if (types?.includes('null')) {
    const rest = types.filter((type) => type !== 'null');
    return withFields(schema, { type: rest.length === 1 ? rest[0] : rest });
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (!Array.isArray(branches)) continue;
    const kept = (branches as JsonSchema[]).filter((branch) => !(isPlainObject(branch) && branch.type === 'null'));
    if (kept.length < branches.length && kept.length > 0) return withFields(schema, { [key]: kept });
  }
  return schema;
}

function operationScope(operation: RawOperation): Scope {
  const declared = operation.extensions[SCOPE_EXTENSION];
  if (declared === undefined) return METHOD_SCOPE[operation.method] ?? 'write';
  if (declared === 'read' || declared === 'write' || declared === 'admin') return declared;
  // A typo must not silently lower the scope an operation needs: refuse the operation instead.
  throw new SpecError('SPEC_INVALID', `${SCOPE_EXTENSION} is "${String(declared)}"; expected "read", "write" or "admin"`);
}

function toolAnnotations(operation: RawOperation, label: string): ToolAnnotations {
  const method = operation.method;
  const annotations: ToolAnnotations = {};
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') annotations.readOnlyHint = true;
  else annotations.readOnlyHint = false;
  if (method === 'DELETE') annotations.destructiveHint = true;
  if (method === 'PUT' || method === 'DELETE') annotations.idempotentHint = true;
  const override = operation.extensions[ANNOTATIONS_EXTENSION];
  if (override !== undefined) {
    if (!isPlainObject(override)) throw new SpecError('SPEC_INVALID', `${label}: ${ANNOTATIONS_EXTENSION} must be an object`);
    for (const [key, value] of Object.entries(override)) {
      if (!(HINTS as readonly string[]).includes(key) || typeof value !== 'boolean') {
        throw new SpecError('SPEC_INVALID', `${label}: ${ANNOTATIONS_EXTENSION}.${key} must be one of ${HINTS.join(', ')} with a boolean value`);
      }
      annotations[key as (typeof HINTS)[number]] = value;
    }
  }
  return annotations;
}

function toolTitle(operation: RawOperation): string {
  const summary = operation.summary?.trim().replace(/\s+/g, ' ').replace(/\.$/, '');
  if (summary) return clip(summary, 120);
  if (operation.operationId) {
    const words = baseName(operation.method, operation.path, operation.operationId).replace(/_/g, ' ');
    return words.charAt(0).toUpperCase() + words.slice(1);
  }
  return `${operation.method} ${operation.path}`;
}

function toolDescription(operation: RawOperation, notes: ConversionNotes, max: number): string {
  const summary = operation.summary?.trim() ?? '';
  const details = operation.description?.trim() ?? '';
  let text = summary && details && !details.startsWith(summary.replace(/\.$/, '')) ? `${summary}\n\n${details}` : details || summary;
  if (!text) text = `${operation.method} ${operation.path}`;
  if (operation.deprecated) text = `[Deprecated] ${text}`;
  const remarks: string[] = [];
  if (notes.recursive) {
    remarks.push(`Recursive schemas cut: ${[...notes.recursive].sort().join(', ')}.`);
  }
  if (notes.truncated) remarks.push('Some deeply nested objects are not expanded; send them as JSON objects.');
  const tail = remarks.length > 0 ? `\n\n${remarks.join(' ')}` : '';
  // The notes matter less than the operation's own words: drop them when they would crowd those out.
  const room = max - tail.length;
  return room >= Math.min(80, max / 2) ? clip(text, room) + tail : clip(text, max);
}

/**
 * Forgets every cache that serves one build: each is kept by the catalog's own nodes, so it would otherwise live as
 * long as the catalog is served, for nothing (the next build makes new nodes).
 */
function forgetBuild(): void {
  outputs = new WeakMap();
  parameterArguments = new WeakMap();
  bodyFields = new WeakMap();
  plainBindings = new WeakMap();
  forgetFitting();
  forgetChecks();
  forgetSelectables();
}
