/**
 * @module log/request-context
 * Which HTTP request the code running now serves, so that every log line written while answering it
 * carries its id without passing the id through every function. The id is the client's `X-Request-Id`
 * when it is a sane one (a proxy or the client correlates with it), else a new UUID.
 *
 * It also carries who sent the request (`http/client-address`, decided once where the request arrived): the
 * handlers behind the framework (`app.handle(request)` has no socket) read it here instead of asking a
 * server they do not have.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  readonly id: string;
  /** The client's address as `http/front` decided it (`unknown` when the request came without a socket). */
  readonly address: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Up to 128 characters of letters, digits and `-_.:=+/@`: UUIDs, ULIDs, trace ids, "req-42". */
const SANE_ID = /^[\w.:=+/@-]{1,128}$/;
/** An id that looks like one of Portico's tokens is not echoed or logged: a confused client may send one. */
const TOKEN_LIKE = /^(pat|prt|pac|pcs)_/;

export const REQUEST_ID_HEADER = 'x-request-id';

/** The request's id: its `X-Request-Id` if sane, else a new one. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get(REQUEST_ID_HEADER);
  return given !== null && SANE_ID.test(given) && !TOKEN_LIKE.test(given) ? given : crypto.randomUUID();
}

/** Runs `work` as part of the request `context`. */
export function inRequest<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

/** The id of the request being answered, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.id;
}

/** The address of the client whose request is being answered; `unknown` outside a request. */
export function currentClientAddress(): string {
  return storage.getStore()?.address ?? 'unknown';
}
