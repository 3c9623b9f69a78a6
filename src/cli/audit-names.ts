/**
 * @module cli/audit-names
 * Who the ids in the audit log are, for `portico audit`: the name each user last signed in with (kept in clear with
 * their grants) and each client's registered name. Every distinct id is looked up once, in one query per kind, however
 * many entries are shown. An id whose name is no longer known (every grant of the user gone, the client deleted, or a
 * client known only by its metadata document's URL, which is its own name) has none.
 */
import type { AuditRecord, Store } from '../store';

export interface AuditNames {
  /** The user's name (e.g. an email address), or null when not known. */
  user(userId: string): string | null;
  /** The client's registered name, or null when not known. */
  client(clientId: string): string | null;
}

export async function auditNames(store: Pick<Store, 'listUserNames' | 'getClients'>, records: readonly AuditRecord[]): Promise<AuditNames> {
  if (records.length === 0) return { user: () => null, client: () => null };
  const [users, clients] = await Promise.all([
    store.listUserNames([...new Set(records.map((record) => record.userId))]),
    store.getClients([...new Set(records.map((record) => record.clientId))]),
  ]);
  const userNames = new Map(users.map(({ userId, name }) => [userId, name]));
  const clientNames = new Map<string, string>();
  for (const client of clients) {
    const name = registeredName(client.metadata);
    if (name !== null) clientNames.set(client.id, name);
  }
  return { user: (id) => userNames.get(id) ?? null, client: (id) => clientNames.get(id) ?? null };
}

/** `client_name` of a stored registration (JSON text), or null when it has none or cannot be read. */
function registeredName(metadata: string): string | null {
  try {
    const name: unknown = (JSON.parse(metadata) as Record<string, unknown>).client_name;
    return typeof name === 'string' && name.trim() !== '' ? name.trim() : null;
  } catch {
    return null;
  }
}

/** Control and invisible formatting characters: a name must not move the cursor, recolour or reorder the terminal. */
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu;
const MAX_NAME = 60;

/**
 * `name (id)` for a table cell, or the id alone without a name. Names come from outside (a self-registered client
 * chose its own; the identity source gave the user's), so unsafe characters are replaced and long ones cut.
 */
export function labelled(name: string | null, id: string): string {
  if (name === null) return id;
  const safe = name.replace(UNSAFE_TEXT, '\ufffd');
  const chars = [...safe];
  return `${chars.length > MAX_NAME ? `${chars.slice(0, MAX_NAME - 1).join('')}…` : safe} (${id})`;
}
