/**
 * @module proxy/redact
 * Blanks the deployment's credential out of what the API sends back. Some APIs echo request headers
 * (debug endpoints, error pages); the MCP user must not learn the deployment's key from them.
 */
import { isObject } from './values';

export const REDACTED = '[redacted]';

/** `true` when `text` contains one of `secrets`. */
export function containsSecret(text: string, secrets: readonly string[]): boolean {
  return secrets.some((secret) => text.includes(secret));
}

/** `text` with every secret replaced. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.replaceAll(secret, REDACTED);
  return out;
}

/** A copy of a parsed JSON value with every secret replaced, in strings and in property names. */
export function redactValue(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, secrets));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [redactText(key, secrets), redactValue(item, secrets)]));
  return value;
}
