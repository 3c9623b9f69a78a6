/**
 * A plugin's own settings checked against the schema it declares (`api.settingsSchema`), as a deployment
 * meets it: the gateway starting with the settings given, and the start refused with the plugin, the setting
 * and what it must be when they do not fit. The shipped plugins that use it (read-cache.ts, rules.ts) too.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import { startTestGateway } from '../fixtures/gateway';
import { removeTempDirs, tempDirWith } from '../fixtures/temp';

const PLUGINS = resolve(import.meta.dir, '../../plugins');
afterAll(removeTempDirs);

/** A gateway with the plugin `source` as `name`.ts and its settings; stopped again once started. */
async function start(settings: Record<string, unknown>, files: Record<string, string>): Promise<{ events: (event: string) => Record<string, unknown>[] }> {
  const gw = await startTestGateway({ PORTICO_AUTH: 'none', PORTICO_PLUGINS: tempDirWith(files), PORTICO_PLUGIN_SETTINGS: JSON.stringify(settings) });
  await gw.stop();
  return gw;
}

const shipped = (settings: Record<string, unknown>) => startTestGateway({ PORTICO_AUTH: 'none', PORTICO_PLUGINS: PLUGINS, PORTICO_PLUGIN_SETTINGS: JSON.stringify(settings) }).then((gw) => gw.stop());

const LIMITS = `
  export default function (api) {
    const settings = api.settingsSchema((T) => T.Object({
      region: T.String({ minLength: 1 }),
      ttlSeconds: T.Integer({ minimum: 1, default: 30 }),
      tools: T.Array(T.String(), { default: [] }),
      mode: T.Union([T.Literal('strict'), T.Literal('lenient')], { default: 'strict' }),
      limits: T.Optional(T.Record(T.String(), T.Integer({ minimum: 0 }))),
      owner: T.Optional(T.Object({ team: T.String() })),
    }));
    api.log.info('settings', { settings, configured: api.settings });
  }`;

describe('api.settingsSchema', () => {
  test('settings that fit come back with the defaults filled in; the configuration is not changed', async () => {
    const gw = await start({ limits: { region: 'eu', limits: { list_projects: 10 } } }, { 'limits.ts': LIMITS });
    expect(gw.events('plugin.settings')[0]).toMatchObject({
      plugin: 'limits.ts',
      settings: { region: 'eu', ttlSeconds: 30, tools: [], mode: 'strict', limits: { list_projects: 10 } },
      configured: { region: 'eu', limits: { list_projects: 10 } },
    });
  });

  test('a wrong value stops the start, naming the plugin, the setting, what it must be and what it got', async () => {
    await expect(start({ limits: { region: 'eu', ttlSeconds: 'ten' } }, { 'limits.ts': LIMITS })).rejects.toThrow(/^limits\.ts: setting "ttlSeconds" must be an integer ≥ 1 \(got "ten"\)$/);
    await expect(start({ limits: { region: 'eu', ttlSeconds: 0 } }, { 'limits.ts': LIMITS })).rejects.toThrow(/^limits\.ts: setting "ttlSeconds" must be an integer ≥ 1 \(got 0\)$/);
    await expect(start({ limits: { region: 'eu', mode: 'loose' } }, { 'limits.ts': LIMITS })).rejects.toThrow(/^limits\.ts: setting "mode" must be one of "strict", "lenient" \(got "loose"\)$/);
  });

  test('every problem is named: a missing setting, an unknown one, a wrong item of a list or of a map, a nested object', async () => {
    const settings = { limits: { tools: ['list_*', 3], limits: { list_projects: -1 }, owner: { team: 'ops', lead: 'ana' }, regoin: 'eu' } };
    const error = await start(settings, { 'limits.ts': LIMITS }).then(
      () => undefined,
      (thrown: Error) => thrown,
    );
    expect(error?.message).toBe(
      'limits.ts: setting "region" is required: a non-empty string; unknown setting "regoin"; known: region, ttlSeconds, tools, mode, limits, owner; setting "tools[1]" must be a string (got 3); setting "limits.list_projects" must be an integer ≥ 0 (got -1); unknown setting "owner.lead"; known: team',
    );
  });

  test('a schema that is not an object is the plugin’s mistake: the start stops naming it', async () => {
    await expect(start({}, { 'odd.ts': 'export default (api) => { api.settingsSchema((T) => T.String()); };' })).rejects.toThrow(/odd\.ts.*settingsSchema must return T\.Object/);
  });
});

describe('the shipped plugins check their settings', () => {
  test('read-cache.ts', async () => {
    await expect(shipped({ 'read-cache': { ttlSeconds: 'ten' } })).rejects.toThrow(/^read-cache\.ts: setting "ttlSeconds" must be an integer ≥ 1 \(got "ten"\)$/);
    await expect(shipped({ 'read-cache': { ttl: 30 } })).rejects.toThrow(/^read-cache\.ts: unknown setting "ttl"; known: enabled, ttlSeconds, tools, maxEntries$/);
    await expect(shipped({ 'read-cache': { tools: 'list_*' } })).rejects.toThrow(/^read-cache\.ts: setting "tools" must be a list of non-empty strings \(got "list_\*"\)$/);
  });

  test('rules.ts: unknown keys are still refused, now also inside a filter; values are checked', async () => {
    await expect(shipped({ rules: { hdie: ['x'] } })).rejects.toThrow(/^rules\.ts: unknown setting "hdie"; known: include, exclude, hide, rename, describe, scope, pin, pinCaller$/);
    await expect(shipped({ rules: { include: { tagz: ['projects'] } } })).rejects.toThrow(/^rules\.ts: unknown setting "include\.tagz"; known: tags, methods, paths, operationIds, extensions$/);
    await expect(shipped({ rules: { scope: { restore_backup: 'root' } } })).rejects.toThrow(/^rules\.ts: setting "scope\.restore_backup" must be one of "read", "write", "admin" \(got "root"\)$/);
    await expect(shipped({ rules: { pinCaller: { list_audit: { user_id: 'email' } } } })).rejects.toThrow(/^rules\.ts: setting "pinCaller\.list_audit\.user_id" must be one of "userId", "userName", "clientId" \(got "email"\)$/);
    await expect(shipped({ rules: { hide: 'backups' } })).rejects.toThrow(/^rules\.ts: setting "hide" must be a list of strings \(got "backups"\)$/);
  });
});
