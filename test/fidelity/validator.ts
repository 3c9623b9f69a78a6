/**
 * A validating upstream: a Bun.serve on port 0 that judges every request it gets against the ORIGINAL API document
 * with Stoplight Prism's own request validator (@stoplight/prism-http — the validator of issue 20's first run), and
 * answers 200 `{}` when it fits, 422 with Prism's errors when it does not. Each verdict is recorded.
 *
 * The document is read the way Prism's `getHttpOperationsFromSpec` reads it (json-schema-ref-parser,
 * @stoplight/http-spec's OAS 2 / OAS 3 transformers, `bundleTarget` per operation), with two differences: the
 * Postman branch is left out (its postman-collection needs file-type@3, which this project's override replaces), and
 * instead of a full dereference and `decycle` (13 s on Discord's and OpenAI's documents) the document is bundled
 * into one, then dereferenced but for circular `$ref`s, which bundleTarget bundles: the same operations (checked
 * on every document here: same parameters, same bodies), in 1 s. Nothing of Portico's catalog is used.
 *
 * A request is routed the way Prism's mock server routes it (method + path, the operation's server path stripped
 * first, since Portico sends the server's path after the upstream's), then `validateInput` checks path, query and
 * header parameters and the body by media type. Like Prism, it checks neither cookies nor security schemes; the
 * verdict is the Error-severity diagnostics only (Prism's warnings, e.g. a deprecated parameter, do not reject).
 *
 * Corrections of Prism quirks (the body is then checked against the same schema with Prism's own
 * `validateAgainstSchema`, after Prism's readOnly filter; a verdict they change says so in `corrected`, with
 * Prism's own errors):
 * - form bodies (urlencoded, multipart): Prism keeps only the last of repeated keys, so an array sent the way OpenAPI
 *   says by default (style form, explode: `A=x&A=y`) is read as one string ("must be array"), and it reads every
 *   multipart part as text (a JSON part of an object property "must be object"). Here the form is read per OpenAPI:
 *   repeated keys (or the encoding's delimiter) make arrays, JSON parts are parsed;
 * - Swagger 2.0 `type: file` form parameters are kept as such by http-spec, a schema Ajv cannot compile (so Prism
 *   passes the whole body unchecked): they are read as OpenAPI 3 writes them, `type: string, format: binary`;
 * - a JSON body `null` (a body the document allows, e.g. Discord's `type: [array, null]`) is "Body parameter is
 *   required" to Prism: it is checked against the schema instead.
 * A schema Ajv cannot compile makes Prism skip the check silently (it passes): here the verdict lists it in
 * `unverified`, so a hole in the validator never counts as an accepted call.
 */
import { bundleTarget } from '@stoplight/json';
import $RefParser from '@stoplight/json-schema-ref-parser';
import { transformOas2Operations } from '@stoplight/http-spec/oas2/operation';
import { transformOas3Operations } from '@stoplight/http-spec/oas3/operation';
import route from '@stoplight/prism-http/dist/router';
import { stripReadOnlyProperties } from '@stoplight/prism-http/dist/utils/filterRequiredProperties';
import { validateInput } from '@stoplight/prism-http/dist/validator';
import { wildcardMediaTypeMatch } from '@stoplight/prism-http/dist/validator/utils/wildcardMediaTypeMatch';
import { validateAgainstSchema } from '@stoplight/prism-http/dist/validator/validators/utils';
import type { IPrismDiagnostic } from '@stoplight/prism-core';
import type { IHttpRequest, JSONSchema } from '@stoplight/prism-http';
import type { IHttpOperation, IMediaTypeContent, IServer } from '@stoplight/types';
import AjvCore from 'ajv/dist/core.js';
import type { FromWorker, ToWorker } from './validator-worker';

export interface Verdict {
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  readonly headers: Record<string, string>;
  /** The body as received (cut at 2 kB). */
  readonly body: string;
  /** "METHOD /path" of the operation Prism routed the request to, when it routed. */
  readonly operation?: string;
  readonly valid: boolean;
  /** Prism's Error diagnostics (or the routing error). */
  readonly errors: string[];
  readonly warnings: string[];
  /** Schemas of the operation that Ajv could not compile, so that part was not checked (Prism would pass it silently). */
  readonly unverified?: string[];
  /** Which correction of a Prism quirk changed the verdict's errors, if one did, and Prism's own errors then. */
  readonly corrected?: 'form body' | 'null body';
  readonly prismErrors?: string[];
}

export interface ValidatingUpstream {
  readonly url: string;
  readonly verdicts: Verdict[];
  /** Settles once the document is read (requests wait for it): the number of operations Prism read from it. */
  readonly ready: Promise<number>;
  stop(): void;
}

type Operation = IHttpOperation & { __bundled__?: unknown };

/** The document's operations, as Prism sees them. */
export async function prismOperations(file: string): Promise<Operation[]> {
  const bundled = await new $RefParser().bundle(file);
  const document = (await new $RefParser().dereference(bundled, { dereference: { circular: 'ignore' } })) as Record<string, unknown>;
  const operations = (document.swagger !== undefined ? transformOas2Operations(document as never) : transformOas3Operations(document as never)) as Operation[];
  return operations.map((operation) => bundleTarget({ document: { ...document, __target__: operation } as Record<string, unknown>, path: '#/__target__', cloneDocument: false }) as Operation);
}

/** The path of a server URL, its variables at their defaults, without a trailing slash ("" for none). */
function serverPath(server: IServer): string {
  let url = server.url;
  for (const variable of server.variables ? Object.entries(server.variables) : []) url = url.replaceAll(`{${variable[0]}}`, String(variable[1].default ?? ''));
  try {
    return new URL(url, 'http://base.invalid').pathname.replace(/\/+$/, '');
  } catch {
    return '';
  }
}

const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i;
const FORM_TYPE = /^(?:application\/x-www-form-urlencoded|multipart\/form-data)\s*(?:;|$)/i;

const UNCOMPILED = 'validator: schema does not compile: ';

/** Schemas Ajv failed to compile while Prism validated (Prism swallows the error and passes the value). */
let compileFailures: string[] | undefined;
const compile = AjvCore.prototype.compile;
AjvCore.prototype.compile = function (this: AjvCore, ...args: Parameters<typeof compile>) {
  try {
    return compile.apply(this, args);
  } catch (error) {
    compileFailures?.push(String(error).slice(0, 200));
    throw error;
  }
} as typeof compile;

/** Runs `check` (synchronous) and adds an error for every schema that did not compile meanwhile. */
function watchingCompiles(check: () => IPrismDiagnostic[]): IPrismDiagnostic[] {
  compileFailures = [];
  try {
    const diagnostics = check();
    return [...diagnostics, ...compileFailures.map((why) => ({ message: `${UNCOMPILED}${why}`, severity: 0 }) as IPrismDiagnostic)];
  } finally {
    compileFailures = undefined;
  }
}

type Schema = Record<string, unknown>;

function propertySchema(schema: Schema | undefined, name: string): Schema | undefined {
  const properties = schema?.properties as Record<string, Schema> | undefined;
  return properties && typeof properties[name] === 'object' ? properties[name] : undefined;
}

function isType(schema: Schema | undefined, type: string): boolean {
  const declared = schema?.type;
  return declared === type || (Array.isArray(declared) && declared.includes(type));
}

/** Swagger 2.0's `type: file` form parameters (http-spec keeps them, Ajv cannot compile them) as OpenAPI 3 writes them. */
function withoutFileType(schema: Schema): JSONSchema {
  const properties = schema.properties as Record<string, Schema> | undefined;
  if (!properties || !Object.values(properties).some((p) => p?.type === 'file')) return schema as JSONSchema;
  const fixed = Object.fromEntries(Object.entries(properties).map(([name, p]) => [name, p?.type === 'file' ? { ...p, type: 'string', format: 'binary' } : p]));
  return { ...schema, properties: fixed } as JSONSchema;
}

const DELIMITERS: Record<string, string> = { form: ',', spaceDelimited: ' ', pipeDelimited: '|' };

/**
 * A form body (urlencoded or multipart) as the object OpenAPI says it stands for: per property, its encoding's style
 * (form by default, exploded by default): an array property from its repeated keys (or one value split at the
 * delimiter when not exploded), an object property of a multipart part as JSON, anything else its last value.
 */
async function readForm(text: string, contentType: string, content: IMediaTypeContent): Promise<Record<string, unknown>> {
  const multipart = /^multipart\//i.test(contentType);
  const values = new Map<string, { value: string; json: boolean }[]>();
  const add = (name: string, value: string, json: boolean) => values.set(name, [...(values.get(name) ?? []), { value, json }]);
  if (multipart) {
    const form = await new Response(text, { headers: { 'content-type': contentType } }).formData();
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') add(name, value, false);
      else add(name, await value.text(), JSON_TYPE.test(value.type));
    }
  } else for (const [name, value] of new URLSearchParams(text)) add(name, value, false);
  const schema = content.schema as Schema | undefined;
  const body: Record<string, unknown> = {};
  for (const [name, parts] of values) {
    const property = propertySchema(schema, name);
    const encoding = content.encodings?.find((e) => e.property === name);
    const style = encoding?.style ?? 'form';
    const explode = encoding?.explode ?? style === 'form';
    const parse = (part: { value: string; json: boolean }) => {
      if (!multipart || !(part.json || isType(property, 'object') || (isType(property, 'array') && isType(propertySchema({ properties: { i: property?.items } }, 'i'), 'object')))) return part.value;
      try {
        return JSON.parse(part.value) as unknown;
      } catch {
        return part.value;
      }
    };
    if (isType(property, 'array')) {
      const items = explode || parts.length > 1 ? parts.map(parse) : parts[0]!.value.split(DELIMITERS[style] ?? ',');
      // a multipart part holding a JSON array stands for the whole array
      body[name] = items.length === 1 && Array.isArray(items[0]) ? items[0] : items;
    } else body[name] = parse(parts.at(-1)!);
  }
  return body;
}

/** Listens at once; the document is read meanwhile (`ready`). */
export function startValidatingUpstream(file: string): ValidatingUpstream {
  let operations: Operation[] = [];
  // every server path of the document, longest first ("" last: a request with no known prefix is routed as is)
  let prefixes: string[] = [];
  const ready = prismOperations(file).then((read) => {
    operations = read;
    prefixes = [...new Set(operations.flatMap((operation) => (operation.servers ?? []).map(serverPath)).concat(''))].sort((a, b) => b.length - a.length);
    return operations.length;
  });
  ready.catch(() => {});
  const verdicts: Verdict[] = [];

  function routeRequest(input: IHttpRequest): { operation?: Operation; path: string; error?: string } {
    let firstError: string | undefined;
    for (const prefix of prefixes) {
      if (prefix && input.url.path !== prefix && !input.url.path.startsWith(`${prefix}/`)) continue;
      const path = input.url.path.slice(prefix.length) || '/';
      const routed = route({ resources: operations, input: { ...input, url: { ...input.url, path } } });
      if (routed._tag === 'Right') {
        const operation = routed.right as Operation;
        const servers = (operation.servers ?? []).map(serverPath);
        if (servers.length === 0 || servers.includes(prefix)) return { operation, path };
        firstError ??= `${operation.method.toUpperCase()} ${operation.path} is served under ${servers.join(' or ')}, not "${prefix}"`;
      } else firstError ??= routed.left.message + ('detail' in routed.left ? `: ${String((routed.left as { detail: unknown }).detail)}` : '');
    }
    return { path: input.url.path, error: firstError ?? 'no operation matched' };
  }

  /** The body checked here instead of by Prism (see the module's comment), or undefined to leave it to Prism. */
  async function correctedBody(operation: Operation, contentType: string, text: string, parsed: unknown): Promise<{ kind: 'form body' | 'null body'; diagnostics: IPrismDiagnostic[] } | undefined> {
    const isForm = FORM_TYPE.test(contentType);
    if (!isForm && parsed !== null) return undefined;
    const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
    const content = operation.request?.body?.contents?.find((c) => wildcardMediaTypeMatch(mediaType, c.mediaType));
    if (!content) return undefined; // Prism's own answer (unsupported media type) stands
    const kind = isForm ? 'form body' : 'null body';
    const schema = content.schema ? stripReadOnlyProperties(isForm ? withoutFileType(content.schema as Schema) : (content.schema as JSONSchema)) : undefined;
    if (!schema || schema._tag === 'None') return { kind, diagnostics: [] };
    let value: unknown = parsed;
    try {
      if (isForm) value = await readForm(text, contentType, content);
    } catch (error) {
      return { kind, diagnostics: [{ message: `body is not a readable form: ${String(error)}`, severity: 0 } as IPrismDiagnostic] };
    }
    return {
      kind,
      diagnostics: watchingCompiles(() => {
        const result = validateAgainstSchema(value, schema.value, isForm, 0, 'body', operation.__bundled__);
        return result._tag === 'Some' ? result.value : [];
      }),
    };
  }

  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      await ready;
      const url = new URL(request.url);
      const headers: Record<string, string> = {};
      request.headers.forEach((value, name) => void (headers[name] = value));
      const text = await request.text();
      const hasBody = headers['content-length'] !== '0' && (headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined);
      const contentType = headers['content-type'] ?? '';
      const query: Record<string, string | string[]> = {};
      for (const key of new Set(url.searchParams.keys())) {
        const values = url.searchParams.getAll(key);
        query[key] = values.length === 1 ? values[0]! : values;
      }
      const record = (verdict: Omit<Verdict, 'method' | 'url' | 'headers' | 'body'>) => {
        verdicts.push({ method: request.method, url: url.pathname + url.search, headers, body: text.slice(0, 2048), ...verdict });
        return Response.json(verdict.valid ? {} : { errors: verdict.errors }, { status: verdict.valid ? 200 : 422 });
      };
      let body: unknown = hasBody ? text : null;
      if (hasBody && JSON_TYPE.test(contentType)) {
        try {
          body = JSON.parse(text);
        } catch (error) {
          return record({ valid: false, errors: [`body is not JSON: ${String(error)}`], warnings: [] });
        }
      }
      const input: IHttpRequest = { method: request.method.toLowerCase() as IHttpRequest['method'], url: { path: url.pathname, query }, headers, body };
      const routed = routeRequest(input);
      if (!routed.operation) return record({ valid: false, errors: [`route: ${routed.error}`], warnings: [] });
      const operation = routed.operation;
      const element = { ...input, url: { ...input.url, path: routed.path } };
      const own = (resource: Operation, checked: IHttpRequest) =>
        watchingCompiles(() => {
          const result = validateInput({ resource, element: checked });
          return result._tag === 'Left' ? [...result.left] : [];
        });
      const errorsOf = (diagnostics: IPrismDiagnostic[]) => diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path?.length ? `${d.path.join('.')}: ` : ''}${d.message}`); // DiagnosticSeverity.Error is 0
      const prismDiagnostics = own(operation, element);
      const corrected = hasBody ? await correctedBody(operation, contentType, text, body) : undefined;
      // with a corrected body, Prism checks the rest: the operation without its body, the request without one
      const diagnostics = corrected
        ? own({ ...operation, request: { ...operation.request, body: undefined } }, { ...element, body: undefined, headers: { ...headers, 'content-length': '0' } }).concat(corrected.diagnostics)
        : prismDiagnostics;
      const all = errorsOf(diagnostics);
      const errors = all.filter((e) => !e.startsWith(UNCOMPILED));
      const unverified = all.filter((e) => e.startsWith(UNCOMPILED));
      const changed = corrected !== undefined && JSON.stringify(errors) !== JSON.stringify(errorsOf(prismDiagnostics));
      // Prism lets any query parameter through: one the operation does not declare is worth a warning
      const declared = new Set((operation.request?.query ?? []).map((q) => q.name));
      const fixed = new Set([...new URLSearchParams(operation.path.split('?')[1] ?? '').keys()]);
      const undeclared = Object.keys(query).filter((name) => !declared.has(name) && !fixed.has(name));
      const warnings = diagnostics
        .filter((d) => d.severity !== 0)
        .map((d) => d.message)
        .concat(undeclared.map((name) => `undeclared query parameter "${name}"`));
      return record({ operation: `${operation.method.toUpperCase()} ${operation.path}`, valid: errors.length === 0, errors, warnings, ...(unverified.length > 0 && { unverified }), ...(changed && { corrected: corrected.kind, prismErrors: errorsOf(prismDiagnostics) }) });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, verdicts, ready, stop: () => void server.stop(true) };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The same upstream, run in a worker thread (./validator-worker): `verdicts(from)` asks it for those recorded since. */
export interface RemoteValidatingUpstream {
  readonly url: string;
  /** Once the document is read: the number of operations Prism read from it (throws when it could not). */
  ready(): Promise<number>;
  verdicts(from: number): Promise<Verdict[]>;
  stop(): Promise<void>;
}

export async function startValidatingUpstreamInWorker(file: string): Promise<RemoteValidatingUpstream> {
  const worker = new Worker(new URL('./validator-worker.ts', import.meta.url).href);
  const waiting = new Map<number, (message: FromWorker) => void>();
  let nextId = 1;
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    waiting.get(event.data.id)?.(event.data);
    waiting.delete(event.data.id);
  };
  const ask = (message: DistributiveOmit<ToWorker, 'id'>) =>
    new Promise<FromWorker>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      worker.postMessage({ ...message, id });
    });
  const started = await ask({ type: 'start', file });
  if (started.type !== 'started') {
    worker.terminate();
    throw new Error(`the validating upstream did not start: ${started.type === 'failed' ? started.error : started.type}`);
  }
  return {
    url: started.url,
    async ready() {
      const answer = await ask({ type: 'ready' });
      if (answer.type !== 'ready') throw new Error(`the validating upstream could not read ${file}: ${answer.type === 'failed' ? answer.error : answer.type}`);
      return answer.operations;
    },
    async verdicts(from) {
      const answer = await ask({ type: 'verdicts', from });
      return answer.type === 'verdicts' ? answer.verdicts : [];
    },
    async stop() {
      await ask({ type: 'stop' });
      worker.terminate();
    },
  };
}
