/**
 * @module catalog/documents
 * The set of documents a spec is made of (the root and every file its `$ref`s reach), and `$ref`
 * resolution across them. Everything is loaded before tools are built, so building stays synchronous.
 *
 * What a spec may make us read is limited: a document fetched from a URL may never reach local files,
 * and no document reaches another host unless remote refs are enabled.
 */
import { SpecError } from './errors';
import { displayUri, parseBody, readSource, type DocumentBody, type ParsedDocument, type ReadOptions } from './source';

export interface LoadOptions extends ReadOptions {
  /** Allow `$ref`s to documents on other hosts. @default false */
  readonly allowRemoteRefs?: boolean;
  /** Most documents one spec may consist of. @default 10000 */
  readonly maxDocuments?: number;
  /** Texts to use instead of reading these URIs (a stored copy of the spec, when its source is unreachable). */
  readonly preloaded?: ReadonlyMap<string, string>;
}

/** A `$ref` target: its value and where it lives (for resolving the refs inside it). */
export interface Resolved {
  readonly value: unknown;
  /** The URI of the document holding the value; the base for refs inside it. */
  readonly base: string;
  /** Absolute `uri#pointer`: identifies the target, for cycle detection and memoisation. */
  readonly key: string;
}

/** A document read: its value, its text, and whether that text was JSON; or why it could not be read. */
type Loaded = ParsedDocument | { readonly error: SpecError };

export class DocumentSet {
  private constructor(
    readonly rootUri: string,
    readonly root: unknown,
    private readonly documents: ReadonlyMap<string, Loaded>,
  ) {}

  /** The text of every document read, by URI, the root first. */
  get texts(): Map<string, string> {
    const texts = new Map<string, string>();
    for (const [uri, loaded] of this.documents) if ('text' in loaded) texts.set(uri, loaded.text);
    return texts;
  }

  /** URIs of every document read, the root first (not those refused or unreadable). */
  get uris(): string[] {
    return [...this.documents].filter(([, loaded]) => 'value' in loaded).map(([uri]) => uri);
  }

  /**
   * Reads the root and, transitively, every document its `$ref`s name. A referenced document that
   * cannot be read is remembered as an error, raised only if something actually resolves into it
   * (refs inside examples must not break a spec).
   */
  static async load(rootUri: string, rootBody: DocumentBody, options: LoadOptions = {}): Promise<DocumentSet> {
    const parsed = parseBody(rootBody, rootUri);
    const root = parsed.value;
    const documents = new Map<string, Loaded>([[rootUri, parsed]]);
    const maxDocuments = options.maxDocuments ?? 10_000;
    // Each wanted document with the document that names it: what a document may reach depends on where it came from.
    let pending = externalRefs(root, parsed.json ? parsed.text : undefined, rootUri).map((uri) => ({ uri, referrer: rootUri }));
    while (pending.length > 0) {
      const wanted = new Map<string, string>();
      for (const { uri, referrer } of pending) if (!documents.has(uri) && !wanted.has(uri)) wanted.set(uri, referrer);
      const batch = [...wanted];
      pending = [];
      if (documents.size + batch.length > maxDocuments) {
        throw new SpecError('SPEC_INVALID', `"${rootUri}" references more than ${maxDocuments} documents`);
      }
      const results = await Promise.all(
        batch.map(async ([uri, referrer]): Promise<[string, Loaded]> => {
          const allowRemote = options.allowRemoteRefs ?? false;
          const refusal = refuseReach(referrer, uri, allowRemote);
          if (refusal) return [uri, { error: refusal }];
          try {
            const stored = options.preloaded?.get(uri);
            if (stored !== undefined) return [uri, parseBody(stored, uri)];
            // A redirect is a new reach: a same-origin ref must not lead to another host or a file.
            const checkRedirect = (target: URL) => refuseReach(referrer, target.href, allowRemote);
            const fetched = await readSource(uri, { ...options, checkRedirect });
            return [uri, parseBody(fetched!.body, uri)];
          } catch (error) {
            return [uri, { error: error instanceof SpecError ? error : new SpecError('SPEC_UNREADABLE', String(error)) }];
          }
        }),
      );
      for (const [uri, loaded] of results) {
        documents.set(uri, loaded);
        if ('value' in loaded) pending.push(...externalRefs(loaded.value, loaded.json ? loaded.text : undefined, uri).map((target) => ({ uri: target, referrer: uri })));
      }
    }
    return new DocumentSet(rootUri, root, documents);
  }

  /**
   * Resolved refs by base and ref: the same `$ref` is resolved again for every operation and schema that holds it
   * (GitHub's `owner` parameter, Graph's entity types), and each time meant a URL, a pointer and a walk. Only what
   * resolved is kept: a failure's message names where it was met.
   */
  private readonly resolved = new Map<string, Map<string, Resolved>>();

  /** Resolves `ref` found in the document at `base`, following chains of refs. */
  resolve(ref: string, base: string, where: string): Resolved {
    let known = this.resolved.get(base);
    const hit = known?.get(ref);
    if (hit) return hit;
    const target = this.follow(ref, base, where);
    if (!known) this.resolved.set(base, (known = new Map()));
    known.set(ref, target);
    return target;
  }

  private follow(ref: string, base: string, where: string): Resolved {
    const seen = new Set<string>();
    let current = { ref, base };
    for (;;) {
      const target = this.lookup(current.ref, current.base, where);
      const next = refOf(target.value);
      if (next === undefined) return target;
      if (seen.has(target.key)) {
        throw new SpecError('SPEC_REF_LOOP', `$ref "${ref}" at ${where} is a loop of references that never reaches a value`);
      }
      seen.add(target.key);
      current = { ref: next, base: target.base };
    }
  }

  private lookup(ref: string, base: string, where: string): Resolved {
    let absolute: URL;
    try {
      absolute = new URL(ref, base);
    } catch {
      throw new SpecError('SPEC_REF_DANGLING', `$ref "${ref}" at ${where} is not a valid reference`);
    }
    const fragment = absolute.hash.slice(1);
    absolute.hash = '';
    const uri = absolute.href;
    const loaded = this.documents.get(uri);
    if (!loaded) throw new SpecError('SPEC_REF_DANGLING', `$ref "${ref}" at ${where}: document "${displayUri(uri)}" was not loaded`);
    if ('error' in loaded) {
      throw new SpecError(loaded.error.code, `$ref "${ref}" at ${where}: ${loaded.error.message}`, { cause: loaded.error });
    }
    const pointer = decodeURIComponent(fragment);
    const value = evaluatePointer(loaded.value, pointer);
    if (value === undefined) {
      const inFile = uri === this.rootUri ? '' : ` in "${displayUri(uri)}"`;
      throw new SpecError('SPEC_REF_DANGLING', `$ref "${ref}" at ${where} points at nothing: "${pointer || '/'}" does not exist${inFile}`);
    }
    return { value, base: uri, key: `${uri}#${pointer}` };
  }
}

/** The `$ref` of a reference object, if `value` is one. */
export function refOf(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const ref = (value as { $ref?: unknown }).$ref;
  return typeof ref === 'string' ? ref : undefined;
}

function evaluatePointer(document: unknown, pointer: string): unknown {
  if (pointer === '' || pointer === '/') return pointer === '' ? document : (document as Record<string, unknown>)?.[''];
  if (!pointer.startsWith('/')) return undefined; // plain-name fragments ($anchor) are not supported
  let node: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    if (node === null || typeof node !== 'object') return undefined;
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (!Object.hasOwn(node, token)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

/**
 * Every document URI (fragment removed) that a `$ref` in `value` names, other than `base` itself. `json`: the JSON
 * text `value` was parsed from, if it was. A JSON text whose every `"$ref"` key is followed by a value starting `"#`
 * names none: then the parsed value need not be walked (GitHub's 13 MB took 30–60 ms). A key spelled with `\u`
 * escapes, or any other value, means the walk.
 */
function externalRefs(value: unknown, json: string | undefined, base: string): string[] {
  return json !== undefined && onlyLocalRefs(json) ? [] : collectExternalRefs(value, base);
}

/** ` "$ref": "#…` after a `"$ref"` key: how a reference inside its own document is written. */
const LOCAL_REF_VALUE = /[ \t\r\n]*:[ \t\r\n]*"#/y;
/** An escape that could spell a letter of `$ref`. */
const REF_ESCAPE = /\\u00(?:24|72|65|66)/i;

/** True when the JSON `text` has every `$ref` key plainly written and pointing within the document. */
function onlyLocalRefs(text: string): boolean {
  if (text.includes('\\u00') && REF_ESCAPE.test(text)) return false;
  const key = '"$ref"';
  for (let at = text.indexOf(key); at !== -1; at = text.indexOf(key, at + key.length)) {
    LOCAL_REF_VALUE.lastIndex = at + key.length;
    if (!LOCAL_REF_VALUE.test(text)) return false;
  }
  return true;
}

/** Every document URI (fragment removed) that a `$ref` in `value` names, other than `base` itself. */
function collectExternalRefs(value: unknown, base: string): string[] {
  const found = new Set<string>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const item of node) stack.push(item);
      continue;
    }
    for (const [key, child] of Object.entries(node)) {
      if (key === '$ref' && typeof child === 'string') {
        if (child.startsWith('#')) continue;
        try {
          const target = new URL(child, base);
          target.hash = '';
          if (target.href !== base) found.add(target.href);
        } catch {
          // reported when something resolves it
        }
      } else if (child !== null && typeof child === 'object') {
        stack.push(child);
      }
    }
  }
  return [...found];
}

/** Why a document at `referrer` may not make us read `target`, or null when it may. */
function refuseReach(referrer: string, targetUri: string, allowRemote: boolean): SpecError | null {
  const from = new URL(referrer);
  const target = new URL(targetUri);
  const remoteTarget = target.protocol === 'http:' || target.protocol === 'https:';
  if (!remoteTarget && target.protocol !== 'file:') {
    return new SpecError('SPEC_REF_REFUSED', `"${targetUri}" uses an unsupported scheme`);
  }
  if (from.protocol !== 'file:' && target.protocol === 'file:') {
    return new SpecError('SPEC_REF_REFUSED', `a document fetched from "${from.origin}" may not reference local files ("${displayUri(targetUri)}")`);
  }
  if (remoteTarget && !allowRemote && (from.protocol === 'file:' || from.origin !== target.origin)) {
    return new SpecError(
      'SPEC_REF_REFUSED',
      `remote reference to "${target.origin}" refused; enable remote refs (--allow-remote-refs or PORTICO_ALLOW_REMOTE_REFS=true) if you trust it`,
    );
  }
  return null;
}
