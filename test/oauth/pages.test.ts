import { describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import {
  accountPage, consentPage, errorPage, loginPage, PAGE_SECURITY_HEADERS,
  type Brand, type ClientView, type PageResult, type ScopeChoice,
} from '../../src/oauth/pages';

// ---- a small HTML reader: elements with decoded attributes, and the decoded text ----

interface El { tag: string; attrs: Record<string, string> }
interface Doc { els: El[]; text: string; html: string }

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    const k = e.toLowerCase();
    if (k.startsWith('#x')) return String.fromCodePoint(parseInt(k.slice(2), 16));
    if (k.startsWith('#')) return String.fromCodePoint(parseInt(k.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[k] ?? '';
  });
}

function parse(html: string): Doc {
  const els: El[] = [];
  let text = '';
  new HTMLRewriter()
    .on('*', {
      element(e) {
        const attrs: Record<string, string> = {};
        for (const [name, value] of e.attributes) attrs[name] = decode(value);
        els.push({ tag: e.tagName, attrs });
      },
    })
    .onDocument({ text(t) { text += t.text; } })
    .transform(html);
  return { els, text: decode(text).replace(/\s+/g, ' '), html };
}

const all = (d: Doc, tag: string, where: Record<string, string> = {}): El[] =>
  d.els.filter((e) => e.tag === tag && Object.entries(where).every(([k, v]) => e.attrs[k] === v));
function one(d: Doc, tag: string, where: Record<string, string> = {}): El {
  const found = all(d, tag, where);
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** The name=value pairs a browser would submit from the page's n-th form when `decision` is the clicked button. */
function submitted(html: string, formIndex: number, decision?: string): [string, string][] {
  const forms = html.split('<form').slice(1).map((f) => f.slice(0, f.indexOf('</form>')));
  const doc = parse(`<form${forms[formIndex]!}</form>`);
  const pairs: [string, string][] = [];
  for (const e of doc.els) {
    const { name, value = '', type } = e.attrs;
    if (name === undefined || 'disabled' in e.attrs) continue;
    if (e.tag === 'input' && type === 'checkbox' && !('checked' in e.attrs)) continue;
    if (e.tag === 'button' && value !== decision) continue;
    pairs.push([name, value]);
  }
  return pairs;
}

// ---- fixtures ----

const brand: Brand = { name: 'Acme Cloud', logoUrl: '/static/logo.svg' };
const client: ClientView = {
  name: 'Claude', id: 'https://claude.ai/oauth/client.json', uri: 'https://claude.ai/',
  logoUri: 'https://claude.ai/logo.png', verified: true, redirectUri: 'https://app.example/cb?x=1&y=2',
};
/** What Claude Code, Cursor and mcp-remote are: registered themselves, and answered on this computer. */
const selfRegistered: ClientView = { name: 'Claude Code', id: 'pcl_123', verified: false, redirectUri: 'http://127.0.0.1:33418/callback' };
const scopes: ScopeChoice[] = [
  { scope: 'read', summary: 'See databases and backups', toolCount: 12, checked: true, allowed: true, required: true },
  { scope: 'write', summary: 'Create and change databases', toolCount: 1, checked: true, allowed: true, required: false },
  { scope: 'admin', summary: 'Delete databases and manage users', toolCount: 4, checked: false, allowed: false, required: false },
];
const login = (over: Partial<Parameters<typeof loginPage>[0]> = {}) =>
  loginPage({ brand, action: '/oauth/login', csrf: 'csrf-1', client, ...over });
const consent = (over: Partial<Parameters<typeof consentPage>[0]> = {}) =>
  consentPage({
    brand, action: '/oauth/consent', csrf: 'csrf-2', client,
    user: { name: 'alice' }, scopes, ...over,
  });
const error = (over: Partial<Parameters<typeof errorPage>[0]> = {}) =>
  errorPage({ brand, title: 'Unknown app', message: 'This app is not registered.', status: 400, ...over });
/** The text of the elements named `tag` (and everything inside them). */
const textIn = (html: string, tag: string): string =>
  [...html.matchAll(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => parse(m[1]!).text).join(' ');
const account = (over: Partial<Parameters<typeof accountPage>[0]> = {}) =>
  accountPage({
    brand, action: '/account/disconnect', csrf: 'csrf-3', user: { name: 'alice' },
    connections: [
      { grantId: 'g-1', clientName: 'Claude', scopes: ['read', 'write'], connectedAt: new Date('2025-01-02T03:04:05Z'), lastUsedAt: new Date('2025-02-03T04:05:06Z') },
      { grantId: 'g-2', clientName: 'Cursor', scopes: ['read'], connectedAt: new Date('2024-12-31T23:59:59Z') },
    ],
    ...over,
  });

const pages: [string, (b?: Brand) => PageResult][] = [
  ['login', (b = brand) => login({ brand: b })],
  ['consent', (b = brand) => consent({ brand: b })],
  ['error', (b = brand) => error({ brand: b })],
  ['account', (b = brand) => account({ brand: b })],
];

// ---- every page ----

describe.each(pages)('%s page shell', (_, render) => {
  const page = render();
  const doc = parse(page.html);

  test('is a complete, script-free HTML document', () => {
    expect(page.html.startsWith('<!doctype html>')).toBe(true);
    one(doc, 'html', { lang: 'en' });
    one(doc, 'meta', { name: 'viewport' });
    one(doc, 'meta', { name: 'referrer', content: 'same-origin' });
    expect(page.html).not.toMatch(/<script/i);
    expect(doc.els.flatMap((e) => Object.keys(e.attrs)).filter((a) => a.startsWith('on'))).toEqual([]);
    expect(doc.els.filter((e) => 'style' in e.attrs)).toEqual([]);
  });

  test('carries the security headers, as its own copy', () => {
    expect(page.headers).toEqual(PAGE_SECURITY_HEADERS);
    page.headers['x-frame-options'] = 'changed';
    expect(PAGE_SECURITY_HEADERS['x-frame-options']).toBe('DENY');
  });

  test('the CSP hash matches the one inline style it emits', () => {
    const styles = [...page.html.matchAll(/<style>([\s\S]*?)<\/style>/g)];
    expect(styles).toHaveLength(1);
    expect(all(doc, 'style')).toHaveLength(1);
    const hash = createHash('sha256').update(styles[0]![1]!).digest('base64');
    expect(page.headers['content-security-policy']).toContain(`style-src 'sha256-${hash}';`);
  });

  test('shows the brand name and logo', () => {
    expect(doc.text).toContain('Acme Cloud');
    expect(all(doc, 'img', { src: '/static/logo.svg' })).toHaveLength(1);
  });

  test.each([
    ['https://cdn.acme.example/logo.png', 'https://cdn.acme.example/logo.png'],
    ['data:image/png;base64,iVBORw0KGgo=', 'data:image/png;base64,iVBORw0KGgo='],
    ['/logo.png', '/logo.png'],
    ['//evil.example/logo.png', undefined],
    ['/\\evil.example/logo.png', undefined],
    ['http://acme.example/logo.png', undefined],
    ['javascript:alert(1)', undefined],
    ['data:text/html,<script>alert(1)</script>', undefined],
    ['logo.png', undefined],
  ])('brand logo %s', (logoUrl, shown) => {
    const imgs = all(parse(render({ name: 'Acme Cloud', logoUrl }).html), 'img').filter((e) => e.attrs.width === '32');
    expect(imgs.map((e) => e.attrs.src)).toEqual(shown === undefined ? [] : [shown]);
  });
});

describe('PAGE_SECURITY_HEADERS', () => {
  test('has every header the pages need', () => {
    expect(PAGE_SECURITY_HEADERS).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
    });
  });

  test('the CSP allows no script and no framing, and leaves form-action alone', () => {
    const csp = PAGE_SECURITY_HEADERS['content-security-policy']!;
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v.join(' ')]));
    expect(directives).toEqual({
      'default-src': "'none'",
      'style-src': expect.stringMatching(/^'sha256-[A-Za-z0-9+/]{43}='$/),
      'img-src': "'self' https: data:",
      'frame-ancestors': "'none'",
      'base-uri': "'none'",
    });
  });
});

// ---- login ----

describe('login page', () => {
  test('posts username, password and csrf to the action', () => {
    const doc = parse(login().html);
    one(doc, 'form', { method: 'post', action: '/oauth/login' });
    expect(submitted(login().html, 0)).toEqual([['csrf', 'csrf-1'], ['username', ''], ['password', '']]);
  });

  test('inputs have autocomplete hints and bound labels', () => {
    const doc = parse(login().html);
    const user = one(doc, 'input', { name: 'username' });
    const pass = one(doc, 'input', { name: 'password' });
    expect(user.attrs).toMatchObject({ autocomplete: 'username', type: 'text' });
    expect(pass.attrs).toMatchObject({ autocomplete: 'current-password', type: 'password' });
    for (const input of [user, pass]) one(doc, 'label', { for: input.attrs.id! });
  });

  test('hidden entries travel back byte for byte', () => {
    const hidden = { request: 'a&amp;b "c" <d>', 'odd name': "it's" };
    expect(submitted(login({ hidden }).html, 0)).toEqual([
      ['csrf', 'csrf-1'], ['request', hidden.request], ['odd name', "it's"], ['username', ''], ['password', ''],
    ]);
  });

  test('refuses a hidden entry that would shadow a form field', () => {
    expect(() => login({ hidden: { password: 'x' } })).toThrow(/password/);
    expect(() => login({ hidden: { csrf: 'x' } })).toThrow(/csrf/);
  });

  test('names the client once, in the heading', () => {
    const doc = parse(login().html);
    expect(doc.text).toContain('Sign in to connect Claude');
    expect(doc.text.split('Claude').length - 1).toBe(1);
  });

  test('says which account to use: the product (the brand by default), and the hint when there is one', () => {
    expect(parse(login().html).text).toContain('Use your Acme Cloud account.');
    const text = parse(login({ brand: { ...brand, product: 'Acme Postgres', signInHint: 'The email you use at app.acme.example.' } }).html).text;
    expect(text).toContain('Use your Acme Postgres account. The email you use at app.acme.example.');
    // without an app (the account page's sign-in) too
    expect(parse(login({ client: undefined, brand: { ...brand, product: 'Acme Postgres' } }).html).text).toContain('Use your Acme Postgres account.');
  });

  test('shows the error in an alert and keeps the username', () => {
    const doc = parse(login({ error: 'Wrong username or password.', username: 'bob' }).html);
    one(doc, 'div', { role: 'alert' });
    expect(doc.text).toContain('Wrong username or password.');
    expect(one(doc, 'input', { name: 'username' }).attrs.value).toBe('bob');
    expect(all(parse(login().html), 'div', { role: 'alert' })).toEqual([]);
  });
});

// ---- consent ----

describe('consent page', () => {
  const html = consent().html;
  const doc = parse(html);

  test('required read: checked, disabled, and submitted through a hidden input', () => {
    const box = one(doc, 'input', { id: 'scope-read' });
    expect(box.attrs).toMatchObject({ type: 'checkbox', checked: '', disabled: '' });
    expect(box.attrs.name).toBeUndefined();
    one(doc, 'input', { type: 'hidden', name: 'scope', value: 'read' });
  });

  test('optional write: a real checkbox the user can untick', () => {
    const box = one(doc, 'input', { id: 'scope-write' });
    expect(box.attrs).toMatchObject({ type: 'checkbox', name: 'scope', value: 'write', checked: '' });
    expect('disabled' in box.attrs).toBe(false);
    const unticked = one(parse(consent({ scopes: [{ ...scopes[1]!, checked: false }] }).html), 'input', { id: 'scope-write' });
    expect('checked' in unticked.attrs).toBe(false);
  });

  test('a scope the account cannot grant is disabled, unchecked, never submitted, and explained calmly', () => {
    const box = one(doc, 'input', { id: 'scope-admin' });
    expect(box.attrs).toMatchObject({ type: 'checkbox', disabled: '' });
    expect('checked' in box.attrs).toBe(false);
    expect(all(doc, 'input', { value: 'admin' })).toEqual([]);
    // the note is tied to the box, and is a note: no alert, no error wording
    expect(box.attrs['aria-describedby']!.split(' ')).toEqual(['scope-admin-summary', 'scope-admin-note']);
    const note = one(doc, 'p', { id: 'scope-admin-note' });
    expect(note.attrs.class).toBe('note');
    expect(doc.text).toContain('Your account does not have this permission, so it cannot be ticked.');
    expect(all(doc, 'div', { role: 'alert' })).toEqual([]);
    // even when the caller also marks it required or checked
    const odd = consent({ scopes: [{ ...scopes[2]!, required: true, checked: true }] }).html;
    expect(submitted(odd, 0, 'approve').filter(([n]) => n === 'scope')).toEqual([]);
  });

  test('every scope label is bound to its checkbox and shows its summary and tool count', () => {
    for (const s of scopes) one(doc, 'label', { for: `scope-${s.scope}` });
    expect(doc.text).toContain('See databases and backups');
    expect(doc.text).toContain('See databases and backups (12 tools, always included)');
    expect(doc.text).toContain('(1 tool)');
    expect(doc.text).toContain('(4 tools)');
  });

  test('approving submits csrf, the chosen scopes, hidden entries and decision=approve', () => {
    const page = consent({ hidden: { request: 'r-1' } }).html;
    expect(submitted(page, 0, 'approve')).toEqual([
      ['csrf', 'csrf-2'], ['request', 'r-1'], ['scope', 'read'], ['scope', 'write'], ['decision', 'approve'],
    ]);
    one(parse(page), 'form', { method: 'post', action: '/oauth/consent' });
  });

  test('has approve and deny buttons, deny first so Enter never approves', () => {
    const buttons = all(doc, 'button', { type: 'submit', name: 'decision' }).map((b) => b.attrs.value);
    expect(buttons).toEqual(['deny', 'approve']);
  });

  test('refuses hidden entries that would pose as the answer', () => {
    expect(() => consent({ hidden: { scope: 'admin' } })).toThrow(/scope/);
    expect(() => consent({ hidden: { decision: 'approve' } })).toThrow(/decision/);
  });

  test('shows the full redirect URI and its host, never as a link', () => {
    expect(doc.text).toContain('https://app.example/cb?x=1&y=2');
    expect(doc.text).toContain('goes to app.example');
    expect(all(doc, 'a').map((a) => a.attrs.href)).toEqual(['https://claude.ai/']);
    expect(parse(consent({ client: selfRegistered }).html).text).toContain('127.0.0.1:33418 (an app on this computer)');
  });

  test('shows the signed-in user and the client', () => {
    expect(doc.text).toContain('Acting as alice, it will be able to');
    expect(doc.text).toContain('Allow Claude to use your Acme Cloud account?');
  });

  test('a verified client shows the host its metadata came from', () => {
    expect(doc.text).toContain('Verified');
    expect(doc.text).toContain('Details published by claude.ai');
    expect(doc.text).not.toContain('self-declared');
  });

  test('a client that registered itself and answers on this device: what is known, without alarm', () => {
    for (const redirectUri of ['http://127.0.0.1:33418/callback', 'http://localhost:5000/cb', 'cursor://anysphere.cursor-retrieval/oauth/callback', 'https://localhost:8443/cb']) {
      for (const page of [consent({ client: { ...selfRegistered, redirectUri } }), login({ client: { ...selfRegistered, redirectUri } })]) {
        const shown = textIn(page.html, 'main');
        expect(shown).toContain('Name chosen by the app itself; it runs on your device.');
        expect(shown).not.toMatch(/unverified|self-declared|cannot vouch/i);
        expect(all(parse(page.html), 'div', { class: 'client' })).toHaveLength(1);
      }
    }
  });

  test('a client that registered itself and sends the browser on to a website: a clear warning naming the site', () => {
    const odd = { ...selfRegistered, redirectUri: 'https://collector.example/cb' };
    for (const page of [consent({ client: odd }), login({ client: odd })]) {
      const d = parse(page.html);
      one(d, 'div', { class: 'client unusual' });
      expect(d.text).toContain('Unverified');
      expect(d.text).toContain('sends your browser to collector.example, a website Portico cannot vouch for');
      expect(d.text).not.toContain('Details published by');
    }
  });

  test('client links and logos only when https', () => {
    const https = parse(consent().html);
    const link = one(https, 'a', { href: 'https://claude.ai/' });
    expect(link.attrs.rel).toContain('noopener');
    one(https, 'img', { src: 'https://claude.ai/logo.png' });
    for (const bad of ['http://claude.ai/', 'javascript:alert(1)', 'data:image/png;base64,AA==', '//claude.ai/x']) {
      const d = parse(consent({ client: { ...client, uri: bad, logoUri: bad } }).html);
      expect(all(d, 'a')).toEqual([]);
      expect(all(d, 'img').filter((i) => i.attrs.width === '40')).toEqual([]);
    }
  });

  test('bidi controls cannot reorder a name the app chose', () => {
    const text = parse(consent({ client: { ...client, name: 'evil\u202Emoc.elgoog', verified: false } }).html).text;
    expect(text).toContain('evilmoc.elgoog');
    expect(text).not.toContain('\u202E');
  });
});

// ---- error ----

describe('error page', () => {
  test('shows title, message and detail as plain text, only the identifiers as code, escaped, with no links or forms', () => {
    const page = error({ detail: 'Add the app <b>again</b>.', identifiers: [{ name: 'client_id', value: 'pcl_<b>x' }] });
    const doc = parse(page.html);
    expect(page.status).toBe(400);
    one(doc, 'h1');
    expect(doc.text).toContain('Unknown app');
    expect(doc.text).toContain('This app is not registered.');
    expect(textIn(page.html, 'p')).toContain('Add the app <b>again</b>.');
    expect(all(doc, 'pre')).toEqual([]);
    expect(textIn(page.html, 'code')).toBe('pcl_<b>x');
    expect(page.html).toContain('<dt>client_id</dt><dd><code>pcl_&lt;b&gt;x</code></dd>');
    expect(all(doc, 'a')).toEqual([]);
    expect(all(doc, 'form')).toEqual([]);
    expect(all(doc, 'b')).toEqual([]);
  });

  test('cuts a long identifier short, and shows no list when there is none', () => {
    const long = error({ identifiers: [{ name: 'client_id', value: 'x'.repeat(5000) }] }).html;
    expect(textIn(long, 'code')).toBe(`${'x'.repeat(200)}…`);
    expect(all(parse(error().html), 'dl')).toEqual([]);
    expect(all(parse(error().html), 'code')).toEqual([]);
  });
});

// ---- account ----

describe('account page', () => {
  const html = account({ notice: 'Disconnected Cursor.' }).html;
  const doc = parse(html);

  test('one Disconnect form per connection, each posting csrf and its grant', () => {
    // two Disconnect forms, then Sign out
    expect(all(doc, 'form', { method: 'post', action: '/account/disconnect' })).toHaveLength(3);
    expect(submitted(html, 0)).toEqual([['csrf', 'csrf-3'], ['grant', 'g-1']]);
    expect(submitted(html, 1)).toEqual([['csrf', 'csrf-3'], ['grant', 'g-2']]);
    expect(submitted(html, 2, '1')).toEqual([['csrf', 'csrf-3'], ['signout', '1']]);
    expect(all(doc, 'button', { type: 'submit' })).toHaveLength(3);
    expect(doc.text).toContain('Disconnect Claude');
  });

  test('lists client, scopes and deterministic UTC dates', () => {
    expect(doc.text).toContain('Claude');
    expect(doc.text).toContain('read, write');
    expect(doc.text).toContain('2025-01-02 03:04 UTC');
    expect(doc.text).toContain('2025-02-03 04:05 UTC');
    expect(doc.text).toContain('2024-12-31 23:59 UTC');
    expect(doc.text).toContain('never');
    one(doc, 'time', { datetime: '2025-01-02T03:04:05.000Z' });
  });

  test('shows the notice as a status message, and an empty state', () => {
    one(doc, 'div', { role: 'status' });
    expect(doc.text).toContain('Disconnected Cursor.');
    const empty = parse(account({ connections: [] }).html);
    // only Sign out
    expect(all(empty, 'form')).toHaveLength(1);
    expect(all(empty, 'div', { role: 'status' })).toEqual([]);
    expect(empty.text).toContain('No apps are connected');
  });
});

// ---- hostile input everywhere ----

const PAYLOADS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "' onmouseover='alert(1)",
  'javascript:alert(1)',
];

describe.each(PAYLOADS)('payload %s', (x) => {
  const hostile: ClientView = { name: x, id: x, uri: x, logoUri: x, verified: true, redirectUri: x };
  const hb: Brand = { name: x, logoUrl: x, product: x, signInHint: x };
  const rendered: [string, PageResult][] = [
    ['login', loginPage({ brand: hb, action: x, csrf: x, client: hostile, username: x, error: x, hidden: { [x]: x } })],
    ['consent', consentPage({
      brand: hb, action: x, csrf: x, client: { ...hostile, verified: false }, user: { name: x },
      scopes: scopes.map((s) => ({ ...s, summary: x })), hidden: { [x]: x },
    })],
    ['consent (verified, https id)', consentPage({
      brand: hb, action: x, csrf: x, client: { ...hostile, id: `https://h.example/${x}`, redirectUri: `https://h.example/${x}` },
      user: { name: x }, scopes, hidden: { k: x },
    })],
    ['consent (unverified, to a website)', consentPage({
      brand: hb, action: x, csrf: x, client: { ...hostile, verified: false, redirectUri: `https://h.example/${x}` },
      user: { name: x }, scopes, hidden: { k: x },
    })],
    ['error', errorPage({ brand: hb, title: x, message: x, detail: x, identifiers: [{ name: x, value: x }], status: 400 })],
    ['account', accountPage({
      brand: hb, action: x, csrf: x, user: { name: x }, notice: x,
      connections: [{ grantId: x, clientName: x, scopes: ['read'], connectedAt: new Date(0) }],
    })],
  ];

  test.each(rendered)('%s stays inert', (_, page) => {
    const doc = parse(page.html);
    expect(page.html).not.toMatch(/<script/i);
    if (/[<"']/.test(x)) expect(page.html).not.toContain(x);
    expect(all(doc, 'script')).toEqual([]);
    expect(doc.els.flatMap((e) => Object.keys(e.attrs)).filter((a) => a.startsWith('on'))).toEqual([]);
    expect(all(doc, 'img')).toEqual([]);
    for (const e of doc.els) {
      for (const a of ['href', 'src']) expect(e.attrs[a] ?? '').not.toMatch(/^\s*javascript:/i);
    }
    // escaped, not dropped: the user still sees exactly what was sent
    expect(doc.text).toContain(x);
  });

  test('attribute values round-trip exactly', () => {
    const doc = parse(rendered[0]![1].html);
    one(doc, 'form', { action: x });
    one(doc, 'input', { type: 'hidden', name: 'csrf', value: x });
    one(doc, 'input', { type: 'hidden', name: x, value: x });
    expect(one(doc, 'input', { name: 'username' }).attrs.value).toBe(x);
  });
});
