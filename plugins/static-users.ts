/**
 * static-users.ts — users from a file, for APIs that only have API keys: each user signs in on Portico's
 * page with a password (stored as a `Bun.password` hash) and is mapped to an upstream credential and the
 * highest scope they may grant. Off until configured:
 *
 *   pluginSettings:
 *     static-users: { file: /etc/portico/users.json }
 *
 * users.json:
 *   { "users": [ { "username": "ana", "name": "Ana Lima", "passwordHash": "$argon2id$…",
 *                  "maxScope": "write", "headers": { "X-API-Key": "…" } } ] }
 *
 * Make a hash with: bun -e 'console.log(await Bun.password.hash(prompt("password:")))'
 * The file is read once at start; an unknown user costs the same hash check as a known one.
 */
import { readFileSync } from 'node:fs';
import type { Identity, PluginApi, Scope } from './portico';

interface StaticUser {
  username: string;
  name?: string;
  passwordHash: string;
  maxScope: Scope;
  headers: Record<string, string>;
}

export default async function staticUsers(api: PluginApi): Promise<void> {
  const file = api.settings.file;
  if (file === undefined) return;
  if (typeof file !== 'string') throw new Error('settings.file must be the path of the users file');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the users file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const users = new Map<string, StaticUser>();
  const list = (parsed as { users?: unknown }).users;
  if (!Array.isArray(list)) throw new Error(`${file} must hold {"users": [...]}`);
  list.forEach((user: StaticUser, index) => {
    const where = `${file}: users[${index}]`;
    if (typeof user?.username !== 'string' || user.username === '') throw new Error(`${where} needs a "username"`);
    if (typeof user.passwordHash !== 'string' || !user.passwordHash.startsWith('$')) throw new Error(`${where} needs a "passwordHash" made with Bun.password.hash`);
    if (!api.helpers.isScope(user.maxScope)) throw new Error(`${where}: "maxScope" must be one of ${api.helpers.scopes.join(', ')}`);
    if (typeof user.headers !== 'object' || user.headers === null) throw new Error(`${where} needs "headers" (the upstream credential)`);
    if (users.has(user.username.toLowerCase())) throw new Error(`${where}: the username "${user.username}" is listed twice`);
    users.set(user.username.toLowerCase(), user);
  });
  // checked for unknown users, so that they cost the same as known ones (no user enumeration by timing)
  const dummy = await Bun.password.hash('portico-static-users-dummy');

  api.identitySource({
    description: `${users.size} users from ${file}`,
    async verifyPassword(username, password): Promise<Identity | null> {
      const user = users.get(username.toLowerCase());
      const ok = await Bun.password.verify(password, user?.passwordHash ?? dummy);
      if (!user || !ok) return null;
      return { userId: user.username, name: user.name ?? user.username, maxScope: user.maxScope, upstream: { headers: { ...user.headers } } };
    },
  });
  api.log.info('users_loaded', { users: users.size, file });
}
