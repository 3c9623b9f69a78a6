/**
 * @module oauth/scopes
 * The three scopes and their ladder: `admin ⊃ write ⊃ read`. A grant always holds the whole ladder up to
 * its top (`write` means `read write`), so "may this token call a `write` tool" is one set lookup.
 */
import { SCOPES, type Scope } from '../catalog/types';

export { SCOPES, type Scope };

const RANK: Readonly<Record<Scope, number>> = { read: 0, write: 1, admin: 2 };

/** What each scope allows, in the words the consent page and error messages use. */
export const SCOPE_SUMMARIES: Readonly<Record<Scope, string>> = {
  read: 'See your data: list and read everything your account can see.',
  write: 'Change your data: create, update and run actions on your behalf.',
  admin: 'Delete your data: remove things, and other operations the API marks as administrative.',
};

export function isScope(value: string): value is Scope {
  return value === 'read' || value === 'write' || value === 'admin';
}

/** The scopes named in an OAuth `scope` parameter (space-separated), known ones only, and the unknown ones. */
export function parseScopes(text: string | null | undefined): { scopes: Scope[]; unknown: string[] } {
  const scopes = new Set<Scope>();
  const unknown: string[] = [];
  for (const word of (text ?? '').split(' ')) {
    if (!word) continue;
    if (isScope(word)) scopes.add(word);
    else unknown.push(word);
  }
  return { scopes: SCOPES.filter((scope) => scopes.has(scope)), unknown };
}

/** The highest of `scopes` (undefined for none). */
export function topScope(scopes: Iterable<string>): Scope | undefined {
  let top: Scope | undefined;
  for (const scope of scopes) if (isScope(scope) && (top === undefined || RANK[scope] > RANK[top])) top = scope;
  return top;
}

/** The ladder up to `top`: `write` → `['read', 'write']`. */
export function ladder(top: Scope | undefined): Scope[] {
  return top === undefined ? [] : SCOPES.filter((scope) => RANK[scope] <= RANK[top]);
}

/** Whether holding `granted` is enough for something that needs `needed`. */
export function allows(granted: readonly string[], needed: Scope): boolean {
  const top = topScope(granted);
  return top !== undefined && RANK[top] >= RANK[needed];
}

/** `scopes` lowered to at most `cap`, as a full ladder. */
export function capScopes(scopes: readonly string[], cap: Scope): Scope[] {
  const top = topScope(scopes);
  if (top === undefined) return [];
  return ladder(RANK[top] <= RANK[cap] ? top : cap);
}

export function scopeText(scopes: readonly string[]): string {
  return scopes.join(' ');
}
