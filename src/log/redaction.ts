/**
 * @module log/redaction
 * The last line of defence between a secret and a log line. Nothing in Portico logs a token, password,
 * cookie or credential on purpose; this catches one that slips in anyway (an error message quoting a
 * header, a field added without thinking):
 *
 * - by field name: the value of any field named like a credential (authorization, cookie, password,
 *   secret, token, credential, api key, session id…) is replaced, at any depth; numbers and booleans
 *   stay (`sessions: 3` is a count, not a secret);
 * - by shape, anywhere in the line: Portico's tokens (`pat_`, `prt_`, `pac_`, `pcs_`), `Bearer`/`Basic`
 *   credentials, `password=…`-style pairs, cookies and passwords inside URLs;
 * - by value: the literal secrets the deployment was configured with (upstream API keys, the metrics
 *   token), registered with `redact`.
 */

export const REDACTED = '[redacted]';

/** Field names whose (string or object) values never reach a log line. */
const SENSITIVE_NAME = /authorization|cookie|passw|secret|token|credential|api[-_]?key|session[-_]?id|^code_?verifier$|^upstream_?headers$/i;

const SHAPES: readonly [RegExp, string][] = [
  // Portico's own tokens: access, refresh, authorization code, client secret
  [/\b(pat|prt|pac|pcs)_[A-Za-z0-9_-]{8,}/g, `$1_${REDACTED}`],
  // HTTP credentials in text ("Authorization: Bearer x", "Basic x")
  [/\b([Bb]earer|BEARER|Basic|Digest)(\s+|%20|\+)[A-Za-z0-9._~+/=%-]{4,}/g, `$1 ${REDACTED}`],
  // cookie headers, whole (several cookies, any names), and Portico's own cookies wherever they appear
  [/\b((?:set-)?cookie(?::\s*|=|\\?":\\?"))[^"\\\n]+/gi, `$1${REDACTED}`],
  [/\b((?:__Host-)?portico-(?:login|csrf|device|trip)=)[^;\s"\\]+/g, `$1${REDACTED}`],
  // name=value and name: value pairs of credential-looking names in text (query strings, error messages)
  [/\b((?:[\w-]*(?:passw|secret|token|api[-_]?key|cookie|session|credential)[\w-]*)(?:=|%3D|\\?":\\?"|:\s*))[^&\s"',;\\]+/gi, `$1${REDACTED}`],
  // user:password@ in URLs (database URLs)
  [/(\/\/[^/\s:@"]+:)[^@\s"/]+@/g, `$1${REDACTED}@`],
];

export class LogRedaction {
  private literals: string[] = [];

  /** Adds a literal secret (at least 6 characters; shorter ones would blank ordinary words). */
  add(secret: string): void {
    const value = secret.trim();
    if (value.length < 6 || this.literals.includes(value)) return;
    this.literals.push(value);
    // the longest first, so that a secret containing another is replaced whole
    this.literals.sort((a, b) => b.length - a.length);
  }

  /** `fields` as JSON with sensitive fields blanked, then every shape and literal replaced. */
  line(record: Record<string, unknown>): string {
    return this.text(JSON.stringify(record, replacer));
  }

  /** `text` with every shape and literal secret replaced. */
  text(text: string): string {
    let out = text;
    for (const literal of this.literals) if (out.includes(literal)) out = out.replaceAll(literal, REDACTED);
    for (const [shape, replacement] of SHAPES) out = out.replace(shape, replacement);
    return out;
  }
}

function replacer(key: string, value: unknown): unknown {
  if (key === '' || value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return value;
  if (SENSITIVE_NAME.test(key)) return REDACTED;
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
