/**
 * @module oauth/bearer
 * The resource server side: which user and grant a request to `/mcp` acts for. The token's hash is looked
 * up on every request (a revocation anywhere is seen at once); the grant's sealed data is opened once and
 * kept for as long as the sealed text the store answers is the same (a renewed upstream credential changes it).
 *
 * Failures answer 401 with the challenge MCP clients follow to sign in (RFC 9728 §5.1): no token → no
 * `error` code; a bad, expired or revoked token, or one for another resource → `invalid_token`. The 401 is a
 * `Refusal` (`wire/refusal`): `/mcp` renders it as a JSON-RPC error (`http/answers`).
 */
import { JsonRpcCode } from '../wire/json-rpc';
import { Refusal } from '../wire/refusal';
import type { OAuthContext } from './context';
import { hashToken } from './crypto';
import type { Identity } from './identity';
import { resourceMetadataUrl } from './metadata';
import { renewable, renewOnce } from './renewal';
import { allows, SCOPES, type Scope } from './scopes';

/** Who a request acts for. */
export interface Principal {
  readonly userId: string;
  readonly userName: string;
  readonly clientId: string;
  readonly grantId: string;
  readonly scopes: readonly Scope[];
  /** The highest scope the user may ever grant (their role's, from the sign-in): what a step-up could reach. */
  readonly maxScope: Scope;
  /** Headers that carry the user's own credential to the API. */
  readonly upstreamHeaders: Readonly<Record<string, string>>;
  /** When the access token expires (ms). */
  readonly expiresAt: number;
}

/**
 * Whether the user could give this connection `needed` by allowing it on the consent page: their role reaches it.
 * When it does not, asking them again (a step-up) cannot succeed.
 */
export function couldGrant(principal: Principal, needed: Scope): boolean {
  return allows([principal.maxScope], needed);
}

const OPENED_GRANTS_KEPT = 10_000;

export class BearerCheck {
  private readonly opened = new Map<string, { data: string; identity: Identity }>();

  constructor(private readonly context: OAuthContext) {}

  /** The principal, or the 401 to answer with. */
  async authenticate(request: Request): Promise<Principal | Refusal> {
    const header = request.headers.get('authorization');
    if (!header) return this.challenge();
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
    if (!match) return this.challenge('invalid_token', 'the Authorization header must be "Bearer <access token>"');
    const now = this.context.now();
    const found = await this.context.store.findAccessToken(hashToken(match[1]!), now);
    if (!found) return this.challenge('invalid_token', 'the access token is unknown, expired or revoked');
    const { token, grant } = found;
    // RFC 8707: a token issued for another resource is not ours to accept
    if (grant.resource !== this.context.settings.resource) return this.challenge('invalid_token', 'the access token was issued for another resource');
    let identity = this.identityOf(grant.id, grant.data);
    if (!identity) return this.challenge('invalid_token', 'the grant could not be opened; authorize again');
    // a chained credential is renewed here, silently, a little before it expires (a call must not set out with a
    // token about to lapse): the client's token lives on its own clock
    if (identity.via === 'chained' && this.context.chained?.needsRenewal(identity, now)) {
      const renewed = await renewOnce(this.context, grant.id, identity);
      if (renewed) {
        identity = renewed;
        this.context.log.info('oauth.upstream_renewed', { user: grant.userId, client: grant.clientId, grant: grant.id, silently: true });
      } else {
        await this.context.store.revokeGrant(grant.id);
        this.context.log.info('oauth.grant_ended', { user: grant.userId, client: grant.clientId, grant: grant.id, reason: "the API's authorization server refused to renew the credential" });
        return this.challenge('invalid_token', "the user's access at the API has ended; authorize again");
      }
    }
    if (identity.upstream.expiresAt !== undefined && identity.upstream.expiresAt <= now) {
      // a source that can renew the credential does so when the client refreshes its token
      if (renewable(this.context, identity)) return this.challenge('invalid_token', "the user's credential at the API has expired; refresh the access token");
      await this.context.store.revokeGrant(grant.id);
      this.context.log.info('oauth.grant_ended', { user: grant.userId, client: grant.clientId, grant: grant.id, reason: 'upstream credential expired' });
      return this.challenge('invalid_token', "the user's sign-in at the API has expired; authorize again");
    }
    return {
      userId: grant.userId,
      userName: identity.name,
      clientId: grant.clientId,
      grantId: grant.id,
      scopes: token.scopes as Scope[],
      maxScope: identity.maxScope,
      upstreamHeaders: identity.upstream.headers,
      expiresAt: token.expiresAt,
    };
  }

  /** A 401 with the challenge; `error` only when a token was presented. */
  challenge(error?: 'invalid_token', description?: string): Refusal {
    const parts = [`resource_metadata="${resourceMetadataUrl(this.context.settings)}"`, `scope="${SCOPES.join(' ')}"`];
    if (error) parts.unshift(`error="${error}"`, `error_description="${description ?? ''}"`);
    const message = description ? `Unauthorized: ${description}` : 'Unauthorized: sign in to use this server';
    return new Refusal(401, message, { oauth: 'invalid_token', jsonRpc: JsonRpcCode.Unauthorized }, { 'www-authenticate': `Bearer ${parts.join(', ')}`, 'cache-control': 'no-store' });
  }

  private identityOf(grantId: string, data: string): Identity | undefined {
    const known = this.opened.get(grantId);
    if (known && known.data === data) return known.identity;
    const identity = this.context.keys.open(data, `grant:${grantId}`) as Identity | undefined;
    if (!identity) return undefined;
    if (this.opened.size >= OPENED_GRANTS_KEPT) this.opened.clear();
    this.opened.set(grantId, { data, identity });
    return identity;
  }
}
