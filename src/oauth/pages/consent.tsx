/** @jsxImportSource @kitajs/html */
import { attr, ClientCard, HiddenFields, hostOf, plain, render, type Brand, type ClientView, type PageResult, type Scope } from './shared';

export interface ScopeChoice { scope: Scope; summary: string; toolCount: number; checked: boolean; allowed: boolean; required: boolean }

const SCOPE_TITLES: Record<Scope, string> = { read: 'Read', write: 'Write', admin: 'Admin' };
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function ScopeRow({ choice }: { choice: ScopeChoice }): JSX.Element {
  const id = `scope-${choice.scope}`;
  const described = `${id}-summary`;
  const tools = `unlocks ${choice.toolCount} ${choice.toolCount === 1 ? 'tool' : 'tools'}`;
  // A scope the account cannot grant is never submitted, even if the caller also marks it required.
  const state = !choice.allowed ? 'denied' : choice.required ? 'required' : 'optional';
  return (
    <div class="scope">
      {state === 'optional' ? (
        <input type="checkbox" id={attr(id)} name="scope" value={attr(choice.scope)} checked={choice.checked}
          aria-describedby={attr(described)} />
      ) : (
        <input type="checkbox" id={attr(id)} checked={state === 'required'} disabled aria-describedby={attr(described)} />
      )}
      {/* A disabled box is not submitted, so a required scope travels in a hidden input. */}
      {state === 'required' && <input type="hidden" name="scope" value={attr(choice.scope)} />}
      <div>
        <label for={attr(id)}>{SCOPE_TITLES[choice.scope]}</label>{' '}
        <span class="muted" safe>({tools}{state === 'required' ? ', always included' : ''})</span>
        <p id={attr(described)} safe>{choice.summary}</p>
        {state === 'denied' && <p class="note">Your account cannot grant this.</p>}
      </div>
    </div>
  );
}

function destination(redirectUri: string): string {
  const host = hostOf(redirectUri);
  if (!host) return 'an app on this device';
  return LOOPBACK.has(new URL(redirectUri).hostname) ? `${host} (an app on this computer)` : host;
}

export function consentPage(p: {
  brand: Brand; action: string; csrf: string; client: ClientView; redirectUri: string;
  user: { name: string }; scopes: ScopeChoice[]; hidden?: Record<string, string>;
}): PageResult {
  return render({
    brand: p.brand,
    title: 'Allow access?',
    body: (
      <>
        <h1>
          Allow <strong safe>{plain(p.client.name)}</strong> to use your <strong safe>{p.brand.name}</strong> account?
        </h1>
        <ClientCard client={p.client} />
        <p class="muted">Signed in as <strong safe>{p.user.name}</strong></p>
        <form method="post" action={attr(p.action)}>
          <input type="hidden" name="csrf" value={attr(p.csrf)} />
          <HiddenFields fields={p.hidden} reserved={['csrf', 'scope', 'decision']} />
          <fieldset>
            <legend>It will be able to</legend>
            {p.scopes.map((choice) => <ScopeRow choice={choice} />)}
          </fieldset>
          <div class="dest">
            <p>Whatever you choose, your browser then goes to <strong safe>{plain(destination(p.redirectUri))}</strong>:</p>
            <p><code safe>{plain(p.redirectUri)}</code></p>
          </div>
          <p class="muted">Only allow apps you trust. You can disconnect it later from your account page.</p>
          <div class="actions">
            {/* Deny comes first so that Enter, which submits the first button, never approves. */}
            <button type="submit" name="decision" value="deny">Deny</button>
            <button type="submit" name="decision" value="approve" class="primary">Allow</button>
          </div>
        </form>
      </>
    ),
  });
}
