/**
 * @module oauth/login-fields
 * Which JSON fields the password sign-in posts to the API's login endpoint. An API whose login reads `email`
 * used to refuse every correct password until someone found PORTICO_LOGIN_USERNAME_FIELD; its own OpenAPI
 * document already said so. So: a field set in the configuration wins; otherwise the login operation's request
 * body in the document names it (`format: email`, a name like `email` or `username`, required before optional);
 * otherwise the default. What does not fit the document is a problem `portico check` fails on and the gateway
 * logs at start, naming the setting that fixes it.
 */
import { operationMatches, type Catalog, type JsonSchema, type WithheldOperation } from '../catalog';
import { ServeConfigSchema, type ServeConfig } from '../config/serve';

export type LoginFieldsConfig = Pick<ServeConfig, 'upstream' | 'loginPath' | 'loginUsernameField' | 'loginPasswordField'>;

export interface LoginFields {
  readonly username: string;
  readonly password: string;
  /** Where the two names came from, in words ("from the API's document", "nickname from the settings, password from the API's document"). */
  readonly from: string;
  /** The login operation as the document has it (`POST /auth/login (login)`), when it was found. */
  readonly operation?: string;
  /** Why signing in cannot work as configured, naming the setting to change; absent when nothing is known to be wrong. */
  readonly problem?: string;
  /** What could not be checked, or may still go wrong. */
  readonly notes: readonly string[];
}

const DEFAULT_USERNAME = ServeConfigSchema.properties.loginUsernameField.default;
const DEFAULT_PASSWORD = ServeConfigSchema.properties.loginPasswordField.default;
/** Field names (lower case, without `_` and `-`) that hold who signs in, and those that hold the password. */
const USERNAME_NAMES = new Set(['email', 'emailaddress', 'mail', 'username', 'user', 'login', 'loginname', 'account', 'identifier', 'handle']);
const PASSWORD_NAMES = new Set(['password', 'passwd', 'pass', 'pwd', 'passphrase']);

/**
 * The login operation as a catalog rule (`POST /auth/login`: the path relative to the upstream, as a document
 * writes its paths); undefined when PORTICO_LOGIN_PATH is a URL on another host, which the document does not describe.
 */
export function loginOperationRule(config: Pick<ServeConfig, 'upstream' | 'loginPath'>): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(config.loginPath)) return `POST /${config.loginPath.replace(/^\/+/, '')}`;
  const url = URL.parse(config.loginPath);
  return url && url.origin === new URL(config.upstream).origin ? `POST ${url.pathname}` : undefined;
}

/**
 * The fields to send, for `catalog` (the API's document as built, its sign-in operations withheld). Without a
 * catalog (or with the login elsewhere) the configuration alone decides, unchecked.
 */
export function loginFields(config: LoginFieldsConfig, catalog?: Pick<Catalog, 'entries' | 'withheld'>): LoginFields {
  const given = { username: config.loginUsernameField !== DEFAULT_USERNAME, password: config.loginPasswordField !== DEFAULT_PASSWORD };
  const configured = (notes: string[], operation?: string): LoginFields => ({
    username: config.loginUsernameField,
    password: config.loginPasswordField,
    from: given.username || given.password ? 'from the settings' : 'from the defaults',
    ...(operation !== undefined && { operation }),
    notes,
  });
  const rule = loginOperationRule(config);
  if (rule === undefined) return configured([`the login endpoint ${config.loginPath} is not on the API's host, so its document cannot say which fields it reads: not checked`]);
  if (!catalog) return configured([]);

  const operation = catalog.withheld.find((candidate) => operationMatches(rule, candidate));
  if (!operation) {
    const fields = configured([]);
    const near = catalog.entries.map((entry) => entry.target).find((target) => target.method === 'POST' && /log-?in|sign-?in|session|auth/i.test(target.path));
    const hint = near ? `; it has ${near.method} ${near.path}${near.operationId ? ` (${near.operationId})` : ''}` : '';
    return { ...fields, problem: `the login operation ${rule} (PORTICO_LOGIN_PATH) is not in the API's document${hint}: set PORTICO_LOGIN_PATH to the path of the API's login operation` };
  }
  const body = bodyFields(operation);
  if (!body) return configured([`${operation.operation} has no JSON object request body in the document: the fields ${config.loginUsernameField} and ${config.loginPasswordField} are not checked`], operation.operation);

  const found = { password: given.password ? undefined : bestField(body, PASSWORD_NAMES, 'password') };
  const password = found.password ?? config.loginPasswordField;
  const foundUsername = given.username ? undefined : bestField(body, USERNAME_NAMES, 'email', password);
  const username = foundUsername ?? config.loginUsernameField;
  const origin = (set: boolean, read: string | undefined) => (set ? 'the settings' : read !== undefined ? "the API's document" : 'the defaults');
  const origins = [origin(given.username, foundUsername), origin(given.password, found.password)];
  const from = origins[0] === origins[1] ? `from ${origins[0]}` : `${username} from ${origins[0]}, ${password} from ${origins[1]}`;
  const fields = { username, password, from, operation: operation.operation };
  const names = Object.keys(body.properties);
  const absent = (
    [
      ['username', username, 'PORTICO_LOGIN_USERNAME_FIELD'],
      ['password', password, 'PORTICO_LOGIN_PASSWORD_FIELD'],
    ] as const
  ).filter(([, name]) => !Object.hasOwn(body.properties, name));
  const unsent = [...body.required].filter((name) => name !== username && name !== password);
  const notes = unsent.length > 0 ? [`${operation.operation} also requires ${unsent.map((name) => `"${name}"`).join(', ')}, which Portico does not send`] : [];
  if (absent.length === 0) return { ...fields, notes };
  // what it requires besides is then part of the problem
  const problem = absent
    .map(([role, name, setting]) => `it takes no "${name}" field for the ${role}${given[role] ? '' : ' (and none of its fields looks like one)'}: set ${setting}`)
    .join('; ');
  return { ...fields, notes: [], problem: `${operation.operation} reads ${names.map((name) => `"${name}"`).join(', ')} from its request body; ${problem}` };
}

interface BodyFields {
  readonly properties: Readonly<Record<string, JsonSchema>>;
  readonly required: ReadonlySet<string>;
}

/** The properties of the operation's JSON object body (those of an `allOf` merged), or undefined when it has none. */
function bodyFields(operation: WithheldOperation): BodyFields | undefined {
  if (!operation.body || !/json/i.test(operation.body.contentType)) return undefined;
  const properties: Record<string, JsonSchema> = {};
  const required = new Set<string>();
  const collect = (schema: JsonSchema, depth: number): void => {
    if (depth > 4) return;
    if (isObject(schema.properties)) for (const [name, field] of Object.entries(schema.properties)) if (isObject(field)) properties[name] = field;
    if (Array.isArray(schema.required)) for (const name of schema.required) if (typeof name === 'string') required.add(name);
    if (Array.isArray(schema.allOf)) for (const part of schema.allOf) if (isObject(part)) collect(part, depth + 1);
  };
  collect(operation.body.schema, 0);
  return Object.keys(properties).length > 0 ? { properties, required } : undefined;
}

/**
 * The body field that best fits a role: its `format` first (`email`, `password`), then a name of the role, then a
 * name that contains one; a required field before an optional one; the document's order breaks ties.
 */
function bestField(body: BodyFields, names: ReadonlySet<string>, format: string, except?: string): string | undefined {
  let best: { name: string; score: number } | undefined;
  for (const [name, schema] of Object.entries(body.properties)) {
    if (name === except || !stringLike(schema)) continue;
    const plain = name.toLowerCase().replace(/[_-]/g, '');
    const fit = schema.format === format ? 4 : names.has(plain) ? 3 : [...names].some((known) => known.length >= 4 && plain.includes(known)) ? 2 : 0;
    if (fit === 0) continue;
    const score = fit + (body.required.has(name) ? 0.5 : 0);
    if (!best || score > best.score) best = { name, score };
  }
  return best?.name;
}

function stringLike(schema: JsonSchema): boolean {
  const type = schema.type;
  return type === undefined || type === 'string' || (Array.isArray(type) && type.includes('string'));
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
