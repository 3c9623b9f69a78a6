import { afterAll, describe, expect, test } from 'bun:test';
import { ConfigError, readServeConfig } from '../../src/config/serve';
import { removeTempDirs, tempDir } from '../fixtures/temp';

afterAll(removeTempDirs);

// an empty folder: no portico.json / portico.yaml is picked up from wherever the tests run
const cwd = tempDir();
const read = (env: Record<string, string>, flags: Record<string, string> = {}) => readServeConfig(flags, env, { cwd });

describe('serve configuration', () => {
  test('defaults around the one required setting', () => {
    expect(read({ PORTICO_UPSTREAM: 'http://127.0.0.1:4010/v1' })).toEqual({
      upstream: 'http://127.0.0.1:4010/v1',
      host: '127.0.0.1',
      port: 8787,
      specTtl: 300,
      mcpMode: 'stateful',
      toolMode: 'auto',
      toolModeThreshold: 80, codeTimeout: 30, codeCpuMs: 5000, codeMemoryMb: 64, codeMaxCalls: 50, codeWorkers: 2, answerBudget: 20_000, answerBudgets: {}, answerTtlMinutes: 15,
      allowedOrigins: [],
      allowedHosts: [],
      upstreamHeaders: {},
      maxToolNameLength: 64,
      allowRemoteRefs: false,
      upstreamTimeoutMs: 30_000,
      maxResponseBytes: 1_048_576,
      maxRequestBytes: 1_048_576,
      sessionIdleSeconds: 1800,
      maxSessionsPerToken: 16,
      maxSessions: 10_000,
      toolsPageSize: 500,
      auth: 'oauth',
      brandName: 'Portico',
      loginPath: '/auth/login',
      loginUsernameField: 'username',
      loginPasswordField: 'password',
      loginTokenField: 'token',
      loginExpiresField: 'expires_at',
      loginRoleField: 'role',
      loginUserIdField: 'user.id',
      loginUserNameField: 'user.email',
      loginRoles: { owner: 'admin', admin: 'admin', developer: 'write', editor: 'write', member: 'write', viewer: 'read', reader: 'read' },
      loginDefaultScope: 'admin',
      upstreamCredential: 'Authorization: Bearer {token}',
      oidcScopes: 'openid email profile',
      oidcExchangePath: '/auth/oidc',
      oidcExchangeField: 'id_token',
      appRedeemPath: '/auth/portico/redeem',
      passwordSignIn: true,
      upstreamOauthScopes: '',
      upstreamOauthUserPath: '/user',
      upstreamOauthUserIdField: 'id',
      upstreamOauthUserNameField: 'login',
      upstreamOauthRoleField: 'role',
      accessTokenTtl: 3600,
      refreshTokenTtl: 2_592_000,
      tokenCache: 10,
      sweepMinutes: 10,
      toolsListed: 'allowed',
      scopeDenial: 'challenge',
      plugins: './plugins',
      pluginOrder: [],
      pluginSettings: {},
      auditArguments: 'all',
      auditRedact: ['password', 'secret', 'token', 'key', 'authorization', 'credential', 'cookie', 'session'],
      auditDurable: false,
      auditRetentionDays: 90,
      logLevel: 'info', logFormat: 'json',
      rateLimitMcp: 600,
      rateLimitIp: 1200,
      rateLimitLoopback: false,
      trustedProxies: [],
      shutdownSeconds: 10,
    });
  });

  test('a shared upstream credential needs PORTICO_AUTH=none; roles are role=scope pairs', () => {
    expect(() => read({ PORTICO_UPSTREAM: 'https://api.example.com', PORTICO_UPSTREAM_HEADERS: 'X-API-Key: k' })).toThrow(
      /PORTICO_UPSTREAM_HEADERS is a shared credential, but with PORTICO_AUTH=oauth/,
    );
    const config = read({ PORTICO_UPSTREAM: 'https://api.example.com', PORTICO_AUTH: 'oauth', PORTICO_LOGIN_ROLES: 'boss=admin, intern=read' });
    expect(config.loginRoles).toEqual({ boss: 'admin', intern: 'read' });
    expect(() => read({ PORTICO_UPSTREAM: 'https://api.example.com', PORTICO_LOGIN_ROLES: 'boss=god' })).toThrow(/PORTICO_LOGIN_ROLES/);
    expect(() => read({ PORTICO_UPSTREAM: 'https://api.example.com', PORTICO_LOGIN_ROLES: 'boss' })).toThrow('PORTICO_LOGIN_ROLES must look like "role=scope,other=scope", got a part "boss"');
  });

  test('environment values are typed; flags win over the environment', () => {
    const config = read(
      {
        PORTICO_UPSTREAM: 'https://api.example.com',
        PORTICO_PORT: '9000',
        PORTICO_MCP_MODE: 'stateless',
        PORTICO_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
        PORTICO_UPSTREAM_HEADERS: 'X-API-Key: s3cret; X-Tenant: acme',
        PORTICO_AUTH: 'none',
        PORTICO_ALLOW_REMOTE_REFS: 'yes',
      },
      { '--port': '9100', '--spec': './openapi.yaml' },
    );
    expect(config.port).toBe(9100);
    expect(config.spec).toBe('./openapi.yaml');
    expect(config.mcpMode).toBe('stateless');
    expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.upstreamHeaders).toEqual({ 'X-API-Key': 's3cret', 'X-Tenant': 'acme' });
    expect(config.allowRemoteRefs).toBe(true);
  });

  const cases: [string, Record<string, string>, Record<string, string>, string][] = [
    ['a missing upstream', {}, {}, 'PORTICO_UPSTREAM (or --upstream) is required: Base URL of the API, e.g. https://api.example.com/v1 (in a config file: "upstream")'],
    ['a port that is not a number', { PORTICO_UPSTREAM: 'http://x', PORTICO_PORT: 'eighty' }, {}, 'PORTICO_PORT must be an integer, got "eighty"'],
    ['a port out of range, from a flag', { PORTICO_UPSTREAM: 'http://x' }, { '--port': '70000' }, '--port must be an integer from 0 to 65535, got 70000'],
    ['an unknown MCP mode', { PORTICO_UPSTREAM: 'http://x', PORTICO_MCP_MODE: 'sticky' }, {}, 'PORTICO_MCP_MODE'],
    ['a boolean that is neither', { PORTICO_UPSTREAM: 'http://x', PORTICO_ALLOW_REMOTE_REFS: 'maybe' }, {}, 'PORTICO_ALLOW_REMOTE_REFS must be true or false, got "maybe"'],
    ['an upstream that is not a URL', { PORTICO_UPSTREAM: 'api.example.com' }, {}, 'PORTICO_UPSTREAM must be an absolute http(s) URL, got "api.example.com"'],
    ['an upstream on another scheme', { PORTICO_UPSTREAM: 'file:///etc' }, {}, 'PORTICO_UPSTREAM must be an http(s) URL'],
    ['an unknown flag', { PORTICO_UPSTREAM: 'http://x' }, { '--prot': '1' }, 'unknown option "--prot" (did you mean "--port"?)'],
    ['a sweep interval that is not a number', { PORTICO_UPSTREAM: 'http://x', PORTICO_SWEEP_MINUTES: 'often' }, {}, 'PORTICO_SWEEP_MINUTES must be a number, got "often"'],
    ['a negative sweep interval', { PORTICO_UPSTREAM: 'http://x' }, { '--sweep-minutes': '-1' }, '--sweep-minutes must be a number from 0 to 1440, got -1'],
    ['an audit retention in part days', { PORTICO_UPSTREAM: 'http://x', PORTICO_AUDIT_RETENTION_DAYS: '1.5' }, {}, 'PORTICO_AUDIT_RETENTION_DAYS must be an integer, got "1.5"'],
  ];
  for (const [label, env, flags, message] of cases) {
    test(`refuses ${label}, naming the setting`, () => {
      expect(() => read(env, flags)).toThrow(ConfigError);
      expect(() => read(env, flags)).toThrow(message);
    });
  }

  test('the housekeeping: a sweep interval may be a fraction of a minute, 0 turns it off; 0 days keeps the audit log forever', () => {
    expect(read({ PORTICO_UPSTREAM: 'http://x', PORTICO_SWEEP_MINUTES: '0.5', PORTICO_AUDIT_RETENTION_DAYS: '0' })).toMatchObject({ sweepMinutes: 0.5, auditRetentionDays: 0 });
    expect(read({ PORTICO_UPSTREAM: 'http://x' }, { '--sweep-minutes': '0', '--audit-retention-days': '365' })).toMatchObject({ sweepMinutes: 0, auditRetentionDays: 365 });
  });

  test('a malformed header setting is refused without echoing its secret value', () => {
    let message = '';
    try {
      read({ PORTICO_UPSTREAM: 'http://x', PORTICO_UPSTREAM_HEADERS: 'Bad Name: hunter2' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('PORTICO_UPSTREAM_HEADERS must look like "Name: value; Other-Name: value"');
    expect(message).not.toContain('hunter2');
    expect(() => read({ PORTICO_UPSTREAM: 'http://x', PORTICO_UPSTREAM_HEADERS: 'X-Key: a\r\nX-Evil: b' })).toThrow(ConfigError);
  });
});
