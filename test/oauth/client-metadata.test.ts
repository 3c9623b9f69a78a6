/**
 * Client metadata from a registration request (RFC 7591) or a client ID metadata document: every field rule, the
 * OAuth error code, and a description that names the field. Real clients' registrations are accepted as sent.
 */
import { describe, expect, test } from 'bun:test';
import {
  ClientMetadataError,
  clientMetadataToJson,
  parseClientMetadata,
  type ClientMetadataErrorCode,
  type MetadataSource,
} from '../../src/oauth/client-metadata';

const base = { redirect_uris: ['https://app.example.com/callback'], token_endpoint_auth_method: 'none' };
const document = { ...base, client_id: 'https://app.example.com/client.json', client_name: 'Example' };

/** The error `parseClientMetadata` throws for `raw` (fails the test when it does not throw). */
function refusal(raw: unknown, source: MetadataSource = 'registration'): ClientMetadataError {
  try {
    parseClientMetadata(raw, source);
  } catch (error) {
    if (error instanceof ClientMetadataError) return error;
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(raw)}`);
}

function expectRefused(raw: unknown, code: ClientMetadataErrorCode, ...words: string[]): void {
  const error = refusal(raw);
  expect(error.error).toBe(code);
  for (const word of words) expect(error.error_description).toContain(word);
}

describe('what real MCP clients register is accepted', () => {
  test('Claude Code: localhost callback on a random port, public client', () => {
    const metadata = parseClientMetadata({
      client_name: 'Claude Code (portico)',
      redirect_uris: ['http://localhost:53682/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }, 'registration');
    expect(metadata).toEqual({
      // Claude Code does not say; its loopback callback says it for it
      applicationType: 'native',
      clientName: 'Claude Code (portico)',
      redirectUris: ['http://localhost:53682/callback'],
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      tokenEndpointAuthMethod: 'none',
    });
  });

  test('Claude Desktop (claude:// scheme) and claude.ai connectors (confidential, client_secret_post)', () => {
    expect(parseClientMetadata({ client_name: 'Claude', redirect_uris: ['claude://claude.ai/mcp-auth-callback/sdk'], token_endpoint_auth_method: 'none' }, 'registration').redirectUris)
      .toEqual(['claude://claude.ai/mcp-auth-callback/sdk']);
    const connector = parseClientMetadata({
      client_name: 'Claude',
      redirect_uris: ['https://claude.ai/api/mcp/auth_callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }, 'registration');
    expect(connector.tokenEndpointAuthMethod).toBe('client_secret_post');
  });

  test('Cursor: private-use scheme, public client', () => {
    const metadata = parseClientMetadata({
      client_name: 'Cursor',
      redirect_uris: ['cursor://anysphere.cursor-retrieval/oauth/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }, 'registration');
    expect(metadata.redirectUris).toEqual(['cursor://anysphere.cursor-retrieval/oauth/callback']);
  });

  test('VS Code: vscode.dev redirects and 127.0.0.1 with and without its preferred port, as a native application', () => {
    // VS Code narrows grant_types to the server's grant_types_supported (authorization_code, refresh_token here)
    const metadata = parseClientMetadata({
      client_name: 'Visual Studio Code',
      client_uri: 'https://code.visualstudio.com',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['https://insiders.vscode.dev/redirect', 'https://vscode.dev/redirect', 'http://127.0.0.1/', 'http://127.0.0.1:33418/'],
      scope: 'read write',
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    }, 'registration');
    expect(metadata.redirectUris).toHaveLength(4);
    expect(metadata.applicationType).toBe('native');
    expect(metadata.clientUri).toBe('https://code.visualstudio.com');
    expect(metadata.scope).toBe('read write');
  });

  test('VS Code extensions: vscode:// scheme', () => {
    expect(parseClientMetadata({ redirect_uris: ['vscode://vscode.github-authentication/did-authenticate'], token_endpoint_auth_method: 'none' }, 'registration').redirectUris)
      .toEqual(['vscode://vscode.github-authentication/did-authenticate']);
  });

  test('mcp-remote: localhost /oauth/callback, client_uri, software_id and software_version', () => {
    const metadata = parseClientMetadata({
      redirect_uris: ['http://localhost:3334/oauth/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      client_name: 'MCP CLI Proxy',
      client_uri: 'https://github.com/modelcontextprotocol/mcp-cli',
      software_id: '2e6dc280-f3c3-4e01-99a7-8181dbd1d23d',
      software_version: '0.1.29',
    }, 'registration');
    expect(metadata.softwareId).toBe('2e6dc280-f3c3-4e01-99a7-8181dbd1d23d');
    expect(metadata.softwareVersion).toBe('0.1.29');
  });

  test('the MCP specification example metadata document', () => {
    const metadata = parseClientMetadata({
      client_id: 'https://app.example.com/oauth/client-metadata.json',
      client_name: 'Example MCP Client',
      client_uri: 'https://app.example.com',
      logo_uri: 'https://app.example.com/logo.png',
      redirect_uris: ['http://127.0.0.1:3000/callback', 'http://localhost:3000/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }, 'document');
    expect(metadata.grantTypes).toEqual(['authorization_code']);
    expect(metadata.logoUri).toBe('https://app.example.com/logo.png');
  });
});

describe('the object itself', () => {
  for (const raw of [null, undefined, 'x', 42, true, [], [base]]) {
    test(`${JSON.stringify(raw) ?? 'undefined'} is refused`, () => {
      expectRefused(raw, 'invalid_client_metadata', 'must be a JSON object');
    });
  }

  test('unknown fields are ignored, including localized variants', () => {
    const metadata = parseClientMetadata({ ...base, 'client_name#fr': '<script>', extra: { deep: [1] } }, 'registration');
    expect(Object.keys(metadata).sort()).toEqual(['applicationType', 'grantTypes', 'redirectUris', 'responseTypes', 'tokenEndpointAuthMethod']);
  });

  test('application_type (MCP 2026-07-28 asks clients to send it): kept and returned; inferred for clients that do not send it', () => {
    const native = parseClientMetadata({ redirect_uris: ['http://127.0.0.1:8765/callback', 'claude://callback'], token_endpoint_auth_method: 'none', application_type: 'native' }, 'registration');
    expect(clientMetadataToJson(native).application_type).toBe('native');
    const web = { redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'none' };
    expect(parseClientMetadata({ ...web, application_type: 'web' }, 'registration').applicationType).toBe('web');
    expect(parseClientMetadata(web, 'registration').applicationType).toBe('web');
    expect(parseClientMetadata({ redirect_uris: ['http://localhost:3334/oauth/callback'], token_endpoint_auth_method: 'none' }, 'registration').applicationType).toBe('native');
    // of both kinds, not said: left unsaid
    expect(parseClientMetadata({ redirect_uris: ['https://vscode.dev/redirect', 'http://127.0.0.1/'], token_endpoint_auth_method: 'none' }, 'registration').applicationType).toBeUndefined();
    expectRefused({ ...web, application_type: 'desktop' }, 'invalid_client_metadata', 'application_type "desktop" is not one of web, native');
    expectRefused({ redirect_uris: ['cursor://anysphere.cursor-retrieval/oauth/callback'], token_endpoint_auth_method: 'none', application_type: 'web' }, 'invalid_redirect_uri', 'register it with application_type "native"');
  });

  test('a registration may not hand itself a client_id or secret: those fields are ignored', () => {
    const metadata = parseClientMetadata({ ...base, client_id: 'admin', client_secret: 'chosen' }, 'registration');
    expect(clientMetadataToJson(metadata)).not.toHaveProperty('client_id');
    expect(clientMetadataToJson(metadata)).not.toHaveProperty('client_secret');
  });
});

describe('redirect_uris', () => {
  test('required, non-empty, an array of strings', () => {
    expectRefused({ token_endpoint_auth_method: 'none' }, 'invalid_redirect_uri', 'redirect_uris is required');
    expectRefused({ ...base, redirect_uris: [] }, 'invalid_redirect_uri', 'redirect_uris is empty');
    expectRefused({ ...base, redirect_uris: 'https://app.example.com/cb' }, 'invalid_redirect_uri', 'redirect_uris must be an array of strings');
    expectRefused({ ...base, redirect_uris: [42] }, 'invalid_redirect_uri', 'redirect_uris must be an array of strings');
    expectRefused({ ...base, redirect_uris: null }, 'invalid_redirect_uri', 'redirect_uris must be an array of strings');
  });

  test('at most 20', () => {
    const uris = (n: number) => Array.from({ length: n }, (_, i) => `https://app.example.com/cb${i}`);
    expect(parseClientMetadata({ ...base, redirect_uris: uris(20) }, 'registration').redirectUris).toHaveLength(20);
    expectRefused({ ...base, redirect_uris: uris(21) }, 'invalid_redirect_uri', 'lists 21 URIs; at most 20');
  });

  test('each one passes the redirect URI rules, with the reason in the description', () => {
    expectRefused({ ...base, redirect_uris: ['https://ok.example/cb', 'javascript:alert(1)'] }, 'invalid_redirect_uri',
      'redirect_uris: redirect URI "javascript:alert(1)" uses the scheme "javascript:", which is never allowed');
    expectRefused({ ...base, redirect_uris: ['http://evil.example/cb'] }, 'invalid_redirect_uri', 'http:', 'loopback');
    expectRefused({ ...base, redirect_uris: ['https://app.example.com/cb#x'] }, 'invalid_redirect_uri', 'fragment');
  });

  test('private-use schemes need a public client (token_endpoint_auth_method "none")', () => {
    const cursor = ['cursor://anysphere.cursor-retrieval/oauth/callback'];
    expect(parseClientMetadata({ redirect_uris: cursor, token_endpoint_auth_method: 'none' }, 'registration').redirectUris).toEqual(cursor);
    expectRefused({ redirect_uris: cursor, token_endpoint_auth_method: 'client_secret_basic' }, 'invalid_redirect_uri', 'only allowed for public clients');
    // the RFC 7591 default method (client_secret_basic) makes a confidential client
    expectRefused({ redirect_uris: cursor }, 'invalid_redirect_uri', 'only allowed for public clients');
  });

  test('duplicates are kept once', () => {
    expect(parseClientMetadata({ ...base, redirect_uris: ['https://a.example/cb', 'https://a.example/cb'] }, 'registration').redirectUris).toEqual(['https://a.example/cb']);
  });
});

describe('grant_types and response_types', () => {
  test('default: authorization_code and refresh_token; code', () => {
    const metadata = parseClientMetadata(base, 'registration');
    expect(metadata.grantTypes).toEqual(['authorization_code', 'refresh_token']);
    expect(metadata.responseTypes).toEqual(['code']);
  });

  test('authorization_code alone is fine (no refresh tokens for that client)', () => {
    expect(parseClientMetadata({ ...base, grant_types: ['authorization_code'] }, 'registration').grantTypes).toEqual(['authorization_code']);
  });

  test('other grants are refused, naming the grant', () => {
    expectRefused({ ...base, grant_types: ['authorization_code', 'implicit'] }, 'invalid_client_metadata', 'grant_types', '"implicit" is not supported');
    expectRefused({ ...base, grant_types: ['client_credentials'] }, 'invalid_client_metadata', 'grant_types', '"client_credentials"');
    expectRefused({ ...base, grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'] }, 'invalid_client_metadata', 'device_code');
  });

  test('authorization_code is required', () => {
    expectRefused({ ...base, grant_types: ['refresh_token'] }, 'invalid_client_metadata', 'grant_types must include "authorization_code"');
    expectRefused({ ...base, grant_types: [] }, 'invalid_client_metadata', 'grant_types must include "authorization_code"');
  });

  test('wrong types name the field', () => {
    expectRefused({ ...base, grant_types: 'authorization_code' }, 'invalid_client_metadata', 'grant_types must be an array of strings');
    expectRefused({ ...base, response_types: 'code' }, 'invalid_client_metadata', 'response_types must be an array of strings');
  });

  test('response_types other than code are refused', () => {
    expectRefused({ ...base, response_types: ['token'] }, 'invalid_client_metadata', 'response_types', '"token" is not supported');
    expectRefused({ ...base, response_types: ['code', 'id_token'] }, 'invalid_client_metadata', '"id_token"');
    expectRefused({ ...base, response_types: [] }, 'invalid_client_metadata', 'response_types is empty');
  });
});

describe('token_endpoint_auth_method', () => {
  test('registration default is client_secret_basic (RFC 7591 §2)', () => {
    expect(parseClientMetadata({ redirect_uris: ['https://a.example/cb'] }, 'registration').tokenEndpointAuthMethod).toBe('client_secret_basic');
  });

  for (const method of ['none', 'client_secret_post', 'client_secret_basic'] as const) {
    test(`${method} is accepted at registration`, () => {
      expect(parseClientMetadata({ ...base, token_endpoint_auth_method: method }, 'registration').tokenEndpointAuthMethod).toBe(method);
    });
  }

  test('key-based and unknown methods are not supported', () => {
    expectRefused({ ...base, token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata', 'token_endpoint_auth_method', '"private_key_jwt" is not supported');
    expectRefused({ ...base, token_endpoint_auth_method: 'client_secret_jwt' }, 'invalid_client_metadata', 'not supported');
    expectRefused({ ...base, token_endpoint_auth_method: 'tls_client_auth' }, 'invalid_client_metadata', 'not supported');
    expectRefused({ ...base, token_endpoint_auth_method: 7 }, 'invalid_client_metadata', 'token_endpoint_auth_method must be a string');
  });

  test('jwks and jwks_uri are not supported', () => {
    expectRefused({ ...base, jwks: { keys: [] } }, 'invalid_client_metadata', 'jwks is not supported');
    expectRefused({ ...base, jwks_uri: 'https://a.example/jwks.json' }, 'invalid_client_metadata', 'jwks_uri is not supported');
  });
});

describe('client_name', () => {
  test('trimmed; empty means absent', () => {
    expect(parseClientMetadata({ ...base, client_name: '  My App \t' }, 'registration').clientName).toBe('My App');
    expect(parseClientMetadata({ ...base, client_name: '   ' }, 'registration').clientName).toBeUndefined();
  });

  test('at most 100 characters (counted as characters, not UTF-16 units)', () => {
    expect(parseClientMetadata({ ...base, client_name: '😀'.repeat(100) }, 'registration').clientName).toBe('😀'.repeat(100));
    expectRefused({ ...base, client_name: 'a'.repeat(101) }, 'invalid_client_metadata', 'client_name is longer than 100 characters');
  });

  test('no control or bidi/invisible characters; HTML is left for the page to escape', () => {
    expectRefused({ ...base, client_name: 'Good\u0000App' }, 'invalid_client_metadata', 'client_name contains control');
    expectRefused({ ...base, client_name: 'Good\nApp' }, 'invalid_client_metadata', 'client_name contains control');
    expectRefused({ ...base, client_name: 'Trusted \u202eppA' }, 'invalid_client_metadata', 'client_name');
    expectRefused({ ...base, client_name: 'Git\u200bHub' }, 'invalid_client_metadata', 'client_name');
    expect(parseClientMetadata({ ...base, client_name: '<script>alert(1)</script>' }, 'registration').clientName).toBe('<script>alert(1)</script>');
  });

  test('must be a string', () => {
    expectRefused({ ...base, client_name: ['x'] }, 'invalid_client_metadata', 'client_name must be a string');
  });
});

describe('client_uri, logo_uri, policy_uri, tos_uri', () => {
  for (const field of ['client_uri', 'logo_uri', 'policy_uri', 'tos_uri']) {
    test(`${field}: https only, the field is named`, () => {
      expect(clientMetadataToJson(parseClientMetadata({ ...base, [field]: 'https://app.example.com/x' }, 'registration'))).toHaveProperty(field, 'https://app.example.com/x');
      for (const bad of ['http://app.example.com/x', 'javascript:alert(1)', 'data:image/png;base64,AAAA', '//app.example.com/x', 'app.example.com', 'https:app.example.com', 'https:///x']) {
        expectRefused({ ...base, [field]: bad }, 'invalid_client_metadata', `${field} must be an https:// URL`);
      }
      expectRefused({ ...base, [field]: 'https://user:pw@app.example.com/' }, 'invalid_client_metadata', `${field} must not contain user information`);
      expectRefused({ ...base, [field]: 'https://app.example.com/ x' }, 'invalid_client_metadata', `${field} contains whitespace`);
      expectRefused({ ...base, [field]: `https://app.example.com/${'a'.repeat(2000)}` }, 'invalid_client_metadata', `${field} is longer than 2000`);
      expectRefused({ ...base, [field]: 5 }, 'invalid_client_metadata', `${field} must be a string`);
    });
  }
});

describe('scope, contacts, software_id, software_version', () => {
  test('scope is kept as given, up to 200 characters', () => {
    expect(parseClientMetadata({ ...base, scope: 'read write offline_access' }, 'registration').scope).toBe('read write offline_access');
    expect(parseClientMetadata({ ...base, scope: '' }, 'registration').scope).toBeUndefined();
    expectRefused({ ...base, scope: 'a'.repeat(201) }, 'invalid_client_metadata', 'scope is longer than 200');
    expectRefused({ ...base, scope: ['read'] }, 'invalid_client_metadata', 'scope must be a string');
    expectRefused({ ...base, scope: 'read  write' }, 'invalid_client_metadata', 'scope must be scope names separated by single spaces');
    expectRefused({ ...base, scope: 'read "write"' }, 'invalid_client_metadata', 'scope');
    expectRefused({ ...base, scope: 'read\nwrite' }, 'invalid_client_metadata', 'scope');
  });

  test('contacts: up to 5 strings', () => {
    expect(parseClientMetadata({ ...base, contacts: ['ops@example.com'] }, 'registration').contacts).toEqual(['ops@example.com']);
    expectRefused({ ...base, contacts: ['a', 'b', 'c', 'd', 'e', 'f'] }, 'invalid_client_metadata', 'contacts lists 6 entries; at most 5');
    expectRefused({ ...base, contacts: 'ops@example.com' }, 'invalid_client_metadata', 'contacts must be an array of strings');
    expectRefused({ ...base, contacts: [{ email: 'x' }] }, 'invalid_client_metadata', 'contacts must be an array of strings');
    expectRefused({ ...base, contacts: ['a'.repeat(321)] }, 'invalid_client_metadata', 'contacts: an entry is longer');
  });

  test('software_id and software_version: short strings', () => {
    expectRefused({ ...base, software_id: 12 }, 'invalid_client_metadata', 'software_id must be a string');
    expectRefused({ ...base, software_version: 'x'.repeat(201) }, 'invalid_client_metadata', 'software_version is longer than 200');
    expectRefused({ ...base, software_version: '1.0\u0007' }, 'invalid_client_metadata', 'software_version contains control');
  });
});

describe('a client ID metadata document', () => {
  const refusedDocument = (raw: unknown) => refusal(raw, 'document');

  test('the auth method defaults to none, the only one allowed', () => {
    const { token_endpoint_auth_method: _, ...withoutMethod } = document;
    expect(parseClientMetadata(withoutMethod, 'document').tokenEndpointAuthMethod).toBe('none');
    for (const method of ['client_secret_post', 'client_secret_basic']) {
      const error = refusedDocument({ ...document, token_endpoint_auth_method: method });
      expect(error.error).toBe('invalid_client_metadata');
      expect(error.error_description).toContain(`token_endpoint_auth_method "${method}" is not allowed in a client ID metadata document`);
    }
    expect(refusedDocument({ ...document, token_endpoint_auth_method: 'private_key_jwt' }).error_description).toContain('not supported');
  });

  test('no client_secret or client_secret_expires_at', () => {
    expect(refusedDocument({ ...document, client_secret: 's3cret' }).error_description).toContain('client_secret must not appear in a client ID metadata document');
    expect(refusedDocument({ ...document, client_secret_expires_at: 0 }).error_description).toContain('client_secret_expires_at must not appear');
  });

  test('client_name is required (MCP: client_id, client_name, redirect_uris)', () => {
    const { client_name: _, ...nameless } = document;
    expect(refusedDocument(nameless).error_description).toBe('client_name is required in a client ID metadata document');
    expect(refusedDocument({ ...document, client_name: ' ' }).error_description).toContain('client_name is required');
  });

  test('private-use schemes are fine: a document client is always public', () => {
    expect(parseClientMetadata({ ...document, redirect_uris: ['cursor://anysphere.cursor-retrieval/oauth/callback'] }, 'document').redirectUris).toHaveLength(1);
  });
});

describe('clientMetadataToJson', () => {
  test('round-trips through the RFC 7591 names', () => {
    const raw = {
      redirect_uris: ['https://app.example.com/cb'],
      application_type: 'web',
      client_name: 'App',
      client_uri: 'https://app.example.com',
      logo_uri: 'https://app.example.com/logo.png',
      policy_uri: 'https://app.example.com/policy',
      tos_uri: 'https://app.example.com/tos',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'read',
      software_id: 'id',
      software_version: '1',
      contacts: ['ops@example.com'],
    };
    const json = clientMetadataToJson(parseClientMetadata(raw, 'registration'));
    expect(json).toEqual(raw as typeof json);
    expect(parseClientMetadata(json, 'registration')).toEqual(parseClientMetadata(raw, 'registration'));
  });

  test('absent fields stay absent; defaults are spelled out (application_type as the redirect URIs show it)', () => {
    expect(clientMetadataToJson(parseClientMetadata(base, 'registration'))).toEqual({
      redirect_uris: ['https://app.example.com/callback'],
      application_type: 'web',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
  });
});

describe('ClientMetadataError', () => {
  test('serialises as an RFC 7591 error response, without the log-only detail', () => {
    const error = new ClientMetadataError('invalid_client', 'no', 'resolved to 10.0.0.1');
    expect(JSON.parse(JSON.stringify(error))).toEqual({ error: 'invalid_client', error_description: 'no' });
    expect(error.detail).toBe('resolved to 10.0.0.1');
    expect(error.message).toBe('no');
    expect(error).toBeInstanceOf(Error);
  });
});
