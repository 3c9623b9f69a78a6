/**
 * Where a client may redirect (RFC 8252, MCP "Communication Security", research ATK-01) and how a requested
 * redirect URI is matched against the registered ones.
 */
import { describe, expect, test } from 'bun:test';
import { checkRedirectUri, redirectUriMatches, type ClientKind } from '../../src/oauth/redirect-uri';

describe('checkRedirectUri: accepted', () => {
  const accepted: [string, ClientKind][] = [
    ['https://claude.ai/api/mcp/auth_callback', 'confidential'],
    ['https://vscode.dev/redirect', 'public'],
    ['https://insiders.vscode.dev/redirect', 'public'],
    ['https://app.example.com/cb?tenant=a&x=1', 'confidential'],
    ['https://app.example.com:8443/cb', 'confidential'],
    ['https://[2001:db8::1]/cb', 'confidential'],
    ['https://xn--bcher-kva.example/cb', 'public'],
    ['http://localhost:53682/callback', 'public'],
    ['http://localhost/callback', 'public'],
    ['http://127.0.0.1:33418/', 'public'],
    ['http://127.0.0.1/', 'public'],
    ['http://[::1]:8080/cb', 'public'],
    ['http://localhost:3000/oauth/callback', 'confidential'],
    ['cursor://anysphere.cursor-retrieval/oauth/callback', 'public'],
    ['cursor://anysphere.cursor-mcp/oauth/callback', 'public'],
    ['claude://claude.ai/mcp-auth-callback/sdk', 'public'],
    ['vscode://vscode.github-authentication/did-authenticate', 'public'],
    ['com.example.app:/oauth2redirect', 'public'],
    ['https://app.example.com/cb%20with%20space', 'public'],
  ];
  for (const [uri, kind] of accepted) {
    test(`${uri} (${kind})`, () => {
      expect(checkRedirectUri(uri, kind)).toBeNull();
    });
  }
});

describe('checkRedirectUri: refused, with the reason', () => {
  const refused: [string, ClientKind, string][] = [
    ['javascript:alert(1)', 'public', 'uses the scheme "javascript:", which is never allowed'],
    ['JavaScript:alert(1)', 'public', 'uses the scheme "javascript:", which is never allowed'],
    ['data:text/html,<script>alert(1)</script>', 'public', 'contains the character "<"'],
    ['data:text/html;base64,PHNjcmlwdD4=', 'public', 'uses the scheme "data:", which is never allowed'],
    ['vbscript:msgbox(1)', 'public', 'uses the scheme "vbscript:"'],
    ['file:///etc/passwd', 'public', 'uses the scheme "file:"'],
    ['blob:https://evil.example/uuid', 'public', 'uses the scheme "blob:"'],
    ['about:blank', 'public', 'uses the scheme "about:"'],
    ['ftp://example.com/cb', 'public', 'uses the scheme "ftp:"'],
    ['ws://localhost:1234/cb', 'public', 'uses the scheme "ws:"'],
    ['wss://example.com/cb', 'public', 'uses the scheme "wss:"'],
    ['mailto:attacker@evil.example', 'public', 'uses the scheme "mailto:"'],
    ['/callback', 'public', 'is not an absolute URI'],
    ['callback', 'public', 'is not an absolute URI'],
    ['//evil.example/cb', 'public', 'is not an absolute URI'],
    ['C:/Users/me/cb', 'public', 'looks like a file path'],
    ['https://app.example.com/cb#frag', 'public', 'has a fragment'],
    ['https://app.example.com/cb#', 'public', 'has a fragment'],
    ['https://good.example@evil.example/cb', 'public', 'contains user information'],
    ['https://@evil.example/cb', 'public', 'contains user information'],
    ['http://localhost:3000@evil.example/cb', 'public', 'contains user information'],
    ['https://good.example\\@evil.example/cb', 'public', 'contains the character "\\"'],
    ['https:///cb', 'public', 'has no host'],
    ['https:evil.example/cb', 'public', 'has no host'],
    ['http://example.com/cb', 'public', 'uses http: with a host other than localhost, 127.0.0.1 or [::1]'],
    ['http://localhost.evil.example/cb', 'public', 'uses http: with a host other than localhost'],
    ['http://127.0.0.2/cb', 'public', 'uses http: with a host other than localhost'],
    ['http://127.1/cb', 'public', 'uses http: with a host other than localhost'],
    ['http://0x7f000001/cb', 'public', 'uses http: with a host other than localhost'],
    ['http://[::ffff:127.0.0.1]/cb', 'public', 'uses http: with a host other than localhost'],
    ['http://10.0.0.5/cb', 'public', 'uses http: with a host other than localhost'],
    ['cursor://anysphere.cursor-retrieval/oauth/callback', 'confidential', 'only allowed for public clients (token_endpoint_auth_method "none")'],
    ['com.example.app:/cb', 'confidential', 'only allowed for public clients'],
    ['myapp:', 'public', 'has nothing after its scheme'],
    ['https://app.example.com/c b', 'public', 'contains whitespace or control characters'],
    ['https://app.example.com/cb\n', 'public', 'contains whitespace or control characters'],
    ['https://app.example.com/\u0000', 'public', 'contains whitespace or control characters'],
    ['https://app.example.com/\u202ebc', 'public', 'contains the character "\u202e"'],
    ['https://bücher.example/cb', 'public', 'contains the character "ü"'],
    ['https://app.example.com/<script>', 'public', 'contains the character "<"'],
    ['https://app.example.com/%zz', 'public', 'does not start a percent-encoded byte'],
    ['http://localhost:99999/cb', 'public', 'is not a valid absolute URI'],
    ['', 'public', 'is empty'],
    [`https://app.example.com/${'a'.repeat(2000)}`, 'public', 'characters long; at most 2000 are allowed'],
  ];
  for (const [uri, kind, reason] of refused) {
    test(`${JSON.stringify(uri.slice(0, 60))} (${kind})`, () => {
      expect(checkRedirectUri(uri, kind)).toContain(reason);
    });
  }

  test('the reason quotes the URI, cut short when it is huge', () => {
    expect(checkRedirectUri('javascript:alert(1)', 'public')).toBe('redirect URI "javascript:alert(1)" uses the scheme "javascript:", which is never allowed');
    expect(checkRedirectUri(`https://x.example/${'a'.repeat(1990)}#`, 'public')!.length).toBeLessThan(400);
  });

  test('exactly 2000 characters is still fine', () => {
    const uri = `https://app.example.com/${'a'.repeat(2000 - 'https://app.example.com/'.length)}`;
    expect(uri.length).toBe(2000);
    expect(checkRedirectUri(uri, 'public')).toBeNull();
  });
});

describe('redirectUriMatches: exact', () => {
  const registered = ['https://app.example.com/callback', 'https://app.example.com/cb?tenant=a'];
  const cases: [string, boolean][] = [
    ['https://app.example.com/callback', true],
    ['https://app.example.com/cb?tenant=a', true],
    ['https://app.example.com/callback/', false],
    ['https://app.example.com/Callback', false],
    ['https://APP.example.com/callback', false],
    ['HTTPS://app.example.com/callback', false],
    ['https://app.example.com/%63allback', false],
    ['https://app.example.com:443/callback', false],
    ['https://app.example.com/callback?x=1', false],
    ['https://app.example.com/callback#x', false],
    ['https://app.example.com/cb?tenant=b', false],
    ['https://app.example.com/cb?tenant=a&tenant=b', false],
    ['https://app.example.com/cb', false],
    ['https://app.example.com.evil.example/callback', false],
    ['https://app.example.com@evil.example/callback', false],
    ['https://app.example.com:8443/callback', false],
    ['', false],
  ];
  for (const [requested, expected] of cases) {
    test(`${requested || '(empty)'} → ${expected}`, () => {
      expect(redirectUriMatches(registered, requested)).toBe(expected);
    });
  }

  test('nothing registered matches nothing', () => {
    expect(redirectUriMatches([], 'https://app.example.com/callback')).toBe(false);
  });
});

describe('redirectUriMatches: loopback http: any port (RFC 8252 §7.3)', () => {
  const cases: [string, string, boolean][] = [
    ['http://localhost:3000/callback', 'http://localhost:49152/callback', true],
    ['http://localhost:3000/callback', 'http://localhost/callback', true],
    ['http://localhost/callback', 'http://localhost:8080/callback', true],
    ['http://127.0.0.1/', 'http://127.0.0.1:33418/', true],
    ['http://127.0.0.1:33418/', 'http://127.0.0.1:51234/', true],
    ['http://[::1]:1/cb', 'http://[::1]:65535/cb', true],
    ['http://127.0.0.1:3000/cb?state=x', 'http://127.0.0.1:4000/cb?state=x', true],
    // host must be identical: the three loopback names are not interchangeable
    ['http://localhost:3000/callback', 'http://127.0.0.1:3000/callback', false],
    ['http://127.0.0.1:3000/callback', 'http://localhost:3000/callback', false],
    ['http://127.0.0.1:3000/callback', 'http://[::1]:3000/callback', false],
    // path and query must be identical
    ['http://localhost:3000/callback', 'http://localhost:4000/callback/', false],
    ['http://localhost:3000/callback', 'http://localhost:4000/Callback', false],
    ['http://localhost:3000/callback', 'http://localhost:4000/%63allback', false],
    ['http://localhost:3000/callback', 'http://localhost:4000/callback?x=1', false],
    ['http://localhost:3000/callback', 'http://localhost:4000/other', false],
    ['http://127.0.0.1:33418/', 'http://127.0.0.1:33418', false],
    ['http://127.0.0.1/', 'http://127.0.0.1:5000/#x', false],
    // the port must be a port
    ['http://localhost:3000/callback', 'http://localhost:0/callback', false],
    ['http://localhost:3000/callback', 'http://localhost:65536/callback', false],
    ['http://localhost:3000/callback', 'http://localhost:03000/callback', false],
    ['http://localhost:3000/callback', 'http://localhost:/callback', false],
    // nothing that only looks like the loopback host
    ['http://localhost:3000/callback', 'http://localhost:3000@evil.example/callback', false],
    ['http://localhost:3000/callback', 'http://localhost.evil.example:3000/callback', false],
    ['http://localhost:3000/callback', 'http://LOCALHOST:3000/callback', false],
    ['http://localhost:3000/callback', 'https://localhost:4000/callback', false],
    // the port rule is for loopback http: only
    ['https://localhost:3000/callback', 'https://localhost:4000/callback', false],
    ['https://app.example.com:3000/callback', 'https://app.example.com:4000/callback', false],
    ['cursor://anysphere.cursor-retrieval/oauth/callback', 'cursor://anysphere.cursor-retrieval:1/oauth/callback', false],
  ];
  for (const [registered, requested, expected] of cases) {
    test(`${registered} ~ ${requested} → ${expected}`, () => {
      expect(redirectUriMatches([registered], requested)).toBe(expected);
    });
  }

  test('one loopback registration among others', () => {
    const registered = ['https://vscode.dev/redirect', 'http://127.0.0.1/', 'http://127.0.0.1:33418/'];
    expect(redirectUriMatches(registered, 'http://127.0.0.1:40001/')).toBe(true);
    expect(redirectUriMatches(registered, 'https://vscode.dev/redirect')).toBe(true);
    expect(redirectUriMatches(registered, 'http://127.0.0.1:40001/other')).toBe(false);
  });
});
