/** @jsxImportSource @kitajs/html */
import { attr, ClientCard, HiddenFields, plain, productOf, render, type Brand, type ClientView, type PageResult } from './shared';

export function loginPage(p: {
  /** The application being connected; none when the user signs in to manage their account. */
  brand: Brand; action: string; csrf: string; client?: ClientView;
  username?: string; error?: string; hidden?: Record<string, string>;
  /** Other ways to sign in (an OpenID provider…), each a button above the password form. */
  providers?: readonly { id: string; label: string }[];
  /** Whether the password form is offered. @default true */
  password?: boolean;
}): PageResult {
  const password = p.password !== false;
  // After a failed attempt the username is kept, so the cursor goes where the user types next.
  const focusPassword = Boolean(p.username);
  return render({
    brand: p.brand,
    title: 'Sign in',
    body: (
      <>
        {p.client ? (
          <h1>
            Sign in to connect <strong safe>{plain(p.client.name)}</strong>
          </h1>
        ) : (
          <h1>
            Sign in to <strong safe>{p.brand.name}</strong>
          </h1>
        )}
        {/* The heading names the app; the card only says what is known about it. */}
        {p.client && <ClientCard client={p.client} />}
        <p>
          Use your <strong safe>{productOf(p.brand)}</strong> account.
          {p.brand.signInHint && <> <span class="muted" safe>{p.brand.signInHint}</span></>}
        </p>
        {p.error && <div role="alert" safe>{p.error}</div>}
        {(p.providers ?? []).map((provider) => (
          <form method="post" action={attr(p.action)}>
            <input type="hidden" name="csrf" value={attr(p.csrf)} />
            <HiddenFields fields={p.hidden} reserved={['csrf', 'method']} />
            <input type="hidden" name="method" value={attr(provider.id)} />
            <button type="submit" class={password ? 'full' : 'primary full'} safe>{provider.label}</button>
          </form>
        ))}
        {password && (p.providers?.length ?? 0) > 0 && <p class="divider">or sign in with your password</p>}
        {password && <form method="post" action={attr(p.action)}>
          <input type="hidden" name="csrf" value={attr(p.csrf)} />
          <HiddenFields fields={p.hidden} reserved={['csrf', 'username', 'password']} />
          <div class="field">
            <label for="username">Username</label>
            <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none"
              spellcheck="false" required value={p.username === undefined ? undefined : attr(p.username)}
              autofocus={!focusPassword} />
          </div>
          <div class="field">
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required
              autofocus={focusPassword} />
          </div>
          <button type="submit" class="primary full">Sign in</button>
        </form>}
      </>
    ),
  });
}
