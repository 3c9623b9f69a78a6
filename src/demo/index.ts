/**
 * @module demo
 * The bundled demo upstream API (a managed-PostgreSQL host), for `portico demo` and the gateway's tests.
 */
export { createDemoApi, type DemoApi, type DemoApp } from './app';
export { startDemoApi, type RunningDemoApi, type StartDemoApiOptions } from './server';
export { DEFAULT_SETTLE_MS, DEFAULT_SLOW_MS, DEFAULT_TOKEN_TTL_MS, type DemoApiOptions } from './options';
export { DEMO_USERS, PROVIDER_USERS, SEED_IDS, type DemoUser } from './seed';
export { DEMO_CLIENT_ID, startDemoProvider, type RunningDemoProvider } from './oidc-provider';
export type { ErrorBody, ErrorCode, FieldError } from './errors';
