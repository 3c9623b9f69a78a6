/**
 * @module config/reference
 * The settings reference in README.md, generated from the configuration schema so the docs cannot drift
 * from what `portico serve` accepts (a test compares them; `PORTICO_UPDATE_README=1 bun test test/docs`
 * rewrites the README's table).
 */
import { ENV_NAMES, flagName, ServeConfigSchema } from './serve';

export const REFERENCE_START = '<!-- settings:start (generated from src/config/serve.ts) -->';
export const REFERENCE_END = '<!-- settings:end -->';

export function settingsTable(): string {
  const rows = Object.entries(ServeConfigSchema.properties).map(([key, schema]) => {
    // "… [what happens when unset]" at the end of a description is the default of a setting without one
    const unset = /\s*\[([^\]]+)\]$/.exec(schema.description ?? '');
    const required = (ServeConfigSchema.required as readonly string[] | undefined)?.includes(key) ? '(required)' : '';
    const fallback = 'default' in schema ? defaultText(schema.default) : (unset?.[1] ?? required);
    const description = (schema.description ?? '').slice(0, unset?.index).replaceAll('|', '\\|');
    return `| \`${flagName(key)}\` | \`${ENV_NAMES[key as keyof typeof ENV_NAMES]}\` | ${fallback} | ${description} |`;
  });
  return ['| flag | variable | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

function defaultText(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? 'none' : `\`${value.join(',')}\``;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    return entries.length === 0 ? 'none' : `\`${entries.map(([k, v]) => `${k}=${String(v)}`).join(',')}\``;
  }
  return `\`${String(value)}\``;
}
