/**
 * read-cache.ts — answers repeated reads from memory for a while, so an agent that asks for the same list
 * five times in a conversation costs the API one request. Off until configured:
 *
 *   pluginSettings:
 *     read-cache: { ttlSeconds: 30 }                                   # every read tool
 *     read-cache: { ttlSeconds: 30, tools: ["list_*", "get_*"], maxEntries: 500 }
 *
 * Only read tools are ever cached — those whose scope is `read` or that are marked `readOnlyHint` — and
 * `tools` (globs) narrows them further; it cannot add a tool that changes things. An answer is kept per user
 * and per arguments: one user's answer is never given to another (their API may show them different things).
 * Only successful results are kept, for `ttlSeconds`, at most `maxEntries` of them (the least recently used
 * go first). The cache is in this process's memory: each instance has its own, and a restart empties it.
 */
import type { PluginApi, ToolInfo, ToolResult } from './portico';

interface Entry {
  readonly result: ToolResult;
  readonly expires: number;
}

export default function readCache(api: PluginApi): void {
  const settings = api.settingsSchema((T) =>
    T.Object({
      enabled: T.Boolean({ default: true, description: 'false turns the cache off and keeps the other settings' }),
      ttlSeconds: T.Integer({ minimum: 1, default: 30, description: 'how long an answer is reused' }),
      tools: T.Array(T.String({ minLength: 1 }), { default: [], description: 'tool names (globs) to cache; empty: every read tool' }),
      maxEntries: T.Integer({ minimum: 1, maximum: 1_000_000, default: 500, description: 'answers kept at most, all users together' }),
    }),
  );
  if (Object.keys(api.settings).length === 0 || !settings.enabled) return;
  const patterns = settings.tools.map(api.helpers.glob);
  const cached = (tool: ToolInfo) => (tool.scope === 'read' || tool.annotations?.readOnlyHint === true) && (patterns.length === 0 || patterns.some((pattern) => pattern.test(tool.name)));
  // a Map keeps insertion order: the first key is the least recently used once each hit is moved to the end
  const entries = new Map<string, Entry>();

  api.aroundCall(async (call, next) => {
    if (!cached(call.tool)) return next();
    // the user first: whatever else is equal, one user's answer must never reach another
    const key = JSON.stringify([call.caller?.userId ?? null, call.tool.name, canonical(call.args)]);
    const now = Date.now();
    const hit = entries.get(key);
    entries.delete(key);
    if (hit && hit.expires > now) {
      entries.set(key, hit);
      // a copy: a later hook that changes the result in place must not change what the next caller gets
      return structuredClone(hit.result);
    }
    const result = await next();
    if (result.isError) return result;
    entries.set(key, { result: structuredClone(result), expires: now + settings.ttlSeconds * 1000 });
    for (const oldest of entries.keys()) {
      if (entries.size <= settings.maxEntries) break;
      entries.delete(oldest);
    }
    return result;
  });
  api.log.info('read_cache_active', { ttlSeconds: settings.ttlSeconds, tools: settings.tools.join(',') || 'every read tool', maxEntries: settings.maxEntries });
}

/** `value` with every object's keys sorted, so that `{a, b}` and `{b, a}` are the same call. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
  );
}
