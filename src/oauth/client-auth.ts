/**
 * @module oauth/client-auth
 * Who is calling the token and revocation endpoints: a public client names itself (`client_id`, method
 * `none`); a confidential one proves it with its secret, in the body (`client_secret_post`) or in HTTP
 * Basic (`client_secret_basic`) — by the method it registered, and no other.
 */
import { OAuthError } from '../wire/oauth';
import { ClientMetadataError } from './client-metadata';
import { findClient, type Client } from './clients';
import type { OAuthContext } from './context';
import { hashToken, safeEqual } from './crypto';

const BASIC_CHALLENGE = { 'www-authenticate': 'Basic realm="portico"' };

/** The authenticated client, or an `OAuthError` (`invalid_client`, 401) to answer with. */
export async function authenticateClient(context: OAuthContext, request: Request, form: URLSearchParams): Promise<Client> {
  const basic = basicCredentials(request.headers.get('authorization'));
  const bodyId = form.get('client_id');
  if (basic && bodyId !== null && bodyId !== basic.id) throw new OAuthError('invalid_request', 'client_id in the body differs from the one in the Authorization header');
  const id = basic?.id ?? bodyId;
  if (!id) throw new OAuthError('invalid_client', 'client authentication is required: send client_id (public clients) or HTTP Basic credentials', 401, BASIC_CHALLENGE);

  let client: Client | null;
  try {
    client = await findClient(context, id);
  } catch (error) {
    if (error instanceof ClientMetadataError) throw new OAuthError('invalid_client', error.error_description, 401);
    throw error;
  }
  if (!client) throw new OAuthError('invalid_client', 'unknown client_id; register the client again', 401, BASIC_CHALLENGE);

  const method = client.metadata.tokenEndpointAuthMethod;
  const secret = basic?.secret ?? form.get('client_secret');
  if (method === 'none') {
    if (secret !== null && secret !== undefined) throw new OAuthError('invalid_client', 'this client is public (token_endpoint_auth_method "none"): send no client secret', 401);
    return client;
  }
  const used = basic ? 'client_secret_basic' : form.get('client_secret') !== null ? 'client_secret_post' : undefined;
  if (used !== method) throw new OAuthError('invalid_client', `this client authenticates with ${method}`, 401, BASIC_CHALLENGE);
  if (!secret || !client.secretHash || !safeEqual(hashToken(secret), client.secretHash)) {
    throw new OAuthError('invalid_client', 'client authentication failed', 401, BASIC_CHALLENGE);
  }
  return client;
}

/** `Authorization: Basic` → id and secret (form-urlencoded inside, RFC 6749 §2.3.1). */
function basicCredentials(header: string | null): { id: string; secret: string } | undefined {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!match) return undefined;
  const text = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_client', 'malformed HTTP Basic credentials', 401, BASIC_CHALLENGE);
  try {
    return { id: decodeURIComponent(text.slice(0, colon).replace(/\+/g, ' ')), secret: decodeURIComponent(text.slice(colon + 1).replace(/\+/g, ' ')) };
  } catch {
    throw new OAuthError('invalid_client', 'malformed HTTP Basic credentials', 401, BASIC_CHALLENGE);
  }
}
