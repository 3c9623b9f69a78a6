/** @jsxImportSource @kitajs/html */
import { render, type Brand, type PageResult } from './shared';

/** The page carries the status too, so the caller cannot answer 200 with an error page by accident. */
export interface ErrorPageResult extends PageResult { status: number }

/** `link`: where the user may choose to go (back to the application with the error), never followed automatically. */
export function errorPage(p: { brand: Brand; title: string; message: string; detail?: string; status: number; link?: string }): ErrorPageResult {
  const page = render({
    brand: p.brand,
    title: p.title,
    body: (
      <>
        <p class="muted" safe>Error {p.status}</p>
        <h1 safe>{p.title}</h1>
        <p safe>{p.message}</p>
        {p.detail && <pre><code safe>{p.detail}</code></pre>}
        {p.link ? (
          <p>
            <a href={p.link} rel="noreferrer">Go back to the application</a> <span class="muted">(it will be told the request failed), or close this window.</span>
          </p>
        ) : (
          <p class="muted">You can close this window and try connecting again from your app.</p>
        )}
      </>
    ),
  });
  return { ...page, status: p.status };
}
