/**
 * @module plugins/helpers
 * The small things every policy plugin writes again otherwise — a glob for tool names and paths, the scope
 * ladder — handed out once through `api.helpers`, so the shipped plugins stop carrying copies that drift
 * apart. The scopes are the gateway's own definition (`oauth/scopes`), not a second list.
 */
import type { PluginHelpers, Scope } from '../../plugins/portico';
import { allows, isScope, SCOPES } from '../oauth/scopes';

/** `*` any run of characters, `?` one character, everything else literal; the whole text must match. */
export function glob(pattern: string): RegExp {
  if (typeof pattern !== 'string') throw new TypeError(`glob() needs a pattern string, got ${pattern === null ? 'null' : typeof pattern}`);
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`);
}

export const helpers: PluginHelpers = Object.freeze({
  glob,
  scopes: SCOPES,
  isScope: (value: unknown): value is Scope => typeof value === 'string' && isScope(value),
  allows: (granted: readonly string[], needed: Scope) => allows(granted, needed),
});
