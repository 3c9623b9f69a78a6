/**
 * @module oauth/client-metadata
 * What a client may say about itself — in a dynamic registration request (RFC 7591) or in a Client ID Metadata
 * Document — checked field by field into one typed {@link ClientMetadata}.
 *
 * Everything here is attacker-controlled and self-asserted (research CS-07, ATK-12): lengths are capped, control and
 * bidi characters refused, URIs must be https (they may end up as links on the consent page), and the rules for
 * where a client may redirect live in ./redirect-uri. Unknown fields are ignored, as RFC 7591 §2 asks; that
 * includes localized variants such as `client_name#fr`, which are never shown.
 */
import { checkRedirectUri, redirectTarget } from './redirect-uri';

export type GrantType = 'authorization_code' | 'refresh_token';
export type TokenEndpointAuthMethod = 'none' | 'client_secret_post' | 'client_secret_basic';
export type MetadataSource = 'registration' | 'document';

/** OpenID Connect Dynamic Registration's `application_type`, which MCP 2026-07-28 asks clients to send (SEP-837). */
export type ApplicationType = 'web' | 'native';

export interface ClientMetadata {
  redirectUris: string[];
  /** As the client said, or read from its redirect URIs when it did not (older clients); absent when they are of both kinds. */
  applicationType?: ApplicationType;
  clientName?: string;
  clientUri?: string;
  logoUri?: string;
  policyUri?: string;
  tosUri?: string;
  grantTypes: GrantType[];
  responseTypes: ['code'];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  scope?: string;
  softwareId?: string;
  softwareVersion?: string;
  contacts?: string[];
}

/** The same metadata under its RFC 7591 field names, as a registration response returns it. */
export interface ClientMetadataJson {
  redirect_uris: string[];
  application_type?: ApplicationType;
  client_name?: string;
  client_uri?: string;
  logo_uri?: string;
  policy_uri?: string;
  tos_uri?: string;
  grant_types: GrantType[];
  response_types: ['code'];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  scope?: string;
  software_id?: string;
  software_version?: string;
  contacts?: string[];
}

export type ClientMetadataErrorCode = 'invalid_redirect_uri' | 'invalid_client_metadata' | 'invalid_client';

/** A refusal with its OAuth error code (RFC 7591 §3.2.2) and a description that says what to fix. */
export class ClientMetadataError extends Error {
  override readonly name = 'ClientMetadataError';
  readonly error: ClientMetadataErrorCode;
  readonly error_description: string;
  /** Diagnostics for the server's log only: may name internal addresses, so never sent to the client. */
  readonly detail?: string;

  constructor(error: ClientMetadataErrorCode, description: string, detail?: string) {
    super(description);
    this.error = error;
    this.error_description = description;
    if (detail !== undefined) this.detail = detail;
  }

  toJSON(): { error: ClientMetadataErrorCode; error_description: string } {
    return { error: this.error, error_description: this.error_description };
  }
}

export const LIMITS = {
  redirectUris: 20,
  clientName: 100,
  uri: 2000,
  scope: 200,
  contacts: 5,
  contact: 320,
  softwareField: 200,
} as const;

const GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token'];
const AUTH_METHODS: readonly TokenEndpointAuthMethod[] = ['none', 'client_secret_post', 'client_secret_basic'];
/** Fields that would make a published document carry, or point at, client credentials. */
const DOCUMENT_SECRETS = ['client_secret', 'client_secret_expires_at'] as const;
const URI_FIELDS = [
  ['client_uri', 'clientUri'],
  ['logo_uri', 'logoUri'],
  ['policy_uri', 'policyUri'],
  ['tos_uri', 'tosUri'],
] as const;

/** C0/C1 controls, and the format characters that reorder or hide text (bidi overrides, zero-width joiners). */
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;

/**
 * Checks client metadata from a registration request (`registration`) or a Client ID Metadata Document
 * (`document`) and returns it typed, with RFC 7591 defaults filled in.
 * @throws ClientMetadataError `invalid_redirect_uri` for a bad redirect URI, `invalid_client_metadata` otherwise.
 */
export function parseClientMetadata(raw: unknown, source: MetadataSource): ClientMetadata {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(source === 'document' ? 'a client ID metadata document must be a JSON object' : 'client metadata must be a JSON object');
  }
  const fields = raw as Record<string, unknown>;
  refuseUnsupported(fields, source);

  const tokenEndpointAuthMethod = authMethod(fields, source);
  const metadata: ClientMetadata = {
    redirectUris: redirectUris(fields, tokenEndpointAuthMethod),
    grantTypes: grantTypes(fields),
    responseTypes: responseTypes(fields),
    tokenEndpointAuthMethod,
  };
  const applicationType = applicationTypeOf(fields, metadata.redirectUris);
  if (applicationType !== undefined) metadata.applicationType = applicationType;
  const name = clientName(fields);
  if (name !== undefined) metadata.clientName = name;
  else if (source === 'document') throw invalid('client_name is required in a client ID metadata document');
  for (const [field, key] of URI_FIELDS) {
    const uri = httpsUri(fields, field);
    if (uri !== undefined) metadata[key] = uri;
  }
  const scope = scopeOf(fields);
  if (scope !== undefined) metadata.scope = scope;
  const softwareId = shortText(fields, 'software_id');
  if (softwareId !== undefined) metadata.softwareId = softwareId;
  const softwareVersion = shortText(fields, 'software_version');
  if (softwareVersion !== undefined) metadata.softwareVersion = softwareVersion;
  const contacts = contactsOf(fields);
  if (contacts !== undefined) metadata.contacts = contacts;
  return metadata;
}

/** `metadata` under its RFC 7591 field names, absent fields left out. */
export function clientMetadataToJson(metadata: ClientMetadata): ClientMetadataJson {
  const json: ClientMetadataJson = {
    redirect_uris: [...metadata.redirectUris],
    grant_types: [...metadata.grantTypes],
    response_types: ['code'],
    token_endpoint_auth_method: metadata.tokenEndpointAuthMethod,
  };
  if (metadata.applicationType !== undefined) json.application_type = metadata.applicationType;
  if (metadata.clientName !== undefined) json.client_name = metadata.clientName;
  if (metadata.clientUri !== undefined) json.client_uri = metadata.clientUri;
  if (metadata.logoUri !== undefined) json.logo_uri = metadata.logoUri;
  if (metadata.policyUri !== undefined) json.policy_uri = metadata.policyUri;
  if (metadata.tosUri !== undefined) json.tos_uri = metadata.tosUri;
  if (metadata.scope !== undefined) json.scope = metadata.scope;
  if (metadata.softwareId !== undefined) json.software_id = metadata.softwareId;
  if (metadata.softwareVersion !== undefined) json.software_version = metadata.softwareVersion;
  if (metadata.contacts !== undefined) json.contacts = [...metadata.contacts];
  return json;
}

function refuseUnsupported(fields: Record<string, unknown>, source: MetadataSource): void {
  for (const field of ['jwks', 'jwks_uri'] as const) {
    if (fields[field] !== undefined) throw invalid(`${field} is not supported: this server does not accept key-based client authentication; use token_endpoint_auth_method "none"`);
  }
  if (source !== 'document') return;
  for (const field of DOCUMENT_SECRETS) {
    if (fields[field] !== undefined) throw invalid(`${field} must not appear in a client ID metadata document: the document is public, so it cannot hold a secret`);
  }
}

function authMethod(fields: Record<string, unknown>, source: MetadataSource): TokenEndpointAuthMethod {
  const value = fields.token_endpoint_auth_method;
  // RFC 7591's default (client_secret_basic) presumes a secret the server hands out; a public document has none
  if (value === undefined) return source === 'document' ? 'none' : 'client_secret_basic';
  if (typeof value !== 'string') throw wrongType('token_endpoint_auth_method', 'a string');
  if (!isOneOf(AUTH_METHODS, value)) {
    const allowed = source === 'document' ? '"none"' : AUTH_METHODS.map((m) => `"${m}"`).join(', ');
    throw invalid(`token_endpoint_auth_method "${clip(value)}" is not supported; use ${allowed}`);
  }
  if (source === 'document' && value !== 'none') {
    throw invalid(`token_endpoint_auth_method "${value}" is not allowed in a client ID metadata document: a public document cannot hold a secret, so it must be "none"`);
  }
  return value;
}

function redirectUris(fields: Record<string, unknown>, method: TokenEndpointAuthMethod): string[] {
  const value = fields.redirect_uris;
  if (value === undefined) throw new ClientMetadataError('invalid_redirect_uri', 'redirect_uris is required: list at least one redirect URI');
  if (!Array.isArray(value) || !value.every((uri): uri is string => typeof uri === 'string')) {
    throw new ClientMetadataError('invalid_redirect_uri', 'redirect_uris must be an array of strings');
  }
  if (value.length === 0) throw new ClientMetadataError('invalid_redirect_uri', 'redirect_uris is empty: list at least one redirect URI');
  if (value.length > LIMITS.redirectUris) {
    throw new ClientMetadataError('invalid_redirect_uri', `redirect_uris lists ${value.length} URIs; at most ${LIMITS.redirectUris} are allowed`);
  }
  const kind = method === 'none' ? 'public' : 'confidential';
  for (const uri of value) {
    const problem = checkRedirectUri(uri, kind);
    if (problem) throw new ClientMetadataError('invalid_redirect_uri', `redirect_uris: ${problem}`);
  }
  return [...new Set(value)];
}

/**
 * The client's `application_type` (OpenID Connect Dynamic Registration §2). A native app may return through a web
 * page of its maker's too (VS Code registers https://vscode.dev/redirect beside its loopback listener, as RFC 8252
 * §7.2 allows), so only the one contradiction is refused: a web application that names an app's own scheme, which
 * no web server can receive. A client that does not say (registered before MCP 2026-07-28 asked for it) is taken
 * for what its redirect URIs show: native when they all lead to the user's device, web when none does.
 */
function applicationTypeOf(fields: Record<string, unknown>, redirectUris: readonly string[]): ApplicationType | undefined {
  const value = fields.application_type;
  if (value === undefined) {
    const targets = new Set(redirectUris.map(redirectTarget));
    return targets.size === 1 ? (targets.has('web') ? 'web' : 'native') : undefined;
  }
  if (value !== 'web' && value !== 'native') throw invalid(`application_type "${clip(String(value))}" is not one of web, native`);
  const appSchemes = value === 'web' ? redirectUris.filter((uri) => !/^https?:/i.test(uri)) : [];
  if (appSchemes.length > 0) {
    throw new ClientMetadataError('invalid_redirect_uri', `redirect_uris: ${appSchemes.map((uri) => `"${clip(uri)}"`).join(', ')} is an app's own scheme, which a web application cannot receive: register it with application_type "native"`);
  }
  return value;
}

function grantTypes(fields: Record<string, unknown>): GrantType[] {
  const value = fields.grant_types;
  if (value === undefined) return [...GRANT_TYPES];
  const list = stringArray(value, 'grant_types');
  const unknown = list.find((grant) => !isOneOf(GRANT_TYPES, grant));
  if (unknown !== undefined) {
    throw invalid(`grant_types: "${clip(unknown)}" is not supported; use "authorization_code" and optionally "refresh_token"`);
  }
  if (!list.includes('authorization_code')) throw invalid('grant_types must include "authorization_code", the only way to obtain tokens here');
  return GRANT_TYPES.filter((grant) => list.includes(grant));
}

function responseTypes(fields: Record<string, unknown>): ['code'] {
  const value = fields.response_types;
  if (value === undefined) return ['code'];
  const list = stringArray(value, 'response_types');
  const unknown = list.find((type) => type !== 'code');
  if (unknown !== undefined) throw invalid(`response_types: "${clip(unknown)}" is not supported; the only response type is "code"`);
  if (list.length === 0) throw invalid('response_types is empty; use ["code"] or leave it out');
  return ['code'];
}

function clientName(fields: Record<string, unknown>): string | undefined {
  const value = fields.client_name;
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw wrongType('client_name', 'a string');
  const name = value.trim();
  if (name === '') return undefined;
  if (UNSAFE_TEXT.test(name)) throw invalid('client_name contains control or invisible formatting characters');
  if ([...name].length > LIMITS.clientName) throw invalid(`client_name is longer than ${LIMITS.clientName} characters`);
  return name;
}

function httpsUri(fields: Record<string, unknown>, field: string): string | undefined {
  const value = fields[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw wrongType(field, 'a string');
  if (value.length > LIMITS.uri) throw invalid(`${field} is longer than ${LIMITS.uri} characters`);
  if (/[\s\u0000-\u001f\u007f-\u009f]/u.test(value)) throw invalid(`${field} contains whitespace or control characters`);
  const url = URL.parse(value);
  if (!url || url.protocol !== 'https:' || !/^https:\/\/[^/?#]/i.test(value)) throw invalid(`${field} must be an https:// URL`);
  if (url.username !== '' || url.password !== '' || /^https:\/\/[^/?#]*@/i.test(value)) throw invalid(`${field} must not contain user information ("…@")`);
  return value;
}

function scopeOf(fields: Record<string, unknown>): string | undefined {
  const value = fields.scope;
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw wrongType('scope', 'a string of space-separated scopes');
  if (value.length > LIMITS.scope) throw invalid(`scope is longer than ${LIMITS.scope} characters`);
  // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces
  if (value !== '' && !/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(value)) {
    throw invalid('scope must be scope names separated by single spaces (no quotes, backslashes or control characters)');
  }
  return value === '' ? undefined : value;
}

function shortText(fields: Record<string, unknown>, field: string): string | undefined {
  const value = fields[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw wrongType(field, 'a string');
  if (value.length > LIMITS.softwareField) throw invalid(`${field} is longer than ${LIMITS.softwareField} characters`);
  if (UNSAFE_TEXT.test(value)) throw invalid(`${field} contains control or invisible formatting characters`);
  return value;
}

function contactsOf(fields: Record<string, unknown>): string[] | undefined {
  const value = fields.contacts;
  if (value === undefined) return undefined;
  const list = stringArray(value, 'contacts');
  if (list.length > LIMITS.contacts) throw invalid(`contacts lists ${list.length} entries; at most ${LIMITS.contacts} are allowed`);
  for (const contact of list) {
    if (contact.length > LIMITS.contact) throw invalid(`contacts: an entry is longer than ${LIMITS.contact} characters`);
    if (UNSAFE_TEXT.test(contact)) throw invalid('contacts: an entry contains control or invisible formatting characters');
  }
  return list;
}

function stringArray(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) throw wrongType(field, 'an array of strings');
  return value;
}

function isOneOf<T extends string>(allowed: readonly T[], value: string): value is T {
  return (allowed as readonly string[]).includes(value);
}

function invalid(description: string): ClientMetadataError {
  return new ClientMetadataError('invalid_client_metadata', description);
}

function wrongType(field: string, expected: string): ClientMetadataError {
  return invalid(`${field} must be ${expected}`);
}

/** A client-supplied value for an error message, short and without anything that could break the message. */
function clip(value: string): string {
  const safe = value.replace(/[^\x20-\x7e]/g, '?');
  return safe.length > 60 ? `${safe.slice(0, 60)}…` : safe;
}
