/**
 * @module catalog/build
 * Turns the operations of a document into published tools: one flat input schema per operation, an
 * output schema from its 2xx JSON response, a stable name, a description, annotations and a scope.
 */
import { withAnswerArguments, withSizeHint } from './answer-arguments';
import type { Tool, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { DocumentSet } from './documents';
import { SpecError } from './errors';
import { assignNames, baseName, DEFAULT_MAX_NAME_LENGTH } from './names';
import { isBroken, type RawBody, type RawOperation, type RawParameter, type ReadDocument } from './operations';
import { fitSchema, withFields } from './fit';
import { clip, isPlainObject, setOwn } from './json';
import { newNotes, scalarMembers, SchemaConverter, type ConversionNotes } from './schema';
import { NEVER_SENT_HEADERS } from './spec-objects';
import type { BodyBinding, BuildOptions, CatalogEntry, JsonSchema, OperationTarget, ParameterBinding, Scope, SkippedOperation, WithheldOperation } from './types';
import { nameProblem, schemaProblem } from './validate';
import { unmatchedRules, withheldOperation, withholdingReason } from './withheld';

const DEFAULT_MAX_DESCRIPTION = 1024;
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
  for (const operation of read.operations) {
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
  for (const name of fittedInput.cut) notes.truncated.add(name);
  let outputSchema: JsonSchema | undefined;
  let wrapsResult = false;
  if (operation.output) {
    const schema = converter.convert(operation.output.node, operation.output.base, `${label}, response`, 'output', notes);
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const isObject = (types.includes('object') || (schema.type === undefined && isPlainObject(schema.properties))) && !schema.anyOf && !schema.oneOf && !schema.allOf;
    if (isObject) outputSchema = withFields(schema, { type: 'object' });
    else {
      outputSchema = { type: 'object', properties: { result: schema }, required: ['result'] };
      wrapsResult = true;
    }
    outputSchema = fitSchema(outputSchema, limits.outputNodes, 'output').schema;
  }
  if (notes.recursive.size > 0) warnings.push(`${label}: recursive schema cut (${[...notes.recursive].join(', ')})`);
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

function buildInput(operation: RawOperation, converter: SchemaConverter, label: string, notes: ConversionNotes, credentialHeaders: ReadonlySet<string>) {
  const properties: Record<string, JsonSchema> = {};
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
    const converted = converter.convert(parameter.schema.node, parameter.schema.base, `${label}, parameter "${parameter.name}"`, 'input', notes);
    // a style writes a list or an object as delimited pieces: the schema offers no nested piece it has no rule for
    const schema = parameter.contentType || parameter.style === 'deepObject' ? converted : scalarMembers(converted);
    const extra: JsonSchema = {};
    const description = [parameter.description?.trim() || (schema.description as string | undefined), argument !== parameter.name ? `Sent as the ${parameter.in} parameter "${parameter.name}".` : '']
      .filter(Boolean)
      .join(' ');
    if (description) extra.description = clip(description);
    if (parameter.deprecated) extra.deprecated = true;
    if (parameter.examples && schema.examples === undefined) extra.examples = parameter.examples;
    if (mustNotBeEmpty(parameter) && admitsEmptyString(schema)) extra.minLength = 1;
    setOwn(properties, argument, Object.keys(extra).length > 0 ? withFields(schema, extra) : schema);
    if (parameter.required) required.push(argument);
    parameters.push({
      argument, name: parameter.name, in: parameter.in, required: parameter.required, style: parameter.style, explode: parameter.explode,
      ...(parameter.allowReserved ? { allowReserved: true } : {}),
      ...(parameter.contentType ? { contentType: parameter.contentType } : {}),
    });
  }

  // A path parameter the spec forgot to declare still has to be filled in, or the call cannot be made.
  for (const [, name] of operation.path.matchAll(/\{([^}]+)\}/g)) {
    if (parameters.some((parameter) => parameter.in === 'path' && parameter.name === name)) continue;
    const argument = claim(name!, 'path');
    setOwn(properties, argument, { type: 'string', minLength: 1, description: `The "${name}" part of the path (not declared by the API's document).` });
    required.push(argument);
    parameters.push({ argument, name: name!, in: 'path', required: true, style: 'simple', explode: false });
    undeclared.push(name!);
  }

  let body: BodyBinding | undefined;
  if (operation.body) body = addBody(operation.body, converter, label, notes, properties, required, claim);

  const schema: JsonSchema = { type: 'object', properties };
  if (required.length > 0) schema.required = required;
  schema.additionalProperties = false;
  return { schema, parameters, body, undeclared };
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
  const schema = converter.convert(raw.schema.node, raw.schema.base, `${label}, request body`, 'input', notes);
  const fields = isPlainObject(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : undefined;
  const objectLike = schema.type === 'object' || (schema.type === undefined && fields !== undefined);
  const composite = schema.oneOf !== undefined || schema.anyOf !== undefined || schema.allOf !== undefined;
  if (objectLike && !composite && fields && Object.keys(fields).length > 0) {
    const bodyRequired = new Set(raw.required && Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const bound: { argument: string; name: string }[] = [];
    for (const [name, declared] of Object.entries(fields)) {
      const encoding = raw.encoding && Object.hasOwn(raw.encoding, name) ? raw.encoding[name] : undefined;
      // a form field written by a style (not deepObject) is held to what that style can write, as a parameter is
      const form = /^(application\/x-www-form-urlencoded|multipart\/)/i.test(raw.contentType);
      const styledField = encoding?.style !== undefined && encoding.style !== 'deepObject' && form ? scalarMembers(declared) : declared;
      // a form has no way to write null: a field is sent, or left out (which a required field cannot be)
      const field = form ? withoutNull(styledField) : styledField;
      const argument = claim(name, 'body');
      const note = `Sent as the request body field "${name}".`;
      setOwn(properties, argument, argument === name ? field : withFields(field, { description: clip(`${(field.description as string | undefined) ?? ''} ${note}`) }));
      if (bodyRequired.has(name)) required.push(argument);
      bound.push({ argument, name });
    }
    return { mode: 'fields', contentType: raw.contentType, required: raw.required, fields: bound, ...(raw.encoding ? { encoding: raw.encoding } : {}) };
  }
  const argument = claim('body', 'request');
  const description = raw.description?.trim() || (schema.description as string | undefined) || `The request body (${raw.contentType}).`;
  setOwn(properties, argument, withFields(schema, { description: clip(description) }));
  if (raw.required) required.push(argument);
  return { mode: 'whole', contentType: raw.contentType, required: raw.required, argument, ...(raw.encoding ? { encoding: raw.encoding } : {}) };
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
  if (notes.recursive.size > 0) {
    remarks.push(`Recursive schemas cut: ${[...notes.recursive].sort().join(', ')}.`);
  }
  if (notes.truncated.size > 0) remarks.push('Some deeply nested objects are not expanded; send them as JSON objects.');
  const tail = remarks.length > 0 ? `\n\n${remarks.join(' ')}` : '';
  // The notes matter less than the operation's own words: drop them when they would crowd those out.
  const room = max - tail.length;
  return room >= Math.min(80, max / 2) ? clip(text, room) + tail : clip(text, max);
}
