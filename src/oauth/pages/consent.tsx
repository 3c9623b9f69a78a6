/** @jsxImportSource @kitajs/html */
import { attr, ClientCard, HiddenFields, hostOf, plain, productOf, render, type Brand, type ClientView, type PageResult, type Scope } from './shared';

export interface ScopeChoice { scope: Scope; summary: string; toolCount: number; checked: boolean; allowed: boolean; required: boolean }

const SCOPE_TITLES: Record<Scope, string> = { read: 'Read', write: 'Write', admin: 'Admin' };
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function ScopeRow({ choice }: { choice: ScopeChoice }): JSX.Element {
  const id = `scope-${choice.scope}`;
  const described = `${id}-summary`;
  const note = `${id}-note`;
  const tools = `${choice.toolCount} ${choice.toolCount === 1 ? 'tool' : 'tools'}`;
  // A scope the account cannot grant is never submitted, even if the caller also marks it required.
  const state = !choice.allowed ? 'denied' : choice.required ? 'required' : 'optional';
  return (
    <div class="scope">
      {state === 'optional' ? (
        <input type="checkbox" id={attr(id)} name="scope" value={attr(choice.scope)} checked={choice.checked}
          aria-describedby={attr(described)} />
      ) : (
        <input type="checkbox" id={attr(id)} checked={state === 'required'} disabled
          aria-describedby={attr(state === 'denied' ? `${described} ${note}` : described)} />
      )}
      {/* A disabled box is not submitted, so a required scope travels in a hidden input. */}
      {state === 'required' && <input type="hidden" name="scope" value={attr(choice.scope)} />}
      <div>
        {/* One flowing line per scope: the name, what it allows, and its size, so the buttons stay in view. */}
        <p>
          <label for={attr(id)}>{SCOPE_TITLES[choice.scope]}</label> — <span id={attr(described)} safe>{choice.summary}</span>{' '}
          <span class="muted" safe>({tools}{state === 'required' ? ', always included' : ''})</span>
        </p>
        {/* Not an error: the user did nothing wrong, the account's role simply stops here. */}
        {state === 'denied' && <p id={attr(note)} class="note">Your account does not have this permission, so it cannot be ticked.</p>}
      </div>
    </div>
  );
}

function destination(redirectUri: string): string {
  const host = hostOf(redirectUri);
  if (!host) return 'an app on this device';
  return LOOPBACK.has(new URL(redirectUri).hostname) ? `${host} (an app on this computer)` : host;
}

/**
 * Allow and Deny must show without scrolling on a laptop (1280×800): everything above them is kept to what
 * the decision needs, and what is only for afterwards (disconnecting later) comes below them.
 */
export function consentPage(p: {
  brand: Brand; action: string; csrf: string; client: ClientView;
  user: { name: string }; scopes: ScopeChoice[]; hidden?: Record<string, string>;
}): PageResult {
  const { redirectUri } = p.client;
  return render({
    brand: p.brand,
    title: 'Allow access?',
    body: (
      <>
        <h1>
          Allow <strong safe>{plain(p.client.name)}</strong> to use your <strong safe>{productOf(p.brand)}</strong> account?
        </h1>
        <ClientCard client={p.client}>
          <p class="dest">
            Whatever you choose, your browser then goes to <strong safe>{plain(destination(redirectUri))}</strong>:{' '}
            <code safe>{plain(redirectUri)}</code>
          </p>
        </ClientCard>
        <form method="post" action={attr(p.action)}>
          <input type="hidden" name="csrf" value={attr(p.csrf)} />
          <HiddenFields fields={p.hidden} reserved={['csrf', 'scope', 'decision']} />
          <fieldset>
            <legend>Acting as <strong safe>{p.user.name}</strong>, it will be able to</legend>
            {p.scopes.map((choice) => <ScopeRow choice={choice} />)}
          </fieldset>
          <div class="actions">
            {/* Deny comes first so that Enter, which submits the first button, never approves. */}
            <button type="submit" name="decision" value="deny">Deny</button>
            <button type="submit" name="decision" value="approve" class="primary">Allow</button>
          </div>
        </form>
        <p class="muted after">You can disconnect it later from your account page.</p>
      </>
    ),
  });
}
