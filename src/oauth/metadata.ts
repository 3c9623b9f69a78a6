/**
 * @module oauth/metadata
 * Discovery: the protected resource's metadata (RFC 9728), which tells an MCP client that got a 401 where
 * to sign in, and the authorization server's (RFC 8414; also at the OpenID path, which some clients try).
 */
import type { OAuthSettings } from './context';
import { SCOPES } from './scopes';

export function protectedResourceMetadata(settings: OAuthSettings): Record<string, unknown> {
  return {
    resource: settings.resource,
    authorization_servers: [settings.issuer],
    scopes_supported: [...SCOPES],
    bearer_methods_supported: ['header'],
    resource_name: settings.brand.name,
  };
}

export function authorizationServerMetadata(settings: OAuthSettings): Record<string, unknown> {
  const at = (path: string) => `${settings.issuer}${path}`;
  return {
    issuer: settings.issuer,
    authorization_endpoint: at('/oauth/authorize'),
    token_endpoint: at('/oauth/token'),
    registration_endpoint: at('/oauth/register'),
    revocation_endpoint: at('/oauth/revoke'),
    scopes_supported: [...SCOPES],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
    code_challenge_methods_supported: ['S256'],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
  };
}

/** Where a client looks for the resource's metadata: `/.well-known/oauth-protected-resource` + the resource's path. */
export function resourceMetadataUrl(settings: OAuthSettings): string {
  const resource = new URL(settings.resource);
  return `${resource.origin}/.well-known/oauth-protected-resource${resource.pathname === '/' ? '' : resource.pathname}`;
}
