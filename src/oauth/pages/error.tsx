/** @jsxImportSource @kitajs/html */
import { render, type Brand, type PageResult } from './shared';

/** The page carries the status too, so the caller cannot answer 200 with an error page by accident. */
export interface ErrorPageResult extends PageResult { status: number }

/** A value the request carried that the error is about (`client_id`, `redirect_uri`), shown as code. */
export interface Identifier { readonly name: string; readonly value: string }

/** Longest identifier shown: anyone can put a megabyte in a link's client_id. */
const SHOWN = 200;
const short = (value: string): string => (value.length > SHOWN ? `${value.slice(0, SHOWN)}…` : value);

/**
 * `detail`: more explanation, in plain words. `identifiers`: the only text in code style.
 * `link`: where the user may choose to go (back to the application with the error), never followed automatically.
 */
export function errorPage(p: {
  brand: Brand; title: string; message: string; detail?: string; identifiers?: readonly Identifier[]; status: number; link?: string;
}): ErrorPageResult {
  const page = render({
    brand: p.brand,
    title: p.title,
    body: (
      <>
        <p class="muted" safe>Error {p.status}</p>
        <h1 safe>{p.title}</h1>
        <p safe>{p.message}</p>
        {p.detail && <p safe>{p.detail}</p>}
        {p.identifiers?.length ? (
          <dl class="ids">
            {p.identifiers.map((id) => (
              <>
                <dt safe>{id.name}</dt>
                <dd><code safe>{short(id.value)}</code></dd>
              </>
            ))}
          </dl>
        ) : undefined}
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
