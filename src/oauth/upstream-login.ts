/**
 * @module oauth/upstream-login
 * The default identity source: the upstream API's own login endpoint. Portico posts the username and
 * password there once, as JSON, and keeps what comes back — a token, when it expires, the user and their
 * role — never the password. Field names and paths are configurable so any "POST /login → token" API fits.
 *
 * A 4xx is a refusal of the credentials, except a validation error (400/422) about the request's shape — a field
 * it requires that Portico does not send, one it does not know: then no password was checked, the
 * configuration is wrong, and the user is told that rather than "wrong password" (`IdentityMisconfiguredError`).
 * A validation error about the values Portico sends (an email that is not one, a password too short) stays a
 * refusal: when in doubt it is one, so that a guess is never left uncounted.
 */
import { readCapped } from '../read-capped';
import { credentialHeaderOf, identityFromAnswer, type AnswerFields } from './api-answer';
import { IdentityMisconfiguredError, IdentityUnavailableError, type Identity, type IdentitySource } from './identity';

export interface UpstreamLoginOptions extends AnswerFields {
  /** Absolute URL of the login endpoint. */
  readonly url: string;
  readonly usernameField: string;
  readonly passwordField: string;
  readonly timeoutMs?: number;
}

/** What is read of a refusal, and what of it reaches the log. */
const MAX_REFUSAL_BYTES = 8 * 1024;
const MAX_EXCERPT = 300;
/** A validation error about the request's shape (what it lacks or should not have), not about its values. */
const SHAPE_WORDS = /\b(required|missing|blank|must be (present|provided|given|set)|unknown (field|property|key|parameter)|unexpected (field|property|key)|not allowed|additional propert|unrecogni[sz]ed)/i;
/** Where validation errors list the fields they are about, and the keys that name the field in each item. */
const LIST_KEYS = new Set(['details', 'errors', 'violations', 'invalid_params', 'invalidparams', 'issues', 'fields']);
const FIELD_KEYS = ['field', 'path', 'loc', 'param', 'parameter', 'property', 'pointer', 'name'];

export class UpstreamLogin implements IdentitySource {
  readonly description: string;

  constructor(private readonly options: UpstreamLoginOptions) {
    this.description = `the API's login endpoint POST ${options.url} (fields ${options.usernameField}, ${options.passwordField})`;
    // a malformed header template is the configuration's mistake: said at start, not on the first sign-in
    credentialHeaderOf(options.credentialHeader);
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
    if (response.status === 400 || response.status === 422) {
      await this.refused(response, password);
      return null;
    }
    // 401/403/404…: the API refused these credentials (an unknown user may well be a 404)
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
      await response.body?.cancel();
      return null;
    }
    if (response.status !== 200 && response.status !== 201) {
      await response.body?.cancel();
      throw new IdentityUnavailableError(`${this.options.url} answered ${response.status}`);
    }
    return identityFromAnswer(response, this.options, username, this.options.url);
  }

  /** Throws `IdentityMisconfiguredError` when the validation error `response` is about the request's shape; returns (for a refusal) otherwise. */
  private async refused(response: Response, password: string): Promise<void> {
    // a body cut short or lost on the way is read as what arrived: a refusal unless that says otherwise
    const { bytes } = await readCapped(response, MAX_REFUSAL_BYTES).catch(() => ({ bytes: new Uint8Array(0) }));
    const text = new TextDecoder().decode(bytes);
    const sent = [this.options.usernameField, this.options.passwordField];
    if (!SHAPE_WORDS.test(text) && fieldsNamed(text).every((field) => sent.includes(field))) return;
    throw new IdentityMisconfiguredError(
      `the API's login endpoint did not accept a sign-in posting the fields "${sent[0]}" and "${sent[1]}": set PORTICO_LOGIN_USERNAME_FIELD and PORTICO_LOGIN_PASSWORD_FIELD to the fields it reads ("portico check" compares them with the API's document)`,
      { endpoint: this.options.url, status: response.status, answer: excerpt(text, password) },
    );
  }
}

/** The fields a validation error lists (`details[].field`, `errors[].loc`, Rails' `errors: {email: […]}`…), by their last name. */
function fieldsNamed(text: string): string[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [];
  }
  const named: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 4 || typeof value !== 'object' || value === null) return;
    for (const [key, inner] of Object.entries(value)) {
      if (!LIST_KEYS.has(key.toLowerCase())) {
        if (typeof inner === 'object') visit(inner, depth + 1);
      } else if (Array.isArray(inner)) {
        for (const item of inner) {
          if (typeof item !== 'object' || item === null) continue;
          const record = item as Record<string, unknown>;
          const field = FIELD_KEYS.map((name) => record[name]).find((candidate) => candidate !== undefined);
          const last = lastName(field);
          if (last) named.push(last);
        }
      } else if (typeof inner === 'object' && inner !== null) {
        named.push(...Object.keys(inner).map((name) => lastName(name) ?? name));
      }
    }
  };
  visit(body, 0);
  return named;
}

/** `email`, `body.email`, `/email`, `["body", "email"]` → `email`. */
function lastName(field: unknown): string | undefined {
  if (Array.isArray(field)) return lastName(field.at(-1));
  if (typeof field === 'number') return String(field);
  if (typeof field !== 'string' || field === '') return undefined;
  return field.split(/[./]/).filter(Boolean).at(-1);
}

/** The start of the API's answer for the log, on one line, the password blanked wherever it is echoed. */
function excerpt(text: string, password: string): string {
  let clean = text;
  for (const form of new Set([password, JSON.stringify(password).slice(1, -1), encodeURIComponent(password)])) if (form) clean = clean.replaceAll(form, '[password]');
  clean = clean.replace(/\s+/g, ' ').trim();
  return clean.length > MAX_EXCERPT ? `${clean.slice(0, MAX_EXCERPT)}…` : clean || '(an empty body)';
}
