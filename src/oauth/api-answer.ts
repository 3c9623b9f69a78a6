/**
 * @module oauth/api-answer
 * What the API answers when it hands out a user's credential — its login endpoint, the endpoint that takes an
 * OpenID provider's ID token, the one that redeems a delegated sign-in's code — read one way: the token, when
 * it expires, the user's id, name and role, at the dotted paths the configuration names (the `PORTICO_LOGIN_*_FIELD`
 * settings). Whatever the sign-in method, the identity it ends in has the same shape.
 */
import { IdentityUnavailableError, type Identity } from './identity';
import type { Scope } from './scopes';

/** Where the answer's parts are, and how they become the identity. */
export interface AnswerFields {
  /** Dotted paths into the answer. */
  readonly tokenField: string;
  readonly expiresField: string;
  readonly roleField: string;
  readonly userIdField: string;
  readonly userNameField: string;
  /** How the token is sent upstream: `Name: value` with `{token}` in the value. */
  readonly credentialHeader: string;
  /** The API's roles → the highest scope each may grant; an unlisted role gets `read`. */
  readonly roles: Readonly<Record<string, Scope>>;
  /** The highest scope when the answer names no role. */
  readonly defaultScope: Scope;
}

const MAX_ANSWER_BYTES = 64 * 1024;

/** The credential header's name and template; throws a `TypeError` for one that is not `Name: …{token}…`. */
export function credentialHeaderOf(credentialHeader: string): { name: string; template: string } {
  const colon = credentialHeader.indexOf(':');
  const name = credentialHeader.slice(0, colon).trim();
  const template = credentialHeader.slice(colon + 1).trim();
  if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || !template.includes('{token}')) {
    throw new TypeError(`the upstream credential header must look like "Authorization: Bearer {token}", got "${credentialHeader}"`);
  }
  return { name, template };
}

/**
 * The identity in a 200/201 answer of the API; `fallback` names the user when the answer does not (the
 * username typed, the provider's email). Throws `IdentityUnavailableError` when the answer is not usable.
 */
export async function identityFromAnswer(response: Response, fields: AnswerFields, fallback: string, what: string): Promise<Identity> {
  const answer = await readAnswer(response, what);
  const token = valueAt(answer, fields.tokenField);
  if (typeof token !== 'string' || token === '' || /[\r\n\0]/.test(token)) throw new IdentityUnavailableError(`${what} answered without a token at "${fields.tokenField}"`);
  const header = credentialHeaderOf(fields.credentialHeader);
  const role = valueAt(answer, fields.roleField);
  const userId = valueAt(answer, fields.userIdField);
  const name = valueAt(answer, fields.userNameField);
  const expiresAt = expiryOf(valueAt(answer, fields.expiresField));
  return {
    userId: typeof userId === 'string' || typeof userId === 'number' ? String(userId) : fallback,
    name: typeof name === 'string' && name !== '' ? name : fallback,
    maxScope: typeof role === 'string' ? (fields.roles[role] ?? 'read') : fields.defaultScope,
    upstream: { headers: { [header.name]: header.template.replaceAll('{token}', token) }, ...(expiresAt !== undefined && { expiresAt }) },
  };
}

async function readAnswer(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  if (text.length > MAX_ANSWER_BYTES) throw new IdentityUnavailableError(`${what}: the answer is too large`);
  try {
    return JSON.parse(text);
  } catch {
    throw new IdentityUnavailableError(`${what}: the answer is not JSON`);
  }
}

/** The value at a dotted path (`user.id`), or undefined. */
export function valueAt(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** An expiry given as an ISO date, epoch seconds or epoch milliseconds. */
function expiryOf(value: unknown): number | undefined {
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value < 1e12 ? value * 1000 : value;
  return undefined;
}
