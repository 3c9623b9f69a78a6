/**
 * The config file and `_FILE` variables: real files in temp folders. Precedence is flag > environment
 * (`PORTICO_X` or `PORTICO_X_FILE`) > config file > default, and every way a configuration can be wrong is
 * refused with a message naming the key, where it came from, what was expected and what was found.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonErrorOffset } from '../../src/config/file';
import { closest } from '../../src/config/suggest';
import { ConfigError, loadServeConfig, readServeConfig } from '../../src/config/serve';
import { removeTempDirs, tempDir } from '../fixtures/temp';

afterAll(removeTempDirs);

/** A temp folder holding `files` (name → content). */
function folder(files: Record<string, string> = {}): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const UPSTREAM = 'https://api.example.com/v1';

/** The message `read` fails with (and that it is a ConfigError). */
function failure(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError, but the configuration was accepted');
}

describe('precedence: flag > environment > config file > default', () => {
  const yaml = [
    `upstream: ${UPSTREAM}`,
    'brandName: From the file', // string
    'specTtl: 600', // integer
    'allowRemoteRefs: true', // boolean
    'allowedOrigins: [https://file.example]', // array
    'loginRoles: { boss: admin, intern: read }', // record
    '',
  ].join('\n');
  const env = {
    PORTICO_BRAND_NAME: 'From the environment',
    PORTICO_SPEC_TTL: '60',
    PORTICO_ALLOW_REMOTE_REFS: 'false',
    PORTICO_ALLOWED_ORIGINS: 'https://env.example, https://env2.example',
    PORTICO_LOGIN_ROLES: 'chief=write',
  };
  const flags = {
    '--brand-name': 'From a flag',
    '--spec-ttl': '6',
    '--allow-remote-refs': 'true',
    '--allowed-origins': 'https://flag.example',
    '--login-roles': 'captain=admin',
  };

  test('the defaults, when nothing is given', () => {
    const config = readServeConfig({}, { PORTICO_UPSTREAM: UPSTREAM }, { cwd: folder() });
    expect([config.brandName, config.specTtl, config.allowRemoteRefs, config.allowedOrigins, config.loginRoles.owner]).toEqual(['Portico', 300, false, [], 'admin']);
  });

  for (const name of ['portico.yaml', 'portico.yml']) {
    test(`the config file (${name}) over the defaults`, () => {
      const loaded = loadServeConfig({}, {}, { cwd: folder({ [name]: yaml }) });
      expect(loaded.file).toBe(name);
      const { config } = loaded;
      expect(config.upstream).toBe(UPSTREAM);
      expect(config.brandName).toBe('From the file');
      expect(config.specTtl).toBe(600);
      expect(config.allowRemoteRefs).toBe(true);
      expect(config.allowedOrigins).toEqual(['https://file.example']);
      // a record from the file replaces the default record, it is not merged into it
      expect(config.loginRoles).toEqual({ boss: 'admin', intern: 'read' });
      expect(config.port).toBe(8787);
      expect(loaded.sources.specTtl).toBe(`${name}: "specTtl"`);
      expect(loaded.sources.port).toBeUndefined();
    });
  }

  test('portico.json works the same', () => {
    const json = JSON.stringify({ upstream: UPSTREAM, specTtl: 42, allowedOrigins: ['https://a'], loginRoles: { owner: 'admin' }, allowRemoteRefs: true });
    const { config, file } = loadServeConfig({}, {}, { cwd: folder({ 'portico.json': json }) });
    expect(file).toBe('portico.json');
    expect([config.specTtl, config.allowedOrigins, config.loginRoles, config.allowRemoteRefs]).toEqual([42, ['https://a'], { owner: 'admin' }, true]);
  });

  test('the environment over the config file', () => {
    const loaded = loadServeConfig({}, env, { cwd: folder({ 'portico.yaml': yaml }) });
    const { config } = loaded;
    expect(config.brandName).toBe('From the environment');
    expect(config.specTtl).toBe(60);
    expect(config.allowRemoteRefs).toBe(false);
    expect(config.allowedOrigins).toEqual(['https://env.example', 'https://env2.example']);
    expect(config.loginRoles).toEqual({ chief: 'write' });
    expect(config.upstream).toBe(UPSTREAM);
    expect(loaded.sources.specTtl).toBe('PORTICO_SPEC_TTL');
    expect(loaded.sources.upstream).toBe('portico.yaml: "upstream"');
  });

  test('flags over the environment and the config file', () => {
    const loaded = loadServeConfig(flags, env, { cwd: folder({ 'portico.yaml': yaml }) });
    const { config } = loaded;
    expect(config.brandName).toBe('From a flag');
    expect(config.specTtl).toBe(6);
    expect(config.allowRemoteRefs).toBe(true);
    expect(config.allowedOrigins).toEqual(['https://flag.example']);
    expect(config.loginRoles).toEqual({ captain: 'admin' });
    expect(loaded.sources.specTtl).toBe('--spec-ttl');
  });

  test('an empty variable counts as unset, so the config file applies', () => {
    const config = readServeConfig({}, { PORTICO_SPEC_TTL: '' }, { cwd: folder({ 'portico.yaml': yaml }) });
    expect(config.specTtl).toBe(600);
  });

  test('a key set to null is left at its default; an empty file and no file at all are fine', () => {
    const config = readServeConfig({}, {}, { cwd: folder({ 'portico.yaml': `upstream: ${UPSTREAM}\nspec:\nspecTtl: ~\n` }) });
    expect(config.spec).toBeUndefined();
    expect(config.specTtl).toBe(300);
    expect(readServeConfig({}, { PORTICO_UPSTREAM: UPSTREAM }, { cwd: folder({ 'portico.yaml': '# nothing yet\n' }) }).port).toBe(8787);
    expect(readServeConfig({}, { PORTICO_UPSTREAM: UPSTREAM }, { cwd: folder({ 'portico.json': '' }) }).port).toBe(8787);
    expect(loadServeConfig({}, { PORTICO_UPSTREAM: UPSTREAM }, { cwd: folder() }).file).toBeUndefined();
  });

  test('--config and PORTICO_CONFIG name a file anywhere (relative to the working directory); --config wins', () => {
    const dir = folder({
      'etc/a.yaml': `upstream: ${UPSTREAM}\nspecTtl: 1\n`,
      'etc/b.json': JSON.stringify({ upstream: UPSTREAM, specTtl: 2 }),
      'portico.yaml': `upstream: ${UPSTREAM}\nspecTtl: 3\n`,
    });
    expect(readServeConfig({}, { PORTICO_CONFIG: 'etc/a.yaml' }, { cwd: dir }).specTtl).toBe(1);
    expect(readServeConfig({ '--config': join(dir, 'etc/b.json') }, { PORTICO_CONFIG: 'etc/a.yaml' }, { cwd: dir }).specTtl).toBe(2);
    // a named file replaces the default one: it is not read as well
    expect(loadServeConfig({ '--config': 'etc/a.yaml' }, {}, { cwd: dir }).file).toBe('etc/a.yaml');
    expect(readServeConfig({}, {}, { cwd: dir }).specTtl).toBe(3);
  });

  test('YAML anchors and aliases, and quoted values', () => {
    const dir = folder({ 'portico.yaml': `upstream: &api "${UPSTREAM}"\nallowedHosts: [*api]\nbrandName: "2024"\n` });
    const config = readServeConfig({}, {}, { cwd: dir });
    expect(config.allowedHosts).toEqual([UPSTREAM]);
    expect(config.brandName).toBe('2024');
  });
});

describe('secrets from files: PORTICO_<NAME>_FILE', () => {
  test('the file content, trimmed, is the value; it beats the config file and loses to a flag', () => {
    const dir = folder({
      'secrets/headers': 'X-API-Key: s3cret-from-file; X-Tenant: acme\n',
      'secrets/upstream': `  ${UPSTREAM}  \n`,
      'portico.yaml': 'auth: none\nupstreamHeaders: { X-API-Key: from-config }\nspecTtl: 5\n',
    });
    const env = { PORTICO_UPSTREAM_HEADERS_FILE: 'secrets/headers', PORTICO_UPSTREAM_FILE: join(dir, 'secrets/upstream'), PORTICO_SPEC_TTL_FILE: '' };
    const loaded = loadServeConfig({}, env, { cwd: dir });
    expect(loaded.config.upstreamHeaders).toEqual({ 'X-API-Key': 's3cret-from-file', 'X-Tenant': 'acme' });
    expect(loaded.config.upstream).toBe(UPSTREAM);
    expect(loaded.config.specTtl).toBe(5);
    expect(loaded.sources.upstreamHeaders).toBe('PORTICO_UPSTREAM_HEADERS_FILE');
    expect(readServeConfig({ '--upstream-headers': 'X-API-Key: from-flag' }, env, { cwd: dir }).upstreamHeaders).toEqual({ 'X-API-Key': 'from-flag' });
  });

  test('every type can come from a file, parsed as its variable would be', () => {
    const dir = folder({ port: '9000\n', refs: 'yes\n', origins: 'https://a, https://b\n', roles: 'boss=admin\n' });
    const config = readServeConfig({}, { PORTICO_UPSTREAM: UPSTREAM, PORTICO_PORT_FILE: 'port', PORTICO_ALLOW_REMOTE_REFS_FILE: 'refs', PORTICO_ALLOWED_ORIGINS_FILE: 'origins', PORTICO_LOGIN_ROLES_FILE: 'roles' }, { cwd: dir });
    expect([config.port, config.allowRemoteRefs, config.allowedOrigins, config.loginRoles]).toEqual([9000, true, ['https://a', 'https://b'], { boss: 'admin' }]);
  });

  test('PORTICO_SECRET_FILE stays its own setting: the path of the server secret', () => {
    const config = readServeConfig({}, { PORTICO_UPSTREAM: UPSTREAM, PORTICO_SECRET_FILE: '/etc/portico/secret.key' }, { cwd: folder() });
    expect(config.secretFile).toBe('/etc/portico/secret.key');
  });
});

describe('every configuration error names the key, the source, what was expected and what was found', () => {
  const inFile = (text: string, name = 'portico.yaml') => failure(() => readServeConfig({}, {}, { cwd: folder({ [name]: text }) }));

  test('an unknown key, with the closest known one', () => {
    expect(inFile(`upstream: ${UPSTREAM}\nspecTTL: 5\n`)).toBe('portico.yaml: unknown setting "specTTL" (did you mean "specTtl"?)');
    expect(inFile(`upstream: ${UPSTREAM}\nspec_ttl: 5\n`)).toBe('portico.yaml: unknown setting "spec_ttl" (did you mean "specTtl"?)');
    expect(inFile(`upstream: ${UPSTREAM}\nPORTICO_PUBLIC_URL: https://x\n`)).toBe('portico.yaml: unknown setting "PORTICO_PUBLIC_URL" (did you mean "publicUrl"?)');
    expect(inFile(`upstream: ${UPSTREAM}\nalowedOrigin: []\n`)).toBe('portico.yaml: unknown setting "alowedOrigin" (did you mean "allowedOrigins"?)');
    expect(inFile(JSON.stringify({ upstream: UPSTREAM, tmeout: 1 }), 'portico.json')).toBe('portico.json: unknown setting "tmeout"');
    expect(inFile(`upstream: ${UPSTREAM}\nconfig: other.yaml\n`)).toStartWith('portico.yaml: unknown setting "config"');
  });

  test('a value of the wrong type', () => {
    expect(inFile(`upstream: ${UPSTREAM}\nspecTtl: five\n`)).toBe('portico.yaml: "specTtl" must be an integer ≥ 0, got "five"');
    expect(inFile(`upstream: ${UPSTREAM}\nspecTtl: 1.5\n`)).toBe('portico.yaml: "specTtl" must be an integer ≥ 0, got 1.5');
    expect(inFile(`upstream: ${UPSTREAM}\nport: 70000\n`)).toBe('portico.yaml: "port" must be an integer from 0 to 65535, got 70000');
    expect(inFile(`upstream: ${UPSTREAM}\nallowRemoteRefs: "yes"\n`)).toBe('portico.yaml: "allowRemoteRefs" must be true or false, got "yes"');
    expect(inFile(`upstream: ${UPSTREAM}\nmcpMode: sticky\n`)).toBe('portico.yaml: "mcpMode" must be one of "stateful", "stateless", got "sticky"');
    expect(inFile(`upstream: ${UPSTREAM}\nallowedOrigins: https://a\n`)).toBe('portico.yaml: "allowedOrigins" must be a list of strings, got "https://a"');
    expect(inFile(`upstream: ${UPSTREAM}\nallowedOrigins: [https://a, 8080]\n`)).toBe('portico.yaml: "allowedOrigins[1]" must be a string, got 8080 (put it in quotes)');
    expect(inFile(`upstream: ${UPSTREAM}\nloginRoles: { boss: god }\n`)).toBe('portico.yaml: "loginRoles.boss" must be one of "read", "write", "admin", got "god"');
    expect(inFile(`upstream: ${UPSTREAM}\nloginRoles: [admin]\n`)).toBe('portico.yaml: "loginRoles" must be a mapping whose values are each one of "read", "write", "admin", got a list');
    expect(inFile(`upstream: ${UPSTREAM}\nbrandName: 2024\n`)).toBe('portico.yaml: "brandName" must be a string, got 2024 (put it in quotes)');
    expect(inFile(JSON.stringify({ upstream: 42 }), 'portico.json')).toBe('portico.json: "upstream" must be a string, got 42 (put it in quotes)');
    expect(inFile('upstream: api.example.com\n')).toBe('portico.yaml: "upstream" must be an absolute http(s) URL, got "api.example.com"');
    expect(inFile('- upstream\n')).toBe('portico.yaml must hold a mapping of settings (like {"upstream": "https://…"}), but holds a list');
    expect(inFile('just words\n')).toBe('portico.yaml must hold a mapping of settings (like {"upstream": "https://…"}), but holds a single string');
  });

  test('a credential of the wrong type is described, never repeated', () => {
    const message = inFile(`upstream: ${UPSTREAM}\nauth: none\nupstreamHeaders: { X-API-Key: 918273645 }\n`);
    expect(message).toBe('portico.yaml: "upstreamHeaders.X-API-Key" must be a string, got a number (put it in quotes)');
    expect(message).not.toContain('918273645');
  });

  test('a setting only valid with another one names where it came from', () => {
    expect(inFile(`upstream: ${UPSTREAM}\nupstreamHeaders: { X-API-Key: k }\n`)).toBe(
      `portico.yaml: "upstreamHeaders" is a shared credential, but with PORTICO_AUTH=oauth (the default) every call uses the signed-in user's own; drop it, or set PORTICO_AUTH=none`,
    );
  });

  test('a missing required setting names every way to give it', () => {
    expect(inFile('specTtl: 5\n')).toBe('PORTICO_UPSTREAM (or --upstream) is required: Base URL of the API, e.g. https://api.example.com/v1 (in portico.yaml: "upstream")');
  });

  test('a YAML syntax error, with its line and column', () => {
    expect(inFile(`upstream: ${UPSTREAM}\nallowedOrigins: [https://a, https://b\nspecTtl: 5\n`)).toBe(
      'portico.yaml is not valid YAML (line 3, column 1): Flow sequence in block collection must be sufficiently indented and end with a ]',
    );
    expect(inFile(`upstream: ${UPSTREAM}\nspecTtl: 5\nspecTtl: 6\n`)).toBe('portico.yaml is not valid YAML (line 3, column 1): Map keys must be unique');
    expect(inFile(`upstream: ${UPSTREAM}\nbrandName: "Acme\n`)).toStartWith('portico.yaml is not valid YAML (line 3, column 1): Missing closing "quote');
  });

  test('a JSON syntax error, with its line and column', () => {
    expect(inFile(`{\n  "upstream": "${UPSTREAM}",\n  "specTtl": 5,\n}\n`, 'portico.json')).toMatch(/^portico\.json is not valid JSON \(line 4, column 1\): /);
    expect(inFile(`{"upstream": '${UPSTREAM}'}`, 'portico.json')).toMatch(/^portico\.json is not valid JSON \(line 1, column 14\): /);
  });

  test('a named config file that does not exist', () => {
    const dir = folder();
    expect(failure(() => readServeConfig({ '--config': 'missing.yaml' }, { PORTICO_UPSTREAM: UPSTREAM }, { cwd: dir }))).toBe(
      `--config names the config file "missing.yaml", which does not exist (${join(dir, 'missing.yaml')})`,
    );
    expect(failure(() => readServeConfig({}, { PORTICO_UPSTREAM: UPSTREAM, PORTICO_CONFIG: '/nowhere/portico.yaml' }, { cwd: dir }))).toBe(
      'PORTICO_CONFIG names the config file "/nowhere/portico.yaml", which does not exist',
    );
    expect(failure(() => readServeConfig({ '--config': dir }, { PORTICO_UPSTREAM: UPSTREAM }, { cwd: dir }))).toBe(`--config names "${dir}", which is a folder, not a config file`);
  });

  test('two default config files', () => {
    const dir = folder({ 'portico.json': '{}', 'portico.yaml': '{}' });
    expect(failure(() => readServeConfig({}, { PORTICO_UPSTREAM: UPSTREAM }, { cwd: dir }))).toBe(
      `portico.json and portico.yaml are both in ${dir}: keep one, or name the one to use with --config`,
    );
    expect(readServeConfig({ '--config': 'portico.yaml' }, { PORTICO_UPSTREAM: UPSTREAM }, { cwd: dir }).port).toBe(8787);
  });

  test('a variable and its _FILE variant both set', () => {
    const dir = folder({ headers: 'X-API-Key: k\n' });
    expect(failure(() => readServeConfig({}, { PORTICO_UPSTREAM: UPSTREAM, PORTICO_AUTH: 'none', PORTICO_UPSTREAM_HEADERS: 'X-API-Key: k', PORTICO_UPSTREAM_HEADERS_FILE: 'headers' }, { cwd: dir }))).toBe(
      'PORTICO_UPSTREAM_HEADERS and PORTICO_UPSTREAM_HEADERS_FILE are both set: keep one (PORTICO_UPSTREAM_HEADERS_FILE names a file holding the value)',
    );
  });

  test('a _FILE variable naming a file that cannot be read, or is empty', () => {
    const dir = folder({ empty: '\n  \n', 'locked/key': 'X-API-Key: k' });
    const read = (path: string) => failure(() => readServeConfig({}, { PORTICO_UPSTREAM: UPSTREAM, PORTICO_AUTH: 'none', PORTICO_UPSTREAM_HEADERS_FILE: path }, { cwd: dir }));
    expect(read('missing')).toBe('PORTICO_UPSTREAM_HEADERS_FILE: cannot read "missing" (no such file)');
    expect(read('locked')).toBe('PORTICO_UPSTREAM_HEADERS_FILE: cannot read "locked" (it is a folder)');
    expect(read('empty')).toBe('PORTICO_UPSTREAM_HEADERS_FILE: "empty" is empty');
    if (process.getuid?.() !== 0) {
      // root reads anything: this case only means something for the unprivileged user Portico runs as
      chmodSync(join(dir, 'locked/key'), 0o000);
      expect(read('locked/key')).toBe('PORTICO_UPSTREAM_HEADERS_FILE: cannot read "locked/key" (permission denied)');
    }
  });

  test('a _FILE value is checked like its variable, named by the _FILE variable, without echoing a secret', () => {
    const dir = folder({ port: 'eighty\n', headers: 'Bad Name: hunter2\n' });
    expect(failure(() => readServeConfig({}, { PORTICO_UPSTREAM: UPSTREAM, PORTICO_PORT_FILE: 'port' }, { cwd: dir }))).toBe('PORTICO_PORT_FILE must be an integer, got "eighty"');
    const message = failure(() => readServeConfig({}, { PORTICO_UPSTREAM: UPSTREAM, PORTICO_AUTH: 'none', PORTICO_UPSTREAM_HEADERS_FILE: 'headers' }, { cwd: dir }));
    expect(message).toStartWith('PORTICO_UPSTREAM_HEADERS_FILE must look like "Name: value; Other-Name: value"');
    expect(message).not.toContain('hunter2');
  });

  test('a value from the environment or a flag that the schema refuses', () => {
    const cwd = folder();
    expect(failure(() => readServeConfig({}, { PORTICO_UPSTREAM: UPSTREAM, PORTICO_SPEC_TTL: '-5' }, { cwd }))).toBe('PORTICO_SPEC_TTL must be an integer ≥ 0, got -5');
    expect(failure(() => readServeConfig({ '--mcp-mode': 'sticky' }, { PORTICO_UPSTREAM: UPSTREAM }, { cwd }))).toBe('--mcp-mode must be one of "stateful", "stateless", got "sticky"');
    expect(failure(() => readServeConfig({}, { PORTICO_UPSTREAM: UPSTREAM, PORTICO_LOGIN_ROLES: 'boss=god' }, { cwd }))).toBe('PORTICO_LOGIN_ROLES: "boss" must be one of "read", "write", "admin", got "god"');
    expect(failure(() => readServeConfig({ '--confg': 'x.yaml' }, { PORTICO_UPSTREAM: UPSTREAM }, { cwd }))).toBe('unknown option "--confg" (did you mean "--config"?)');
  });
});

describe('helpers', () => {
  test('closest: another spelling of the same name first, then the nearest within reason', () => {
    const known = ['specTtl', 'spec', 'port', 'publicUrl', 'allowedOrigins'];
    expect(closest('SPEC-TTL', known)).toBe('specTtl');
    expect(closest('PORTICO_SPEC', known, 'portico')).toBe('spec');
    expect(closest('prot', known)).toBe('port');
    expect(closest('publicURL', known)).toBe('publicUrl');
    expect(closest('database', known)).toBeUndefined();
  });

  test('jsonErrorOffset finds where strict JSON goes wrong', () => {
    expect(jsonErrorOffset('{"a": [1, 2], "b": {"c": null}}')).toBeUndefined();
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset('{"a": 01}')).toBe(7);
    expect(jsonErrorOffset('{"a": tru}')).toBe(9);
    expect(jsonErrorOffset('{"a": "\\x"}')).toBe(8);
    expect(jsonErrorOffset('{"a": 1} 2')).toBe(9);
    expect(jsonErrorOffset('{"a": "b')).toBe(8);
  });
});

describe('settings added by others work from the file with no extra code', () => {
  test('pluginSettings: a mapping of mappings; a wrong shape is described without repeating values', () => {
    const dir = folder({ 'portico.yaml': `upstream: ${UPSTREAM}\npluginSettings:\n  rules: { exclude: [DELETE] }\n` });
    expect(readServeConfig({}, {}, { cwd: dir }).pluginSettings).toEqual({ rules: { exclude: ['DELETE'] } });
    const message = failure(() => readServeConfig({}, {}, { cwd: folder({ 'portico.yaml': `upstream: ${UPSTREAM}\npluginSettings: { static-users: key-5521 }\n` }) }));
    expect(message).toBe('portico.yaml: "pluginSettings.static-users" must be a mapping, got a string');
  });
});
