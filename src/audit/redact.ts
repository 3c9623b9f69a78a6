/**
 * @module audit/redact
 * What of a call's arguments the audit log keeps: by default every argument, with the values of
 * sensitive-looking names blanked and long values cut, so the log helps without becoming a leak.
 */

const MAX_VALUE = 200;
const MAX_DEPTH = 4;

export interface RedactionRule {
  /** `all`: keep arguments (redacted); `names`: only which arguments were given; `none`: nothing. */
  readonly keep: 'all' | 'names' | 'none';
  /** Name fragments whose values are blanked. */
  readonly names: readonly string[];
}

/** The arguments as the audit log keeps them (JSON text), or null when nothing is kept. */
export function auditDetail(args: Readonly<Record<string, unknown>>, rule: RedactionRule): string | null {
  if (rule.keep === 'none') return null;
  if (rule.keep === 'names') return JSON.stringify({ arguments: Object.keys(args) });
  const fragments = rule.names.map((name) => name.toLowerCase());
  return JSON.stringify({ arguments: redact(args, fragments, 0) });
}

function redact(value: unknown, fragments: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}… (${value.length} characters)` : value;
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.slice(0, 20).map((item) => redact(item, fragments, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(value)) {
    const lower = name.toLowerCase();
    out[name] = fragments.some((fragment) => lower.includes(fragment)) ? '[redacted]' : redact(inner, fragments, depth + 1);
  }
  return out;
}
