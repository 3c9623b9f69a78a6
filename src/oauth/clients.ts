/**
 * @module oauth/clients
 * Who a `client_id` is: a dynamically registered client from the store, or — for an https `client_id` —
 * the client its metadata document describes.
 */
import { isClientIdUrl } from './cimd';
import { parseClientMetadata, type ClientMetadata } from './client-metadata';
import type { OAuthContext } from './context';

export interface Client {
  readonly id: string;
  readonly metadata: ClientMetadata;
  /** SHA-256 of its secret; null for a public client. */
  readonly secretHash: string | null;
  /** Its metadata came from an https document at its id (so its name is vouched for by that host). */
  readonly verified: boolean;
}

/** The client, or null when there is none by that id. Throws `ClientMetadataError` for a broken metadata document. */
export async function findClient(context: OAuthContext, clientId: string): Promise<Client | null> {
  if (isClientIdUrl(clientId)) {
    const metadata = await context.documents.get(clientId);
    return { id: clientId, metadata, secretHash: null, verified: true };
  }
  const record = await context.store.getClient(clientId);
  if (!record || (record.expiresAt !== null && record.expiresAt <= context.now())) return null;
  return { id: record.id, metadata: parseClientMetadata(JSON.parse(record.metadata), 'registration'), secretHash: record.secretHash, verified: false };
}

/** What pages show for a client. */
export function clientName(client: Client): string {
  return client.metadata.clientName ?? (client.verified ? new URL(client.id).host : 'An unnamed application');
}
