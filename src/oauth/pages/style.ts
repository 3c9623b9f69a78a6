import { createHash } from 'node:crypto';

// The only stylesheet of every page. The CSP allows exactly this text by its hash, so any edit
// here updates the header automatically; it must never contain "</style".
export const CSS = `
:root{color-scheme:light dark;--bg:#f3f4f6;--fg:#16191f;--muted:#4f5663;--card:#fff;--line:#d3d8e0;--field:#fff;--accent:#1d5bd0;--on-accent:#fff;--danger:#b42318;--ok:#146c3a;--warn:#8a4b00;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:16px;line-height:1.5}
@media (prefers-color-scheme:dark){:root{--bg:#101217;--fg:#eceef2;--muted:#aab1bd;--card:#1a1d24;--line:#3a404c;--field:#12141a;--accent:#8ab0ff;--on-accent:#0b1020;--danger:#ff9b8f;--ok:#7ad9a1;--warn:#f3c56b}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;background:var(--bg);color:var(--fg);display:flex;flex-direction:column;align-items:center;padding:2rem 1rem}
header{display:flex;align-items:center;gap:.6rem;font-weight:650;font-size:1.05rem;margin-bottom:1.25rem}
header img{width:32px;height:32px;object-fit:contain;border-radius:6px}
main{width:100%;max-width:30rem;background:var(--card);border:1px solid var(--line);border-radius:14px;padding:1.5rem;box-shadow:0 1px 3px rgb(0 0 0/.06)}
main.wide{max-width:46rem}
h1{font-size:1.35rem;line-height:1.3;margin:0 0 1rem;text-wrap:balance}
h1 strong,.client strong{overflow-wrap:anywhere}
p{margin:0 0 1rem}
.muted{color:var(--muted);font-size:.92rem}
.client{display:flex;gap:.75rem;align-items:flex-start;padding:.75rem;border:1px solid var(--line);border-radius:10px;margin-bottom:1rem}
.client img{width:40px;height:40px;object-fit:contain;border-radius:8px;flex:none}
.client>div{min-width:0}
.client p{margin:0}
.badge{display:inline-block;font-size:.8rem;font-weight:650;padding:.05rem .45rem;border-radius:999px;border:1px solid currentColor;margin-right:.35rem}
.verified{color:var(--ok)}.unverified{color:var(--warn)}
.client.unusual{border:2px solid var(--warn)}
label{font-weight:600}
.field label{display:block;margin-bottom:.3rem}
.field input{display:block;width:100%;font:inherit;padding:.6rem .7rem;border:1px solid var(--muted);border-radius:8px;background:var(--field);color:var(--fg);margin-bottom:1rem}
fieldset{border:0;padding:0;margin:0 0 1rem}
legend{font-weight:650;margin-bottom:.5rem;padding:0}
.scope{display:flex;gap:.65rem;align-items:flex-start;padding:.65rem 0;border-top:1px solid var(--line)}
.scope input{width:1.15rem;height:1.15rem;margin:.2rem 0 0;flex:none;accent-color:var(--accent)}
.scope p{margin:.1rem 0 0}
.scope .note{color:var(--muted);font-size:.88rem}
.client .dest{margin-top:.35rem}
.after{margin:1rem 0 0}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88rem;overflow-wrap:anywhere;white-space:pre-wrap}
pre{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:.75rem;margin:0 0 1rem}
.ids{display:grid;grid-template-columns:auto 1fr;gap:.25rem .75rem;margin:0 0 1rem}
.ids dt{color:var(--muted);font-size:.92rem}
.ids dd{margin:0}
.actions{display:flex;flex-wrap:wrap;gap:.6rem;justify-content:flex-end}
button{font:inherit;font-weight:600;padding:.6rem 1.1rem;border-radius:8px;border:1px solid var(--muted);background:var(--card);color:var(--fg);cursor:pointer;min-height:2.75rem}
button.primary{background:var(--accent);border-color:var(--accent);color:var(--on-accent)}
button.primary.full,button.full{width:100%}
form+form{margin-top:.75rem}
.divider{text-align:center;color:var(--muted);font-size:.92rem;margin:1rem 0 .25rem}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
[role=alert]{border:1px solid var(--danger);color:var(--danger);border-radius:8px;padding:.6rem .8rem;margin-bottom:1rem}
[role=status]{border:1px solid var(--ok);color:var(--ok);border-radius:8px;padding:.6rem .8rem;margin-bottom:1rem}
table{width:100%;border-collapse:collapse;margin-bottom:.5rem}
th,td{text-align:left;padding:.6rem .5rem;border-top:1px solid var(--line);vertical-align:top}
th{font-size:.85rem;color:var(--muted);font-weight:600;border-top:0}
td form{margin:0}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
/* a laptop's short window: the consent page's buttons stay in view */
@media (max-height:50rem){body{padding-top:1rem}header{margin-bottom:.75rem}}
@media (max-width:34rem){body{padding:1rem .75rem}main{padding:1.1rem}thead{display:none}tr,td{display:block}tr{border-top:1px solid var(--line);padding:.4rem 0}td{border:0;padding:.2rem 0}td[data-label]::before{content:attr(data-label) ": ";color:var(--muted);font-size:.85rem}}
`;

const CSS_HASH = createHash('sha256').update(CSS, 'utf8').digest('base64');

export const PAGE_SECURITY_HEADERS: Record<string, string> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  // No form-action: browsers apply it to the redirect after the consent POST, which goes to
  // the client's own redirect URI. No script-src beyond 'none': the pages run no JavaScript.
  'content-security-policy': `default-src 'none'; style-src 'sha256-${CSS_HASH}'; img-src 'self' https: data:; frame-ancestors 'none'; base-uri 'none'`,
});
