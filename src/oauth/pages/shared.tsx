/** @jsxImportSource @kitajs/html */
import { Html, type PropsWithChildren } from '@kitajs/html';
import { redirectTarget } from '../redirect-uri';
import { CSS, PAGE_SECURITY_HEADERS } from './style';

export interface Brand {
  name: string;
  logoUrl?: string;
  /** Whose account users sign in with ("Use your Acme Postgres account"). @default the brand name */
  product?: string;
  /** A line on the sign-in page saying which account to use. */
  signInHint?: string;
}
export interface PageResult { html: string; headers: Record<string, string> }
export type Scope = 'read' | 'write' | 'admin';
/** `redirectUri`: where this request sends the browser back to, as the client registered it. */
export interface ClientView { name: string; id: string; uri?: string; logoUri?: string; verified: boolean; redirectUri: string }

/** The account the pages ask for, named as users know it. */
export const productOf = (brand: Brand): string => brand.product ?? brand.name;

// kitajs escapes only `"` in attribute values; escaping `&` too keeps values such as hidden
// request parameters byte-exact when the browser submits them back.
export const attr = (value: string): string => Html.escapeHtml(value);

// Bidi overrides and isolates let a self-declared name render as something else ("evil‮moc.elgoog").
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
export const plain = (value: string): string => value.replace(BIDI_CONTROLS, '');

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** The normalised URL when it is https, for links and images from client metadata. */
export function httpsUrl(value: string | undefined): string | undefined {
  const url = value === undefined ? undefined : parseUrl(value);
  return url?.protocol === 'https:' ? url.href : undefined;
}

/** The host a URL points at, for telling the user where something comes from or goes to. */
export function hostOf(value: string): string | undefined {
  const url = parseUrl(value);
  return url?.host || undefined;
}

/** The deployment's logo: https, an inline image, or a path on our own origin. */
export function brandLogoUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // "//host" and "/\host" are both read by browsers as another origin.
  if (value.startsWith('/')) return /^\/[/\\]/.test(value) ? undefined : value;
  const url = parseUrl(value);
  if (url?.protocol === 'https:') return url.href;
  if (url?.protocol === 'data:' && url.pathname.toLowerCase().startsWith('image/')) return url.href;
  return undefined;
}

/** Hidden inputs; a name the form itself uses is refused, so a forwarded request parameter
 *  can never pose as the user's answer (a stray `scope` would grant what was not ticked). */
export function HiddenFields({ fields, reserved }: { fields: Record<string, string> | undefined; reserved: string[] }): JSX.Element {
  const entries = Object.entries(fields ?? {});
  for (const [name] of entries) {
    if (reserved.includes(name)) throw new Error(`hidden field "${name}" collides with a form field`);
  }
  return <>{entries.map(([name, value]) => <input type="hidden" name={attr(name)} value={attr(value)} />)}</>;
}

/**
 * What is known about the app asking. A Client ID Metadata Document client is vouched for by the host that
 * published it. Any other client registered itself and chose its own name — Claude Code, Cursor and
 * mcp-remote all do — which is the normal case while the answer goes to an app on the user's own device. Only
 * a self-named client sending the browser on to a website is unusual, and only that gets the warning.
 * `children`: more lines about the client.
 */
export function ClientCard({ client, children }: PropsWithChildren<{ client: ClientView }>): JSX.Element {
  const logo = httpsUrl(client.logoUri);
  const site = httpsUrl(client.uri);
  const publisher = client.verified ? hostOf(client.id) : undefined;
  const website = !publisher && redirectTarget(client.redirectUri) === 'web' ? hostOf(client.redirectUri) : undefined;
  return (
    <div class={website ? 'client unusual' : 'client'}>
      {logo && <img src={attr(logo)} alt="" width="40" height="40" />}
      <div>
        {publisher ? (
          <p class="muted"><span class="badge verified">Verified</span>Details published by <strong safe>{publisher}</strong></p>
        ) : website ? (
          <p>
            <span class="badge unverified">Unverified</span>This app named itself, and afterwards sends your browser to{' '}
            <strong safe>{website}</strong>, a website Portico cannot vouch for. Continue only if you started this connection and recognise that site.
          </p>
        ) : (
          <p class="muted">Name chosen by the app itself; it runs on your device.</p>
        )}
        {children}
        {site && (
          <p class="muted">Website: <a href={attr(site)} rel="noopener noreferrer nofollow" target="_blank" safe>{plain(site)}</a></p>
        )}
      </div>
    </div>
  );
}

export function render(p: { brand: Brand; title: string; wide?: boolean; body: JSX.Element }): PageResult {
  const logo = brandLogoUrl(p.brand.logoUrl);
  const page = (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <meta name="robots" content="noindex, nofollow" />
        <title safe>{`${p.title} · ${p.brand.name}`}</title>
        <style>{CSS}</style>
      </head>
      <body>
        <header>
          {logo && <img src={attr(logo)} alt="" width="32" height="32" />}
          <span safe>{p.brand.name}</span>
        </header>
        <main class={p.wide ? 'wide' : undefined}>{p.body}</main>
      </body>
    </html>
  );
  // Only async components make a Promise, and these pages have none.
  if (typeof page !== 'string') throw new Error('page rendered asynchronously');
  return { html: `<!doctype html>${page}`, headers: { ...PAGE_SECURITY_HEADERS } };
}
