// The authorization server's HTML pages, as pure render functions: the routes own HTTP, cookies
// and status codes and send `html` with `headers`.
export type { Brand, ClientView, PageResult, Scope } from './shared';
export type { ScopeChoice } from './consent';
export type { ConnectionView } from './account';
export type { ErrorPageResult, Identifier } from './error';
export { PAGE_SECURITY_HEADERS } from './style';
export { loginPage } from './login';
export { consentPage } from './consent';
export { errorPage } from './error';
export { accountPage } from './account';
