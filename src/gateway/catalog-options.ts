/**
 * @module gateway/catalog-options
 * How the gateway builds the catalogs it serves from its settings: what it withholds, the arguments it adds, how
 * long an added API's names may be. Apart from `gateway/sources` (which also makes the proxies and reads the
 * documents) so that `portico tools` and `portico check` build the same catalog without loading the proxy.
 */
import type { CatalogOptions } from '../catalog';
import { BYTES_PER_TOKEN } from '../calls/answer/budget';
import type { ServeConfig } from '../config/serve';
import { credentialHeaderOf } from '../oauth/api-answer';
import { loginOperationRule } from '../oauth/login-fields';

/**
 * How the gateway builds every catalog it serves, besides what it withholds: with its own arguments (`fields`,
 * `pages`), and a size hint on the tools whose answer budget is above what clients take by default.
 */
export function servedCatalog(config: Pick<ServeConfig, 'answerBudget' | 'answerBudgets'>): Pick<CatalogOptions, 'answerArguments' | 'answerBudgets'> {
  return { answerArguments: true, answerBudgets: { tokens: config.answerBudget, perTool: config.answerBudgets, bytesPerToken: BYTES_PER_TOKEN } };
}

/**
 * What of the gateway's own API is never offered as a tool:
 * - operations: the login (with or without sign-in through Portico, an agent calling it would get a user's raw API
 *   token), every endpoint another sign-in method calls, and those configured as issuing credentials;
 * - header arguments: the headers the deployment's credential travels in (the user's, `PORTICO_UPSTREAM_CREDENTIAL`,
 *   with sign-in; `PORTICO_UPSTREAM_HEADERS` without), which the proxy would never let an argument set.
 */
export function withheldFromCatalog(
  config: Pick<ServeConfig, 'auth' | 'upstream' | 'upstreamHeaders' | 'upstreamCredential' | 'loginPath' | 'credentialOperations' | 'oidcIssuer' | 'oidcExchangePath' | 'appLoginUrl' | 'appRedeemPath'>,
): { signInOperations: string[]; credentialOperations: string[]; credentialHeaders: string[] } {
  // every endpoint a sign-in method calls hands out a user's credential: the login, the ID token's exchange, the code's redemption
  const paths = [config.loginPath, ...(config.oidcIssuer ? [config.oidcExchangePath] : []), ...(config.appLoginUrl ? [config.appRedeemPath] : [])];
  const signInOperations = paths.flatMap((path) => loginOperationRule({ upstream: config.upstream, loginPath: path }) ?? []);
  const credentialHeaders = config.auth === 'oauth' ? [credentialHeaderOf(config.upstreamCredential).name] : Object.keys(config.upstreamHeaders);
  return { signInOperations, credentialOperations: [...(config.credentialOperations ?? [])], credentialHeaders };
}

/** How long the names built from an added API's operations may be: the prefix is part of every name, which must stay within the limit. */
export function nameLengthFor(prefix: string, config: Pick<ServeConfig, 'maxToolNameLength'>): number {
  return Math.max(8, config.maxToolNameLength - prefix.length);
}
