/**
 * @module proxy
 * Tool arguments → upstream HTTP request → MCP tool result, with the status the API answered (`Called`).
 * `createProxy(options)` checks one API's options once and returns its `call`; the other exports are its parts, for the MCP layer's start-up checks and for tests.
 */
export { callTool, createProxy, IDEMPOTENT_METHODS, MAX_REDIRECTS, RETRY_STATUSES, type Called, type Proxy } from './call';
export { errorResult, ProxyArgumentError, ProxyError, type ProxyErrorCode } from './errors';
export { FORBIDDEN_HEADERS } from './headers';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_RETRIES,
  DEFAULT_RETRY_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
  resolveProxyOptions,
  type ProxyOptions,
  type ResolvedProxyOptions,
} from './options';
export { buildRequest, type UpstreamRequest } from './request';
export { resultFromResponse, type ResponseContext } from './response';
export { structuredFor, type Structured } from './structured';
export { basePath } from './url';
