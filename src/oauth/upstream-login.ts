/**
 * @module oauth/upstream-login
 * The default identity source: the upstream API's own login endpoint. Portico posts the username and
 * password there once, as JSON, and keeps what comes back — a token, when it expires, the user and their
 * role — never the password. Field names and paths are configurable so any "POST /login → token" API fits.
 */
import type { Scope } from './scopes';
import { IdentityUnavailableError, type Identity, type IdentitySource } from './identity';

export interface UpstreamLoginOptions {
  /** Absolute URL of the login endpoint. */
  readonly url: string;
  readonly usernameField: string;
  readonly passwordField: string;
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
  readonly timeoutMs?: number;
}

const MAX_ANSWER_BYTES = 64 * 1024;

export class UpstreamLogin implements IdentitySource {
  readonly description: string;
  private readonly header: { name: string; template: string };

  constructor(private readonly options: UpstreamLoginOptions) {
    this.description = `the API's login endpoint POST ${options.url}`;
    const colon = options.credentialHeader.indexOf(':');
    const name = options.credentialHeader.slice(0, colon).trim();
    const template = options.credentialHeader.slice(colon + 1).trim();
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || !template.includes('{token}')) {
      throw new TypeError(`the upstream credential header must look like "Authorization: Bearer {token}", got "${options.credentialHeader}"`);
    }
    this.header = { name, template };
  }

  async verifyPassword(username: string, password: string): Promise<Identity | null> {
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ [this.options.usernameField]: username, [this.options.passwordField]: password }),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new IdentityUnavailableError(`cannot reach ${this.options.url}: ${error instanceof Error ? error.message : String(error)}`);
    }
    // 400/401/403/404/422: the API refused these credentials (an unknown user may well be a 404)
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
      await response.body?.cancel();
      return null;
    }
    if (response.status !== 200 && response.status !== 201) {
      await response.body?.cancel();
      throw new IdentityUnavailableError(`${this.options.url} answered ${response.status}`);
    }
    const answer = await readAnswer(response);
    const token = pick(answer, this.options.tokenField);
    if (typeof token !== 'string' || token === '' || /[\r\n\0]/.test(token)) {
      throw new IdentityUnavailableError(`${this.options.url} answered without a token at "${this.options.tokenField}"`);
    }
    const role = pick(answer, this.options.roleField);
    const userId = pick(answer, this.options.userIdField);
    const name = pick(answer, this.options.userNameField);
    const expires = pick(answer, this.options.expiresField);
    return {
      userId: typeof userId === 'string' || typeof userId === 'number' ? String(userId) : username,
      name: typeof name === 'string' && name !== '' ? name : username,
      maxScope: typeof role === 'string' ? (this.options.roles[role] ?? 'read') : this.options.defaultScope,
      upstream: {
        headers: { [this.header.name]: this.header.template.replaceAll('{token}', token) },
        ...(expiryOf(expires) !== undefined && { expiresAt: expiryOf(expires) }),
      },
    };
  }
}

async function readAnswer(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.length > MAX_ANSWER_BYTES) throw new IdentityUnavailableError('the login answer is too large');
  try {
    return JSON.parse(text);
  } catch {
    throw new IdentityUnavailableError('the login answer is not JSON');
  }
}

/** The value at a dotted path (`user.id`), or undefined. */
function pick(value: unknown, path: string): unknown {
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
