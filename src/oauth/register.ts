/**
 * @module oauth/register
 * `POST /oauth/register`: dynamic client registration (RFC 7591). Everything in a registration is chosen
 * by whoever sends it, so it is validated field by field (`oauth/client-metadata`) and every page escapes
 * it. Public clients (`none`) get no secret; confidential ones get one, shown once and stored as a hash.
 */
import { addressKey } from '../ops/rate-limit';
import { readCapped } from '../read-capped';
import { NO_STORE, OAuthError } from '../wire/oauth';
import { ClientMetadataError, clientMetadataToJson, parseClientMetadata } from './client-metadata';
import type { OAuthContext } from './context';
import { hashToken, newId, newToken } from './crypto';

const MAX_BODY_BYTES = 16 * 1024;
/** Registrations allowed per client address per hour: enough for any real client, not for filling the store. */
export const MAX_REGISTRATIONS_PER_HOUR = 30;

/** Registers a client (201 with its metadata); a refused registration throws an `OAuthError` (the route renders it). */
export async function register(context: OAuthContext, request: Request, clientAddress: string): Promise<Response> {
  if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) {
    throw new OAuthError('invalid_client_metadata', 'send the registration as JSON (Content-Type: application/json)');
  }
  const body = await readCapped(request, MAX_BODY_BYTES);
  if (body.truncated) throw new OAuthError('invalid_client_metadata', `the registration is larger than ${MAX_BODY_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(body.bytes));
  } catch {
    throw new OAuthError('invalid_client_metadata', 'the registration is not valid JSON');
  }
  let metadata;
  try {
    metadata = parseClientMetadata(raw, 'registration');
  } catch (error) {
    if (error instanceof ClientMetadataError) throw new OAuthError(error.error, error.error_description);
    throw error;
  }
  const now = context.now();
  // an IPv6 client can take any address of its /64: the block counts, as in every per-address limit
  const { count } = await context.store.hit(`register:${addressKey(clientAddress)}`, now, 3_600_000);
  if (count > MAX_REGISTRATIONS_PER_HOUR) {
    throw new OAuthError('temporarily_unavailable', 'too many registrations from this address; try again later', 429, { 'retry-after': '3600' });
  }
  const id = newId('pcl_');
  const secret = metadata.tokenEndpointAuthMethod === 'none' ? undefined : newToken('secret');
  await context.store.putClient({ id, secretHash: secret ? hashToken(secret) : null, metadata: JSON.stringify(clientMetadataToJson(metadata)), createdAt: now, expiresAt: null });
  context.log.info('oauth.client_registered', { client: id, name: metadata.clientName ?? null, auth: metadata.tokenEndpointAuthMethod });
  return Response.json(
    {
      client_id: id,
      client_id_issued_at: Math.floor(now / 1000),
      ...(secret && { client_secret: secret, client_secret_expires_at: 0 }),
      ...clientMetadataToJson(metadata),
    },
    { status: 201, headers: NO_STORE },
  );
}
