/**
 * @module catalog/withheld
 * Operations that hand out credentials are never tools. An agent that could call the API's login would send
 * someone's password there, receive that user's raw API token, and skip Portico's sign-in limits — with or
 * without sign-in through Portico. So the operations Portico signs users in with are withheld, and so is every
 * operation a deployment's rule (`METHOD /path` or an operationId) or the document itself
 * (`x-portico-credentials: true`) marks as issuing credentials. They stay known, request body included: the
 * sign-in reads the login's fields there.
 */
import { SpecError } from './errors';
import { isBroken, type BrokenOperation, type RawOperation } from './operations';
import { newNotes, type SchemaConverter } from './schema';
import type { BuildOptions, WithheldOperation } from './types';

/** Marks an operation as issuing credentials; any value but `false` withholds it (a typo must not expose one). */
export const CREDENTIALS_EXTENSION = 'x-portico-credentials';
export const SIGN_IN_REASON = 'sign-in operation, not offered as a tool';

/** What a rule is compared with. */
interface Matched {
  readonly method: string;
  readonly path: string;
  readonly operationId?: string;
  readonly serverUrl?: string;
}

/**
 * Whether `rule` names `operation`: `METHOD /path` (the path as in the document, or with the server's base path
 * in front, as `/v1/auth/login` for `/auth/login` under `servers: [{url: /v1}]`), or its operationId.
 */
export function operationMatches(rule: string, operation: Matched): boolean {
  const text = rule.trim();
  const spaced = /^([A-Za-z]+)\s+(\S+)$/.exec(text);
  if (!spaced) return operation.operationId !== undefined && operation.operationId === text;
  if (spaced[1]!.toUpperCase() !== operation.method) return false;
  const wanted = normalPath(spaced[2]!);
  if (wanted === normalPath(operation.path)) return true;
  const base = operation.serverUrl === undefined ? undefined : serverPath(operation.serverUrl);
  return base !== undefined && base !== '' && wanted === normalPath(base + operation.path);
}

/** Why `operation` is withheld, or undefined when it may be a tool. */
export function withholdingReason(operation: RawOperation | BrokenOperation, options: BuildOptions): string | undefined {
  const matched: Matched = { method: operation.method, path: operation.path, operationId: operation.operationId, serverUrl: isBroken(operation) ? undefined : operation.serverUrl };
  if (options.signInOperations?.some((rule) => operationMatches(rule, matched))) return SIGN_IN_REASON;
  if (options.credentialOperations?.some((rule) => operationMatches(rule, matched))) return 'issues credentials (a configured credential operation), not offered as a tool';
  const marked = isBroken(operation) ? undefined : operation.extensions[CREDENTIALS_EXTENSION];
  if (marked !== undefined && marked !== false) return `issues credentials (${CREDENTIALS_EXTENSION}), not offered as a tool`;
  return undefined;
}

/** The withheld operation as the catalog keeps it: its request body converted when it can be. */
export function withheldOperation(operation: RawOperation | BrokenOperation, reason: string, label: string, converter: SchemaConverter): WithheldOperation {
  const known = { operation: label, reason, method: operation.method, path: operation.path, ...(operation.operationId !== undefined && { operationId: operation.operationId }) };
  if (isBroken(operation)) return known;
  const read = { ...known, serverUrl: operation.serverUrl };
  if (!operation.body) return read;
  try {
    const schema = converter.convert(operation.body.schema.node, operation.body.schema.base, `${label}, request body`, 'input', newNotes());
    return { ...read, body: { contentType: operation.body.contentType, schema } };
  } catch (error) {
    if (!(error instanceof SpecError) && !(error instanceof RangeError)) throw error;
    // withheld all the same: only what the sign-in could learn of it is lost
    return read;
  }
}

/** The credential rules that name no operation of the document: a typo there would leave one offered as a tool. */
export function unmatchedRules(options: BuildOptions, operations: readonly (RawOperation | BrokenOperation)[]): string[] {
  return (options.credentialOperations ?? []).filter(
    (rule) => !operations.some((operation) => operationMatches(rule, { ...operation, serverUrl: isBroken(operation) ? undefined : operation.serverUrl })),
  );
}

function normalPath(path: string): string {
  const slashed = path.startsWith('/') ? path : `/${path}`;
  return slashed.length > 1 ? slashed.replace(/\/+$/, '') : slashed;
}

/** The path of a server URL (`https://api.example.com/v1` and `/v1` → `/v1`), no trailing slash. */
function serverPath(serverUrl: string): string | undefined {
  const url = URL.parse(serverUrl.replace(/[?#].*$/, ''), 'http://server.invalid/');
  return url ? url.pathname.replace(/\/+$/, '') : undefined;
}
