/** @jsxImportSource @kitajs/html */
import { attr, plain, render, type Brand, type PageResult, type Scope } from './shared';

export interface ConnectionView { grantId: string; clientName: string; scopes: Scope[]; connectedAt: Date; lastUsedAt?: Date }

/** UTC to the minute: the same Date always renders the same text, whatever the server's zone. */
function When({ date }: { date: Date | undefined }): JSX.Element {
  if (date === undefined) return <>never</>;
  if (Number.isNaN(date.getTime())) return <>unknown</>;
  const iso = date.toISOString();
  return <time datetime={iso}>{`${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`}</time>;
}

export function accountPage(p: {
  brand: Brand; action: string; csrf: string; user: { name: string };
  connections: ConnectionView[]; notice?: string;
}): PageResult {
  return render({
    brand: p.brand,
    title: 'Connected apps',
    wide: true,
    body: (
      <>
        <h1>Connected apps</h1>
        <p class="muted">Signed in as <strong safe>{p.user.name}</strong></p>
        {p.notice && <div role="status" safe>{p.notice}</div>}
        {p.connections.length === 0 ? (
          <p>No apps are connected to your account.</p>
        ) : (
          <table>
            <thead>
              <tr><th scope="col">App</th><th scope="col">Access</th><th scope="col">Connected</th><th scope="col">Last used</th><th scope="col"><span class="vh">Action</span></th></tr>
            </thead>
            <tbody>
              {p.connections.map((c) => (
                <tr>
                  <td data-label="App"><strong safe>{plain(c.clientName)}</strong></td>
                  <td data-label="Access" safe>{c.scopes.join(', ') || 'none'}</td>
                  <td data-label="Connected"><When date={c.connectedAt} /></td>
                  <td data-label="Last used"><When date={c.lastUsedAt} /></td>
                  <td>
                    <form method="post" action={attr(p.action)}>
                      <input type="hidden" name="csrf" value={attr(p.csrf)} />
                      <input type="hidden" name="grant" value={attr(c.grantId)} />
                      <button type="submit">Disconnect<span class="vh" safe>{` ${plain(c.clientName)}`}</span></button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <form method="post" action={attr(p.action)}>
          <input type="hidden" name="csrf" value={attr(p.csrf)} />
          <button type="submit" name="signout" value="1">Sign out</button>
        </form>
      </>
    ),
  });
}
